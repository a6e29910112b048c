"""``/api/papers/search``: Hugging Face's paper search, as ``huggingface_hub``'s ``list_papers`` calls it.

``GET /api/papers/search?q=...&limit=...`` answers a JSON list of items shaped like
``/api/daily_papers`` items (``serializers.daily_item_json``), which is what huggingface.co sends
and what ``PaperInfo(**item)`` reads. Results come from the same ``search()`` as the search page
(hybrid ranking, the same query language: phrases, ``author:``, ``org:``, ``cat:``); without ``q``
the newest papers are listed, as on huggingface.co.

A call with ``q`` runs a search and counts against the ``search`` rate limit (per client; 429
with ``Retry-After`` beyond it); the newest-papers list without ``q`` is a plain read and does not.
The work of one call is bounded by ``q`` (250 characters, 64 terms) and ``limit`` (120).

Mounted before the router of ``/api/papers/{id}``, whose path pattern would otherwise take
``search`` for a paper id. Answers are not cached: the search index is updated by a background job
after an import commits, later than the generation that keys the other endpoints' cache.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from dailypapers.api import serializers
from dailypapers.api.responses import encode, json_response
from dailypapers.api.schemas import DailyPaperOut, ErrorOut, RateLimitedOut
from dailypapers.papers.queries import query_papers
from dailypapers.ratelimit import limit_request
from dailypapers.search.browse import MAX_QUERY_CHARS
from dailypapers.search.queries import search

router = Router(tags=["Hugging Face compatible"])

MAX_LIMIT = 120  # huggingface.co's own ceiling for this endpoint
DEFAULT_LIMIT = 50


@router.get(
    "/papers/search",
    response={200: list[DailyPaperOut], 400: ErrorOut, 429: RateLimitedOut},
    summary="Search papers",
    url_name="papers_search",
    by_alias=True,
)
def search_papers(
    request: HttpRequest,
    q: str | None = Query(
        None,
        max_length=MAX_QUERY_CHARS,
        description=(
            f"What to look for (up to {MAX_QUERY_CHARS} characters): words, "
            '"a phrase", author:name, org:name, cat:cs.CL. Without it, the newest papers.'
        ),
    ),
    limit: int = Query(
        DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"How many papers (1..{MAX_LIMIT})."
    ),
) -> HttpResponse:
    """Papers matching ``q``, best first, as huggingface.co's ``/api/papers/search``."""
    query = q or ""
    if query.strip():
        if (refused := limit_request(request, "search")) is not None:
            return refused
        papers = [hit.paper for hit in search(query, limit=limit).hits]
    else:
        papers = list(query_papers()[:limit])
    return json_response(encode([serializers.daily_item_json(paper) for paper in papers]))
