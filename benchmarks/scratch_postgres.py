"""A scratch PostgreSQL database for benchmarks of the PostgreSQL search backend.

``scratch_database(url)`` creates an empty database on the server of ``url``, points Django at it
(``DAILYPAPERS_DATABASE_URL``, then ``django.setup()``), creates the search tables
(``ensure_postgres_tables``) and drops the database when the block ends. Child processes inherit
the environment variable and so open the same database.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

DEFAULT_URL = "postgresql://root@127.0.0.1:5432/test"


@contextlib.contextmanager
def scratch_database(url: str, prefix: str) -> Iterator[str]:
    import psycopg

    scratch = f"{prefix}_{uuid.uuid4().hex[:8]}"
    base, _, _ = url.rpartition("/")
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {scratch}")
    try:
        os.environ["DAILYPAPERS_DATABASE_URL"] = f"{base}/{scratch}"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
        import django

        django.setup()
        from django.db import connection

        from dailypapers.search.postgres_index import ensure_postgres_tables

        if not ensure_postgres_tables(connection):
            raise SystemExit(f"pgvector is not installed on {base}: `make pgvector` installs it")
        try:
            yield f"{base}/{scratch}"
        finally:
            connection.close()
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")


def open_postgres_in_child() -> None:
    """In a child process started inside ``scratch_database``: set Django up on that database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    import django

    django.setup()
