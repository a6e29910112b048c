"""Fixtures of the community tests: users, and a background-job queue of the test's own.

Jobs go to the real queue (the SQLite file in the data directory), emptied before and after each
test, and run only when a test asks: ``run_trending_jobs`` executes the queued trending refreshes
in the test's process, as the worker would. Other apps' jobs (search indexing, queued by the same
``papers_changed`` a vote sends) are left alone.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth import get_user_model

_users = itertools.count(1)


def make_user(name: str | None = None):
    """A user without a usable password (hashing argon2 for 50 voters would be most of a test)."""
    name = name or f"voter{next(_users)}"
    return get_user_model().objects.create_user(
        username=name, email=f"{name}@example.org", password=None
    )


@pytest.fixture(autouse=True)
def huey_queue() -> Iterator[object]:
    from huey.contrib.djhuey import HUEY

    previous = HUEY.immediate
    HUEY.immediate = False
    HUEY.flush()
    yield HUEY
    HUEY.flush()
    HUEY.immediate = previous


def pending_trending_jobs(huey) -> list:
    return [task for task in huey.pending() if task.name.endswith("refresh_trending_scores")]


@pytest.fixture
def run_trending_jobs(huey_queue) -> Callable[[], int]:
    """Run the queued trending refreshes now (as ``dailypapers worker`` would); return how many."""

    from dailypapers.community.tasks import refresh_trending_scores

    def run() -> int:
        jobs = pending_trending_jobs(huey_queue)
        for job in jobs:
            # The job's own function, without the worker's connection handling, which would close
            # the test's connection (and its transaction) under it.
            refresh_trending_scores.call_local(*job.args, **job.kwargs)
        return len(jobs)

    return run
