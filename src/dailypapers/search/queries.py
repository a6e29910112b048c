"""Search reads: papers, ranked by the engine, with highlighted titles and snippets.

    search(query, filters, sort, limit, offset)   the best matches among every paper: the search
                                                  page, the API, the search feed (any page size
                                                  up to ``MAX_LIMIT`` in one call)
    search_among(query, paper_ids)                the matches among these papers only, best first
                                                  (a feed filtered by ``?q=``)
    similar_papers(paper_id, k)                   nearest neighbours by embedding

Each parses the query (never raising on its text), ranks with the process's ``SearchEngine``
(``engine.search`` or ``engine.rank_among``; hybrid by default), then loads the papers of the
hits in a constant number of queries, in ranked order, with highlighted title and snippet
(escaped HTML with ``<mark>``). Documents whose paper has meanwhile been deleted or hidden by a
moderator are skipped, so a page never shows a ghost. The digest ranks its interests with
``engine.rank_among`` directly: it needs scores for thousands of interests, not pages.
Invalid *parameters* (an unknown sort, a negative limit) raise ``ValueError`` with a clear message:
they come from code or an API client, not from the search box.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Prefetch

from dailypapers.papers.models import Paper, PaperAuthor
from dailypapers.search.backend import get_search_index
from dailypapers.search.engine import MODES, EngineResults, Mode, SearchEngine
from dailypapers.search.interfaces import SORT_ORDERS, SearchFilters, SortOrder
from dailypapers.search.syntax import ParsedQuery, parse_query

MAX_LIMIT = 1000  # hits of one call: each is loaded and highlighted
MAX_OFFSET = 10_000  # deep pages cost a fused list this long; nobody reads page 500
MAX_SIMILAR = 100


@dataclass(frozen=True)
class SearchHit:
    paper: Paper
    score: float
    title_html: str
    snippet_html: str
    lexical_rank: int | None = None
    semantic_rank: int | None = None


@dataclass
class SearchResults:
    query: str
    parsed: ParsedQuery
    hits: list[SearchHit]
    total: int
    limit: int
    offset: int
    sort: str
    mode: str
    took_ms: float
    notes: list[str] = field(default_factory=list)

    @property
    def has_next(self) -> bool:
        return self.offset + self.limit < self.total


@dataclass(frozen=True)
class SimilarPaper:
    paper: Paper
    score: float


def _papers_by_id(ids: list[int]) -> dict[int, Paper]:
    authorships = Prefetch(
        "authorships", queryset=PaperAuthor.objects.select_related("author").order_by("position")
    )
    papers = (
        # Hidden papers (moderation) may still be in the index until it catches up: never shown.
        Paper.objects.filter(pk__in=ids, hidden=False)
        .select_related("organization", "daily")
        .prefetch_related(authorships)
    )
    return {paper.pk: paper for paper in papers}


def _check(sort: str, mode: str, limit: int, offset: int) -> None:
    if sort not in SORT_ORDERS:
        raise ValueError(f"sort must be one of {', '.join(SORT_ORDERS)}; got {sort!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}; got {limit}")
    if not 0 <= offset <= MAX_OFFSET:
        raise ValueError(f"offset must be between 0 and {MAX_OFFSET}; got {offset}")


def search(
    query: str | None,
    filters: SearchFilters | None = None,
    sort: SortOrder = "relevance",
    limit: int = 20,
    offset: int = 0,
    *,
    mode: Mode = "hybrid",
) -> SearchResults:
    _check(sort, mode, limit, offset)
    started = time.perf_counter()
    parsed = parse_query(query)
    filters = filters or SearchFilters()
    engine = get_search_index().engine
    if parsed.is_empty and filters.is_empty:
        return SearchResults(
            query or "", parsed, [], 0, limit, offset, sort, mode, 0.0, list(parsed.notes)
        )
    found = engine.search(parsed, filters, sort=sort, limit=limit, offset=offset, mode=mode)
    return _results(engine, query, found, limit, offset, started)


def search_among(
    query: str | None,
    paper_ids: Iterable[int],
    *,
    mode: Mode = "hybrid",
    sort: SortOrder = "relevance",
) -> SearchResults:
    """Every paper of ``paper_ids`` that matches ``query``, best first (``engine.rank_among``).

    Ranked as ``search()`` ranks, restricted to these papers, however far down the whole
    catalogue's ranking they would be. As in ``search()``, a query without words (``author:x``,
    ``cat:cs.CL``) has nothing to rank by and lists its matches newest first.
    """
    _check(sort, mode, 1, 0)
    started = time.perf_counter()
    parsed = parse_query(query)
    ids = list(dict.fromkeys(int(i) for i in paper_ids))
    engine = get_search_index().engine
    if parsed.is_empty or not ids:
        return SearchResults(
            query or "", parsed, [], 0, len(ids), 0, sort, mode, 0.0, list(parsed.notes)
        )
    if sort == "relevance" and not parsed.free_text.strip():
        sort = "newest"
    [found] = engine.rank_among([parsed], ids, mode=mode, sort=sort)
    return _results(engine, query, found, len(ids), 0, started)


def _results(
    engine: SearchEngine,
    query: str | None,
    found: EngineResults,
    limit: int,
    offset: int,
    started: float,
) -> SearchResults:
    """The engine's hits as papers with highlights, skipping papers gone or hidden meanwhile."""
    ids = [hit.doc_id for hit in found.hits]
    papers = _papers_by_id(ids)
    texts = {pk: (paper.title, paper.abstract) for pk, paper in papers.items()}
    highlights = engine.highlight([i for i in ids if i in papers], found.query, texts)
    hits = []
    for hit in found.hits:
        paper = papers.get(hit.doc_id)
        if paper is None:
            continue
        highlight = highlights.get(hit.doc_id)
        hits.append(
            SearchHit(
                paper=paper,
                score=hit.score,
                title_html=highlight.title_html if highlight else "",
                snippet_html=highlight.snippet_html if highlight else "",
                lexical_rank=hit.lexical_rank,
                semantic_rank=hit.semantic_rank,
            )
        )
    took = (time.perf_counter() - started) * 1000
    return SearchResults(
        query or "",
        found.query,
        hits,
        found.total,
        limit,
        offset,
        found.sort,
        found.mode,
        took,
        found.notes,
    )


def similar_papers(paper_id: int, k: int = 5) -> list[SimilarPaper]:
    """The ``k`` papers nearest to this one by embedding, never the paper itself, best first."""
    if not 1 <= k <= MAX_SIMILAR:
        raise ValueError(f"k must be between 1 and {MAX_SIMILAR}; got {k}")
    neighbours = get_search_index().engine.similar(int(paper_id), k)
    papers = _papers_by_id([doc_id for doc_id, _ in neighbours])
    return [SimilarPaper(papers[doc_id], score) for doc_id, score in neighbours if doc_id in papers]
