"""Rate limits for abuse-prone actions (login, signup, submit, vote, comment).

A fixed window per (action, key) counted in Django's cache: ``cache.add`` starts a window,
``cache.incr`` counts in it. Over the limit the view answers 429 with ``Retry-After``. Limits are
``DAILYPAPERS_RATE_LIMITS`` (``action=count/seconds`` pairs). With the default per-process memory
cache each gunicorn worker counts alone; a shared Redis cache (``DAILYPAPERS_CACHE_URL``) makes
the limit exact across workers and hosts.
"""

from __future__ import annotations

import hashlib
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
    """Count one attempt; return 0 when allowed, else the seconds until the window ends."""
    limit = settings.RATE_LIMITS.get(action)
    if limit is None or limit.attempts <= 0:
        return 0
    window = int(time.time() // limit.seconds)
    digest = hashlib.sha256(f"{action}:{key}".encode()).hexdigest()[:32]
    cache_key = f"ratelimit:{action}:{window}:{digest}"
    if cache.add(cache_key, 1, timeout=limit.seconds + 1):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.add(cache_key, 1, timeout=limit.seconds + 1)
            count = 1
    if count <= limit.attempts:
        return 0
    return max(1, int((window + 1) * limit.seconds - time.time()))


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
