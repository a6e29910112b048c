"""gunicorn server hooks that run the background-job worker (``dailypapers worker``) beside the site.

``dailypapers serve --worker`` (and ``demo``, where it is the default) passes this module to
gunicorn as its config (``--config python:dailypapers.web.gunicorn_worker``). gunicorn reads the
hooks below from it: the master starts one worker process when it starts and stops it when it
exits, so one Ctrl-C (or a service manager's SIGTERM) ends both. On a laptop this is all it takes
for votes to refresh trending, imports to reach search and digests to go out; a larger install
runs ``dailypapers worker`` as a service of its own instead.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

STOP_TIMEOUT_SECONDS = 20

_worker: subprocess.Popen[bytes] | None = None


def on_starting(server: Any) -> None:
    global _worker
    _worker = subprocess.Popen([sys.executable, "-m", "dailypapers.cli", "worker"])
    server.log.info("Started the background-job worker (pid %s)", _worker.pid)


def on_exit(server: Any) -> None:
    if _worker is None or _worker.poll() is not None:
        return
    server.log.info("Stopping the background-job worker (pid %s)", _worker.pid)
    _worker.terminate()  # huey finishes the running job's current step and exits
    try:
        _worker.wait(STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        _worker.kill()
        _worker.wait()
