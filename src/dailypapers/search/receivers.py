"""Keeps the search indexes following the catalogue: ``papers_changed`` -> an indexing job.

``papers_changed`` is sent once the transaction that wrote the papers has committed (a rolled-back
import sends nothing), so the job never reads rows that are not there yet. The job runs in
``dailypapers worker`` (or inline with ``DAILYPAPERS_HUEY_IMMEDIATE``); the web request or import
that changed the papers never waits for the embedding model.

Connected in ``SearchConfig.ready()``, so every process that can change papers (web, CLI imports,
the worker) sends the ids on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.dispatch import receiver

from dailypapers.papers.signals import papers_changed

log = logging.getLogger(__name__)

# Ids per job, as indexing.BATCH_SIZE: a failed job repeats at most one index commit's work.
IDS_PER_JOB = 1000


@receiver(papers_changed, dispatch_uid="search.index_changed_papers")
def enqueue_indexing(
    sender: object, paper_ids: Iterable[int], text_changed: bool = True, **kwargs: object
) -> None:
    if not text_changed:  # counts only (a vote, a comment): nothing search holds has changed
        return
    from dailypapers.search.tasks import index_changed_papers

    ids = sorted({int(pk) for pk in paper_ids})
    for start in range(0, len(ids), IDS_PER_JOB):
        chunk = ids[start : start + IDS_PER_JOB]
        try:
            index_changed_papers(chunk)
        except Exception:
            # The papers are committed; a queue that cannot be reached (Redis down) must not turn
            # a finished import into a failed one, nor stop the other receivers of the signal.
            log.exception(
                "search: could not queue indexing of %d papers (ids %s..); "
                "`dailypapers index update` will index them",
                len(chunk),
                chunk[:5],
            )
