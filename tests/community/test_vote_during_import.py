"""A vote that commits while an import holds stale counts in memory is not lost by the import.

The importer reads a paper, merges a record with more upstream upvotes, and writes
``upvotes = imported + local`` from what it read. On PostgreSQL a vote can commit in between: here
a transaction holds the paper's row while the import runs, so the import's write waits on it, and
the vote commits first. On SQLite (write transactions take the lock when they begin) the import
waits before it reads, and the same test checks the same end state.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from dailypapers.community.services.votes import upvote_paper
from dailypapers.ingest.pipeline import import_records
from dailypapers.papers.models import Paper
from tests.community.conftest import make_user
from tests.factories import make_paper, paper_record


def wait_until_blocked(seconds: float = 10) -> None:
    """Until another connection waits on a lock (PostgreSQL), or a moment (SQLite)."""
    if connection.vendor != "postgresql":
        time.sleep(0.5)
        return
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # Statistics views are a snapshot per transaction, and this test holds one open.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("the import never waited on the paper's row")


@pytest.mark.django_db(transaction=True)
def test_a_vote_committed_during_an_import_still_counts_in_upvotes():
    paper = make_paper(arxiv_id="2503.95001", upvotes=10)
    voter = make_user()
    errors: list[BaseException] = []

    def run_import() -> None:
        try:
            import_records([paper_record(arxiv_id="2503.95001", upvotes=25)])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    importer = threading.Thread(target=run_import)
    with transaction.atomic():
        # Hold the paper's row (PostgreSQL) / the write lock (SQLite) while the import starts.
        list(Paper.objects.select_for_update().filter(pk=paper.pk))
        importer.start()
        wait_until_blocked()
        upvote_paper(voter.pk, paper.pk)
    importer.join(timeout=60)

    assert not errors, errors
    paper.refresh_from_db()
    assert (paper.imported_upvotes, paper.local_upvotes) == (25, 1)
    assert paper.upvotes == 26
