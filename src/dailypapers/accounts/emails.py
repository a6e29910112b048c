"""Every email the accounts feature sends: one function per email.

Each email is a folder under ``templates/accounts/emails/`` holding ``subject.txt``, ``body.txt``
and ``body.html``; the message is multipart (plain text plus an HTML alternative). Sending waits
for the surrounding transaction to commit, and a mail server that is down is logged, not raised:
the account is saved either way and the user can ask for the link again.

Links in emails are built from ``SITE_URL`` by the caller, never from the request's Host header.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

logger = logging.getLogger(__name__)


def build_message(name: str, to: str, context: dict[str, Any]) -> EmailMultiAlternatives:
    """Render ``accounts/emails/<name>/`` into a multipart message to ``to``."""
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    folder = f"accounts/emails/{name}"
    # A subject is one line: a newline in a header would be refused (or worse, injected).
    subject = " ".join(render_to_string(f"{folder}/subject.txt", context).split())
    text = render_to_string(f"{folder}/body.txt", context)
    html = render_to_string(f"{folder}/body.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    return message


def send_after_commit(message: EmailMultiAlternatives) -> None:
    def deliver() -> None:
        try:
            message.send()
        except (OSError, smtplib.SMTPException):
            logger.exception("could not send %r to %s", message.subject, ", ".join(message.to))

    transaction.on_commit(deliver)


def _name(user: User) -> str:
    profile = getattr(user, "profile", None)
    return (profile.display_name if profile else "") or user.get_username()


def _hours(duration: dt.timedelta) -> int:
    return int(duration.total_seconds() // 3600)


def send_verification_email(user: User, url: str, *, valid_for: dt.timedelta) -> None:
    context: dict[str, Any] = {"name": _name(user), "username": user.get_username(), "url": url}
    context["hours"] = _hours(valid_for)
    send_after_commit(build_message("verify-email", user.email, context))


def send_signup_attempt_email(email: str, *, login_url: str) -> None:
    """Someone tried to sign up with an address that already has an account."""
    send_after_commit(build_message("signup-attempt", email, {"login_url": login_url}))


def send_password_reset_email(user: User, url: str, *, valid_for: dt.timedelta) -> None:
    context: dict[str, Any] = {"name": _name(user), "username": user.get_username(), "url": url}
    context["hours"] = _hours(valid_for)
    send_after_commit(build_message("password-reset", user.email, context))


def send_password_changed_email(user: User) -> None:
    reset_url = settings.SITE_URL + reverse("accounts.password_reset")
    context = {"name": _name(user), "username": user.get_username(), "reset_url": reset_url}
    send_after_commit(build_message("password-changed", user.email, context))
