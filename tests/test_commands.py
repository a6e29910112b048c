"""What the commands share (``dailypapers.commands``): the progress bar drawn by ingest, index,
trending and digest, and the refusal to start a server or worker on an unmigrated database."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from rich.console import Console

from dailypapers.commands import ProgressBar


def terminal(width: int = 120) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=width, color_system=None), out


def test_progress_bar_draws_one_line_per_stage_with_its_label_and_counts():
    console, out = terminal()

    with ProgressBar(console, {"read": "Reading papers"}) as bar:
        bar.advance("read", 2, total=5)  # a service that reports increments
        bar.advance("read", 3)
        bar.update("write", 4, total=8)  # one that reports how far it is

    shown = out.getvalue()
    assert "Reading papers" in shown and "5/5" in shown
    assert "write" in shown and "4/8" in shown


def test_progress_bar_stays_out_of_logs():
    out = io.StringIO()
    console = Console(file=out, force_terminal=False)

    with ProgressBar(console, {"send": "Sending digests"}) as bar:
        bar.advance("send", 3, total=3)

    assert out.getvalue() == ""


@pytest.mark.parametrize("command", ["worker", "serve"])
def test_server_and_worker_refuse_an_unmigrated_database(tmp_path, command):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_")}
    environment.update(
        DAILYPAPERS_DATA_DIR=str(tmp_path),
        DAILYPAPERS_DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        DJANGO_SETTINGS_MODULE="dailypapers.settings",
    )

    run = subprocess.run(
        [sys.executable, "-m", "dailypapers.cli", command],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert run.returncode != 0
    assert "unapplied migration(s)" in run.stderr
    assert "run `dailypapers migrate` first" in run.stderr
