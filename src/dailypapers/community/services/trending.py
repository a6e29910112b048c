"""Stores trending scores (``TrendingScore``) computed by ``ranking.trending`` from the database.

``recompute_trending_scores()`` recomputes every paper (the worker's periodic job and
``dailypapers trending recompute``); ``recompute_trending_scores(ids)`` only those papers (after a
vote). Both read local votes as epoch seconds straight from SQL and combine them with numpy, so a
million votes take seconds, not minutes. GitHub star growth is history that no other table holds:
each recompute compares a paper's stars with the count it saw last time and folds the gain in.

Recomputes take a lock (huey's, shared by the worker and the command line): a full recompute that
read the votes a second ago must not overwrite a per-paper refresh that read them since.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from huey.exceptions import TaskLockedException

from dailypapers.community.models import TrendingScore, Vote
from dailypapers.papers.models import Paper
from dailypapers.ranking import trending

LOCK_NAME = "trending-scores"
WRITE_BATCH = 2000
ID_CHUNK = 5000  # stays far below SQLite's bound-variable limit
EPOCH_SECONDS = trending.EPOCH.timestamp()


class TrendingBusy(RuntimeError):
    """Another recompute holds the lock."""


@dataclass
class RecomputeStats:
    papers: int = 0
    votes: int = 0
    scored: int = 0
    written: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.papers:,} papers, {self.votes:,} votes read; {self.scored:,} papers have a "
            f"score; {self.written:,} rows written in {self.seconds:.1f} s"
        )


# Created at import, so the worker (which flushes its locks when it starts) knows this one: a
# process killed while holding it cannot block recomputes past the next worker start.
_LOCK = HUEY.lock_task(LOCK_NAME)


def release_trending_lock() -> bool:
    """Drop the lock whoever holds it (``trending recompute --force``); True if it was held."""
    return bool(HUEY.flush_locks(LOCK_NAME))


@contextmanager
def trending_lock(wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the recompute lock; wait up to ``wait_seconds`` for it, then raise ``TrendingBusy``."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            with _LOCK:
                yield
            return
        except TaskLockedException:
            if time.monotonic() >= deadline:
                raise TrendingBusy("another trending recompute is running") from None
            time.sleep(0.2)


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), ID_CHUNK):
        yield ids[start : start + ID_CHUNK]


def _vote_times(paper_ids: Sequence[int] | None) -> tuple[np.ndarray, np.ndarray]:
    """(paper ids, seconds since 1970) of every local vote, or of those papers' votes."""
    table = Vote._meta.db_table
    if connection.vendor == "sqlite":
        seconds = "(julianday(created) - 2440587.5) * 86400.0"
    else:
        seconds = "EXTRACT(EPOCH FROM created)::float8"
    queries: list[tuple[str, list[int]]] = []
    if paper_ids is None:
        queries.append((f"SELECT paper_id, {seconds} FROM {table}", []))
    else:
        for chunk in _chunks(list(paper_ids)):
            marks = ", ".join(["%s"] * len(chunk))
            sql = f"SELECT paper_id, {seconds} FROM {table} WHERE paper_id IN ({marks})"
            queries.append((sql, list(chunk)))
    ids: list[np.ndarray] = []
    times: list[np.ndarray] = []
    with connection.cursor() as cursor:
        for sql, params in queries:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(100_000):
                block = np.array(rows, dtype=np.float64)
                ids.append(block[:, 0].astype(np.int64))
                times.append(block[:, 1])
    if not ids:
        return np.array([], dtype=np.int64), np.array([], dtype=np.float64)
    return np.concatenate(ids), np.concatenate(times)


def _feed_time(
    day: dt.date | None, submitted: dt.datetime | None, published: dt.datetime | None
) -> dt.datetime | None:
    """When imported upvotes count: the paper's entry into the daily list, else its arXiv date."""
    if day is not None:
        if submitted is not None and submitted.date() == day:
            return submitted
        return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    return published


def recompute_trending_scores(
    paper_ids: Sequence[int] | None = None,
    *,
    now: dt.datetime | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
    lock_wait_seconds: float = 0.0,
) -> RecomputeStats:
    """Recompute and store the trending scores of ``paper_ids`` (every paper when None).

    ``on_progress(stage, done, total)`` is told how far the read and the write are.
    """
    with trending_lock(lock_wait_seconds):
        return _recompute(paper_ids, now or timezone.now(), on_progress or (lambda *a: None))


def _recompute(
    paper_ids: Sequence[int] | None,
    now: dt.datetime,
    on_progress: Callable[[str, int, int], None],
) -> RecomputeStats:
    started = time.perf_counter()
    half_life = settings.TRENDING_HALF_LIFE_HOURS
    stats = RecomputeStats()
    fields = (
        "pk",
        "imported_upvotes",
        "github_stars",
        "daily__date",
        "daily__submitted_at",
        "published_at",
    )
    if paper_ids is None:
        papers = list(Paper.objects.order_by("pk").values_list(*fields))
    else:
        papers = []
        for chunk in _chunks(sorted(set(paper_ids))):
            papers += Paper.objects.filter(pk__in=chunk).order_by("pk").values_list(*fields)
        papers.sort()
    stats.papers = len(papers)
    on_progress("papers", stats.papers, stats.papers)
    if not papers:
        stats.seconds = time.perf_counter() - started
        return stats
    pks = np.array([row[0] for row in papers], dtype=np.int64)

    vote_papers, vote_seconds = _vote_times(None if paper_ids is None else pks.tolist())
    stats.votes = len(vote_papers)
    on_progress("votes", stats.votes, stats.votes)
    # Votes of papers deleted since the read cannot be placed: drop them.
    slots = np.searchsorted(pks, vote_papers)
    known = (slots < len(pks)) & (pks[np.minimum(slots, len(pks) - 1)] == vote_papers)
    vote_logs = ((vote_seconds[known] - EPOCH_SECONDS) / 3600.0) / half_life
    local = trending.grouped_score_logs(slots[known], vote_logs, len(pks))

    existing = {
        row[0]: row[1:]
        for chunk in _chunks(pks.tolist())
        for row in TrendingScore.objects.filter(paper_id__in=chunk).values_list(
            "paper_id", "star_log", "stars_seen", "stars_first_seen", "stars_first_seen_at"
        )
    }
    rows: list[tuple] = []
    for index, (pk, imported, stars, day, submitted, published) in enumerate(papers):
        star_log, stars_seen, first_seen, first_seen_at = existing.get(pk, (None, None, None, None))
        star_log, stars_seen = trending.add_star_growth(star_log, stars_seen, stars, now, half_life)
        if first_seen is None and stars is not None:
            first_seen, first_seen_at = stars, now
        feed_time = _feed_time(day, submitted, published)
        imported_log = (
            trending.event_log(feed_time, imported, half_life)
            if imported > 0 and feed_time is not None
            else None
        )
        local_log = float(local[index]) if math.isfinite(local[index]) else None
        score = trending.combine_logs([local_log, imported_log, star_log])
        if score is None and stars_seen is None and pk not in existing:
            continue
        stats.scored += score is not None
        rows.append((pk, score, star_log, stars_seen, first_seen, first_seen_at))
    _write(rows, now, stats, on_progress)
    stats.seconds = time.perf_counter() - started
    return stats


UPSERT_COLUMNS = (
    "score",
    "star_log",
    "stars_seen",
    "stars_first_seen",
    "stars_first_seen_at",
    "computed_at",
)


def _write(
    rows: list[tuple],
    now: dt.datetime,
    stats: RecomputeStats,
    on_progress: Callable[[str, int, int], None],
) -> None:
    """Upsert ``(paper id, score, star_log, stars_seen, first seen, first seen at)`` rows.

    Plain ``INSERT ... ON CONFLICT DO UPDATE`` (SQLite and PostgreSQL alike) with executemany:
    building 75,000 model instances for ``bulk_create`` took most of a full recompute.
    """
    adapt = connection.ops.adapt_datetimefield_value
    computed_at = adapt(now)
    table = TrendingScore._meta.db_table
    columns = ", ".join(UPSERT_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in UPSERT_COLUMNS)
    sql = (
        f"INSERT INTO {table} (paper_id, {columns}) VALUES (%s, %s, %s, %s, %s, %s, %s) "
        f"ON CONFLICT (paper_id) DO UPDATE SET {updates}"
    )
    # One transaction per batch: votes (which need the write lock on SQLite) slip in between.
    for start in range(0, len(rows), WRITE_BATCH):
        batch = [
            (pk, score, star_log, seen, first, adapt(first_at) if first_at else None, computed_at)
            for pk, score, star_log, seen, first, first_at in rows[start : start + WRITE_BATCH]
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, batch)
        stats.written += len(batch)
        on_progress("write", stats.written, len(rows))
