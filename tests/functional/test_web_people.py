"""Author and organization pages through Django's test client, on a real database."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from dailypapers.ingest.pipeline import import_records
from dailypapers.web.views import PAGE_SIZE
from tests.factories import make_paper, paper_record

pytestmark = pytest.mark.django_db


def card_titles(html: str) -> list[str]:
    return re.findall(
        r'<h3 class="card-title"[^>]*><a href="[^"]*"><bdi class="js-math">([^<]*)</bdi>', html
    )


@pytest.mark.parametrize(
    "name",
    [
        "Ada Lovelace",
        "Jean/Luc Picard",
        "Zoë Çelik-Øster 王小明",
        "What? #1 100% & co",
        "/leading slash",
    ],
)
def test_author_page_works_for_any_name(client, name):
    make_paper(title="Their paper", authors=[name, "Someone Else"])

    url = reverse("authors.detail", args=[name])
    response = client.get(url)

    assert response.status_code == 200, url
    html = response.content.decode()
    assert card_titles(html) == ["Their paper"]
    assert "1 paper" in html


def test_author_links_on_cards_lead_to_the_author_page(client):
    make_paper(title="Linked", authors=["Jean/Luc Picard"], day=dt.date(2025, 3, 14))

    feed = client.get("/papers/date/2025-03-14").content.decode()
    href = re.search(r'<a href="(/authors/[^"]+)"><bdi>Jean/Luc Picard</bdi>', feed).group(1)

    assert client.get(href).status_code == 200


def test_author_page_lists_newest_papers_first(client):
    old = paper_record(title="Old", authors=["Ada Lovelace"])
    old.published_at = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    new = paper_record(title="Newer", authors=["Ada Lovelace"])
    other = paper_record(title="Other author", authors=["Alan Turing"])
    import_records([old, new, other])

    html = client.get("/authors/Ada%20Lovelace").content.decode()

    assert card_titles(html) == ["Newer", "Old"]
    assert "Other author" not in html


def test_unknown_author_is_a_friendly_404(client):
    response = client.get("/authors/Nobody%20Here")

    assert response.status_code == 404
    assert "There is no author of that name here." in response.content.decode()


def test_organization_page_lists_its_papers_by_upvotes(client):
    make_paper(title="Low", upvotes=1, organization="Tsinghua")
    make_paper(title="High", upvotes=9, organization="Tsinghua")
    make_paper(title="Elsewhere", upvotes=50, organization="MIT")

    response = client.get("/organizations/Tsinghua")

    html = response.content.decode()
    assert response.status_code == 200
    assert card_titles(html) == ["High", "Low"]
    assert "<h1><bdi>Tsinghua</bdi></h1>" in html
    assert "2 papers" in html


def test_organization_link_on_a_card_leads_to_its_page(client):
    make_paper(organization="Alibaba/Qwen Team", day=dt.date(2025, 3, 14))

    feed = client.get("/papers/date/2025-03-14").content.decode()
    href = re.search(r'<li class="meta-org"><a href="([^"]+)">', feed).group(1)

    assert href == "/organizations/Alibaba/Qwen%20Team"
    assert client.get(href).status_code == 200


def test_unknown_organization_is_a_friendly_404(client):
    response = client.get("/organizations/nope")

    assert response.status_code == 404
    assert "There is no organization of that name here." in response.content.decode()


def test_prolific_author_page_is_paginated(client):
    import_records(
        [paper_record(title=f"P{n}", authors=["Busy Bee"]) for n in range(PAGE_SIZE + 1)]
    )

    first = client.get("/authors/Busy%20Bee").content.decode()
    second = client.get("/authors/Busy%20Bee?page=2").content.decode()

    assert len(card_titles(first)) == PAGE_SIZE
    assert len(card_titles(second)) == 1
    assert f"{PAGE_SIZE + 1} papers" in first
    assert 'href="?page=2" rel="next"' in first


def test_people_pages_query_count_does_not_grow_with_papers(client, django_assert_max_num_queries):
    import_records([paper_record(title="Solo", authors=["Few Papers", "X"], organization="Small")])
    import_records(
        [
            paper_record(title=f"M{n}", authors=["Many Papers", f"Y{n}"], organization="Big")
            for n in range(30)
        ]
    )

    counts = {}
    for path in [
        "/authors/Few%20Papers",
        "/authors/Many%20Papers",
        "/organizations/Small",
        "/organizations/Big",
    ]:
        with django_assert_max_num_queries(6) as queries:
            assert client.get(path).status_code == 200
        counts[path] = len(queries.captured_queries)

    assert counts["/authors/Few%20Papers"] == counts["/authors/Many%20Papers"]
    assert counts["/organizations/Small"] == counts["/organizations/Big"]
