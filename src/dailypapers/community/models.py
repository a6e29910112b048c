"""Votes, the stored trending scores, submissions and comments.

A ``Vote`` is one user's upvote of one paper (unique per pair). ``Paper.local_upvotes`` counts
them and ``Paper.upvotes`` stays ``imported_upvotes + local_upvotes``; both are changed in the same
transaction as the vote row (``community.services``), so the counts are exact.

A ``TrendingScore`` holds a paper's time-invariant trending score (``ranking.trending``) and the
GitHub star history the score needs, which cannot be rebuilt from other tables.

A ``Comment`` is one message of a paper's discussion; its ``moderate`` permission is the moderator
role (``accounts.permissions.is_moderator``, the ``Moderators`` group made by migration 0004).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from dailypapers.papers.models import Paper


class Vote(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="votes"
    )
    # No separate index on paper: (paper, created) serves lookups by paper and recent counts.
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="votes", db_index=False)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "paper"], name="one_vote_per_user_and_paper")
        ]
        indexes = [models.Index(fields=["paper", "created"], name="vote_paper_created")]

    def __str__(self) -> str:
        return f"{self.user_id} upvoted {self.paper_id}"


class TrendingScore(models.Model):
    paper = models.OneToOneField(
        Paper, on_delete=models.CASCADE, primary_key=True, related_name="trending"
    )
    score = models.FloatField(
        null=True,
        db_index=True,
        help_text="log2 of the decayed vote sum at the epoch; higher ranks first; null: nothing.",
    )
    star_log = models.FloatField(null=True, help_text="The stars' part of the score (log2).")
    stars_seen = models.PositiveIntegerField(
        null=True, help_text="GitHub stars at the last recompute (the next gain is counted from)."
    )
    stars_first_seen = models.PositiveIntegerField(null=True)
    stars_first_seen_at = models.DateTimeField(null=True)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.paper_id}: {self.score}"


class Submission(models.Model):
    """Who put a paper on the daily feed, and the links they gave (``services.submissions``).

    The paper's own fields hold the links the feed shows (filled by the import pipeline's rules);
    this row keeps what the submitter sent, and counts towards their daily cap.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions"
    )
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="submissions")
    created = models.DateTimeField(default=timezone.now)
    organization = models.CharField(max_length=100, blank=True)
    github_repo = models.URLField(max_length=500, blank=True)
    project_page = models.URLField(max_length=500, blank=True)

    class Meta:
        # The daily cap counts a user's submissions since midnight; the profile lists them newest first.
        indexes = [models.Index(fields=["user", "created"], name="submission_user_created")]

    def __str__(self) -> str:
        return f"{self.user_id} submitted {self.paper_id}"


class Comment(models.Model):
    """A comment under a paper, or a reply to one (``parent``; replies to replies join the thread).

    ``body`` is the Markdown its author wrote; ``body_html`` is its safe rendering, made once when
    written (``community.markdown``) and shown as it is. Deleting keeps the row (``deleted``, body
    emptied) so the replies under it keep their place; a moderator's ``hidden`` keeps the text, so
    hiding can be undone. ``Paper.local_comments`` counts the comments neither deleted nor hidden.
    """

    # No single-column indexes on paper or author: (paper, created) and (author, created) serve both.
    paper = models.ForeignKey(
        Paper, on_delete=models.CASCADE, related_name="comments", db_index=False
    )
    # SET_NULL: deleting an account must not delete other people's replies under its comments.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="comments",
        db_index=False,
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    body = models.TextField(blank=True, help_text="Markdown, as written.")
    body_html = models.TextField(blank=True, help_text="The sanitized rendering shown on the page.")
    created = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted = models.BooleanField(default=False)
    hidden = models.BooleanField(default=False, help_text="Hidden by a moderator.")

    class Meta:
        indexes = [
            models.Index(fields=["paper", "created"], name="comment_paper_created"),
            models.Index(fields=["author", "created"], name="comment_author_created"),
        ]
        permissions = [
            (
                "moderate",
                "Can moderate: hide papers and comments, suspend users, merge duplicate papers",
            )
        ]

    def __str__(self) -> str:
        return f"comment {self.pk} by {self.author_id} on {self.paper_id}"

    @property
    def visible(self) -> bool:
        return not (self.deleted or self.hidden)
