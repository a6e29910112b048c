"""Writing comments: post, reply, edit and delete your own; moderators hide and unhide any.

Every call checks who may do it, here and not only in the views, so any future client (an API, a
command) gets the same rules:

* posting and replying need an active account, on a paper that is not hidden;
* only a comment's author may edit or delete it (a moderator hides instead: ``set_comments_hidden``);
* a body is Markdown of 1 to ``settings.COMMENT_MAX_CHARS`` characters; it is rendered and
  sanitized once, here (``community.markdown``), and stored beside the source.

Replies form one level under a top-level comment: a reply to a reply joins its thread, as on
Hugging Face. Deleting keeps the row with its body emptied, so replies keep their place.

``Paper.local_comments`` (shown on cards and as ``numComments`` in the API) is recounted in the
same transaction as the change, with the paper's row locked first: two comments posted at once
are counted one after the other, never over each other. After the commit the paper's cached pages
are invalidated (``announce_papers_changed``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from dailypapers.accounts.permissions import is_moderator
from dailypapers.community.markdown import render_comment
from dailypapers.community.models import Comment
from dailypapers.papers.models import Paper
from dailypapers.papers.signals import announce_papers_changed

# C0 controls other than tab and newline (PostgreSQL refuses NUL in text; none belongs in prose).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class CommentRefused(ValueError):
    """The comment cannot be written as it is; ``message`` says why, for the person writing it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class CommentNotFound(LookupError):
    """No such comment or paper, or it is not shown (a hidden paper, a deleted comment)."""


class NotAllowed(PermissionError):
    """The user may not do this to this comment (it is someone else's, or they are suspended)."""


def clean_body(body: str) -> str:
    """The body as stored: Windows line ends unified, control characters dropped, ends trimmed.

    Raises ``CommentRefused`` when nothing is left or it is too long (the count is in the message).
    """
    text = CONTROL_CHARACTERS.sub("", (body or "").replace("\r\n", "\n").replace("\r", "\n"))
    text = text.strip()
    if not text:
        raise CommentRefused("Write something first: a comment cannot be empty.")
    limit = settings.COMMENT_MAX_CHARS
    if len(text) > limit:
        raise CommentRefused(
            f"A comment can be at most {limit:,} characters long; this one has {len(text):,}. "
            "Shorten it and post again."
        )
    return text


def _check_author(user) -> None:
    if user is None or not user.is_authenticated:
        raise NotAllowed("Log in to comment.")
    if not user.is_active:
        raise NotAllowed("This account is suspended.")


def post_comment(user, paper_id: int, body: str, *, parent_id: int | None = None) -> Comment:
    """Add ``user``'s comment to the paper, or a reply when ``parent_id`` names a comment on it."""
    _check_author(user)
    text = clean_body(body)
    with transaction.atomic():
        paper = _lock_paper(paper_id)
        parent = None
        if parent_id is not None:
            parent = Comment.objects.filter(pk=parent_id, paper_id=paper.pk).first()
            if parent is None:
                raise CommentNotFound(parent_id)
            if not parent.visible:
                raise CommentRefused("That comment was deleted or hidden: it takes no replies.")
            if parent.parent_id is not None:
                parent = Comment.objects.get(pk=parent.parent_id)
        comment = Comment.objects.create(
            paper_id=paper.pk,
            author=user,
            parent=parent,
            body=text,
            body_html=render_comment(text),
        )
        recount_comments([paper.pk])
        announce_papers_changed([paper.pk], text_changed=False)
    return comment


def edit_comment(user, comment_id: int, body: str) -> Comment:
    """Replace the body of ``user``'s own comment; anyone else's is ``NotAllowed``."""
    _check_author(user)
    text = clean_body(body)
    with transaction.atomic():
        comment = _own_comment(user, comment_id)
        if comment.hidden:
            raise CommentRefused("A moderator hid this comment: it cannot be edited.")
        if text != comment.body:
            comment.body = text
            comment.body_html = render_comment(text)
            comment.edited_at = timezone.now()
            comment.save(update_fields=["body", "body_html", "edited_at"])
            announce_papers_changed([comment.paper_id], text_changed=False)
    return comment


def delete_comment(user, comment_id: int) -> Comment:
    """Delete ``user``'s own comment: its text goes, the row stays so replies keep their thread."""
    if user is None or not user.is_authenticated:
        raise NotAllowed("Log in to delete your comments.")
    with transaction.atomic():
        comment = _own_comment(user, comment_id)
        comment.deleted = True
        comment.body = ""
        comment.body_html = ""
        comment.edited_at = timezone.now()
        comment.save(update_fields=["deleted", "body", "body_html", "edited_at"])
        recount_comments([comment.paper_id])
        announce_papers_changed([comment.paper_id], text_changed=False)
    return comment


def set_comments_hidden(moderator, comment_ids: Iterable[int], hidden: bool) -> int:
    """Hide (or show again) comments; only a moderator may. Returns how many changed."""
    if not is_moderator(moderator):
        raise NotAllowed("Only moderators can hide comments.")
    ids = list(comment_ids)
    with transaction.atomic():
        paper_ids = sorted(
            set(Comment.objects.filter(pk__in=ids).values_list("paper_id", flat=True))
        )
        for paper_id in paper_ids:  # in id order, so two moderators never lock in a cycle
            _lock_paper(paper_id, include_hidden=True)
        changed = Comment.objects.filter(pk__in=ids).exclude(hidden=hidden).update(hidden=hidden)
        if changed:
            recount_comments(paper_ids)
            announce_papers_changed(paper_ids, text_changed=False)
    return changed


def recount_comments(paper_ids: Iterable[int]) -> None:
    """Set ``Paper.local_comments`` to the count of shown comments (not deleted, not hidden).

    Call inside the transaction that changed the comments, after locking the papers' rows.
    """
    shown = (
        Comment.objects.filter(paper=OuterRef("pk"), deleted=False, hidden=False)
        .order_by()
        .values("paper")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Paper.objects.filter(pk__in=list(paper_ids)).update(local_comments=Coalesce(Subquery(shown), 0))


def _lock_paper(paper_id: int, *, include_hidden: bool = False) -> Paper:
    """The paper's row, locked until the transaction ends (PostgreSQL; SQLite locks the database)."""
    papers = Paper.objects.select_for_update().only("pk", "hidden")
    paper = papers.filter(pk=paper_id).first()
    if paper is None or (paper.hidden and not include_hidden):
        raise CommentNotFound(paper_id)
    return paper


def _own_comment(user, comment_id: int) -> Comment:
    """``user``'s comment, with its paper's row locked first (the order every writer here locks)."""
    paper_id = Comment.objects.filter(pk=comment_id).values_list("paper_id", flat=True).first()
    if paper_id is None:
        raise CommentNotFound(comment_id)
    _lock_paper(paper_id, include_hidden=True)
    comment = Comment.objects.filter(pk=comment_id).first()
    if comment is None or comment.deleted:
        raise CommentNotFound(comment_id)
    if comment.author_id != user.pk:
        raise NotAllowed("You can only change your own comments.")
    return comment
