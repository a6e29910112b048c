"""Rate limits for abuse-prone actions (login, signup, submit, vote, comment).

A window per (action, key) counted in Django's cache, opened by the key's first attempt
(``cache.add``) and counted with ``cache.incr``. Over the limit the view answers 429 with ``Retry-After``. Limits are
``DAILYPAPERS_RATE_LIMITS`` (``action=count/seconds`` pairs). With the default per-process memory
cache each gunicorn worker counts alone; a shared Redis cache (``DAILYPAPERS_CACHE_URL``) makes
the limit exact across workers and hosts.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def hit(action: str, key: str) -> int:
    """Count one attempt; return 0 when allowed, else the seconds until the window ends.

    The window starts at a client's first attempt (not at a clock boundary), so a burst can never
    be split across two windows and get twice the budget.
    """
    limit = settings.RATE_LIMITS.get(action)
    if limit is None or limit.attempts <= 0:
        return 0
    digest = hashlib.sha256(f"{action}:{key}".encode()).hexdigest()[:32]
    start_key, count_key = f"ratelimit:{digest}:start", f"ratelimit:{digest}:count"
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


def too_many_requests(request: HttpRequest, retry_after: int, action: str) -> HttpResponse:
    message = f"Too many {action} attempts. Try again in {retry_after} seconds."
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response: HttpResponse = JsonResponse(
            {"error": message, "retry_after": retry_after}, status=429
        )
    else:
        body = render_to_string("429.html", {"message": message}, request=request)
        response = HttpResponse(body, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def rate_limited(
    action: str,
    key: Callable[[HttpRequest], str] | None = None,
    methods: tuple[str, ...] = ("POST",),
) -> Callable:
    """Decorate a view: each request with a method in ``methods`` counts against ``action``.

    ``key`` defaults to the signed-in user's id, else the client IP.
    """

    def default_key(request: HttpRequest) -> str:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return f"user:{user.pk}"
        return f"ip:{client_ip(request)}"

    key_of = key or default_key

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method in methods:
                retry_after = hit(action, key_of(request))
                if retry_after:
                    return too_many_requests(request, retry_after, action)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
