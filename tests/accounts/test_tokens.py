"""Personal API tokens: created on /accounts/tokens (secret shown once, stored as SHA-256),
listed, revoked; ``TokenAuth`` resolves ``Authorization: Bearer`` to the user."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dailypapers.accounts import services
from dailypapers.accounts.models import ApiToken
from tests.accounts.conftest import make_user

pytestmark = pytest.mark.django_db


def create_token(client, name: str = "laptop") -> str:
    response = client.post(reverse("accounts.tokens"), {"name": name})
    assert response.status_code == 201
    return response.context["created"]["secret"]


def test_a_new_token_is_shown_once_and_stored_only_hashed(client):
    client.force_login(make_user("ada"))

    secret = create_token(client)
    listing = client.get(reverse("accounts.tokens"))

    token = ApiToken.objects.get()
    assert secret.startswith("dp_") and len(secret) >= 40
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:11]
    assert secret not in listing.content.decode()
    assert f"{token.prefix}…" in listing.content.decode()
    assert listing["Cache-Control"].startswith("max-age=0")
    assert "no-store" in listing["Cache-Control"]


def test_each_token_is_different(client):
    client.force_login(make_user("ada"))

    assert create_token(client, "one") != create_token(client, "two")


def test_revoking_deletes_only_your_own_token(client):
    ada, bob = make_user("ada"), make_user("bob")
    bobs, _ = services.create_api_token(bob, "bob's")
    client.force_login(ada)
    create_token(client)
    adas = ApiToken.objects.get(user=ada)

    other = client.post(reverse("accounts.token_revoke", args=[bobs.pk]))
    own = client.post(reverse("accounts.token_revoke", args=[adas.pk]))

    assert other.status_code == 404
    assert own.status_code == 302
    assert list(ApiToken.objects.values_list("user__username", flat=True)) == ["bob"]


def test_revoking_by_get_is_refused(client):
    user = make_user("ada")
    token, _ = services.create_api_token(user, "x")
    client.force_login(user)

    response = client.get(reverse("accounts.token_revoke", args=[token.pk]))

    assert response.status_code == 405
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_a_user_cannot_hold_more_than_the_limit(client, settings):
    user = make_user("ada")
    for n in range(services.MAX_TOKENS_PER_USER):
        services.create_api_token(user, f"t{n}")
    client.force_login(user)

    response = client.post(reverse("accounts.tokens"), {"name": "one too many"})

    assert response.status_code == 200
    assert b"revoke one first" in response.content
    assert ApiToken.objects.count() == services.MAX_TOKENS_PER_USER


def test_token_pages_need_a_login(client):
    response = client.get(reverse("accounts.tokens"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts.login"))


# TokenAuth, through a ninja API that uses it as other features' write endpoints do.

bearer = pytest.mark.urls("tests.accounts.token_api")


@bearer
def test_a_valid_token_authenticates_its_user(client):
    _, secret = services.create_api_token(make_user("ada"), "script")

    response = client.get("/api/whoami", HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert response.status_code == 200
    assert response.json() == {"auth": "ada", "user": "ada"}


@bearer
def test_a_token_post_needs_no_csrf_token():
    _, secret = services.create_api_token(make_user("ada"), "script")
    client = Client(enforce_csrf_checks=True)

    response = client.post("/api/write", HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert response.status_code == 200
    assert response.json() == {"written_by": "ada"}


@bearer
@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Basic YWRhOnB3",
        "Bearer dp_not-a-real-token-at-all-0000000000000000",
        "Bearer " + "dp_" + "x" * 5000,
        "Bearer ghp_someone-elses-token",
    ],
    ids=["missing", "empty", "basic", "unknown", "oversize", "foreign"],
)
def test_requests_without_a_valid_token_get_401(client, header):
    services.create_api_token(make_user("ada"), "script")
    extra = {"HTTP_AUTHORIZATION": header} if header else {}

    response = client.get("/api/whoami", **extra)

    assert response.status_code == 401


@bearer
def test_a_right_prefix_with_a_wrong_secret_is_refused(client):
    _, secret = services.create_api_token(make_user("ada"), "script")
    wrong = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")

    response = client.get("/api/whoami", HTTP_AUTHORIZATION=f"Bearer {wrong}")

    assert response.status_code == 401


@bearer
def test_a_revoked_token_stops_working_at_once(client):
    user = make_user("ada")
    token, secret = services.create_api_token(user, "script")
    services.revoke_api_token(user, token.pk)

    response = client.get("/api/whoami", HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert response.status_code == 401


@bearer
def test_a_deactivated_users_token_is_refused(client):
    user = make_user("ada")
    _, secret = services.create_api_token(user, "script")
    user.is_active = False
    user.save()

    response = client.get("/api/whoami", HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert response.status_code == 401


@bearer
def test_last_used_is_written_at_most_once_a_minute(client):
    token, secret = services.create_api_token(make_user("ada"), "script")
    header = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    client.get("/api/whoami", **header)
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    client.get("/api/whoami", **header)
    second = ApiToken.objects.get(pk=token.pk).last_used_at
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - dt.timedelta(seconds=61))
    client.get("/api/whoami", **header)
    third = ApiToken.objects.get(pk=token.pk).last_used_at

    assert first is not None and first <= timezone.now()
    assert second == first  # a second request within the minute writes nothing
    assert third >= first  # a minute later the request is recorded again
