"""``SearchEngine``: one search path over a ``KeywordIndex`` and a ``VectorIndex``.

It indexes ``SearchDocument``s (embedding them when no vectors are given) and answers a
``ParsedQuery`` in three modes: ``bm25`` (lexical only), ``semantic`` (embedding neighbours only)
and ``hybrid`` (both, fused). The product's ``search()`` service and the quality benchmark call the
same ``SearchEngine.search``; only where documents come from differs.

Constraints (phrases, ``author:``/``org:``/``cat:``, filters) hold for every mode: semantic
neighbours that fail them are dropped by asking the keyword index which candidates satisfy them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

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
# Tuned on the SciFact train split (benchmarks/search_quality.py --sweep); see docs/search.md.
DEFAULT_FUSION = FusionConfig(method="weighted", semantic_weight=0.4, depth=100)
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
        notes: list[str] = list(query.notes)
        if mode not in MODES:
            notes.append(f"unknown mode {mode!r}; used hybrid")
            mode = "hybrid"
        if self.vectors is None and mode != "bm25":
            notes.append("semantic search is not available; used keywords only")
            mode = "bm25"
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
        if mode == "bm25":
            fused, total = lexical_hits, lexical.total if lexical else 0
        elif mode == "semantic":
            fused, total = semantic, len(semantic)
        else:
            fused = fuse(lexical_hits, semantic, self.fusion)
            total = max(lexical.total if lexical else 0, len(fused))
        lexical_rank = {doc_id: rank for rank, (doc_id, _) in enumerate(lexical_hits, start=1)}
        semantic_rank = {doc_id: rank for rank, (doc_id, _) in enumerate(semantic, start=1)}
        hits = [
            EngineHit(doc_id, score, lexical_rank.get(doc_id), semantic_rank.get(doc_id))
            for doc_id, score in fused[offset : offset + limit]
        ]
        return EngineResults(query, hits, total, mode, sort, notes)

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
