"""nDCG@10 and recall@100 of the product's search on any BEIR-format folder.

    python benchmarks/search_quality.py --all              # the three collections, one table
    python benchmarks/search_quality.py --all --backend postgres --database postgresql://...
    python benchmarks/search_quality.py /work/shared/data/retrieval/scifact --mode hybrid
    python benchmarks/search_quality.py DIR --mode bm25 --run /tmp/bm25.trec
    python benchmarks/search_quality.py DIR --sweep        # fusion settings on one collection
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

``--all`` runs SciFact train, CISI dev and hf_topics_dev dev (``--data``: the shared data folder) in
bm25, semantic and hybrid mode beside the plain BM25 anchor, and known-item search: each paper of
hf_topics_dev that has a Hugging Face one-sentence summary (``ai_summary``) is searched for by that
sentence (hybrid); MRR@10 of the paper itself. Corpus embeddings are kept in ``--cache``.

--run FILE writes the top 100 of every scored query in TREC format: ``qid Q0 docid rank score tag``.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
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
from dailypapers.search.engine import SearchEngine
from dailypapers.search.fusion import FusionConfig
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
    """The product's PostgreSQL indexes in a scratch database on the server of ``url``.

    Django opens one database per process, so one scratch database serves every collection of
    the run (``--all``): its tables are emptied for each."""
    if not _scratch.enter_context_done:
        _scratch.stack.enter_context(scratch_database(url, "dp_search_quality"))
        _scratch.enter_context_done = True
    from dailypapers.search.postgres_index import PgvectorVectorIndex, PostgresKeywordIndex

    keyword, vectors = PostgresKeywordIndex(), PgvectorVectorIndex()
    keyword.clear()
    vectors.clear()
    yield SearchEngine(keyword, vectors if needs_vectors else None)


class _Scratch:
    """The run's scratch PostgreSQL database, dropped when the process ends its ``main``."""

    def __init__(self) -> None:
        self.stack = contextlib.ExitStack()
        self.enter_context_done = False


_scratch = _Scratch()


@contextlib.contextmanager
def tantivy_engine(needs_vectors: bool) -> Iterator[SearchEngine]:
    with tempfile.TemporaryDirectory(prefix="dp-search-quality-") as tmp:
        keyword = TantivyKeywordIndex(Path(tmp) / "keyword")
        vectors = HnswVectorIndex(Path(tmp) / "vectors") if needs_vectors else None
        yield SearchEngine(keyword, vectors)


COLLECTIONS = (("scifact", "train"), ("cisi", "dev"), ("hf_topics_dev", "dev"))
# A plain BM25 (bm25s, Snowball stemming, English stop words, k1 0.9, b 0.4, title + text), from
# the README of the data folder: the floor every mode must stay above.
PLAIN_BM25 = {"scifact": 0.695, "cisi": 0.373, "hf_topics_dev": 0.244}
DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
KNOWN_ITEM_PAPERS = "hf_daily_papers/daily_papers.jsonl.gz"


def load_collection(folder: Path, split: str):
    qrels_path = folder / "qrels" / f"{split}.tsv"
    for needed in (folder / "corpus.jsonl", folder / "queries.jsonl", qrels_path):
        if not needed.is_file():
            raise SystemExit(f"{needed} not found: the folder must be in BEIR format")
    documents = load_corpus(folder)
    queries = load_queries(folder)
    qrels = {q: judged for q, judged in load_qrels(qrels_path).items() if q in queries}
    return documents, queries, qrels


@contextlib.contextmanager
def indexed(args, documents: list[SearchDocument], needs_vectors: bool) -> Iterator[SearchEngine]:
    """An engine of the chosen backend holding ``documents`` (embedded unless BM25 only)."""
    engines = (
        postgres_engine(args.database, needs_vectors)
        if args.backend == "postgres"
        else tantivy_engine(needs_vectors)
    )
    with engines as engine:
        started = time.perf_counter()
        engine.keyword.upsert(documents)
        engine.keyword.commit()
        print(f"  lexical index built in {time.perf_counter() - started:.1f} s", flush=True)
        if engine.vectors is not None:
            started = time.perf_counter()
            vectors = embeddings_of(engine, documents, args.cache)
            engine.vectors.upsert([doc.doc_id for doc in documents], vectors)
            engine.vectors.commit()
            print(f"  vectors ready in {time.perf_counter() - started:.1f} s", flush=True)
        yield engine


def ranked_by(engine: SearchEngine, texts: dict[str, str], mode: str) -> dict[str, list]:
    """Top ``DEPTH`` (doc_id, score) per query, through ``parse_query`` and ``engine.search``."""
    return {
        qid: [
            (hit.doc_id, hit.score)
            for hit in engine.search(parse_query(text), limit=DEPTH, mode=mode).hits  # type: ignore[arg-type]
        ]
        for qid, text in texts.items()
    }


def known_item_queries(data: Path, documents: list[SearchDocument]) -> dict[str, str]:
    """Hugging Face's one-sentence summary (``ai_summary``) of each paper of ``documents`` that has
    one: the paper's own summary should find it first."""
    keys = {doc.key for doc in documents}
    out = {}
    with gzip.open(data / KNOWN_ITEM_PAPERS, "rt", encoding="utf-8") as handle:
        for line in handle:
            paper = json.loads(line).get("paper") or {}
            summary = (paper.get("ai_summary") or "").strip()
            if paper.get("id") in keys and summary:
                out[paper["id"]] = summary
    return out


def mrr_at(runs: dict[str, list[str]], k: int = 10) -> float:
    """Mean reciprocal rank of the query's own document (the query id is the document key)."""
    total = 0.0
    for key, ranked in runs.items():
        if key in ranked[:k]:
            total += 1 / (ranked.index(key) + 1)
    return total / len(runs) if runs else 0.0


def run_all(args) -> int:
    """The three development collections in every mode, and known-item search: one table."""
    root = args.data / "retrieval"
    rows = []
    known: tuple[float, int] | None = None
    for name, split in COLLECTIONS:
        print(f"{name} ({split})", flush=True)
        documents, queries, qrels = load_collection(root / name, split)
        key_of = {doc.doc_id: doc.key for doc in documents}
        with indexed(args, documents, needs_vectors=True) as engine:
            texts = {qid: queries[qid] for qid in qrels}
            figures = {}
            for mode in ("bm25", "semantic", "hybrid"):
                ranked = ranked_by(engine, texts, mode)
                runs = {q: [key_of[d] for d, _ in hits] for q, hits in ranked.items()}
                figures[mode] = evaluate(runs, qrels)[0]
                print(f"  {mode:<8} nDCG@10 {figures[mode]:.4f}", flush=True)
            rows.append((name, split, len(qrels), figures))
            if name == "hf_topics_dev" and (args.data / KNOWN_ITEM_PAPERS).is_file():
                summaries = known_item_queries(args.data, documents)
                ranked = ranked_by(engine, summaries, "hybrid")
                runs = {q: [key_of[d] for d, _ in hits] for q, hits in ranked.items()}
                known = (mrr_at(runs), len(summaries))
                print(f"  known-item MRR@10 {known[0]:.4f} ({known[1]} summaries)", flush=True)
    print()
    print(f"backend {args.backend}, nDCG@10")
    print("| collection | queries | plain BM25 | bm25 | semantic | hybrid |")
    print("|---|---|---|---|---|---|")
    for name, split, count, figures in rows:
        print(
            f"| {name} ({split}) | {count} | {PLAIN_BM25[name]:.3f} | {figures['bm25']:.4f} "
            f"| {figures['semantic']:.4f} | {figures['hybrid']:.4f} |"
        )
    if known is not None:
        print(
            f"\nknown-item (a paper's Hugging Face summary sentence finds it, hybrid, among the "
            f"{len(documents):,} papers of hf_topics_dev): MRR@10 {known[0]:.4f} over {known[1]:,}"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "folder",
        type=Path,
        nargs="?",
        help="BEIR folder: corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv (not with --all)",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="the three development collections (SciFact train, CISI dev, hf_topics_dev dev) in "
        "every mode, plus known-item search, as one table",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help=f"for --all: the shared data folder (default: {DEFAULT_DATA})",
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
    with _scratch.stack:
        return measure(parser, args)


def measure(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.sweep and args.backend != "tantivy":
        parser.error("--sweep tunes the tantivy backend only")
    if args.all:
        return run_all(args)
    if args.folder is None:
        parser.error("name a BEIR folder, or use --all")

    documents, queries, qrels = load_collection(args.folder, args.split)
    key_of = {doc.doc_id: doc.key for doc in documents}
    needs_vectors = args.mode != "bm25" or args.sweep
    print(
        f"corpus {len(documents):,} documents, {len(qrels):,} judged queries ({args.split}), "
        f"mode {args.mode}, backend {args.backend}"
    )
    texts = {qid: queries[qid] for qid in qrels}
    with indexed(args, documents, needs_vectors) as engine:

        def run(mode: str) -> dict[str, list[tuple[int, float]]]:
            return ranked_by(engine, texts, mode)

        def as_keys(ranked: dict[str, list[tuple[int, float]]]) -> dict[str, list[str]]:
            return {qid: [key_of[doc_id] for doc_id, _ in hits] for qid, hits in ranked.items()}

        if args.sweep:
            sweep(engine, run, as_keys, qrels)
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


def sweep(engine, run, as_keys, qrels) -> None:
    """The fusion settings on this collection: methods, semantic weights, the topic weight.

    Pick settings by the WORST of the development collections (run the sweep on each), never by
    one: docs/search.md has the grid over all three and the leave-one-out check."""
    for mode in ("bm25", "semantic"):
        ndcg, recall = evaluate(as_keys(run(mode)), qrels)
        print(f"{mode:<8} nDCG@10 {ndcg:.4f} recall@100 {recall:.4f}")
    configs = [
        FusionConfig("zscore", w, topic_semantic_weight=t)
        for w in (0.3, 0.4, 0.5, 0.6, 0.7)
        for t in (0.0, 0.2)
    ]
    configs += [FusionConfig("weighted", 0.4, topic_semantic_weight=0.4)]
    configs += [FusionConfig("rrf", 0.5, topic_semantic_weight=0.5, rrf_k=k) for k in (10, 60)]
    default = engine.fusion
    for config in configs:
        engine.fusion = config
        ndcg, recall = evaluate(as_keys(run("hybrid")), qrels)
        print(
            f"hybrid {config.method:<8} w={config.semantic_weight} topic w="
            f"{config.topic_semantic_weight} k={config.rrf_k:<3} nDCG@10 {ndcg:.4f} "
            f"recall@100 {recall:.4f}"
        )
    engine.fusion = default


if __name__ == "__main__":
    sys.exit(main())
