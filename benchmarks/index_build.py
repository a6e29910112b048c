"""Index build figures on the 74,728 real arXiv cs papers of the listings corpus.

    python benchmarks/index_build.py                   # lexical index of all, embedding rate on 2,000
    python benchmarks/index_build.py --sample 500      # a quicker embedding sample

1. Lexical: seconds to index every paper (title, abstract, authors, categories, date) into a fresh
   ``TantivyKeywordIndex`` in a temporary folder, commit included. Target: <= 20 s.
2. Embedding: abstracts per second through the product's ``Embedder`` (title + abstract,
   truncated to 256 tokens, each text run alone so nothing is padded, one text per core at a
   time) on a seeded random SAMPLE of the papers, not all of them; the full-corpus time is extrapolated from that rate. Target: >= 40/s.

Documents are built from the file, not the database (the same ``SearchDocument``s the indexing
service builds from papers), so the figure is the engine's, without the ingest step.
Run with ``nice -n 10`` on a shared machine; the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from dailypapers.search.documents import SearchDocument
from dailypapers.search.embedder import get_embedder
from dailypapers.search.tantivy_index import TantivyKeywordIndex

DEFAULT_CORPUS = (
    Path(__file__).resolve().parent.parent.parent
    / "shared/data/scale/arxiv_cs_daily_listings_2025-03_2026-07_dedup.jsonl.gz"
)
LEXICAL_TARGET_S = 20.0
EMBED_TARGET_PER_S = 40.0


def load_documents(path: Path) -> list[SearchDocument]:
    documents = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            row = json.loads(line)
            day = row.get("_listing_date")
            documents.append(
                SearchDocument(
                    doc_id=number,
                    key=row["id"],
                    title=" ".join((row.get("title") or "").split()),
                    abstract=" ".join((row.get("summary") or "").split()),
                    authors=tuple(row.get("authors") or ()),
                    categories=tuple(row.get("categories") or ()),
                    published=dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC)
                    if day
                    else None,
                )
            )
    return documents


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument(
        "--sample", type=int, default=2000, help="abstracts embedded to measure the rate"
    )
    args = parser.parse_args(argv)
    if not args.corpus.is_file():
        parser.error(f"{args.corpus} not found (needs ../shared/data beside the checkout)")

    documents = load_documents(args.corpus)
    print(
        f"corpus: {len(documents):,} papers from {args.corpus.name}; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
    )

    with tempfile.TemporaryDirectory(prefix="dp-index-build-") as tmp:
        keyword = TantivyKeywordIndex(Path(tmp) / "keyword")
        started, cpu = time.perf_counter(), time.process_time()
        keyword.upsert(documents)
        keyword.commit()
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        size = sum(f.stat().st_size for f in (Path(tmp) / "keyword").rglob("*") if f.is_file())
        verdict = "ok" if seconds <= LEXICAL_TARGET_S else "ABOVE the target"
        print(
            f"lexical: {len(keyword):,} papers indexed in {seconds:.1f} s wall "
            f"({cpu_seconds:.1f} s CPU, all threads), index {size / 1e6:.0f} MB "
            f"[target <= {LEXICAL_TARGET_S:.0f} s: {verdict}]"
        )

    sample = random.Random(42).sample(documents, min(args.sample, len(documents)))
    embedder = get_embedder()
    texts = [doc.embedding_text() for doc in sample]
    tokens = [len(ids) for ids in embedder.token_ids(texts)]
    started, cpu = time.perf_counter(), time.process_time()
    embedder.embed(texts)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    rate = len(sample) / seconds
    verdict = "ok" if rate >= EMBED_TARGET_PER_S else "BELOW the target"
    print(
        f"embedding: a SAMPLE of {len(sample):,} abstracts (seed 42; mean {sum(tokens) / len(tokens):.0f} tokens, "
        f"{sum(t == 256 for t in tokens) / len(tokens):.0%} cut at 256) in {seconds:.1f} s wall, {cpu_seconds:.1f} s CPU: "
        f"{rate:.1f} abstracts/s [target >= {EMBED_TARGET_PER_S:.0f}/s: {verdict}]"
    )
    print(
        f"embedding all {len(documents):,} papers at this rate: about {len(documents) / rate / 60:.0f} min; "
        f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; load {os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
