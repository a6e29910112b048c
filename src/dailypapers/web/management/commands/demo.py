"""``dailypapers demo``: migrate, import the demo corpus once, then serve it with gunicorn.

The import is ``dailypapers.papers.demo.build_demo_database`` (the one demo builder): the saved
Hugging Face responses in ``$DAILYPAPERS_SHARED_DATA_DIR/hf_daily_papers/raw`` when present,
otherwise the last 30 days from the live API. A second run finds the import recorded in the
database and goes straight to serving.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dailypapers.papers.demo import DEMO_DAYS, DemoError, build_demo_database, default_corpus_dir
from dailypapers.search.indexing import indexed_counts
from dailypapers.search.tasks import bring_index_up_to_date
from dailypapers.web.management.commands.serve import (
    add_serve_arguments,
    exec_gunicorn,
    positive_int,
)


class Command(BaseCommand):
    help = (
        "Migrate the database, import the demo corpus unless it is already imported, and serve "
        "the site with gunicorn (see `dailypapers serve --help`). The corpus is the folder of saved "
        "Hugging Face daily-papers responses under DAILYPAPERS_SHARED_DATA_DIR when present, "
        f"otherwise the last {DEMO_DAYS} days from DAILYPAPERS_HF_API_URL."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--corpus",
            type=Path,
            default=None,
            help=f"Folder of saved /api/daily_papers responses (default {default_corpus_dir()}).",
        )
        parser.add_argument(
            "--days",
            type=positive_int,
            default=DEMO_DAYS,
            help=f"Days to fetch from the live API when the corpus folder is absent (default {DEMO_DAYS}).",
        )
        parser.add_argument(
            "--no-serve",
            action="store_true",
            help="Stop after the import instead of serving.",
        )
        add_serve_arguments(parser, default_worker=True)

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"Database: {settings.DATABASES['default']['NAME']}")
        call_command("migrate", interactive=False, verbosity=0)
        try:
            result = build_demo_database(options["corpus"], days=options["days"])
        except DemoError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(result.summary())
        indexed, papers = indexed_counts()
        self.stdout.write(f"Search index: {indexed:,} of {papers:,} papers indexed")
        if options["no_serve"]:
            if indexed < papers:
                self.stdout.write("Run `dailypapers index update` to make every paper searchable.")
            return
        if options["worker"]:
            # The job compares every paper with the index itself (a no-op when nothing changed),
            # in the worker: the site starts without waiting for that comparison.
            bring_index_up_to_date()
            if indexed < papers:
                self.stdout.write(
                    "The background worker is indexing the papers for search; results fill in as "
                    "it goes (`dailypapers index status` shows progress)."
                )
        exec_gunicorn(self, options)
