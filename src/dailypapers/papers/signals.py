"""``papers_changed``: sent after a transaction that created or changed papers has committed.

Receivers (the search indexer, the feed cache) get the primary keys; they never see a paper that
a rolled-back transaction wrote. ``text_changed`` says whether what search indexes (title, abstract,
authors, organization, categories, dates, links) may have changed: a vote or a comment changes
counts only, so the feed caches are renewed but no indexing job is queued.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.dispatch import Signal

papers_changed = Signal()  # sender=None, paper_ids=list[int], text_changed=bool

FEED_GENERATION_KEY = "feed-generation"


def _generation_file() -> Path:
    return Path(settings.DATA_DIR) / "feed-generation"


def feed_generation() -> str:
    """A token that changes whenever papers change; part of every cached feed key.

    Two parts, because caches are per process or shared: a token in a file under the data
    directory (every process on this host sees an import made by any other, e.g. the CLI while
    gunicorn serves from its per-process memory cache), and a counter in the cache (every host
    that shares a Redis cache sees it).
    """
    try:
        token = _generation_file().read_text()
    except OSError:
        token = "0"
    counter = cache.get(FEED_GENERATION_KEY)
    if counter is None:
        cache.add(FEED_GENERATION_KEY, 1, timeout=None)
        counter = cache.get(FEED_GENERATION_KEY, 1)
    return f"{token}.{counter}"


def _bump_feed_generation() -> None:
    path = _generation_file()
    temporary = path.with_name(f"{path.name}.{uuid.uuid4().hex}")
    temporary.write_text(uuid.uuid4().hex)
    os.replace(temporary, path)  # atomic: readers see the old token or the new, never half
    try:
        cache.incr(FEED_GENERATION_KEY)
    except ValueError:
        cache.set(FEED_GENERATION_KEY, 2, timeout=None)


def announce_papers_changed(paper_ids: Iterable[int], *, text_changed: bool = True) -> None:
    ids = list(paper_ids)

    def send() -> None:
        _bump_feed_generation()
        papers_changed.send(sender=None, paper_ids=ids, text_changed=text_changed)

    transaction.on_commit(send)
