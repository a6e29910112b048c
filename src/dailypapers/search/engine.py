"""``SearchEngine``: the one place papers are ranked, over a ``KeywordIndex`` and a ``VectorIndex``.

It indexes ``SearchDocument``s (embedding them when no vectors are given) and ranks for a
``ParsedQuery`` in three modes: ``bm25`` (lexical only), ``semantic`` (embedding neighbours only)
and ``hybrid`` (both, fused by ``fusion.fuse`` with ``DEFAULT_FUSION``). Two operations:

* ``search(query, filters, sort, limit, offset, mode)``: the best matches in the whole index, any
  page size in one call. The search page, the API, the search feed and the quality benchmark
  call it; only where the documents come from differs.
* ``rank_among(queries, among, mode)``: rank a given set of documents (a day's, a week's or a
  month's papers) for several queries at once: the digest's interests, a feed filtered by ``?q=``,
  a reader's "For you". Every candidate that matches is ranked, however far down the whole
  index's ranking it would be; ``best_matches`` then keeps each document's best score and which
  query gave it.

Both rank alike: the same BM25 of the keyword index, the same cosine floor
(``MIN_SEMANTIC_SCORE``), the same constraint checks and the same fusion. Constraints (phrases,
``author:``/``org:``/``cat:``, filters) hold for every mode: semantic neighbours that fail them
are dropped by asking the keyword index which of them satisfy them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal, cast

import numpy as np

from dailypapers.search.documents import SearchDocument
from dailypapers.search.embedder import Embedder, EmbedderUnavailable, get_embedder
from dailypapers.search.fusion import FusionConfig, fuse
from dailypapers.search.interfaces import (
    Highlight,
    KeywordIndex,
    SearchFilters,
    SortOrder,
    VectorIndex,
)
from dailypapers.search.syntax import ParsedQuery

Mode = Literal["bm25", "semantic", "hybrid"]
MODES: tuple[str, ...] = ("bm25", "semantic", "hybrid")
# Z-score fusion, semantic weight 0.5 (0 for a topic); see fusion.py and docs/search.md.
DEFAULT_FUSION = FusionConfig()
# With filters, most semantic neighbours may fail them; look further before giving up.
FILTERED_DEPTH_FACTOR = 5
# Nearest neighbours always exist, even for "(((" or "AND OR NOT". Below this cosine a neighbour
# is noise (unrelated MiniLM pairs score about -0.1..0.15), so it is not offered as a match.
MIN_SEMANTIC_SCORE = 0.2


@dataclass(frozen=True)
class EngineHit:
    doc_id: int
    score: float
    lexical_rank: int | None = None
    semantic_rank: int | None = None


@dataclass
class EngineResults:
    query: ParsedQuery
    hits: list[EngineHit]
    total: int
    """Matching documents in all; for hybrid relevance, the size of the fused candidate list."""
    mode: str
    sort: str
    notes: list[str] = field(default_factory=list)


class Candidates:
    """The documents ``rank_among`` ranks (a period's papers), prepared once for many queries.

    Their vectors are read from the vector index on first use, as one ``n x 384`` matrix (rows in
    ``ids`` order; zeros where a document has no vector, which no query can then reach): the
    semantic half of ``rank_among`` is one matrix product per batch of queries, and callers use
    the matrix for their own similarities (a digest's "like the papers I upvoted").
    """

    def __init__(self, doc_ids: Iterable[int], vectors: VectorIndex | None) -> None:
        self.ids: tuple[int, ...] = tuple(dict.fromkeys(int(i) for i in doc_ids))
        self.positions: dict[int, int] = {doc_id: row for row, doc_id in enumerate(self.ids)}
        self._vectors = vectors
        self._matrix: np.ndarray | None = None
        self._loaded = False

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def matrix(self) -> np.ndarray | None:
        """The candidates' vectors, or None when none of them has one (or there is no index)."""
        if not self._loaded:
            self._loaded = True
            if self.ids and self._vectors is not None:
                rows = [self._vectors.vector(doc_id) for doc_id in self.ids]
                present = [row for row in rows if row is not None]
                if present:
                    matrix = np.zeros((len(self.ids), present[0].shape[0]), dtype=np.float32)
                    for i, row in enumerate(rows):
                        if row is not None:
                            matrix[i] = row
                    self._matrix = matrix
        return self._matrix


@dataclass(frozen=True)
class Match:
    """A document's best score over several queries, and which query gave it."""

    doc_id: int
    score: float
    query: int
    """Index of the query (in the list ranked) whose ranking gave ``score``."""


def best_matches(
    rankings: Sequence[EngineResults | Sequence[EngineHit]], depth: int | None = None
) -> list[Match]:
    """One entry per document over several rankings (a reader's interests): its best score and
    the query that gave it, best first (ties: the earlier query, then the document id).

    ``depth``: only the first ``depth`` hits of each ranking take part (enough for a page).
    """
    best: dict[int, Match] = {}
    for number, ranking in enumerate(rankings):
        hits = ranking.hits if isinstance(ranking, EngineResults) else ranking
        for hit in hits[:depth]:
            current = best.get(hit.doc_id)
            if current is None or hit.score > current.score:
                best[hit.doc_id] = Match(hit.doc_id, hit.score, number)
    return sorted(best.values(), key=lambda m: (-m.score, m.query, m.doc_id))


class SearchEngine:
    def __init__(
        self,
        keyword: KeywordIndex,
        vectors: VectorIndex | None,
        *,
        embedder: Callable[[], Embedder] = get_embedder,
        fusion: FusionConfig = DEFAULT_FUSION,
        min_semantic_score: float = MIN_SEMANTIC_SCORE,
    ) -> None:
        self.keyword = keyword
        self.vectors = vectors
        self._embedder = embedder
        self.fusion = fusion
        self.min_semantic_score = min_semantic_score
        self._query_vector = functools.lru_cache(maxsize=256)(self._embed_query)
        # The query embedding (onnxruntime, GIL released) runs beside the BM25 search.
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="query-embed")

    # -- indexing -----------------------------------------------------------------------------

    def embed_documents(
        self, documents: Sequence[SearchDocument], on_progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        return self._embedder().embed(
            [doc.embedding_text() for doc in documents], on_progress=on_progress
        )

    def index(self, documents: Sequence[SearchDocument], vectors: np.ndarray | None = None) -> None:
        """Stages documents in both indexes (visible after ``commit``)."""
        if not documents:
            return
        self.keyword.upsert(documents)
        if self.vectors is not None:
            if vectors is None:
                vectors = self.embed_documents(documents)
            self.vectors.upsert([doc.doc_id for doc in documents], vectors)

    def delete(self, doc_ids: Iterable[int]) -> None:
        doc_ids = list(doc_ids)
        self.keyword.delete(doc_ids)
        if self.vectors is not None:
            self.vectors.delete(doc_ids)

    def commit(self) -> None:
        self.keyword.commit()
        if self.vectors is not None:
            self.vectors.commit()

    # -- searching ----------------------------------------------------------------------------

    def _embed_query(self, text: str) -> np.ndarray:
        vector = self._embedder().embed_query(text)
        vector.setflags(write=False)
        return vector

    def _usable_mode(self, mode: str) -> tuple[Mode, list[str]]:
        """The mode asked for, or the one used instead and a note saying why."""
        notes = [] if mode in MODES else [f"unknown mode {mode!r}; used hybrid"]
        usable = cast(Mode, mode) if mode in MODES else "hybrid"
        if self.vectors is None and usable != "bm25":
            notes.append("semantic search is not available; used keywords only")
            usable = "bm25"
        return usable, notes

    def _wants_vectors(self, query: ParsedQuery) -> bool:
        return self.vectors is not None and bool(query.free_text.strip()) and len(self.vectors) > 0

    def _semantic(
        self, query: ParsedQuery, filters: SearchFilters, depth: int, vector: Future | None = None
    ) -> list[tuple[int, float]]:
        if not self._wants_vectors(query):
            return []
        restricted = query.has_constraints or not filters.is_empty
        k = depth * FILTERED_DEPTH_FACTOR if restricted else depth
        query_vector = (
            vector.result() if vector is not None else self._query_vector(query.free_text)
        )
        assert self.vectors is not None  # _wants_vectors checked it
        neighbours = self.vectors.search(query_vector, k)
        neighbours = [hit for hit in neighbours if hit[1] >= self.min_semantic_score]
        if restricted:
            allowed = self.keyword.satisfying([doc_id for doc_id, _ in neighbours], query, filters)
            neighbours = [hit for hit in neighbours if hit[0] in allowed]
        return neighbours[:depth]

    def search(
        self,
        query: ParsedQuery,
        filters: SearchFilters | None = None,
        *,
        sort: SortOrder = "relevance",
        limit: int = 20,
        offset: int = 0,
        mode: Mode = "hybrid",
    ) -> EngineResults:
        filters = filters or SearchFilters()
        limit, offset = max(0, int(limit)), max(0, int(offset))
        mode, mode_notes = self._usable_mode(mode)
        notes: list[str] = [*query.notes, *mode_notes]
        if sort == "relevance" and not query.free_text.strip():
            sort = "newest"  # nothing to rank by: constraints or filters alone list newest first
        if sort != "relevance":
            found = self.keyword.search(query, filters, limit=limit, offset=offset, sort=sort)
            hits = [
                EngineHit(doc_id, score, lexical_rank=offset + i + 1)
                for i, (doc_id, score) in enumerate(found.hits)
            ]
            return EngineResults(query, hits, found.total, mode, sort, notes)

        depth = max(self.fusion.depth, offset + limit)
        vector = None
        if mode == "hybrid" and self._wants_vectors(query):
            vector = self._pool.submit(self._query_vector, query.free_text)
        lexical = self.keyword.search(query, filters, limit=depth) if mode != "semantic" else None
        semantic: list[tuple[int, float]] = []
        if mode != "bm25":
            try:
                semantic = self._semantic(query, filters, depth, vector)
            except EmbedderUnavailable as error:
                notes.append(f"semantic search is not available ({error}); used keywords only")
                mode = "bm25"
                if lexical is None:
                    lexical = self.keyword.search(query, filters, limit=depth)
        lexical_hits = lexical.hits if lexical else []
        fused_semantic = semantic
        if mode == "hybrid" and lexical_hits and semantic:
            fused_semantic = self._completed(lexical_hits, semantic, self._cosines(query))
        fused = self._fused(mode, lexical_hits, fused_semantic, query.shape)
        if mode == "bm25":
            total = lexical.total if lexical else 0
        elif mode == "semantic":
            total = len(semantic)
        else:
            total = max(lexical.total if lexical else 0, len(fused))
        hits = _engine_hits(fused[offset : offset + limit], lexical_hits, semantic)
        return EngineResults(query, hits, total, mode, sort, notes)

    def _completed(
        self,
        lexical: list[tuple[int, float]],
        semantic: list[tuple[int, float]],
        cosines: Callable[[list[int]], dict[int, float]],
    ) -> list[tuple[int, float]]:
        """The semantic list with the cosine of every lexical match it lacks (from the stored
        vectors), so the fusion weighs a paper found by its words by its real similarity, not
        by a guess. (The lexical side is not completed: a semantic neighbour outside the BM25 top
        counts 0 there; its BM25 would cost a second keyword search, ~3 ms, for +0.002.)"""
        known = {doc_id for doc_id, _ in semantic}
        missing = [doc_id for doc_id, _ in lexical if doc_id not in known]
        return [*semantic, *cosines(missing).items()] if missing else semantic

    def _cosines(self, query: ParsedQuery) -> Callable[[list[int]], dict[int, float]]:
        def cosines(doc_ids: list[int]) -> dict[int, float]:
            assert self.vectors is not None  # hybrid with semantic hits has vectors
            return self.vectors.cosines(self._query_vector(query.free_text), doc_ids)

        return cosines

    def _fused(
        self,
        mode: str,
        lexical: list[tuple[int, float]],
        semantic: list[tuple[int, float]],
        shape: str,
    ) -> list[tuple[int, float]]:
        if mode == "bm25":
            return list(lexical)
        if mode == "semantic":
            return list(semantic)
        return fuse(lexical, semantic, self.fusion, shape)

    def candidates(self, doc_ids: Iterable[int]) -> Candidates:
        """Documents to rank among, with this engine's vectors (read on first use)."""
        return Candidates(doc_ids, self.vectors)

    def rank_among(
        self,
        queries: Sequence[ParsedQuery],
        among: Candidates | Iterable[int],
        *,
        mode: Mode = "hybrid",
        sort: SortOrder = "relevance",
        filters: SearchFilters | None = None,
    ) -> list[EngineResults]:
        """Ranks the documents ``among`` for each query; one ``EngineResults`` per query, in order.

        As ``search`` ranks the whole index, restricted to the candidates, with every candidate
        that matches ranked (no depth): lexical hits come from the keyword index searching only
        the candidates; semantic scores are the exact cosines of the query to the candidates' own
        vectors (``Candidates.matrix``: a period's papers are mostly not among a query's nearest
        neighbours in the whole index), floored at ``min_semantic_score`` and kept where the
        query's constraints and the filters hold; ``hybrid`` fuses both. The texts of all queries
        are embedded in one call. ``sort="relevance"`` orders by score even for a query without
        words (``author:x``: by how its constraints match); ``newest``/``oldest`` list the
        lexical matches by date. Pass a ``Candidates`` (``engine.candidates(ids)``) to reuse the
        vectors across calls.
        """
        filters = filters or SearchFilters()
        candidates = among if isinstance(among, Candidates) else self.candidates(among)
        mode, notes_for_all = self._usable_mode(mode)
        semantic: list[list[tuple[int, float]]] = [[] for _ in queries]
        cosines: list[Callable[[list[int]], dict[int, float]]] = [_no_cosines for _ in queries]
        if mode != "bm25" and sort == "relevance":
            try:
                semantic, cosines = self._semantic_among(queries, candidates, filters)
            except EmbedderUnavailable as error:
                notes_for_all.append(
                    f"semantic search is not available ({error}); used keywords only"
                )
                mode = "bm25"
        out = []
        for query, neighbours, cosines_of in zip(queries, semantic, cosines, strict=True):
            notes = [*query.notes, *notes_for_all]
            lexical: list[tuple[int, float]] = []
            if (mode != "semantic" or sort != "relevance") and candidates.ids:
                lexical = self.keyword.search(
                    query, filters, limit=len(candidates), sort=sort, among=candidates.ids
                ).hits
            fused_semantic = neighbours
            if mode == "hybrid" and sort == "relevance" and lexical and neighbours:
                fused_semantic = self._completed(lexical, neighbours, cosines_of)
            fused = self._fused(
                mode if sort == "relevance" else "bm25", lexical, fused_semantic, query.shape
            )
            hits = _engine_hits(fused, lexical, neighbours)
            out.append(EngineResults(query, hits, len(hits), mode, sort, notes))
        return out

    def _semantic_among(
        self, queries: Sequence[ParsedQuery], candidates: Candidates, filters: SearchFilters
    ) -> tuple[list[list[tuple[int, float]]], list[Callable[[list[int]], dict[int, float]]]]:
        """Per query, the candidates at or above the cosine floor that meet its constraints, and
        a function giving any candidate's cosine (to complete the lexical matches' scores)."""
        out: list[list[tuple[int, float]]] = [[] for _ in queries]
        every: list[Callable[[list[int]], dict[int, float]]] = [_no_cosines for _ in queries]
        wanted = [i for i, query in enumerate(queries) if query.free_text.strip()]
        matrix = candidates.matrix
        if matrix is None or not wanted:
            return out, every
        vectors = self._embedder().embed([queries[i].free_text for i in wanted])
        similarities = vectors @ matrix.T
        for row, i in enumerate(wanted):
            scores = similarities[row]
            every[i] = functools.partial(_cosines_among, candidates.positions, scores)
            order = np.argsort(-scores)
            neighbours = [
                (candidates.ids[j], float(scores[j]))
                for j in order
                if scores[j] >= self.min_semantic_score
            ]
            if neighbours and (queries[i].has_constraints or not filters.is_empty):
                allowed = self.keyword.satisfying(
                    [doc_id for doc_id, _ in neighbours], queries[i], filters
                )
                neighbours = [hit for hit in neighbours if hit[0] in allowed]
            out[i] = neighbours
        return out, every

    def similar(self, doc_id: int, k: int) -> list[tuple[int, float]]:
        """Nearest neighbours of a document's own vector, never the document itself."""
        if self.vectors is None or k <= 0:
            return []
        vector = self.vectors.vector(doc_id)
        if vector is None:
            return []
        neighbours = self.vectors.search(vector, k + 1)
        return [(other, score) for other, score in neighbours if other != doc_id][:k]

    def highlight(
        self,
        doc_ids: Sequence[int],
        query: ParsedQuery,
        texts: dict[int, tuple[str, str]] | None = None,
    ) -> dict[int, Highlight]:
        return self.keyword.highlight(doc_ids, query, texts)


def _no_cosines(doc_ids: list[int]) -> dict[int, float]:
    return {}


def _cosines_among(
    positions: dict[int, int], scores: np.ndarray, doc_ids: list[int]
) -> dict[int, float]:
    return {doc_id: float(scores[positions[doc_id]]) for doc_id in doc_ids if doc_id in positions}


def _engine_hits(
    fused: Sequence[tuple[int, float]],
    lexical: Sequence[tuple[int, float]],
    semantic: Sequence[tuple[int, float]],
) -> list[EngineHit]:
    """Fused (doc_id, score) pairs with the rank each had in the lexical and semantic lists."""
    lexical_rank = {doc_id: rank for rank, (doc_id, _) in enumerate(lexical, start=1)}
    semantic_rank = {doc_id: rank for rank, (doc_id, _) in enumerate(semantic, start=1)}
    return [
        EngineHit(doc_id, score, lexical_rank.get(doc_id), semantic_rank.get(doc_id))
        for doc_id, score in fused
    ]
