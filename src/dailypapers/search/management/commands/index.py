"""``dailypapers index rebuild|update|status``: build, resume and check the search indexes.

dailypapers index rebuild            new index from the database; rerun to resume if interrupted
dailypapers index rebuild --restart  start over even if a rebuild was interrupted
dailypapers index update             index what is missing or stale (what a worker does)
dailypapers index status             counts, and whether index and database agree (exit 1 if not)
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console

from dailypapers.commands import ProgressBar
from dailypapers.search import indexing

PHASES = {"index": "papers indexed", "embed": "abstracts embedded"}


class Command(BaseCommand):
    help = "Build, resume or check the search indexes (DATA_DIR/search)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        rebuild = sub.add_parser(
            "rebuild", help="Rebuild from the database (resumes an interrupted rebuild)."
        )
        rebuild.add_argument(
            "--restart", action="store_true", help="Start over even if a rebuild was interrupted."
        )
        sub.add_parser(
            "update", help="Index papers that are missing or stale; remove deleted ones."
        )
        sub.add_parser("status", help="Counts, and whether the indexes and the database agree.")

    def handle(self, *args, action: str, **options) -> None:
        console = Console(stderr=True)
        try:
            if action == "status":
                self.status(console)
                return
            with ProgressBar(console, PHASES) as bar:
                if action == "rebuild":
                    report = indexing.rebuild_index(bar.advance, restart=options["restart"])
                else:
                    report = indexing.update_index(bar.advance)
        except indexing.IndexBusy as error:
            raise CommandError(str(error)) from None
        console.print(f"[bold green]done[/]: {report.summary()}", highlight=False)

    def status(self, console: Console) -> None:
        status = indexing.index_status()
        console.print(
            f"papers {status.papers:,}   indexed {status.indexed:,}   pending {status.pending:,}\n"
            f"keyword index {status.keyword_documents:,} documents   vector index {status.vector_documents:,}\n"
            f"generation {status.generation}   rebuild {status.rebuild}",
            highlight=False,
        )
        for problem in status.problems:
            console.print(f"[yellow]problem[/]: {problem}", highlight=False)
        if status.consistent:
            console.print(
                "[bold green]consistent[/]: the indexes hold exactly the papers of the database"
            )
        else:
            console.print("run `dailypapers index update` (or `rebuild`) to bring them in line")
            raise CommandError("the search indexes and the database disagree")
