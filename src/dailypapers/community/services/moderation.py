"""Moderation: hide papers, suspend accounts, merge duplicate papers. The admin's actions call these.

* ``set_papers_hidden``: a hidden paper stays in the table (a re-import cannot bring it back as a
  new row) and leaves every read (``papers.queries``): feeds, pages, search, the API and RSS.
* ``suspend_users`` / ``unsuspend_users``: a suspended account is inactive (no log-in, Django's
  auth refuses its session and ``accounts.auth.TokenAuth`` its API tokens) and its open sessions
  are ended at once. Staff and superusers can only be suspended, or unsuspended, by a superuser.
  ``Profile.suspended_by``/``suspended_at`` record who suspended an account, and a suspension by
  a superuser can only be lifted by a superuser, as can one whose author is unknown (an account
  since deleted, a command, or a suspension from before this was recorded): a moderator cannot
  undo a decision made above them. Confirming the address does not lift a suspension, and an
  account that never confirmed its address is not "unsuspended" into an active one.
* ``merge_papers(keep_id, drop_id)``: one paper from two. Votes, comments, submissions and the
  daily entry move to the kept paper, and the other is hidden with ``merged_into`` pointing at the
  kept one (its page redirects there; re-imports of its id update the hidden row).

Comment hiding lives beside the other comment writes (``services.comments.set_comments_hidden``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from dailypapers.accounts.models import Profile
from dailypapers.community.models import Comment, Submission, TrendingScore, Vote
from dailypapers.community.services.comments import recount_comments
from dailypapers.papers.models import DailyEntry, Paper
from dailypapers.papers.signals import announce_papers_changed
from dailypapers.tasks import enqueue_on_commit

log = logging.getLogger(__name__)

# Links and details a kept paper takes from the dropped one when it has none of its own.
FILLED_FROM_DUPLICATE = (
    "github_repo",
    "github_stars",
    "project_page",
    "thumbnail_url",
    "ai_summary",
)


class MergeRefused(ValueError):
    """The two papers cannot be merged (the same paper, a missing one); ``str()`` says why."""


class SuspensionRefused(PermissionError):
    """The moderator may not suspend or unsuspend this account; ``str()`` says why."""


def set_papers_hidden(paper_ids: Iterable[int], hidden: bool) -> int:
    """Hide papers (or show them again). Returns how many changed."""
    ids = list(paper_ids)
    with transaction.atomic():
        changed = Paper.objects.filter(pk__in=ids).exclude(hidden=hidden).update(hidden=hidden)
        if changed:
            announce_papers_changed(ids)
    return changed


def suspend_users(moderator, user_ids: Iterable[int]) -> int:
    """Deactivate accounts and end their sessions. Returns how many were active before."""
    ids = list(user_ids)
    users = get_user_model().objects.filter(pk__in=ids)
    if moderator is not None and moderator.pk in ids:
        raise SuspensionRefused("You cannot suspend your own account.")
    if not getattr(moderator, "is_superuser", False) and (
        users.filter(is_staff=True).exists() or users.filter(is_superuser=True).exists()
    ):
        raise SuspensionRefused("Only a superuser can suspend staff or superuser accounts.")
    with transaction.atomic():
        changed = users.filter(is_active=True).update(is_active=False)
        record_suspension(moderator, ids)
    end_sessions(ids)
    return changed


def _is_superuser(user) -> bool:
    return bool(getattr(user, "is_superuser", False))


def record_suspension(moderator, user_ids: Iterable[int]) -> None:
    """Note who suspended these accounts, and when (``Profile.suspended_by``/``suspended_at``).

    An account already suspended keeps its record, unless a superuser suspends it again: the
    suspension then becomes theirs, and only a superuser can lift it.
    """
    # Accounts made with createsuperuser (or in a shell) may have no profile: none is made here,
    # since a new profile would read as an unconfirmed address. Their suspension stays
    # unrecorded, which leaves it to superusers, as one made by a superuser.
    profiles = Profile.objects.filter(user_id__in=list(user_ids))
    if not _is_superuser(moderator):
        profiles = profiles.filter(suspended_at__isnull=True)
    suspender = moderator.pk if getattr(moderator, "pk", None) is not None else None
    profiles.update(suspended_at=timezone.now(), suspended_by_id=suspender)


def clear_suspension(user_ids: Iterable[int]) -> None:
    Profile.objects.filter(user_id__in=list(user_ids)).update(suspended_at=None, suspended_by=None)


def unsuspend_users(moderator, user_ids: Iterable[int]) -> int:
    """Reactivate suspended accounts; an account whose address was never confirmed stays inactive.

    Refused as a whole (``SuspensionRefused``) when anyone selected is beyond the moderator: only
    a superuser unsuspends staff or superusers, or lifts a suspension made by a superuser or by an
    unknown hand. Returns how many accounts became active.
    """
    ids = list(user_ids)
    users = get_user_model().objects.filter(pk__in=ids)
    if not _is_superuser(moderator):
        if users.filter(is_staff=True).exists() or users.filter(is_superuser=True).exists():
            raise SuspensionRefused("Only a superuser can unsuspend staff or superuser accounts.")
        by_superuser_or_unknown = Q(profile__suspended_at__isnull=False) & (
            Q(profile__suspended_by__isnull=True) | Q(profile__suspended_by__is_superuser=True)
        )
        # Inactive with a confirmed address (or no profile) and no record: suspended before
        # suspensions were recorded, or deactivated in the superuser's user form.
        unrecorded = (
            Q(is_active=False)
            & (Q(profile__isnull=True) | Q(profile__email_verified_at__isnull=False))
            & Q(profile__suspended_at__isnull=True)
        )
        if users.filter(by_superuser_or_unknown | unrecorded).exists():
            raise SuspensionRefused(
                "Only a superuser can lift a suspension made by a superuser (or by someone no "
                "longer known)."
            )
    with transaction.atomic():
        confirmed_or_no_profile = users.filter(is_active=False).exclude(
            profile__email_verified_at__isnull=True, profile__isnull=False
        )
        changed = confirmed_or_no_profile.update(is_active=True)
        clear_suspension(ids)
    return changed


def end_sessions(user_ids: Iterable[int]) -> int:
    """Delete every unexpired session of these users (database sessions). Returns how many."""
    wanted = {str(pk) for pk in user_ids}
    doomed = []
    sessions = Session.objects.filter(expire_date__gt=timezone.now())
    for session in sessions.iterator(chunk_size=2000):
        if str(session.get_decoded().get("_auth_user_id")) in wanted:
            doomed.append(session.pk)
    Session.objects.filter(pk__in=doomed).delete()
    return len(doomed)


@dataclass(frozen=True)
class MergeResult:
    kept: int
    dropped: int
    votes_moved: int
    votes_merged: int  # users who had voted for both: their votes became one
    comments_moved: int
    submissions_moved: int
    daily_entry_moved: bool


def merge_papers(keep_id: int, drop_id: int) -> MergeResult:
    """Merge the duplicate ``drop_id`` into ``keep_id`` (see the module docstring)."""
    if keep_id == drop_id:
        raise MergeRefused("A paper cannot be merged into itself.")
    with transaction.atomic():
        # Lock both rows in id order: two merges (or a vote) never lock in a cycle.
        locked = {
            paper.pk: paper
            for paper in Paper.objects.select_for_update()
            .filter(pk__in=[keep_id, drop_id])
            .order_by("pk")
        }
        keep, drop = locked.get(keep_id), locked.get(drop_id)
        if keep is None or drop is None:
            raise MergeRefused(f"No paper with id {drop_id if keep else keep_id}.")
        if keep.merged_into_id is not None:
            raise MergeRefused(f"{keep.arxiv_id} was itself merged into another paper.")

        both = Vote.objects.filter(paper_id=keep.pk).values("user_id")
        votes_merged, _ = Vote.objects.filter(paper_id=drop.pk, user_id__in=both).delete()
        votes_moved = Vote.objects.filter(paper_id=drop.pk).update(paper_id=keep.pk)
        comments_moved = Comment.objects.filter(paper_id=drop.pk).update(paper_id=keep.pk)
        submissions_moved = Submission.objects.filter(paper_id=drop.pk).update(paper_id=keep.pk)
        entry_moved = _merge_daily_entries(keep, drop)

        for name in FILLED_FROM_DUPLICATE:
            if getattr(keep, name) in ("", None) and getattr(drop, name) not in ("", None):
                setattr(keep, name, getattr(drop, name))
        if keep.organization_id is None:
            keep.organization_id = drop.organization_id
        # Upstream counts of two rows for one paper overlap: keep the larger, never the sum.
        keep.imported_upvotes = max(keep.imported_upvotes, drop.imported_upvotes)
        keep.imported_comments = max(keep.imported_comments, drop.imported_comments)
        keep.local_upvotes = Vote.objects.filter(paper_id=keep.pk).count()
        keep.upvotes = keep.imported_upvotes + keep.local_upvotes
        keep.save()

        Paper.objects.filter(pk=drop.pk).update(
            hidden=True, merged_into=keep, local_upvotes=0, upvotes=F("imported_upvotes")
        )
        # Earlier merges into the dropped paper now point at the kept one (no chains).
        Paper.objects.filter(merged_into_id=drop.pk).update(merged_into=keep)
        TrendingScore.objects.filter(paper_id=drop.pk).delete()
        recount_comments([keep.pk, drop.pk])
        announce_papers_changed([keep.pk, drop.pk])
        _refresh_trending_after_commit(keep.pk)
    log.info("merged paper %s into %s", drop.arxiv_id, keep.arxiv_id)
    return MergeResult(
        kept=keep.pk,
        dropped=drop.pk,
        votes_moved=votes_moved,
        votes_merged=votes_merged,
        comments_moved=comments_moved,
        submissions_moved=submissions_moved,
        daily_entry_moved=entry_moved,
    )


def _merge_daily_entries(keep: Paper, drop: Paper) -> bool:
    """The kept paper keeps the earlier daily entry of the two (when the paper first made the feed)."""
    entries = {
        entry.paper_id: entry
        for entry in DailyEntry.objects.filter(paper_id__in=[keep.pk, drop.pk])
    }
    kept_entry, dropped_entry = entries.get(keep.pk), entries.get(drop.pk)
    if dropped_entry is None:
        return False
    if kept_entry is not None:
        if kept_entry.date <= dropped_entry.date:
            return False
        kept_entry.delete()
    DailyEntry.objects.filter(pk=dropped_entry.pk).update(paper_id=keep.pk)
    return True


def _refresh_trending_after_commit(paper_id: int) -> None:
    from dailypapers.community.tasks import refresh_trending_scores

    enqueue_on_commit(refresh_trending_scores, [paper_id])
