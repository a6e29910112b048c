"""Voting in a real browser (Chromium): htmx 4 swaps the vote box in place; without JavaScript the
plain form posts and comes back to the page; anonymous visitors are sent to log in."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from playwright.sync_api import expect

from dailypapers.community.models import Vote
from tests.factories import make_paper

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DAY = "/papers/date/2025-03-14"


def real_errors(page) -> list[str]:
    return [text for text in page.console_errors if "Failed to load resource" not in text]


@pytest.fixture
def paper():
    return make_paper(arxiv_id="2503.90001", title="A paper worth a vote", upvotes=7)


def signed_in_page(open_page, live_server, **options):
    user = get_user_model().objects.create_user(username="browser-voter", password=None)
    client = Client()
    client.force_login(user)
    page = open_page(viewport={"width": 1280, "height": 900}, **options)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return page, user


def test_a_vote_updates_in_place_with_htmx(open_page, live_server, paper):
    page, user = signed_in_page(open_page, live_server)
    page.goto(f"{live_server.url}{DAY}")
    # A mark on the document: a page load (a plain form post) would wipe it, an htmx swap not.
    page.evaluate("document.body.dataset.loadedOnce = 'yes'")
    button = page.locator(f"#vote-button-{paper.pk}")
    expect(button).to_have_attribute("aria-pressed", "false")

    button.click()

    expect(page.locator(f"#vote-button-{paper.pk}")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(f"#vote-{paper.pk} .upvote-count")).to_have_text("8")
    assert Vote.objects.filter(user=user, paper=paper).count() == 1

    page.locator(f"#vote-button-{paper.pk}").click()

    expect(page.locator(f"#vote-button-{paper.pk}")).to_have_attribute("aria-pressed", "false")
    expect(page.locator(f"#vote-{paper.pk} .upvote-count")).to_have_text("7")
    assert not Vote.objects.exists()
    assert page.evaluate("document.body.dataset.loadedOnce") == "yes"  # swapped in place
    assert page.locator(f"#vote-{paper.pk}").count() == 1  # replaced, not nested
    assert real_errors(page) == []


def test_a_vote_without_javascript_posts_the_form_and_comes_back(open_page, live_server, paper):
    page, user = signed_in_page(open_page, live_server, java_script_enabled=False)
    page.goto(f"{live_server.url}{DAY}")

    page.locator(f"#vote-button-{paper.pk}").click()

    page.wait_for_url(f"{live_server.url}{DAY}#vote-{paper.pk}")
    expect(page.locator(f"#vote-{paper.pk} .upvote-count")).to_have_text("8")
    expect(page.locator(f"#vote-button-{paper.pk}")).to_have_attribute("aria-pressed", "true")
    assert Vote.objects.filter(user=user, paper=paper).count() == 1


def test_anonymous_visitors_clicking_vote_are_sent_to_log_in(open_page, live_server, paper):
    page = open_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}{DAY}")

    page.locator(f"#vote-{paper.pk}").click()

    page.wait_for_url(f"{live_server.url}/accounts/login?next=%2Fpapers%2Fdate%2F2025-03-14")
    assert not Vote.objects.exists()
