"""Security of the accounts pages: CSRF on every form, 429 with Retry-After on abuse, hostile
names escaped and isolated, oversize input refused cleanly, the site's CSP kept (no inline code)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from dailypapers.accounts import links, services
from dailypapers.ratelimit import COUNTED
from dailypapers.settings import RateLimit
from tests.accounts.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

User = get_user_model()
SCRIPT = "<script>alert(1)</script>"
RLO = "\u202e"
MEGABYTE = "a" * 1_000_000


# CSRF: every form of the accounts pages refuses a POST without the token.

FORMS = [
    ("accounts.signup", [], False),
    ("accounts.login", [], False),
    ("accounts.verify_resend", [], False),
    ("accounts.verify", ["any-token"], False),
    ("accounts.password_reset", [], False),
    ("accounts.password_reset_confirm", ["MQ", "set-password"], False),
    ("accounts.logout", [], True),
    ("accounts.settings", [], True),
    ("accounts.password_change", [], True),
    ("accounts.tokens", [], True),
    ("accounts.token_revoke", [1], True),
    ("accounts.tokens_revoke_all", [], True),
]


@pytest.mark.parametrize(("name", "args", "signed_in"), FORMS, ids=[f[0] for f in FORMS])
def test_every_form_refuses_a_post_without_the_csrf_token(name, args, signed_in):
    user = make_user("ada")
    token, _ = services.create_api_token(user, "keep me")
    client = Client(enforce_csrf_checks=True)
    if signed_in:
        client.force_login(user)

    response = client.post(reverse(name, args=args), {"username": "ada", "password": PASSWORD})

    assert response.status_code == 403
    assert client.session.get("_auth_user_id") == (str(user.pk) if signed_in else None)
    assert user.api_tokens.filter(pk=token.pk).exists()


def test_every_form_page_carries_the_csrf_token(client):
    client.force_login(make_user("ada"))
    pages = ["accounts.settings", "accounts.password_change", "accounts.tokens"]
    client_out = Client()
    public = [
        "accounts.signup",
        "accounts.login",
        "accounts.verify_resend",
        "accounts.password_reset",
    ]

    bodies = [client.get(reverse(n)).content for n in pages]
    bodies += [client_out.get(reverse(n)).content for n in public]

    assert all(b'name="csrfmiddlewaretoken"' in body for body in bodies)


# Rate limits: 429 with Retry-After.


def assert_too_many(response, action: str) -> None:
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert f"Too many {COUNTED[action]}".encode() in response.content


def test_login_is_limited_per_client_ip(client, settings):
    settings.RATE_LIMITS = {"login": RateLimit(3, 300)}
    make_user("ada")
    url = reverse("accounts.login")

    for n in range(3):
        client.post(url, {"username": f"guess{n}", "password": "x"}, REMOTE_ADDR="10.0.0.1")
    blocked = client.post(url, {"username": "ada", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1")
    elsewhere = client.post(url, {"username": "ada", "password": PASSWORD}, REMOTE_ADDR="10.0.0.2")

    assert_too_many(blocked, "login")
    assert elsewhere.status_code == 302  # another client is not blocked


def test_login_is_limited_per_username_across_ips(client, settings):
    settings.RATE_LIMITS = {"login": RateLimit(3, 300)}
    make_user("ada")
    url = reverse("accounts.login")

    for n in range(3):
        client.post(url, {"username": "ada", "password": "guess"}, REMOTE_ADDR=f"10.1.0.{n}")
    blocked = client.post(url, {"username": "ADA ", "password": PASSWORD}, REMOTE_ADDR="10.1.0.9")

    assert_too_many(blocked, "login")
    assert "_auth_user_id" not in client.session


def test_signup_is_limited_per_ip(client, settings):
    settings.RATE_LIMITS = {"signup": RateLimit(2, 3600)}
    url = reverse("accounts.signup")

    answers = [client.post(url, {"username": f"user{n}"}).status_code for n in range(2)]
    blocked = client.post(url, {"username": "user9"})

    assert answers == [200, 200]
    assert_too_many(blocked, "signup")


def test_password_reset_is_limited_per_ip_and_per_address(client, settings):
    settings.RATE_LIMITS = {"password_reset": RateLimit(2, 3600)}
    url = reverse("accounts.password_reset")

    for n in range(2):
        client.post(url, {"email": f"x{n}@example.org"}, REMOTE_ADDR="10.2.0.1")
    by_ip = client.post(url, {"email": "new@example.org"}, REMOTE_ADDR="10.2.0.1")
    for n in range(2):
        client.post(url, {"email": "victim@example.org"}, REMOTE_ADDR=f"10.3.0.{n}")
    by_address = client.post(url, {"email": "Victim@example.org"}, REMOTE_ADDR="10.3.0.9")

    assert_too_many(by_ip, "password_reset")
    assert_too_many(by_address, "password_reset")


def test_the_login_form_itself_is_not_limited_on_get(client, settings):
    settings.RATE_LIMITS = {"login": RateLimit(1, 300)}

    answers = [client.get(reverse("accounts.login")).status_code for _ in range(5)]

    assert answers == [200] * 5


# Hostile strings.


def test_a_hostile_display_name_is_escaped_and_isolated_everywhere(client):
    user = make_user("ada", display_name=f"{SCRIPT}{RLO}gnp.exe")
    client.force_login(user)

    pages = [
        client.get(reverse("accounts.profile", args=["ada"])).content.decode(),
        client.get(reverse("accounts.settings")).content.decode(),
    ]

    for page in pages:
        assert SCRIPT not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert f"<h1><bdi>&lt;script&gt;alert(1)&lt;/script&gt;{RLO}gnp.exe</bdi></h1>" in pages[0]
    title = re.search(r"<title>(.*?)</title>", pages[0], re.S).group(1)
    assert title.startswith("\u2068&lt;script&gt;") and "\u2069" in title  # FSI ... PDI


def test_a_hostile_token_name_is_escaped(client):
    client.force_login(make_user("ada"))

    page = client.post(reverse("accounts.tokens"), {"name": SCRIPT}).content.decode()

    assert SCRIPT not in page
    assert "<bdi>&lt;script&gt;alert(1)&lt;/script&gt;</bdi>" in page


def test_a_hostile_username_is_refused_and_echoed_escaped(client):
    response = client.post(reverse("accounts.signup"), {"username": f"{SCRIPT}{RLO}"})

    page = response.content.decode()
    assert "Use letters" in page
    assert SCRIPT not in page
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("name", "field", "error"),
    [
        ("accounts.signup", "username", "at most 39 characters"),
        ("accounts.signup", "display_name", "at most 80 characters"),
        ("accounts.login", "username", "at most 254 characters"),
        ("accounts.password_reset", "email", "at most 254 characters"),
    ],
)
def test_a_megabyte_string_gets_a_short_error_not_an_echo(client, name, field, error):
    response = client.post(reverse(name), {field: MEGABYTE, "password": "x"})

    assert response.status_code == 200
    assert error in response.content.decode()
    assert len(response.content) < 50_000
    assert not User.objects.exists()


def test_an_oversize_body_is_refused_with_400_and_changes_nothing(client):
    body = {"username": "ada", "display_name": "x" * 2_000_000, "email": "a@example.org"}

    response = client.post(reverse("accounts.signup"), body)

    assert response.status_code == 400
    assert not User.objects.exists()


def test_profiles_of_unknown_or_unconfirmed_accounts_are_404(client):
    make_user("sleeper", confirmed=False)

    assert client.get(reverse("accounts.profile", args=["sleeper"])).status_code == 404
    assert client.get(reverse("accounts.profile", args=["nobody"])).status_code == 404


# The strict CSP: account pages carry it and need no inline script or style.

INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|<style", re.I)


def test_account_pages_use_no_inline_script_or_style(client):
    user = make_user("ada")
    token = links.verification_token(make_user("sleeper", confirmed=False))
    anonymous = [
        reverse("accounts.signup"),
        reverse("accounts.signup_sent"),
        reverse("accounts.login"),
        reverse("accounts.verify_resend"),
        reverse("accounts.verify", args=[token]),
        reverse("accounts.verify", args=["bad"]),
        reverse("accounts.password_reset"),
        reverse("accounts.password_reset_sent"),
        reverse("accounts.password_reset_complete"),
        reverse("accounts.profile", args=["ada"]),
    ]
    pages = [client.get(path) for path in anonymous]
    client.force_login(user)
    for name in ["accounts.settings", "accounts.password_change", "accounts.tokens"]:
        pages.append(client.get(reverse(name)))
    pages.append(client.post(reverse("accounts.tokens"), {"name": "new"}))

    for page in pages:
        assert "default-src 'self'" in page["Content-Security-Policy"]
        assert not INLINE.search(page.content.decode()), page.request["PATH_INFO"]
        assert page.content.decode().count("<h1") == 1
