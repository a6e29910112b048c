"""``dailypapers worker`` for real: a huey consumer in its own process, on the SQLite queue file,
runs the job that a committed vote queued."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from dailypapers.community.models import TrendingScore
from dailypapers.community.services.votes import upvote_paper
from tests.community.conftest import make_user, pending_trending_jobs
from tests.factories import make_paper
from tests.worker_process import run_worker_until


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_trending_job_a_vote_queued(huey_queue):
    paper = make_paper(upvotes=0)
    upvote_paper(make_user().pk, paper.pk)  # commits, then queues the refresh
    assert len(pending_trending_jobs(huey_queue)) == 1
    assert not TrendingScore.objects.filter(paper=paper).exists()
    for task in huey_queue.pending():  # other apps' jobs (search indexing) are not this test's
        if task not in pending_trending_jobs(huey_queue):
            huey_queue.revoke_by_id(task.id)

    def scored() -> bool:
        row = TrendingScore.objects.filter(paper=paper).first()
        return row is not None and row.score is not None

    output = run_worker_until(scored)

    row = TrendingScore.objects.filter(paper=paper).first()
    assert row is not None and row.score is not None, output
    assert pending_trending_jobs(huey_queue) == []
    assert "refresh_trending_scores" in output
    assert f"queue {settings.DATA_DIR / 'huey.sqlite3'}" in output


def test_the_worker_refuses_to_start_when_jobs_run_inline(settings):
    settings.HUEY = {**settings.HUEY, "immediate": True}

    with pytest.raises(CommandError, match="DAILYPAPERS_HUEY_IMMEDIATE is on"):
        call_command("worker")
