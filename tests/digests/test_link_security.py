"""Whose link is it, and what may it do: the digest pages read as an attacker would.

* Subscribing: a signed-in member skips the confirmation email only for their own verified
  address (and a subscription that is theirs or nobody's); any other address gets the answer a
  stranger gets, and nothing about the existing subscription changes.
* Every signed link does one thing: the unsubscribe link of a digest (also in its
  ``List-Unsubscribe`` header, read by mail relays) cannot open the preferences; the preferences
  link does not unsubscribe; the "not interested" page hands out no other link.
* A confirmation link works once, and not after an unsubscribe or "replace all my links".

Links are taken from what a reader receives (the confirmation email, a rendered digest), not
built by hand, so these tests say what a link in a real inbox can do.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.test import Client
from django.urls import reverse

from dailypapers.digests.models import NotInterested, Subscriber
from dailypapers.digests.services import subscriptions
from dailypapers.digests.services.delivery import render_digest
from tests.accounts.conftest import PASSWORD, make_user
from tests.factories import make_paper

from .conftest import links_in, make_subscriber

pytestmark = pytest.mark.django_db
SITE = "http://127.0.0.1:8000"
STATE = ("email", "user_id", "status", "link_version", "interests", "confirmed_at", "bounces")


def state(subscriber: Subscriber) -> tuple:
    row = Subscriber.objects.get(pk=subscriber.pk)
    return tuple(getattr(row, name) for name in STATE)


def path_of(url: str) -> str:
    assert url.startswith(SITE), url
    return url.removeprefix(SITE)


def digest_links(subscriber: Subscriber) -> dict[str, str]:
    """The paths of the links one digest to ``subscriber`` holds, as its message is built."""
    subscriber.refresh_from_db()
    paper = make_paper(title="A paper in the digest")
    message = render_digest(
        subscriber,
        [{"paper": paper.pk, "section": "top", "reason": ""}],
        {paper.pk: paper},
        period_label="Mar 14, 2025",
        message_id="<test@example.org>",
    )
    header = " ".join(message.extra_headers["List-Unsubscribe"].split())
    (one_click,) = [part.strip("<>") for part in header.split(", ") if part.startswith("<http")]
    body = links_in(message.body)
    (preferences,) = {url for url in body if "/digest/preferences/" in url}
    (not_interested,) = {url for url in body if "/digest/not-interested/" in url}
    return {
        "unsubscribe": path_of(one_click),
        "preferences": path_of(preferences),
        "not_interested": path_of(not_interested),
    }


def confirmation_path(smtp_server, to: str) -> str:
    smtp_server.wait_for(1)
    mails = [mail for mail in smtp_server.received if mail.rcpt_tos == [to]]
    assert mails, f"no email to {to}"
    (url,) = [url for url in links_in(mails[-1].body()) if "/subscribe/confirm/" in url]
    return path_of(url)


def flash_of(client: Client, response) -> str:
    """The page a redirect lands on, as the browser shows it (with any flash message)."""
    return client.get(response["Location"]).content.decode()


# -- subscribing: only one's own verified address skips the confirmation ---------------------------


def test_member_typing_a_subscribers_address_gets_what_a_stranger_gets(client, post, smtp_server):
    victim = make_subscriber("victim@example.org", interests="stealth aircraft")
    before = state(victim)
    make_user("mallory", email="mallory@example.org")
    client.login(username="mallory", password=PASSWORD)
    known = post(reverse("digests.subscribe"), {"email": " Victim@Example.org "})
    unknown = post(reverse("digests.subscribe"), {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("digests.subscribe_sent")
    known_page, unknown_page = flash_of(client, known), flash_of(client, unknown)
    assert "flash" not in known_page and "flash" not in unknown_page
    assert "Check your inbox" in known_page and "Check your inbox" in unknown_page
    # Both addresses get the same email (the confirmation), so the page says nothing either way.
    mails = smtp_server.wait_for(2)
    assert sorted(mail.rcpt_tos[0] for mail in mails) == [
        "nobody@example.org",
        "victim@example.org",
    ]
    assert mails[0].subject == mails[1].subject
    assert state(victim) == before  # not attached to mallory, nothing changed


def test_confirmation_email_a_stranger_triggers_is_only_for_the_mailbox_owner(
    client, post, smtp_server
):
    victim = make_subscriber("victim@example.org")
    make_user("mallory", email="mallory@example.org")
    client.login(username="mallory", password=PASSWORD)
    post(reverse("digests.subscribe"), {"email": "victim@example.org"})
    victim_owner = Client()
    response = victim_owner.post(confirmation_path(smtp_server, "victim@example.org"))
    assert response.status_code == 302
    assert response["Location"].startswith("/digest/preferences/")
    assert Subscriber.objects.get(pk=victim.pk).user_id is None


def test_unverified_account_address_is_not_attached_to_the_subscription(post, client, smtp_server):
    victim = make_subscriber("victim@example.org")
    before = state(victim)
    # An account nobody verified (createsuperuser makes one): its address proves nothing.
    get_user_model().objects.create_user("eve", email="victim@example.org", password=PASSWORD)
    client.login(username="eve", password=PASSWORD)
    response = post(reverse("digests.subscribe"), {"email": "victim@example.org"})
    assert response["Location"] == reverse("digests.subscribe_sent")
    assert state(victim) == before
    assert smtp_server.wait_for(1)[0].rcpt_tos == ["victim@example.org"]


def test_a_subscription_of_another_account_is_not_handed_over(client, post, smtp_server):
    ada = make_user("ada", email="ada@example.org")
    client.login(username="ada", password=PASSWORD)
    post(reverse("digests.subscribe"), {"email": "ada@example.org"})
    subscription = Subscriber.objects.get(email="ada@example.org")
    assert subscription.user_id == ada.pk
    # Ada's account moves to another address; a second account now holds the old one.
    get_user_model().objects.filter(pk=ada.pk).update(email="ada@elsewhere.example.org")
    make_user("bob", email="ada@example.org")
    client.logout()
    client.login(username="bob", password=PASSWORD)
    before = state(subscription)
    response = post(reverse("digests.subscribe"), {"email": "ada@example.org"})
    assert response["Location"] == reverse("digests.subscribe_sent")
    assert state(subscription) == before
    assert smtp_server.wait_for(1)[0].rcpt_tos == ["ada@example.org"]


def test_own_verified_address_subscribed_without_an_account_is_taken_over_by_it(
    client, post, smtp_server
):
    subscription = make_subscriber("ada@example.org")
    ada = make_user("ada", email="ADA@example.org")
    client.login(username="ada", password=PASSWORD)
    response = post(reverse("digests.subscribe"), {"email": "ada@example.org"})
    assert response["Location"].startswith("/digest/preferences/")
    assert "You are subscribed" in flash_of(client, response)
    subscription.refresh_from_db()
    assert subscription.user_id == ada.pk and subscription.status == "active"
    assert smtp_server.received == []


def test_a_stranger_typing_an_address_changes_nothing_about_its_subscription(post, smtp_server):
    reader = make_subscriber("reader@example.org")
    subscriptions.unsubscribe(reader)
    before = state(reader)
    response = post(reverse("digests.subscribe"), {"email": "reader@example.org"})
    assert response["Location"] == reverse("digests.subscribe_sent")
    assert state(reader) == before  # still unsubscribed, not "pending"
    assert smtp_server.wait_for(1)[0].rcpt_tos == ["reader@example.org"]


# -- single-purpose links -------------------------------------------------------------------------


def test_unsubscribe_link_of_a_digest_can_do_nothing_but_unsubscribe(client):
    reader = make_subscriber(interests="robots")
    links = digest_links(reader)
    token = links["unsubscribe"].rsplit("/", 1)[1]
    before = state(reader)
    assert client.get(reverse("digests.preferences", args=[token])).status_code == 400
    assert client.post(reverse("digests.preferences", args=[token]), {}).status_code == 400
    assert client.post(reverse("digests.new_links", args=[token])).status_code == 400
    assert state(reader) == before
    page = client.get(links["unsubscribe"]).content.decode()
    assert "/digest/preferences/" not in page and "/new-links" not in page
    assert Client(enforce_csrf_checks=True).post(links["unsubscribe"]).status_code == 200
    assert Subscriber.objects.get(pk=reader.pk).status == "unsubscribed"


def test_preferences_link_of_a_digest_does_not_unsubscribe_by_itself(client):
    reader = make_subscriber()
    links = digest_links(reader)
    token = links["preferences"].rsplit("/", 1)[1]
    csrf_free = Client(enforce_csrf_checks=True)
    assert csrf_free.post(reverse("digests.unsubscribe", args=[token])).status_code == 400
    assert Subscriber.objects.get(pk=reader.pk).status == "active"
    # The preferences page offers its own unsubscribe link, which works.
    page = client.get(links["preferences"]).content.decode()
    (unsubscribe,) = set(re.findall(r'href="(/digest/unsubscribe/[^"]+)"', page))
    assert csrf_free.post(unsubscribe).status_code == 200
    assert Subscriber.objects.get(pk=reader.pk).status == "unsubscribed"


def test_not_interested_page_hands_out_no_other_link(client):
    reader = make_subscriber()
    links = digest_links(reader)
    response = client.post(links["not_interested"])
    assert response.status_code == 200 and NotInterested.objects.filter(subscriber=reader).exists()
    page = response.content.decode()
    assert "/digest/preferences/" not in page and "/digest/unsubscribe/" not in page
    assert links["preferences"].rsplit("/", 1)[1] not in page


def test_unsubscribe_links_of_digests_sent_before_this_release_still_only_unsubscribe(client):
    reader = make_subscriber()
    # What digests sent so far carry in List-Unsubscribe: the old all-purpose token.
    old = signing.Signer(salt="digests.manage").sign_object(
        {"s": reader.pk, "v": reader.link_version}
    )
    assert client.get(reverse("digests.preferences", args=[old])).status_code == 400
    assert client.post(reverse("digests.new_links", args=[old])).status_code == 400
    path = reverse("digests.unsubscribe", args=[old])
    page = client.get(path).content.decode()
    assert "/digest/preferences/" not in page
    assert Client(enforce_csrf_checks=True).post(path).status_code == 200
    assert Subscriber.objects.get(pk=reader.pk).status == "unsubscribed"


def test_replacing_all_links_revokes_every_digest_link(client, post, smtp_server):
    reader = make_subscriber()
    links = digest_links(reader)
    old = signing.Signer(salt="digests.manage").sign_object(
        {"s": reader.pk, "v": reader.link_version}
    )
    assert post(links["preferences"] + "/new-links").status_code == 200
    for path in [*links.values(), reverse("digests.unsubscribe", args=[old])]:
        assert client.get(path).status_code == 400, path
        assert Client(enforce_csrf_checks=True).post(path).status_code in {400, 403}, path
    assert Subscriber.objects.get(pk=reader.pk).status == "active"


# -- confirmation links: once, and bound to the link version --------------------------------------


def test_confirmation_link_works_once(client, post, smtp_server):
    post(reverse("digests.subscribe"), {"email": "reader@example.org"})
    path = confirmation_path(smtp_server, "reader@example.org")
    first = client.post(path)
    assert first.status_code == 302 and first["Location"].startswith("/digest/preferences/")
    again = Client().post(path)
    assert again.status_code == 410 and "already been used" in again.content.decode()
    assert "/digest/preferences/" not in again.get("Location", "")
    assert Client().get(path).status_code == 410


def test_used_confirmation_link_cannot_bring_back_an_unsubscribed_reader(client, post, smtp_server):
    post(reverse("digests.subscribe"), {"email": "reader@example.org"})
    path = confirmation_path(smtp_server, "reader@example.org")
    client.post(path)
    reader = Subscriber.objects.get(email="reader@example.org")
    subscriptions.unsubscribe(reader)
    assert Client().post(path).status_code == 410
    assert Subscriber.objects.get(pk=reader.pk).status == "unsubscribed"


def test_unused_confirmation_link_dies_when_the_reader_unsubscribes(post, smtp_server):
    reader = make_subscriber()  # someone asks again for an active reader: a link is mailed
    post(reverse("digests.subscribe"), {"email": "reader@example.org"})
    path = confirmation_path(smtp_server, "reader@example.org")
    subscriptions.unsubscribe(reader)
    response = Client().post(path)
    assert response.status_code == 410
    assert Subscriber.objects.get(pk=reader.pk).status == "unsubscribed"


def test_replacing_all_links_revokes_confirmation_links(post, smtp_server):
    reader = make_subscriber()
    post(reverse("digests.subscribe"), {"email": "reader@example.org"})
    path = confirmation_path(smtp_server, "reader@example.org")
    subscriptions.revoke_links(reader)
    response = Client().post(path)
    assert response.status_code in {400, 410}
    assert "Location" not in response


def test_confirmation_link_is_bound_to_its_address(post, smtp_server):
    post(reverse("digests.subscribe"), {"email": "reader@example.org"})
    path = confirmation_path(smtp_server, "reader@example.org")
    Subscriber.objects.update(email="someone-else@example.org")  # an admin edits the address
    assert Client().post(path).status_code == 400
    assert Subscriber.objects.get().status == "pending"


# -- every link, at every door --------------------------------------------------------------------

DOORS = {
    "confirm": "digests.confirm",
    "preferences": "digests.preferences",
    "new_links": "digests.new_links",
    "unsubscribe": "digests.unsubscribe",
    "not_interested": "digests.not_interested",
}
# Which kind of link each door takes (all others are refused).
OWN_DOOR = {
    "confirm": "confirm",
    "preferences": "preferences",
    "new_links": "preferences",
    "unsubscribe": "unsubscribe",
    "not_interested": "not_interested",
}


def test_each_link_opens_its_own_page_and_no_other(client, post, smtp_server):
    reader = make_subscriber(interests="robots")
    post(reverse("digests.subscribe"), {"email": "reader@example.org"})
    links = digest_links(reader)
    tokens = {kind: path.rsplit("/", 1)[1] for kind, path in links.items()}
    tokens["confirm"] = confirmation_path(smtp_server, "reader@example.org").rsplit("/", 1)[1]
    tokens["oversized"] = tokens["preferences"] + "A" * 5000
    tokens["tampered"] = tokens["unsubscribe"][:-3] + "abc"
    before = state(reader)
    for door, route in DOORS.items():
        for kind, token in tokens.items():
            if kind == OWN_DOOR[door]:
                continue
            path = reverse(route, args=[token])
            strict = Client(enforce_csrf_checks=True)
            if door != "new_links":
                assert client.get(path).status_code in {400, 410}, (door, kind)
            assert strict.post(path).status_code in {400, 403, 410}, (door, kind)
            assert client.post(path).status_code in {400, 410}, (door, kind)
            assert state(reader) == before, (door, kind)
    assert not NotInterested.objects.exists()


def test_pages_opened_by_a_link_pass_their_token_to_no_one(client, post, smtp_server):
    reader = make_subscriber()
    post(reverse("digests.subscribe"), {"email": "reader@example.org"})
    confirm = confirmation_path(smtp_server, "reader@example.org")
    responses = [client.get(path) for path in [confirm, *digest_links(reader).values()]]
    responses.append(client.post(confirm))  # the redirect to the preferences page
    for response in responses:
        assert response.status_code in {200, 302}
        # A Referer from these pages names the site, not the page: the token would reach the
        # next server and its logs. (No Referer at all would make forms send Origin: null.)
        assert response["Referrer-Policy"] == "strict-origin", response.request["PATH_INFO"]
        assert "no-store" in response["Cache-Control"]
