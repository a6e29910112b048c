"""Deployment: HTTPS settings follow the scheme of DAILYPAPERS_SITE_URL, `dailypapers check --deploy`
passes with the production settings docs/install.md documents (read from the page itself), our own
deploy checks name what a development setup lacks, and `dailypapers serve` with those settings
answers as an HTTPS site behind a proxy should.

Settings are module-level code, so they are imported in fresh subprocesses (see
tests/test_configuration.py); the checks of a single setting run in-process; the served tests run
the real gunicorn command line of ``dailypapers serve`` on a SQLite database of their own.
"""

from __future__ import annotations

import ast
import http.client
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import ip_network
from pathlib import Path

import pytest

from dailypapers.web import checks
from dailypapers.web.management.commands.serve import gunicorn_argv
from tests.conftest import free_port
from tests.test_configuration import import_settings
from tests.test_token_logging import OTHER_TOKEN, TOKEN, token_path

ROOT = Path(__file__).resolve().parent.parent
INSTALL_DOC = ROOT / "docs" / "install.md"
TLS_SETTINGS = (
    "(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
    "s.SECURE_HSTS_PRELOAD, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
    "getattr(s, 'SESSION_COOKIE_NAME', 'sessionid'), getattr(s, 'CSRF_COOKIE_NAME', 'csrftoken'), "
    "hasattr(s, 'SECURE_PROXY_SSL_HEADER'))"
)


def documented_production_environment() -> dict[str, str]:
    """The ``NAME=value`` lines of the first ``sh`` block of install.md's production section."""
    text = INSTALL_DOC.read_text()
    section = text[text.index("## Serving in production") :]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block, "docs/install.md: no ```sh block in 'Serving in production'"
    variables = {}
    for line in block.group(1).splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            (assignment,) = shlex.split(line)
            name, _, value = assignment.partition("=")
            variables[name] = value
    return variables


def check_deploy(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_")}
    environment["DAILYPAPERS_DATA_DIR"] = str(tmp_path / "data")
    environment.update(variables)
    return subprocess.run(
        [sys.executable, "-m", "dailypapers.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_the_documented_production_settings(tmp_path):
    environment = documented_production_environment()
    assert environment["DAILYPAPERS_SITE_URL"].startswith("https://")

    run = check_deploy(tmp_path, **environment)

    assert run.returncode == 0, run.stdout + run.stderr
    assert "System check identified no issues" in run.stdout


def test_check_deploy_names_what_a_development_setup_lacks(tmp_path):
    run = check_deploy(tmp_path)

    output = run.stdout + run.stderr
    assert run.returncode != 0
    for problem in ("security.W008", "dailypapers.W001", "dailypapers.W003", "dailypapers.W004"):
        assert problem in output
    assert "DAILYPAPERS_SITE_URL=https://" in output  # each says which variable fixes it


def test_an_https_site_url_turns_on_redirect_hsts_and_host_only_secure_cookies(tmp_path):
    run = import_settings(tmp_path, TLS_SETTINGS, SITE_URL="https://papers.example.org")

    assert run.returncode == 0, run.stderr
    assert ast.literal_eval(run.stdout.strip()) == (
        True,
        31_536_000,
        True,
        False,  # preload is opt-in
        True,
        True,
        "__Host-sessionid",
        "__Host-csrftoken",
        False,  # gunicorn, not Django, decides who may say a request was HTTPS
    )


def test_an_http_site_url_leaves_tls_settings_off(tmp_path):
    run = import_settings(tmp_path, TLS_SETTINGS, SITE_URL="http://127.0.0.1:8000")

    assert run.returncode == 0, run.stderr
    redirect, hsts, _, _, session_secure, csrf_secure, session, csrf, _ = ast.literal_eval(
        run.stdout.strip()
    )
    assert (redirect, hsts, session_secure, csrf_secure) == (False, 0, False, False)
    assert (session, csrf) == ("sessionid", "csrftoken")


def test_hsts_preload_and_a_shorter_hsts_are_settings(tmp_path):
    preload = import_settings(
        tmp_path, TLS_SETTINGS, SITE_URL="https://papers.example.org", HSTS_PRELOAD="true"
    )
    short = import_settings(
        tmp_path, TLS_SETTINGS, SITE_URL="https://papers.example.org", HSTS_SECONDS="300"
    )

    assert preload.returncode == short.returncode == 0, preload.stderr + short.stderr
    assert ast.literal_eval(preload.stdout.strip())[3] is True
    assert ast.literal_eval(short.stdout.strip())[1] == 300


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"HTTPS": "true"}, "DAILYPAPERS_HTTPS is no longer read"),
        ({"SITE_URL": "papers.example.org"}, "DAILYPAPERS_SITE_URL must be http:// or https://"),
        ({"SITE_URL": "ftp://papers.example.org"}, "DAILYPAPERS_SITE_URL must be http://"),
        ({"HSTS_SECONDS": "-1"}, "DAILYPAPERS_HSTS_SECONDS must be 0 or more"),
        (
            {"SITE_URL": "https://p.example.org", "HSTS_PRELOAD": "1", "HSTS_SECONDS": "300"},
            "DAILYPAPERS_HSTS_PRELOAD needs DAILYPAPERS_HSTS_SECONDS of at least 31536000",
        ),
    ],
    ids=["old-https-variable", "no-scheme", "ftp", "negative-hsts", "preload-short-hsts"],
)
def test_a_bad_tls_setting_stops_start_up_naming_the_variable(tmp_path, variables, message):
    run = import_settings(tmp_path, **variables)

    assert run.returncode != 0
    assert message in run.stderr


def test_a_site_host_the_site_refuses_is_reported(settings):
    settings.HTTPS = True
    settings.SITE_URL = "https://papers.example.org"
    settings.ALLOWED_HOSTS = ["www.papers.example.org"]

    problems = checks.check_site_url()

    assert [problem.id for problem in problems] == ["dailypapers.W002"]
    assert "papers.example.org" in problems[0].hint


def test_an_allowed_site_host_with_a_port_is_not_reported(settings):
    settings.HTTPS = True
    settings.SITE_URL = "https://papers.example.org:8443"
    settings.ALLOWED_HOSTS = [".example.org"]

    assert checks.check_site_url() == []


def test_a_secret_key_file_others_can_read_is_reported(settings, tmp_path):
    key = tmp_path / "secret_key"
    key.write_text("k" * 60)
    key.chmod(0o644)
    settings.SECRET_KEY_FILE = key

    problems = checks.check_secret_key_file()

    assert [problem.id for problem in problems] == ["dailypapers.W005"]
    assert problems[0].hint == f"chmod 600 {key}"
    key.chmod(0o600)
    assert checks.check_secret_key_file() == []


def test_gunicorn_believes_the_scheme_from_loopback_and_the_trusted_proxies_only(settings):
    settings.TRUSTED_PROXIES = (ip_network("10.1.0.0/16"), ip_network("127.0.0.1/32"))

    argv = gunicorn_argv(host="127.0.0.1", port=8000, workers=1, timeout=30)

    allowed = argv[argv.index("--forwarded-allow-ips") + 1]
    assert allowed.split(",") == ["127.0.0.1/32", "::1/128", "10.1.0.0/16"]


def test_a_secret_key_from_the_environment_has_no_file_to_check(settings):
    settings.SECRET_KEY_FILE = None

    assert checks.check_secret_key_file() == []


@dataclass
class ServedSite:
    port: int
    log: Path
    host: str

    def get(self, path: str, *, source: str = "127.0.0.1", **headers: str):
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=10, source_address=(source, 0)
        )
        try:
            connection.request("GET", path, headers={"Host": self.host, **headers})
            response = connection.getresponse()
            response.read()
            return response
        finally:
            connection.close()

    def wait_for_log(self, text: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while True:
            output = self.log.read_text()
            if text in output or time.monotonic() > deadline:
                return output
            time.sleep(0.1)


@pytest.fixture(scope="module")
def served_site(tmp_path_factory) -> Iterator[ServedSite]:
    """``dailypapers serve`` (gunicorn, one worker) with docs/install.md's production settings."""
    folder = tmp_path_factory.mktemp("served")
    production = documented_production_environment()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_")}
    environment.update(production, DAILYPAPERS_DATA_DIR=str(folder), PORT=str(free_port()))
    # Not the documented Redis: a test must not share a cache with whatever else runs here.
    environment["DAILYPAPERS_CACHE_URL"] = "locmem://"
    dailypapers = [sys.executable, "-m", "dailypapers.cli"]
    subprocess.run([*dailypapers, "migrate", "-v0"], env=environment, check=True, timeout=180)
    log_path = folder / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [*dailypapers, "serve", "--workers", "1"],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    host = production["DAILYPAPERS_SITE_URL"].removeprefix("https://")
    site = ServedSite(port=int(environment["PORT"]), log=log_path, host=host)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                site.get("/papers")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail(f"serve did not answer: {log_path.read_text()}")
                time.sleep(0.2)
        yield site
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_served_plain_http_is_redirected_to_https(served_site):
    response = served_site.get("/papers?day=1")

    assert response.status == 301
    assert response.headers["Location"] == f"https://{served_site.host}/papers?day=1"


def test_served_https_from_the_proxy_gets_hsts_and_host_only_secure_cookies(served_site):
    response = served_site.get("/accounts/login", **{"X-Forwarded-Proto": "https"})

    assert response.status == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    cookie = response.headers["Set-Cookie"]
    assert (
        cookie.startswith("__Host-csrftoken=") and "; Secure" in cookie and "Domain" not in cookie
    )


def test_served_scheme_header_from_a_peer_that_is_no_proxy_is_not_believed(served_site):
    response = served_site.get(
        "/accounts/login", source="127.0.0.3", **{"X-Forwarded-Proto": "https"}
    )

    assert response.status == 301  # still plain HTTP: redirected, no HSTS, no cookie
    assert "Strict-Transport-Security" not in response.headers


def test_served_access_log_and_django_log_blank_signed_tokens(served_site):
    path = token_path("digests.preferences")
    referer = f"https://{served_site.host}{token_path('accounts.verify', OTHER_TOKEN)}"

    response = served_site.get(path, **{"X-Forwarded-Proto": "https", "Referer": referer})

    assert response.status == 400  # a made-up link
    log = served_site.wait_for_log('"GET /digest/preferences/<token> HTTP/1.1" 400')
    assert TOKEN not in log and OTHER_TOKEN not in log
    access = next(line for line in log.splitlines() if "GET /digest/preferences/" in line)
    assert f'"https://{served_site.host}/accounts/verify/<token>"' in access
    assert "Bad Request: /digest/preferences/<token>" in log
