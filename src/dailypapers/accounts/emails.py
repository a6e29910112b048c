"""Every email the accounts feature sends: one function per email.

Each email is a folder under ``templates/accounts/emails/`` holding ``subject.txt``, ``body.txt``
and ``body.html``; the message is multipart (plain text plus an HTML alternative). These
functions send at once: they are called by the background jobs of ``accounts.tasks``, which the
services queue only after their transaction commits, so a web request never waits for the mail
server (nor answers slower for an address that has an account). A mail server that is down is
logged and raised, and the job is tried again later.

Mail to an address nobody has confirmed yet (the confirmation link, "someone tried to sign up
with your address") carries nothing a stranger typed: no display name, no username. Anyone can
sign up with anyone's address, so those fields would let them write to any inbox from us.

Links in emails are built from ``SITE_URL`` by the caller (``accounts.links``), never from the
request's Host header.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives
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


def deliver(message: EmailMultiAlternatives) -> None:
    """Send now; a failure is logged (subject and recipient, never the link) and raised."""
    try:
        message.send()
    except (OSError, smtplib.SMTPException):
        logger.exception("could not send %r to %s", message.subject, ", ".join(message.to))
        raise


def _name(user: User) -> str:
    profile = getattr(user, "profile", None)
    return (profile.display_name if profile else "") or user.get_username()


def _hours(duration: dt.timedelta) -> int:
    return int(duration.total_seconds() // 3600)


def send_verification_email(to: str, url: str, *, valid_for: dt.timedelta) -> None:
    """The confirmation link of a new account. The address is unconfirmed: no names in it."""
    deliver(build_message("verify-email", to, {"url": url, "hours": _hours(valid_for)}))


def send_signup_attempt_email(to: str, *, login_url: str) -> None:
    """Someone tried to sign up with an address that already has an account."""
    deliver(build_message("signup-attempt", to, {"login_url": login_url}))


def send_password_reset_email(user: User, url: str, *, valid_for: dt.timedelta) -> None:
    # Only active accounts, whose address was confirmed, get this: their own names are safe here.
    context: dict[str, Any] = {"name": _name(user), "username": user.get_username(), "url": url}
    context["hours"] = _hours(valid_for)
    deliver(build_message("password-reset", user.email, context))


def send_password_changed_email(user: User, *, tokens_revoked: int, by_reset: bool) -> None:
    """The password changed; after a reset by email, every API token was revoked too."""
    context = {
        "name": _name(user),
        "username": user.get_username(),
        "reset_url": settings.SITE_URL + reverse("accounts.password_reset"),
        "tokens_url": settings.SITE_URL + reverse("accounts.tokens"),
        "by_reset": by_reset,
        "tokens_revoked": tokens_revoked,
    }
    deliver(build_message("password-changed", user.email, context))
