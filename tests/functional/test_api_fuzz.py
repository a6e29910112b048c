"""The API fuzzed from its own schema: schemathesis reads ``/api/openapi.json`` from a live server
and runs every phase of its engine (as ``st run`` does) on every operation in it: the schema's
examples, the coverage phase (boundary and invalid values of every parameter), generated valid and
invalid requests, and stateful sequences that follow the links it infers between operations.

The write API is called with a real member's personal API token, against a small corpus of real
papers (two days of Hugging Face's feed, imported through the pipeline and indexed for search),
with arXiv answered by its recorded responses. Generated ids are mapped, half of the time, onto
papers that exist, so votes, duplicates and submissions really happen.

Every response must conform to the schema: no 5xx, a documented status code and content type, a
body that validates, valid input accepted, invalid input refused with a 4xx, a write without the
token refused. Generation is derandomized (the same cases every run, from ``SEED``); the size of
the run is bounded by ``MAX_EXAMPLES`` and printed (``pytest -s``).
"""

from __future__ import annotations

import datetime as dt
import re
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import schemathesis
from schemathesis import engine
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events
from schemathesis.generation import GenerationMode

from dailypapers.accounts import services as accounts
from dailypapers.api.schemas import ARXIV_ID_REGEX, ARXIV_REFERENCE_REGEX
from dailypapers.ingest.pipeline import import_records
from dailypapers.ingest.records import PaperRecord
from dailypapers.ingest.sources.hf import records_from_file
from dailypapers.papers.models import Paper
from dailypapers.search import backend as search_backend
from dailypapers.settings import RateLimit
from tests.community.arxiv_stub import (
    PUBLISHED,
    UNKNOWN,
    arxiv_fixture,  # noqa: F401 (the ``arxiv`` fixture)
)
from tests.community.conftest import make_user
from tests.factories import paper_record

# live_server answers from another thread, so the data must really be committed.
pytestmark = pytest.mark.django_db(transaction=True)

# Generated cases per operation, phase and mode (positive, negative). With 7 operations this
# keeps the run to about 600 requests.
MAX_EXAMPLES = 25
SEED = 20260609
# Real Hugging Face feed days (14 papers), in different weeks and months.
FEED_DAYS = ("2025-02-03", "2025-03-13")
OLD_STYLE = "hep-th/9901001"
HIDDEN = "2503.99999"
PERIODS = ("date", "week", "month")


def fuzz_config(base_url: str, token: str) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "base-url": base_url,
            # Connection: close, so no live-server thread keeps a database connection open.
            "headers": {"Authorization": f"Bearer {token}", "Connection": "close"},
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
        }
    )


def real_records(shared_data: Path) -> list[PaperRecord]:
    records = []
    for day in FEED_DAYS:
        path = shared_data / "hf_daily_papers" / "raw" / f"{day}.json"
        records += [r for r in records_from_file(path) if isinstance(r, PaperRecord)]
    return records


@pytest.fixture
def fuzz_corpus(shared_data, settings, tmp_path) -> Iterator[list[str]]:
    """Real feed days, an old-style id and a paper a moderator hid; indexed for search."""
    from huey.contrib.djhuey import HUEY

    settings.DATA_DIR = tmp_path
    records = real_records(shared_data)
    records.append(paper_record(arxiv_id=OLD_STYLE, title="An old-style identifier"))
    records.append(paper_record(arxiv_id=HIDDEN, title="A hidden duplicate"))
    previous, HUEY.immediate = HUEY.immediate, True
    try:
        import_records(records)
    finally:
        HUEY.immediate = previous
    Paper.objects.filter(arxiv_id=HIDDEN).update(hidden=True)
    yield [record.arxiv_id for record in records]
    search_backend._indexes.pop(tmp_path / "search", None)
    HUEY.flush()  # the trending refreshes the fuzzer's votes queued


@pytest.fixture
def arxiv_answers_every_id(arxiv):
    """arXiv answers a well-formed id it does not know with an empty feed (recorded), not a 404."""
    empty = arxiv.answers[UNKNOWN]
    recorded = arxiv.server.route

    def route(path: str, query: dict[str, str]):
        answer = recorded(path, query)
        return empty if answer is None and path == "/api/query" else answer

    arxiv.server.route = route
    return arxiv


def pick(value: str, choices: list[str]) -> str | None:
    """Half of the values, each always onto the same choice (crc32: stable across runs)."""
    digest = zlib.crc32(value.encode("utf-8", "surrogatepass"))
    return choices[(digest >> 1) % len(choices)] if digest % 2 else None


def iso_week_exists(value: str) -> bool:
    year, week = (int(part) for part in value.split("-W"))
    try:
        monday = dt.date.fromisocalendar(year, week, 1)
        monday + dt.timedelta(days=6)
    except (ValueError, OverflowError):
        return False
    return True


def register_hooks(schema, paper_ids: list[str]) -> None:
    """Aim generated ids at real papers, and keep valid cases to what the schema cannot say."""
    arxiv_id = re.compile(f"^{ARXIV_ID_REGEX}$")
    reference = re.compile(ARXIV_REFERENCE_REGEX)
    submittable = [*PUBLISHED, UNKNOWN, *paper_ids[:2]]  # recorded, unknown, on the feed

    @schema.hook
    def map_path_parameters(context, path_parameters):
        for name in ("paper_id", "arxiv_id"):
            value = (path_parameters or {}).get(name)
            if isinstance(value, str) and arxiv_id.match(value):
                path_parameters[name] = pick(value, paper_ids) or value
        return path_parameters

    @schema.hook
    def map_body(context, body):
        value = body.get("arxiv") if isinstance(body, dict) else None
        if isinstance(value, str) and reference.match(value):
            body["arxiv"] = pick(value, submittable) or value
        return body

    @schema.hook
    def filter_case(context, case):
        # OpenAPI cannot say "at most one of date, week, month" nor which years have a week 53;
        # valid cases keep to both (invalid ones are free, and their 400s are checked).
        if case.operation.path != "/api/daily_papers" or case.meta is None:
            return True
        if case.meta.generation.mode is not GenerationMode.POSITIVE:
            return True
        query = case.query or {}
        if sum(1 for name in PERIODS if query.get(name)) > 1:
            return False
        week = query.get("week")
        return not week or iso_week_exists(week)


@dataclass
class FuzzRun:
    cases: int = 0
    by_operation: Counter = field(default_factory=Counter)
    by_phase: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stop_reason: str = ""


def run_schemathesis(schema) -> FuzzRun:
    """Every phase of schemathesis' engine (as ``st run``), collected into one summary."""
    run = FuzzRun()
    for event in engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            run.cases += len(recorder.cases)
            run.by_operation[event.label or "stateful sequences"] += len(recorder.cases)
            run.by_phase[event.phase.value] += len(recorder.cases)
            for interaction in recorder.interactions.values():
                if interaction.response is not None:
                    run.statuses[interaction.response.status_code] += 1
            for checks in recorder.checks.values():
                for check in checks:
                    if check.failure_info is None:
                        continue
                    failure = check.failure_info.failure
                    run.failures.append(
                        f"{event.label} ({event.phase.value}): {failure.title}\n"
                        f"  {failure.message}\n  {check.failure_info.code_sample}"
                    )
        elif isinstance(event, events.NonFatalError):
            run.errors.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            run.errors.append(f"fatal: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            run.stop_reason = event.stop_reason.value
    return run


def test_every_operation_answers_as_its_schema_says(
    live_server, request_threads_joined, fuzz_corpus, arxiv_answers_every_id, settings
):
    # The recorded arXiv papers are years old; the daily cap and the submit, vote and search limits
    # are raised so the fuzzer reaches the code behind them rather than a 429 after a few cases.
    settings.SUBMISSION_WINDOW_DAYS = 0
    settings.SUBMISSIONS_PER_DAY = 10_000
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "submit": RateLimit(10_000, 60),
        "vote": RateLimit(10_000, 60),
        "search": RateLimit(10_000, 60),
    }
    token = accounts.create_api_token(make_user("fuzzer"), "schemathesis")[1]
    schema = schemathesis.openapi.from_url(
        f"{live_server.url}/api/openapi.json", config=fuzz_config(live_server.url, token)
    )
    register_hooks(schema, fuzz_corpus)
    started = time.monotonic()

    run = run_schemathesis(schema)

    print(
        f"\nschemathesis: {run.cases} cases in {time.monotonic() - started:.1f} s "
        f"({run.stop_reason}); by operation {dict(run.by_operation)}; "
        f"by phase {dict(run.by_phase)}; statuses {dict(sorted(run.statuses.items()))}"
    )
    assert run.stop_reason == "completed"
    assert not run.errors, "\n".join(run.errors)
    assert not run.failures, f"{len(run.failures)} failures:\n" + "\n\n".join(run.failures)
    assert len(run.by_operation) >= 7  # every operation of the schema (and the sequences)
    assert run.statuses[200] and run.statuses[201]  # reads and submissions went through
