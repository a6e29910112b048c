"""Exactly once per reader and period, even when the sender is killed: ``dailypapers digest send``
runs as a real subprocess against a real SMTP server (aiosmtpd on loopback), is killed with
SIGKILL after some messages arrived, and is run again. Every confirmed subscriber ends with
exactly one digest (counted by distinct Message-ID; the one message that may have been accepted
but not yet marked when the process died is sent again with the same Message-ID, see
``digests.services.delivery``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest
from django.db import connection

from dailypapers.digests.models import Digest

from .conftest import DAY, DAY_PAPERS, make_day, make_subscriber

READERS = 40
KILL_AFTER = 10
DAILYPAPERS = Path(sys.executable).with_name("dailypapers")


def database_url() -> str:
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(config['NAME']).resolve()}"
    auth = config["USER"] + (f":{config['PASSWORD']}" if config["PASSWORD"] else "")
    return f"postgresql://{auth}@{config['HOST'] or '127.0.0.1'}:{config['PORT'] or 5432}/{config['NAME']}"


def sender(tmp_path: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_")}
    env.update(
        DAILYPAPERS_DATA_DIR=str(tmp_path / "sender"),
        DAILYPAPERS_DATABASE_URL=database_url(),
        DAILYPAPERS_EMAIL_URL=f"smtp://127.0.0.1:{port}",
        DAILYPAPERS_SEARCH_BACKEND="tantivy",
        DAILYPAPERS_LOG_LEVEL="WARNING",
    )
    command = [str(DAILYPAPERS), "digest", "send", "--period", "daily", "--date", DAY.isoformat()]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.django_db(transaction=True)
def test_killed_sender_rerun_gives_every_reader_exactly_one_digest(
    tmp_path, scripted_smtp, settings
):
    settings.DATA_DIR = tmp_path
    make_day(DAY, DAY_PAPERS, index=False)
    readers = [
        make_subscriber(f"reader{i:02d}@example.org", authors=["John von Neumann"])
        for i in range(READERS)
    ]
    scripted_smtp.delay = 0.05  # slow enough that the kill lands mid-run

    first = sender(tmp_path, scripted_smtp.port)
    deadline = time.monotonic() + 120
    while len(scripted_smtp.received) < KILL_AFTER and time.monotonic() < deadline:
        if first.poll() is not None:
            pytest.fail(f"the sender ended before the kill: {first.communicate()}")
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL
    time.sleep(0.3)  # a message in flight when the process died is accepted or dropped
    after_kill = len(scripted_smtp.received)
    assert KILL_AFTER <= after_kill < READERS, "the kill must land mid-run"
    assert Digest.objects.count() == READERS  # every digest was recorded before sending
    assert Digest.objects.filter(status="sent").count() < READERS

    second = sender(tmp_path, scripted_smtp.port)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err.decode()

    by_reader: dict[str, set[str]] = defaultdict(set)
    for mail in scripted_smtp.received:
        (address,) = mail.rcpt_tos
        by_reader[address].add(str(mail.message["Message-ID"]))
        assert "by John von Neumann, an author you follow" in mail.body("plain")
    assert sorted(by_reader) == sorted(r.email for r in readers)
    assert all(len(ids) == 1 for ids in by_reader.values())
    # At most one message can be accepted and not yet marked when the process dies.
    assert READERS <= len(scripted_smtp.received) <= READERS + 1
    assert Digest.objects.filter(status="sent").count() == READERS

    third = sender(tmp_path, scripted_smtp.port)
    third.communicate(timeout=120)
    assert third.returncode == 0
    assert len(scripted_smtp.received) <= READERS + 1  # a third run sends nothing
