"""A vote racing ``merge_papers`` never lands on the hidden duplicate (SQLite and PostgreSQL).

The vote locks the paper's row before anything else and checks, under the lock, that the paper is
neither hidden nor merged. Tested three ways: deterministically (the merge commits between the
view's look-up and the vote's transaction, interleaved by a hook on the view's own query), with a
vote blocked on a merge's open transaction (another thread, its own connection), and with voters
hammering a paper while it is merged. The web view answers a merged paper with a redirect to the
kept one, the API with 410 naming it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.contrib.messages import get_messages
from django.db import connection, transaction

from dailypapers.accounts.services import create_api_token
from dailypapers.community.models import Vote
from dailypapers.community.services.moderation import merge_papers, set_papers_hidden
from dailypapers.community.services.votes import (
    PaperMerged,
    PaperNotFound,
    upvote_paper,
    withdraw_upvote,
)
from dailypapers.papers.models import Paper
from tests.community.conftest import make_user
from tests.community.test_vote_concurrency import run_in_threads
from tests.factories import make_paper

HTMX = {"HTTP_HX_REQUEST": "true"}


def assert_counts_exact(*papers: Paper) -> None:
    for paper in papers:
        paper.refresh_from_db()
        local = Vote.objects.filter(paper_id=paper.pk).count()
        assert paper.local_upvotes == local, paper.arxiv_id
        assert paper.upvotes == paper.imported_upvotes + local, paper.arxiv_id


@contextmanager
def merge_right_after_the_lookup(keep: Paper, drop: Paper) -> Iterator[None]:
    """Merge ``drop`` into ``keep`` just after the request has read ``drop``'s row by arXiv id.

    That is the race's window: the view saw a visible paper, then the merge committed, then the
    vote's transaction starts. The hook watches the request's own queries (no mock): the first
    SELECT of the paper table that names the duplicate's arXiv id triggers the merge.
    """
    done = []

    def hook(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if (
            not done
            and sql.lstrip().upper().startswith("SELECT")
            and "papers_paper" in sql
            and params
            and drop.arxiv_id in [str(p) for p in params]
        ):
            done.append(True)
            merge_papers(keep.pk, drop.pk)
        return result

    with connection.execute_wrapper(hook):
        yield
    assert done, "the request never looked the duplicate up"


# -- deterministic, in the test's transaction ---------------------------------------------------


@pytest.mark.django_db
def test_a_vote_for_a_merged_duplicate_is_refused_and_names_the_kept_paper():
    keep, drop = make_paper(upvotes=3), make_paper(upvotes=5)
    voter = make_user()
    merge_papers(keep.pk, drop.pk)

    with pytest.raises(PaperMerged) as refused:
        upvote_paper(voter.pk, drop.pk)

    assert refused.value.merged_into_id == keep.pk
    assert not Vote.objects.filter(paper_id=drop.pk).exists()
    assert_counts_exact(keep, drop)
    with pytest.raises(PaperMerged):
        withdraw_upvote(voter.pk, drop.pk)


@pytest.mark.django_db
def test_a_hidden_paper_takes_no_vote_from_the_service():
    paper = make_paper(upvotes=2)
    set_papers_hidden([paper.pk], True)

    with pytest.raises(PaperNotFound):
        upvote_paper(make_user().pk, paper.pk)

    assert not Vote.objects.filter(paper_id=paper.pk).exists()
    assert_counts_exact(paper)


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_the_vote_page_sends_a_vote_for_a_merged_paper_to_the_kept_one(client, htmx):
    keep, drop = make_paper(), make_paper()
    client.force_login(make_user())
    merge_papers(keep.pk, drop.pk)

    response = client.post(
        f"/papers/{drop.arxiv_id}/vote", {"action": "upvote"}, **(HTMX if htmx else {})
    )

    target = f"{keep.get_absolute_url()}#vote-{keep.pk}"
    if htmx:
        assert (response.status_code, response["HX-Redirect"]) == (204, target)
    else:
        assert (response.status_code, response["Location"]) == (303, target)
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert f"merged into arXiv:{keep.arxiv_id}" in message and "not counted" in message
    assert not Vote.objects.exists()


@pytest.mark.django_db
def test_a_merge_committing_while_the_vote_page_runs_is_answered_the_same(client):
    keep, drop = make_paper(upvotes=1), make_paper(upvotes=9)
    client.force_login(make_user())

    with merge_right_after_the_lookup(keep, drop):
        response = client.post(f"/papers/{drop.arxiv_id}/vote", {"action": "upvote"})

    assert (response.status_code, response["Location"]) == (
        303,
        f"{keep.get_absolute_url()}#vote-{keep.pk}",
    )
    assert not Vote.objects.exists()
    drop.refresh_from_db()
    assert drop.merged_into_id == keep.pk
    assert_counts_exact(keep, drop)


@pytest.mark.django_db
@pytest.mark.parametrize("race", [False, True], ids=["merged-before", "merged-during"])
@pytest.mark.parametrize("method", ["post", "delete"])
def test_the_api_answers_410_for_a_merged_paper_and_names_the_kept_one(
    client, settings, race, method
):
    settings.SITE_URL = "https://papers.example.org"
    keep, drop = make_paper(), make_paper()
    _, secret = create_api_token(make_user(), "script")
    url = f"/api/papers/{drop.arxiv_id}/upvote"
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    if race:
        with merge_right_after_the_lookup(keep, drop):
            response = getattr(client, method)(url, **auth)
    else:
        merge_papers(keep.pk, drop.pk)
        response = getattr(client, method)(url, **auth)

    assert response.status_code == 410
    body = response.json()
    assert body["code"] == "merged"
    assert body["paper"] == {
        "id": keep.arxiv_id,
        "url": f"https://papers.example.org{keep.get_absolute_url()}",
    }
    assert f"merged into {keep.arxiv_id}" in body["error"]
    assert not Vote.objects.exists()


# -- real concurrency: threads with their own connections ---------------------------------------


def backend_waits_on_a_lock(thread_started: threading.Event) -> bool:
    """Whether another connection is waiting for a lock (PostgreSQL: a row lock; SQLite: the
    database write lock, which cannot be observed, so a pause after the thread starts)."""
    if connection.vendor != "postgresql":
        thread_started.wait(10)
        time.sleep(0.3)
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_a_vote_waiting_on_a_merges_lock_is_refused_once_the_merge_commits():
    keep, drop = make_paper(upvotes=1), make_paper(upvotes=4)
    voter = make_user()
    merged_open = threading.Event()
    release = threading.Event()
    vote_started = threading.Event()
    outcome: dict[str, object] = {}

    def merge() -> None:
        try:
            with transaction.atomic():
                merge_papers(keep.pk, drop.pk)
                merged_open.set()
                assert release.wait(30), "the test never released the merge"
        finally:
            connection.close()

    def vote() -> None:
        try:
            vote_started.set()
            outcome["result"] = upvote_paper(voter.pk, drop.pk)
        except BaseException as exc:  # the refusal is the expected outcome
            outcome["error"] = exc
        finally:
            connection.close()

    merger = threading.Thread(target=merge)
    merger.start()
    assert merged_open.wait(30)
    voting = threading.Thread(target=vote)
    voting.start()
    deadline = time.monotonic() + 30
    while not backend_waits_on_a_lock(vote_started):
        assert time.monotonic() < deadline, "the vote never waited for the merge's lock"
        time.sleep(0.02)
    release.set()
    merger.join(60)
    voting.join(60)

    assert isinstance(outcome.get("error"), PaperMerged), outcome
    assert not Vote.objects.filter(paper_id=drop.pk).exists()
    assert_counts_exact(keep, drop)


VOTERS = 8


@pytest.mark.django_db(transaction=True)
def test_voters_racing_a_merge_never_leave_a_vote_on_the_duplicate():
    keep, drop = make_paper(upvotes=2), make_paper(upvotes=7)
    voters = [make_user(f"racer{n}") for n in range(VOTERS)]
    merged = threading.Event()

    def work(index: int, barrier: threading.Barrier) -> list:
        barrier.wait(timeout=60)
        if index == VOTERS:  # the moderator's thread
            time.sleep(0.05)  # let the votes get going
            merge_papers(keep.pk, drop.pk)
            merged.set()
            return []
        user_id = voters[index].pk
        outcomes = []
        after_merge = 0
        # Vote and withdraw until refused; on code without the check this ends a few calls after
        # the merge, with votes on the hidden duplicate.
        for n in range(2000):
            if merged.is_set():
                after_merge += 1
                if after_merge > 3:
                    break
            try:
                (upvote_paper if n % 2 == 0 else withdraw_upvote)(user_id, drop.pk)
                outcomes.append("counted")
            except PaperMerged:
                outcomes.append("refused")
                break
        return outcomes

    outcomes = run_in_threads(work, VOTERS + 1)

    assert outcomes.count("refused") == VOTERS  # every voter was told, none kept voting
    assert not Vote.objects.filter(paper_id=drop.pk).exists()
    assert_counts_exact(keep, drop)
    drop.refresh_from_db()
    assert drop.local_upvotes == 0 and drop.upvotes == drop.imported_upvotes
