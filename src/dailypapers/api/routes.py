"""The JSON API (django-ninja): the ``NinjaAPI`` object, its routers, and how errors are answered.

Every error is JSON ``{"error": ..., "param": ...}`` with a 4xx status, including parameter
validation that ninja performs itself (ninja's default would be 422 ``{"detail": [...]}``; 400
with the same shape as our own errors is what clients of huggingface.co expect). Unknown paths
under ``/api/`` answer a JSON 404 too instead of the site's HTML page.

The interactive docs (``/api/docs``) load Swagger UI from ninja's own static files (``ninja`` is
in ``INSTALLED_APPS`` for that reason), never from a CDN.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from dailypapers.api.community import router as community_router
from dailypapers.api.hf import router as hf_router
from dailypapers.api.responses import ApiError, error_response
from dailypapers.api.search import router as search_router

api = NinjaAPI(
    title="dailypapers API",
    version="1",
    description=(
        "JSON API compatible with Hugging Face's daily papers API: "
        "`huggingface_hub.HfApi(endpoint=...)` works against it. Writes (submit, upvote) need a "
        "personal API token as `Authorization: Bearer dp_...`. See docs/api.md."
    ),
    urls_namespace="api",
)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return error_response(exc.status, exc.message, exc.param)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    # Only type/loc/msg: pydantic's "input" would echo back whatever was sent (10 KB strings...).
    detail = [
        {
            "type": e.get("type"),
            "loc": [str(part) for part in e.get("loc") or ()],
            "msg": e.get("msg"),
        }
        for e in exc.errors
    ]
    if not detail:
        return error_response(400, "invalid request")
    first = detail[0]
    # loc is ["query", "limit"]: its last part is the parameter's name as the client sent it.
    param = first["loc"][-1] if first["loc"] else None
    message = f"{param}: {first['msg']}" if param else str(first["msg"])
    return error_response(400, message, param, detail)


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = error_response(
        401,
        "a valid API token is required: send Authorization: Bearer dp_... (see /accounts/tokens)",
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    # Django's own answer would be its HTML 400 page.
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return error_response(413, f"the request body is larger than {limit} bytes")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(404, "not found")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error_response(exc.status_code, exc.message)


# Before hf_router: its /papers/{id} pattern would take "search", "submit" and
# ".../upvote" for paper ids.
api.add_router("", search_router)
api.add_router("", community_router)
api.add_router("", hf_router)


@csrf_exempt
def unknown_endpoint(request: HttpRequest) -> HttpResponse:
    """Any other path under ``/api/``, any method: a JSON 404, never the site's HTML page.

    Mounted in ``urls.py`` after the API with a bare prefix match: ninja's path converters stop at a
    line break (``/api/papers/%0A``), which a catch-all route of the API itself would miss.
    Exempt from CSRF because it changes nothing and a POST deserves the same 404.
    """
    return error_response(404, "no such API endpoint; see /api/docs")
