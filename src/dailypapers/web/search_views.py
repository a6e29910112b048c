"""Search in the HTML pages: ``/search``, a feed filtered by ``?q=``, and "Similar papers".

All three read through ``search.browse`` / ``search.queries`` (the same path as the JSON API):

* ``search_page``: ``/search?q=...`` over every paper, with filters (dates, category,
  organization, author, has code), a sort (best match, most upvoted, newest) and pages. An empty
  query shows how to search; a parameter that cannot be used (a 300-character query, a date that
  is not one) shows the form again with the problem named, status 400.
* ``render_filtered_feed``: ``/papers?q=`` and ``/papers/date|week|month/...?q=``: the papers of
  that day, week or month that match, best first (called by ``views.render_feed``).
* ``similar_papers_for``: the paper page's nearest neighbours by embedding.

Every request that runs a search counts against the ``search`` rate limit (per member, else per
client address; 429 beyond it). A page the page cache answers (``/papers?q=`` for anonymous
visitors) never reaches this code, so it costs nothing and is not counted.

Highlighted titles and snippets come from the engine as escaped HTML with ``<mark>`` around the
matched words; the templates mark only those two fields safe (tests check that hostile titles
and abstracts stay escaped).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from dailypapers.community.queries import get_voted_paper_ids
from dailypapers.papers.models import Paper
from dailypapers.papers.queries import query_feed
from dailypapers.ratelimit import limit_request
from dailypapers.search.browse import (
    MAX_FIELD_CHARS,
    MAX_QUERY_CHARS,
    MAX_RESULTS,
    SORTS,
    InvalidSearch,
    SearchForm,
    check_query,
    page_numbers,
    run_search,
    search_among,
)
from dailypapers.search.queries import SearchHit, similar_papers
from dailypapers.web.contexts import FeedView, PaperCard

log = logging.getLogger(__name__)

FEED_PAGE_SIZE = 50  # as the unfiltered feed
SIMILAR_PAPERS = 5
# Offered under the category box; any arXiv category (or archive) may be typed.
CATEGORY_SUGGESTIONS = [
    "cs.AI",
    "cs.CL",
    "cs.CV",
    "cs.LG",
    "cs.RO",
    "cs.IR",
    "cs.SD",
    "eess.AS",
    "eess.IV",
    "stat.ML",
    "cs",
]
EXAMPLES = [
    ("diffusion models for video", "words, ranked by meaning and by the words themselves"),
    ('"chain of thought"', "a phrase, exactly"),
    ('author:"Yann LeCun"', "papers by an author"),
    ("org:deepmind reinforcement learning", "an organization's papers about a topic"),
    ("cat:cs.CL retrieval", "a topic within an arXiv category"),
]


@dataclass
class ResultCard(PaperCard):
    """A paper in search results: a card with the matched words highlighted."""

    title_html: str = ""
    snippet_html: str = ""

    @classmethod
    def of(cls, hit: SearchHit) -> ResultCard:
        return cls(hit.paper, title_html=hit.title_html, snippet_html=hit.snippet_html)


def _voted(request: HttpRequest, papers: list[Paper]) -> set[int]:
    return get_voted_paper_ids(request.user, [paper.pk for paper in papers])


def _page_url(request: HttpRequest, page: int) -> str:
    params = request.GET.copy()
    params["page"] = str(page)
    return f"?{params.urlencode()}"


def _sort_url(request: HttpRequest, sort: str) -> str:
    params = request.GET.copy()
    params.pop("page", None)  # another order starts again at its first page
    params["sort"] = sort
    return f"?{params.urlencode()}"


def search_page(request: HttpRequest) -> HttpResponse:
    """``/search``: every paper, with filters, sorts and pages."""
    form, errors = SearchForm.from_params(request.GET)
    context = {
        "form": form,
        "errors": errors,
        "sorts": SORTS,
        "examples": [(text, why, f"?{urlencode({'q': text})}") for text, why in EXAMPLES],
        "max_query_chars": MAX_QUERY_CHARS,
        "max_field_chars": MAX_FIELD_CHARS,
        "max_results": MAX_RESULTS,
        "category_suggestions": CATEGORY_SUGGESTIONS,
        "results": None,
    }
    if errors:
        return render(request, "search/search.html", context, status=400)
    if form.is_empty:
        return render(request, "search/search.html", context)
    if (refused := limit_request(request, "search")) is not None:
        return refused
    results = run_search(form)
    cards = [ResultCard.of(hit) for hit in results.hits]
    context.update(
        results=results,
        cards=cards,
        voted_paper_ids=_voted(request, [card.paper for card in cards]),
        pages=[
            (number, _page_url(request, number) if number else "")
            for number in page_numbers(results.page, results.pages)
        ],
        previous_url=_page_url(request, results.page - 1) if results.has_previous else "",
        next_url=_page_url(request, results.page + 1) if results.has_next else "",
        first_page_url=_page_url(request, 1),
        sort_links=[
            (label, _sort_url(request, key), key == form.sort) for key, label in SORTS.items()
        ],
    )
    return render(request, "search/search.html", context)


def render_filtered_feed(request: HttpRequest, view: FeedView, raw_query: str) -> HttpResponse:
    """A day, week or month of the feed, only the papers matching ``raw_query``, best first.

    ``view`` carries the period and its navigation (tabs, previous and next), built by the feed.
    """
    period = view.period
    assert period is not None
    search_all = f"{reverse('papers.search')}?{urlencode({'q': raw_query[:MAX_QUERY_CHARS]})}"
    context: dict = {"feed": view, "q": raw_query, "search_all_url": search_all}
    try:
        query = check_query(raw_query)
    except InvalidSearch as error:
        context.update(error=error.message, cards=[], total=0)
        return render(request, "search/feed.html", context, status=400)
    if (refused := limit_request(request, "search")) is not None:
        return refused
    feed = list(query_feed(period).prefetch_related(None).values_list("pk", flat=True))
    found = search_among(query, feed)
    page_number = _feed_page(request.GET.get("page"), len(found.hits))
    start = (page_number - 1) * FEED_PAGE_SIZE
    hits = found.hits[start : start + FEED_PAGE_SIZE]
    cards = [ResultCard.of(hit) for hit in hits]
    pages = max(1, -(-len(found.hits) // FEED_PAGE_SIZE))
    context.update(
        cards=cards,
        total=len(found.hits),
        in_period=len(feed),
        notes=found.notes,
        page=page_number,
        pages=pages,
        previous_url=_page_url(request, page_number - 1) if page_number > 1 else "",
        next_url=_page_url(request, page_number + 1) if page_number < pages else "",
        clear_url=request.path,
        voted_paper_ids=_voted(request, [card.paper for card in cards]),
        keep_query=f"?{urlencode({'q': query})}",
    )
    return render(request, "search/feed.html", context)


def _feed_page(value: str | None, total: int) -> int:
    try:
        page = int(value or 1)
    except ValueError:
        return 1
    return min(max(page, 1), max(1, -(-total // FEED_PAGE_SIZE)))


def similar_papers_for(paper: Paper) -> list[PaperCard]:
    """The paper page's "Similar papers" (none while it is not indexed yet).

    A broken or missing index must not take the paper page down with it: the error is logged
    and the section left out.
    """
    try:
        return [PaperCard(similar.paper) for similar in similar_papers(paper.pk, SIMILAR_PAPERS)]
    except Exception:
        log.exception("similar papers of %s could not be read from the search index", paper.pk)
        return []
