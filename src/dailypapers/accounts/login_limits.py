"""Limits on logging in, for the site's login page and the admin's (docs/accounts.md).

Two counts guard every login POST, both the ``login`` action of ``DAILYPAPERS_RATE_LIMITS``:

* **per client** (``ratelimit.client_key``): every POST counts, so one client cannot try many
  passwords, whatever accounts it names;
* **per account**: only failures count, keyed on the account the typed name resolves to
  (``queries.get_login_account``: any case, surrounding spaces, username or email address are
  one account); a name with no account is keyed on the name as typed, lower-cased, so guesses at
  it are limited alike and the answers do not tell which names exist. The attempt is counted
  before the password is checked (parallel requests cannot all slip in) and given back when the
  login succeeds.

Counting failures per account lets anyone hold an account's logins back by failing on purpose.
So a browser that has signed in to an account before (a **known device**) has its own count for
that account instead of the shared one: an attacker failing on a member's name blocks other
unknown clients, never the member's own devices. A device is known by the ``dp_known_device``
cookie: a signed list of (account id, random device id, tag of the password hash) written after a
successful login, a password reset or a password change. It is HttpOnly, lasts a year
(refreshed at each login), holds up to five accounts, and names only accounts this browser
signed in to; a password change or reset ends every other device's standing, since the tag no
longer matches. A stolen cookie gives its thief only that device's own count.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.signals import user_logged_in
from django.core import signing
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase
from django.utils.crypto import constant_time_compare, salted_hmac

from dailypapers.accounts.queries import get_login_account
from dailypapers.ratelimit import client_key, hit, refund, too_many_requests

ACTION = "login"
COOKIE = "dp_known_device"
SALT = "dailypapers.accounts.known-device"
KNOWN_FOR_SECONDS = 365 * 24 * 3600
MAX_ACCOUNTS = 5  # accounts remembered per browser; the oldest is forgotten first
LOCKED_HINT = (
    "If this is your account: a browser you have logged in with before is not held back by "
    "other people's failed attempts, and resetting your password works from any browser."
)


def _tag(user: AbstractBaseUser) -> str:
    """Ties a device entry to the account's current password: a new password unties them all."""
    return salted_hmac(SALT, f"{user.pk}:{user.password}").hexdigest()[:24]


def _entries(request: HttpRequest) -> list[list]:
    """The cookie's (account id, device id, tag) entries, or none when it is absent or forged."""
    raw = request.COOKIES.get(COOKIE, "")
    if not raw or len(raw) > 4096:
        return []
    try:
        entries = signing.loads(raw, salt=SALT, max_age=KNOWN_FOR_SECONDS)
    except signing.BadSignature:
        return []
    if not isinstance(entries, list):
        return []
    return [
        entry
        for entry in entries[:MAX_ACCOUNTS]
        if isinstance(entry, list) and len(entry) == 3 and all(isinstance(v, str) for v in entry)
    ]


def known_device(request: HttpRequest, user: AbstractBaseUser) -> str | None:
    """This browser's device id for ``user``, if it signed in to that account before."""
    for account, device, tag in _entries(request):
        if account == str(user.pk) and constant_time_compare(tag, _tag(user)):
            return device
    return None


def remember_device(
    request: HttpRequest, response: HttpResponseBase, user: AbstractBaseUser
) -> None:
    """Mark this browser as a known device of ``user`` (keeping its device id if it had one)."""
    device = known_device(request, user) or secrets.token_urlsafe(12)
    others = [entry for entry in _entries(request) if entry[0] != str(user.pk)]
    entries = [[str(user.pk), device, _tag(user)], *others][:MAX_ACCOUNTS]
    response.set_cookie(
        COOKIE,
        signing.dumps(entries, salt=SALT),
        max_age=KNOWN_FOR_SECONDS,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def account_key(request: HttpRequest, typed: str) -> str:
    """The per-account key of a login POST: the account (or this device of it), else the name."""
    account = get_login_account(typed)
    if account is None:
        return "name:" + typed.strip().lower()[:254]
    device = known_device(request, account)
    return f"account:{account.pk}:device:{device}" if device else f"account:{account.pk}"


@receiver(user_logged_in, dispatch_uid="dailypapers.accounts.login_limits")
def _note_login(sender, request: HttpRequest | None, user: AbstractBaseUser, **kwargs) -> None:
    if request is not None:
        request._dailypapers_logged_in = user  # type: ignore[attr-defined]


def limit_logins(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Wrap a login view (the site's or the admin's): both counts above, known devices."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        if request.method != "POST":
            return view(request, *args, **kwargs)
        wait = hit(ACTION, client_key(request))
        if wait:
            return too_many_requests(request, wait, ACTION)
        key = account_key(request, request.POST.get("username", ""))
        wait = hit(ACTION, key)
        if wait:
            return too_many_requests(request, wait, ACTION, hint=LOCKED_HINT)
        response = view(request, *args, **kwargs)
        user = getattr(request, "_dailypapers_logged_in", None)
        if user is not None:
            refund(ACTION, key)
            remember_device(request, response, user)
        return response

    return wrapper
