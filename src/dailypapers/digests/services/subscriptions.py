"""Subscribing, confirming, preferences, unsubscribing and "not interested", and the signed links
that authorise them (no login needed: the link is the credential).

* The confirmation link is a ``TimestampSigner`` token (salt ``digests.confirm``) naming the
  subscriber and address; it expires after ``DAILYPAPERS_DIGEST_CONFIRM_HOURS``. Nothing is sent
  to an address before it is confirmed, except confirmation emails (rate limited per IP and per
  address in the view).
* Preferences, unsubscribe and "not interested" links are signed without expiry (a digest from
  last year must still unsubscribe) but carry the subscriber's ``link_version``: raising it
  (``revoke_links``) makes every earlier link invalid.
* A signed-in user whose account address is verified subscribes with it at once: the address is
  already proven. Anyone else gets a confirmation email, whether or not the address is already
  subscribed, so the page never reveals who subscribes.
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

from dailypapers.digests import emails
from dailypapers.digests.models import NotInterested, Subscriber
from dailypapers.papers.models import Paper

CONFIRM_SALT = "digests.confirm"
MANAGE_SALT = "digests.manage"
NOT_INTERESTED_SALT = "digests.not-interested"
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


def confirmation_token(subscriber: Subscriber) -> str:
    signer = signing.TimestampSigner(salt=CONFIRM_SALT)
    return signer.sign_object({"s": subscriber.pk, "e": subscriber.email})


def manage_token(subscriber: Subscriber) -> str:
    return signing.Signer(salt=MANAGE_SALT).sign_object(
        {"s": subscriber.pk, "v": subscriber.link_version}
    )


def not_interested_token(subscriber: Subscriber, paper_id: int) -> str:
    return signing.Signer(salt=NOT_INTERESTED_SALT).sign_object(
        {"s": subscriber.pk, "v": subscriber.link_version, "p": int(paper_id)}
    )


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
    return _link("digests.preferences", manage_token(subscriber))


def unsubscribe_url(subscriber: Subscriber) -> str:
    return _link("digests.unsubscribe", manage_token(subscriber))


def not_interested_url(subscriber: Subscriber, paper_id: int) -> str:
    return _link("digests.not_interested", not_interested_token(subscriber, paper_id))


@dataclass(frozen=True)
class Confirmation:
    subscriber: Subscriber | None
    problem: Literal["", "invalid", "expired"] = ""


def check_confirmation_token(token: str) -> Confirmation:
    signer = signing.TimestampSigner(salt=CONFIRM_SALT)
    try:
        data = signer.unsign_object(token, max_age=settings.DIGEST_CONFIRM_HOURS * 3600)
    except signing.SignatureExpired:
        return Confirmation(None, "expired")
    except (signing.BadSignature, ValueError, TypeError):
        return Confirmation(None, "invalid")
    if not isinstance(data, dict) or not isinstance(data.get("s"), int):
        return Confirmation(None, "invalid")
    subscriber = Subscriber.objects.filter(pk=data["s"], email=str(data.get("e"))).first()
    return Confirmation(subscriber, "" if subscriber else "invalid")


def _unsign(token: str, salt: str, keys: tuple[str, ...]) -> list[int] | None:
    """The integers ``keys`` names in a signed token, or None (forged, malformed)."""
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


def subscriber_for_token(token: str) -> Subscriber | None:
    """The subscriber a preferences/unsubscribe link names, or None (forged or revoked)."""
    data = _unsign(token, MANAGE_SALT, ("s", "v"))
    if data is None:
        return None
    return Subscriber.objects.filter(pk=data[0], link_version=data[1]).first()


def not_interested_target(token: str) -> tuple[Subscriber, Paper] | None:
    data = _unsign(token, NOT_INTERESTED_SALT, ("s", "v", "p"))
    if data is None:
        return None
    subscriber = Subscriber.objects.filter(pk=data[0], link_version=data[1]).first()
    paper = Paper.objects.filter(pk=data[2]).first()
    return (subscriber, paper) if subscriber and paper else None


# -- writes ---------------------------------------------------------------------------------------


def _verified_account_address(user) -> str:
    if user is None or not user.is_authenticated or not user.email:
        return ""
    profile = getattr(user, "profile", None)
    return user.email if profile is not None and profile.email_verified_at else ""


def subscribe(email: str, *, user=None) -> Subscriber:
    """Start (or restart) a subscription for ``email``; returns the subscriber.

    A verified account address is active at once; any other address gets a confirmation email
    and stays ``pending`` (an active one stays active: confirming again changes nothing).
    """
    address = normalize_address(email)
    verified = _verified_account_address(user)
    now = timezone.now()
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(email=address).first()
        if subscriber is None:
            try:
                with transaction.atomic():
                    subscriber = Subscriber.objects.create(email=address, created=now)
            except IntegrityError:  # two requests at once: the other created it
                subscriber = Subscriber.objects.select_for_update().get(email=address)
        own_address = user is not None and address == (user.email or "").lower()
        if own_address and user.is_authenticated and subscriber.user_id is None:
            subscriber.user = user
        if verified and address == verified.lower():
            if subscriber.status != Subscriber.Status.ACTIVE:
                _activate(subscriber, now)
            subscriber.save()
            return subscriber
        if subscriber.status == Subscriber.Status.UNSUBSCRIBED:
            # Coming back needs a new opt-in; links from before stay revoked.
            subscriber.status = Subscriber.Status.PENDING
        subscriber.save()
        url = absolute_url(reverse("digests.confirm", args=[confirmation_token(subscriber)]))
        emails.send_confirmation_email(
            subscriber.email, url, valid_for=dt.timedelta(hours=settings.DIGEST_CONFIRM_HOURS)
        )
    return subscriber


def _activate(subscriber: Subscriber, now: dt.datetime) -> None:
    subscriber.status = Subscriber.Status.ACTIVE
    subscriber.confirmed_at = now
    subscriber.unsubscribed_at = None
    subscriber.bounces = 0


def confirm_subscription(subscriber: Subscriber) -> Subscriber:
    """Follow-up of the confirmation link (a POST): pending, paused or unsubscribed -> active."""
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if subscriber.status != Subscriber.Status.ACTIVE:
            _activate(subscriber, timezone.now())
            subscriber.save()
    return subscriber


def unsubscribe(subscriber: Subscriber) -> None:
    """No further digest: RFC 8058 one-click and the visible link both land here. Idempotent."""
    Subscriber.objects.filter(pk=subscriber.pk).exclude(
        status=Subscriber.Status.UNSUBSCRIBED
    ).update(status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at=timezone.now())


def revoke_links(subscriber: Subscriber, *, send_new: bool = False) -> None:
    """Every preferences, unsubscribe and "not interested" link sent so far stops working (a
    digest was forwarded, say); with ``send_new``, the new preferences link is emailed."""
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
