"""Password reset by email (no enumeration, single-use link, notification) and password change."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.accounts.conftest import PASSWORD, links_in, make_user

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase 42"


def reset_link(smtp_server) -> str:
    (mail,) = smtp_server.wait_for(1)
    (link,) = [u for u in links_in(mail.body("plain")) if "/accounts/password/reset/" in u]
    return link.removeprefix("http://127.0.0.1:8000")


def test_reset_emails_a_link_that_sets_a_new_password_once(client, post, smtp_server):
    make_user("ada", email="ada@example.org")

    sent = post(reverse("accounts.password_reset"), {"email": "ADA@example.org"})
    link = reset_link(smtp_server)
    form_page = client.get(link, follow=True)
    done = post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    reused = client.get(link, follow=True)

    assert sent.status_code == 302 and sent["Location"] == reverse("accounts.password_reset_sent")
    assert smtp_server.received[0].subject.startswith("Reset your")
    assert form_page.context["validlink"] is True
    assert done["Location"] == reverse("accounts.password_reset_complete")
    assert reused.context["validlink"] is False and reused.status_code == 400
    assert client.login(username="ada", password=NEW_PASSWORD)
    changed = smtp_server.wait_for(2)[1]
    assert "password was changed" in changed.subject


@pytest.mark.parametrize("email", ["nobody@example.org", "sleeper@example.org"])
def test_reset_answers_the_same_for_unknown_and_unconfirmed_addresses(post, smtp_server, email):
    make_user("ada", email="ada@example.org")
    make_user("sleeper", email="sleeper@example.org", confirmed=False)
    known = post(reverse("accounts.password_reset"), {"email": "ada@example.org"})
    smtp_server.received.clear()

    unknown = post(reverse("accounts.password_reset"), {"email": email})

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert smtp_server.received == []


def test_reset_link_host_comes_from_site_url(post, smtp_server, settings):
    settings.SITE_URL = "https://papers.example.org"
    settings.ALLOWED_HOSTS = ["*"]
    make_user("ada")

    post(reverse("accounts.password_reset"), {"email": "ada@example.org"}, HTTP_HOST="evil.example")

    (mail,) = smtp_server.wait_for(1)
    assert "https://papers.example.org/accounts/password/reset/" in mail.body("plain")
    assert "evil.example" not in mail.body("plain") + mail.body("html")


def test_password_change_keeps_the_session_and_notifies_by_email(client, post, smtp_server):
    client.force_login(make_user("ada"))

    response = post(
        reverse("accounts.password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response["Location"] == reverse("accounts.settings")
    assert client.get(reverse("accounts.settings")).status_code == 200  # still signed in
    (mail,) = smtp_server.wait_for(1)
    assert "password was changed" in mail.subject
    assert "/accounts/password/reset" in mail.body("plain")


def test_password_change_needs_the_old_password(client):
    user = make_user("ada")
    client.force_login(user)

    response = client.post(
        reverse("accounts.password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
