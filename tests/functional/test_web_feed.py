"""The daily/weekly/monthly feed pages through Django's test client, on a real database.

Papers enter through the real import pipeline (tests.factories), as in production.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.urls import reverse

from dailypapers.ingest.pipeline import import_records
from dailypapers.web.views import PAGE_SIZE
from tests.factories import make_paper, paper_record

pytestmark = pytest.mark.django_db

MAR_10 = dt.date(2025, 3, 10)  # a Monday (ISO week 2025-W11)
MAR_14 = dt.date(2025, 3, 14)  # Friday of the same week


def card_titles(html: str) -> list[str]:
    return re.findall(
        r'<h3 class="card-title"[^>]*><a href="[^"]*"><bdi class="js-math">([^<]*)</bdi>', html
    )


def test_papers_shows_the_latest_day_that_has_papers(client):
    make_paper(title="Older paper", day=MAR_10)
    make_paper(title="Newest paper", day=MAR_14)

    response = client.get("/papers")

    assert response.status_code == 200
    assert card_titles(response.content.decode()) == ["Newest paper"]
    assert "Mar 14, 2025" in response.content.decode()


def test_site_root_shows_the_same_feed_as_papers(client):
    make_paper(title="Only paper", day=MAR_14)

    response = client.get("/")

    assert response.status_code == 200
    assert card_titles(response.content.decode()) == ["Only paper"]


def test_empty_site_says_there_are_no_papers_yet(client):
    response = client.get("/papers")

    assert response.status_code == 200
    assert "No papers yet." in response.content.decode()


def test_day_page_ranks_papers_by_upvotes_with_top_three_badges(client):
    for title, upvotes in [("Ten", 10), ("Forty", 40), ("Twenty", 20), ("Thirty", 30)]:
        make_paper(title=title, upvotes=upvotes, day=MAR_14)

    html = client.get("/papers/date/2025-03-14").content.decode()

    assert card_titles(html) == ["Forty", "Thirty", "Twenty", "Ten"]
    badges = re.findall(r'class="badge badge-rank-(\d)" href="([^"]+)">([^<]+)<', html)
    assert badges == [
        ("1", "/papers/date/2025-03-14", "#1 Paper of the day"),
        ("2", "/papers/date/2025-03-14", "#2 Paper of the day"),
        ("3", "/papers/date/2025-03-14", "#3 Paper of the day"),
    ]


def test_previous_and_next_links_skip_empty_days(client):
    make_paper(title="Monday", day=MAR_10)
    make_paper(title="Friday", day=MAR_14)
    make_paper(title="Next month", day=dt.date(2025, 4, 2))

    html = client.get("/papers/date/2025-03-14").content.decode()

    assert 'href="/papers/date/2025-03-10" rel="prev"' in html
    assert 'href="/papers/date/2025-04-02" rel="next"' in html


def test_first_and_last_days_have_no_link_beyond_them(client):
    make_paper(day=MAR_14)

    html = client.get("/papers/date/2025-03-14").content.decode()

    assert 'rel="prev"' not in html
    assert 'rel="next"' not in html


def test_empty_day_says_so_and_links_to_the_nearest_days_with_papers(client):
    make_paper(day=MAR_10)
    make_paper(day=MAR_14)

    response = client.get("/papers/date/2025-03-12")

    html = response.content.decode()
    assert response.status_code == 200
    assert "No papers on this day." in html
    assert card_titles(html) == []
    assert 'href="/papers/date/2025-03-10"' in html
    assert 'href="/papers/date/2025-03-14"' in html


def test_week_page_holds_every_day_of_the_iso_week_ranked_together(client):
    make_paper(title="Monday paper", upvotes=5, day=MAR_10)
    make_paper(title="Friday paper", upvotes=9, day=MAR_14)
    make_paper(title="Next week", upvotes=99, day=dt.date(2025, 3, 17))

    html = client.get("/papers/week/2025-W11").content.decode()

    assert card_titles(html) == ["Friday paper", "Monday paper"]
    assert "#1 Paper of the week" in html
    assert "Week 11, 2025" in html
    assert 'href="/papers/week/2025-W12" rel="next"' in html


def test_month_page_holds_the_whole_month(client):
    make_paper(title="March 1", day=dt.date(2025, 3, 1))
    make_paper(title="March 31", upvotes=3, day=dt.date(2025, 3, 31))
    make_paper(title="April 1", day=dt.date(2025, 4, 1))

    html = client.get("/papers/month/2025-03").content.decode()

    assert card_titles(html) == ["March 31", "March 1"]
    assert "#1 Paper of the month" in html
    assert "March 2025" in html


def test_tabs_link_to_the_week_and_month_around_the_day(client):
    make_paper(day=MAR_14)

    html = client.get("/papers/date/2025-03-14").content.decode()

    tabs = re.search(r'<nav class="tabs".*?</nav>', html, re.S).group(0)
    assert 'href="/papers/date/2025-03-14" aria-current="page">Daily' in tabs
    assert 'href="/papers/week/2025-W11">Weekly' in tabs
    assert 'href="/papers/month/2025-03">Monthly' in tabs


def test_daily_tab_of_a_month_lands_on_its_last_day_with_papers(client):
    make_paper(day=MAR_10)
    make_paper(day=MAR_14)

    html = client.get("/papers/month/2025-03").content.decode()

    assert 'href="/papers/date/2025-03-14">Daily' in html


def test_latest_week_and_month_pages_show_the_newest_period(client):
    make_paper(title="Old", day=dt.date(2025, 2, 3))
    make_paper(title="New", day=MAR_14)

    week = client.get("/papers/week").content.decode()
    month = client.get("/papers/month").content.decode()

    assert card_titles(week) == ["New"]
    assert card_titles(month) == ["New"]
    assert f'<link rel="canonical" href="{settings.SITE_URL}/papers/week/2025-W11">' in week
    assert f'<link rel="canonical" href="{settings.SITE_URL}/papers/month/2025-03">' in month


@pytest.mark.parametrize(
    "path",
    [
        "/papers/date/2025-13-01",
        "/papers/date/2025-02-30",
        "/papers/date/2025-3-1",
        "/papers/date/yesterday",
        "/papers/date/0000-01-01",
        "/papers/week/2025-W54",
        "/papers/week/2025-W00",
        "/papers/week/9999-W52",
        "/papers/week/2025-11",
        "/papers/month/2025-13",
        "/papers/month/2025-00",
        "/papers/month/0000-01",
        "/papers/month/March",
    ],
)
def test_invalid_period_is_a_friendly_404(client, path):
    response = client.get(path)

    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert "/papers/date/2025-03-14" in html  # the page explains the URL scheme
    assert 'href="/papers"' in html


def test_edge_of_the_calendar_renders_without_error(client):
    response = client.get("/papers/date/9999-12-31")

    assert response.status_code == 200
    assert "No papers on this day." in response.content.decode()


def test_card_shows_what_the_hugging_face_card_shows(client):
    make_paper(
        arxiv_id="2503.11111",
        title="A card with everything",
        abstract="Short abstract.",
        authors=["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"],
        day=MAR_14,
        upvotes=57,
        organization="Tsinghua",
        submitter="YueMafighting",
        num_comments=2,
        github_repo="https://github.com/cp-cp/LiveEdit",
        github_stars=1234,
        thumbnail_url="https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2503.11111.png",
    )

    html = client.get("/papers/date/2025-03-14").content.decode()

    assert 'href="/papers/2503.11111"><bdi class="js-math">A card with everything</bdi>' in html
    assert '<span class="upvote-count">57</span>' in html
    assert ">Ada Lovelace</bdi>" in html and ">Grace Hopper</bdi>" in html
    assert "Edsger Dijkstra" not in html  # first three names, then the count
    assert "+1" in html and "4 authors" in html
    assert '<time datetime="2025-03-12">Mar 12, 2025</time>' in html
    assert 'href="/organizations/Tsinghua"' in html
    assert "Submitted by <bdi>YueMafighting</bdi>" in html
    assert '2<span class="visually-hidden"> comments</span>' in html
    assert 'href="https://github.com/cp-cp/LiveEdit"' in html
    assert "<bdi>cp-cp/LiveEdit</bdi>" in html and "1,234" in html
    thumb = re.search(r'<div class="card-thumb"><img ([^>]+)>', html).group(1)
    assert (
        'src="https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2503.11111.png"'
        in thumb
    )
    assert (
        'loading="lazy"' in thumb
        and 'alt="Thumbnail of \u2068A card with everything\u2069"' in thumb
    )
    assert 'width="320" height="180"' in thumb  # reserved space: no layout shift


def test_card_without_thumbnail_or_links_leaves_them_out(client):
    make_paper(title="Bare", day=MAR_14)

    html = client.get("/papers/date/2025-03-14").content.decode()

    assert "card-thumb" not in html
    assert "github.com" not in html
    assert "Submitted by" not in html


def test_long_abstract_is_collapsed_with_a_toggle_that_needs_no_javascript(client):
    long_paper = make_paper(title="Long", abstract="Words and more words. " * 40, day=MAR_14)
    short_paper = make_paper(title="Short", abstract="Tiny.", day=MAR_14)

    html = client.get("/papers/date/2025-03-14").content.decode()

    # The full text is in the page (for screen readers and search); CSS clamps it until toggled.
    assert "Words and more words. " * 39 in html
    assert (
        f'<input class="abstract-toggle" type="checkbox" id="abstract-toggle-{long_paper.pk}"'
        in html
    )
    assert f'<label class="abstract-more" for="abstract-toggle-{long_paper.pk}">' in html
    assert f'id="abstract-toggle-{short_paper.pk}"' not in html


def test_long_month_is_paginated_with_a_show_more_link(client):
    records = [
        paper_record(title=f"P{n:03d}", upvotes=n, day=dt.date(2025, 3, 1 + n % 28))
        for n in range(PAGE_SIZE + 5)
    ]
    import_records(records)

    first = client.get("/papers/month/2025-03").content.decode()
    second = client.get("/papers/month/2025-03?page=2").content.decode()

    assert len(card_titles(first)) == PAGE_SIZE
    assert card_titles(first)[0] == f"P{PAGE_SIZE + 4:03d}"
    assert f"{PAGE_SIZE + 5} papers" in first
    assert 'href="?page=2" rel="next"' in first
    assert 'hx-get="?page=2"' in first
    assert len(card_titles(second)) == 5
    assert "Paper of the month" not in second  # badges belong to the top three only
    assert 'href="?page=1" rel="prev"' in second


@pytest.mark.parametrize("page", ["abc", "999", "-1", "0"])
def test_out_of_range_page_numbers_still_answer(client, page):
    make_paper(day=MAR_14)

    response = client.get(f"/papers/date/2025-03-14?page={page}")

    assert response.status_code == 200
    assert len(card_titles(response.content.decode())) == 1


def _import_day(count: int) -> None:
    import_records(
        [
            paper_record(
                title=f"Q{n}",
                day=MAR_14,
                authors=[f"A{n}", f"B{n}", f"C{n}"],
                organization=f"Org{n % 3}",
            )
            for n in range(count)
        ]
    )


@pytest.mark.parametrize(
    "path", ["/papers", "/papers/date/2025-03-14", "/papers/week/2025-W11", "/papers/month/2025-03"]
)
def test_feed_query_count_does_not_grow_with_the_number_of_papers(
    client, django_assert_max_num_queries, path
):
    _import_day(2)
    with django_assert_max_num_queries(8) as few:
        client.get(path)
    _import_day(40)
    from django.core.cache import cache

    cache.clear()  # the generation does not move inside a test transaction: start from a miss
    with django_assert_max_num_queries(8) as many:
        response = client.get(path)

    assert len(card_titles(response.content.decode())) == 42
    assert len(many.captured_queries) == len(few.captured_queries)


def test_repeated_anonymous_get_is_served_from_the_cache(client, django_assert_num_queries):
    make_paper(day=MAR_14)
    first = client.get("/papers/date/2025-03-14")

    with django_assert_num_queries(0):
        second = client.get("/papers/date/2025-03-14")

    assert first["X-Page-Cache"] == "miss"
    assert second["X-Page-Cache"] == "hit"
    assert second.content == first.content
    assert "Content-Security-Policy" in second


def test_a_committed_import_invalidates_cached_feed_pages(
    client, django_capture_on_commit_callbacks
):
    make_paper(title="First", day=MAR_14)
    assert card_titles(client.get("/papers/date/2025-03-14").content.decode()) == ["First"]

    with django_capture_on_commit_callbacks(execute=True):
        make_paper(title="Second", upvotes=5, day=MAR_14)

    assert card_titles(client.get("/papers/date/2025-03-14").content.decode()) == [
        "Second",
        "First",
    ]


def test_error_pages_are_not_cached(client):
    assert client.get("/papers/date/2025-02-30").status_code == 404

    second = client.get("/papers/date/2025-02-30")

    assert second.status_code == 404
    assert "X-Page-Cache" not in second


def test_route_names_follow_noun_action():
    assert reverse("papers.feed") == "/papers"
    assert reverse("papers.day", args=["2025-03-14"]) == "/papers/date/2025-03-14"
    assert reverse("papers.week", args=["2025-W11"]) == "/papers/week/2025-W11"
    assert reverse("papers.month", args=["2025-03"]) == "/papers/month/2025-03"
    assert reverse("papers.detail", args=["hep-th/9901001"]) == "/papers/hep-th/9901001"
    assert reverse("orgs.detail", args=["Tsinghua"]) == "/organizations/Tsinghua"
    assert reverse("authors.detail", args=["Ada Lovelace"]) == "/authors/Ada%20Lovelace"


def test_unknown_address_gets_the_friendly_404_page(client):
    response = client.get("/no/such/page")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and "There is nothing at this address." in html
    assert '<link rel="stylesheet" href="/static/css/site.css">' in html


def test_empty_site_weekly_and_monthly_pages_say_there_are_no_papers_yet(client):
    for path in ["/papers/week", "/papers/month"]:
        response = client.get(path)
        assert response.status_code == 200
        assert "No papers yet." in response.content.decode()
