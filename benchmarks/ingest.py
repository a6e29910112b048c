"""Papers/s of a bulk import into an empty SQLite database: the 74,728-paper arXiv cs listings corpus.

    python benchmarks/ingest.py [--corpus FILE] [--limit N] [--cli] [--data-dir DIR] [--keep]

Makes a fresh data folder (a tmp dir unless --data-dir names an empty one), migrates it, then
imports ``../shared/data/scale/arxiv_cs_daily_listings_2025-03_2026-07_dedup.jsonl.gz`` through the
product's code path and prints papers stored per second of import. Two ways to run the import:

* default: in this process, ``bulk.listing_records(path)`` fed to ``pipeline.import_records``, as
  ``dailypapers ingest listings`` does, timing the import alone;
* ``--cli``: ``dailypapers ingest listings FILE`` in a subprocess, timing the whole command
  (interpreter and Django start-up included).

The figure counts the papers in the database afterwards, so a run that skipped records cannot look
fast. Target on this project's 2-core machine: >= 5,000 papers/s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SHARED_DATA = Path(os.environ.get("DAILYPAPERS_SHARED_DATA_DIR", ROOT.parent / "shared" / "data"))
DEFAULT_CORPUS = SHARED_DATA / "scale" / "arxiv_cs_daily_listings_2025-03_2026-07_dedup.jsonl.gz"
TARGET_PAPERS_PER_SECOND = 5_000


def count_rows(database: Path, table: str) -> int:
    with sqlite3.connect(database) as connection:
        return connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def import_in_process(corpus: Path, limit: int | None) -> tuple[float, str]:
    import django

    django.setup()
    from dailypapers.ingest.pipeline import import_records
    from dailypapers.ingest.sources.bulk import listing_records

    started = time.perf_counter()
    stats = import_records(listing_records(corpus, limit=limit))
    return time.perf_counter() - started, stats.summary()


def import_with_cli(
    corpus: Path, limit: int | None, environment: dict[str, str]
) -> tuple[float, str]:
    command = [str(VENV_BIN / "dailypapers"), "ingest", "listings", str(corpus)]
    if limit:
        command += ["--limit", str(limit)]
    started = time.perf_counter()
    run = subprocess.run(command, env=environment, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit(
            f"{' '.join(command)} failed ({run.returncode}):\n{run.stdout}\n{run.stderr}"
        )
    summary = next(
        (
            line.removeprefix("done: ")
            for line in run.stderr.splitlines()
            if line.startswith("done:")
        ),
        "(no summary printed)",
    )
    return elapsed, summary


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="listings JSONL(.gz)")
    parser.add_argument("--limit", type=int, default=None, help="read at most N lines")
    parser.add_argument("--cli", action="store_true", help="time `dailypapers ingest listings`")
    parser.add_argument("--data-dir", type=Path, default=None, help="an empty folder to use")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    if not args.corpus.is_file():
        raise SystemExit(
            f"needs the scale corpus at {args.corpus} (../shared/data beside the checkout)"
        )
    if args.data_dir is not None:
        args.data_dir.mkdir(parents=True, exist_ok=True)
        if any(args.data_dir.iterdir()):
            raise SystemExit(f"{args.data_dir} is not empty: the benchmark needs an empty database")
        data_dir = args.data_dir
    else:
        data_dir = Path(tempfile.mkdtemp(prefix="dailypapers-bench-ingest-"))
    database = data_dir / "dailypapers.sqlite3"

    environment = {k: v for k, v in os.environ.items() if k != "DAILYPAPERS_DATABASE_URL"}
    environment.update(
        DAILYPAPERS_DATA_DIR=str(data_dir),
        DAILYPAPERS_DATABASE_URL=f"sqlite:///{database}",
        DAILYPAPERS_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="dailypapers.settings",
    )
    try:
        subprocess.run(
            [str(VENV_BIN / "dailypapers"), "migrate", "-v0"], env=environment, cwd=ROOT, check=True
        )
        before = count_rows(database, "papers_paper")
        if before:
            raise SystemExit(f"{database} already holds {before} papers")
        if args.cli:
            elapsed, summary = import_with_cli(args.corpus, args.limit, environment)
        else:
            os.environ.clear()
            os.environ.update(environment)
            elapsed, summary = import_in_process(args.corpus, args.limit)
        papers = count_rows(database, "papers_paper")
        authorships = count_rows(database, "papers_paperauthor")
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)

    mode = (
        "dailypapers ingest listings (subprocess)"
        if args.cli
        else "listing_records -> import_records"
    )
    rate = papers / elapsed if elapsed else 0.0
    print(f"corpus   {args.corpus.name}")
    print(f"path     {mode}, empty SQLite database, {os.cpu_count()} cores")
    print(f"import   {summary}")
    print(f"stored   {papers:,} papers, {authorships:,} author links in {elapsed:.1f} s")
    verdict = "meets" if rate >= TARGET_PAPERS_PER_SECOND else "BELOW"
    print(f"ingest: {rate:,.0f} papers/s ({verdict} the target of {TARGET_PAPERS_PER_SECOND:,}/s)")
    if args.keep:
        print(f"database kept at {database}")


if __name__ == "__main__":
    main()
