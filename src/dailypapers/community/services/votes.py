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
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F

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


def _refresh_trending_after_commit(paper_id: int) -> None:
    from dailypapers.community.tasks import refresh_trending_scores

    enqueue_on_commit(refresh_trending_scores, [paper_id])


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
