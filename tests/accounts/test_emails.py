"""Every accounts email is multipart (text + HTML) from its own templates, goes through the
configured SMTP server after the commit, and a mail server that is down loses no account."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from dailypapers.accounts import emails
from tests.accounts.conftest import make_user
from tests.conftest import free_port

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"


def test_verification_email_is_multipart_with_the_link_in_both_parts(
    smtp_server, django_capture_on_commit_callbacks, settings
):
    settings.SITE_NAME = "Paper Club"
    user = make_user("ada", confirmed=False)
    url = "https://papers.example.org/accounts/verify/abc"

    with django_capture_on_commit_callbacks(execute=True):
        emails.send_verification_email(user, url, valid_for=dt.timedelta(days=3))

    (mail,) = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["ada@example.org"]
    assert mail.subject == "Confirm your email address for Paper Club"
    assert mail.message.get_content_type() == "multipart/alternative"
    assert url in mail.body("plain")
    assert f'href="{url}"' in mail.body("html")
    assert "72 hours" in mail.body("plain")


def test_nothing_is_sent_when_the_transaction_rolls_back(
    smtp_server, django_capture_on_commit_callbacks
):
    user = make_user("ada", confirmed=False)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        emails.send_verification_email(user, "https://x.example/v", valid_for=dt.timedelta(1))

    assert len(callbacks) == 1  # queued for after the commit, not sent inline
    assert smtp_server.received == []


def test_hostile_display_name_is_plain_in_text_and_escaped_in_html(
    smtp_server, django_capture_on_commit_callbacks
):
    user = make_user("ada", display_name=f"{SCRIPT} & co")

    with django_capture_on_commit_callbacks(execute=True):
        emails.send_password_changed_email(user)

    (mail,) = smtp_server.wait_for(1)
    assert f"Hello {SCRIPT} & co," in mail.body("plain")
    html = mail.body("html")
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html


@pytest.mark.parametrize(
    "send",
    [
        lambda user: emails.send_verification_email(user, "https://x/v", valid_for=dt.timedelta(1)),
        lambda user: emails.send_signup_attempt_email(user.email, login_url="https://x/login"),
        lambda user: emails.send_password_reset_email(
            user, "https://x/r", valid_for=dt.timedelta(1)
        ),
        emails.send_password_changed_email,
    ],
    ids=["verify-email", "signup-attempt", "password-reset", "password-changed"],
)
def test_every_email_has_a_one_line_subject_and_both_parts(
    smtp_server, django_capture_on_commit_callbacks, settings, send
):
    settings.DEFAULT_FROM_EMAIL = "Papers <noreply@papers.example.org>"
    user = make_user("ada")

    with django_capture_on_commit_callbacks(execute=True):
        send(user)

    (mail,) = smtp_server.wait_for(1)
    assert mail.mail_from == "noreply@papers.example.org"
    assert mail.subject and "\n" not in mail.subject
    assert mail.body("plain").strip()
    assert mail.body("html").lstrip().startswith("<!doctype html>")


def test_a_mail_server_that_is_down_is_logged_not_raised(
    settings, django_capture_on_commit_callbacks, caplog
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    user = make_user("ada", confirmed=False)

    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        emails.send_verification_email(user, "https://x/v", valid_for=dt.timedelta(1))

    assert "could not send 'Confirm your email address" in caplog.text
    assert "ada@example.org" in caplog.text
