"""Votes through the service functions: exact counters, idempotence, cache and trending after commit."""

from __future__ import annotations

import pytest
from django.db import transaction

from dailypapers.community.models import TrendingScore, Vote
from dailypapers.community.services.votes import PaperNotFound, upvote_paper, withdraw_upvote
from dailypapers.papers.models import Paper
from dailypapers.papers.signals import feed_generation
from tests.community.conftest import make_user, pending_trending_jobs
from tests.factories import make_paper, paper_record

pytestmark = pytest.mark.django_db


def counts(paper: Paper) -> tuple[int, int, int]:
    paper.refresh_from_db()
    return paper.imported_upvotes, paper.local_upvotes, paper.upvotes


def test_upvote_adds_one_local_vote_and_keeps_upvotes_imported_plus_local():
    paper = make_paper(upvotes=7)
    user = make_user()

    result = upvote_paper(user.pk, paper.pk)

    assert (result.voted, result.changed, result.upvotes) == (True, True, 8)
    assert counts(paper) == (7, 1, 8)
    assert Vote.objects.filter(user=user, paper=paper).count() == 1


def test_a_second_upvote_by_the_same_user_changes_nothing():
    paper = make_paper(upvotes=2)
    user = make_user()
    upvote_paper(user.pk, paper.pk)

    again = upvote_paper(user.pk, paper.pk)

    assert (again.voted, again.changed, again.upvotes) == (True, False, 3)
    assert counts(paper) == (2, 1, 3)
    assert Vote.objects.count() == 1


def test_votes_of_different_users_add_up():
    paper = make_paper(upvotes=0)

    for _ in range(3):
        upvote_paper(make_user().pk, paper.pk)

    assert counts(paper) == (0, 3, 3)


def test_withdrawing_removes_the_vote_and_lowers_both_counts():
    paper = make_paper(upvotes=5)
    user = make_user()
    upvote_paper(user.pk, paper.pk)

    result = withdraw_upvote(user.pk, paper.pk)

    assert (result.voted, result.changed, result.upvotes) == (False, True, 5)
    assert counts(paper) == (5, 0, 5)
    assert not Vote.objects.exists()


def test_withdrawing_a_vote_that_does_not_stand_changes_nothing():
    paper = make_paper(upvotes=5)

    result = withdraw_upvote(make_user().pk, paper.pk)

    assert (result.voted, result.changed, result.upvotes) == (False, False, 5)
    assert counts(paper) == (5, 0, 5)


def test_voting_for_a_paper_that_does_not_exist_raises_paper_not_found():
    user = make_user()

    with pytest.raises(PaperNotFound):
        upvote_paper(user.pk, 987654)
    with pytest.raises(PaperNotFound):
        withdraw_upvote(user.pk, 987654)
    assert not Vote.objects.exists()


def test_a_reimport_with_more_upstream_upvotes_keeps_the_local_votes():
    paper = make_paper(arxiv_id="2503.40001", upvotes=10)
    upvote_paper(make_user().pk, paper.pk)
    upvote_paper(make_user().pk, paper.pk)

    from dailypapers.ingest.pipeline import import_records

    import_records([paper_record(arxiv_id="2503.40001", upvotes=25)])

    assert counts(paper) == (25, 2, 27)


def test_a_vote_invalidates_cached_pages_after_commit(django_capture_on_commit_callbacks):
    paper = make_paper()
    before = feed_generation()

    with django_capture_on_commit_callbacks(execute=True):
        upvote_paper(make_user().pk, paper.pk)

    assert feed_generation() != before


def test_a_vote_queues_a_trending_refresh_after_commit_that_scores_the_paper(
    django_capture_on_commit_callbacks, huey_queue, run_trending_jobs
):
    paper = make_paper(upvotes=0)

    with django_capture_on_commit_callbacks(execute=True):
        upvote_paper(make_user().pk, paper.pk)
        assert pending_trending_jobs(huey_queue) == []  # nothing is queued before the commit

    [job] = pending_trending_jobs(huey_queue)
    assert job.args == ([paper.pk],)  # ids, never objects
    assert run_trending_jobs() == 1
    assert TrendingScore.objects.get(paper=paper).score is not None


def test_a_repeated_upvote_announces_nothing(django_capture_on_commit_callbacks):
    paper = make_paper()
    user = make_user()
    upvote_paper(user.pk, paper.pk)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        upvote_paper(user.pk, paper.pk)

    assert callbacks == []


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_vote_leaves_no_row_no_count_and_no_job(huey_queue):
    paper = make_paper(upvotes=1)
    user = make_user()
    before = feed_generation()

    with pytest.raises(RuntimeError), transaction.atomic():
        upvote_paper(user.pk, paper.pk)
        raise RuntimeError("the request failed after the vote")

    assert counts(paper) == (1, 0, 1)
    assert not Vote.objects.exists()
    assert pending_trending_jobs(huey_queue) == []
    assert feed_generation() == before
