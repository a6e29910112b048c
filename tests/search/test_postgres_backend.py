"""The PostgreSQL backend (tsvector + GIN, pgvector HNSW) passes the engine's behavioural tests.

Every test of test_engine.py that runs on the ``engine`` fixture runs here again, with this module's
``engine``: the five-paper corpus in ``PostgresKeywordIndex`` and ``PgvectorVectorIndex`` (tables
from migration 0002). Ranking, stemming, accents, phrases, fields, filters, sorts, pagination,
hostile text, snippets, similar papers, re-indexing and deletion are thus checked on both
backends. Skipped on SQLite, and on a PostgreSQL without pgvector.
"""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection

from dailypapers.search.engine import SearchEngine
from dailypapers.search.postgres_index import (
    PgvectorVectorIndex,
    PostgresKeywordIndex,
    postgres_search_available,
)
from dailypapers.search.syntax import parse_query
from tests.search import test_engine as engine_tests
from tests.search.conftest import CORPUS

pytestmark = pytest.mark.django_db

_REUSED = [
    name
    for name, value in vars(engine_tests).items()
    if name.startswith("test_")
    and callable(value)
    and "engine" in value.__code__.co_varnames[: value.__code__.co_argcount]
]
for _name in _REUSED:
    globals()[_name] = getattr(engine_tests, _name)


@pytest.fixture(scope="module")
def corpus_vectors(django_db_blocker) -> np.ndarray:
    """The corpus embedded once for the module (embedding costs ~25 ms per document)."""
    engine = SearchEngine(PostgresKeywordIndex(), None)
    return engine.embed_documents(CORPUS)


@pytest.fixture
def engine(db, corpus_vectors) -> SearchEngine:
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL search backend needs PostgreSQL")
    if not postgres_search_available():
        pytest.skip("pgvector is not installed in this PostgreSQL (.ci/install-pgvector)")
    search_engine = SearchEngine(PostgresKeywordIndex(), PgvectorVectorIndex())
    # Tests with a transactional database (live servers) commit rows that Django's flush does not
    # clear from these unmanaged tables; start from empty ones (rolled back after the test).
    search_engine.keyword.clear()
    search_engine.vectors.clear()
    search_engine.index(CORPUS, corpus_vectors)
    search_engine.commit()
    return search_engine


def test_reused_engine_tests_are_collected():
    assert len(_REUSED) >= 15


def test_rollback_drops_staged_writes(engine):
    engine.delete([1])
    engine.keyword.rollback()
    engine.vectors.rollback()
    engine.commit()
    assert len(engine.keyword) == 5 and len(engine.vectors) == 5


def test_uncommitted_documents_are_invisible(engine):
    from tests.search.conftest import doc

    engine.index([doc(9, "Quantum annealing of spin glasses")], np.ones((1, 384), np.float32))
    assert engine.search(parse_query("annealing"), mode="bm25").hits == []
    engine.commit()
    assert [h.doc_id for h in engine.search(parse_query("annealing"), mode="bm25").hits] == [9]


def test_wrong_vector_shape_is_refused_with_a_clear_error(engine):
    with pytest.raises(ValueError, match=r"shape \(n, 384\)"):
        engine.vectors.upsert([1], np.ones((1, 10), np.float32))


def test_similar_still_finds_k_papers_when_deleted_neighbours_crowd_the_graph(engine):
    # Deleted rows stay in the HNSW graph until VACUUM; 300 of them right beside the paper would
    # fill a plain scan's candidate list (ef_search 64) and leave fewer than k live neighbours.
    rng = np.random.default_rng(0)
    target = engine.vectors.vector(1)
    crowd = target + rng.normal(0, 0.01, (300, 384)).astype(np.float32)
    crowd_ids = list(range(1000, 1300))
    engine.vectors.upsert(crowd_ids, crowd)
    engine.vectors.commit()
    engine.vectors.delete(crowd_ids)
    engine.vectors.commit()

    similar = engine.similar(1, 4)

    assert sorted(doc_id for doc_id, _ in similar) == [2, 3, 4, 5]


def test_auto_backend_follows_the_database(settings):
    from dailypapers.search.backend import search_backend

    settings.SEARCH_BACKEND = "auto"
    expected = "postgres" if postgres_search_available() else "tantivy"

    assert search_backend() == expected
    if connection.vendor == "sqlite":
        assert expected == "tantivy"


def test_product_index_uses_the_postgres_tables_on_postgresql(engine, search_data_dir, settings):
    from dailypapers.search import backend

    settings.SEARCH_BACKEND = "auto"
    index = backend.get_search_index()

    assert index.backend == "postgres"
    assert isinstance(index.keyword, PostgresKeywordIndex)
    # A new generation starts from empty tables: the fixture's documents are gone.
    assert len(index.keyword) == 0 and len(index.vectors) == 0


def test_tantivy_backend_can_be_forced_on_any_database(settings):
    from dailypapers.search.backend import search_backend

    settings.SEARCH_BACKEND = "tantivy"

    assert search_backend() == "tantivy"


def test_unknown_backend_is_refused_with_a_clear_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    from dailypapers.search.backend import search_backend

    settings.SEARCH_BACKEND = "elastic"

    with pytest.raises(ImproperlyConfigured, match="expected one of auto, tantivy, postgres"):
        search_backend()


def test_postgres_backend_on_sqlite_is_refused_with_a_clear_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    from dailypapers.search.backend import search_backend

    if connection.vendor != "sqlite":
        pytest.skip("checks the refusal on SQLite")
    settings.SEARCH_BACKEND = "postgres"

    with pytest.raises(ImproperlyConfigured, match="needs a PostgreSQL database"):
        search_backend()


def test_a_rare_word_outweighs_a_frequent_one(engine):
    from tests.search.conftest import doc

    common = [doc(100 + i, f"A model of things {i}", "model model") for i in range(12)]
    rare = doc(200, "Zebrafish development", "Zebrafish embryos under the microscope.")
    engine.index([*common, rare], np.ones((13, 384), np.float32))
    engine.commit()

    hits = engine.search(parse_query("model zebrafish"), mode="bm25").hits

    assert hits[0].doc_id == 200


def test_term_statistics_follow_the_documents(engine):
    from tests.search.conftest import doc

    def state() -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT documents, changed FROM search_pgtermstate")
            return cursor.fetchone()

    def documents_with(lexeme: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT documents FROM search_pgterm WHERE lexeme = %s", [lexeme])
            row = cursor.fetchone()
            return row[0] if row else 0

    assert state() == (5, 0)
    engine.index([doc(9, "Quantum annealing", "annealing of spin glasses")], np.ones((1, 384)))
    engine.commit()  # one change in six documents is more than 2%: rebuilt

    assert state() == (6, 0) and documents_with("anneal") == 1
    engine.delete([9])
    engine.commit()
    assert state() == (5, 0) and documents_with("anneal") == 0
    engine.keyword.clear()
    assert engine.search(parse_query("attention"), mode="bm25").hits == []


def test_term_frequency_read_from_ts_rank_is_exact(engine):
    from dailypapers.search.postgres_index import TERM_TF_SQL

    counts = [0, 1, 2, 3, 4, 5, 7, 10, 16, 40, 100, 255]
    with connection.cursor() as cursor:
        for count in counts:
            text = " ".join(["zebra"] * count + ["other"])
            cursor.execute(
                f"SELECT tf FROM (SELECT to_tsvector('simple', %s) AS matched_tsv) AS m,"
                f" LATERAL (SELECT {TERM_TF_SQL}) AS t",
                [text, "'zebra'"],
            )
            assert cursor.fetchone()[0] == count


def test_postgres_bm25_ranks_as_tantivy(engine, tmp_path):
    from dailypapers.search.tantivy_index import TantivyKeywordIndex
    from tests.search.conftest import CORPUS

    tantivy = SearchEngine(TantivyKeywordIndex(tmp_path / "keyword"), None)
    tantivy.index(CORPUS)
    tantivy.commit()
    for text in ("deep learning networks", "image synthesis", "residual networks training"):
        ours = engine.search(parse_query(text), mode="bm25").hits
        theirs = tantivy.search(parse_query(text), mode="bm25").hits
        assert [h.doc_id for h in ours] == [h.doc_id for h in theirs]
        for mine, other in zip(ours, theirs, strict=True):
            # tantivy stores lengths in one byte (lossy above ~40 tokens): close, not equal.
            assert mine.score == pytest.approx(other.score, rel=0.1)
