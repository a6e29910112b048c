"""Log in (username in any case, or email), log out (POST only), redirects, session cookie."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.accounts.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("login", ["ada", "ADA", "ada@example.org", "Ada@Example.ORG"])
def test_login_accepts_the_username_in_any_case_or_the_email(client, login):
    make_user("ada", email="ada@example.org")

    response = client.post(reverse("accounts.login"), {"username": login, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("papers.feed")
    assert client.session["_auth_user_id"]


@pytest.mark.parametrize(
    ("login", "password"), [("ada", "wrong password"), ("nobody", PASSWORD), ("", PASSWORD)]
)
def test_bad_credentials_get_one_generic_answer(client, login, password):
    make_user("ada")

    response = client.post(reverse("accounts.login"), {"username": login, "password": password})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    if login:
        assert b"Wrong username, email or password." in response.content


def test_login_follows_a_local_next_but_not_another_host(client):
    make_user("ada")
    url = reverse("accounts.login")

    local = client.post(f"{url}?next=/papers/week", {"username": "ada", "password": PASSWORD})
    client.logout()
    other = client.post(
        url, {"username": "ada", "password": PASSWORD, "next": "https://evil.example/x"}
    )

    assert local["Location"] == "/papers/week"
    assert other["Location"] == reverse("papers.feed")


def test_the_session_cookie_is_http_only_and_same_site(client):
    make_user("ada")

    response = client.post(reverse("accounts.login"), {"username": "ada", "password": PASSWORD})

    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_passwords_are_stored_with_argon2(client):
    user = make_user("ada")

    assert user.password.startswith("argon2$argon2id$")
    assert PASSWORD not in user.password


def test_logout_is_a_post_and_a_get_changes_nothing(client):
    client.force_login(make_user("ada"))

    by_get = client.get(reverse("accounts.logout"))
    still_in = "_auth_user_id" in client.session
    by_post = client.post(reverse("accounts.logout"))

    assert by_get.status_code == 405
    assert still_in
    assert by_post.status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_header_shows_login_links_or_the_signed_in_user(client):
    anonymous = client.get(reverse("papers.feed")).content.decode()
    client.force_login(make_user("ada"))
    signed_in = client.get(reverse("papers.feed")).content.decode()

    assert 'href="/accounts/login"' in anonymous and 'href="/accounts/signup"' in anonymous
    assert 'href="/users/ada"' in signed_in
    assert 'action="/accounts/logout"' in signed_in
    assert "csrfmiddlewaretoken" in signed_in
    assert 'href="/accounts/login"' not in signed_in


def test_a_signed_in_user_is_never_served_the_anonymous_page_cache(client, settings):
    settings.CACHE_SECONDS = 60
    client.get(reverse("papers.feed"))  # fills the anonymous cache
    client.force_login(make_user("ada"))

    page = client.get(reverse("papers.feed"))

    assert 'href="/users/ada"' in page.content.decode()
