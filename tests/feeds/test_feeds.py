"""Every feed, RSS and Atom, parsed by feedparser without a single error; hostile text stays text."""

from __future__ import annotations

import datetime as dt

import feedparser
import pytest
from django.urls import reverse

from dailypapers.community.services.trending import recompute_trending_scores
from tests.factories import make_paper

pytestmark = pytest.mark.django_db

HOSTILE_TITLE = "<script>alert('t')</script> \x0bVertical\x0c tab \u202egnp.exe & nul\x1f ]]>"
HOSTILE_ABSTRACT = "<img src=x onerror=alert(1)> a \x1b[31m b </description> ]]> \uffff \x85"
HOSTILE_AUTHOR = "Eve \u202eevil\u202c <b>bold</b> \x07"
MEGABYTE = "A" * 1_000_000


def feed_urls() -> list[str]:
    urls = []
    for fmt in ("rss", "atom"):
        for name in ("daily", "weekly", "monthly", "trending"):
            urls.append(reverse(f"feeds.{name}", kwargs={"fmt": fmt}))
        urls.append(reverse("feeds.organization", kwargs={"fmt": fmt, "name": "Evil <Org>"}))
        urls.append(reverse("feeds.author", kwargs={"fmt": fmt, "name": HOSTILE_AUTHOR}))
    return urls


@pytest.fixture
def hostile_papers():
    make_paper(
        arxiv_id="2503.70001",
        title=HOSTILE_TITLE,
        abstract=HOSTILE_ABSTRACT,
        authors=[HOSTILE_AUTHOR, "Ada Lovelace"],
        organization="Evil <Org>",
        upvotes=5,
        categories=["cs.LG", "<b>x</b>\x0b"],
    )
    make_paper(
        arxiv_id="2503.70002",
        title=MEGABYTE,
        abstract=MEGABYTE,
        authors=[HOSTILE_AUTHOR, "B" * 300],  # the longest name the column holds
        organization="Evil <Org>",
        upvotes=3,
    )
    make_paper(arxiv_id="2503.70003", title="مرحبا بالعالم: a right-to-left title", upvotes=1)
    recompute_trending_scores()


def parse(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, url
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, f"{url}: {parsed.get('bozo_exception')}"
    return response, parsed


def test_every_feed_parses_without_errors_even_with_hostile_text(client, hostile_papers):
    for url in feed_urls():
        response, parsed = parse(client, url)

        assert len(parsed.entries) >= 1, url
        assert len(response.content) < 200_000, f"{url} is {len(response.content)} bytes"
        raw = response.content.decode()
        assert "<script" not in raw and "<img" not in raw, url
        assert "\x0b" not in raw and "\u202e" not in raw, url


def test_hostile_titles_and_abstracts_arrive_as_escaped_text(client, hostile_papers):
    _, parsed = parse(client, reverse("feeds.daily", kwargs={"fmt": "rss"}))

    entry = next(e for e in parsed.entries if e.link.endswith("/papers/2503.70001"))
    assert entry.title == "<script>alert('t')</script> Vertical tab gnp.exe & nul ]]>"
    # The description is HTML whose text is the abstract: the tags are shown, never run.
    assert "&lt;img src=x onerror=alert(1)&gt;" in entry.summary
    assert "Eve evil &lt;b&gt;bold&lt;/b&gt;" in entry.summary
    assert entry.author == "Eve evil <b>bold</b> et al."


def test_megabyte_texts_are_cut_to_a_bound(client, hostile_papers):
    _, parsed = parse(client, reverse("feeds.daily", kwargs={"fmt": "atom"}))

    entry = next(e for e in parsed.entries if e.link.endswith("/papers/2503.70002"))
    assert len(entry.title) == 500 and entry.title.endswith("…")
    assert len(entry.summary) < 7000


def test_right_to_left_titles_are_kept(client, hostile_papers):
    _, parsed = parse(client, reverse("feeds.trending", kwargs={"fmt": "rss"}))

    assert "مرحبا بالعالم: a right-to-left title" in [e.title for e in parsed.entries]


def test_feeds_link_to_absolute_paper_pages_on_the_site_url(client, settings):
    settings.SITE_URL = "https://papers.example.org"
    make_paper(arxiv_id="2503.70010", upvotes=2)

    _, parsed = parse(client, reverse("feeds.weekly", kwargs={"fmt": "atom"}))

    assert parsed.feed.link == "https://papers.example.org/papers/week"
    assert parsed.entries[0].link == "https://papers.example.org/papers/2503.70010"
    assert parsed.entries[0].id == "https://papers.example.org/papers/2503.70010"


def test_the_daily_feed_holds_the_last_three_days_newest_first(client):
    for day, arxiv_id in (
        (10, "2503.71010"),
        (11, "2503.71011"),
        (12, "2503.71012"),
        (14, "2503.71014"),
    ):
        make_paper(arxiv_id=arxiv_id, day=dt.date(2025, 3, day))

    _, parsed = parse(client, reverse("feeds.daily", kwargs={"fmt": "rss"}))

    assert [e.link.rsplit("/", 1)[1] for e in parsed.entries] == [
        "2503.71014",
        "2503.71012",
        "2503.71011",
    ]
    assert parsed.entries[0].published_parsed[:3] == (2025, 3, 14)


def test_weekly_and_monthly_feeds_rank_the_latest_period_by_upvotes(client):
    make_paper(arxiv_id="2503.72001", upvotes=1, day=dt.date(2025, 3, 13))
    make_paper(arxiv_id="2503.72002", upvotes=9, day=dt.date(2025, 3, 14))
    make_paper(arxiv_id="2502.72003", upvotes=50, day=dt.date(2025, 2, 14))

    _, weekly = parse(client, reverse("feeds.weekly", kwargs={"fmt": "rss"}))
    _, monthly = parse(client, reverse("feeds.monthly", kwargs={"fmt": "atom"}))

    assert [e.link.rsplit("/", 1)[1] for e in weekly.entries] == ["2503.72002", "2503.72001"]
    assert "Week 11, 2025" in weekly.feed.title
    assert [e.link.rsplit("/", 1)[1] for e in monthly.entries] == ["2503.72002", "2503.72001"]
    assert "March 2025" in monthly.feed.title


def test_empty_site_feeds_are_valid_and_empty(client):
    for name in ("daily", "weekly", "monthly", "trending"):
        for fmt in ("rss", "atom"):
            _, parsed = parse(client, reverse(f"feeds.{name}", kwargs={"fmt": fmt}))
            assert parsed.entries == []


def test_unknown_organization_or_author_feeds_answer_404(client):
    assert client.get("/feeds/organizations/nobody.rss").status_code == 404
    assert client.get("/feeds/authors/Nobody%20Here.atom").status_code == 404
    assert client.get("/feeds/daily.json").status_code == 404


def test_author_names_with_dots_and_slashes_get_their_feed(client):
    make_paper(arxiv_id="2503.73001", authors=["J. R. R. Tolkien/Oxford.rss"])

    url = reverse("feeds.author", kwargs={"fmt": "atom", "name": "J. R. R. Tolkien/Oxford.rss"})
    _, parsed = parse(client, url)

    assert [e.link.rsplit("/", 1)[1] for e in parsed.entries] == ["2503.73001"]


def test_every_page_links_its_feeds(client):
    make_paper(arxiv_id="2503.74001", organization="MIT", authors=["Ada Lovelace"])
    expected = {
        "/papers": "/feeds/daily.rss",
        "/papers/week": "/feeds/weekly.rss",
        "/papers/month/2025-03": "/feeds/monthly.rss",
        "/papers/trending": "/feeds/trending.rss",
        "/organizations/MIT": "/feeds/organizations/MIT.rss",
        "/authors/Ada%20Lovelace": "/feeds/authors/Ada%20Lovelace.rss",
        "/papers/2503.74001": "/feeds/daily.rss",
    }
    for page, feed in expected.items():
        html = client.get(page).content.decode()
        assert 'rel="alternate" type="application/rss+xml" title="' in html, page
        assert f'href="{feed}"' in html, page
        assert 'type="application/atom+xml"' in html, page
