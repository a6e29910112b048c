"""Latency of hybrid top-20 search, query embedding included, at 74,728 and at 1,000,000 papers.

    python benchmarks/search_latency.py                      # the 74,728 real papers
    python benchmarks/search_latency.py --docs 1000000       # scaled (see below); long build
    python benchmarks/search_latency.py --queries 300        # fewer timed queries
    python benchmarks/search_latency.py --backend postgres   # PostgreSQL tables + pgvector

What is timed: ``SearchEngine.search(parse_query(q), limit=20, mode="hybrid")``, the product's
path: query parsing, the query embedding (one MiniLM run; every query is distinct, so the
engine's small query cache never hits), BM25 in tantivy, the HNSW neighbours, fusion. A second
figure adds the highlighted title and snippet of the 20 hits. Not timed: loading the 20 papers
from the database (two indexed queries in the product).

``--backend postgres`` builds the PostgreSQL backend (``PostgresKeywordIndex``,
``PgvectorVectorIndex``) in a scratch database on the server of ``--database`` instead, dropped
after the run; the serving child connects to it.

The search runs in a fresh child process that opens the indexes the parent built, so its peak RSS
is that of a serving process, not of the build.

Honest scaling:
* Documents: the 74,728 real papers as they are. Beyond that, document j takes the title of real
  paper (j mod N) and an abstract spliced from the first half of one random real abstract and the
  second half of another: real vocabulary and lengths, more documents per term.
* Vectors: embedding 1M abstracts is days of CPU here, so a seeded random SAMPLE of real
  abstracts is embedded (``--sample``, default 500) and every document gets a vector mixed from
  three sampled real vectors (Dirichlet weights) plus a little noise, re-normalised. The graph and
  the search cost are what they would be for real vectors of the same dimension; which documents
  are neighbours is not meaningful.
* Queries: 2-6 leading words of random real titles, all distinct.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from dailypapers.search.documents import SearchDocument
from dailypapers.search.embedder import get_embedder
from dailypapers.search.engine import SearchEngine
from dailypapers.search.hnsw_index import HnswVectorIndex
from dailypapers.search.syntax import parse_query
from dailypapers.search.tantivy_index import TantivyKeywordIndex

sys.path.insert(0, str(Path(__file__).resolve().parent))
from index_build import DEFAULT_CORPUS, load_documents  # noqa: E402
from scratch_postgres import DEFAULT_URL, open_postgres_in_child, scratch_database  # noqa: E402

# The aims: (p50, p99) in ms at 75k papers and at 1M.
TARGETS_MS = {75_000: (5.0, 25.0), 1_000_000: (10.0, 50.0)}


def targets_for(documents: int) -> tuple[float, float]:
    return TARGETS_MS[75_000] if documents <= 75_000 else TARGETS_MS[1_000_000]


CHUNK = 50_000


def scaled_documents(real: list[SearchDocument], total: int, rng: random.Random):
    """The real documents, then recombined ones up to ``total`` (generated lazily, in chunks)."""
    yield from real
    for doc_id in range(len(real) + 1, total + 1):
        title_from = real[(doc_id - 1) % len(real)]
        a, b = rng.choice(real).abstract, rng.choice(real).abstract
        abstract = a[: len(a) // 2] + b[len(b) // 2 :]
        yield SearchDocument(
            doc_id=doc_id,
            key=f"scaled-{doc_id}",
            title=title_from.title,
            abstract=abstract,
            authors=rng.choice(real).authors,
            categories=title_from.categories,
            published=title_from.published,
        )


def mixed_vectors(base: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    picks = rng.integers(0, len(base), (n, 3))
    weights = rng.dirichlet([1.0, 1.0, 1.0], n).astype(np.float32)
    vectors = (base[picks] * weights[..., None]).sum(axis=1)
    vectors += rng.normal(0.0, 0.01, vectors.shape).astype(np.float32)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def open_indexes(folder: Path, backend: str):
    """The (keyword, vector) index pair of the backend: files in ``folder``, or the tables."""
    if backend == "postgres":
        from dailypapers.search.postgres_index import PgvectorVectorIndex, PostgresKeywordIndex

        return PostgresKeywordIndex(), PgvectorVectorIndex()
    return TantivyKeywordIndex(folder / "keyword"), HnswVectorIndex(folder / "vectors")


def build(
    folder: Path, documents: list[SearchDocument], total: int, sample: int, backend: str
) -> None:
    rng = random.Random(7)
    keyword, vectors = open_indexes(folder, backend)
    started = time.perf_counter()
    batch: list[SearchDocument] = []
    for doc in scaled_documents(documents, total, rng):
        batch.append(doc)
        if len(batch) == CHUNK:
            keyword.upsert(batch)
            if backend == "postgres":  # the tables take one transaction per chunk
                keyword.commit()
            batch = []
    keyword.upsert(batch)
    keyword.commit()
    print(
        f"build: lexical index of {len(keyword):,} documents in {time.perf_counter() - started:.1f} s"
    )

    started = time.perf_counter()
    sampled = random.Random(42).sample(documents, min(sample, len(documents)))
    base = get_embedder().embed([doc.embedding_text() for doc in sampled])
    print(
        f"build: embedded a SAMPLE of {len(sampled):,} real abstracts in {time.perf_counter() - started:.1f} s"
    )

    started = time.perf_counter()
    generator = np.random.default_rng(11)
    for start in range(0, total, CHUNK):
        ids = list(range(start + 1, min(start + CHUNK, total) + 1))
        vectors.upsert(ids, mixed_vectors(base, len(ids), generator))
        if backend == "postgres":
            vectors.commit()
    vectors.commit()
    print(
        f"build: HNSW index of {len(vectors):,} vectors (mixed from the sample) in {time.perf_counter() - started:.1f} s"
    )


def make_queries(documents: list[SearchDocument], count: int) -> list[str]:
    rng = random.Random(3)
    queries: dict[str, None] = {}
    while len(queries) < count:
        words = rng.choice(documents).title.split()
        queries[" ".join(words[: rng.randint(2, 6)])] = None
    return list(queries)


def serve(folder: Path, queries: list[str], backend: str) -> dict:
    """Runs in the child: open the indexes, warm up, time every query."""
    if backend == "postgres":
        open_postgres_in_child()
    engine = SearchEngine(*open_indexes(folder, backend))
    for text in ["warm up", "graph neural networks", "diffusion models"]:
        engine.search(parse_query(text), limit=20)
    search_ms, with_highlight_ms, empty = [], [], 0
    for text in queries:
        started = time.perf_counter()
        parsed = parse_query(text)
        results = engine.search(parsed, limit=20, mode="hybrid")
        middle = time.perf_counter()
        engine.highlight([hit.doc_id for hit in results.hits], parsed)
        ended = time.perf_counter()
        search_ms.append((middle - started) * 1000)
        with_highlight_ms.append((ended - started) * 1000)
        empty += not results.hits
    return {
        "search_ms": search_ms,
        "with_highlight_ms": with_highlight_ms,
        "empty": empty,
        "documents": len(engine.keyword),
        "peak_rss_mb": peak_rss_mb(),
    }


def peak_rss_mb() -> float:
    """VmHWM of this process. Not ru_maxrss: Linux carries that across exec, so a child forked
    from a big parent would report the parent's size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument(
        "--docs", type=int, default=0, help="total documents (default: the real corpus size)"
    )
    parser.add_argument(
        "--sample", type=int, default=500, help="real abstracts embedded to derive vectors"
    )
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--backend", choices=["tantivy", "postgres"], default="tantivy")
    parser.add_argument(
        "--database", default=DEFAULT_URL, help="for --backend postgres: a database on the server"
    )
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)  # internal: the child process
    args = parser.parse_args(argv)

    if args.serve:
        queries = json.loads(sys.stdin.read())
        print(json.dumps(serve(args.serve, queries, args.backend)))
        return 0
    if not args.corpus.is_file():
        parser.error(f"{args.corpus} not found (needs ../shared/data beside the checkout)")
    documents = load_documents(args.corpus)
    total = args.docs or len(documents)
    if total < len(documents):
        documents = documents[:total]
    print(
        f"{total:,} documents ({len(documents):,} real), backend {args.backend}; "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
    )
    database = (
        scratch_database(args.database, "dp_search_latency")
        if args.backend == "postgres"
        else contextlib.nullcontext()
    )
    with database, tempfile.TemporaryDirectory(prefix="dp-search-latency-") as tmp:
        build(Path(tmp), documents, total, args.sample, args.backend)
        queries = make_queries(documents, args.queries)
        child = subprocess.run(
            [sys.executable, __file__, "--serve", tmp, "--backend", args.backend],
            input=json.dumps(queries),
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
    for name, label in (
        ("search_ms", "hybrid top-20"),
        ("with_highlight_ms", "hybrid top-20 + highlights"),
    ):
        values = np.array(result[name])
        p50, p99 = np.percentile(values, 50), np.percentile(values, 99)
        p50_target, p99_target = targets_for(result["documents"])
        verdict = "ok" if (p50 <= p50_target and p99 <= p99_target) else "ABOVE the target"
        print(
            f"{label} over {result['documents']:,} documents, {len(values):,} distinct queries: "
            f"p50 {p50:.2f} ms, p99 {p99:.2f} ms, mean {values.mean():.2f} ms "
            f"[target p50 <= {p50_target:.0f} ms, p99 <= {p99_target:.0f} ms: {verdict}]"
        )
    print(
        f"serving process peak RSS {result['peak_rss_mb']:.0f} MB; {result['empty']} queries found nothing; "
        f"load {os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
