"""Digests sent per second to a local SMTP server.

    python benchmarks/digest_send.py                 # 5,000 digests
    python benchmarks/digest_send.py --readers 20000

Setup (not timed): a fresh SQLite database with one listing day of 200 real arXiv cs papers
(``../shared/data/scale``) in the feed, and ``--readers`` active subscribers following authors
and categories (so each digest has 5 trending papers and up to 5 picks with reasons); their
digests are composed into the outbox. An SMTP server (aiosmtpd, in its own process, as a real
relay would be) accepts and counts every message.

Timed: ``send_digests`` for the period, the code path of ``dailypapers digest send`` after
composing: for each digest, load its papers, render the text and HTML parts (11 signed links),
hand it to the server over one SMTP connection, and mark it sent (one committed UPDATE each).
The figure printed is messages per second (wall clock; the aim is 100), with the sender's CPU
time per message, which does not depend on what else the machine runs. The server's count is
checked against the number marked sent.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from digest_compose import import_rows, read_listings  # noqa: E402

AIM = 100.0

SMTP_SERVER = r"""
import asyncio, signal, sys
from aiosmtpd.controller import Controller

count = 0

class Handler:
    async def handle_DATA(self, server, session, envelope):
        global count
        count += 1
        return "250 Message accepted for delivery"

controller = Controller(Handler(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)

def stop(*_):
    controller.stop()
    print(count, flush=True)
    sys.exit(0)

signal.signal(signal.SIGTERM, stop)
signal.pause()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--readers", type=int, default=5000)
    args = parser.parse_args(argv)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SMTP_SERVER, str(port)], stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"

    data_dir = Path(tempfile.mkdtemp(prefix="dp-digest-send-"))
    os.environ.update(
        DAILYPAPERS_DATA_DIR=str(data_dir),
        DAILYPAPERS_EMAIL_URL=f"smtp://127.0.0.1:{port}",
        DAILYPAPERS_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="dailypapers.settings",
    )
    os.environ.pop("DAILYPAPERS_DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from dailypapers.digests.models import Subscriber
    from dailypapers.digests.services.compose import compose_digests, period_key
    from dailypapers.digests.services.delivery import send_digests
    from dailypapers.papers.models import PaperAuthor
    from dailypapers.papers.queries import period_of

    rng = random.Random(7)
    by_day, _ = read_listings(limit_titles=0)
    busiest = max(by_day, key=lambda d: len(by_day[d]))
    day = dt.date.fromisoformat(busiest)
    ids = import_rows(by_day[busiest][:200], day, rng)
    names = list(
        PaperAuthor.objects.filter(paper_id__in=ids).values_list("author__name", flat=True)
    )
    categories = ["cs.CL", "cs.LG", "cs.CV", "cs.AI", "cs.RO", "cs.CR"]
    Subscriber.objects.bulk_create(
        [
            Subscriber(
                email=f"reader{i}@example.org",
                status="active",
                authors=rng.sample(names, 2),
                categories=rng.sample(categories, 1),
            )
            for i in range(args.readers)
        ],
        batch_size=5000,
    )
    period = period_of("day", day)
    composed = compose_digests(period, list(Subscriber.objects.values_list("pk", flat=True)))
    print(f"setup: {composed.summary()}", file=sys.stderr)

    started, cpu_started = time.perf_counter(), time.process_time()
    report = send_digests(period_key(period))
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    server.send_signal(signal.SIGTERM)
    received = int(server.communicate(timeout=30)[0].strip() or 0)
    rate = report.sent / elapsed
    print(report.summary())
    print(
        f"send: {report.sent:,} digests in {elapsed:.1f} s = {rate:.0f} messages/s "
        f"(aim >= {AIM:.0f}); the SMTP server received {received:,}; the sender used "
        f"{cpu:.1f} CPU-s ({1000 * cpu / max(report.sent, 1):.1f} ms per message)"
    )
    shutil.rmtree(data_dir, ignore_errors=True)
    ok = received == report.sent == args.readers and rate >= AIM
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
