"""Fixtures shared by the whole suite: the real data folder, a local upstream HTTP server, a local
SMTP server (aiosmtpd) that Django sends mail to, factories."""

from __future__ import annotations

import os
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("DAILYPAPERS_SHARED_DATA_DIR", ROOT.parent / "shared" / "data"))


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    """Cached pages and the feed generation live in the process-wide cache: no test sees another's."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(scope="session", autouse=True)
def _end_leftover_database_sessions(django_db_setup, django_db_blocker) -> Iterator[None]:
    """Before the test database is dropped, end PostgreSQL sessions that threads left open.

    The live server (one per test session) answers each HTTP connection in a daemon thread that
    holds a database connection until the client closes it; a client that never does leaves the
    thread, and its session, past the server's shutdown, and PostgreSQL then refuses to drop the
    test database ("being accessed by other users"). They are named in a warning, then ended.
    """
    yield
    with django_db_blocker.unblock():
        from django.db import connection

        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid, state, left(query, 80) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            leftover = cursor.fetchall()
            for pid, state, query in leftover:
                warnings.warn(
                    f"ending a leftover database session: pid {pid}, {state}, {query!r}",
                    stacklevel=2,
                )
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the checkout; tests that need it skip clearly when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"needs the real data folder {SHARED_DATA} (absent on this checkout)")
    return SHARED_DATA


@dataclass
class Exchange:
    """One answer. ``stream`` (instead of ``body``) writes its chunks one by one with no
    ``Content-Length`` of its own (``headers`` may still claim one) until it ends or the client
    hangs up, then closes the connection: an upstream that is huge, lies or never stops."""

    status: int
    body: bytes
    content_type: str = "application/xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    stream: Callable[[], Iterator[bytes]] | None = None


@dataclass
class UpstreamServer:
    """A real HTTP server on loopback that answers from a routing function; records every request.

    ``route(path, query) -> Exchange | None``; ``None`` answers 404.
    """

    url: str
    requests: list[tuple[str, dict[str, str]]]
    route: Callable[[str, dict[str, str]], Exchange | None]


@pytest.fixture
def upstream_server() -> Iterator[
    Callable[[Callable[[str, dict[str, str]], Exchange | None]], UpstreamServer]
]:
    servers: list[ThreadingHTTPServer] = []

    def start(route: Callable[[str, dict[str, str]], Exchange | None]) -> UpstreamServer:
        seen: list[tuple[str, dict[str, str]]] = []
        holder: dict[str, UpstreamServer] = {}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query, keep_blank_values=True))
                seen.append((parts.path, query))
                answer = holder["server"].route(parts.path, query)
                if answer is None:
                    answer = Exchange(404, b"not found", "text/plain")
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                if answer.stream is None:
                    self.send_header("Content-Length", str(len(answer.body)))
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                if answer.stream is None:
                    self.wfile.write(answer.body)
                    return
                self.close_connection = True
                try:
                    for chunk in answer.stream():
                        self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading: what a capped client should do

            def log_message(self, *args: object) -> None:
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        servers.append(httpd)
        threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        server = UpstreamServer(f"http://127.0.0.1:{httpd.server_address[1]}", seen, route)
        holder["server"] = server
        return server

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


@dataclass
class ReceivedEmail:
    """One message as the SMTP server received it (envelope plus parsed message)."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def body(self, subtype: str = "plain") -> str:
        part = self.message.get_body(preferencelist=(subtype,))
        return part.get_content() if part is not None else ""


@dataclass
class SmtpServer:
    host: str
    port: int
    received: list[ReceivedEmail]

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[ReceivedEmail]:
        """The first ``count`` messages, waiting up to ``timeout`` seconds for them to arrive."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.received) >= count, f"expected {count} emails, got {len(self.received)}"
        return self.received[:count]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def huey_immediate() -> Iterator[object]:
    """Background jobs run as soon as they are queued, in the queuing thread (huey's immediate
    mode), as a worker would run them at once: account emails, sent by jobs, reach the SMTP server.
    """
    from huey.contrib.djhuey import HUEY

    previous = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = previous


@pytest.fixture
def smtp_server(settings) -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1, with Django's SMTP backend pointed at it."""
    from aiosmtpd.controller import Controller

    received: list[ReceivedEmail] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            message = message_from_bytes(envelope.original_content, policy=email_policy.default)
            received.append(ReceivedEmail(envelope.mail_from, list(envelope.rcpt_tos), message))
            return "250 Message accepted for delivery"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    yield SmtpServer("127.0.0.1", port, received)
    controller.stop()
