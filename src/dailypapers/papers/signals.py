"""``papers_changed``: sent after a transaction that created or changed papers has committed.

Receivers (the search indexer, the feed cache) get the primary keys; they never see a paper that
a rolled-back transaction wrote.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction
from django.dispatch import Signal

papers_changed = Signal()  # sender=None, paper_ids=list[int]

FEED_GENERATION_KEY = "feed-generation"


def feed_generation() -> int:
    """A number that changes whenever papers change; part of every cached feed key."""
    value = cache.get(FEED_GENERATION_KEY)
    if value is None:
        cache.add(FEED_GENERATION_KEY, 1, timeout=None)
        value = cache.get(FEED_GENERATION_KEY, 1)
    return int(value)


def _bump_feed_generation() -> None:
    try:
        cache.incr(FEED_GENERATION_KEY)
    except ValueError:
        cache.set(FEED_GENERATION_KEY, 2, timeout=None)


def announce_papers_changed(paper_ids: Iterable[int]) -> None:
    ids = list(paper_ids)

    def send() -> None:
        _bump_feed_generation()
        papers_changed.send(sender=None, paper_ids=ids)

    transaction.on_commit(send)
