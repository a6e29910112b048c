"""The search indexes inside PostgreSQL: ``PostgresKeywordIndex`` and ``PgvectorVectorIndex``.

On PostgreSQL the indexes are tables beside the papers (created by migration 0002 of the search
app, on PostgreSQL only), so there are no files to keep in step and a database backup holds them.

``PostgresKeywordIndex``: one row per document with a ``tsvector`` of its body (title and abstract as
one text) under a GIN index, plus ``authors``, ``orgs`` and ``cats`` arrays. The tsvector holds the
tokens of the tantivy index's own analyzer (``analyzers.english_analyzer``: the same stemming, stop
words, accent folding and positions; written as a tsvector literal), so both backends see the same
words. Queries are built from the same tokens: a tsquery of quoted lexemes (never user syntax)
finds the matches, ``<N>`` phrases check the required phrases.

Ranking is ``scoring.py``'s definition, computed in SQL: per scored term, BM25 (k1 1.2, b 0.75) from
its frequency in the row (the length of its positions in the tsvector), the row's length in tokens
(``length``) and the collection's statistics; per scored phrase, the same from how often it occurs
in order (``dp_phrase_tf``). Document frequencies come from a table of term statistics
(``search_pgterm``, filled from ``ts_stat`` over the documents, with the number of documents and
their average length in ``search_pgtermstate``) refreshed at a commit once 2% of the documents
changed since the last refresh: the statistics move little with a few documents, and a word new
since then counts as rare (df 1). Names are matched per author (``author:"Ho Ajay"`` never matches
across two authors), folded in Python (no ``unaccent`` extension).

``PgvectorVectorIndex``: a ``vector(384)`` column under an HNSW index (``vector_cosine_ops``);
similarity is ``1 - cosine distance``.

Both stage writes in memory and apply them at ``commit()`` in one transaction, so the indexing
service's rule holds: a paper is recorded as indexed only after both indexes committed it.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from typing import Generic, TypeVar

import numpy as np
from django.db import connection, transaction

from dailypapers.search.analyzers import english_analyzer
from dailypapers.search.documents import HAS_CODE_TERM, SearchDocument, filter_terms
from dailypapers.search.highlight import Highlighter
from dailypapers.search.interfaces import (
    Highlight,
    IndexContents,
    KeywordHits,
    SearchFilters,
    SortOrder,
)
from dailypapers.search.scoring import K1, B, ScoredTerm, analyzed, scored_terms
from dailypapers.search.syntax import ParsedQuery

KEYWORD_TABLE = "search_pgdocument"
VECTOR_TABLE = "search_pgvector"
MAX_TSVECTOR_POSITION = 16383
# A term's frequency in a row, in C speed: with every weight 1, ``ts_rank`` of one lexeme that
# occurs n times is (1 + 1/4 + ... + 1/n^2) / (pi^2 / 6) (PostgreSQL's calc_rank_or, unchanged
# since 8.3), and the missing tail pi^2/6 - (1 + ... + 1/n^2) is 1/(n + 1/2) to within a few
# thousandths, so n = 1/tail - 1/2, rounded (0 when the lexeme is absent). Reading the positions
# with unnest() instead cost ~80 us a row. test_postgres_backend checks it for n = 0..300.
TERM_TF_SQL = (
    "round(1.0 / greatest(1.64493406685 * (1 - ts_rank('{1,1,1,1}', matched_tsv, %s::tsquery)),"
    " 1e-9) - 0.5) AS tf"
)
# How often a phrase occurs in a tsvector: the positions of its first lexeme from which every
# other lexeme is found at its offset (what a phrase query counts in tantivy).
PHRASE_TF_FUNCTION = """
CREATE OR REPLACE FUNCTION dp_phrase_tf(tsv tsvector, lexemes text[], offsets int[])
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    WITH found AS (SELECT u.lexeme, u.positions FROM unnest(tsv) AS u WHERE u.lexeme = ANY(lexemes))
    SELECT count(*)::integer
    FROM unnest(COALESCE((SELECT positions FROM found WHERE lexeme = lexemes[1]), '{}')) AS s(start)
    WHERE NOT EXISTS (
        SELECT 1 FROM generate_subscripts(lexemes, 1) AS i
        WHERE i > 1 AND NOT COALESCE(
            (SELECT s.start + offsets[i] = ANY(positions) FROM found WHERE lexeme = lexemes[i]),
            false))
$$
"""
TERMS_TABLE = "search_pgterm"
TERMS_STATE_TABLE = "search_pgtermstate"
# Term statistics are rebuilt once this share of the documents changed since the last rebuild.
TERMS_REFRESH_SHARE = 0.02
EF_SEARCH_MIN = 64

T = TypeVar("T")


def fold(text: str) -> str:
    """Lowercase without accents: "Zoë Müller" -> "zoe muller" (what tantivy's ascii_fold does)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _quoted(lexeme: str) -> str:
    """A lexeme as a quoted tsvector/tsquery item (analyzer output, never user syntax)."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _phrase_tsquery(tokens: Sequence[tuple[int, str]]) -> str:
    """``'a' <1> 'b' <2> 'c'``: the tokens in order at their distances (stop words leave gaps)."""
    parts = [_quoted(tokens[0][1])]
    for (before, _), (position, text) in zip(tokens, tokens[1:], strict=False):
        parts.append(f"<{position - before}> {_quoted(text)}")
    return " ".join(parts)


def postgres_search_available() -> bool:
    """True when the database is PostgreSQL and migration 0002 created the search tables."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [VECTOR_TABLE])
        return bool(cursor.fetchone()[0])


class _StagedWrites(Generic[T]):
    """Writes staged in memory until ``commit()``: per id, the last upsert or delete wins."""

    def __init__(self) -> None:
        self._upserts: dict[int, T] = {}
        self._deletes: set[int] = set()

    def _stage(self, doc_id: int, value: T) -> None:
        self._deletes.discard(int(doc_id))
        self._upserts[int(doc_id)] = value

    def delete(self, doc_ids: Iterable[int]) -> None:
        for doc_id in doc_ids:
            self._upserts.pop(int(doc_id), None)
            self._deletes.add(int(doc_id))

    def rollback(self) -> None:
        self._upserts.clear()
        self._deletes.clear()

    def _staged_count(self) -> int:
        return len(self._upserts) + len(self._deletes)


class PostgresKeywordIndex(_StagedWrites[SearchDocument]):
    def __init__(
        self,
        table: str = KEYWORD_TABLE,
        terms_table: str = TERMS_TABLE,
        terms_state_table: str = TERMS_STATE_TABLE,
    ) -> None:
        self.table = table
        self.terms_table = terms_table
        self.terms_state_table = terms_state_table
        super().__init__()
        self._en = english_analyzer()
        # Highlighting is text work, not index work: the same highlighter as the tantivy index.
        self._highlighter = Highlighter()

    # -- writes -------------------------------------------------------------------------------

    def upsert(self, documents: Sequence[SearchDocument]) -> None:
        for document in documents:
            self._stage(document.doc_id, document)

    def _body(self, doc: SearchDocument) -> tuple[str, int]:
        """The body's tsvector literal (the english analyzer's tokens and positions), its length."""
        tokens = analyzed(self._en, f"{doc.title}\n{doc.abstract}")
        positions: dict[str, list[int]] = {}
        for position, text in tokens:
            # tsvector positions run from 1 to 16383; an abstract is far shorter.
            positions.setdefault(text, []).append(min(position + 1, MAX_TSVECTOR_POSITION))
        literal = " ".join(
            f"{_quoted(text)}:{','.join(map(str, dict.fromkeys(where)))}"
            for text, where in positions.items()
        )
        return literal, len(tokens)

    def commit(self) -> None:
        if not self._staged_count():
            return
        rows = []
        for doc in self._upserts.values():
            body, length = self._body(doc)
            rows.append(
                (
                    doc.doc_id,
                    doc.key,
                    doc.title,
                    doc.abstract,
                    [fold(name) for name in doc.authors],
                    [fold(name) for name in doc.organizations],
                    filter_terms(doc),
                    doc.published,
                    doc.content_hash(),
                    body,
                    length,
                )
            )
        with transaction.atomic(), connection.cursor() as cursor:
            if self._deletes:
                cursor.execute(
                    f"DELETE FROM {self.table} WHERE doc_id = ANY(%s)", [sorted(self._deletes)]
                )
            if rows:
                cursor.executemany(
                    f"""
                    INSERT INTO {self.table} (doc_id, key, title, abstract, authors, orgs, cats,
                                              published, content_hash, tsv, length)
                    VALUES (%s, %s, %s, %s, %s::text[], %s::text[], %s::text[], %s, %s,
                            %s::tsvector, %s)
                    ON CONFLICT (doc_id) DO UPDATE SET
                        key = EXCLUDED.key, title = EXCLUDED.title, abstract = EXCLUDED.abstract,
                        authors = EXCLUDED.authors, orgs = EXCLUDED.orgs, cats = EXCLUDED.cats,
                        published = EXCLUDED.published, content_hash = EXCLUDED.content_hash,
                        tsv = EXCLUDED.tsv, length = EXCLUDED.length
                    """,
                    rows,
                )
            self._note_changes(cursor, self._staged_count())
        self.rollback()

    def _note_changes(self, cursor, changed: int) -> None:
        """Counts changed documents; rebuilds the term statistics once enough have changed."""
        cursor.execute(
            f"UPDATE {self.terms_state_table} SET changed = changed + %s RETURNING changed",
            [changed],
        )
        row = cursor.fetchone()
        cursor.execute(f"SELECT count(*) FROM {self.table}")
        documents = int(cursor.fetchone()[0])
        if row is None or row[0] >= max(1.0, TERMS_REFRESH_SHARE * documents):
            self.refresh_term_statistics(cursor, documents)

    def refresh_term_statistics(self, cursor, documents: int) -> None:
        cursor.execute(f"DELETE FROM {self.terms_table}")
        cursor.execute(
            f"INSERT INTO {self.terms_table} (lexeme, documents)"
            f" SELECT word, ndoc FROM ts_stat('SELECT tsv FROM {self.table}')"
        )
        cursor.execute(f"DELETE FROM {self.terms_state_table}")
        cursor.execute(
            f"INSERT INTO {self.terms_state_table} (id, documents, changed, average_length)"
            f" SELECT 1, %s, 0, COALESCE(avg(length), 0) FROM {self.table}",
            [documents],
        )

    # -- queries ------------------------------------------------------------------------------

    def _required_phrases(self, query: ParsedQuery) -> list[str]:
        """A ``<N>`` tsquery per required phrase that has words (stop words alone constrain nothing)."""
        out = []
        for phrase in query.required_phrases:
            tokens = analyzed(self._en, phrase)
            if tokens:
                out.append(_phrase_tsquery(tokens))
        return out

    def _constraints(self, query: ParsedQuery, filters: SearchFilters) -> tuple[list[str], list]:
        """SQL conditions every result meets, with their parameters."""
        where: list[str] = []
        params: list = []
        for phrase in self._required_phrases(query):
            where.append("tsv @@ %s::tsquery")
            params.append(phrase)
        for values, column in ((query.authors, "authors"), (query.organizations, "orgs")):
            for value in values:
                where.append(
                    f"EXISTS (SELECT 1 FROM unnest({column}) AS name"
                    " WHERE numnode(phraseto_tsquery('simple', %s)) > 0"
                    " AND to_tsvector('simple', name) @@ phraseto_tsquery('simple', %s))"
                )
                params += [fold(value), fold(value)]
        for category in query.categories:
            where.append("cats @> ARRAY[%s]::text[]")
            params.append(category.strip().lower())
        if filters.categories:
            terms = [c.strip().lower() for c in filters.categories if c.strip()]
            if terms:
                where.append("cats && %s::text[]")
                params.append(terms)
        if filters.has_code:
            where.append("cats @> ARRAY[%s]::text[]")
            params.append(HAS_CODE_TERM)
        if filters.published_from:
            where.append("published >= %s")
            params.append(filters.published_from)
        if filters.published_to:
            where.append("published <= %s")
            params.append(filters.published_to)
        return where, params

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
        if limit <= 0 or (among is not None and not among):
            return KeywordHits([], 0)
        where, params = self._constraints(query, filters)
        terms = scored_terms(query, self._en)
        score_sql: str = "0.0"
        score_params: list = []
        if not (query.is_empty and not filters.is_empty):
            if not terms and not where:
                return KeywordHits([], 0)
            if terms:
                # At least one term must match (see TantivyKeywordIndex._combined).
                lexemes = sorted({text for term in terms for _, text in term.tokens})
                where.append("tsv @@ %s::tsquery")
                params.append(" | ".join(map(_quoted, lexemes)))
                score_sql, score_params = self._bm25(terms)
        if among is not None:
            where.append("doc_id = ANY(%s)")
            params.append([int(i) for i in among])
        order = {
            "relevance": "score DESC, doc_id",
            "newest": "published DESC NULLS LAST, doc_id",
            "oldest": "published ASC NULLS FIRST, doc_id",
        }[sort]
        # The score reads the tsvector several times: the inner query hands it up detoasted
        # (concatenation copies it; OFFSET 0 keeps the planner from folding the two levels
        # together), so it is decompressed once per row, not once per term.
        sql = (
            f"SELECT doc_id, {score_sql} AS score, count(*) OVER () FROM"
            f" (SELECT doc_id, published, length, tsv || ''::tsvector AS matched_tsv"
            f" FROM {self.table} WHERE {' AND '.join(where) or 'TRUE'} OFFSET 0) AS matched"
            f" ORDER BY {order} LIMIT %s OFFSET %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*score_params, *params, int(limit), int(offset)])
            rows = cursor.fetchall()
        if not rows and offset > 0:
            return KeywordHits([], self._count(where, params))
        return KeywordHits([(int(r[0]), float(r[1])) for r in rows], int(rows[0][2]) if rows else 0)

    def _statistics(self, lexemes: Sequence[str]) -> tuple[int, float, dict[str, int]]:
        """Documents, their average length, and the document frequency of each lexeme."""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT documents, average_length FROM {self.terms_state_table}")
            state = cursor.fetchone()
            cursor.execute(
                f"SELECT lexeme, documents FROM {self.terms_table} WHERE lexeme = ANY(%s)",
                [list(lexemes)],
            )
            frequencies = {lexeme: int(df) for lexeme, df in cursor.fetchall()}
        documents, average = (int(state[0]), float(state[1])) if state else (0, 0.0)
        return documents, average, frequencies

    def _bm25(self, terms: Sequence[ScoredTerm]) -> tuple[str, list]:
        """The score's SQL: ``scoring.py``'s sum of BM25 over the scored terms and phrases."""
        lexemes = sorted({text for term in terms for _, text in term.tokens})
        documents, average, frequencies = self._statistics(lexemes)
        documents = max(documents, 1)

        def idf(lexeme: str) -> float:
            df = min(max(frequencies.get(lexeme, 0), 1), documents)  # new since the refresh: rare
            return math.log(1 + (documents - df + 0.5) / (df + 0.5))

        # BM25's length normalisation, once per row: k1 * (1 - b + b * length / average).
        norm = f"{K1} * (1 - {B} + {B} * matched.length / {max(average, 1.0)!r})"
        parts: list[str] = []
        params: list = []
        for term in terms:
            if len(term.tokens) == 1:
                text = term.tokens[0][1]
                parts.append(
                    f"(SELECT %s * t.tf / (t.tf + n.norm) FROM (SELECT {TERM_TF_SQL}) AS t)"
                )
                params += [term.weight * idf(text) * (K1 + 1), _quoted(text)]
            else:
                factor = term.weight * sum(idf(text) for _, text in term.tokens) * (K1 + 1)
                # Counted only where the phrase occurs (the tsquery says so from the index).
                parts.append(
                    "CASE WHEN matched_tsv @@ %s::tsquery THEN (SELECT %s * p.tf / (p.tf + n.norm)"
                    " FROM (SELECT dp_phrase_tf(matched_tsv, %s::text[], %s::int[]) AS tf) AS p)"
                    " ELSE 0 END"
                )
                params += [
                    _phrase_tsquery(list(term.tokens)),
                    factor,
                    [text for _, text in term.tokens],
                    [offset for offset, _ in term.tokens],
                ]
        sql = " + ".join(parts) or "0.0"
        return f"(SELECT {sql} FROM (SELECT {norm} AS norm) AS n)", params

    def _count(self, where: list[str], params: list) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM {self.table} WHERE {' AND '.join(where) or 'TRUE'}", params
            )
            return int(cursor.fetchone()[0])

    def satisfying(
        self, doc_ids: Sequence[int], query: ParsedQuery, filters: SearchFilters
    ) -> set[int]:
        if not doc_ids:
            return set()
        where, params = self._constraints(query, filters)
        where.append("doc_id = ANY(%s)")
        params.append([int(i) for i in doc_ids])
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT doc_id FROM {self.table} WHERE {' AND '.join(where)}", params)
            return {int(row[0]) for row in cursor.fetchall()}

    def texts(self, doc_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT doc_id, title, abstract FROM {self.table} WHERE doc_id = ANY(%s)",
                [[int(i) for i in doc_ids]],
            )
            return {int(r[0]): (r[1], r[2]) for r in cursor.fetchall()}

    def highlight(
        self,
        doc_ids: Sequence[int],
        query: ParsedQuery,
        texts: dict[int, tuple[str, str]] | None = None,
    ) -> dict[int, Highlight]:
        if texts is None:
            texts = self.texts(doc_ids)
        return self._highlighter.highlight(doc_ids, query, texts)

    def contents(self) -> IndexContents:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT doc_id, content_hash FROM {self.table}")
            return IndexContents({int(r[0]): r[1] for r in cursor.fetchall()})

    def __len__(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {self.table}")
            return int(cursor.fetchone()[0])

    def clear(self) -> None:
        """Empties the table (a new generation)."""
        self.rollback()
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {self.table}")
            cursor.execute(f"DELETE FROM {self.terms_table}")
            cursor.execute(f"DELETE FROM {self.terms_state_table}")


def _literal(vector: np.ndarray) -> str:
    return "[" + ",".join(repr(float(x)) for x in np.asarray(vector, dtype=np.float32)) + "]"


class PgvectorVectorIndex(_StagedWrites[np.ndarray]):
    def __init__(self, table: str = VECTOR_TABLE, dimensions: int = 384) -> None:
        self.table = table
        self.dimensions = dimensions
        super().__init__()

    def upsert(self, doc_ids: Sequence[int], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dimensions:
            raise ValueError(
                f"vectors must have shape (n, {self.dimensions}), not {tuple(vectors.shape)}"
            )
        if len(doc_ids) != len(vectors):
            raise ValueError(f"{len(doc_ids)} ids for {len(vectors)} vectors")
        for doc_id, vector in zip(doc_ids, vectors, strict=True):
            self._stage(doc_id, vector)

    def commit(self) -> None:
        if not self._staged_count():
            return
        with transaction.atomic(), connection.cursor() as cursor:
            if self._deletes:
                cursor.execute(
                    f"DELETE FROM {self.table} WHERE doc_id = ANY(%s)", [sorted(self._deletes)]
                )
            if self._upserts:
                cursor.executemany(
                    f"INSERT INTO {self.table} (doc_id, embedding) VALUES (%s, %s::vector)"
                    " ON CONFLICT (doc_id) DO UPDATE SET embedding = EXCLUDED.embedding",
                    [(doc_id, _literal(v)) for doc_id, v in self._upserts.items()],
                )
        self.rollback()

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        if k <= 0:
            return []
        literal = _literal(vector)
        with transaction.atomic(), connection.cursor() as cursor:
            # ef_search bounds what one HNSW scan returns: at least k candidates are needed. Dead
            # rows (updates, deletes, rolled-back batches not yet vacuumed) still sit in the graph
            # and are dropped after the scan, so the scan goes on until k live rows are found
            # (pgvector >= 0.8 iterative scans; strict order keeps the ranking exact).
            cursor.execute("SELECT set_config('hnsw.iterative_scan', 'strict_order', true)")
            cursor.execute(
                "SELECT set_config('hnsw.ef_search', %s, true)", [str(max(EF_SEARCH_MIN, k))]
            )
            cursor.execute(
                f"SELECT doc_id, 1 - (embedding <=> %s::vector) FROM {self.table}"
                " ORDER BY embedding <=> %s::vector LIMIT %s",
                [literal, literal, int(k)],
            )
            return [(int(r[0]), float(r[1])) for r in cursor.fetchall()]

    def vector(self, doc_id: int) -> np.ndarray | None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT embedding::text FROM {self.table} WHERE doc_id = %s", [int(doc_id)]
            )
            row = cursor.fetchone()
        if row is None:
            return None
        return np.array([float(x) for x in row[0].strip("[]").split(",")], dtype=np.float32)

    def cosines(self, vector: np.ndarray, doc_ids: Sequence[int]) -> dict[int, float]:
        if not doc_ids:
            return {}
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT doc_id, 1 - (embedding <=> %s::vector) FROM {self.table}"
                " WHERE doc_id = ANY(%s)",
                [_literal(vector), [int(i) for i in doc_ids]],
            )
            return {int(r[0]): float(r[1]) for r in cursor.fetchall()}

    def doc_ids(self) -> set[int]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT doc_id FROM {self.table}")
            return {int(r[0]) for r in cursor.fetchall()}

    def __len__(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {self.table}")
            return int(cursor.fetchone()[0])

    def clear(self) -> None:
        self.rollback()
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {self.table}")


def ensure_postgres_tables(conn=connection) -> bool:
    """Creates the extension and both tables when missing; False when pgvector is not installed."""
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        if cursor.fetchone() is None:
            return False
        cursor.execute("CREATE EXTENSION IF NOT EXISTS vector")
        cursor.execute(
            f"""
            CREATE TABLE IF NOT EXISTS {KEYWORD_TABLE} (
                doc_id bigint PRIMARY KEY,
                key text NOT NULL,
                title text NOT NULL,
                abstract text NOT NULL,
                authors text[] NOT NULL,
                orgs text[] NOT NULL,
                cats text[] NOT NULL,
                published timestamptz,
                content_hash text NOT NULL,
                tsv tsvector NOT NULL
            )
            """
        )
        # Since issue 10 (format 3 of the documents): the body's length in tokens, for BM25.
        cursor.execute(
            f"ALTER TABLE {KEYWORD_TABLE} ADD COLUMN IF NOT EXISTS length integer NOT NULL DEFAULT 0"
        )
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {KEYWORD_TABLE}_tsv ON {KEYWORD_TABLE} USING gin (tsv)"
        )
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {KEYWORD_TABLE}_cats ON {KEYWORD_TABLE} USING gin (cats)"
        )
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {KEYWORD_TABLE}_published ON {KEYWORD_TABLE} (published)"
        )
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {TERMS_TABLE}"
            " (lexeme text PRIMARY KEY, documents integer NOT NULL)"
        )
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {TERMS_STATE_TABLE} (id smallint PRIMARY KEY"
            " CHECK (id = 1), documents integer NOT NULL, changed integer NOT NULL)"
        )
        cursor.execute(
            f"ALTER TABLE {TERMS_STATE_TABLE}"
            " ADD COLUMN IF NOT EXISTS average_length float8 NOT NULL DEFAULT 0"
        )
        cursor.execute(PHRASE_TF_FUNCTION)
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {VECTOR_TABLE}"
            " (doc_id bigint PRIMARY KEY, embedding vector(384) NOT NULL)"
        )
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {VECTOR_TABLE}_hnsw ON {VECTOR_TABLE}"
            " USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 128)"
        )
    return True
