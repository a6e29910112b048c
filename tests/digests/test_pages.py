"""The subscription pages through the HTTP client: the header button, double opt-in with a signed
expiring link (nothing before confirmation, no change on GET), preferences through a signed link,
revoked and forged links, rate limits, hostile input."""

from __future__ import annotations

import re
import time

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from dailypapers.digests.models import Subscriber
from dailypapers.digests.services import subscriptions
from tests.accounts.conftest import PASSWORD, make_user
from tests.factories import make_paper

from .conftest import links_in, make_subscriber

pytestmark = pytest.mark.django_db
HOSTILE = "<script>alert(1)</script>\u202e"


def confirmation_link(smtp_server) -> str:
    (mail,) = smtp_server.wait_for(1)
    return next(url for url in links_in(mail.body()) if "/subscribe/confirm/" in url)


def test_every_page_has_a_subscribe_button_in_the_header(client):
    page = client.get(reverse("papers.feed"))
    assert f'href="{reverse("digests.subscribe")}"' in page.content.decode()
    assert ">Subscribe</a>" in page.content.decode()


def test_subscribing_sends_a_confirmation_and_nothing_else(client, post, smtp_server):
    response = post(reverse("digests.subscribe"), {"email": " Reader@Example.org "})
    assert response.status_code == 302 and response["Location"] == reverse("digests.subscribe_sent")
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "reader@example.org" and subscriber.status == "pending"
    (mail,) = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["reader@example.org"]
    assert "Confirm" in mail.subject
    link = confirmation_link(smtp_server)
    assert link.startswith("http://127.0.0.1:8000/subscribe/confirm/")
    assert link in mail.body("html")


def test_confirmation_link_confirms_on_post_only(client, post, smtp_server):
    post(reverse("digests.subscribe"), {"email": "reader@example.org"})
    path = confirmation_link(smtp_server).removeprefix("http://127.0.0.1:8000")
    page = client.get(path)
    assert page.status_code == 200 and b"Confirm my subscription" in page.content
    assert Subscriber.objects.get().status == "pending"
    response = client.post(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/digest/preferences/")
    assert Subscriber.objects.get().status == "active"


def test_confirmation_link_expires(client, post, smtp_server, settings, monkeypatch):
    settings.DIGEST_CONFIRM_HOURS = 48
    real = time.time
    monkeypatch.setattr(signing.time, "time", lambda: real() - 49 * 3600)
    post(reverse("digests.subscribe"), {"email": "reader@example.org"})
    monkeypatch.setattr(signing.time, "time", real)
    path = confirmation_link(smtp_server).removeprefix("http://127.0.0.1:8000")
    assert client.get(path).status_code == 410
    assert client.post(path).status_code == 410
    assert Subscriber.objects.get().status == "pending"


def test_forged_confirmation_link_is_refused(client):
    subscriber = Subscriber.objects.create(email="reader@example.org")
    token = subscriptions.confirmation_token(subscriber)
    assert client.post(reverse("digests.confirm", args=[token[:-2] + "xx"])).status_code == 400
    assert client.post(reverse("digests.confirm", args=["nonsense"])).status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == "pending"


@pytest.mark.parametrize(
    "email,error",
    [
        ("not-an-address", "Enter a valid email address"),
        ("reader@example.org\r\nBcc: victim@example.org", "Enter a valid email address"),
        ("reader@example.org\nBcc: victim@example.org", "Enter a valid email address"),
        (f"{HOSTILE}@example.org", "Enter a valid email address"),
        ("a" * 1_000_000 + "@example.org", "at most 254 characters"),
    ],
)
def test_bad_addresses_are_refused_with_a_clear_error(post, smtp_server, email, error):
    response = post(reverse("digests.subscribe"), {"email": email})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert len(response.content) < 100_000
    assert b"<script>alert" not in response.content
    assert not Subscriber.objects.exists() and smtp_server.received == []


def test_subscribing_is_rate_limited(post, smtp_server, settings):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "subscribe": settings.RATE_LIMITS["login"]._replace(attempts=2),
    }
    for i in range(2):
        assert post(reverse("digests.subscribe"), {"email": f"r{i}@example.org"}).status_code == 302
    response = post(reverse("digests.subscribe"), {"email": "r3@example.org"})
    assert response.status_code == 429 and response["Retry-After"]


def test_signed_in_user_with_a_verified_address_subscribes_at_once(client, smtp_server):
    make_user("ada", email="ada@example.org")
    client.login(username="ada", password=PASSWORD)
    page = client.get(reverse("digests.subscribe"))
    assert b'value="ada@example.org"' in page.content
    response = client.post(reverse("digests.subscribe"), {"email": "ada@example.org"})
    assert response["Location"].startswith("/digest/preferences/")
    subscriber = Subscriber.objects.get()
    assert subscriber.status == "active" and subscriber.user.username == "ada"
    assert smtp_server.received == []
    preferences = client.get(response["Location"])
    assert b"Papers like the ones I upvoted" in preferences.content


def test_signed_in_user_subscribing_another_address_must_confirm_it(client, post, smtp_server):
    make_user("ada", email="ada@example.org")
    client.login(username="ada", password=PASSWORD)
    post(reverse("digests.subscribe"), {"email": "other@example.org"})
    subscriber = Subscriber.objects.get()
    assert subscriber.status == "pending" and subscriber.user is None
    assert smtp_server.wait_for(1)[0].rcpt_tos == ["other@example.org"]


def test_preferences_are_saved_through_the_signed_link(client):
    subscriber = make_subscriber()
    path = reverse("digests.preferences", args=[subscriptions.preferences_token(subscriber)])
    page = client.get(path)
    assert page.status_code == 200 and b"reader@example.org" in page.content
    assert b"Papers like the ones I upvoted" not in page.content  # no account
    response = client.post(
        path,
        {
            "frequency": "weekly",
            "hour": "18",
            "time_zone": "Europe/Paris",
            "interests": f"diffusion distillation {HOSTILE}",
            "authors": "Ada Lovelace\n\nada lovelace\nGrace Hopper",
            "organizations": "meta-llama",
            "categories": "cs.CL, stat",
        },
    )
    assert response.status_code == 302
    subscriber.refresh_from_db()
    assert (subscriber.frequency, subscriber.hour, subscriber.time_zone) == (
        "weekly",
        18,
        "Europe/Paris",
    )
    assert subscriber.authors == ["Ada Lovelace", "Grace Hopper"]
    assert subscriber.categories == ["cs.CL", "stat"]
    page = client.get(path).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page


@pytest.mark.parametrize(
    "field,value,error",
    [
        ("categories", "cs.CL <b>", "is not an arXiv category"),
        ("time_zone", "Mars/Olympus", "Select a valid choice"),
        ("hour", "24", "Select a valid choice"),
        ("interests", "x" * 600, "at most 500 characters"),
        ("authors", "\n".join(f"Name {i}" for i in range(30)), "at most 20 names"),
    ],
)
def test_bad_preferences_are_refused_and_nothing_is_lost(client, field, value, error):
    subscriber = make_subscriber(interests="robots")
    path = reverse("digests.preferences", args=[subscriptions.preferences_token(subscriber)])
    data = {"frequency": "daily", "hour": "7", "time_zone": "UTC", "interests": "new"}
    data[field] = value
    response = client.post(path, data)
    assert response.status_code == 200 and error in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.interests == "robots"


def test_forged_and_revoked_links_are_refused(client):
    subscriber = make_subscriber()
    token = subscriptions.preferences_token(subscriber)
    unsubscribe = subscriptions.unsubscribe_token(subscriber)
    assert client.get(reverse("digests.preferences", args=[token + "x"])).status_code == 400
    other_salt = subscriptions.confirmation_token(subscriber)
    assert client.get(reverse("digests.preferences", args=[other_salt])).status_code == 400
    subscriptions.revoke_links(subscriber)
    assert client.get(reverse("digests.preferences", args=[token])).status_code == 400
    assert client.post(reverse("digests.unsubscribe", args=[unsubscribe])).status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == "active"
    fresh = subscriptions.preferences_token(subscriber)
    assert client.get(reverse("digests.preferences", args=[fresh])).status_code == 200


def test_unsubscribe_page_changes_nothing_on_get(client):
    subscriber = make_subscriber()
    path = reverse("digests.unsubscribe", args=[subscriptions.unsubscribe_token(subscriber)])
    page = client.get(path)
    assert page.status_code == 200 and b"Unsubscribe" in page.content
    subscriber.refresh_from_db()
    assert subscriber.status == "active"
    assert Client(enforce_csrf_checks=True).post(path).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == "unsubscribed"


def test_coming_back_after_unsubscribing_needs_a_new_confirmation(client, post, smtp_server):
    subscriber = make_subscriber()
    subscriptions.unsubscribe(subscriber)
    post(reverse("digests.subscribe"), {"email": "reader@example.org"})
    subscriber.refresh_from_db()
    assert subscriber.status == "unsubscribed"  # until the emailed link is followed
    path = confirmation_link(smtp_server).removeprefix("http://127.0.0.1:8000")
    assert client.post(path).status_code == 302
    subscriber.refresh_from_db()
    assert subscriber.status == "active" and subscriber.unsubscribed_at is None


INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|<style", re.I)


def test_digest_pages_keep_the_strict_csp(client, day_papers):
    subscriber = make_subscriber()
    paths = [
        reverse("digests.subscribe"),
        reverse("digests.subscribe_sent"),
        reverse("digests.confirm", args=[subscriptions.confirmation_token(subscriber)]),
        reverse("digests.preferences", args=[subscriptions.preferences_token(subscriber)]),
        reverse("digests.unsubscribe", args=[subscriptions.unsubscribe_token(subscriber)]),
        reverse(
            "digests.not_interested",
            args=[subscriptions.not_interested_token(subscriber, day_papers[0].pk)],
        ),
        reverse("digests.preferences", args=["forged"]),
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code in {200, 400}, path
        assert "unsafe-inline" not in response["Content-Security-Policy"]
        assert not INLINE.search(response.content.decode()), path


def test_admin_lists_subscribers_and_a_read_only_outbox(admin_client, day_papers, scripted_smtp):
    from dailypapers.digests.services.runs import run_digests
    from dailypapers.papers.queries import period_of

    from .conftest import DAY

    make_subscriber()
    run_digests("daily", period=period_of("day", DAY))
    assert b"reader@example.org" in admin_client.get("/admin/digests/subscriber/").content
    page = admin_client.get("/admin/digests/digest/")
    assert page.status_code == 200 and b"day:2025-03-14" in page.content
    assert admin_client.get("/admin/digests/digest/add/").status_code == 403


def test_reader_can_replace_every_link_and_gets_a_new_one(client, post, smtp_server):
    subscriber = make_subscriber()
    old = subscriptions.preferences_token(subscriber)
    paper = make_paper(title="A paper")
    old_not_interested = subscriptions.not_interested_token(subscriber, paper.pk)
    assert (
        client.get(reverse("digests.not_interested", args=[old_not_interested])).status_code == 200
    )
    page = client.get(reverse("digests.preferences", args=[old]))
    assert b"Replace all my links" in page.content
    assert client.get(reverse("digests.new_links", args=[old])).status_code == 405  # POST only
    response = post(reverse("digests.new_links", args=[old]))
    assert response.status_code == 200 and b"no longer work" in response.content
    assert client.get(reverse("digests.preferences", args=[old])).status_code == 400
    assert (
        client.get(reverse("digests.not_interested", args=[old_not_interested])).status_code == 400
    )
    (mail,) = smtp_server.wait_for(1)
    (link,) = [url for url in links_in(mail.body()) if "/digest/preferences/" in url]
    assert client.get(link.removeprefix("http://127.0.0.1:8000")).status_code == 200
