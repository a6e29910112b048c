"""Email configuration from DAILYPAPERS_EMAIL_*: one URL or the SMTP parts, console by default,
contradictions refused at start-up with a message that names the variables (and no password)."""

from __future__ import annotations

import ast

import pytest

from tests.test_configuration import import_settings

EXPRESSION = (
    "{k: getattr(s, k) for k in ['EMAIL_BACKEND', 'EMAIL_HOST', 'EMAIL_PORT', 'EMAIL_HOST_USER',"
    " 'EMAIL_HOST_PASSWORD', 'EMAIL_USE_TLS', 'EMAIL_USE_SSL', 'EMAIL_FILE_PATH', 'EMAIL_TIMEOUT',"
    " 'DEFAULT_FROM_EMAIL']}"
)
SMTP = "django.core.mail.backends.smtp.EmailBackend"


def email_settings(tmp_path, **variables) -> dict:
    run = import_settings(tmp_path, EXPRESSION, **variables)
    assert run.returncode == 0, run.stderr
    return ast.literal_eval(run.stdout.strip())


def test_without_configuration_emails_are_printed_to_stdout(tmp_path):
    found = email_settings(tmp_path)

    assert found["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert found["DEFAULT_FROM_EMAIL"] == "Daily Papers <noreply@localhost>"
    assert found["EMAIL_TIMEOUT"] == 10


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp://mailer:p%40ss%2Fword@mail.example.org:587?starttls=true",
            {
                "EMAIL_HOST": "mail.example.org",
                "EMAIL_PORT": 587,
                "EMAIL_USE_TLS": True,
                "EMAIL_USE_SSL": False,
                "EMAIL_HOST_USER": "mailer",
                "EMAIL_HOST_PASSWORD": "p@ss/word",
            },
        ),
        (
            "smtps://mailer:secret@mail.example.org",
            {"EMAIL_PORT": 465, "EMAIL_USE_SSL": True, "EMAIL_USE_TLS": False},
        ),
        ("smtp://relay.internal", {"EMAIL_PORT": 25, "EMAIL_HOST_USER": ""}),
        ("smtp://relay.internal?starttls=1", {"EMAIL_PORT": 587, "EMAIL_USE_TLS": True}),
    ],
)
def test_an_smtp_url_sets_every_part(tmp_path, url, expected):
    found = email_settings(tmp_path, EMAIL_URL=url)

    assert found["EMAIL_BACKEND"] == SMTP
    assert {key: found[key] for key in expected} == expected


def test_a_file_url_writes_messages_into_a_folder(tmp_path):
    found = email_settings(tmp_path, EMAIL_URL="file:///var/tmp/dailypapers-mail")

    assert found["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert found["EMAIL_FILE_PATH"] == "/var/tmp/dailypapers-mail"


def test_the_parts_configure_smtp_without_a_url(tmp_path):
    found = email_settings(
        tmp_path,
        EMAIL_HOST="mail.example.org",
        EMAIL_USER="mailer",
        EMAIL_PASSWORD="secret",
        EMAIL_TLS="true",
        EMAIL_FROM="Papers <papers@example.org>",
        EMAIL_TIMEOUT_SECONDS="3",
    )

    assert found == {
        "EMAIL_BACKEND": SMTP,
        "EMAIL_HOST": "mail.example.org",
        "EMAIL_PORT": 465,
        "EMAIL_HOST_USER": "mailer",
        "EMAIL_HOST_PASSWORD": "secret",
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": True,
        "EMAIL_FILE_PATH": None,
        "EMAIL_TIMEOUT": 3,
        "DEFAULT_FROM_EMAIL": "Papers <papers@example.org>",
    }


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"EMAIL_URL": "smtp://a.example", "EMAIL_HOST": "b.example"}, "exclude each other"),
        (
            {"EMAIL_HOST": "a.example", "EMAIL_STARTTLS": "1", "EMAIL_TLS": "1"},
            "exclude each other",
        ),
        ({"EMAIL_PORT": "587"}, "need DAILYPAPERS_EMAIL_HOST"),
        ({"EMAIL_URL": "smtps://a.example?starttls=true"}, "TLS already"),
        ({"EMAIL_URL": "smtp://"}, "DAILYPAPERS_EMAIL_URL must be"),
    ],
)
def test_contradictory_email_settings_stop_start_up(tmp_path, variables, message):
    run = import_settings(tmp_path, **variables)

    assert run.returncode != 0
    assert message in run.stderr


def test_a_bad_email_url_is_named_without_its_password(tmp_path):
    run = import_settings(tmp_path, EMAIL_URL="smtpz://mailer:hunter2@mail.example.org")

    assert run.returncode != 0
    assert "DAILYPAPERS_EMAIL_URL must be" in run.stderr and "smtpz" in run.stderr
    assert "hunter2" not in run.stderr
