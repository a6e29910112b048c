"""Runs an import with a rich progress bar and prints the summary and every skipped record."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.markup import escape

from dailypapers.commands import ProgressBar
from dailypapers.ingest.pipeline import ImportStats, import_records
from dailypapers.ingest.records import PaperRecord, Skipped

MAX_PROBLEMS_SHOWN = 50


def run_with_progress(
    items: Iterable[PaperRecord | Skipped],
    *,
    description: str,
    total: int | None = None,
    console: Console | None = None,
    batch_size: int = 2000,
) -> ImportStats:
    console = console or Console(stderr=True)
    with ProgressBar(console, time_left=bool(total)) as bar:
        bar.start(description, total)
        stats = import_records(
            items, batch_size=batch_size, on_progress=lambda n: bar.advance(description, n)
        )
    report(stats, console)
    return stats


def report(stats: ImportStats, console: Console) -> None:
    for problem in stats.problems[:MAX_PROBLEMS_SHOWN]:
        console.print(
            f"[yellow]skipped[/] {escape(problem.origin)}: {escape(problem.reason)}",
            markup=True,
            highlight=False,
            soft_wrap=True,  # one line per record, greppable in cron logs
        )
    if len(stats.problems) > MAX_PROBLEMS_SHOWN:
        console.print(f"... and {len(stats.problems) - MAX_PROBLEMS_SHOWN} more skipped records")
    console.print(f"[bold green]done[/]: {stats.summary()}")
