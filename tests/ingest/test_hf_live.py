"""Fetching ``/api/daily_papers?date=`` live, against a local HTTP server that answers with the real
captured responses (never the internet): day ranges, retries with backoff, broken days, politeness.

Time is simulated: ``PoliteClient`` gets a fake clock and a fake sleep that only records pauses.
"""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from dailypapers.ingest.http import PoliteClient
from dailypapers.ingest.pipeline import import_records
from dailypapers.ingest.records import PaperRecord, Skipped
from dailypapers.ingest.sources import hf
from dailypapers.papers.models import DailyEntry, Paper
from tests.conftest import Exchange

JSON = "application/json; charset=utf-8"


class FakeTime:
    """A clock that moves only when slept on (or when a test moves it), recording every pause."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.pauses: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(round(seconds, 6))
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def raw_dir(shared_data) -> Path:
    return shared_data / "hf_daily_papers" / "raw"


def serve_days(raw_dir: Path, overrides: dict[str, Callable[[], Exchange]] | None = None):
    """The HF route: ``?date=D`` answers the captured file for D, ``[]`` for a day without one
    (as HF does for weekends); ``overrides[D]()`` replaces the answer for D."""
    overrides = overrides or {}

    def route(path: str, query: dict[str, str]) -> Exchange | None:
        if path != "/api/daily_papers":
            return None
        day = query.get("date", "")
        if day in overrides:
            return overrides[day]()
        capture = raw_dir / f"{day}.json"
        body = capture.read_bytes() if capture.is_file() and capture.parent == raw_dir else b"[]"
        return Exchange(200, body, JSON)

    return route


def client_for(
    url: str, fake_time: FakeTime, *, delay: float = 1.0, retries: int = 4
) -> hf.HfDailyPapersClient:
    polite = PoliteClient(
        delay=delay, retries=retries, timeout=5, sleep=fake_time.sleep, clock=fake_time.clock
    )
    return hf.HfDailyPapersClient(base_url=url, client=polite)


def file_ids(path: Path) -> set[str]:
    return {r.arxiv_id for r in hf.records_from_file(path) if isinstance(r, PaperRecord)}


@pytest.mark.django_db
def test_date_range_fetches_each_day_once_and_imports_what_the_files_hold(
    upstream_server, raw_dir, fake_time
):
    server = upstream_server(serve_days(raw_dir))
    client = client_for(server.url, fake_time)

    # 2025-01-09 is a list of Python-repr strings, 01-10 wraps them, 01-11/12 is a weekend.
    stats = import_records(client.records(dt.date(2025, 1, 9), dt.date(2025, 1, 13)))

    assert [q["date"] for _, q in server.requests] == [
        "2025-01-09",
        "2025-01-10",
        "2025-01-11",
        "2025-01-12",
        "2025-01-13",
    ]
    assert {path for path, _ in server.requests} == {"/api/daily_papers"}
    expected = {
        day: file_ids(raw_dir / f"{day}.json") for day in ("2025-01-09", "2025-01-10", "2025-01-13")
    }
    assert (stats.skipped, stats.created) == (0, sum(len(ids) for ids in expected.values()))
    for day, ids in expected.items():
        stored = DailyEntry.objects.filter(date=dt.date.fromisoformat(day)).values_list(
            "paper__arxiv_id", flat=True
        )
        assert set(stored) == ids, day


@pytest.mark.django_db
def test_live_records_equal_the_records_of_the_saved_file(upstream_server, raw_dir, fake_time):
    server = upstream_server(serve_days(raw_dir))
    client = client_for(server.url, fake_time)

    live = list(client.records(dt.date(2025, 10, 3), dt.date(2025, 10, 3)))

    saved = list(hf.records_from_file(raw_dir / "2025-10-03.json"))
    assert len(live) == len(saved) > 0
    assert [(r.arxiv_id, r.title, r.upvotes, r.daily, r.organization) for r in live] == [
        (r.arxiv_id, r.title, r.upvotes, r.daily, r.organization) for r in saved
    ]
    assert live[0].origin == f"{server.url}/api/daily_papers?date=2025-10-03[0]"


def test_client_reads_its_base_url_from_settings(settings, upstream_server, raw_dir, fake_time):
    server = upstream_server(serve_days(raw_dir))
    settings.HF_API_URL = server.url
    polite = PoliteClient(delay=0, sleep=fake_time.sleep, clock=fake_time.clock)

    client = hf.HfDailyPapersClient(client=polite)
    records = list(client.records(dt.date(2024, 5, 27), dt.date(2024, 5, 27)))

    assert client.base_url == server.url
    assert "2405.15738" in {r.arxiv_id for r in records}
    assert server.requests == [("/api/daily_papers", {"date": "2024-05-27", "limit": "100"})]


def test_default_client_paces_calls_with_the_upstream_settings(settings):
    settings.UPSTREAM_DELAY_SECONDS = 7.5
    settings.UPSTREAM_RETRIES = 2

    client = hf.HfDailyPapersClient(base_url="http://127.0.0.1:9")

    assert (client.client.delay, client.client.retries) == (7.5, 2)


def test_politeness_delay_separates_consecutive_calls(upstream_server, raw_dir, fake_time):
    server = upstream_server(serve_days(raw_dir))
    client = client_for(server.url, fake_time, delay=3.0)

    list(client.records(dt.date(2024, 5, 27), dt.date(2024, 5, 30)))

    assert len(server.requests) == 4
    assert fake_time.pauses == [3.0, 3.0, 3.0], (
        "no pause before the first call, one before each next"
    )


def test_politeness_delay_counts_from_the_previous_call(upstream_server, raw_dir, fake_time):
    def slow_day() -> Exchange:
        fake_time.now += 2.0  # this answer takes 2 of the 3 seconds
        return Exchange(200, b"[]", JSON)

    server = upstream_server(serve_days(raw_dir, {"2024-05-28": slow_day}))
    client = client_for(server.url, fake_time, delay=3.0)

    list(client.records(dt.date(2024, 5, 27), dt.date(2024, 5, 29)))

    assert len(server.requests) == 3
    assert fake_time.pauses == [3.0, 1.0]


@pytest.mark.django_db
def test_server_error_is_retried_with_backoff_and_the_day_imported(
    upstream_server, raw_dir, fake_time
):
    failures = {"left": 2}

    def flaky() -> Exchange:
        if failures["left"]:
            failures["left"] -= 1
            return Exchange(500, b'{"error": "Internal Error"}', JSON)
        return Exchange(200, (raw_dir / "2024-05-28.json").read_bytes(), JSON)

    server = upstream_server(serve_days(raw_dir, {"2024-05-28": flaky}))
    client = client_for(server.url, fake_time, delay=1.0)

    stats = import_records(client.records(dt.date(2024, 5, 27), dt.date(2024, 5, 29)))

    assert [q["date"] for _, q in server.requests] == [
        "2024-05-27",
        "2024-05-28",
        "2024-05-28",
        "2024-05-28",
        "2024-05-29",
    ]
    # delay before 05-28; backoff 1 s then 2 s; the next call is already past its delay; delay before 05-29
    assert fake_time.pauses == [1.0, 1.0, 2.0, 1.0]
    assert stats.skipped == 0
    assert set(
        DailyEntry.objects.filter(date="2024-05-28").values_list("paper__arxiv_id", flat=True)
    ) == file_ids(raw_dir / "2024-05-28.json")


def test_retry_after_header_sets_the_pause(upstream_server, raw_dir, fake_time):
    answers = iter([Exchange(429, b"slow down", "text/plain", {"Retry-After": "30"})])

    def limited() -> Exchange:
        return next(answers, None) or Exchange(200, b"[]", JSON)

    server = upstream_server(serve_days(raw_dir, {"2024-05-27": limited}))
    client = client_for(server.url, fake_time, delay=1.0)

    items = list(client.records(dt.date(2024, 5, 27), dt.date(2024, 5, 27)))

    assert (items, len(server.requests)) == ([], 2)
    assert fake_time.pauses == [30.0]


@pytest.mark.django_db
def test_day_that_keeps_failing_is_skipped_and_reported_and_other_days_import(
    upstream_server, raw_dir, fake_time
):
    server = upstream_server(
        serve_days(
            raw_dir, {"2024-05-28": lambda: Exchange(503, b"Service Unavailable", "text/plain")}
        )
    )
    client = client_for(server.url, fake_time, delay=1.0, retries=3)

    stats = import_records(client.records(dt.date(2024, 5, 27), dt.date(2024, 5, 29)))

    assert sum(1 for _, q in server.requests if q["date"] == "2024-05-28") == 4
    assert fake_time.pauses == [1.0, 1.0, 2.0, 4.0, 1.0]
    assert stats.skipped == 1
    (problem,) = stats.problems
    assert problem.origin == f"{server.url}/api/daily_papers?date=2024-05-28"
    assert "failed after 4 attempts: HTTP 503" in problem.reason
    assert DailyEntry.objects.filter(date="2024-05-27").count() == len(
        file_ids(raw_dir / "2024-05-27.json")
    )
    assert DailyEntry.objects.filter(date="2024-05-29").count() == len(
        file_ids(raw_dir / "2024-05-29.json")
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (Exchange(200, b'[{"paper": {"id": "2405.1', JSON), "not JSON"),
        (Exchange(200, b"<html>Bad gateway</html>", "text/html"), "not JSON"),
        (Exchange(200, b'{"error": "Invalid date"}', JSON), "upstream error: Invalid date"),
        (Exchange(404, b'{"error": "Not found"}', JSON), "HTTP 404"),
    ],
    ids=["truncated", "html", "error-object", "not-found"],
)
def test_broken_day_is_skipped_and_reported_and_other_days_import(
    upstream_server, raw_dir, fake_time, answer, reason
):
    server = upstream_server(serve_days(raw_dir, {"2024-05-28": lambda: answer}))
    client = client_for(server.url, fake_time)

    stats = import_records(client.records(dt.date(2024, 5, 27), dt.date(2024, 5, 29)))

    assert len(server.requests) == 3, "a broken answer is not retried"
    (problem,) = stats.problems
    assert problem.origin == f"{server.url}/api/daily_papers?date=2024-05-28"
    assert reason in problem.reason
    expected = len(file_ids(raw_dir / "2024-05-27.json")) + len(
        file_ids(raw_dir / "2024-05-29.json")
    )
    assert stats.created == expected == Paper.objects.count()


def test_unreachable_server_is_retried_then_reported(fake_time):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    client = client_for(url, fake_time, delay=0.5, retries=2)

    items = list(client.records(dt.date(2024, 5, 27), dt.date(2024, 5, 27)))

    assert [type(i) for i in items] == [Skipped]
    assert "failed after 3 attempts: ConnectionError" in items[0].reason
    assert fake_time.pauses == [0.5, 1.0]


def test_body_is_decoded_as_utf8_whatever_the_content_type_says(
    upstream_server, raw_dir, fake_time
):
    body = (
        '[{"paper": {"id": "2405.15738", "title": "Über Čapek’s naïve “quotes”", "authors": [], '
        '"upvotes": 1, "submittedOnDailyAt": "2024-05-27T08:00:00.000Z"}}]'
    ).encode()
    server = upstream_server(
        serve_days(raw_dir, {"2024-05-27": lambda: Exchange(200, body, "text/plain")})
    )
    client = client_for(server.url, fake_time)

    (record,) = client.records(dt.date(2024, 5, 27), dt.date(2024, 5, 27))

    assert record.title == "Über Čapek’s naïve “quotes”"
