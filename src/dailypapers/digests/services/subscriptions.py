"""Subscribing, confirming, preferences, unsubscribing and "not interested", and the signed links
that authorise them (no login needed: the link is the credential).

Signed links: one salt per purpose, each token good for that purpose only
--------------------------------------------------------------------------
Every token is signed with the site's secret key (``django.core.signing``) under its own salt, so
a token of one kind fails the signature check of every other kind. Each names its subscriber and
carries the subscriber's ``link_version``; raising it (``revoke_links``, "replace all my links")
makes every earlier link of every kind invalid.

* ``CONFIRM_SALT = "digests.confirm"``, minted by ``confirmation_token``, checked by
  ``check_confirmation_token`` / ``confirm_subscription``: confirms one subscription, **once**. A
  ``TimestampSigner`` token (expires after ``DAILYPAPERS_DIGEST_CONFIRM_HOURS``) naming the
  subscriber and the address, with a keyed fingerprint of the subscription's state (link version,
  status, last confirmation, last unsubscribe). Confirming changes that state, and so do
  unsubscribing and replacing the links: the link then answers "used" (410).
* ``PREFERENCES_SALT = "digests.preferences"``, minted by ``preferences_token``, checked by
  ``subscriber_for_preferences``: opens and saves the preferences page and "replace all my links"
  (POST, CSRF). Sent in the body of a digest and the new-links email, never in a header.
* ``UNSUBSCRIBE_SALT = "digests.unsubscribe"``, minted by ``unsubscribe_token``, checked by
  ``subscriber_to_unsubscribe``: unsubscribes, nothing else. It is the one in the
  ``List-Unsubscribe`` header (read by mail relays and providers), the visible link and the
  RFC 8058 one-click POST (no CSRF: the token is the credential).
* ``NOT_INTERESTED_SALT = "digests.not-interested"``, minted by ``not_interested_token``, checked
  by ``not_interested_target``: "not interested" in the one paper it names; its page links
  nowhere else.
* ``LEGACY_MANAGE_SALT = "digests.manage"``, never minted again: digests sent before links were
  split carried this one token for preferences *and* unsubscribe (in ``List-Unsubscribe`` too).
  ``subscriber_to_unsubscribe`` still accepts it, so an old digest still unsubscribes; nothing
  else does (its preferences link answers "not valid": the latest digest carries a new one).

Preferences, unsubscribe and "not interested" links do not expire (a digest from last year must
still unsubscribe). Tokens longer than ``MAX_TOKEN_CHARS`` are refused unread.

Who may skip the confirmation
-----------------------------
A signed-in account whose address is verified subscribes *that* address at once (it is already
proven), and only when the subscription row is that account's or nobody's (a row with no owner is
then attached to the account). Every other request (anonymous, another address, an unverified
account address, a row owned by another account) gets a confirmation email and the same "check
your inbox" answer whether or not the address is subscribed, and changes nothing about an
existing subscription: only following the emailed link does. Nothing else is ever sent to an
address before it is confirmed (confirmation emails are rate limited per IP and per address in
the view).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from dailypapers.digests import emails
from dailypapers.digests.models import NotInterested, Subscriber
from dailypapers.papers.models import Paper

CONFIRM_SALT = "digests.confirm"
PREFERENCES_SALT = "digests.preferences"
UNSUBSCRIBE_SALT = "digests.unsubscribe"
NOT_INTERESTED_SALT = "digests.not-interested"
LEGACY_MANAGE_SALT = "digests.manage"  # accepted by the unsubscribe page only; never minted
MAX_TOKEN_CHARS = 500
MAX_INTERESTS_CHARS = 500
MAX_NAMES = 20
MAX_NAME_CHARS = 200
CATEGORY = re.compile(r"^[a-z][a-z-]*(\.[A-Za-z-]+)?$")
TIME_ZONES = frozenset(zoneinfo.available_timezones())


class InvalidAddress(ValueError):
    """Not an email address we can send to (the message says why)."""


def normalize_address(email: str) -> str:
    """Trimmed, validated, lower-cased; CR, LF and any control character are refused."""
    text = (email or "").strip()
    if len(text) > 254 or any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise InvalidAddress("Enter a valid email address.")
    try:
        validate_email(text)
    except ValidationError:
        raise InvalidAddress("Enter a valid email address.") from None
    return BaseUserManager.normalize_email(text).lower()


def absolute_url(path: str) -> str:
    # Links in emails use the configured public URL, never a request's Host header.
    return f"{settings.SITE_URL}{path}"


# -- signed links ---------------------------------------------------------------------------------


def _confirm_state(subscriber: Subscriber) -> str:
    """A keyed fingerprint of what a confirmation link must find unchanged. Confirming sets
    ``confirmed_at``, unsubscribing sets ``unsubscribed_at``, "replace all my links" raises
    ``link_version``: after any of them, every confirmation link sent before answers "used"."""

    def moment(value: dt.datetime | None) -> str:
        return value.astimezone(dt.UTC).isoformat() if value else "-"

    state = "|".join(
        [
            str(subscriber.pk),
            subscriber.email,
            str(subscriber.link_version),
            subscriber.status,
            moment(subscriber.confirmed_at),
            moment(subscriber.unsubscribed_at),
        ]
    )
    return salted_hmac(f"{CONFIRM_SALT}.state", state).hexdigest()[:32]


def confirmation_token(subscriber: Subscriber) -> str:
    signer = signing.TimestampSigner(salt=CONFIRM_SALT)
    return signer.sign_object(
        {"s": subscriber.pk, "e": subscriber.email, "h": _confirm_state(subscriber)}
    )


def _sign(salt: str, subscriber: Subscriber, **extra: int) -> str:
    return signing.Signer(salt=salt).sign_object(
        {"s": subscriber.pk, "v": subscriber.link_version, **extra}
    )


def preferences_token(subscriber: Subscriber) -> str:
    return _sign(PREFERENCES_SALT, subscriber)


def unsubscribe_token(subscriber: Subscriber) -> str:
    return _sign(UNSUBSCRIBE_SALT, subscriber)


def not_interested_token(subscriber: Subscriber, paper_id: int) -> str:
    return _sign(NOT_INTERESTED_SALT, subscriber, p=int(paper_id))


@functools.cache
def _route_prefix(name: str) -> str:
    """The path of a ``<token>`` route up to the token: reversed once, not once per link (a
    digest holds eleven links, a run sends 100,000 digests)."""
    marker = "TOKEN"
    path = reverse(name, args=[marker])
    assert path.endswith(marker), f"{name}: the token must end the path"
    return path[: -len(marker)]


def _link(name: str, token: str) -> str:
    return absolute_url(_route_prefix(name) + token)


def preferences_url(subscriber: Subscriber) -> str:
    return _link("digests.preferences", preferences_token(subscriber))


def unsubscribe_url(subscriber: Subscriber) -> str:
    return _link("digests.unsubscribe", unsubscribe_token(subscriber))


def not_interested_url(subscriber: Subscriber, paper_id: int) -> str:
    return _link("digests.not_interested", not_interested_token(subscriber, paper_id))


@dataclass(frozen=True)
class Confirmation:
    subscriber: Subscriber | None
    problem: Literal["", "invalid", "expired", "used"] = ""


def check_confirmation_token(token: str) -> Confirmation:
    """Whose subscription a confirmation link confirms, or why it cannot (nothing is changed)."""
    if len(token) > MAX_TOKEN_CHARS:
        return Confirmation(None, "invalid")
    signer = signing.TimestampSigner(salt=CONFIRM_SALT)
    try:
        data = signer.unsign_object(token, max_age=settings.DIGEST_CONFIRM_HOURS * 3600)
    except signing.SignatureExpired:
        return Confirmation(None, "expired")
    except (signing.BadSignature, ValueError, TypeError):
        return Confirmation(None, "invalid")
    if not isinstance(data, dict) or not isinstance(data.get("s"), int):
        return Confirmation(None, "invalid")
    if not isinstance(data.get("e"), str) or not isinstance(data.get("h"), str):
        return Confirmation(None, "invalid")
    # The address is part of the signed data: a link sent to an earlier address does nothing.
    subscriber = Subscriber.objects.filter(pk=data["s"], email=data["e"]).first()
    if subscriber is None:
        return Confirmation(None, "invalid")
    if not constant_time_compare(_confirm_state(subscriber), data["h"]):
        return Confirmation(None, "used")
    return Confirmation(subscriber)


def _unsign(token: str, salt: str, keys: tuple[str, ...]) -> list[int] | None:
    """The integers ``keys`` names in a signed token, or None (forged, malformed, oversized)."""
    if len(token) > MAX_TOKEN_CHARS:
        return None
    try:
        data = signing.Signer(salt=salt).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict):
        return None
    values = [data.get(key) for key in keys]
    if not all(isinstance(value, int) for value in values):
        return None
    return [int(value) for value in values if isinstance(value, int)]


def _current(data: list[int] | None) -> Subscriber | None:
    """The subscriber ``[pk, link_version]`` names, if the links were not replaced since."""
    if data is None:
        return None
    return Subscriber.objects.filter(pk=data[0], link_version=data[1]).first()


def subscriber_for_preferences(token: str) -> Subscriber | None:
    """The subscriber a preferences link names (it also authorises "replace all my links"),
    or None: forged, revoked, or a link of another kind."""
    return _current(_unsign(token, PREFERENCES_SALT, ("s", "v")))


def subscriber_to_unsubscribe(token: str) -> Subscriber | None:
    """The subscriber an unsubscribe link names, or None. The all-purpose link of digests sent
    before links were split (``LEGACY_MANAGE_SALT``) is still honoured here, and only here."""
    keys = ("s", "v")
    return _current(
        _unsign(token, UNSUBSCRIBE_SALT, keys) or _unsign(token, LEGACY_MANAGE_SALT, keys)
    )


def not_interested_target(token: str) -> tuple[Subscriber, Paper] | None:
    data = _unsign(token, NOT_INTERESTED_SALT, ("s", "v", "p"))
    if data is None:
        return None
    subscriber = _current(data[:2])
    paper = Paper.objects.filter(pk=data[2]).first()
    return (subscriber, paper) if subscriber and paper else None


# -- writes ---------------------------------------------------------------------------------------


def _verified_account_address(user) -> str:
    """The account's address, normalised, when the account proved it; "" otherwise."""
    if user is None or not user.is_authenticated or not user.email:
        return ""
    profile = getattr(user, "profile", None)
    if profile is None or not profile.email_verified_at:
        return ""
    try:
        return normalize_address(user.email)
    except InvalidAddress:
        return ""


@dataclass(frozen=True)
class Subscription:
    subscriber: Subscriber
    by_account: bool
    """True only when a signed-in account subscribed its own verified address: it is active,
    no email was sent, and the caller may open its preferences. False: "check your inbox"."""


def subscribe(email: str, *, user=None) -> Subscription:
    """Start (or restart) a subscription for ``email``.

    The signed-in ``user``'s own verified address, on a subscription that is theirs or nobody's,
    is active at once (and becomes theirs). Anything else gets a confirmation email, sent the
    same way whether or not the address is subscribed, and the subscription is left as it is
    until the emailed link is followed.
    """
    address = normalize_address(email)
    own_address = address == _verified_account_address(user)
    now = timezone.now()
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(email=address).first()
        if subscriber is None:
            try:
                with transaction.atomic():
                    subscriber = Subscriber.objects.create(email=address, created=now)
            except IntegrityError:  # two requests at once: the other created it
                subscriber = Subscriber.objects.select_for_update().get(email=address)
        if own_address and subscriber.user_id in (None, user.pk):
            subscriber.user = user
            if subscriber.status != Subscriber.Status.ACTIVE:
                _activate(subscriber, now)
            subscriber.save()
            return Subscription(subscriber, by_account=True)
        url = absolute_url(reverse("digests.confirm", args=[confirmation_token(subscriber)]))
        emails.send_confirmation_email(
            subscriber.email, url, valid_for=dt.timedelta(hours=settings.DIGEST_CONFIRM_HOURS)
        )
    return Subscription(subscriber, by_account=False)


def _activate(subscriber: Subscriber, now: dt.datetime) -> None:
    subscriber.status = Subscriber.Status.ACTIVE
    subscriber.confirmed_at = now
    subscriber.unsubscribed_at = None
    subscriber.bounces = 0


def confirm_subscription(token: str) -> Confirmation:
    """Follow-up of the confirmation link (a POST): the subscription becomes active (pending,
    paused or unsubscribed before; an active one is confirmed again), and the link is used up
    (``confirmed_at`` is part of its fingerprint)."""
    check = check_confirmation_token(token)
    if check.subscriber is None:
        return check
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(pk=check.subscriber.pk).first()
        # Checked again under the row lock: of two clicks racing, one confirms.
        if subscriber is None or _confirm_state(subscriber) != _confirm_state(check.subscriber):
            return Confirmation(None, "used")
        _activate(subscriber, timezone.now())
        subscriber.save(update_fields=["status", "confirmed_at", "unsubscribed_at", "bounces"])
    return Confirmation(subscriber)


def unsubscribe(subscriber: Subscriber) -> None:
    """No further digest: RFC 8058 one-click and the visible link both land here. Idempotent.
    Any confirmation link sent before stops working (``unsubscribed_at`` changes)."""
    Subscriber.objects.filter(pk=subscriber.pk).exclude(
        status=Subscriber.Status.UNSUBSCRIBED
    ).update(status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at=timezone.now())


def revoke_links(subscriber: Subscriber, *, send_new: bool = False) -> None:
    """Every link sent so far (preferences, unsubscribe, "not interested", confirmation, and
    the legacy all-purpose one) stops working (a digest was forwarded, say); with
    ``send_new``, the new preferences link is emailed."""
    Subscriber.objects.filter(pk=subscriber.pk).update(link_version=F("link_version") + 1)
    subscriber.refresh_from_db(fields=["link_version"])
    if send_new:
        emails.send_new_links_email(subscriber.email, preferences_url(subscriber))


def mark_not_interested(subscriber: Subscriber, paper: Paper) -> bool:
    """True when newly recorded (a second click changes nothing)."""
    _, created = NotInterested.objects.get_or_create(subscriber=subscriber, paper=paper)
    return created


def clean_names(lines: list[str] | str) -> list[str]:
    """Author or organization names: one per line, trimmed, de-duplicated, bounded."""
    if isinstance(lines, str):
        lines = lines.splitlines()
    names: list[str] = []
    seen: set[str] = set()
    for line in lines:
        name = " ".join("".join(ch for ch in line if ch.isprintable()).split())[:MAX_NAME_CHARS]
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    if len(names) > MAX_NAMES:
        raise ValueError(f"at most {MAX_NAMES} names")
    return names


def clean_categories(text: str) -> list[str]:
    """``cs.CL cs.LG, stat`` -> ``["cs.CL", "cs.LG", "stat"]``; anything else is refused."""
    categories: list[str] = []
    for part in re.split(r"[\s,]+", text or ""):
        if not part:
            continue
        if len(part) > 40 or not CATEGORY.match(part):
            raise ValueError(f"{part[:40]!r} is not an arXiv category (like cs.CL or stat.ML)")
        if part not in categories:
            categories.append(part)
    if len(categories) > MAX_NAMES:
        raise ValueError(f"at most {MAX_NAMES} categories")
    return categories


def clean_interests(text: str) -> str:
    text = " ".join("".join(ch for ch in (text or "") if ch.isprintable() or ch.isspace()).split())
    if len(text) > MAX_INTERESTS_CHARS:
        raise ValueError(f"at most {MAX_INTERESTS_CHARS} characters")
    return text


def update_preferences(
    subscriber: Subscriber,
    *,
    frequency: str,
    hour: int,
    time_zone: str,
    interests: str,
    authors: list[str],
    organizations: list[str],
    categories: list[str],
    like_upvoted: bool,
) -> Subscriber:
    """Save the preferences (values already cleaned by the form; checked again here)."""
    if frequency not in {"daily", "weekly"}:
        raise ValueError("frequency must be daily or weekly")
    if not 0 <= int(hour) <= 23:
        raise ValueError("hour must be between 0 and 23")
    if time_zone not in TIME_ZONES:
        raise ValueError(f"unknown time zone {time_zone[:64]!r}")
    subscriber.frequency = frequency
    subscriber.hour = int(hour)
    subscriber.time_zone = time_zone
    subscriber.interests = clean_interests(interests)
    subscriber.authors = clean_names(authors)
    subscriber.organizations = clean_names(organizations)
    subscriber.categories = clean_categories(" ".join(categories))
    # "Like what I upvoted" needs an account to read upvotes from.
    subscriber.like_upvoted = bool(like_upvoted and subscriber.user_id)
    subscriber.save(
        update_fields=[
            "frequency",
            "hour",
            "time_zone",
            "interests",
            "authors",
            "organizations",
            "categories",
            "like_upvoted",
        ]
    )
    return subscriber
