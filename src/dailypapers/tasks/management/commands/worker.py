"""``dailypapers worker``: run the background-job consumer (huey's ``run_huey``, under our name).

It takes every ``run_huey`` option (``--workers``, ``--worker-type``, ``--no-periodic``, ...), with
the defaults of the ``HUEY`` setting (``DAILYPAPERS_HUEY_WORKERS`` threads, periodic jobs on, stale
locks flushed at start). Jobs are the ``tasks`` modules of the installed apps.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connections
from huey.contrib.djhuey.management.commands.run_huey import Command as RunHuey

from dailypapers.commands import require_migrated


class Command(RunHuey):
    help = (
        "Run background jobs (huey consumer): trending score refreshes after votes and the "
        "periodic full recompute. Queue: DAILYPAPERS_HUEY_URL (default a SQLite file in the data "
        "directory). Stop with Ctrl-C or SIGTERM."
    )

    def handle(self, *args, **options):
        if settings.HUEY.get("immediate"):
            raise CommandError(
                "DAILYPAPERS_HUEY_IMMEDIATE is on: jobs run inline in the web process, so a worker "
                "would find nothing to do"
            )
        require_migrated()
        connections.close_all()  # the consumer's threads open their own
        target = settings.HUEY.get("filename") or settings.HUEY.get("url", "")
        self.stdout.write(f"Worker: queue {target}")
        self.stdout.flush()
        super().handle(*args, **options)
