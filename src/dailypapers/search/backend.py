"""Which search indexes this install uses, and the process's handle on them.

    search_backend()      "tantivy" (files in ``DATA_DIR/search``) or "postgres" (tables), from
                          ``DAILYPAPERS_SEARCH_BACKEND`` and the database
    get_search_index()    the process's ``SearchIndex``: both indexes and the ``SearchEngine`` over
                          them, opened once, following other processes' commits and rebuilds
    remove_search_folder()  deletes ``DATA_DIR/search`` (the next use starts a new generation)

Readers (``queries.py``, digests) and the indexing service (``indexing.py``) both start here.
``state.json`` in the folder names the index generation and the formats it was built with
(index formats, document format, embedding model, backend): a folder built by another version or
for another backend starts a new generation, so every ``IndexedPaper`` row becomes stale at once.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from dailypapers.search.documents import DOCUMENT_FORMAT
from dailypapers.search.embedder import MODEL_ID
from dailypapers.search.engine import SearchEngine
from dailypapers.search.hnsw_index import VECTOR_FORMAT, HnswVectorIndex
from dailypapers.search.interfaces import KeywordIndex, VectorIndex
from dailypapers.search.postgres_index import (
    PgvectorVectorIndex,
    PostgresKeywordIndex,
    ensure_postgres_tables,
    postgres_search_available,
)
from dailypapers.search.tantivy_index import KEYWORD_FORMAT, TantivyKeywordIndex

FORMATS = {
    "keyword": KEYWORD_FORMAT,
    "vectors": VECTOR_FORMAT,
    "documents": DOCUMENT_FORMAT,
    "model": MODEL_ID,
}


def search_dir() -> Path:
    return Path(settings.DATA_DIR) / "search"


# -- the on-disk index and its state file ------------------------------------------------------


@dataclass
class IndexState:
    generation: str
    formats: dict
    rebuild: str = "done"  # "running" while a rebuild has not finished

    @classmethod
    def read(cls, folder: Path) -> IndexState | None:
        try:
            data = json.loads((folder / "state.json").read_text())
            return cls(data["generation"], data["formats"], data.get("rebuild", "done"))
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None

    def write(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        staging = folder / ".state.json.tmp"
        staging.write_text(
            json.dumps(
                {"generation": self.generation, "formats": self.formats, "rebuild": self.rebuild}
            )
        )
        with staging.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(staging, folder / "state.json")


SEARCH_BACKENDS = ("auto", "tantivy", "postgres")


def search_backend() -> str:
    """The backend ``DAILYPAPERS_SEARCH_BACKEND`` selects: "tantivy" (files) or "postgres" (tables).

    ``auto`` (the default) takes the PostgreSQL tables when the database is PostgreSQL and pgvector
    created them (migration 0002), else the files. ``postgres`` insists, and says why it cannot.
    """
    choice = str(getattr(settings, "SEARCH_BACKEND", "auto") or "auto").strip().lower()
    if choice not in SEARCH_BACKENDS:
        raise ImproperlyConfigured(
            f"DAILYPAPERS_SEARCH_BACKEND={choice!r}: expected one of {', '.join(SEARCH_BACKENDS)}"
        )
    if choice == "tantivy":
        return "tantivy"
    if choice == "postgres":
        if connection.vendor != "postgresql":
            raise ImproperlyConfigured(
                "DAILYPAPERS_SEARCH_BACKEND=postgres needs a PostgreSQL database "
                f"(this one is {connection.vendor})"
            )
        if not ensure_postgres_tables():
            raise ImproperlyConfigured(
                "DAILYPAPERS_SEARCH_BACKEND=postgres needs the pgvector extension in PostgreSQL "
                "(install it with .ci/install-pgvector, as root)"
            )
        return "postgres"
    return "postgres" if postgres_search_available() else "tantivy"


class SearchIndex:
    """The product's indexes (files in one folder, or PostgreSQL tables), with their engine.

    ``state.json`` in the folder names the generation on either backend; its formats include the
    backend, so switching backends starts a new generation (every row stale, nothing lost).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.backend = search_backend()
        self.formats = {**FORMATS, "backend": self.backend}
        state = IndexState.read(folder)
        if state is None or state.formats != self.formats:
            # Unknown, damaged or built by another version: start a new generation from nothing.
            state = self._reset()
        self.state = state
        self._open()

    def _make_indexes(self) -> tuple[KeywordIndex, VectorIndex]:
        if self.backend == "postgres":
            return PostgresKeywordIndex(), PgvectorVectorIndex()
        return TantivyKeywordIndex(self.folder / "keyword"), HnswVectorIndex(
            self.folder / "vectors"
        )

    def _open(self) -> None:
        self.keyword, self.vectors = self._make_indexes()
        self.engine = SearchEngine(self.keyword, self.vectors)

    def _reset(self, *, rebuild: str = "done") -> IndexState:
        TantivyKeywordIndex.destroy(self.folder / "keyword")
        HnswVectorIndex.destroy(self.folder / "vectors")
        if self.backend == "postgres":
            PostgresKeywordIndex().clear()
            PgvectorVectorIndex().clear()
        state = IndexState(uuid.uuid4().hex, dict(self.formats), rebuild)
        state.write(self.folder)
        return state

    def start_over(self) -> None:
        """A new generation: empty indexes; every ``IndexedPaper`` row becomes stale."""
        self.state = self._reset(rebuild="running")
        self._open()

    def refresh(self) -> None:
        """Follows a rebuild done by another process (a new generation in state.json)."""
        state = IndexState.read(self.folder)
        if state is not None and state.generation != self.state.generation:
            self.state = state
            self.engine = SearchEngine(*self._make_indexes())
        elif state is not None:
            self.state.rebuild = state.rebuild


_indexes: dict[Path, SearchIndex] = {}


def get_search_index() -> SearchIndex:
    """The process's handle on ``DATA_DIR/search`` (opened once; follows other processes' commits)."""
    folder = search_dir()
    index = _indexes.get(folder)
    if index is None:
        index = _indexes[folder] = SearchIndex(folder)
    else:
        index.refresh()
    return index


def remove_search_folder() -> None:
    """Deletes ``DATA_DIR/search`` (the next use starts a new generation)."""
    _indexes.pop(search_dir(), None)
    shutil.rmtree(search_dir(), ignore_errors=True)
