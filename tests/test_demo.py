"""The demo: the one builder of the demo database (saved files, or the live API as a fallback),
its rerun check, the ``demo`` command, and ``serve`` answering through gunicorn with static files."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dailypapers.ingest.http import PoliteClient
from dailypapers.ingest.sources.hf import HfDailyPapersClient
from dailypapers.papers.demo import (
    DemoError,
    build_demo_database,
    files_key,
    pending_files,
)
from dailypapers.papers.models import DailyEntry, HarvestState, Paper
from dailypapers.web.management.commands.serve import port_from_environment
from tests.conftest import Exchange

SMALL_CORPUS = ["2024-05-27.json", "2025-06-02.json", "2026-06-30.json"]


def raw_dir(shared_data: Path) -> Path:
    return shared_data / "hf_daily_papers" / "raw"


def paper_ids(path: Path) -> set[str]:
    return {item["paper"]["id"] for item in json.loads(path.read_text())}


@pytest.fixture
def small_corpus(shared_data, tmp_path) -> Path:
    """Three real raw responses, copied into a folder of their own."""
    folder = tmp_path / "raw"
    folder.mkdir()
    for name in SMALL_CORPUS:
        shutil.copy(raw_dir(shared_data) / name, folder / name)
    return folder


@pytest.mark.django_db
def test_demo_builder_imports_every_paper_of_a_small_corpus(small_corpus):
    expected = set().union(*(paper_ids(small_corpus / name) for name in SMALL_CORPUS))

    result = build_demo_database(small_corpus)

    assert result.imported == SMALL_CORPUS
    assert result.stats is not None and result.stats.skipped == 0
    assert set(Paper.objects.values_list("arxiv_id", flat=True)) == expected
    assert DailyEntry.objects.count() == len(expected)
    marker = HarvestState.objects.get(key=files_key(small_corpus))
    assert marker.last_completed == dt.date(2026, 6, 30)
    assert marker.pages_done == 3


@pytest.mark.django_db
def test_second_run_skips_the_import_without_reading_the_files(small_corpus):
    build_demo_database(small_corpus)
    papers_before = Paper.objects.count()
    # Were the second run to read the files, this one would be reported as unreadable.
    (small_corpus / SMALL_CORPUS[0]).write_text("this is not JSON")

    result = build_demo_database(small_corpus)

    assert result.already_imported
    assert result.stats is None
    assert "already imported" in result.summary()
    assert Paper.objects.count() == papers_before


@pytest.mark.django_db
def test_a_file_dated_after_the_last_import_is_the_only_one_read_next_time(
    small_corpus, shared_data
):
    build_demo_database(small_corpus)
    shutil.copy(raw_dir(shared_data) / "2026-06-29.json", small_corpus / "2026-07-01.json")
    new_ids = paper_ids(small_corpus / "2026-07-01.json")

    result = build_demo_database(small_corpus)

    assert result.imported == ["2026-07-01.json"]
    assert result.stats is not None and result.stats.read == len(new_ids)
    assert set(Paper.objects.values_list("arxiv_id", flat=True)) >= new_ids
    assert HarvestState.objects.get(key=files_key(small_corpus)).last_completed == dt.date(
        2026, 7, 1
    )


def test_rerun_check_on_the_full_corpus_lists_the_folder_without_reading_it(shared_data):
    folder = raw_dir(shared_data)
    every_file = pending_files(folder, None)
    newest = max(dt.date.fromisoformat(path.stem) for path in every_file)

    started = time.perf_counter()
    pending = pending_files(folder, newest)
    elapsed = time.perf_counter() - started

    assert len(every_file) == 542
    assert pending == []
    assert elapsed < 0.5, f"the rerun check took {elapsed:.2f}s on {len(every_file)} files"


@pytest.mark.django_db
def test_a_corpus_folder_given_but_absent_is_an_error_not_a_download(tmp_path):
    with pytest.raises(DemoError, match="does not exist"):
        build_demo_database(tmp_path / "nowhere")


@pytest.mark.django_db
def test_a_corpus_folder_without_responses_is_an_error(tmp_path):
    with pytest.raises(DemoError, match="no .json"):
        build_demo_database(tmp_path)


def recorded_days(shared_data: Path, failing: set[str] | None = None):
    """An HF API stand-in answering /api/daily_papers?date=D with the saved response for D."""

    def route(path: str, query: dict[str, str]) -> Exchange | None:
        if path != "/api/daily_papers":
            return None
        if query.get("date") in (failing or set()):
            return Exchange(500, b'{"error": "boom"}', "application/json")
        saved = raw_dir(shared_data) / f"{query.get('date')}.json"
        body = saved.read_bytes() if saved.exists() else b"[]"
        return Exchange(200, body, "application/json")

    return route


def api_client(url: str) -> HfDailyPapersClient:
    return HfDailyPapersClient(base_url=url, client=PoliteClient(delay=0, retries=0))


@pytest.mark.django_db
def test_without_the_shared_folder_the_demo_fetches_the_last_days_from_the_api(
    shared_data, upstream_server, settings, tmp_path
):
    settings.SHARED_DATA_DIR = tmp_path / "absent"
    server = upstream_server(recorded_days(shared_data))
    expected = paper_ids(raw_dir(shared_data) / "2026-06-29.json") | paper_ids(
        raw_dir(shared_data) / "2026-06-30.json"
    )

    result = build_demo_database(days=2, client=api_client(server.url), today=dt.date(2026, 6, 30))

    assert [query["date"] for _, query in server.requests] == ["2026-06-29", "2026-06-30"]
    assert result.imported == ["2026-06-29", "2026-06-30"]
    assert set(Paper.objects.values_list("arxiv_id", flat=True)) == expected


@pytest.mark.django_db
def test_api_demo_rerun_the_same_day_asks_nothing_and_next_day_tops_up(
    shared_data, upstream_server, settings, tmp_path
):
    settings.SHARED_DATA_DIR = tmp_path / "absent"
    server = upstream_server(recorded_days(shared_data))
    build_demo_database(days=2, client=api_client(server.url), today=dt.date(2026, 6, 29))
    asked_first = len(server.requests)

    same_day = build_demo_database(
        days=2, client=api_client(server.url), today=dt.date(2026, 6, 29)
    )
    assert same_day.already_imported
    assert len(server.requests) == asked_first

    next_day = build_demo_database(
        days=2, client=api_client(server.url), today=dt.date(2026, 6, 30)
    )
    # The last day fetched is asked again (its list may have grown), then the new day.
    assert [q["date"] for _, q in server.requests[asked_first:]] == ["2026-06-29", "2026-06-30"]
    assert next_day.imported == ["2026-06-29", "2026-06-30"]


@pytest.mark.django_db
def test_a_day_the_api_cannot_serve_is_fetched_again_next_run(
    shared_data, upstream_server, settings, tmp_path
):
    settings.SHARED_DATA_DIR = tmp_path / "absent"
    broken = upstream_server(recorded_days(shared_data, failing={"2026-06-29"}))
    today = dt.date(2026, 6, 30)

    first = build_demo_database(days=3, client=api_client(broken.url), today=today)
    assert first.imported == ["2026-06-28", "2026-06-30"]
    assert first.failed == ["2026-06-29"]

    healed = upstream_server(recorded_days(shared_data))
    second = build_demo_database(days=3, client=api_client(healed.url), today=today)

    assert "2026-06-29" in [q["date"] for _, q in healed.requests]
    assert "2026-06-29" in second.imported
    assert set(Paper.objects.values_list("arxiv_id", flat=True)) >= paper_ids(
        raw_dir(shared_data) / "2026-06-29.json"
    )


@pytest.mark.django_db
def test_an_unreachable_api_is_a_clear_error(upstream_server, settings, tmp_path):
    settings.SHARED_DATA_DIR = tmp_path / "absent"
    server = upstream_server(lambda path, query: Exchange(503, b"down", "text/plain"))

    with pytest.raises(DemoError, match="could not fetch any day"):
        build_demo_database(days=2, client=api_client(server.url), today=dt.date(2026, 6, 30))

    assert not HarvestState.objects.filter(key__startswith="demo:").exists()


@pytest.mark.django_db
def test_demo_command_imports_once_then_reports_nothing_to_do(small_corpus, capsys):
    call_command("demo", "--no-serve", "--corpus", str(small_corpus))
    first = capsys.readouterr().out

    call_command("demo", "--no-serve", "--corpus", str(small_corpus))
    second = capsys.readouterr().out

    assert "imported 3 file(s)" in first
    assert "already imported" in second


@pytest.mark.django_db
def test_demo_command_names_a_missing_corpus(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("demo", "--no-serve", "--corpus", str(tmp_path / "nowhere"))


@pytest.mark.parametrize("value", ["eighty", "0", "70000"])
def test_a_bad_port_is_refused_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("PORT", value)

    with pytest.raises(CommandError, match="PORT"):
        port_from_environment()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def test_serve_answers_through_gunicorn_with_static_files(tmp_path):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_")}
    environment.update(DAILYPAPERS_DATA_DIR=str(tmp_path), PORT=str(free_port()))
    dailypapers = [sys.executable, "-m", "dailypapers.cli"]
    subprocess.run([*dailypapers, "migrate", "-v0"], env=environment, check=True, timeout=120)
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [*dailypapers, "serve", "--workers", "1"],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{environment['PORT']}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _, page = fetch(f"{base}/admin/login/")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail(f"serve did not answer: {(tmp_path / 'serve.log').read_text()}")
                time.sleep(0.2)
        css_status, css_type, css = fetch(f"{base}/static/admin/css/base.css")
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()

    output = (tmp_path / "serve.log").read_text()
    assert status == 200 and b'href="/static/admin/css/base.css"' in page
    assert css_status == 200 and css_type.startswith("text/css") and len(css) > 1000
    assert "gunicorn" in output.lower()
    assert '"GET /admin/login/ HTTP/1.1" 200' in output


@pytest.mark.django_db
def test_a_corpus_in_a_very_deep_folder_is_still_recognised_on_the_second_run(
    shared_data, tmp_path
):
    deep = tmp_path.joinpath(*["a-rather-long-folder-name"] * 14)
    deep.mkdir(parents=True)
    shutil.copy(raw_dir(shared_data) / SMALL_CORPUS[0], deep / SMALL_CORPUS[0])
    assert len(str(deep)) > 300
    build_demo_database(deep)

    second = build_demo_database(deep)

    assert second.already_imported


def wait_for(predicate, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"{what} within {timeout} s; log:\n{log.read_text()[-4000:]}")


def test_demo_serves_with_a_worker_that_indexes_the_corpus_and_stops_with_gunicorn(
    small_corpus, tmp_path
):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_")}
    environment.update(DAILYPAPERS_DATA_DIR=str(tmp_path / "data"), PORT=str(free_port()))
    first = json.loads((small_corpus / SMALL_CORPUS[0]).read_text())[0]["paper"]
    query = urllib.parse.quote(" ".join(first["title"].split()))
    log_path = tmp_path / "demo.log"
    log = log_path.open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "dailypapers.cli", "demo", "--corpus", str(small_corpus)]
        + ["--workers", "1"],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{environment['PORT']}"

    def found() -> bool:
        try:
            status, _, page = fetch(f"{base}/api/papers/search?q={query}")
        except OSError:
            return False
        return status == 200 and any(hit["paper"]["id"] == first["id"] for hit in json.loads(page))

    try:
        wait_for(found, 240, "the worker did not make the demo searchable", log_path)
        worker_pid = int(
            wait_for(
                lambda: re.search(r"background-job worker \(pid (\d+)\)", log_path.read_text()),
                5,
                "no worker pid logged",
                log_path,
            ).group(1)
        )
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()

    assert "Search index: 0 of" in log_path.read_text()
    with pytest.raises(ProcessLookupError):  # gunicorn's master stopped its worker on the way out
        os.kill(worker_pid, 0)
