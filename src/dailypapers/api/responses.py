"""JSON responses of the API: the one encoder, the CORS header, errors, and the response cache.

Every API response, success or error, leaves through ``json_response`` so each one carries
``Content-Type: application/json`` and ``Access-Control-Allow-Origin: *`` (the API is public and
read-only, like huggingface.co's, so any web page may call it).

Cache: anonymous GETs keep their serialized body in the Django cache for
``settings.CACHE_SECONDS``. The key holds the endpoint, the *validated* parameters and
``feed_generation()``, which every committed import bumps, so an import makes the old entries
unreachable at once. Keying on validated parameters rather than the raw query string means
``?limit=50&date=D`` and ``?date=D&limit=50&x=junk`` share one entry: junk parameters cannot force
database work. The entry also holds the body gzipped once, so clients that accept gzip (browsers,
``huggingface_hub``) do not cost a compression per request; ``GZipMiddleware`` leaves a response
that already has a ``Content-Encoding`` alone. (Its per-response random padding defends secrets
against BREACH; these bodies are public and hold none.)
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

from dailypapers.papers.signals import feed_generation

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
CACHE_PREFIX = "api:v1:"
MIN_GZIP_BYTES = 200  # GZipMiddleware's own threshold: smaller bodies do not shrink
ACCEPTS_GZIP = re.compile(r"\bgzip\b")


class ApiError(Exception):
    """A request we refuse, with the HTTP status and (for a bad parameter) the parameter's name."""

    def __init__(self, status: int, message: str, param: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param


def encode(data: Any) -> bytes:
    # Compact like huggingface.co; strings are JSON-escaped, never HTML-escaped (JSON is not HTML).
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(body: bytes, status: int = 200) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type=JSON_CONTENT_TYPE)
    response["Access-Control-Allow-Origin"] = "*"
    return response


def error_response(
    status: int, message: str, param: str | None = None, detail: list | None = None
) -> HttpResponse:
    data: dict[str, Any] = {"error": message}
    if param:
        data["param"] = param
    if detail is not None:
        data["detail"] = detail
    return json_response(encode(data), status=status)


def _cacheable(request: HttpRequest) -> bool:
    if request.method != "GET" or settings.CACHE_SECONDS <= 0:
        return False
    user = getattr(request, "user", None)
    # Signed-in users may one day see their own votes in these payloads; never share theirs.
    return user is None or not user.is_authenticated


def cache_key(endpoint: str, params: tuple[Any, ...]) -> str:
    identity = repr((endpoint, params, feed_generation()))
    # Hashed: parameters can be long user input, and some cache backends limit key length.
    return CACHE_PREFIX + hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()


def _negotiated(request: HttpRequest, body: bytes, gzipped: bytes | None) -> HttpResponse:
    if gzipped is None:
        return json_response(body)
    if ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")):
        response = json_response(gzipped)
        response["Content-Encoding"] = "gzip"
    else:
        response = json_response(body)
    patch_vary_headers(response, ("Accept-Encoding",))
    return response


def cached_json(
    request: HttpRequest, endpoint: str, params: tuple[Any, ...], build: Callable[[], Any]
) -> HttpResponse:
    """The JSON of ``build()``, from the cache when an anonymous GET already asked for it."""
    if not _cacheable(request):
        return json_response(encode(build()))
    # The generation is read before building: if an import commits meanwhile, this body is stored
    # under the old generation, which no later request asks for.
    key = cache_key(endpoint, params)
    entry = cache.get(key)
    if entry is None:
        body = encode(build())
        gzipped = (
            gzip.compress(body, compresslevel=6, mtime=0) if len(body) >= MIN_GZIP_BYTES else None
        )
        entry = (body, gzipped)
        cache.set(key, entry, timeout=settings.CACHE_SECONDS)
    return _negotiated(request, *entry)
