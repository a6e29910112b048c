"""Page cache for anonymous GETs of the paper pages.

A cached page is keyed by the full path (query string included) and by
``papers.signals.feed_generation()``, which every committed import bumps: a new import shows at
once, with no need to find and delete the old keys. Entries also expire after
``settings.CACHE_SECONDS`` (0 turns the cache off). Only complete 200 answers without cookies are
stored, so an error page or anything personal is never served to someone else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from dailypapers.papers.signals import feed_generation

CACHE_HEADER = "X-Page-Cache"


def page_cache_key(request: HttpRequest) -> str:
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    return f"web-page:{feed_generation()}:{path}"


def _cacheable_request(request: HttpRequest) -> bool:
    if request.method not in {"GET", "HEAD"} or settings.CACHE_SECONDS <= 0:
        return False
    user = getattr(request, "user", None)
    return user is None or not user.is_authenticated


def cache_page_for_anonymous(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _cacheable_request(request):
            return view(request, *args, **kwargs)
        key = page_cache_key(request)
        stored = cache.get(key)
        if stored is not None:
            content, content_type = stored
            response = HttpResponse(content, content_type=content_type)
            response[CACHE_HEADER] = "hit"
            return response
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming and not response.cookies:
            cache.set(key, (response.content, response["Content-Type"]), settings.CACHE_SECONDS)
            response[CACHE_HEADER] = "miss"
        return response

    return wrapper
