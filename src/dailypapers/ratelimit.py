"""Rate limits for abuse-prone actions (login, signup, submit, vote, comment, subscribe, search),
and who the client is.

**Counting.** A window per (action, key) counted in Django's cache, opened by the key's first
attempt (``cache.add``) and counted with ``cache.incr``. Over the limit the answer is 429 with
``Retry-After`` (``too_many_requests``: an HTML page, or JSON under ``/api/``). Limits are
``DAILYPAPERS_RATE_LIMITS`` (``action=count/seconds`` pairs). With the default per-process memory
cache each gunicorn worker counts alone; a shared Redis cache (``DAILYPAPERS_CACHE_URL``) makes
the limit exact across workers and hosts. An attempt is counted *before* the work it guards
(``hit``), so a burst of parallel requests cannot all slip in under the limit; a caller that
counts failures only gives the attempt back when it succeeded (``refund``, the login does).

**The client.** ``client_ip`` is the connection's address (``REMOTE_ADDR``), unless that address
is one of ``DAILYPAPERS_TRUSTED_PROXIES``: then ``X-Forwarded-For`` is read from the right,
skipping the trusted proxies' own hops, and the first address that is not a trusted proxy is the
client. Hops to its left were written by the client itself and are never believed. Without the
setting the header is ignored, so nobody can choose their own key by sending it. ``client_key``
is the rate-limit key of that address: an IPv6 client is counted by its /64 (one subscriber's
usual allocation, which a single machine can otherwise hop through at will).
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_FORWARDED_CHARS = 2048  # the right end of X-Forwarded-For is read; the rest is the client's
MAX_FORWARDED_HOPS = 16
IPV6_CLIENT_PREFIX = 64

# What each action counts, in words for the 429 answer ("Too many searches from you...").
COUNTED = {
    "login": "login attempts",
    "signup": "sign-up attempts",
    "password_reset": "password reset requests",
    "submit": "paper submissions",
    "vote": "vote attempts",
    "comment": "comments, edits and deletions",
    "subscribe": "subscription requests",
    "search": "searches",
}


def _address(text: str) -> IPAddress | None:
    """The IP address in one hop of a header or in REMOTE_ADDR, else None.

    Accepts ``1.2.3.4``, ``2001:db8::1``, and with a port ``1.2.3.4:5678`` or
    ``[2001:db8::1]:443`` (some proxies add it); an IPv4-mapped IPv6 address is its IPv4 address
    and a zone (``%eth0``) is dropped. Anything else (``unknown``, a host name, garbage) is None.
    """
    value = text.strip()
    if not value or len(value) > 64:
        return None
    if value.startswith("["):
        end = value.find("]")
        if end == -1 or value[end + 1 :] and not value[end + 1 :].startswith(":"):
            return None
        value = value[1:end]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    value = value.split("%", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress) -> bool:
    return any(address in network for network in settings.TRUSTED_PROXIES)


def client_address(request: HttpRequest) -> IPAddress | None:
    """The client's address: see the module's docstring. None when REMOTE_ADDR is not one."""
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    if remote is None or not settings.TRUSTED_PROXIES or not _trusted(remote):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")[-MAX_FORWARDED_CHARS:]
    client = remote
    for hop in reversed(forwarded.split(",")[-MAX_FORWARDED_HOPS:]):
        address = _address(hop)
        if address is None:
            # A trusted proxy passed on something that is not an address: believe no further
            # left than the last hop a trusted proxy vouched for.
            break
        client = address
        if not _trusted(address):
            break
    return client


def client_ip(request: HttpRequest) -> str:
    """The client's IP address as text (``"unknown"`` without one), for keys and logs."""
    address = client_address(request)
    return str(address) if address is not None else "unknown"


def client_key(request: HttpRequest) -> str:
    """The rate-limit key of the client's address: ``ip:1.2.3.4`` or ``ip:2001:db8:1:2::/64``."""
    address = client_address(request)
    if address is None:
        return "ip:unknown"
    if address.version == 6:
        network = ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False)
        return f"ip:{network}"
    return f"ip:{address}"


def user_or_client_key(request: HttpRequest) -> str:
    """The signed-in user's id, else the client's address: the default key of a limit."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return client_key(request)


def _cache_keys(action: str, key: str) -> tuple[str, str]:
    digest = hashlib.sha256(f"{action}:{key}".encode()).hexdigest()[:32]
    return f"ratelimit:{digest}:start", f"ratelimit:{digest}:count"


def hit(action: str, key: str) -> int:
    """Count one attempt; return 0 when allowed, else the seconds until the window ends.

    The window starts at a client's first attempt (not at a clock boundary), so a burst can never
    be split across two windows and get twice the budget.
    """
    limit = settings.RATE_LIMITS.get(action)
    if limit is None or limit.attempts <= 0:
        return 0
    start_key, count_key = _cache_keys(action, key)
    now = time.time()
    if cache.add(start_key, now, timeout=limit.seconds):
        cache.set(count_key, 1, timeout=limit.seconds)
        count = 1
    else:
        try:
            count = cache.incr(count_key)
        except ValueError:  # the count expired just before its start time
            cache.set(count_key, 1, timeout=limit.seconds)
            count = 1
    if count <= limit.attempts:
        return 0
    started = cache.get(start_key, now)
    return max(1, math.ceil(started + limit.seconds - now))


def refund(action: str, key: str) -> None:
    """Give back one attempt counted by ``hit`` (it succeeded, and only failures count)."""
    if settings.RATE_LIMITS.get(action) is None:
        return
    _, count_key = _cache_keys(action, key)
    try:
        if cache.decr(count_key) < 0:
            cache.incr(count_key)
    except ValueError:  # the window ended meanwhile: nothing left to give back
        pass


def _wait_in_words(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    if seconds < 7200:
        return f"{math.ceil(seconds / 60)} minutes"
    return f"{math.ceil(seconds / 3600)} hours"


def rate_limit_message(action: str, retry_after: int) -> str:
    counted = COUNTED.get(action, f"{action} attempts")
    return (
        f"Too many {counted} from you in a short time. Try again in {_wait_in_words(retry_after)}."
    )


def too_many_requests(
    request: HttpRequest, retry_after: int, action: str, hint: str = ""
) -> HttpResponse:
    """429 with ``Retry-After``: JSON for the API and JSON clients, else a page saying what was
    counted, how long to wait, and (``hint``) what else the visitor can do."""
    message = rate_limit_message(action, retry_after)
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response: HttpResponse = JsonResponse(
            {"error": message, "retry_after": retry_after}, status=429
        )
    else:
        context = {
            "message": message,
            "hint": hint,
            "retry_after": retry_after,
            # A GET can simply be asked again; a form's page is where its text still is.
            "again_url": request.get_full_path() if request.method == "GET" else "",
        }
        body = render_to_string("429.html", context, request=request)
        response = HttpResponse(body, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def limit_request(
    request: HttpRequest,
    action: str,
    key: Callable[[HttpRequest], str] = user_or_client_key,
) -> HttpResponse | None:
    """Count this request against ``action``: None when allowed, else the 429 answer.

    For views that count only some requests (a search, not the empty search form).
    """
    retry_after = hit(action, key(request))
    return too_many_requests(request, retry_after, action) if retry_after else None


def rate_limited(
    action: str,
    key: Callable[[HttpRequest], str] | None = None,
    methods: tuple[str, ...] = ("POST",),
) -> Callable:
    """Decorate a view: each request with a method in ``methods`` counts against ``action``.

    ``key`` defaults to the signed-in user's id, else the client's address (``client_key``).
    """
    key_of = key or user_or_client_key

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method in methods:
                refused = limit_request(request, action, key_of)
                if refused is not None:
                    return refused
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
