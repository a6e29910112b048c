"""HTML views: the daily/weekly/monthly feed, the paper page, author and organization pages.

Views are thin: they parse the URL, read through ``papers.queries`` (the same reads the JSON API
uses), wrap the results in the view models of ``web.contexts`` and render. A bad date, week, month,
page number or unknown name is a friendly 404 page, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from dailypapers.community.queries import explain_papers, get_voted_paper_ids, query_trending
from dailypapers.papers.models import Paper
from dailypapers.papers.queries import (
    InvalidPeriod,
    Period,
    PeriodKind,
    get_author,
    get_latest_day_in,
    get_latest_period,
    get_merged_target,
    get_neighbour_periods,
    get_organization,
    get_paper,
    parse_day,
    parse_month,
    parse_week,
    query_author_papers,
    query_feed,
    query_organization_papers,
    rank_badges,
)
from dailypapers.ranking.trending import Explanation
from dailypapers.web.caching import cache_page_for_anonymous
from dailypapers.web.contexts import (
    BadgeView,
    FeedView,
    PaperCard,
    PaperDetail,
    build_tabs,
    image_url,
    period_url,
)
from dailypapers.web.search_views import render_filtered_feed, similar_papers_for

# Days hold at most ~50 papers, so a day is one page; long weeks and months (300+) get more pages,
# and with JavaScript the "Show more" link appends the next page in place (htmx).
PAGE_SIZE = 50


def not_found(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "404.html", {"message": message}, status=404)


def voted_ids(request: HttpRequest, papers: list[Paper]) -> set[int]:
    """Which of the page's papers the signed-in user upvoted (one query; none when anonymous)."""
    return get_voted_paper_ids(request.user, [paper.pk for paper in papers])


def paginate(request: HttpRequest, queryset: QuerySet[Paper]) -> Page:
    # get_page() turns "?page=abc" or "?page=999" into a real page instead of an error.
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def feed_view(period: Period, cards: list[PaperCard], total: int, *, canonical: bool) -> FeedView:
    previous, following = get_neighbour_periods(period)
    anchor = period.start if period.kind == "day" else (get_latest_day_in(period) or period.start)
    return FeedView(
        period=period,
        cards=cards,
        total=total,
        previous_url=period_url(previous) if previous else "",
        previous_label=previous.label if previous else "",
        next_url=period_url(following) if following else "",
        next_label=following.label if following else "",
        tabs=build_tabs(period, anchor),
        canonical_url="" if canonical else period_url(period),
    )


def render_feed(request: HttpRequest, period: Period | None, *, canonical: bool) -> HttpResponse:
    if period is None:
        view = FeedView(period=None, cards=[], total=0)
        return render(request, "papers/feed.html", {"feed": view, "page_obj": None})
    query = request.GET.get("q", "")
    if query.strip():
        # ?q= filters this day, week or month (search_views: the same search as /search).
        return render_filtered_feed(request, feed_view(period, [], 0, canonical=False), query)
    page = paginate(request, query_feed(period))
    papers = list(page.object_list)
    badges = rank_badges(papers, period.kind) if page.number == 1 else {}
    cards = [
        PaperCard(paper, BadgeView.of(badges[paper.pk]) if paper.pk in badges else None)
        for paper in papers
    ]
    view = feed_view(period, cards, page.paginator.count, canonical=canonical)
    return render(
        request,
        "papers/feed.html",
        {"feed": view, "page_obj": page, "voted_paper_ids": voted_ids(request, papers)},
    )


@cache_page_for_anonymous
def feed_latest(request: HttpRequest, kind: PeriodKind = "day") -> HttpResponse:
    """``/papers`` (and ``/``): the latest day that has papers; ``/papers/week``, ``/papers/month``."""
    return render_feed(request, get_latest_period(kind), canonical=False)


def _period_view(parse: Callable[[str], Period]) -> Callable[[HttpRequest, str], HttpResponse]:
    @cache_page_for_anonymous
    def view(request: HttpRequest, value: str) -> HttpResponse:
        try:
            period = parse(value)
        except InvalidPeriod as exc:
            return not_found(request, str(exc))
        return render_feed(request, period, canonical=True)

    return view


feed_day = _period_view(parse_day)
feed_week = _period_view(parse_week)
feed_month = _period_view(parse_month)


@cache_page_for_anonymous
def paper_detail(request: HttpRequest, arxiv_id: str, version: str | None = None) -> HttpResponse:
    if version is not None:
        # /papers/2405.15738v2 -> the paper's one page (we keep the latest version only).
        return redirect("papers.detail", arxiv_id, permanent=True)
    paper = get_paper(arxiv_id)
    if paper is None:
        # A duplicate a moderator merged into another paper: its page is the other's now.
        target = get_merged_target(arxiv_id)
        if target is not None:
            return redirect(target.get_absolute_url(), permanent=True)
        return not_found(request, f"There is no paper {arxiv_id} here (yet).")
    return render(
        request,
        "papers/detail.html",
        {
            "detail": PaperDetail(paper),
            "voted_paper_ids": voted_ids(request, [paper]),
            "similar_papers": similar_papers_for(paper),
        },
    )


def _paper_list_page(
    request: HttpRequest, template: str, queryset: QuerySet[Paper], context: dict
) -> HttpResponse:
    page = paginate(request, queryset)
    cards = [PaperCard(paper) for paper in page.object_list]
    return render(
        request,
        template,
        {
            **context,
            "cards": cards,
            "page_obj": page,
            "total": page.paginator.count,
            "voted_paper_ids": voted_ids(request, [card.paper for card in cards]),
        },
    )


@cache_page_for_anonymous
def organization_detail(request: HttpRequest, name: str) -> HttpResponse:
    organization = get_organization(name)
    if organization is None:
        return not_found(request, "There is no organization of that name here.")
    return _paper_list_page(
        request,
        "orgs/detail.html",
        query_organization_papers(organization),
        {"organization": organization, "org_avatar": image_url(organization.avatar_url)},
    )


@cache_page_for_anonymous
def author_detail(request: HttpRequest, name: str) -> HttpResponse:
    author = get_author(name)
    if author is None:
        return not_found(request, "There is no author of that name here.")
    return _paper_list_page(
        request, "authors/detail.html", query_author_papers(author.name), {"author": author}
    )


@dataclass
class TrendingCard(PaperCard):
    """A card on the trending page, with why the paper is there."""

    why: Explanation | None = None


@cache_page_for_anonymous
def trending(request: HttpRequest) -> HttpResponse:
    """``/papers/trending``: papers by trending score (``community.queries``), with the reasons."""
    page = paginate(request, query_trending())
    papers = list(page.object_list)
    why = explain_papers(papers, now=timezone.now())
    cards = [TrendingCard(paper, why=why[paper.pk]) for paper in papers]
    return render(
        request,
        "papers/trending.html",
        {
            "cards": cards,
            "page_obj": page,
            "total": page.paginator.count,
            "half_life_hours": settings.TRENDING_HALF_LIFE_HOURS,
            "voted_paper_ids": voted_ids(request, papers),
        },
    )


@cache_page_for_anonymous
def trending_formula(request: HttpRequest) -> HttpResponse:
    """``/papers/trending/formula``: how the trending score is computed, with this site's settings."""
    return render(
        request,
        "papers/trending_formula.html",
        {
            "half_life_hours": settings.TRENDING_HALF_LIFE_HOURS,
            "interval_minutes": settings.TRENDING_INTERVAL_MINUTES,
        },
    )
