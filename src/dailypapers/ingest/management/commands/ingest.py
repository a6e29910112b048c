"""``dailypapers ingest SOURCE ...``: import papers from an upstream or from saved files.

Each source is a sub-command; every one is idempotent and prints a summary
(read, created, updated, unchanged, skipped) with each skipped record and why.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console

from dailypapers.commands import ProgressBar
from dailypapers.ingest.progress import report, run_with_progress
from dailypapers.ingest.sources import arxiv_atom, bulk, hf, oai_pmh, saved


def iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _source(
    sub: argparse._SubParsersAction,
    name: str,
    help: str,
    description: str | None = None,
    examples: tuple[str, ...] = (),
) -> argparse.ArgumentParser:
    """One ``SOURCE`` sub-command, its examples laid out as written."""
    epilog = None
    if examples:
        epilog = ("examples:\n" if len(examples) > 1 else "example:\n") + "\n".join(
            f"  {example}" for example in examples
        )
    return sub.add_parser(
        name,
        help=help,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _add_ids(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--id", dest="ids", nargs="+", default=[], metavar="ID", help=help)


def _add_limit(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", type=int, help="Read at most N lines per file.")


def _saved_files(paths: list[Path], endings: tuple[str, ...]) -> list[Path]:
    files = saved.iter_files(paths, endings)
    if not files:
        kinds = "/".join(dict.fromkeys("." + ending.split(".")[1] for ending in endings))
        raise CommandError(f"no {kinds} files found in the given paths")
    return files


class Command(BaseCommand):
    help = "Import papers from Hugging Face, arXiv (API, OAI-PMH) or bulk files."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="source", required=True, metavar="SOURCE")

        p = _source(sub, "hf", "Hugging Face daily papers: saved responses or the live API.")
        p.add_argument(
            "paths", nargs="*", type=Path, help="Response files or folders (*.json, *.jsonl.gz)."
        )
        p.add_argument(
            "--from", dest="start", type=iso_date, help="Fetch live from this date (YYYY-MM-DD)."
        )
        p.add_argument(
            "--to", dest="end", type=iso_date, help="Last date to fetch (default: today)."
        )
        p.add_argument("--days", type=int, help="Fetch live the last N days.")

        p = _source(
            sub,
            "arxiv",
            "arXiv search API (Atom): by id or query, live or saved responses.",
            "Fetch papers from the arXiv API (DAILYPAPERS_ARXIV_API_URL), one page per "
            "call with DAILYPAPERS_UPSTREAM_DELAY_SECONDS (3 s) between calls, or read saved "
            "responses (Atom *.xml, or recorded {url, status_code, body} *.json exchanges).",
            (
                "dailypapers ingest arxiv --id 2405.15738 hep-th/9901001v2",
                "dailypapers ingest arxiv --query 'cat:cs.CL AND ti:retrieval' --max 500 "
                "--sort-by submittedDate",
                "dailypapers ingest arxiv saved_feeds/",
            ),
        )
        p.add_argument("paths", nargs="*", type=Path, help="Saved responses or folders of them.")
        _add_ids(p, "arXiv ids (with or without version; commas allowed).")
        p.add_argument(
            "--query", help="An arXiv search_query (e.g. 'cat:cs.LG AND abs:diffusion')."
        )
        p.add_argument(
            "--max",
            dest="max_results",
            type=int,
            default=100,
            help="Most results for --query (default 100).",
        )
        p.add_argument(
            "--page-size",
            type=int,
            default=100,
            help="Results per call (at most 2000; default 100).",
        )
        p.add_argument(
            "--sort-by",
            choices=["relevance", "lastUpdatedDate", "submittedDate"],
            default="relevance",
        )
        p.add_argument("--sort-order", choices=["descending", "ascending"], default="descending")

        p = _source(
            sub,
            "oai",
            "arXiv OAI-PMH harvest (resumable, incremental), or saved OAI responses.",
            "Harvest ListRecords from DAILYPAPERS_ARXIV_OAI_URL. Each page is stored "
            "together with the resumption token for the next one, so an interrupted harvest "
            "continues where it stopped when you rerun the same command; a finished harvest "
            "remembers the day it began, and the next run without --from asks only for records "
            "changed since. Deleted records are reported as skipped, never imported.",
            (
                "dailypapers ingest oai --set cs --from 2026-06-01     first harvest of cs since June",
                "dailypapers ingest oai --set cs                       later: incremental (or resume)",
                "dailypapers ingest oai --set cs --restart             drop an expired token, start over",
                "dailypapers ingest oai --id 1401.2122                 one record (GetRecord)",
                "dailypapers ingest oai saved_pages/*.xml",
            ),
        )
        p.add_argument(
            "paths",
            nargs="*",
            type=Path,
            help="Saved ListRecords/GetRecord responses (*.xml) or folders of them.",
        )
        p.add_argument(
            "--from",
            dest="start",
            type=iso_date,
            help="Records changed on or after this date (default: where the last harvest ended).",
        )
        p.add_argument(
            "--until", dest="end", type=iso_date, help="Records changed on or before this date."
        )
        p.add_argument(
            "--set",
            dest="set_spec",
            help="OAI set, e.g. cs, math, physics:hep-th (default: all of arXiv).",
        )
        p.add_argument(
            "--prefix",
            choices=oai_pmh.METADATA_PREFIXES,
            default="arXiv",
            help="Metadata format (default arXiv; oai_dc has no category codes).",
        )
        p.add_argument(
            "--restart",
            action="store_true",
            help="Forget a half-way harvest's resumption token and start again.",
        )
        p.add_argument(
            "--max-pages", type=int, help="Stop after N pages (the rest resumes next run)."
        )
        _add_ids(p, "Fetch these records with GetRecord instead.")

        p = _source(
            sub,
            "kaggle",
            "The Kaggle arXiv snapshot (arxiv-metadata-oai-snapshot.json), streamed.",
            "Import the Kaggle arXiv metadata snapshot, one JSON object per line, "
            "plain or gzipped, read as a stream (constant memory for the 4+ GB file). Bad lines "
            "are reported with file:line and skipped.",
            (
                "dailypapers ingest kaggle arxiv-metadata-oai-snapshot.json --category cs. "
                "--category stat.ML",
            ),
        )
        p.add_argument(
            "paths", nargs="+", type=Path, help="Snapshot file(s), .json/.jsonl, optionally .gz."
        )
        p.add_argument(
            "--category",
            dest="categories",
            action="append",
            default=[],
            metavar="PREFIX",
            help="Keep papers with a category starting with PREFIX (repeatable), e.g. cs. or cs.CL.",
        )
        _add_limit(p)

        p = _source(
            sub,
            "listings",
            "arXiv daily-listing dumps (JSONL: id, title, authors, summary, categories, ...).",
            "Import JSON-lines dumps of arXiv daily listings (plain or .gz): one "
            "object per line with id, title, authors, summary, categories, comment. Bad lines "
            "are reported with file:line and skipped.",
            ("dailypapers ingest listings arxiv_cs_daily_listings.jsonl.gz",),
        )
        p.add_argument("paths", nargs="+", type=Path, help="Listing files (.jsonl or .jsonl.gz).")
        _add_limit(p)

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
            files = _saved_files(paths, hf.FILE_ENDINGS)
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

    def handle_arxiv(self, *, paths, ids, query, max_results, page_size, sort_by, sort_order, **_):
        ids = [part for raw in ids for part in raw.split(",") if part.strip()]
        if paths and (ids or query):
            raise CommandError("give either saved files or --id/--query, not both")
        if paths:
            files = _saved_files(paths, arxiv_atom.FILE_ENDINGS)
            items = (record for path in files for record in arxiv_atom.records_from_file(path))
            return run_with_progress(items, description=f"arXiv feeds ({len(files)})")
        if not ids and not query:
            raise CommandError("give saved files, --id ID ... or --query QUERY")
        client = arxiv_atom.ArxivApiClient(page_size=page_size)
        records = client.records(
            search_query=query or "",
            id_list=ids,
            max_results=None if ids else max_results,
            sort_by=sort_by,
            sort_order=sort_order,
        )
        stats = run_with_progress(records, description="arXiv API", total=len(ids) or max_results)
        if client.stopped_by:
            raise CommandError(f"stopped early: {client.stopped_by} (what came before is stored)")
        return stats

    def handle_oai(self, *, paths, start, end, set_spec, prefix, restart, max_pages, ids, **_):
        if paths and (start or end or set_spec or restart or ids):
            raise CommandError("give either saved files or harvest options, not both")
        if paths:
            files = _saved_files(paths, oai_pmh.FILE_ENDINGS)
            items = (record for path in files for record in oai_pmh.records_from_file(path))
            return run_with_progress(items, description=f"OAI files ({len(files)})")
        harvester = oai_pmh.OaiHarvester(metadata_prefix=prefix, set_spec=set_spec)
        if ids:

            def fetched():
                for arxiv_id in ids:
                    try:
                        yield from harvester.get_record(arxiv_id)
                    except (oai_pmh.OaiError, ValueError) as exc:
                        yield oai_pmh.Skipped(arxiv_id, str(exc))

            return run_with_progress(fetched(), description="OAI GetRecord", total=len(ids))
        console = Console(stderr=True)
        stage = f"OAI {harvester.key}"
        with ProgressBar(console, time_left=False) as bar:
            bar.start(stage)
            try:
                result = harvester.harvest(
                    from_date=start,
                    until=end,
                    restart=restart,
                    max_pages=max_pages,
                    on_progress=lambda n: bar.advance(stage, n),
                )
            except oai_pmh.HarvestConflict as exc:
                raise CommandError(str(exc)) from None
        report(result.stats, console)
        state = result.state
        assert state is not None
        how = (
            "resumed a half-way harvest"
            if result.resumed
            else f"harvest from {state.from_date or 'the beginning'}"
        )
        if result.error:
            raise CommandError(f"{how}: stopped after {result.pages} pages: {result.error}")
        if result.finished:
            console.print(
                f"{how}: finished after {result.pages} pages; next run harvests from {state.last_completed}"
            )
        else:
            console.print(
                f"{how}: paused after {result.pages} pages ({state.pages_done} so far); rerun to continue"
            )
        return result.stats

    def handle_kaggle(self, *, paths, categories, limit, **_):
        items = (
            record
            for path in paths
            for record in bulk.kaggle_records(path, categories=categories, limit=limit)
        )
        return run_with_progress(items, description=f"Kaggle snapshot ({len(paths)} files)")

    def handle_listings(self, *, paths, limit, **_):
        items = (record for path in paths for record in bulk.listing_records(path, limit=limit))
        return run_with_progress(items, description=f"arXiv listings ({len(paths)} files)")
