"""Fixtures of the functional tests: ``hub``, the official ``huggingface_hub`` client pointed at
pytest-django's ``live_server``.

The live server (one per test session) answers each HTTP connection in a thread of its own, and
that thread holds a database connection for as long as the HTTP connection stays open. The client
keeps its connection alive, so after each test the fixture closes the client's session and waits
for the threads this test's requests started: a leftover thread would hold a database connection
(PostgreSQL then refuses to drop the test database). Threads of other tests are not waited for.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

# Set before huggingface_hub reads its environment at import time: no telemetry calls home.
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

import pytest  # noqa: E402
from huggingface_hub import HfApi, constants  # noqa: E402
from huggingface_hub.utils import close_session  # noqa: E402

REQUEST_THREAD = "process_request_thread"


@pytest.fixture
def request_threads_joined() -> Iterator[None]:
    """After the test, wait for the live server's threads that this test's requests started."""
    before = set(threading.enumerate())
    yield
    for thread in set(threading.enumerate()) - before:
        if REQUEST_THREAD in thread.name:
            thread.join(timeout=5)


@pytest.fixture
def hub(live_server, request_threads_joined) -> Iterator[HfApi]:
    # Offline mode makes the client refuse every request, which would hide what we test.
    assert not constants.HF_HUB_OFFLINE, "unset HF_HUB_OFFLINE to run the huggingface_hub tests"
    yield HfApi(endpoint=live_server.url, token=False)
    close_session()
