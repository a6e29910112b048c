"""huey jobs of the community app. They take ids, never model instances.

* ``refresh_trending_scores(paper_ids)``: after a vote commits (``services.votes``), recompute those
  papers' scores. Retried when a full recompute holds the lock.
* ``recompute_all_trending_scores``: every ``DAILYPAPERS_TRENDING_INTERVAL_MINUTES``, recompute every
  paper, taking in imported upvotes, new papers and GitHub star growth.
"""

from __future__ import annotations

import logging

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from dailypapers.community.services.trending import TrendingBusy, recompute_trending_scores

log = logging.getLogger(__name__)


@db_task(retries=20, retry_delay=3)
def refresh_trending_scores(paper_ids: list[int]) -> None:
    # TrendingBusy makes huey retry the task later (a full recompute is running).
    recompute_trending_scores(paper_ids, lock_wait_seconds=2)


@db_periodic_task(crontab(minute=f"*/{settings.TRENDING_INTERVAL_MINUTES}"))
def recompute_all_trending_scores() -> None:
    try:
        stats = recompute_trending_scores(lock_wait_seconds=60)
    except TrendingBusy:
        log.info("trending: a recompute is already running; skipping this one")
        return
    log.info("trending: %s", stats.summary())
