"""Casting and withdrawing upvotes, exactly, under any concurrency.

One transaction per call locks the paper's row first (``SELECT ... FOR UPDATE``; SQLite's
immediate transactions lock the whole database), then holds the vote row and both counters: ``local_upvotes`` moves by one and
``upvotes`` is recomputed as ``imported_upvotes + local_upvotes`` with ``F()`` expressions, so the
database does the arithmetic on the row it has locked and no concurrent vote is lost. A second
upvote of the same paper by the same user (a double click, two tabs) meets the unique constraint:
the ``IntegrityError`` is caught inside a savepoint and the call reports "no change". On SQLite a
write lock that stays busy past the busy timeout is retried a few times before giving up.

The lock also orders a vote against ``moderation.merge_papers``, which locks the same rows: a vote
that waited for a merge sees the paper hidden and merged, and is refused (``PaperMerged``, naming
the paper it was merged into) instead of landing on the hidden duplicate, where nobody would see
it. A paper a moderator hid takes no votes either (``PaperNotFound``).

After the commit, the paper's page caches are invalidated (``announce_papers_changed``) and its
trending score is refreshed by a background job.

Deleting an account deletes its votes (``Vote.user`` cascades). Whatever the path (the admin,
``user.delete()`` in a shell, a bulk ``User.objects.filter(...).delete()``), Django's deletion
collector sends ``pre_delete`` and ``post_delete`` for each account, and the receivers here
(connected in ``CommunityConfig.ready``) recount the papers it had voted for in the deletion's own
transaction (``recount_votes``), so no count ever includes a vote that is gone. Votes deleted
behind Django's back (raw SQL) are repaired by ``recount_all_votes`` (``dailypapers
recount-votes``).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Count, F, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from dailypapers.community.models import Vote
from dailypapers.papers.models import Paper
from dailypapers.papers.signals import announce_papers_changed
from dailypapers.tasks import enqueue_on_commit

log = logging.getLogger(__name__)

LOCK_RETRIES = 5
T = TypeVar("T")


class PaperNotFound(LookupError):
    """No paper has this id (it was never imported, or was deleted), or a moderator hid it."""


class PaperMerged(PaperNotFound):
    """The paper is a duplicate that was merged into ``merged_into_id``: vote for that one."""

    def __init__(self, paper_id: int, merged_into_id: int):
        super().__init__(paper_id)
        self.paper_id = paper_id
        self.merged_into_id = merged_into_id


@dataclass(frozen=True)
class VoteResult:
    paper_id: int
    voted: bool  # whether the user's upvote stands after the call
    changed: bool  # whether this call added or removed the vote
    upvotes: int  # the paper's shown count after the call (imported + local)


def upvote_paper(user_id: int, paper_id: int) -> VoteResult:
    """Add ``user_id``'s upvote to the paper; a vote that already stands is left as it is."""
    return _retry_when_locked(lambda: _set_vote(user_id, paper_id, True))


def withdraw_upvote(user_id: int, paper_id: int) -> VoteResult:
    """Remove ``user_id``'s upvote from the paper; no vote to remove is not an error."""
    return _retry_when_locked(lambda: _set_vote(user_id, paper_id, False))


def _set_vote(user_id: int, paper_id: int, voted: bool) -> VoteResult:
    with transaction.atomic():
        # Locked before anything else, and checked under the lock: a merge or a hide that committed
        # while this call waited is seen here. (Foreign keys are checked at commit, deferred: too
        # late to say "no such paper" clearly.)
        paper = (
            Paper.objects.select_for_update()
            .filter(pk=paper_id)
            .values("hidden", "merged_into_id")
            .first()
        )
        if paper is None:
            raise PaperNotFound(paper_id)
        if paper["merged_into_id"] is not None:
            raise PaperMerged(paper_id, paper["merged_into_id"])
        if paper["hidden"]:
            raise PaperNotFound(paper_id)
        if voted:
            try:
                with transaction.atomic():  # a savepoint: the duplicate's error stays inside it
                    Vote.objects.create(user_id=user_id, paper_id=paper_id)
                changed = True
            except IntegrityError:
                changed = False
        else:
            deleted, _ = Vote.objects.filter(user_id=user_id, paper_id=paper_id).delete()
            changed = deleted > 0
        if changed:
            step = 1 if voted else -1
            # Both right-hand sides read the row's values before this UPDATE (SQL semantics), so
            # upvotes ends as imported + the new local count, whatever an import wrote meanwhile.
            Paper.objects.filter(pk=paper_id).update(
                local_upvotes=F("local_upvotes") + step,
                upvotes=F("imported_upvotes") + F("local_upvotes") + step,
            )
            announce_papers_changed([paper_id], text_changed=False)
            _refresh_trending_after_commit(paper_id)
        upvotes = Paper.objects.values_list("upvotes", flat=True).get(pk=paper_id)
    return VoteResult(paper_id=paper_id, voted=voted, changed=changed, upvotes=upvotes)


def _refresh_trending_after_commit(paper_id: int | list[int]) -> None:
    from dailypapers.community.tasks import refresh_trending_scores

    enqueue_on_commit(
        refresh_trending_scores, paper_id if isinstance(paper_id, list) else [paper_id]
    )


@dataclass(frozen=True)
class Recounted:
    """One paper whose stored counts differed from its vote rows, before and after the recount."""

    paper_id: int
    arxiv_id: str
    old_local: int
    new_local: int
    old_upvotes: int
    new_upvotes: int


def _counted_votes() -> Coalesce:
    votes = (
        Vote.objects.filter(paper=OuterRef("pk"))
        .order_by()
        .values("paper")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(votes), 0, output_field=IntegerField())


def recount_votes(paper_ids: Iterable[int]) -> list[Recounted]:
    """Set the papers' ``local_upvotes`` to their vote rows and ``upvotes`` to imported + local.

    Runs in one transaction (the caller's, when there is one) with the papers' rows locked in id
    order, the order every vote and merge locks in, so a vote committing meanwhile is counted once.
    Returns the papers whose counts changed, with the values read under the lock; queues their
    cache renewal and trending refresh for after the commit.
    """
    ids = sorted(set(paper_ids))
    if not ids:
        return []
    with transaction.atomic():
        before = {
            row[0]: row
            for row in Paper.objects.select_for_update()
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", "arxiv_id", "local_upvotes", "upvotes")
        }
        counted = _counted_votes()
        Paper.objects.filter(pk__in=ids).update(
            local_upvotes=counted, upvotes=F("imported_upvotes") + counted
        )
        after = Paper.objects.filter(pk__in=ids).values_list("pk", "local_upvotes", "upvotes")
        changes = [
            Recounted(pk, before[pk][1], before[pk][2], local, before[pk][3], upvotes)
            for pk, local, upvotes in after.order_by("pk")
            if (local, upvotes) != (before[pk][2], before[pk][3])
        ]
        if changes:
            changed_ids = [change.paper_id for change in changes]
            announce_papers_changed(changed_ids, text_changed=False)
            _refresh_trending_after_commit(changed_ids)
    return changes


RECOUNT_BATCH = 2000


def recount_all_votes(
    *,
    dry_run: bool = False,
    batch_size: int = RECOUNT_BATCH,
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[int, list[Recounted]]:
    """Compare every paper's counts with its vote rows and repair those that drifted.

    Papers are read in id order, ``batch_size`` at a time, with one grouped count of their votes
    per batch; only papers whose counts differ are locked and recounted (``recount_votes``), each
    batch in its own short transaction, so voting goes on meanwhile. With ``dry_run`` nothing is
    written and the report is what would change (read without locks). Returns how many papers
    were checked and what changed; ``on_progress(done, total)`` after each batch.
    """
    total = Paper.objects.count()
    checked, last_pk = 0, 0
    changes: list[Recounted] = []
    while True:
        batch = list(
            Paper.objects.filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", "arxiv_id", "imported_upvotes", "local_upvotes", "upvotes")[
                :batch_size
            ]
        )
        if not batch:
            break
        last_pk = batch[-1][0]
        votes = dict(
            Vote.objects.filter(paper_id__in=[row[0] for row in batch])
            .order_by()
            .values("paper_id")
            .annotate(n=Count("pk"))
            .values_list("paper_id", "n")
        )
        drifted = [
            Recounted(pk, arxiv_id, local, votes.get(pk, 0), upvotes, imported + votes.get(pk, 0))
            for pk, arxiv_id, imported, local, upvotes in batch
            if (local, upvotes) != (votes.get(pk, 0), imported + votes.get(pk, 0))
        ]
        if drifted:
            changes += drifted if dry_run else recount_votes(d.paper_id for d in drifted)
        checked += len(batch)
        if on_progress is not None:
            on_progress(checked, max(total, checked))
    return checked, changes


def remember_voted_papers(sender: Any, instance: Any, **kwargs: Any) -> None:
    """``pre_delete`` of an account: note the papers it voted for, while its votes still exist."""
    # The account's row is locked first: a vote it casts meanwhile either committed already (and
    # is read here) or waits, and fails once the account is gone (PostgreSQL; SQLite's deletion
    # holds the database's write lock from its start).
    get_user_model().objects.select_for_update().filter(pk=instance.pk).exists()
    instance._voted_paper_ids = list(
        Vote.objects.filter(user_id=instance.pk).values_list("paper_id", flat=True)
    )


def recount_after_account_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    """``post_delete`` of an account: its votes are gone; recount the papers they counted in."""
    paper_ids = getattr(instance, "_voted_paper_ids", None)
    if paper_ids:
        recount_votes(paper_ids)
        log.info("account %s deleted: recounted %d paper(s)", instance.pk, len(paper_ids))


def _is_lock_error(exc: OperationalError) -> bool:
    return "locked" in str(exc).lower() or "busy" in str(exc).lower()


def _retry_when_locked(operation: Callable[[], T]) -> T:
    """Run ``operation`` (one transaction), again after a short pause if SQLite reports a lock.

    Inside a caller's transaction a retry cannot help (the lock belongs to the outer transaction),
    so the error is raised at once there.
    """
    for attempt in range(LOCK_RETRIES):
        try:
            return operation()
        except OperationalError as exc:
            if not _is_lock_error(exc) or connection.in_atomic_block or attempt == LOCK_RETRIES - 1:
                raise
            pause = 0.05 * (2**attempt) * (1 + random.random())
            log.warning("vote: database locked (%s); retry %d in %.2fs", exc, attempt + 1, pause)
            time.sleep(pause)
    raise AssertionError("unreachable")
