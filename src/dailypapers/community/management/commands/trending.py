"""``dailypapers trending recompute|show``: store every trending score now; list the top papers."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from rich.console import Console

from dailypapers.commands import ProgressBar
from dailypapers.community.queries import explain_papers, query_trending
from dailypapers.community.services.trending import (
    TrendingBusy,
    recompute_trending_scores,
    release_trending_lock,
)

STAGES = {"papers": "Reading papers", "votes": "Reading votes", "write": "Writing scores"}


class Command(BaseCommand):
    help = (
        "Trending scores. `recompute`: compute and store every paper's score now (the worker does "
        "it every DAILYPAPERS_TRENDING_INTERVAL_MINUTES). `show`: print the top papers and why."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{recompute,show}")
        recompute = actions.add_parser("recompute", help="Recompute and store every score.")
        recompute.add_argument(
            "--wait",
            type=float,
            default=60.0,
            help="Seconds to wait for a recompute already running (default 60).",
        )
        recompute.add_argument(
            "--force",
            action="store_true",
            help="Drop the recompute lock first (left by a killed process).",
        )
        show = actions.add_parser("show", help="Print the top trending papers.")
        show.add_argument("--limit", type=int, default=20, help="How many (default 20).")

    def handle(self, *args, **options) -> None:
        console = Console(stderr=True, no_color=options.get("no_color", False))
        if options["action"] == "recompute":
            self.recompute(console, options)
        else:
            self.show(options["limit"])

    def recompute(self, console: Console, options: dict) -> None:
        if options["wait"] < 0:
            raise CommandError("--wait must be 0 or more seconds")
        if options["force"] and release_trending_lock():
            console.print("[yellow]dropped a recompute lock[/]")
        with ProgressBar(console, STAGES) as bar:
            try:
                stats = recompute_trending_scores(
                    on_progress=bar.update, lock_wait_seconds=options["wait"]
                )
            except TrendingBusy as exc:
                raise CommandError(
                    f"{exc} (waited {options['wait']:g} s); --force drops a stale lock"
                ) from None
        console.print(f"[bold green]done[/]: {stats.summary()}", highlight=False)

    def show(self, limit: int) -> None:
        if limit < 1:
            raise CommandError("--limit must be at least 1")
        papers = list(query_trending()[:limit])
        if not papers:
            self.stdout.write("No trending papers (no votes yet, or run `trending recompute`).")
            return
        why = explain_papers(papers, now=timezone.now())
        half_life = settings.TRENDING_HALF_LIFE_HOURS
        self.stdout.write(f"Top {len(papers)} (a vote's weight halves every {half_life:g} h):")
        for rank, paper in enumerate(papers, 1):
            explanation = why[paper.pk]
            self.stdout.write(
                f"{rank:>3}. {explanation.heat:8.2f}  {paper.arxiv_id}  {paper.title[:70]}"
            )
            self.stdout.write(f"     {'; '.join(explanation.parts)}")
