"""Reads: the daily/weekly/monthly feed, neighbours for navigation, paper/author/organization pages.

The web pages, the JSON API and feeds all read through these functions, so they rank alike.
Papers a moderator hid (``Paper.hidden``) are left out of every read here: lists, counts, ranks,
navigation and the paper itself (``visible_papers``, ``visible_entries``).
Periods use Hugging Face's URL scheme: ``2025-03-14``, ``2025-W11`` (ISO week), ``2025-03``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from django.db.models import F, Max, Min, Prefetch, Q, QuerySet

from dailypapers.papers.models import Author, DailyEntry, Organization, Paper, PaperAuthor

PeriodKind = Literal["day", "week", "month"]
WEEK_PATTERN = re.compile(r"^(\d{4})-W(\d{1,2})$")
MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{1,2})$")
DAY_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class InvalidPeriod(ValueError):
    """A date/week/month string that does not name a real period."""


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    start: dt.date
    end: dt.date  # inclusive

    @property
    def slug(self) -> str:
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.year}-{self.start.month:02d}"

    @property
    def label(self) -> str:
        if self.kind == "day":
            return self.start.strftime("%b %-d, %Y")
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"Week {week}, {year} ({self.start:%b %-d} – {self.end:%b %-d})"
        return self.start.strftime("%B %Y")

    @property
    def noun(self) -> str:
        return self.kind

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def shifted_to(self, day: dt.date) -> Period:
        """The period of the same kind that contains ``day``."""
        return period_of(self.kind, day)


def period_of(kind: PeriodKind, day: dt.date) -> Period:
    if kind == "day":
        return Period("day", day, day)
    if kind == "week":
        start = day - dt.timedelta(days=day.weekday())
        return Period("week", start, start + dt.timedelta(days=6))
    last = calendar.monthrange(day.year, day.month)[1]
    return Period("month", day.replace(day=1), day.replace(day=last))


def parse_day(value: str) -> Period:
    if not DAY_PATTERN.match(value or ""):
        raise InvalidPeriod(f"date must be YYYY-MM-DD, got {value[:40]!r}")
    try:
        return period_of("day", dt.date.fromisoformat(value))
    except ValueError:
        raise InvalidPeriod(f"no such date: {value!r}") from None


def parse_week(value: str) -> Period:
    match = WEEK_PATTERN.match(value or "")
    if not match:
        raise InvalidPeriod(f"week must be YYYY-Www (ISO week), got {value[:40]!r}")
    try:
        monday = dt.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
        return period_of("week", monday)
    # OverflowError: the last ISO week of 9999 ends after 9999-12-31.
    except (ValueError, OverflowError):
        raise InvalidPeriod(f"no such ISO week: {value!r}") from None


def parse_month(value: str) -> Period:
    match = MONTH_PATTERN.match(value or "")
    if not match:
        raise InvalidPeriod(f"month must be YYYY-MM, got {value[:40]!r}")
    year, month = int(match.group(1)), int(match.group(2))
    if not (1 <= month <= 12 and 1 <= year <= 9999):
        raise InvalidPeriod(f"no such month: {value!r}")
    return period_of("month", dt.date(year, month, 1))


def visible_papers() -> QuerySet[Paper]:
    """Every paper a moderator has not hidden: where each read of papers starts."""
    return Paper.objects.filter(hidden=False)


def visible_entries() -> QuerySet[DailyEntry]:
    """Daily entries of papers that are not hidden (a day of hidden papers only is an empty day)."""
    return DailyEntry.objects.filter(paper__hidden=False)


def get_latest_feed_date() -> dt.date | None:
    return visible_entries().aggregate(latest=Max("date"))["latest"]


def get_latest_day_in(period: Period) -> dt.date | None:
    """The last day within ``period`` that holds papers (where a "Daily" tab should land)."""
    return (
        visible_entries()
        .filter(date__gte=period.start, date__lte=period.end)
        .aggregate(latest=Max("date"))["latest"]
    )


def get_latest_period(kind: PeriodKind = "day") -> Period | None:
    latest = get_latest_feed_date()
    return period_of(kind, latest) if latest else None


def _with_authors(queryset: QuerySet[Paper]) -> QuerySet[Paper]:
    return queryset.select_related("organization", "daily").prefetch_related(
        Prefetch(
            "authorships",
            queryset=PaperAuthor.objects.select_related("author").order_by("position"),
        )
    )


# Ties break on the arXiv id (newer first): deterministic, and the same on SQLite and PostgreSQL.
RANKED_ORDER = ("-upvotes", "-arxiv_id")
NEWEST_ORDER = ("-daily__date", "-arxiv_id")


def query_feed(
    period: Period | None = None,
    *,
    sort: str = "upvotes",
    submitter: str | None = None,
) -> QuerySet[Paper]:
    """Papers that entered the daily feed in ``period`` (all when None), hidden ones excluded.

    ``sort``: ``upvotes`` (the feed's ranking), ``publishedAt`` (newest first, HF's API default).
    """
    queryset = visible_papers().filter(daily__isnull=False)
    if period is not None:
        queryset = queryset.filter(daily__date__gte=period.start, daily__date__lte=period.end)
    if submitter:
        queryset = queryset.filter(daily__submitter_name=submitter)
    order = NEWEST_ORDER if sort == "publishedAt" else RANKED_ORDER
    return _with_authors(queryset.order_by(*order))


def get_neighbour_periods(period: Period) -> tuple[Period | None, Period | None]:
    """The nearest earlier and later periods that hold papers; empty days are skipped."""
    dates = visible_entries().aggregate(
        before=Max("date", filter=Q(date__lt=period.start)),
        after=Min("date", filter=Q(date__gt=period.end)),
    )
    previous = period_of(period.kind, dates["before"]) if dates["before"] else None
    following = period_of(period.kind, dates["after"]) if dates["after"] else None
    return previous, following


def get_paper(arxiv_id: str) -> Paper | None:
    """The paper with this arXiv id; None when there is none or a moderator hid it."""
    return _with_authors(visible_papers().filter(arxiv_id=arxiv_id)).first()


def get_merged_target(arxiv_id: str) -> Paper | None:
    """The visible paper that the hidden duplicate ``arxiv_id`` was merged into, if any."""
    return (
        visible_papers()
        .filter(pk__in=Paper.objects.filter(arxiv_id=arxiv_id, hidden=True).values("merged_into"))
        .only("pk", "arxiv_id")
        .first()
    )


@dataclass(frozen=True)
class Badge:
    rank: int
    kind: PeriodKind
    period: Period

    @property
    def text(self) -> str:
        return f"#{self.rank} Paper of the {self.kind}"


def get_paper_badges(paper: Paper) -> list[Badge]:
    """``#1/#2/#3 Paper of the day/week/month`` for a paper, ranked as the feed ranks."""
    entry = getattr(paper, "daily", None)
    if entry is None:
        return []
    badges = []
    for kind in ("day", "week", "month"):
        period = period_of(kind, entry.date)  # type: ignore[arg-type]
        rank = 1 + _count_ranked_above(paper, period)
        if rank <= 3:
            badges.append(Badge(rank, kind, period))  # type: ignore[arg-type]
    return badges


def _count_ranked_above(paper: Paper, period: Period) -> int:
    ahead = Q(upvotes__gt=paper.upvotes) | Q(upvotes=paper.upvotes, arxiv_id__gt=paper.arxiv_id)
    in_period = Q(daily__date__gte=period.start, daily__date__lte=period.end)
    return visible_papers().filter(in_period & ahead).count()


def rank_badges(papers: list[Paper], kind: PeriodKind) -> dict[int, Badge]:
    """Badges for the top three of an already ranked feed page (first page of ``query_feed``)."""
    result = {}
    for index, paper in enumerate(papers[:3]):
        result[paper.pk] = Badge(index + 1, kind, period_of(kind, paper.daily.date))
    return result


def query_author_papers(name: str) -> QuerySet[Paper]:
    return (
        _with_authors(visible_papers().filter(authorships__author__name=name))
        .order_by("-published_at", "-arxiv_id")
        .distinct()
    )


def get_author(name: str) -> Author | None:
    return Author.objects.filter(name=name).first()


def get_organization(name: str) -> Organization | None:
    return Organization.objects.filter(name=name).first()


def query_organization_papers(organization: Organization) -> QuerySet[Paper]:
    return _with_authors(organization.papers.filter(hidden=False)).order_by("-upvotes", "-arxiv_id")


def query_papers() -> QuerySet[Paper]:
    """Every visible paper, in the feed or not, newest arXiv date first; undated ones come last."""
    return _with_authors(visible_papers()).order_by(
        F("published_at").desc(nulls_last=True), "-arxiv_id"
    )
