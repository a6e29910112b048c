"""Reads of the community app: who voted for what, the trending order, and why a paper trends.

The trending page, ``/api/daily_papers?sort=trending``, the trending feed and ``dailypapers
trending show`` all order papers through ``order_by_trending``, so they rank alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Count, F, QuerySet

from dailypapers.community.models import TrendingScore, Vote
from dailypapers.papers.models import Paper
from dailypapers.papers.queries import query_papers
from dailypapers.ranking import trending

# Papers without a score (no votes, no stars) come last, newest arXiv id first.
TRENDING_ORDER = (F("trending__score").desc(nulls_last=True), "-upvotes", "-arxiv_id")


def order_by_trending(queryset: QuerySet[Paper]) -> QuerySet[Paper]:
    return queryset.order_by(*TRENDING_ORDER)


def query_trending() -> QuerySet[Paper]:
    """Every paper with a trending score, hottest first (authors prefetched, as for the feed)."""
    return order_by_trending(query_papers().filter(trending__score__isnull=False))


def get_voted_paper_ids(user, paper_ids: Iterable[int]) -> set[int]:
    """Which of ``paper_ids`` the user has upvoted (nothing for an anonymous user). One query."""
    ids = list(paper_ids)
    if user is None or not user.is_authenticated or not ids:
        return set()
    return set(
        Vote.objects.filter(user_id=user.pk, paper_id__in=ids).values_list("paper_id", flat=True)
    )


def has_voted(user, paper_id: int) -> bool:
    return bool(get_voted_paper_ids(user, [paper_id]))


def explain_papers(papers: Iterable[Paper], *, now: dt.datetime) -> dict[int, trending.Explanation]:
    """Why each paper trends: recent local votes, imported upvotes and their date, age, stars.

    Two queries for a whole page, whatever its size. ``daily`` should be select_related.
    """
    papers = list(papers)
    ids = [paper.pk for paper in papers]
    since = now - dt.timedelta(days=trending.RECENT_DAYS)
    recent = dict(
        Vote.objects.filter(paper_id__in=ids, created__gte=since)
        .values("paper_id")
        .annotate(n=Count("pk"))
        .values_list("paper_id", "n")
    )
    scores = {
        row[0]: row[1:]
        for row in TrendingScore.objects.filter(paper_id__in=ids).values_list(
            "paper_id", "score", "stars_first_seen"
        )
    }
    result = {}
    for paper in papers:
        score, first_seen = scores.get(paper.pk, (None, None))
        entry = getattr(paper, "daily", None)
        day = entry.date if entry else (paper.published_at.date() if paper.published_at else None)
        result[paper.pk] = trending.explain(
            score_log=score,
            now=now,
            half_life_hours=settings.TRENDING_HALF_LIFE_HOURS,
            recent_local_votes=recent.get(paper.pk, 0),
            local_votes=paper.local_upvotes,
            imported_upvotes=paper.imported_upvotes,
            feed_date=day,
            stars=paper.github_stars,
            stars_first_seen=first_seen,
        )
    return result
