"""A polite HTTP client for upstreams: one request at a time, a pause between calls, retries with
exponential backoff on 429/5xx and connection errors (honouring ``Retry-After``), and a clear
``UpstreamError`` when it gives up. Every source module fetches through it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

import requests
from django.conf import settings

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class UpstreamError(RuntimeError):
    """An upstream answered with an error we cannot retry away, or kept failing."""


class PoliteClient:
    def __init__(
        self,
        *,
        delay: float | None = None,
        retries: int | None = None,
        timeout: float | None = None,
        backoff: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.delay = settings.UPSTREAM_DELAY_SECONDS if delay is None else delay
        self.retries = settings.UPSTREAM_RETRIES if retries is None else retries
        self.timeout = settings.UPSTREAM_TIMEOUT_SECONDS if timeout is None else timeout
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

    def get(self, url: str, params: Mapping[str, str | int] | None = None) -> requests.Response:
        """GET ``url``; returns the response for 2xx and for 4xx that the caller must read
        (arXiv reports a bad query as an Atom feed with HTTP 400)."""
        attempt = 0
        while True:
            self._wait_turn()
            self._last_call = self.clock()
            self.calls += 1
            try:
                response = self.session.get(url, params=params, timeout=self.timeout)
            except requests.RequestException as exc:
                problem = f"{type(exc).__name__}: {exc}"
                retry_after = None
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response
                problem = f"HTTP {response.status_code}"
                retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
            attempt += 1
            if attempt > self.retries:
                raise UpstreamError(f"{url} failed after {attempt} attempts: {problem}")
            pause = max(retry_after or 0.0, self.delay * (self.backoff ** (attempt - 1)))
            log.warning("%s: %s; retry %d/%d in %.1fs", url, problem, attempt, self.retries, pause)
            self.sleep(pause)


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
