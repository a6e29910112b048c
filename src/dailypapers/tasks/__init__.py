"""Background jobs: huey wiring shared by every feature package.

The queue is configured in settings (``HUEY``: a SQLite file in the data directory by default,
Redis with ``DAILYPAPERS_HUEY_URL=redis://...``) and consumed by ``dailypapers worker``. Each
feature keeps its jobs in its own ``tasks.py`` (huey's Django integration imports them when the
worker starts). Tasks take ids, never model instances, and are enqueued only once the database
transaction that asked for them has committed: use :func:`enqueue_on_commit`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction


def enqueue_on_commit(task: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Enqueue ``task(*args, **kwargs)`` after the current transaction commits (at once outside one).

    A rolled-back transaction enqueues nothing, and the worker never reads rows that are not yet
    committed. Arguments must be plain values (ids), which huey pickles.
    """
    transaction.on_commit(lambda: task(*args, **kwargs))
