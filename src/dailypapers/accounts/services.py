"""Writes of the accounts feature: sign-up, email confirmation, password resets, profile edits,
API tokens.

Views and the API call these; nothing here knows about HTTP. Emails are background jobs
(``accounts.tasks``) queued after the surrounding transaction commits, so a rolled-back sign-up
never sends a link to an account that does not exist, and a request does the same work whether
or not the address it was given has an account: it queues one job (the worker looks the address
up and sends), and a sign-up hashes the password once either way.

Email links carry signed, expiring tokens (``accounts.links``). A confirmation link is single-use
because confirming sets ``Profile.email_verified_at`` with a conditional UPDATE: the second use,
or two uses racing, find nothing left to update.

A password reset by email revokes every API token of the account (``complete_password_reset``):
whoever had the old password may have made tokens with it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from dailypapers.accounts import tasks
from dailypapers.accounts.links import VERIFY_MAX_AGE, VERIFY_SALT
from dailypapers.accounts.models import ApiToken, Profile
from dailypapers.accounts.queries import normalize_email
from dailypapers.tasks import enqueue_on_commit

TOKEN_PREFIX = "dp_"
TOKEN_PREFIX_LENGTH = len(TOKEN_PREFIX) + 8
# A presented token longer than this is not one of ours: refuse it before hashing anything.
TOKEN_MAX_LENGTH = 100
MAX_TOKENS_PER_USER = 20
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class UsernameTaken(Exception):
    """Another account has this username (checked case-insensitively)."""


class TooManyTokens(Exception):
    """The user already has ``MAX_TOKENS_PER_USER`` tokens."""


def username_taken(username: str) -> bool:
    return get_user_model().objects.filter(username__iexact=username).exists()


def email_taken(email: str) -> bool:
    return get_user_model().objects.filter(email__iexact=normalize_email(email)).exists()


def sign_up(*, username: str, email: str, password: str, display_name: str = "") -> User | None:
    """Create an inactive account and email it a confirmation link.

    When the address already belongs to an account, nothing is created and the address's owner
    is told by email instead; the caller shows the same "check your email" page either way, so
    the form does not reveal which addresses have accounts. Either way the request hashes the
    password once and queues one mail job.
    """
    email = normalize_email(email)
    if email_taken(email):
        # Hash anyway: answering without the argon2 work would tell taken addresses by timing.
        make_password(password)
        enqueue_on_commit(tasks.send_signup_attempt_email, email)
        return None
    try:
        with transaction.atomic():
            if username_taken(username):
                raise UsernameTaken(username)
            user = get_user_model().objects.create_user(
                username=username, email=email, password=password, is_active=False
            )
            Profile.objects.create(user=user, display_name=display_name)
    except IntegrityError:
        raise UsernameTaken(username) from None  # lost a race with an identical sign-up
    send_verification(user)
    return user


def send_verification(user: User) -> None:
    """Queue the confirmation email of ``user`` (sent after the commit, by the worker)."""
    enqueue_on_commit(tasks.send_verification_email, user.pk)


@dataclass(frozen=True)
class Verification:
    user: User | None
    problem: Literal["invalid", "expired", "used"] | None = None


def check_verification_token(token: str) -> Verification:
    """Which account a confirmation link is for, or why it cannot be used."""
    if len(token) > 500:
        return Verification(None, "invalid")
    signer = signing.TimestampSigner(salt=VERIFY_SALT)
    try:
        data = signer.unsign_object(token, max_age=VERIFY_MAX_AGE)
    except signing.SignatureExpired:
        return Verification(None, "expired")
    except signing.BadSignature:
        return Verification(None, "invalid")
    user = get_user_model().objects.filter(pk=data.get("u")).first()
    # The address is part of the signed data: a link sent to an old address stops working.
    if user is None or user.email != data.get("e"):
        return Verification(None, "invalid")
    profile = Profile.objects.filter(user=user).first()
    if profile is not None and profile.email_verified_at is not None:
        return Verification(user, "used")
    return Verification(user)


def confirm_email(user: User) -> bool:
    """Mark the address confirmed and activate the account; False if it already was.

    An account a moderator suspended before it confirmed stays inactive: confirming proves the
    address, it does not lift a suspension.
    """
    with transaction.atomic():
        profile, _ = Profile.objects.get_or_create(user=user)
        updated = Profile.objects.filter(pk=profile.pk, email_verified_at__isnull=True).update(
            email_verified_at=timezone.now()
        )
        if not updated:
            return False
        activated = (
            get_user_model()
            .objects.filter(pk=user.pk, profile__suspended_at__isnull=True)
            .update(is_active=True)
        )
    user.is_active = bool(activated)
    return True


def resend_verification(email: str) -> None:
    """Queue a new link for the unconfirmed accounts of ``email``, if any (the job looks)."""
    enqueue_on_commit(tasks.resend_verification_email, normalize_email(email))


def request_password_reset(email: str) -> None:
    """Queue a reset link for the active accounts of ``email``, if any (the job looks)."""
    enqueue_on_commit(tasks.send_password_reset_email, email.strip())


def complete_password_reset(user: User) -> int:
    """After a password was set through a reset link: revoke every API token, tell the owner.

    Returns how many tokens were revoked. (Django's reset already ends every session: they are
    bound to the old password's hash.)
    """
    revoked = revoke_all_api_tokens(user)
    enqueue_on_commit(tasks.send_password_changed_email, user.pk, revoked, True)
    return revoked


def notify_password_changed(user: User) -> None:
    """After a signed-in user changed their password: tell the owner (tokens are kept)."""
    enqueue_on_commit(tasks.send_password_changed_email, user.pk, 0, False)


def profile_of(user: User) -> Profile:
    """The user's profile, created on first need (accounts made with ``createsuperuser`` have none)."""
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


def update_display_name(user: User, display_name: str) -> Profile:
    profile = profile_of(user)
    profile.display_name = display_name
    profile.save(update_fields=["display_name"])
    return profile


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the secret, which is never stored or shown again."""
    with transaction.atomic():
        # Lock the user's row so two concurrent creations cannot both pass the limit.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        if ApiToken.objects.filter(user=user).count() >= MAX_TOKENS_PER_USER:
            raise TooManyTokens(user.pk)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(30)
        token = ApiToken.objects.create(
            user=user, name=name, prefix=secret[:TOKEN_PREFIX_LENGTH], digest=_digest(secret)
        )
    return token, secret


def revoke_api_token(user: User, token_id: int) -> bool:
    """Delete one of ``user``'s tokens; False when there is no such token of theirs."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return bool(deleted)


def revoke_all_api_tokens(user: User) -> int:
    """Delete every token of ``user``; returns how many there were."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted


def user_for_api_token(presented: str) -> User | None:
    """The active user a presented token belongs to, or None.

    Candidates are found by prefix, then the digests are compared in constant time, so response
    timing says nothing about how much of a guessed token was right.
    """
    if not presented.startswith(TOKEN_PREFIX) or len(presented) > TOKEN_MAX_LENGTH:
        return None
    digest = _digest(presented)
    found = None
    for candidate in ApiToken.objects.filter(prefix=presented[:TOKEN_PREFIX_LENGTH]).select_related(
        "user"
    ):
        if hmac.compare_digest(candidate.digest, digest):
            found = candidate
    if found is None or not found.user.is_active:
        return None
    now = timezone.now()
    if found.last_used_at is None or now - found.last_used_at >= LAST_USED_RESOLUTION:
        # Conditional, so concurrent requests write at most once a minute between them.
        ApiToken.objects.filter(pk=found.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
    return found.user
