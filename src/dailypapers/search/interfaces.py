"""The two roles a search backend plays, and the small value types they exchange.

``KeywordIndex`` ranks documents by words (BM25 with stemming) and answers the hard constraints of
a query (phrases, ``author:``/``org:``/``cat:``, filters). ``VectorIndex`` finds nearest neighbours
of an embedding and hands out a document's stored vector. Two pairs implement them:
``TantivyKeywordIndex`` and ``HnswVectorIndex`` (files in ``DATA_DIR/search``, the default beside
SQLite) and ``PostgresKeywordIndex`` (tsvector + GIN, the same BM25 computed in SQL) and
``PgvectorVectorIndex`` (tables, the default on PostgreSQL with pgvector); ``backend.py`` picks the
pair. Every method speaks in document ids (paper primary keys) and ``ParsedQuery`` objects, never
in a backend's own query syntax, so the same ``SearchEngine`` drives either pair.

Writes are staged and become visible at ``commit()``; ``indexing.py`` records a paper as indexed
only after both indexes committed it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

from dailypapers.search.documents import SearchDocument
from dailypapers.search.syntax import ParsedQuery

SortOrder = Literal["relevance", "newest", "oldest"]
SORT_ORDERS: tuple[str, ...] = ("relevance", "newest", "oldest")


@dataclass(frozen=True)
class SearchFilters:
    """Restrictions chosen outside the query text (form controls, API parameters)."""

    categories: tuple[str, ...] = ()
    """Any of these arXiv categories (``cs.CL``) or archives (``cs``)."""
    published_from: dt.datetime | None = None
    published_to: dt.datetime | None = None
    has_code: bool = False
    """Only papers that link a code repository."""

    @property
    def is_empty(self) -> bool:
        return not (self.categories or self.published_from or self.published_to or self.has_code)


@dataclass(frozen=True)
class KeywordHits:
    hits: list[tuple[int, float]]
    """(doc_id, score), best first."""
    total: int
    """How many documents match in all (not just this page)."""


@dataclass(frozen=True)
class Highlight:
    """Escaped HTML with matches wrapped in ``<mark>``; safe to render as is."""

    title_html: str
    snippet_html: str


@dataclass
class IndexContents:
    """What an index holds, for consistency checks: doc_id -> content hash."""

    hashes: dict[int, str] = field(default_factory=dict)


class KeywordIndex(Protocol):
    def upsert(self, documents: Sequence[SearchDocument]) -> None: ...

    def delete(self, doc_ids: Iterable[int]) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None:
        """Drops staged writes: the index is as at its last commit."""
        ...

    def search(
        self,
        query: ParsedQuery,
        filters: SearchFilters,
        *,
        limit: int,
        offset: int = 0,
        sort: SortOrder = "relevance",
        among: Collection[int] | None = None,
    ) -> KeywordHits:
        """Documents matching the query's words (any) and constraints (all), within filters.

        ``among``: only these documents (``SearchEngine.rank_among``); their scores are the
        same as in an unrestricted search.
        """
        ...

    def satisfying(
        self, doc_ids: Sequence[int], query: ParsedQuery, filters: SearchFilters
    ) -> set[int]:
        """Which of ``doc_ids`` meet the query's constraints and the filters (words ignored)."""
        ...

    def highlight(
        self,
        doc_ids: Sequence[int],
        query: ParsedQuery,
        texts: dict[int, tuple[str, str]] | None = None,
    ) -> dict[int, Highlight]:
        """Marked title and snippet; ``texts`` (title, abstract) when the caller has them."""
        ...

    def contents(self) -> IndexContents: ...

    def __len__(self) -> int: ...


class VectorIndex(Protocol):
    dimensions: int

    def upsert(self, doc_ids: Sequence[int], vectors: np.ndarray) -> None: ...

    def delete(self, doc_ids: Iterable[int]) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(doc_id, cosine similarity), best first."""
        ...

    def vector(self, doc_id: int) -> np.ndarray | None: ...

    def cosines(self, vector: np.ndarray, doc_ids: Sequence[int]) -> dict[int, float]:
        """Cosine of each document's stored vector to ``vector``; documents without one omitted."""
        ...

    def doc_ids(self) -> set[int]: ...

    def __len__(self) -> int: ...
