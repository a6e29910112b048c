"""Every accounts email is multipart (text + HTML) from its own templates, goes through the
configured SMTP server from a job queued after the commit, and a mail server that is down loses no
account (the job fails, is logged, and is tried again)."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from dailypapers.accounts import emails, services
from tests.accounts.conftest import PASSWORD, make_user
from tests.conftest import free_port

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"


def test_verification_email_is_multipart_with_the_link_in_both_parts(smtp_server, settings):
    settings.SITE_NAME = "Paper Club"
    url = "https://papers.example.org/accounts/verify/abc"

    emails.send_verification_email("ada@example.org", url, valid_for=dt.timedelta(days=3))

    (mail,) = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["ada@example.org"]
    assert mail.subject == "Confirm your email address for Paper Club"
    assert mail.message.get_content_type() == "multipart/alternative"
    assert url in mail.body("plain")
    assert f'href="{url}"' in mail.body("html")
    assert "72 hours" in mail.body("plain")


def test_the_mail_job_is_queued_only_when_the_transaction_commits(
    smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.sign_up(username="ada", email="ada@example.org", password=PASSWORD)

    assert len(callbacks) == 1  # queued for after the commit, not sent inline
    assert smtp_server.received == []
    callbacks[0]()  # the commit: the job is queued, and (immediate mode) runs
    (mail,) = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["ada@example.org"]


def test_hostile_display_name_is_plain_in_text_and_escaped_in_html(smtp_server):
    user = make_user("ada", display_name=f"{SCRIPT} & co")

    emails.send_password_changed_email(user, tokens_revoked=0, by_reset=False)

    (mail,) = smtp_server.wait_for(1)
    assert f"Hello {SCRIPT} & co," in mail.body("plain")
    html = mail.body("html")
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html


@pytest.mark.parametrize(
    "send",
    [
        lambda user: emails.send_verification_email(
            user.email, "https://x/v", valid_for=dt.timedelta(1)
        ),
        lambda user: emails.send_signup_attempt_email(user.email, login_url="https://x/login"),
        lambda user: emails.send_password_reset_email(
            user, "https://x/r", valid_for=dt.timedelta(1)
        ),
        lambda user: emails.send_password_changed_email(user, tokens_revoked=2, by_reset=True),
        lambda user: emails.send_password_changed_email(user, tokens_revoked=0, by_reset=False),
    ],
    ids=["verify-email", "signup-attempt", "password-reset", "password-reset-done", "changed"],
)
def test_every_email_has_a_one_line_subject_and_both_parts(smtp_server, settings, send):
    settings.DEFAULT_FROM_EMAIL = "Papers <noreply@papers.example.org>"
    user = make_user("ada")

    send(user)

    (mail,) = smtp_server.wait_for(1)
    assert mail.mail_from == "noreply@papers.example.org"
    assert mail.subject and "\n" not in mail.subject
    assert mail.body("plain").strip()
    assert mail.body("html").lstrip().startswith("<!doctype html>")


def test_a_mail_server_that_is_down_is_logged_and_loses_no_account(
    settings, django_capture_on_commit_callbacks, caplog
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens

    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        user = services.sign_up(username="ada", email="ada@example.org", password=PASSWORD)

    assert user is not None and user.pk  # the account is saved; the job will be tried again
    assert "could not send 'Confirm your email address" in caplog.text
    assert "ada@example.org" in caplog.text
