"""Stored trending scores: recomputed from votes, imports and star growth; the command; the lock."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from dailypapers.community.models import TrendingScore, Vote
from dailypapers.community.queries import explain_papers, query_trending
from dailypapers.community.services import trending as service
from dailypapers.community.services.trending import (
    TrendingBusy,
    recompute_trending_scores,
    trending_lock,
)
from dailypapers.ingest.pipeline import import_records
from dailypapers.papers.models import Paper
from dailypapers.ranking import trending
from tests.community.conftest import make_user
from tests.factories import make_paper, paper_record

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 14)


@pytest.fixture(autouse=True)
def day_long_half_life(settings):
    """The figures below are worked out for a 24-hour half-life, whatever the default."""
    settings.TRENDING_HALF_LIFE_HOURS = 24.0


NOON = dt.datetime(2026, 3, 14, 12, tzinfo=dt.UTC)


def vote_at(paper: Paper, when: dt.datetime, n: int = 1) -> None:
    users = [make_user() for _ in range(n)]
    Vote.objects.bulk_create([Vote(user=u, paper=paper, created=when) for u in users])
    Paper.objects.filter(pk=paper.pk).update(local_upvotes=n, upvotes=paper.imported_upvotes + n)


def ranked_ids() -> list[str]:
    return [p.arxiv_id for p in query_trending()]


def test_vote_times_read_in_sql_are_the_exact_instants(settings):
    paper = make_paper()
    moment = dt.datetime(2026, 3, 14, 12, 30, 15, 250000, tzinfo=dt.UTC)
    vote_at(paper, moment)

    ids, seconds = service._vote_times(None)

    assert list(ids) == [paper.pk]
    assert seconds[0] == pytest.approx(moment.timestamp(), abs=1e-3)


def test_recent_local_votes_outrank_older_imported_ones():
    old = make_paper(arxiv_id="2503.50001", upvotes=40, day=TODAY - dt.timedelta(days=3))
    fresh = make_paper(arxiv_id="2503.50002", upvotes=0, day=TODAY)
    vote_at(fresh, NOON - dt.timedelta(hours=1), n=6)

    recompute_trending_scores(now=NOON)

    assert ranked_ids() == [fresh.arxiv_id, old.arxiv_id]  # 6 * 2^(-1/24) > 40 / 2^3.5


def test_stored_scores_match_the_pure_function():
    paper = make_paper(upvotes=12, day=TODAY)
    vote_at(paper, NOON - dt.timedelta(hours=5), n=2)

    recompute_trending_scores(now=NOON)

    expected = trending.score(
        [NOON - dt.timedelta(hours=5)] * 2,
        imported_upvotes=12,
        feed_time=dt.datetime(2026, 3, 14, tzinfo=dt.UTC),
        half_life_hours=24,
    )
    assert TrendingScore.objects.get(paper=paper).score == pytest.approx(expected)


def test_papers_with_nothing_to_count_get_no_score_and_no_row():
    make_paper(upvotes=0)

    stats = recompute_trending_scores(now=NOON)

    assert (stats.papers, stats.scored, stats.written) == (1, 0, 0)
    assert list(query_trending()) == []


def test_star_growth_counts_from_the_second_recompute():
    paper = make_paper(arxiv_id="2503.50010", upvotes=0, github_stars=1000)

    recompute_trending_scores(now=NOON - dt.timedelta(days=1))
    row = TrendingScore.objects.get(paper=paper)
    assert (row.score, row.stars_seen, row.stars_first_seen) == (None, 1000, 1000)

    import_records([paper_record(arxiv_id="2503.50010", github_stars=1200)])
    recompute_trending_scores(now=NOON)

    row.refresh_from_db()
    assert row.stars_seen == 1200
    assert trending.heat(row.score, NOON, 24) == pytest.approx(200 * trending.STAR_WEIGHT)
    why = explain_papers([Paper.objects.get(pk=paper.pk)], now=NOON)[paper.pk]
    assert why.stars_gained == 200


def test_recomputing_some_papers_leaves_the_others_alone():
    one = make_paper(upvotes=3)
    two = make_paper(upvotes=4)
    recompute_trending_scores(now=NOON)
    before = TrendingScore.objects.get(paper=two).computed_at

    recompute_trending_scores([one.pk], now=NOON + dt.timedelta(hours=1))

    assert TrendingScore.objects.get(paper=one).computed_at == NOON + dt.timedelta(hours=1)
    assert TrendingScore.objects.get(paper=two).computed_at == before


def test_a_paper_whose_only_votes_were_withdrawn_loses_its_score():
    paper = make_paper(upvotes=0)
    vote_at(paper, NOON)
    recompute_trending_scores(now=NOON)
    Vote.objects.all().delete()

    recompute_trending_scores([paper.pk], now=NOON)

    assert TrendingScore.objects.get(paper=paper).score is None
    assert list(query_trending()) == []


def test_a_recompute_refuses_to_run_while_another_holds_the_lock():
    make_paper(upvotes=1)

    with trending_lock(), pytest.raises(TrendingBusy):
        recompute_trending_scores(now=NOON)

    assert recompute_trending_scores(now=NOON).scored == 1  # released afterwards


def test_the_command_recomputes_and_shows_the_top_papers(capsys):
    paper = make_paper(title="A paper people like", upvotes=9, day=timezone.now().date())

    call_command("trending", "recompute")
    call_command("trending", "show", "--limit", "5")

    out = capsys.readouterr()
    assert "1 papers have a score" in out.err
    assert paper.arxiv_id in out.out and "A paper people like" in out.out
    assert "9 imported upvotes" in out.out


def test_the_command_says_clearly_when_a_recompute_is_running():
    with trending_lock(), pytest.raises(CommandError, match="another trending recompute"):
        call_command("trending", "recompute", "--wait", "0")


def test_the_command_force_drops_a_stale_lock(capsys):
    make_paper(upvotes=1)
    lock = service._LOCK
    lock.__enter__()  # a process killed while holding it never releases it

    call_command("trending", "recompute", "--wait", "0", "--force")

    assert "1 papers have a score" in capsys.readouterr().err
    assert not lock.is_locked()


def test_show_says_so_when_nothing_trends(capsys):
    call_command("trending", "show")

    assert "No trending papers" in capsys.readouterr().out
