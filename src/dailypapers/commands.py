"""What the ``dailypapers`` management commands share: the progress bar every long command draws,
and the check that the database is migrated before a long-running process starts.

The bar has one line per stage (papers read, scores written, digests sent, ...), added the first
time the stage reports, and takes the ``progress(stage, advance, total)`` callback shape the
services report through. It is drawn only on a terminal: in a cron log the commands' own summary
lines say what happened, without a bar redrawn into the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType

from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class ProgressBar:
    """``with ProgressBar(console, labels) as bar: service(progress=bar.advance)``.

    ``labels`` names the stages on screen (a stage without one shows its key). ``time_left`` adds
    an estimate, for work whose total is known.
    """

    def __init__(
        self,
        console: Console,
        labels: Mapping[str, str] | None = None,
        *,
        time_left: bool = True,
    ):
        columns: list[ProgressColumn] = [
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        ]
        if time_left:
            columns.append(TimeRemainingColumn())
        self.labels = labels or {}
        self.progress = Progress(*columns, console=console, disable=not console.is_terminal)
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> ProgressBar:
        self.progress.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.progress.__exit__(kind, error, traceback)

    def start(self, stage: str, total: int | None = None) -> TaskID:
        """Show ``stage``'s line now (it also appears on its first report); sets a known total."""
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(self.labels.get(stage, stage), total=total)
        elif total is not None:
            self.progress.update(self.tasks[stage], total=total)
        return self.tasks[stage]

    def advance(self, stage: str, advance: int = 1, total: int | None = None) -> None:
        """``advance`` more items of ``stage`` done (``total`` when it becomes known)."""
        task = self.start(stage, total)
        if advance:
            self.progress.advance(task, advance)

    def update(self, stage: str, completed: int, total: int | None = None) -> None:
        """``completed`` items of ``stage`` done so far (for services that count themselves)."""
        self.progress.update(self.start(stage, total), completed=completed)


def unapplied_migrations() -> list[str]:
    """``app.migration`` names the default database still lacks, in the order they would run."""
    connection = connections[DEFAULT_DB_ALIAS]
    connection.prepare_database()
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def require_migrated() -> None:
    """Refuse to start a server or worker on a database that lacks migrations."""
    pending = unapplied_migrations()
    if pending:
        raise CommandError(
            f"the database has {len(pending)} unapplied migration(s) "
            f"({', '.join(pending[:3])}...); run `dailypapers migrate` first"
        )
