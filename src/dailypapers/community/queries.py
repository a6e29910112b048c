"""Reads of the community app: who voted for what, the trending order, why a paper trends, and
the discussion under a paper (``get_discussion``) and a user's comments (``query_user_comments``).

The trending page, ``/api/daily_papers?sort=trending``, the trending feed and ``dailypapers
trending show`` all order papers through ``order_by_trending``, so they rank alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, F, QuerySet

from dailypapers.community.models import Comment, TrendingScore, Vote
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


def author_name(comment: Comment) -> str:
    """How a comment's author is shown: the profile's display name, else the username."""
    user = comment.author
    if user is None:
        return ""
    profile = getattr(user, "profile", None)  # select_related; None for accounts without one
    return (profile.display_name if profile else "") or user.get_username()


@dataclass
class CommentItem:
    """One comment as the discussion shows it, with what the viewing user may do to it."""

    comment: Comment
    author_name: str
    author_username: str
    can_change: bool  # the viewer wrote it: edit and delete
    can_moderate: bool  # the viewer is a moderator: hide or show again
    replies: list[CommentItem] = field(default_factory=list)

    @property
    def shown(self) -> bool:
        return self.comment.visible


@dataclass
class Discussion:
    threads: list[CommentItem]
    count: int  # comments shown (not deleted, not hidden), replies included


def get_discussion(paper_id: int, viewer=None, *, moderator: bool = False) -> Discussion:
    """A paper's comments as threads, oldest first, replies under their comment. One query.

    A deleted or hidden comment stays as a placeholder while it has shown replies, and is left out
    otherwise; a deleted or hidden reply is left out.
    """
    viewer_id = viewer.pk if viewer is not None and viewer.is_authenticated else None
    comments = list(
        Comment.objects.filter(paper_id=paper_id)
        .select_related("author", "author__profile")
        .order_by("created", "pk")
    )

    def item(comment: Comment) -> CommentItem:
        return CommentItem(
            comment=comment,
            author_name=author_name(comment),
            author_username=comment.author.get_username() if comment.author else "",
            can_change=viewer_id is not None and comment.author_id == viewer_id,
            can_moderate=moderator,
        )

    threads: dict[int, CommentItem] = {}
    replies: list[Comment] = []
    for comment in comments:
        if comment.parent_id is None:
            threads[comment.pk] = item(comment)
        else:
            replies.append(comment)
    for reply in replies:
        thread = threads.get(reply.parent_id)  # type: ignore[arg-type]
        if thread is not None and reply.visible:
            thread.replies.append(item(reply))
    shown = [t for t in threads.values() if t.shown or t.replies]
    count = sum(1 for c in comments if c.visible)
    return Discussion(threads=shown, count=count)


def get_comment(comment_id: int) -> Comment | None:
    """A comment that is not deleted, with its paper (for pages about one comment)."""
    return (
        Comment.objects.filter(pk=comment_id, deleted=False)
        .select_related("paper", "author")
        .first()
    )


def query_user_comments(user) -> QuerySet[Comment]:
    """The user's shown comments on shown papers, newest first, with the paper's id and title."""
    return (
        Comment.objects.filter(author=user, deleted=False, hidden=False, paper__hidden=False)
        .select_related("paper")
        .only("body_html", "created", "edited_at", "paper__arxiv_id", "paper__title")
        .order_by("-created", "-pk")
    )
