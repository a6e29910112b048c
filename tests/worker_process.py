"""A real ``dailypapers worker`` process for tests: started on the test database and queue,
stopped with SIGINT (as a service manager stops it) once a condition holds or a minute passes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url_of_the_test_database() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgresql://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def run_worker_until(done: Callable[[], bool], timeout: float = 60, **env: str) -> str:
    """Run a worker (one thread, no periodic jobs) until ``done()``; return its output.

    It gets only the test's data folder and database (plus ``env``, DAILYPAPERS_* variables), not
    the rest of this process's DAILYPAPERS_* environment.
    """
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_")}
    environment.update(
        DAILYPAPERS_DATA_DIR=str(settings.DATA_DIR),
        DAILYPAPERS_DATABASE_URL=database_url_of_the_test_database(),
        DAILYPAPERS_SHARED_DATA_DIR=str(settings.SHARED_DATA_DIR),
        **env,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "dailypapers.cli", "worker", "--workers", "1", "--no-periodic"],
        env=environment,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and worker.poll() is None and not done():
            time.sleep(0.1)
    finally:
        worker.send_signal(signal.SIGINT)
        output, _ = worker.communicate(timeout=60)
    return output
