"""The hnswlib vector index: atomic commits, reloading in another process's handle, deletes."""

from __future__ import annotations

import numpy as np

from dailypapers.search.hnsw_index import HnswVectorIndex


def unit(rng, n):
    vectors = rng.normal(size=(n, 384)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_search_finds_the_exact_vector_first(tmp_path):
    rng = np.random.default_rng(0)
    vectors = unit(rng, 300)
    index = HnswVectorIndex(tmp_path)
    index.upsert(list(range(1, 301)), vectors)

    hits = index.search(vectors[41], 5)

    assert hits[0][0] == 42 and abs(hits[0][1] - 1.0) < 1e-4


def test_uncommitted_changes_are_invisible_to_other_handles(tmp_path):
    rng = np.random.default_rng(1)
    writer = HnswVectorIndex(tmp_path)
    writer.upsert([1, 2], unit(rng, 2))
    reader = HnswVectorIndex(tmp_path)
    assert len(reader) == 0

    writer.commit()

    assert len(reader) == 2 and reader.doc_ids() == {1, 2}


def test_rollback_returns_to_the_last_commit(tmp_path):
    rng = np.random.default_rng(2)
    index = HnswVectorIndex(tmp_path)
    index.upsert([1], unit(rng, 1))
    index.commit()
    index.upsert([2], unit(rng, 1))
    index.delete([1])

    index.rollback()

    assert index.doc_ids() == {1}


def test_commit_keeps_only_the_live_commit_folder(tmp_path):
    rng = np.random.default_rng(3)
    index = HnswVectorIndex(tmp_path)
    for doc_id in range(1, 4):
        index.upsert([doc_id], unit(rng, 1))
        index.commit()

    assert sorted(p.name for p in tmp_path.iterdir()) == ["CURRENT", "commit-000003"]


def test_an_unfinished_commit_folder_is_ignored(tmp_path):
    rng = np.random.default_rng(4)
    index = HnswVectorIndex(tmp_path)
    index.upsert([1], unit(rng, 1))
    index.commit()
    (tmp_path / ".commit-000002.tmp").mkdir()  # what a crash during the next commit leaves

    assert HnswVectorIndex(tmp_path).doc_ids() == {1}


def test_deleted_ids_are_never_returned_and_can_come_back(tmp_path):
    rng = np.random.default_rng(5)
    vectors = unit(rng, 20)
    index = HnswVectorIndex(tmp_path)
    index.upsert(list(range(20)), vectors)
    index.delete([3])

    assert 3 not in [doc_id for doc_id, _ in index.search(vectors[3], 20)]
    assert index.vector(3) is None

    index.upsert([3], vectors[3:4])
    assert index.search(vectors[3], 1)[0][0] == 3


def test_upsert_grows_past_the_initial_capacity(tmp_path):
    rng = np.random.default_rng(6)
    index = HnswVectorIndex(tmp_path)
    index.upsert(list(range(3000)), unit(rng, 3000))
    index.commit()

    assert len(HnswVectorIndex(tmp_path)) == 3000
