"""One digest run at a time, with a lock that dies with its holder (no stale lock after SIGKILL)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from dailypapers.digests.models import Digest
from dailypapers.digests.services import locking
from dailypapers.digests.services.runs import run_digests
from dailypapers.papers.queries import period_of

from .conftest import DAY, make_subscriber

pytestmark = pytest.mark.django_db


@contextmanager
def held_elsewhere() -> Iterator[None]:
    """The run lock, held as another process would hold it (another connection or open file)."""
    if connection.vendor == "postgresql":
        import psycopg

        config = connection.settings_dict
        other = psycopg.connect(
            dbname=config["NAME"],
            user=config["USER"],
            password=config["PASSWORD"] or None,
            host=config["HOST"] or "127.0.0.1",
            port=config["PORT"] or 5432,
            autocommit=True,
        )
        other.execute("SELECT pg_advisory_lock(%s)", [locking.ADVISORY_KEY])
        try:
            yield
        finally:
            other.close()  # a closed session releases its advisory locks, as a killed one does
        return
    path = locking.lock_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        os.close(fd)  # closing (or dying) releases the flock


def test_a_second_run_waits_then_gives_up_while_one_is_in_progress(
    day_papers, scripted_smtp, settings, tmp_path
):
    make_subscriber()
    with held_elsewhere():
        with pytest.raises(locking.SendBusy):
            run_digests("daily", period=period_of("day", DAY), wait_seconds=0.3)
        with pytest.raises(CommandError, match="another digest run is still in progress"):
            call_command(
                "digest", "send", "--period", "daily", "--date", DAY.isoformat(), "--wait", "0"
            )
    assert scripted_smtp.received == [] and not Digest.objects.exists()
    # Released with its holder (PostgreSQL notices a closed session a moment later).
    report = run_digests("daily", period=period_of("day", DAY), wait_seconds=10)
    assert report.sent is not None and report.sent.sent == 1


def test_the_lock_is_free_again_after_a_run(day_papers, scripted_smtp):
    make_subscriber()
    run_digests("daily", period=period_of("day", DAY))
    with locking.sending_lock(wait_seconds=0):
        pass
