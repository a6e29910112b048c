"""``dailypapers recount-votes [--dry-run]``: repair papers whose vote counts drifted from the votes.

Every paper's ``local_upvotes`` is compared with its vote rows and ``upvotes`` with
``imported_upvotes + local_upvotes`` (``community.services.votes.recount_all_votes``); the ones
that differ are recounted under a row lock, and each is reported: paper id, arXiv id, old, new.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dailypapers.community.services.votes import RECOUNT_BATCH, recount_all_votes


class Command(BaseCommand):
    help = (
        "Recount every paper's votes: set local_upvotes to its vote rows and upvotes to imported + "
        "local where they differ, and list each paper changed (id, arXiv id, old, new). Counts "
        "stay exact by themselves (votes, merges and account deletions recount in their own "
        "transaction); this repairs drift from votes deleted outside the site, such as raw SQL."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Report what would change; write nothing.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=RECOUNT_BATCH,
            help=f"Papers read per query (default {RECOUNT_BATCH}).",
        )

    def handle(self, *args, **options) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        dry_run = options["dry_run"]
        console = Console(stderr=True, no_color=options.get("no_color", False))
        columns = [
            TextColumn("[bold]Checking papers"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        ]
        with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
            task = progress.add_task("papers", total=None)

            def on_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            checked, changes = recount_all_votes(
                dry_run=dry_run, batch_size=options["batch_size"], on_progress=on_progress
            )
        verb = "would change" if dry_run else "changed"
        for change in changes:
            self.stdout.write(
                f"paper {change.paper_id} ({change.arxiv_id}): "
                f"local upvotes {change.old_local} -> {change.new_local}, "
                f"upvotes {change.old_upvotes} -> {change.new_upvotes}"
            )
        summary = f"Checked {checked:,} paper(s): {len(changes):,} {verb}."
        if dry_run:
            summary += " Dry run: nothing was written."
        self.stdout.write(summary)
