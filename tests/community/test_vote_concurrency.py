"""Votes stay exact under concurrency: 50 voters on 20 papers, on SQLite and on PostgreSQL.

Each voter's votes are cast by two threads at once (two browser tabs, a double click), each thread
with its own database connection, first through the service functions, then through the HTTP
endpoint of a live server. Every upvote is attempted twice, and so is every withdrawal; the end
state must be exact: counts equal to the vote rows, ``upvotes = imported + local``, no duplicate
row, no lost vote, and exactly one background job per vote that changed something.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest
import requests
from django.db import connection
from django.db.models import Count
from django.test import Client

from dailypapers.community.models import Vote
from dailypapers.community.services.votes import upvote_paper, withdraw_upvote
from dailypapers.papers.models import Paper
from tests.community.conftest import make_user, pending_trending_jobs
from tests.factories import make_paper

pytestmark = pytest.mark.django_db(transaction=True)

VOTERS = 50
PAPERS = 20


def withdrawn(voter: int, paper: int) -> bool:
    """The pairs whose vote is withdrawn again in the second phase."""
    return voter % 2 == 0 and paper % 4 == 0


@pytest.fixture
def ballot():
    papers = [make_paper(arxiv_id=f"2503.8{n:04d}", upvotes=n) for n in range(PAPERS)]
    users = [make_user(f"concurrent{n}") for n in range(VOTERS)]
    return users, papers


def run_in_threads(work: Callable[[int, threading.Barrier], list], count: int) -> list:
    """Run ``work(index, barrier)`` in ``count`` threads started together; collect results/errors."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list[BaseException] = []

    def target(index: int) -> None:
        try:
            results[index] = work(index, barrier)
        except BaseException as exc:  # reported below with the thread's traceback
            errors.append(exc)
            barrier.abort()
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not errors, f"{len(errors)} thread(s) failed, first: {errors[0]!r}"
    return [item for batch in results for item in batch]


def assert_exact(papers: list[Paper], users: list) -> None:
    expected = {
        paper.pk: sum(not withdrawn(v, p) for v in range(VOTERS)) for p, paper in enumerate(papers)
    }
    rows = Counter(Vote.objects.values_list("paper_id", flat=True))
    assert dict(rows) == expected
    duplicates = Vote.objects.values("user_id", "paper_id").annotate(n=Count("pk")).filter(n__gt=1)
    assert not duplicates.exists()
    for p, paper in enumerate(papers):
        paper.refresh_from_db()
        assert paper.local_upvotes == expected[paper.pk], paper.arxiv_id
        assert (
            paper.upvotes == p + expected[paper.pk] == paper.imported_upvotes + paper.local_upvotes
        )
    stand = set(Vote.objects.values_list("user_id", "paper_id"))
    assert stand == {
        (user.pk, paper.pk)
        for v, user in enumerate(users)
        for p, paper in enumerate(papers)
        if not withdrawn(v, p)
    }


def expected_changes() -> int:
    return VOTERS * PAPERS + sum(withdrawn(v, p) for v in range(VOTERS) for p in range(PAPERS))


def test_concurrent_voters_through_the_service_end_with_exact_counts(ballot, huey_queue):
    users, papers = ballot
    user_ids = [u.pk for u in users]
    paper_ids = [p.pk for p in papers]

    def voter(index: int, barrier: threading.Barrier) -> list:
        # This thread casts the votes of voter `index` and, at the same time as that voter's own
        # thread, of voter `index + 1`: every vote is attempted by two threads.
        mine = [index, (index + 1) % VOTERS]
        rng = random.Random(index)
        pairs = [(v, p) for v in mine for p in range(PAPERS)]
        rng.shuffle(pairs)
        barrier.wait()
        results = [upvote_paper(user_ids[v], paper_ids[p]) for v, p in pairs]
        barrier.wait()
        results += [withdraw_upvote(user_ids[v], paper_ids[p]) for v, p in pairs if withdrawn(v, p)]
        return results

    results = run_in_threads(voter, VOTERS)

    assert sum(r.changed for r in results) == expected_changes()
    assert_exact(papers, users)
    assert (
        len(pending_trending_jobs(huey_queue)) == expected_changes()
    )  # one job per real change, no more


def log_in(live_server, user, paper: Paper) -> tuple[requests.Session, str]:
    """A browser-like session for ``user``: the session cookie, then the page's CSRF token."""
    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    page = session.get(f"{live_server.url}{paper.get_absolute_url()}", timeout=60)
    page.raise_for_status()
    session.close()  # no idle keep-alive connection: each holds a server thread and its database
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, "the signed-in paper page holds a vote form"
    return session, token.group(1)


def test_concurrent_voters_through_the_http_endpoint_end_with_exact_counts(
    ballot, huey_queue, live_server
):
    users, papers = ballot
    sessions = [log_in(live_server, user, papers[0]) for user in users]

    def voter(index: int, barrier: threading.Barrier) -> list:
        mine = [index, (index + 1) % VOTERS]
        rng = random.Random(index)
        pairs = [(v, p) for v in mine for p in range(PAPERS)]
        rng.shuffle(pairs)

        def post(v: int, p: int, action: str) -> int:
            session, token = sessions[v]
            # A new HTTP connection per request (requests.post, not the session's pool): the live
            # server holds a database connection per open HTTP connection, and 100 kept alive
            # would pass PostgreSQL's limit of 100.
            # The test server's listen backlog is short (10): 50 connections at once can be
            # reset. The client tries again, as a browser would; the action names the state
            # wanted, so a request repeated after it was served cannot count twice.
            for attempt in range(8):
                try:
                    response = requests.post(
                        f"{live_server.url}/papers/{papers[p].arxiv_id}/vote",
                        data={"action": action, "csrfmiddlewaretoken": token},
                        headers={"HX-Request": "true"},
                        cookies=session.cookies,
                        timeout=120,
                    )
                    break
                except requests.ConnectionError:
                    if attempt == 7:
                        raise
                    time.sleep(0.05 * 2**attempt)
            assert response.status_code == 200, (response.status_code, response.text[:300])
            return response.status_code

        barrier.wait()
        statuses = [post(v, p, "upvote") for v, p in pairs]
        barrier.wait()
        statuses += [post(v, p, "withdraw") for v, p in pairs if withdrawn(v, p)]
        return statuses

    statuses = run_in_threads(voter, VOTERS)

    assert len(statuses) == 2 * expected_changes()
    assert_exact(papers, users)
    assert len(pending_trending_jobs(huey_queue)) == expected_changes()
