"""The Hugging Face-compatible endpoints: ``/api/daily_papers``, ``/api/papers``, ``/api/papers/{id}``.

Thin views: they validate parameters, read through ``papers.queries`` (the same reads the web
pages use, so the API ranks exactly as the site does) and serialize with ``serializers``.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from dailypapers.api import serializers
from dailypapers.api.responses import ApiError, cached_json
from dailypapers.api.schemas import (
    ArxivIdParam,
    DailyPaperOut,
    DayParam,
    ErrorOut,
    MonthParam,
    PaperInfoOut,
    WeekParam,
    documented_string,
)
from dailypapers.community.queries import order_by_trending
from dailypapers.papers import queries
from dailypapers.papers.models import NEW_STYLE_ID, OLD_STYLE_ID

router = Router(tags=["Hugging Face compatible"])

MAX_LIMIT = 100
DEFAULT_LIMIT = 50
# Deep offsets cost a scan each; 10,000 pages of 100 is far beyond any real feed.
MAX_PAGE = 10_000
# No control characters: PostgreSQL refuses NUL in text outright, and no handle holds one.
SUBMITTER_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f]")
MAX_SUBMITTER = 150
SubmitterParam = Annotated[
    str | None,
    documented_string(maxLength=MAX_SUBMITTER, pattern=r"^[^\x00-\x1f\x7f]*$"),
]
PERIOD_PARSERS = {
    "date": queries.parse_day,
    "week": queries.parse_week,
    "month": queries.parse_month,
}
# "trending" orders by the stored trending scores, as /papers/trending does (community.queries).
FEED_SORTS = {"publishedAt": "publishedAt", "trending": "trending"}

Page = Query(0, ge=0, le=MAX_PAGE, description="Page number, from 0.")
Limit = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page (1..100).")
DayQuery = Query(None, description="A day, YYYY-MM-DD.")
WeekQuery = Query(None, description="An ISO week, YYYY-Www (2025-W09).")
MonthQuery = Query(None, description="A month, YYYY-MM.")
SubmitterQuery = Query(
    None, description="Only papers this user (a handle, up to 150 characters) submitted."
)


def _period(date: str | None, week: str | None, month: str | None) -> queries.Period | None:
    given = {
        name: value for name, value in (("date", date), ("week", week), ("month", month)) if value
    }
    if len(given) > 1:
        names = sorted(given)
        raise ApiError(
            400, f"use only one of date, week, month (got {', '.join(names)})", names[-1]
        )
    if not given:
        return None
    ((name, value),) = given.items()
    try:
        return PERIOD_PARSERS[name](value)
    except queries.InvalidPeriod as exc:
        raise ApiError(400, str(exc), name) from None


def _submitter(value: str | None) -> str | None:
    if not value:
        return None
    if len(value) > MAX_SUBMITTER or SUBMITTER_FORBIDDEN.search(value):
        raise ApiError(
            400,
            f"submitter must be a user handle: at most {MAX_SUBMITTER} characters, no control characters",
            "submitter",
        )
    return value


def _page(queryset, p: int, limit: int) -> list:
    return list(queryset[p * limit : (p + 1) * limit])


@router.get(
    "/daily_papers",
    response={200: list[DailyPaperOut], 400: ErrorOut},
    summary="Daily papers of a day, week or month",
    url_name="daily_papers",
    by_alias=True,
)
def daily_papers(
    request: HttpRequest,
    p: int = Page,
    limit: int = Limit,
    date: DayParam = DayQuery,
    week: WeekParam = WeekQuery,
    month: MonthParam = MonthQuery,
    submitter: SubmitterParam = SubmitterQuery,
    sort: Literal["publishedAt", "trending"] | None = Query(
        None,
        description="publishedAt: newest first. trending: by trending score (recent upvotes "
        "count more; see /papers/trending/formula). Default: by upvotes "
        "within a date/week/month, newest first without one.",
    ),
) -> HttpResponse:
    """Papers in the daily feed, as huggingface.co's ``/api/daily_papers``.

    At most one of ``date``, ``week``, ``month``; without any, the whole feed. Hidden keys are
    omitted as Hugging Face omits them.
    """
    period = _period(date, week, month)
    handle = _submitter(submitter)
    if sort is None:
        order = "upvotes" if period is not None else "publishedAt"
    else:
        order = FEED_SORTS[sort]

    def build() -> list[dict]:
        feed = queries.query_feed(period, sort=order, submitter=handle)
        if order == "trending":
            feed = order_by_trending(feed)
        return [serializers.daily_item_json(paper) for paper in _page(feed, p, limit)]

    key = (period, order, handle, p, limit)
    return cached_json(request, "daily_papers", key, build)


@router.get(
    "/papers",
    response={200: list[PaperInfoOut], 400: ErrorOut},
    summary="All papers, newest first",
    url_name="papers",
    by_alias=True,
)
def papers(request: HttpRequest, p: int = Page, limit: int = Limit) -> HttpResponse:
    """Every paper we hold (in the daily feed or not), newest arXiv date first, paginated."""

    def build() -> list[dict]:
        return [
            serializers.paper_info_json(paper) for paper in _page(queries.query_papers(), p, limit)
        ]

    return cached_json(request, "papers", (p, limit), build)


def _arxiv_id(raw: str) -> str:
    # The same patterns the catalogue stores ids with: anything else cannot be a paper of ours.
    for pattern in (NEW_STYLE_ID, OLD_STYLE_ID):
        match = pattern.match(raw)
        if match:
            return match.group("id")
    raise ApiError(400, "id must be an arXiv id such as 2405.15738 or hep-th/9901001", "id")


@router.get(
    "/papers/{path:paper_id}",
    response={200: PaperInfoOut, 400: ErrorOut, 404: ErrorOut},
    summary="One paper",
    url_name="paper",
    by_alias=True,
)
def paper_info(request: HttpRequest, paper_id: ArxivIdParam) -> HttpResponse:
    """A paper by arXiv id, as huggingface.co's ``/api/papers/{id}``. Old-style ids keep their
    slash (``/api/papers/hep-th/9901001``); a version suffix (``v2``) is ignored."""
    arxiv_id = _arxiv_id(paper_id)

    def build() -> dict:
        paper = queries.get_paper(arxiv_id)
        if paper is None:
            raise ApiError(404, f"paper {arxiv_id} not found")
        return serializers.paper_info_json(paper)

    return cached_json(request, "paper", (arxiv_id,), build)
