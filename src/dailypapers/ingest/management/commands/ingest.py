"""``dailypapers ingest SOURCE ...``: import papers from an upstream or from saved files.

Each source is a sub-command; every one is idempotent and prints a summary
(read, created, updated, unchanged, skipped) with each skipped record and why.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dailypapers.ingest.progress import run_with_progress
from dailypapers.ingest.sources import hf


def iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "Import papers from Hugging Face, arXiv (API, OAI-PMH) or bulk files."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="source", required=True, metavar="SOURCE")

        p = sub.add_parser("hf", help="Hugging Face daily papers: saved responses or the live API.")
        p.add_argument("paths", nargs="*", type=Path, help="Response files or folders (*.json, *.jsonl.gz).")
        p.add_argument("--from", dest="start", type=iso_date, help="Fetch live from this date (YYYY-MM-DD).")
        p.add_argument("--to", dest="end", type=iso_date, help="Last date to fetch (default: today).")
        p.add_argument("--days", type=int, help="Fetch live the last N days.")

    def handle(self, *args, **options) -> None:
        handler = getattr(self, f"handle_{options['source']}")
        stats = handler(**options)
        if stats.read == 0 and stats.skipped > 0:
            raise CommandError("nothing could be imported; see the skipped records above")

    def handle_hf(self, *, paths: list[Path], start, end, days, **_):
        # Every combination that would silently ignore an option is refused.
        if paths and (start or end or days is not None):
            raise CommandError("give either files/folders or --from/--to/--days, not both")
        if days is not None and (start or end):
            raise CommandError("give either --days or --from/--to, not both")
        if days is not None and days < 1:
            raise CommandError(f"--days must be 1 or more, got {days}")
        if end and not start:
            raise CommandError("--to needs --from")
        if paths:
            files = hf.iter_files(paths)
            if not files:
                raise CommandError("no .json/.jsonl files found in the given paths")
            items = (record for path in files for record in hf.records_from_file(path))
            return run_with_progress(items, description=f"HF files ({len(files)})")
        today = dt.date.today()
        if days:
            start = today - dt.timedelta(days=days - 1)
        if not start:
            raise CommandError("give files/folders, --from YYYY-MM-DD or --days N")
        end = end or today
        if end < start:
            raise CommandError(f"--to {end} is before --from {start}")
        client = hf.HfDailyPapersClient()
        return run_with_progress(client.records(start, end), description=f"HF API {start}..{end}")
