"""Email digests in a real browser (Chromium): subscribe from the header, open the confirmation
email from the SMTP server, confirm, set interests, run `digest send`, read the digest (picks and
reasons), unsubscribe with one click (RFC 8058 POST), and get no further digest.

Screenshots land in test-results/ (and on failure).
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.accounts.conftest import links_in
from tests.digests.conftest import (
    DAY,
    DAY_PAPERS,
    NEXT_DAY,
    make_day,
    search_data_dir,  # noqa: F401 (a fixture used below)
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def real_errors(page) -> list[str]:
    return [text for text in page.console_errors if "Failed to load resource" not in text]


@pytest.fixture
def site(live_server, smtp_server, search_data_dir, settings):  # noqa: F811
    settings.SITE_URL = live_server.url  # links in emails point at the live server
    settings.DIGEST_TOP_PAPERS = 2
    settings.DIGEST_PICKS = 3
    make_day(DAY, DAY_PAPERS)
    return live_server


def test_subscribe_confirm_choose_interests_get_a_digest_and_unsubscribe(
    open_page, site, smtp_server, results_dir
):
    page = open_page(viewport={"width": 1280, "height": 900}, color_scheme="light")
    page.goto(f"{site.url}/papers")
    page.click("header >> text=Subscribe")
    expect(page.locator("h1")).to_have_text("Get trending papers in your inbox")
    page.fill("#id_email", "reader@example.org")
    page.screenshot(path=str(results_dir / "digest-subscribe-desktop-light.png"))
    page.click("button[type=submit]:has-text('Subscribe')")
    expect(page.locator("h1")).to_have_text("Check your inbox")

    (confirmation,) = smtp_server.wait_for(1)
    assert confirmation.rcpt_tos == ["reader@example.org"]
    (link,) = [url for url in links_in(confirmation.body()) if "/subscribe/confirm/" in url]
    assert link.startswith(site.url)
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Confirm your subscription")
    page.click("text=Confirm my subscription")
    expect(page.locator(".flash")).to_contain_text("Subscription confirmed")

    expect(page.locator("h1")).to_have_text("Your digest")
    page.fill("#id_interests", "diffusion image generation")
    page.fill("#id_authors", "Rosalind Franklin")
    page.select_option("#id_time_zone", "Europe/Paris")
    page.screenshot(path=str(results_dir / "digest-preferences-desktop-light.png"), full_page=True)
    page.click("button[type=submit]:has-text('Save preferences')")
    expect(page.locator(".flash")).to_contain_text("Preferences saved")
    expect(page.locator("#id_interests")).to_have_value("diffusion image generation")
    assert real_errors(page) == []

    call_command("digest", "send", "--period", "daily", "--date", DAY.isoformat())
    digest = smtp_server.wait_for(2)[1]
    assert digest.rcpt_tos == ["reader@example.org"]
    text = digest.body("plain")
    assert "by Rosalind Franklin, an author you follow" in text
    assert "Why: matches “diffusion image generation”" in text
    assert "Faster Sampling for Score-Based Diffusion Models" in text
    html = digest.body("html")
    # How a mail client shows it: a blank page (not the site's, whose CSP forbids inline styles).
    page.goto("about:blank")
    page.set_content(html)
    expect(page.locator("h2", has_text="Picked for you")).to_be_visible()
    page.screenshot(path=str(results_dir / "digest-email-desktop-light.png"), full_page=True)

    header = " ".join(str(digest.message["List-Unsubscribe"]).split())
    (one_click,) = [
        part.strip("<>") for part in header.split(", ") if "/digest/unsubscribe/" in part
    ]
    assert str(digest.message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    # What a mail client does: one POST, no cookie, no CSRF token.
    response = page.request.post(one_click, form={"List-Unsubscribe": "One-Click"})
    assert response.status == 200
    page.goto(one_click)
    expect(page.locator(".auth-lede")).to_contain_text("is not subscribed any more")

    make_day(NEXT_DAY, [dict(title="Diffusion for everyone", abstract="Diffusion.", upvotes=9)])
    call_command("digest", "send", "--period", "daily", "--date", NEXT_DAY.isoformat())
    assert len(smtp_server.received) == 2  # no further digest
