"""``dailypapers ingest hf``: files and folders, live ``--from/--to`` and ``--days``, the summary
and skipped-record report, clear argument errors, ``--help``; through ``call_command`` and once
through the installed ``dailypapers`` console script in a subprocess.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dailypapers.papers.models import DailyEntry, Paper
from tests.conftest import Exchange

ROOT = Path(__file__).resolve().parents[2]
DAILYPAPERS = Path(sys.executable).with_name("dailypapers")
JSON = "application/json; charset=utf-8"


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    # rich wraps to 80 columns when not on a terminal; keep each report line whole for assertions.
    monkeypatch.setenv("COLUMNS", "1000")


@pytest.fixture
def raw_dir(shared_data) -> Path:
    return shared_data / "hf_daily_papers" / "raw"


@pytest.fixture
def hf_server(upstream_server, raw_dir, settings):
    """A local HF stand-in answering ``?date=`` with the captured file (``[]`` when there is none)."""

    def route(path: str, query: dict[str, str]) -> Exchange | None:
        if path != "/api/daily_papers":
            return None
        capture = raw_dir / f"{query.get('date')}.json"
        return Exchange(200, capture.read_bytes() if capture.is_file() else b"[]", JSON)

    server = upstream_server(route)
    settings.HF_API_URL = server.url
    settings.UPSTREAM_DELAY_SECONDS = 0
    return server


def ingest(*args: str) -> None:
    call_command("ingest", "hf", *args)


def hf_item(arxiv_id: str) -> dict:
    return {"paper": {"id": arxiv_id, "title": f"Title {arxiv_id}", "authors": [], "upvotes": 1}}


# --- files and folders ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_files_and_folders_import_and_the_summary_names_each_skipped_record(
    raw_dir, tmp_path, capsys
):
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "2025-03-14.json").write_text(
        json.dumps([hf_item("1901.00001"), {"paper": {"id": "bad"}}])
    )
    (folder / "2025-03-15.json").write_text('[{"paper": ')

    ingest(str(raw_dir / "2024-05-27.json"), str(folder))

    err = capsys.readouterr().err
    first_day = DailyEntry.objects.filter(date=dt.date(2024, 5, 27)).count()
    assert first_day > 10
    assert Paper.objects.count() == first_day + 1
    assert f"skipped {folder / '2025-03-14.json'}[1]: not an arXiv id: 'bad'" in err
    assert f"skipped {folder / '2025-03-15.json'}: not JSON" in err
    assert (
        f"done: read {first_day + 1}, created {first_day + 1}, updated 0, unchanged 0, skipped 2"
        in err
    )


@pytest.mark.django_db
def test_second_run_of_the_same_import_creates_and_updates_nothing(raw_dir, capsys):
    files = [str(raw_dir / "2024-12-11.json"), str(raw_dir / "2025-01-10.json")]
    ingest(*files)
    created = Paper.objects.count()
    capsys.readouterr()

    ingest(*files)

    assert (
        f"done: read {created}, created 0, updated 0, unchanged {created}, skipped 0"
        in capsys.readouterr().err
    )
    assert Paper.objects.count() == created


@pytest.mark.django_db
def test_jsonl_dump_is_accepted_as_a_path(tmp_path, capsys):
    dump = tmp_path / "dump.jsonl"
    dump.write_text(json.dumps({**hf_item("1901.00002"), "_file_date": "2025-03-01"}) + "\n")

    ingest(str(dump))

    assert DailyEntry.objects.get(paper__arxiv_id="1901.00002").date == dt.date(2025, 3, 1)
    assert "created 1" in capsys.readouterr().err


@pytest.mark.django_db
def test_run_where_nothing_could_be_read_fails_after_reporting(tmp_path, capsys):
    broken = tmp_path / "2025-03-14.json"
    broken.write_text("{truncated")

    with pytest.raises(CommandError, match="nothing could be imported"):
        ingest(str(broken))

    assert f"skipped {broken}: not JSON" in capsys.readouterr().err


def test_folder_without_exports_is_a_clear_error(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing to import")

    with pytest.raises(CommandError, match=r"no \.json/\.jsonl files found"):
        ingest(str(tmp_path))


# --- live: --from/--to and --days --------------------------------------------------------------------


@pytest.mark.django_db
def test_from_to_fetches_each_day_from_the_configured_api(hf_server, raw_dir, capsys):
    ingest("--from", "2024-05-27", "--to", "2024-05-28")

    assert [q for _, q in hf_server.requests] == [
        {"date": "2024-05-27", "limit": "100"},
        {"date": "2024-05-28", "limit": "100"},
    ]
    assert set(DailyEntry.objects.values_list("date", flat=True)) == {
        dt.date(2024, 5, 27),
        dt.date(2024, 5, 28),
    }
    assert "created" in capsys.readouterr().err


@pytest.mark.django_db
def test_from_without_to_fetches_through_today(hf_server):
    start = dt.date.today() - dt.timedelta(days=2)

    ingest("--from", start.isoformat())

    assert [q["date"] for _, q in hf_server.requests] == [
        (start + dt.timedelta(days=n)).isoformat() for n in range(3)
    ]


@pytest.mark.django_db
def test_days_fetches_the_last_n_days_including_today(hf_server):
    ingest("--days", "3")

    today = dt.date.today()
    assert [q["date"] for _, q in hf_server.requests] == [
        (today - dt.timedelta(days=n)).isoformat() for n in (2, 1, 0)
    ]


# --- argument errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give files/folders, --from YYYY-MM-DD or --days N"),
        (["--from", "2024-13-01"], "argument --from: '2024-13-01' is not a date (YYYY-MM-DD)"),
        (["--from", "2024-05-28", "--to", "yesterday"], "argument --to: 'yesterday' is not a date"),
        (
            ["--from", "2024-05-28", "--to", "2024-05-27"],
            "--to 2024-05-27 is before --from 2024-05-28",
        ),
        (["--to", "2024-05-27"], "--to needs --from"),
        (["--days", "many"], "argument --days: invalid int value: 'many'"),
        (["--days", "0"], "--days must be 1 or more, got 0"),
        (["--days", "-3"], "--days must be 1 or more, got -3"),
        (["--days", "3", "--from", "2024-05-27"], "give either --days or --from/--to, not both"),
        (
            ["x.json", "--from", "2024-05-27"],
            "give either files/folders or --from/--to/--days, not both",
        ),
        (
            ["x.json", "--to", "2024-05-27"],
            "give either files/folders or --from/--to/--days, not both",
        ),
        (["x.json", "--days", "2"], "give either files/folders or --from/--to/--days, not both"),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_arguments_are_a_clear_command_error(args, message):
    with pytest.raises(CommandError) as error:
        ingest(*args)

    assert message in str(error.value)


def test_unknown_source_is_a_clear_command_error():
    with pytest.raises(CommandError, match="invalid choice: 'hugging'"):
        call_command("ingest", "hugging")


def test_help_describes_every_option(capsys):
    with pytest.raises(SystemExit) as done:
        ingest("--help")

    out = capsys.readouterr().out
    assert done.value.code == 0
    for option in ("paths", "--from", "--to", "--days"):
        assert option in out


# --- the real console script -------------------------------------------------------------------------


def test_console_script_migrates_imports_reimports_and_fetches_live(
    tmp_path, raw_dir, upstream_server
):
    assert DAILYPAPERS.exists(), f"the console script is installed beside {sys.executable}"
    server = upstream_server(
        lambda path, query: (
            Exchange(200, (raw_dir / f"{query.get('date')}.json").read_bytes(), JSON)
            if path == "/api/daily_papers"
            else None
        )
    )
    env = {
        **os.environ,
        "DAILYPAPERS_DATA_DIR": str(tmp_path / "data"),
        # Always a throwaway SQLite file, even when the suite itself runs on PostgreSQL.
        "DAILYPAPERS_DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'cli.sqlite3'}",
        "DAILYPAPERS_HF_API_URL": server.url,
        "DAILYPAPERS_UPSTREAM_DELAY_SECONDS": "0",
        "COLUMNS": "1000",
    }
    saved = tmp_path / "saved"
    saved.mkdir()
    for day in ("2024-05-27", "2024-12-11"):  # a plain file and a Python-repr file
        shutil.copy(raw_dir / f"{day}.json", saved)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(DAILYPAPERS), *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )

    migrate = run("migrate", "--no-input", "-v", "0")
    first = run("ingest", "hf", str(saved))
    second = run("ingest", "hf", str(saved))
    live = run("ingest", "hf", "--from", "2024-05-28", "--to", "2024-05-29")
    bad = run("ingest", "hf", "--days", "0")
    helped = run("ingest", "hf", "--help")

    assert migrate.returncode == 0, migrate.stderr
    assert first.returncode == 0, first.stderr
    assert "skipped 0" in first.stderr and "updated 0" in first.stderr
    created = int(first.stderr.split("created ")[1].split(",")[0])
    assert created > 20
    assert (
        f"done: read {created}, created 0, updated 0, unchanged {created}, skipped 0"
        in second.stderr
    )
    assert live.returncode == 0, live.stderr
    assert [q["date"] for _, q in server.requests] == ["2024-05-28", "2024-05-29"]
    assert "skipped 0" in live.stderr
    assert int(live.stderr.split("created ")[1].split(",")[0]) > 20
    assert bad.returncode != 0
    assert "--days must be 1 or more" in bad.stderr
    assert helped.returncode == 0 and "--from" in helped.stdout
