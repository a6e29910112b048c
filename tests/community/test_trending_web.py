"""The trending page, its formula page, and the API's sort=trending, through the HTTP client."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dailypapers.community.models import Vote
from dailypapers.community.services.trending import recompute_trending_scores
from dailypapers.papers.models import Paper
from tests.community.conftest import make_user
from tests.factories import make_paper

pytestmark = pytest.mark.django_db


def fresh_votes(paper: Paper, n: int, hours_ago: float = 1) -> None:
    when = timezone.now() - dt.timedelta(hours=hours_ago)
    Vote.objects.bulk_create([Vote(user=make_user(), paper=paper, created=when) for _ in range(n)])
    Paper.objects.filter(pk=paper.pk).update(local_upvotes=n, upvotes=paper.imported_upvotes + n)


@pytest.fixture
def ranked():
    """Day 2025-03-14: an old favourite (100 imported upvotes) and a paper voted for an hour ago."""
    old = make_paper(arxiv_id="2503.60001", title="Old favourite", upvotes=100)
    hot = make_paper(arxiv_id="2503.60002", title="Hot right now", upvotes=0)
    make_paper(arxiv_id="2503.60003", title="Nobody voted", upvotes=0)
    fresh_votes(hot, 3)
    recompute_trending_scores()
    return old, hot


def test_the_trending_page_lists_scored_papers_hottest_first_with_the_reasons(client, ranked):
    old, hot = ranked

    html = client.get("/papers/trending").content.decode()

    assert html.index("Hot right now") < html.index("Old favourite")
    assert "Nobody voted" not in html
    assert "3 upvotes here in the last 7 days (3 in all)" in html
    assert "100 imported upvotes, counted on Mar 14, 2025" in html
    assert 'href="/papers/trending/formula"' in html


def test_the_trending_page_links_its_feeds(client, ranked):
    html = client.get("/papers/trending").content.decode()

    assert (
        '<link rel="alternate" type="application/rss+xml" title="Trending papers (RSS)" href="/feeds/trending.rss">'
        in html
    )
    assert 'href="/feeds/trending.atom"' in html


def test_the_formula_page_explains_the_score_with_this_sites_half_life(client, settings):
    settings.TRENDING_HALF_LIFE_HOURS = 36.0

    html = client.get("/papers/trending/formula").content.decode()

    assert "halves every <strong>36 hours</strong>" in html
    assert "imported from Hugging Face" in html and "GitHub stars" in html


def test_an_empty_trending_page_says_nothing_trends_yet(client):
    make_paper(upvotes=0)

    response = client.get("/papers/trending")

    assert response.status_code == 200
    assert "Nothing is trending yet" in response.content.decode()


def test_the_api_sort_trending_follows_the_stored_scores(client, ranked):
    old, hot = ranked

    by_trending = client.get("/api/daily_papers", {"date": "2025-03-14", "sort": "trending"})
    by_upvotes = client.get("/api/daily_papers", {"date": "2025-03-14"})

    assert [item["paper"]["id"] for item in by_trending.json()] == [
        hot.arxiv_id,
        old.arxiv_id,
        "2503.60003",
    ]
    assert [item["paper"]["id"] for item in by_upvotes.json()][0] == old.arxiv_id


def test_a_vote_moves_its_paper_up_the_trending_page_once_its_job_ran(
    client, ranked, django_capture_on_commit_callbacks, run_trending_jobs
):
    old, hot = ranked
    quiet = Paper.objects.get(arxiv_id="2503.60003")

    for _ in range(5):
        voter = make_user()
        client.force_login(voter)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/papers/{quiet.arxiv_id}/vote", {"action": "upvote"})

    assert "Nobody voted" not in client.get("/papers/trending").content.decode()

    assert run_trending_jobs() == 5
    html = client.get("/papers/trending").content.decode()
    assert html.index("Nobody voted") < html.index("Hot right now")
