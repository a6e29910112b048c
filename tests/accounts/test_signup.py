"""Sign-up: an inactive account, a confirmation email through the SMTP server, a link whose GET
only shows a button and whose POST activates the account once; no address enumeration."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.urls import reverse

from dailypapers.accounts import links
from dailypapers.accounts.models import Profile
from tests.accounts.conftest import PASSWORD, links_in, make_user

pytestmark = pytest.mark.django_db

User = get_user_model()


def signup_data(**overrides) -> dict:
    data = {
        "username": "ada",
        "display_name": "Ada Lovelace",
        "email": "ada@example.org",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    return {**data, **overrides}


def confirmation_link(smtp_server) -> str:
    (mail,) = smtp_server.wait_for(1)
    (link,) = [url for url in links_in(mail.body("plain")) if "/accounts/verify/" in url]
    return link


def test_signup_creates_an_inactive_account_and_emails_a_confirmation_link(
    post, smtp_server, settings
):
    settings.SITE_URL = "https://papers.example.org"

    response = post(reverse("accounts.signup"), signup_data())

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts.signup_sent")
    user = User.objects.get(username="ada")
    assert not user.is_active
    assert user.password.startswith("argon2$")
    assert Profile.objects.get(user=user).display_name == "Ada Lovelace"
    (mail,) = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["ada@example.org"]
    assert confirmation_link(smtp_server).startswith("https://papers.example.org/accounts/verify/")


def test_the_confirmation_link_ignores_the_request_host(post, smtp_server, settings):
    settings.SITE_URL = "https://papers.example.org"
    settings.ALLOWED_HOSTS = ["*"]

    post(reverse("accounts.signup"), signup_data(), HTTP_HOST="evil.example")

    assert "evil.example" not in confirmation_link(smtp_server)


def test_opening_the_link_shows_a_button_and_changes_nothing(client, post, smtp_server):
    post(reverse("accounts.signup"), signup_data())
    path = confirmation_link(smtp_server).removeprefix("http://127.0.0.1:8000")

    page = client.get(path)

    assert page.status_code == 200
    assert b"Confirm and activate" in page.content
    assert b'method="post"' in page.content
    assert not User.objects.get(username="ada").is_active


def test_posting_the_link_activates_the_account_once(client, post, smtp_server):
    post(reverse("accounts.signup"), signup_data())
    path = confirmation_link(smtp_server).removeprefix("http://127.0.0.1:8000")

    confirmed = client.post(path)
    again = client.post(path)

    assert confirmed.status_code == 302
    assert confirmed["Location"] == reverse("accounts.login")
    user = User.objects.get(username="ada")
    assert user.is_active
    assert Profile.objects.get(user=user).email_verified_at is not None
    assert again.status_code == 410  # spent, like an expired link
    assert b"Already confirmed" in again.content


def test_the_confirmed_account_can_log_in(client, post, smtp_server):
    post(reverse("accounts.signup"), signup_data())
    client.post(confirmation_link(smtp_server).removeprefix("http://127.0.0.1:8000"))

    response = client.post(reverse("accounts.login"), {"username": "ada", "password": PASSWORD})

    assert response.status_code == 302
    assert client.get(reverse("papers.feed")).context["user"].get_username() == "ada"


def test_an_expired_link_is_refused_with_410_and_offers_a_new_one(client, monkeypatch):
    user = make_user("ada", confirmed=False)
    four_days_ago = time.time() - 4 * 24 * 3600
    monkeypatch.setattr(signing.time, "time", lambda: four_days_ago)
    token = links.verification_token(user)
    monkeypatch.undo()

    response = client.post(reverse("accounts.verify", args=[token]))

    assert response.status_code == 410
    assert b"expired" in response.content
    assert reverse("accounts.verify_resend").encode() in response.content
    user.refresh_from_db()
    assert not user.is_active


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_link_is_refused_with_400(client, method):
    user = make_user("ada", confirmed=False)
    token = links.verification_token(user)
    forged = token.replace(token.split(":")[0], signing.b64_encode(b'{"u":1,"e":"x@y.z"}').decode())

    response = getattr(client, method)(reverse("accounts.verify", args=[forged]))

    assert response.status_code == 400
    assert b"not valid" in response.content


def test_a_link_sent_to_an_old_address_stops_working(client):
    user = make_user("ada", confirmed=False)
    token = links.verification_token(user)
    user.email = "new@example.org"
    user.save()

    response = client.post(reverse("accounts.verify", args=[token]))

    assert response.status_code == 400
    user.refresh_from_db()
    assert not user.is_active


def test_signing_up_with_a_taken_address_looks_the_same_and_tells_the_owner(post, smtp_server):
    make_user("ada", email="ada@example.org")

    response = post(
        reverse("accounts.signup"), signup_data(username="other", email="ADA@example.org")
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts.signup_sent")
    assert not User.objects.filter(username="other").exists()
    (mail,) = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["ADA@example.org"]
    assert "already has an account" in mail.body("plain")
    assert "/accounts/verify/" not in mail.body("plain")


def test_a_username_is_taken_whatever_its_case(client):
    make_user("Ada")

    response = client.post(reverse("accounts.signup"), signup_data(username="aDA"))

    assert response.status_code == 200
    assert "This username is taken." in response.context["form"].errors["username"]
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"password2": "something else entirely"}, "password2", "The two passwords differ."),
        ({"password1": "password", "password2": "password"}, "password1", "too common"),
        ({"password1": "12345678901", "password2": "12345678901"}, "password1", "entirely numeric"),
        ({"username": "a"}, "username", "at least 2 characters"),
        ({"username": "ada lovelace"}, "username", "Use letters"),
        ({"username": "-ada"}, "username", "Use letters"),
        ({"username": "adа"}, "username", "Use letters"),  # Cyrillic а: a look-alike
        ({"email": "not-an-address"}, "email", "valid email"),
        ({"display_name": "two\nlines"}, "display_name", "control characters"),
    ],
)
def test_bad_signup_input_gets_a_clear_error_and_creates_nothing(client, overrides, field, message):
    response = client.post(reverse("accounts.signup"), signup_data(**overrides))

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not User.objects.exists()


def test_an_unconfirmed_account_is_told_to_confirm_only_with_the_right_password(client):
    make_user("ada", confirmed=False)

    wrong = client.post(reverse("accounts.login"), {"username": "ada", "password": "nope nope"})
    right = client.post(reverse("accounts.login"), {"username": "ada", "password": PASSWORD})

    assert b"Wrong username, email or password." in wrong.content
    assert b"Confirm your email address first" not in wrong.content
    assert right.status_code == 200
    assert b"Confirm your email address first" in right.content
    assert "_auth_user_id" not in client.session


def test_resend_sends_a_new_link_to_an_unconfirmed_account_only(post, smtp_server):
    make_user("ada", email="ada@example.org", confirmed=False)
    make_user("bob", email="bob@example.org", confirmed=True)

    for address in ["ADA@example.org", "bob@example.org", "nobody@example.org"]:
        response = post(reverse("accounts.verify_resend"), {"email": address})
        assert response.status_code == 302  # the same answer whatever the address

    # SMTP delivery ends before the response: whatever was sent has arrived.
    assert len(smtp_server.received) == 1
    (mail,) = smtp_server.received
    assert mail.rcpt_tos == ["ada@example.org"]
    assert "/accounts/verify/" in mail.body("plain")


def test_the_signup_page_sends_a_logged_in_user_to_their_profile(client):
    client.force_login(make_user("ada"))

    response = client.get(reverse("accounts.signup"))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts.profile", args=["ada"])
