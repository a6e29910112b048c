"""Revoking every API token at once: a button on the tokens page, and on every password reset.

A reset by email means someone may have had the old password, and with it the tokens page: every
token of the account is revoked, and the page and the email say so. A password change by the
signed-in owner keeps the tokens, and the email says how to revoke them.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from dailypapers.accounts import services
from dailypapers.accounts.models import ApiToken
from tests.accounts.conftest import PASSWORD, links_in, make_user

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase 42"


def tokens_of(user, count: int) -> list[str]:
    return [services.create_api_token(user, f"script {n}")[1] for n in range(count)]


def test_the_tokens_page_revokes_all_of_your_tokens_and_only_yours(client):
    ada, bob = make_user("ada"), make_user("bob")
    mine = tokens_of(ada, 3)
    (theirs,) = tokens_of(bob, 1)
    client.force_login(ada)

    page = client.get(reverse("accounts.tokens")).content.decode()
    assert f'action="{reverse("accounts.tokens_revoke_all")}"' in page
    assert "Revoke all tokens" in page
    response = client.post(reverse("accounts.tokens_revoke_all"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("accounts.tokens")
    assert "All 3 token(s) were revoked" in response.content.decode()
    assert not ApiToken.objects.filter(user=ada).exists()
    assert all(services.user_for_api_token(secret) is None for secret in mine)
    assert services.user_for_api_token(theirs) == bob


def test_revoking_all_needs_a_post_with_the_csrf_token_and_a_login():
    ada = make_user("ada")
    tokens_of(ada, 2)
    url = reverse("accounts.tokens_revoke_all")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(ada)
    anonymous = Client()

    assert strict.get(url).status_code == 405
    assert strict.post(url).status_code == 403  # no CSRF token
    assert anonymous.post(url).status_code == 302  # sent to log in

    assert ApiToken.objects.filter(user=ada).count() == 2


def test_with_no_tokens_the_page_offers_no_revoke_all_and_the_post_says_so(client):
    client.force_login(make_user("ada"))

    assert "tokens/revoke-all" not in client.get(reverse("accounts.tokens")).content.decode()
    response = client.post(reverse("accounts.tokens_revoke_all"), follow=True)
    assert "You had no tokens to revoke." in response.content.decode()


def test_a_password_reset_revokes_every_token_and_says_so(client, post, smtp_server):
    ada, bob = make_user("ada"), make_user("bob")
    mine = tokens_of(ada, 2)
    (theirs,) = tokens_of(bob, 1)
    post(reverse("accounts.password_reset"), {"email": "ada@example.org"})
    (reset_mail,) = smtp_server.wait_for(1)
    (link,) = [u for u in links_in(reset_mail.body("plain")) if "/accounts/password/reset/" in u]
    form_page = client.get(link.removeprefix("http://127.0.0.1:8000"), follow=True)

    done = post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert all(services.user_for_api_token(secret) is None for secret in mine)
    assert services.user_for_api_token(theirs) == bob
    complete = client.get(done["Location"]).content.decode()
    assert "all its API tokens were revoked" in complete
    changed = smtp_server.wait_for(2)[1]
    assert "password was changed" in changed.subject
    for body in (changed.body("plain"), changed.body("html")):
        assert "all 2 of your API tokens were revoked" in " ".join(body.split())
        assert "/accounts/tokens" in body


def test_a_password_change_keeps_the_tokens_and_the_email_says_how_to_revoke_them(
    client, post, smtp_server
):
    ada = make_user("ada")
    (secret,) = tokens_of(ada, 1)
    client.force_login(ada)

    response = post(
        reverse("accounts.password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert services.user_for_api_token(secret) == ada
    (mail,) = smtp_server.wait_for(1)
    assert "Your API tokens still work" in mail.body("plain")
    assert "/accounts/tokens" in mail.body("plain")
    page = client.get(response["Location"]).content.decode()
    assert "Your API tokens still work" in page
