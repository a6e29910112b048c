"""The one builder of the demo database, used by ``dailypapers demo``, the tests and the benchmarks.

The demo corpus is the folder of saved Hugging Face ``/api/daily_papers`` responses
(``settings.SHARED_DATA_DIR / "hf_daily_papers" / "raw"``, one ``YYYY-MM-DD.json`` per day) when it
is there, and otherwise the last 30 days fetched from the live API (``settings.HF_API_URL``).

What was imported is recorded in the database itself, as a ``HarvestState`` row keyed by the corpus
(``demo:files:<folder>`` or ``demo:hf-api:<url>``) whose ``last_completed`` is the newest day
imported. A second run therefore lists the folder, reads one row and stops, instead of re-reading
every file; only files dated after ``last_completed`` (or days after it, for the API) are imported.
Keeping the marker in the database rather than in a file means a fresh or reset database is
always filled again. Both paths go through the same merge pipeline as ``dailypapers ingest hf``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from dailypapers.ingest.http import PoliteClient, UpstreamError
from dailypapers.ingest.pipeline import ImportStats
from dailypapers.ingest.progress import run_with_progress
from dailypapers.ingest.records import PaperRecord, Skipped
from dailypapers.ingest.sources import hf
from dailypapers.papers.models import HarvestState

log = logging.getLogger(__name__)

DEMO_DAYS = 30


class DemoError(RuntimeError):
    """The demo corpus could not be found or fetched; the message says what to do."""


@dataclass
class DemoResult:
    """What one build did: where the corpus came from and what was imported (nothing on a rerun)."""

    corpus: str
    imported: list[str] = field(default_factory=list)  # file names, or ISO days fetched
    stats: ImportStats | None = None
    failed: list[str] = field(default_factory=list)  # days the API could not serve

    @property
    def already_imported(self) -> bool:
        return not self.imported and not self.failed

    def summary(self) -> str:
        if self.already_imported:
            return f"demo corpus {self.corpus} already imported; nothing to do"
        text = f"demo corpus {self.corpus}: imported {len(self.imported)} file(s)/day(s)"
        if self.stats is not None:
            text += f" ({self.stats.summary()})"
        if self.failed:
            text += f"; could not fetch {len(self.failed)} day(s): {', '.join(self.failed)}"
        return text


def default_corpus_dir() -> Path:
    return settings.SHARED_DATA_DIR / "hf_daily_papers" / "raw"


def build_demo_database(
    corpus_dir: Path | None = None,
    *,
    days: int = DEMO_DAYS,
    client: hf.HfDailyPapersClient | None = None,
    today: dt.date | None = None,
) -> DemoResult:
    """Import the demo corpus into the (migrated) database unless it is already there.

    ``corpus_dir=None`` means the shared raw folder, falling back to the live API when it is
    absent; a folder given explicitly must exist.
    """
    if corpus_dir is not None:
        if not corpus_dir.is_dir():
            raise DemoError(f"demo corpus folder {corpus_dir} does not exist")
        return import_demo_files(corpus_dir)
    default = default_corpus_dir()
    if default.is_dir():
        return import_demo_files(default)
    log.info("%s is absent; fetching the last %d days from %s", default, days, settings.HF_API_URL)
    return fetch_demo_days(days=days, client=client, today=today)


def _state(key: str) -> HarvestState | None:
    return HarvestState.objects.filter(key=key).first()


def _mark(key: str, last_completed: dt.date, items: int, stats: ImportStats) -> None:
    state, _ = HarvestState.objects.get_or_create(key=key)
    state.last_completed = last_completed
    state.pages_done += items
    state.records_seen += stats.read + stats.skipped
    state.save()


def _date_in_name(path: Path) -> dt.date | None:
    match = hf.DATE_IN_NAME.search(path.name)
    if not match:
        return None
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:
        return None


def _marker_key(kind: str, identity: str) -> str:
    key = f"demo:{kind}:{identity}"
    max_length = HarvestState._meta.get_field("key").max_length or 300
    if len(key) <= max_length:
        return key
    # A deep folder path must still give one stable key, or every run would import again.
    return f"demo:{kind}:sha256:{hashlib.sha256(identity.encode()).hexdigest()}"


def files_key(corpus_dir: Path) -> str:
    return _marker_key("files", str(corpus_dir.resolve()))


def pending_files(corpus_dir: Path, last_completed: dt.date | None) -> list[Path]:
    """Files of ``corpus_dir`` not imported yet: all of them on the first run, then those dated
    after ``last_completed`` (files whose name carries no date are read on the first run only).
    This lists the folder and reads no file, so a rerun on 542 files takes milliseconds."""
    files = hf.iter_files([corpus_dir])
    if last_completed is None:
        return files
    dated = ((path, _date_in_name(path)) for path in files)
    return [path for path, day in dated if day is not None and day > last_completed]


def import_demo_files(corpus_dir: Path) -> DemoResult:
    key = files_key(corpus_dir)
    state = _state(key)
    files = pending_files(corpus_dir, state.last_completed if state else None)
    result = DemoResult(corpus=str(corpus_dir))
    if not files:
        if state is None:
            raise DemoError(f"{corpus_dir} holds no .json/.jsonl files to import")
        return result
    items = (record for path in files for record in hf.records_from_file(path))
    stats = run_with_progress(items, description=f"demo corpus ({len(files)} files)")
    days = [day for day in (_date_in_name(path) for path in files) if day is not None]
    previous = state.last_completed if state and state.last_completed else dt.date.min
    # A folder without dated names is recorded as done today, so it is not read again.
    _mark(key, max([previous, *days]) if days else dt.date.today(), len(files), stats)
    result.imported = [path.name for path in files]
    result.stats = stats
    return result


def api_key(base_url: str) -> str:
    return _marker_key("hf-api", base_url)


def fetch_demo_days(
    *,
    days: int = DEMO_DAYS,
    client: hf.HfDailyPapersClient | None = None,
    today: dt.date | None = None,
) -> DemoResult:
    """Fetch ``days`` days up to ``today`` from the live API, or only the days since the last run.

    The last day already fetched is fetched again (its list may have grown since); a day the API
    cannot serve ends the run's marker before it, so the next run tries that day again.
    """
    if days < 1:
        raise DemoError("--days must be at least 1")
    client = client or hf.HfDailyPapersClient(client=PoliteClient(delay=1.0))
    today = today or dt.date.today()
    key = api_key(client.base_url)
    state = _state(key)
    start = today - dt.timedelta(days=days - 1)
    if state and state.last_completed:
        if state.last_completed >= today:
            return DemoResult(corpus=client.base_url)
        start = max(start, state.last_completed)
    wanted = list(hf.daterange(start, today))
    failed: list[tuple[dt.date, str]] = []
    fetched: list[dt.date] = []

    def records() -> Iterator[PaperRecord | Skipped]:
        for day in wanted:
            try:
                text = client.fetch_day(day)
            except UpstreamError as exc:
                failed.append((day, str(exc)))
                continue
            fetched.append(day)
            yield from hf.records_from_payload(
                text, f"{client.base_url}/api/daily_papers?date={day}", day
            )

    stats = run_with_progress(records(), description=f"HF API {start}..{today}")
    result = DemoResult(
        corpus=client.base_url, imported=[d.isoformat() for d in fetched], stats=stats
    )
    result.failed = [day.isoformat() for day, _ in failed]
    if failed and not fetched:
        raise DemoError(
            f"could not fetch any day from {client.base_url} ({failed[0][1]}); "
            "check the network or DAILYPAPERS_HF_API_URL, or put the saved corpus at "
            f"{default_corpus_dir()}"
        )
    first_failure = min((day for day, _ in failed), default=None)
    done = first_failure - dt.timedelta(days=1) if first_failure else today
    if done >= start:
        _mark(key, done, len(fetched), stats)
    for day, problem in failed:
        log.warning("could not fetch %s: %s", day, problem)
    return result
