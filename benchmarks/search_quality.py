"""nDCG@10 and recall@100 of the product's search on any BEIR-format folder.

    python benchmarks/search_quality.py /work/shared/data/retrieval/scifact --mode hybrid
    python benchmarks/search_quality.py DIR --mode bm25 --run /tmp/bm25.trec
    python benchmarks/search_quality.py DIR --sweep        # fusion and title-boost grid (tuning)
    python benchmarks/search_quality.py DIR --backend postgres --database postgresql://root@127.0.0.1:5432/test

The corpus is indexed FRESH into a temporary folder with the same classes the product uses
(``TantivyKeywordIndex``, ``HnswVectorIndex``, ``SearchEngine``); each query goes through
``parse_query`` and ``SearchEngine.search`` exactly as a search box query does. Only the source
of documents differs: corpus.jsonl instead of the database.

``--backend postgres`` measures the PostgreSQL backend instead (``PostgresKeywordIndex``: tsvector
+ GIN; ``PgvectorVectorIndex``: pgvector HNSW), in a scratch database created on that server for
the run and dropped after it (pgvector must be installed there).

nDCG@10 uses graded qrels as given (gain = relevance, discount log2(rank + 1)); the ideal DCG is
computed from all judged-relevant documents of the query, not from the retrieved ones. Only queries
with at least one relevant judgment are scored (the BEIR convention).

--run FILE writes the top 100 of every scored query in TREC format: ``qid Q0 docid rank score tag``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from dailypapers.search.documents import SearchDocument
from dailypapers.search.embedder import MODEL_ID
from dailypapers.search.engine import DEFAULT_FUSION, SearchEngine
from dailypapers.search.fusion import FusionConfig, fuse
from dailypapers.search.hnsw_index import HnswVectorIndex
from dailypapers.search.syntax import parse_query
from dailypapers.search.tantivy_index import TantivyKeywordIndex

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scratch_postgres import DEFAULT_URL, scratch_database  # noqa: E402

DEPTH = 100
# Embedding a collection takes minutes on two busy cores; the vectors are kept between runs here
# (data/ is not versioned), named by the model and every text, so a change of either re-embeds.
DEFAULT_CACHE = Path(__file__).resolve().parent.parent / "data" / "benchmark-cache"


def load_corpus(folder: Path) -> list[SearchDocument]:
    documents = []
    with (folder / "corpus.jsonl").open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            row = json.loads(line)
            documents.append(
                SearchDocument(
                    doc_id=number,
                    key=str(row["_id"]),
                    title=row.get("title") or "",
                    abstract=row.get("text") or "",
                )
            )
    return documents


def load_queries(folder: Path) -> dict[str, str]:
    with (folder / "queries.jsonl").open(encoding="utf-8") as handle:
        return {str(row["_id"]): row["text"] for row in map(json.loads, handle)}


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            parts = line.strip().split("\t")
            if number == 0 and parts[0] == "query-id":
                continue
            if len(parts) == 3:
                qrels[parts[0]][parts[1]] = int(parts[2])
    return dict(qrels)


def ndcg_at(ranked: list[str], judged: dict[str, int], k: int = 10) -> float:
    dcg = sum(
        judged.get(doc, 0) / math.log2(rank + 1) for rank, doc in enumerate(ranked[:k], start=1)
    )
    ideal_gains = sorted((g for g in judged.values() if g > 0), reverse=True)[:k]
    ideal = sum(gain / math.log2(rank + 1) for rank, gain in enumerate(ideal_gains, start=1))
    return dcg / ideal if ideal > 0 else 0.0


def recall_at(ranked: list[str], judged: dict[str, int], k: int = 100) -> float:
    relevant = {doc for doc, gain in judged.items() if gain > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def evaluate(runs: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> tuple[float, float]:
    scored = [q for q in qrels if any(g > 0 for g in qrels[q].values())]
    ndcg = sum(ndcg_at(runs.get(q, []), qrels[q]) for q in scored) / len(scored)
    recall = sum(recall_at(runs.get(q, []), qrels[q]) for q in scored) / len(scored)
    return ndcg, recall


def embeddings_of(engine: SearchEngine, documents: list[SearchDocument], cache: Path | None):
    """The documents' vectors, from ``cache`` when this model embedded these very texts before."""
    digest = hashlib.sha256(MODEL_ID.encode())
    for doc in documents:
        digest.update(doc.embedding_text().encode("utf-8") + b"\x00")
    path = cache / f"{digest.hexdigest()[:32]}.npy" if cache else None
    if path is not None and path.is_file():
        return np.load(path)
    vectors = engine.embed_documents(documents)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path.with_suffix(".tmp.npy"), vectors)
        path.with_suffix(".tmp.npy").replace(path)
    return vectors


@contextlib.contextmanager
def postgres_engine(url: str, needs_vectors: bool) -> Iterator[SearchEngine]:
    """The product's PostgreSQL indexes in a scratch database on the server of ``url``."""
    with scratch_database(url, "dp_search_quality"):
        from dailypapers.search.postgres_index import PgvectorVectorIndex, PostgresKeywordIndex

        vectors = PgvectorVectorIndex() if needs_vectors else None
        yield SearchEngine(PostgresKeywordIndex(), vectors)


@contextlib.contextmanager
def tantivy_engine(needs_vectors: bool) -> Iterator[SearchEngine]:
    with tempfile.TemporaryDirectory(prefix="dp-search-quality-") as tmp:
        keyword = TantivyKeywordIndex(Path(tmp) / "keyword")
        vectors = HnswVectorIndex(Path(tmp) / "vectors") if needs_vectors else None
        yield SearchEngine(keyword, vectors)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "folder", type=Path, help="BEIR folder: corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv"
    )
    parser.add_argument("--mode", choices=["bm25", "semantic", "hybrid"], default="hybrid")
    parser.add_argument("--split", default="train", help="qrels/SPLIT.tsv (default: train)")
    parser.add_argument("--run", type=Path, help="write the top 100 per query in TREC format here")
    parser.add_argument(
        "--sweep", action="store_true", help="grid over title boost and fusion settings"
    )
    parser.add_argument(
        "--backend",
        choices=["tantivy", "postgres"],
        default="tantivy",
        help="the SQLite install's indexes (tantivy + HNSW, default) or PostgreSQL's (+ pgvector)",
    )
    parser.add_argument(
        "--database",
        default=DEFAULT_URL,
        help="for --backend postgres: a database URL on the server to use (a scratch database is "
        "created beside it and dropped after the run)",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=DEFAULT_CACHE,
        help=f"folder keeping the corpus embeddings between runs (default: {DEFAULT_CACHE})",
    )
    parser.add_argument("--no-cache", dest="cache", action="store_const", const=None)
    args = parser.parse_args(argv)
    if args.sweep and args.backend != "tantivy":
        parser.error("--sweep tunes the tantivy backend only")

    qrels_path = args.folder / "qrels" / f"{args.split}.tsv"
    for needed in (args.folder / "corpus.jsonl", args.folder / "queries.jsonl", qrels_path):
        if not needed.is_file():
            parser.error(f"{needed} not found: the folder must be in BEIR format")
    documents = load_corpus(args.folder)
    queries = load_queries(args.folder)
    qrels = {q: judged for q, judged in load_qrels(qrels_path).items() if q in queries}
    key_of = {doc.doc_id: doc.key for doc in documents}
    needs_vectors = args.mode != "bm25" or args.sweep
    print(
        f"corpus {len(documents):,} documents, {len(qrels):,} judged queries ({args.split}), "
        f"mode {args.mode}, backend {args.backend}"
    )

    engines = (
        postgres_engine(args.database, needs_vectors)
        if args.backend == "postgres"
        else tantivy_engine(needs_vectors)
    )
    with engines as engine:
        keyword, vectors = engine.keyword, engine.vectors
        started = time.perf_counter()
        engine.keyword.upsert(documents)
        engine.keyword.commit()
        lexical_seconds = time.perf_counter() - started
        print(f"lexical index built in {lexical_seconds:.1f} s")
        if vectors is not None:
            started = time.perf_counter()
            embeddings = embeddings_of(engine, documents, args.cache)
            vectors.upsert([doc.doc_id for doc in documents], embeddings)
            vectors.commit()
            print(
                f"embedded and indexed {len(documents):,} documents in {time.perf_counter() - started:.1f} s"
            )

        def run(mode: str) -> dict[str, list[tuple[int, float]]]:
            out = {}
            for qid in qrels:
                results = engine.search(parse_query(queries[qid]), limit=DEPTH, mode=mode)  # type: ignore[arg-type]
                out[qid] = [(hit.doc_id, hit.score) for hit in results.hits]
            return out

        def as_keys(ranked: dict[str, list[tuple[int, float]]]) -> dict[str, list[str]]:
            return {qid: [key_of[doc_id] for doc_id, _ in hits] for qid, hits in ranked.items()}

        if args.sweep:
            sweep(engine, keyword, run, as_keys, qrels)
            return 0

        started = time.perf_counter()
        ranked = run(args.mode)
        seconds = time.perf_counter() - started
        ndcg, recall = evaluate(as_keys(ranked), qrels)
        print(
            f"nDCG@10 {ndcg:.4f}   recall@100 {recall:.4f}   ({len(qrels)} queries, {seconds / len(qrels) * 1000:.1f} ms/query)"
        )
        if args.run:
            with args.run.open("w", encoding="utf-8") as handle:
                for qid, hits in ranked.items():
                    for rank, (doc_id, score) in enumerate(hits[:DEPTH], start=1):
                        handle.write(
                            f"{qid} Q0 {key_of[doc_id]} {rank} {score:.6f} dailypapers-{args.mode}\n"
                        )
            print(f"wrote {args.run}")
    return 0


def sweep(engine, keyword, run, as_keys, qrels) -> None:
    """Tunes the title boost (BM25 alone), then the fusion on the chosen boost."""
    best_boost, best = keyword.title_boost, -1.0
    for boost in (0.0, 0.1, 0.2, 0.3, 0.5, 1.0):
        keyword.title_boost = boost
        ndcg, recall = evaluate(as_keys(run("bm25")), qrels)
        print(f"bm25 title_boost={boost:<4} nDCG@10 {ndcg:.4f} recall@100 {recall:.4f}")
        if ndcg > best:
            best_boost, best = boost, ndcg
    keyword.title_boost = best_boost
    lexical, semantic = run("bm25"), run("semantic")
    ndcg, recall = evaluate(as_keys(semantic), qrels)
    print(f"semantic alone nDCG@10 {ndcg:.4f} recall@100 {recall:.4f}")
    configs = [
        FusionConfig("weighted", w, depth=DEFAULT_FUSION.depth) for w in (0.3, 0.4, 0.5, 0.6, 0.7)
    ]
    configs += [
        FusionConfig("rrf", w, rrf_k=k, depth=DEFAULT_FUSION.depth)
        for w in (0.5, 0.6)
        for k in (10, 60)
    ]
    for config in configs:
        fused = {q: fuse(lexical[q], semantic[q], config)[:DEPTH] for q in qrels}
        ndcg, recall = evaluate(as_keys(fused), qrels)
        print(
            f"hybrid {config.method:<8} w={config.semantic_weight} k={config.rrf_k:<3} nDCG@10 {ndcg:.4f} recall@100 {recall:.4f}"
        )


if __name__ == "__main__":
    sys.exit(main())
