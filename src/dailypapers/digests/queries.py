"""Reads of the digests feature: which period a run covers, who is due, and what a recorded digest
shows (its papers in one query set, whatever the number of items)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from typing import Literal

from django.db.models import Prefetch

from dailypapers.digests.models import Digest, Subscriber
from dailypapers.papers.models import DailyEntry, Paper, PaperAuthor
from dailypapers.papers.queries import Period, period_of

Frequency = Literal["daily", "weekly"]
WEEKLY_DAY = 0  # weekly digests go out on Mondays (local time), covering the week before


def get_digest_period(frequency: Frequency, *, today: dt.date | None = None) -> Period | None:
    """The period a digest sent ``today`` (UTC) covers, or None when the feed is empty.

    Daily: the latest feed day up to today. Weekly: the latest ISO week that has ended before
    today's week and holds papers. The outbox's unique (subscriber, period) keeps a later run of
    the same period from sending twice.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    if frequency == "daily":
        latest = (
            DailyEntry.objects.filter(date__lte=today)
            .order_by("-date")
            .values_list("date", flat=True)
        ).first()
        return period_of("day", latest) if latest else None
    this_monday = today - dt.timedelta(days=today.weekday())
    latest = (
        DailyEntry.objects.filter(date__lt=this_monday)
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )
    return period_of("week", latest) if latest else None


def _local_now(now: dt.datetime, time_zone: str) -> dt.datetime:
    try:
        return now.astimezone(zoneinfo.ZoneInfo(time_zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return now.astimezone(dt.UTC)


def query_due_subscriber_ids(frequency: Frequency, *, at: dt.datetime | None = None) -> list[int]:
    """Active subscribers of ``frequency``; with ``at``, only those whose chosen local hour it is
    (and, for weekly ones, whose local day is Monday)."""
    rows = Subscriber.objects.filter(status=Subscriber.Status.ACTIVE, frequency=frequency)
    if at is None:
        return list(rows.order_by("pk").values_list("pk", flat=True))
    due = []
    for pk, hour, time_zone in rows.order_by("pk").values_list("pk", "hour", "time_zone"):
        local = _local_now(at, time_zone)
        if local.hour == hour and (frequency == "daily" or local.weekday() == WEEKLY_DAY):
            due.append(pk)
    return due


def query_outbox(key: str, *, retry_failed: bool = True) -> list[int]:
    """Ids of the period's digests still to send, oldest first."""
    statuses = [Digest.Status.PENDING] + ([Digest.Status.FAILED] if retry_failed else [])
    return list(
        Digest.objects.filter(period=key, status__in=statuses)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def get_papers_for(paper_ids: Sequence[int]) -> dict[int, Paper]:
    authorships = Prefetch(
        "authorships", queryset=PaperAuthor.objects.select_related("author").order_by("position")
    )
    # A paper moderators hid after the digest was composed is left out of it.
    papers = Paper.objects.filter(pk__in=list(paper_ids), hidden=False).prefetch_related(
        authorships
    )
    return {paper.pk: paper for paper in papers}


def get_subscriber_by_email(email: str) -> Subscriber | None:
    return Subscriber.objects.filter(email__iexact=(email or "").strip()).first()


def period_from_key(key: str) -> Period:
    """``day:2025-03-14`` / ``week:2025-W11`` -> the period (``InvalidPeriod`` when malformed)."""
    from dailypapers.papers.queries import InvalidPeriod, parse_day, parse_week

    kind, _, slug = (key or "").partition(":")
    if kind == "day":
        return parse_day(slug)
    if kind == "week":
        return parse_week(slug)
    raise InvalidPeriod(f"unknown digest period {key[:40]!r}")
