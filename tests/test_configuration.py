"""Configuration: every DAILYPAPERS_* variable and every command is documented, the secret key is
generated once into the data dir, and a bad value stops start-up with a message naming the variable.

Settings are module-level code, so each start-up check imports ``dailypapers.settings`` in a fresh
subprocess with a controlled environment (a tmp DAILYPAPERS_DATA_DIR, no inherited DAILYPAPERS_*).
"""

from __future__ import annotations

import ast
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "src" / "dailypapers" / "settings.py"
ENV_SAMPLE = ROOT / ".env.sample"
CONFIGURATION_DOC = ROOT / "docs" / "configuration.md"
CLI_DOC = ROOT / "docs" / "cli.md"
ENV_READERS = {"env", "env_bool", "env_int", "env_float", "env_list"}


def settings_variables() -> dict[str, str]:
    """``{"DAILYPAPERS_X": "env_int", ...}`` for every ``env*("X", ...)`` call in settings.py."""
    found: dict[str, str] = {}
    for node in ast.walk(ast.parse(SETTINGS.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ENV_READERS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found[f"DAILYPAPERS_{node.args[0].value}"] = node.func.id
    return found


def variables_named_in(text: str) -> set[str]:
    return set(re.findall(r"\bDAILYPAPERS_[A-Z0-9_]+\b", text))


def documented_in_table(text: str) -> set[str]:
    """Names in the first column of a Markdown table row: ``| `DAILYPAPERS_X` | default | meaning |``."""
    return set(
        re.findall(
            r"^\|\s*`(DAILYPAPERS_[A-Z0-9_]+)`\s*\|[^|\n]*\|[^|\n]*[^|\s][^|\n]*\|",
            text,
            re.MULTILINE,
        )
    )


def documented_in_sample(text: str) -> set[str]:
    """Names set (commented out or not) on their own line: ``# DAILYPAPERS_X=default``."""
    return set(re.findall(r"^#?\s*(DAILYPAPERS_[A-Z0-9_]+)=", text, re.MULTILINE))


def test_settings_parser_finds_the_variables_it_must():
    names = settings_variables()

    assert {"DAILYPAPERS_DATA_DIR", "DAILYPAPERS_DATABASE_URL", "DAILYPAPERS_DEBUG"} <= set(names)
    assert names["DAILYPAPERS_DEBUG"] == "env_bool"


def test_every_setting_is_in_the_env_sample():
    missing = set(settings_variables()) - documented_in_sample(ENV_SAMPLE.read_text())

    assert not missing, f".env.sample lacks a `# NAME=default` line for {sorted(missing)}"


def test_every_setting_is_in_the_configuration_table():
    missing = set(settings_variables()) - documented_in_table(CONFIGURATION_DOC.read_text())

    assert not missing, (
        f"docs/configuration.md lacks a table row (name, default, meaning) for {sorted(missing)}"
    )


def test_docs_name_no_variable_that_settings_does_not_read():
    known = set(settings_variables())
    named = variables_named_in(ENV_SAMPLE.read_text()) | variables_named_in(
        CONFIGURATION_DOC.read_text()
    )

    assert not named - known, f"documented but never read by settings.py: {sorted(named - known)}"


def our_commands() -> set[str]:
    commands: set[str] = set()
    for folder in (ROOT / "src" / "dailypapers").glob("*/management/commands"):
        commands |= {p.stem for p in folder.glob("*.py") if not p.stem.startswith("_")}
    return commands


def test_every_dailypapers_command_has_a_section_in_the_cli_doc():
    commands = our_commands()
    headings = set(re.findall(r"^##+ `dailypapers ([a-z_-]+)", CLI_DOC.read_text(), re.MULTILINE))

    assert {"demo", "serve", "ingest"} <= commands
    assert not commands - headings, (
        f"docs/cli.md lacks a '## `dailypapers NAME`' section for {sorted(commands - headings)}"
    )


def import_settings(
    data_dir: Path, expression: str = "s.SECRET_KEY", **variables: str
) -> subprocess.CompletedProcess[str]:
    """Import the settings module (as ``s``) in a new interpreter and print ``expression``."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_")}
    environment["DAILYPAPERS_DATA_DIR"] = str(data_dir)
    environment.update({f"DAILYPAPERS_{name}": value for name, value in variables.items()})
    return subprocess.run(
        [sys.executable, "-c", f"import dailypapers.settings as s; print({expression})"],
        env=environment,
        cwd=data_dir.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_secret_key_is_generated_into_the_data_dir_with_mode_0600(tmp_path):
    run = import_settings(tmp_path)

    assert run.returncode == 0, run.stderr
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().strip() == run.stdout.strip()
    assert len(run.stdout.strip()) >= 50


def test_secret_key_is_reused_on_the_second_run(tmp_path):
    first = import_settings(tmp_path)

    second = import_settings(tmp_path)

    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert second.stdout == first.stdout


def test_each_data_dir_gets_its_own_secret_key(tmp_path):
    one = import_settings(tmp_path / "one")
    two = import_settings(tmp_path / "two")

    assert one.returncode == two.returncode == 0, one.stderr + two.stderr
    assert one.stdout != two.stdout


def test_a_too_short_secret_key_file_is_refused_not_replaced(tmp_path):
    (tmp_path / "secret_key").write_text("short")

    run = import_settings(tmp_path)

    assert run.returncode != 0
    assert "secret_key" in run.stderr and "too short" in run.stderr
    assert (tmp_path / "secret_key").read_text() == "short"


def test_an_explicit_secret_key_is_used_and_nothing_is_written(tmp_path):
    key = "k" * 60

    run = import_settings(tmp_path, SECRET_KEY=key)

    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == key
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(
    "url",
    ["mysql://root@localhost/db", "not a url", "postgresq://root@127.0.0.1/test"],
)
def test_a_bad_database_url_stops_start_up_naming_the_variable(tmp_path, url):
    run = import_settings(tmp_path, DATABASE_URL=url)

    assert run.returncode != 0
    assert "DAILYPAPERS_DATABASE_URL" in run.stderr
    assert url in run.stderr


def test_a_bad_cache_url_stops_start_up_naming_the_variable(tmp_path):
    run = import_settings(tmp_path, CACHE_URL="memcached://127.0.0.1:11211")

    assert run.returncode != 0
    assert "DAILYPAPERS_CACHE_URL" in run.stderr


def _variables_read_by(reader: str) -> list[str]:
    return sorted(name for name, used in settings_variables().items() if used == reader)


@pytest.mark.parametrize("name", _variables_read_by("env_bool"))
def test_a_bad_boolean_stops_start_up_naming_the_variable(tmp_path, name):
    run = import_settings(tmp_path, **{name.removeprefix("DAILYPAPERS_"): "maybe"})

    assert run.returncode != 0
    assert f"{name} must be a boolean" in run.stderr
    assert "'maybe'" in run.stderr


@pytest.mark.parametrize("name", _variables_read_by("env_int"))
def test_a_bad_integer_stops_start_up_naming_the_variable(tmp_path, name):
    run = import_settings(tmp_path, **{name.removeprefix("DAILYPAPERS_"): "ten"})

    assert run.returncode != 0
    assert f"{name} must be an integer" in run.stderr
    assert "'ten'" in run.stderr


@pytest.mark.parametrize("name", _variables_read_by("env_float"))
def test_a_bad_number_stops_start_up_naming_the_variable(tmp_path, name):
    run = import_settings(tmp_path, **{name.removeprefix("DAILYPAPERS_"): "3s"})

    assert run.returncode != 0
    assert f"{name} must be a number" in run.stderr
    assert "'3s'" in run.stderr


def test_good_values_of_every_kind_are_accepted(tmp_path):
    run = import_settings(
        tmp_path,
        "(s.DEBUG, s.CACHE_SECONDS, s.UPSTREAM_DELAY_SECONDS, s.ALLOWED_HOSTS, "
        "sorted(s.DATABASES['default'].items()))",
        DEBUG="yes",
        CACHE_SECONDS="0",
        UPSTREAM_DELAY_SECONDS="0.5",
        ALLOWED_HOSTS=" papers.example.org, ,localhost",
        DATABASE_URL="postgresql://u:p%40ss@db.example:6543/papers?sslmode=require",
    )

    assert run.returncode == 0, run.stderr
    debug, cache_seconds, delay, hosts, database = ast.literal_eval(run.stdout.strip())
    assert (debug, cache_seconds, delay) == (True, 0, 0.5)
    assert hosts == ["papers.example.org", "localhost"]
    database = dict(database)
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["USER"], database["PASSWORD"]) == ("u", "p@ss")
    assert (database["HOST"], database["PORT"], database["NAME"]) == (
        "db.example",
        "6543",
        "papers",
    )
    assert database["OPTIONS"] == {"sslmode": "require"}
