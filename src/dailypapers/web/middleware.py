"""Security headers on every response: a strict CSP (no inline script), no framing, no sniffing;
and on the pages a signed link opens, no token in Referer headers and no copy in a shared cache."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from dailypapers.web.token_urls import is_token_parameter

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' https: data:",
        # Paper media (demo videos) are remote https files, like thumbnails.
        "media-src 'self' https:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/admin/") and not request.path.startswith("/api/docs"):
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        match = request.resolver_match
        if match is not None and any(map(is_token_parameter, match.kwargs)):
            # The URL holds a token: links and forms on the page send only the origin as Referer
            # (not no-referrer: a form would then send "Origin: null" and fail the CSRF check),
            # and the page, which may show an address or preferences, is never stored.
            response.headers.setdefault("Referrer-Policy", "strict-origin")
            if "Cache-Control" not in response.headers:
                patch_cache_control(response, private=True, no_store=True)
        return response
