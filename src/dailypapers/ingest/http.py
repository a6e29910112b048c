"""A polite HTTP client for upstreams: one request at a time, a pause between calls, retries with
exponential backoff on 429/5xx and connection errors (honouring ``Retry-After``), and a clear
``UpstreamError`` when it gives up. Every source module fetches through it.

Every answer is read with a size cap (``DAILYPAPERS_UPSTREAM_MAX_BYTES``), streamed, so a broken or
hostile upstream cannot exhaust memory: a body that declares more is refused unread, and one that
goes past the cap while it streams (no length, a false length, gzip that expands) is cut off there.
Either is ``UpstreamTooLarge``, not retried: the same answer would come back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import requests
from django.conf import settings

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
READ_CHUNK_BYTES = 64 * 1024


class UpstreamError(RuntimeError):
    """An upstream answered with an error we cannot retry away, or kept failing."""


class UpstreamTooLarge(UpstreamError):
    """An answer larger than ``DAILYPAPERS_UPSTREAM_MAX_BYTES``; none of it is used."""


@dataclass(frozen=True, slots=True)
class UpstreamResponse:
    """An upstream's answer, read whole within the size cap."""

    url: str
    status_code: int
    headers: Mapping[str, str]
    content: bytes
    encoding: str | None = None

    @property
    def text(self) -> str:
        """The body as text, for messages; parsers read ``content`` (the bytes) instead."""
        try:
            return self.content.decode(self.encoding or "utf-8", errors="replace")
        except LookupError:  # a charset name Python does not know
            return self.content.decode("utf-8", errors="replace")


class PoliteClient:
    def __init__(
        self,
        *,
        delay: float | None = None,
        retries: int | None = None,
        timeout: float | None = None,
        max_bytes: int | None = None,
        backoff: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.delay = settings.UPSTREAM_DELAY_SECONDS if delay is None else delay
        self.retries = settings.UPSTREAM_RETRIES if retries is None else retries
        self.timeout = settings.UPSTREAM_TIMEOUT_SECONDS if timeout is None else timeout
        self.max_bytes = settings.UPSTREAM_MAX_BYTES if max_bytes is None else max_bytes
        self.backoff = backoff
        self.sleep = sleep
        self.clock = clock
        self._last_call: float | None = None
        self.session = requests.Session()
        self.session.headers["User-Agent"] = settings.USER_AGENT
        self.calls = 0

    def _wait_turn(self) -> None:
        if self._last_call is not None:
            remaining = self.delay - (self.clock() - self._last_call)
            if remaining > 0:
                self.sleep(remaining)

    def get(self, url: str, params: Mapping[str, str | int] | None = None) -> UpstreamResponse:
        """GET ``url``; returns the response for 2xx and for 4xx that the caller must read
        (arXiv reports a bad query as an Atom feed with HTTP 400). Raises ``UpstreamTooLarge``
        for an answer over the size cap, ``UpstreamError`` when the retries run out."""
        attempt = 0
        while True:
            self._wait_turn()
            self._last_call = self.clock()
            self.calls += 1
            retry_after = None
            try:
                # Streamed, so the body is read only as far as the cap allows; ``with`` hands the
                # connection back (or drops it, when the body was not read to its end).
                with self.session.get(
                    url, params=params, timeout=self.timeout, stream=True
                ) as response:
                    if response.status_code in RETRY_STATUSES:
                        problem = f"HTTP {response.status_code}"
                        retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
                    else:
                        return UpstreamResponse(
                            url=response.url,
                            status_code=response.status_code,
                            headers=response.headers,
                            content=self._read_capped(response),
                            encoding=response.encoding,
                        )
            except requests.RequestException as exc:  # also a connection lost mid-body
                problem = f"{type(exc).__name__}: {exc}"
            attempt += 1
            if attempt > self.retries:
                raise UpstreamError(f"{url} failed after {attempt} attempts: {problem}")
            pause = max(retry_after or 0.0, self.delay * (self.backoff ** (attempt - 1)))
            log.warning("%s: %s; retry %d/%d in %.1fs", url, problem, attempt, self.retries, pause)
            self.sleep(pause)

    def _read_capped(self, response: requests.Response) -> bytes:
        limit = self.max_bytes
        declared = response.headers.get("Content-Length", "")
        # A body sent in chunks ignores its Content-Length, so the header only refuses early;
        # the count below is what holds.
        if declared.isdigit() and int(declared) > limit:
            raise UpstreamTooLarge(
                f"{response.url}: the answer says it is {int(declared):,} bytes, more than the "
                f"{limit:,} allowed (DAILYPAPERS_UPSTREAM_MAX_BYTES); not read"
            )
        chunks: list[bytes] = []
        size = 0
        # Decoded chunks: a gzip body is counted by what it expands to, not what it sends.
        for chunk in response.iter_content(chunk_size=READ_CHUNK_BYTES):
            size += len(chunk)
            if size > limit:
                raise UpstreamTooLarge(
                    f"{response.url}: the answer is more than {limit:,} bytes, the most allowed "
                    "(DAILYPAPERS_UPSTREAM_MAX_BYTES); stopped reading it, and none of it is used"
                )
            chunks.append(chunk)
        return b"".join(chunks)


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
