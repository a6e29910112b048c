"""huey jobs of the accounts app: every email the accounts feature sends goes out from here.

The services queue these after their transaction commits (``dailypapers.tasks.enqueue_on_commit``),
so a web request does the same work whether or not an address has an account (it queues a job)
and never waits for the mail server; the worker looks the account up, makes the signed link and
sends. Jobs take ids or the address typed, never model instances, and check the account's state
when they run: a confirmation link is not sent to an account confirmed meanwhile, a reset link is
sent only to active accounts with a usable password. A mail server that is down fails the job,
which huey tries again (``MAIL_RETRIES`` times, ``MAIL_RETRY_DELAY`` seconds apart).
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.urls import reverse
from huey.contrib.djhuey import db_task

from dailypapers.accounts import emails, links, queries

log = logging.getLogger(__name__)

MAIL_RETRIES = 3
MAIL_RETRY_DELAY = 60


@db_task(retries=MAIL_RETRIES, retry_delay=MAIL_RETRY_DELAY)
def send_verification_email(user_id: int) -> None:
    """The confirmation link of a new account, unless it was confirmed or deleted meanwhile."""
    user = queries.get_unconfirmed_user(user_id)
    if user is None:
        log.info("confirmation email for account %s not sent: confirmed or gone", user_id)
        return
    emails.send_verification_email(
        user.email, links.verification_url(user), valid_for=links.VERIFY_MAX_AGE
    )


@db_task(retries=MAIL_RETRIES, retry_delay=MAIL_RETRY_DELAY)
def send_signup_attempt_email(email: str) -> None:
    """Tell an address's owner that someone tried to sign up with it (no account was made)."""
    login_url = links.absolute_url(reverse("accounts.login"))
    emails.send_signup_attempt_email(email, login_url=login_url)


@db_task(retries=MAIL_RETRIES, retry_delay=MAIL_RETRY_DELAY)
def resend_verification_email(email: str) -> None:
    """A new confirmation link for each unconfirmed account of ``email``; none: nothing is sent."""
    for user in queries.query_unconfirmed_users(email):
        emails.send_verification_email(
            user.email, links.verification_url(user), valid_for=links.VERIFY_MAX_AGE
        )


@db_task(retries=MAIL_RETRIES, retry_delay=MAIL_RETRY_DELAY)
def send_password_reset_email(email: str) -> None:
    """A reset link for each active account of ``email`` with a usable password; none: nothing."""
    for user in queries.query_password_reset_users(email):
        emails.send_password_reset_email(
            user, links.password_reset_url(user), valid_for=links.password_reset_valid_for()
        )


@db_task(retries=MAIL_RETRIES, retry_delay=MAIL_RETRY_DELAY)
def send_password_changed_email(user_id: int, tokens_revoked: int, by_reset: bool) -> None:
    user = get_user_model().objects.filter(pk=user_id).select_related("profile").first()
    if user is None or not user.email:
        return
    emails.send_password_changed_email(user, tokens_revoked=tokens_revoked, by_reset=by_reset)
