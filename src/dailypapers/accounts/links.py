"""The links the accounts feature emails: absolute URLs and the signed tokens in them.

Links are built from ``SITE_URL``, never from a request's Host header (the mail jobs have no
request). A confirmation link carries a ``TimestampSigner`` token of the account's id and address
(salted for this one purpose); a password-reset link carries Django's reset token, which stops
working once the password or the last log-in changes.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

VERIFY_SALT = "dailypapers.accounts.verify-email"
VERIFY_MAX_AGE = dt.timedelta(days=3)


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def verification_token(user: User) -> str:
    signer = signing.TimestampSigner(salt=VERIFY_SALT)
    return signer.sign_object({"u": user.pk, "e": user.email})


def verification_url(user: User) -> str:
    return absolute_url(reverse("accounts.verify", args=[verification_token(user)]))


def password_reset_url(user: User) -> str:
    """The link of a reset email, with the token Django's reset views check (their default)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return absolute_url(reverse("accounts.password_reset_confirm", args=[uid, token]))


def password_reset_valid_for() -> dt.timedelta:
    return dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
