"""One digest run at a time: the cron command, the worker's hourly task and a rerun after a crash
must not send the same pending digest twice in parallel.

The lock dies with its holder, so a run killed with SIGKILL never blocks the next one:

* PostgreSQL: a session advisory lock (``pg_try_advisory_lock``), held by the run's database
  connection and released by the server when that connection ends; it works across hosts.
* SQLite (one host by nature): ``flock`` on ``DATA_DIR/digests-send.lock``, released by the
  kernel when the process ends.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

LOCK_NAME = "dailypapers.digests.send"
# pg advisory locks take a bigint: a stable one derived from the name.
ADVISORY_KEY = int.from_bytes(hashlib.sha256(LOCK_NAME.encode()).digest()[:8], "big", signed=True)


class SendBusy(RuntimeError):
    """Another digest run holds the lock."""


def lock_file() -> Path:
    return Path(settings.DATA_DIR) / "digests-send.lock"


def _try_postgres() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_KEY])
        return bool(cursor.fetchone()[0])


def _release_postgres() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_KEY])


@contextmanager
def sending_lock(wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the digest run lock; wait up to ``wait_seconds`` for it, then raise ``SendBusy``."""
    deadline = time.monotonic() + max(0.0, wait_seconds)
    if connection.vendor == "postgresql":
        while not _try_postgres():
            if time.monotonic() >= deadline:
                raise SendBusy("another digest run is in progress")
            time.sleep(0.2)
        try:
            yield
        finally:
            _release_postgres()
        return
    path = lock_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise SendBusy("another digest run is in progress") from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
