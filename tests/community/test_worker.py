"""``dailypapers worker`` for real: a huey consumer in its own process, on the SQLite queue file,
runs the job that a committed vote queued."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from dailypapers.community.models import TrendingScore
from dailypapers.community.services.votes import upvote_paper
from tests.community.conftest import make_user, pending_trending_jobs
from tests.factories import make_paper

ROOT = Path(__file__).resolve().parents[2]


def database_url_of_the_test_database() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgresql://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_trending_job_a_vote_queued(huey_queue):
    paper = make_paper(upvotes=0)
    upvote_paper(make_user().pk, paper.pk)  # commits, then queues the refresh
    assert len(pending_trending_jobs(huey_queue)) == 1
    assert not TrendingScore.objects.filter(paper=paper).exists()
    for task in huey_queue.pending():  # other apps' jobs (search indexing) are not this test's
        if task not in pending_trending_jobs(huey_queue):
            huey_queue.revoke_by_id(task.id)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_")}
    environment.update(
        DAILYPAPERS_DATA_DIR=str(settings.DATA_DIR),
        DAILYPAPERS_DATABASE_URL=database_url_of_the_test_database(),
        DAILYPAPERS_SHARED_DATA_DIR=str(settings.SHARED_DATA_DIR),
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "dailypapers.cli", "worker", "--workers", "1", "--no-periodic"],
        env=environment,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and worker.poll() is None:
            row = TrendingScore.objects.filter(paper=paper).first()
            if row is not None and row.score is not None:
                break
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGINT)
        output, _ = worker.communicate(timeout=60)

    row = TrendingScore.objects.filter(paper=paper).first()
    assert row is not None and row.score is not None, output
    assert pending_trending_jobs(huey_queue) == []
    assert "refresh_trending_scores" in output
    assert f"queue {settings.DATA_DIR / 'huey.sqlite3'}" in output


def test_the_worker_refuses_to_start_when_jobs_run_inline(settings):
    settings.HUEY = {**settings.HUEY, "immediate": True}

    with pytest.raises(CommandError, match="DAILYPAPERS_HUEY_IMMEDIATE is on"):
        call_command("worker")
