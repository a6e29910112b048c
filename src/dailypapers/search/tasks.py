"""huey jobs of the search feature. They take ids, never model instances.

* ``index_changed_papers(paper_ids)``: enqueued by ``search.receivers`` when ``papers_changed``
  fires, i.e. after the transaction that imported or changed the papers has committed. It brings
  those papers up to date in both indexes (``indexing.index_papers``: unchanged text is skipped
  without touching the model, a deleted paper is removed). While another process holds the writer
  lock (a rebuild, ``dailypapers index update``) the job waits and tries again, without limit:
  a rebuild reads the list of papers when it starts, so it may not include papers imported
  meanwhile, and dropping the job would leave them unsearchable.
* ``bring_index_up_to_date``: enqueued by ``dailypapers demo`` after it imports the demo corpus,
  so the worker started beside the site makes it searchable in the background.
* ``update_search_index``: once a day, ``indexing.update_index``: a safety net for papers whose
  job was lost (the queue wiped, every retry failed) and for deleted papers (deletions send no
  signal).
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task
from huey.exceptions import RetryTask

from dailypapers.search import indexing

log = logging.getLogger(__name__)

# A writer (a rebuild of 75,000 papers) may hold the lock for half an hour: poll every half minute.
BUSY_RETRY_SECONDS = 30


@db_task(retries=5, retry_delay=60)
def index_changed_papers(paper_ids: list[int]) -> None:
    try:
        report = indexing.index_papers(paper_ids)
    except indexing.IndexBusy:
        # RetryTask does not use up one of the ``retries``: waiting for a writer is not a failure.
        raise RetryTask(delay=BUSY_RETRY_SECONDS) from None
    log.info("search index: %s", report.summary())


@db_task(retries=3, retry_delay=60)
def bring_index_up_to_date() -> None:
    try:
        report = indexing.update_index()
    except indexing.IndexBusy:
        raise RetryTask(delay=BUSY_RETRY_SECONDS) from None
    log.info("search index update: %s", report.summary())


@db_periodic_task(crontab(hour="3", minute="40"))
def update_search_index() -> None:
    try:
        report = indexing.update_index()
    except indexing.IndexBusy:
        log.info("search index: another process is indexing; skipping today's update")
        return
    log.info("search index update: %s", report.summary())
