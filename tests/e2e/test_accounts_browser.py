"""Accounts in a real browser (Chromium): sign up, read the confirmation email from the SMTP
server, confirm, log in, see your profile, make an API token, log out.

Screenshots land in test-results/ (desktop light and phone dark) and on failure.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from dailypapers.community.services.votes import upvote_paper
from tests.accounts.conftest import links_in
from tests.factories import make_paper

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def real_errors(page) -> list[str]:
    # CSP violations show as console errors; a refused remote resource is not ours to fix here.
    return [text for text in page.console_errors if "Failed to load resource" not in text]


@pytest.fixture
def site(live_server, smtp_server, huey_immediate, settings):
    # Links in emails are built from SITE_URL: make them point at the live server.
    settings.SITE_URL = live_server.url
    return live_server


def test_sign_up_confirm_log_in_and_see_your_profile(
    open_page, site, smtp_server, results_dir, django_user_model
):
    page = open_page(viewport={"width": 1280, "height": 900}, color_scheme="light")

    page.goto(f"{site.url}/papers")
    page.click("text=Sign up")
    expect(page.locator("h1")).to_have_text("Create your account")
    page.fill("#id_username", "ada")
    page.fill("#id_display_name", "Ada Lovelace")
    page.fill("#id_email", "ada@example.org")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", "not the same")
    page.click("button[type=submit]:has-text('Sign up')")
    expect(page.locator(".form-errors")).to_have_text("The two passwords differ.")
    page.screenshot(path=str(results_dir / "accounts-signup-error-desktop-light.png"))

    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("button[type=submit]:has-text('Sign up')")
    expect(page.locator("h1")).to_have_text("Check your email")
    page.screenshot(path=str(results_dir / "accounts-signup-sent-desktop-light.png"))

    (mail,) = smtp_server.wait_for(1)
    (link,) = [url for url in links_in(mail.body("plain")) if "/accounts/verify/" in url]
    assert link.startswith(site.url)
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Confirm your email address")
    page.screenshot(path=str(results_dir / "accounts-verify-desktop-light.png"))
    page.click("text=Confirm and activate")

    page.wait_for_url(f"{site.url}/accounts/login")
    expect(page.locator(".flash")).to_contain_text("Your email address is confirmed")
    page.fill("#id_username", "ada@example.org")
    page.fill("#id_password", PASSWORD)
    page.screenshot(path=str(results_dir / "accounts-login-desktop-light.png"))
    page.click("button[type=submit]:has-text('Log in')")

    page.wait_for_url(f"{site.url}/papers")
    paper = make_paper(title="Regret in $\\mathcal{O}(\\sqrt{K})$ for adversarial MDPs", upvotes=41)
    upvote_paper(django_user_model.objects.get(username="ada").pk, paper.pk)
    page.click(".account-name")
    page.wait_for_url(f"{site.url}/users/ada")
    expect(page.locator("h1")).to_have_text("Ada Lovelace")
    expect(page.locator(".profile-handle")).to_contain_text("@ada")
    expect(page.locator(".profile-papers li")).to_have_count(1)
    expect(page.locator(".profile-paper-title .katex")).to_have_count(1)  # math rendered
    page.screenshot(path=str(results_dir / "accounts-profile-desktop-light.png"), full_page=True)

    page.click("text=API tokens")
    page.fill("#id_name", "laptop script")
    page.click("text=Create token")
    secret = page.locator(".token-secret").inner_text().strip()
    assert re.fullmatch(r"dp_[A-Za-z0-9_-]{40}", secret)
    page.screenshot(path=str(results_dir / "accounts-tokens-desktop-light.png"), full_page=True)
    page.click("text=Revoke all tokens")
    expect(page.locator(".flash")).to_contain_text("All 1 token(s) were revoked")
    expect(page.locator(".empty-inline")).to_have_text("No tokens yet.")

    page.click("text=Log out")
    page.wait_for_url(f"{site.url}/papers")
    expect(page.locator(".account-nav")).to_contain_text("Log in")
    assert real_errors(page) == []


def test_account_pages_fit_a_phone_in_dark_mode(open_page, site, results_dir):
    page = open_page(
        viewport={"width": 375, "height": 812}, color_scheme="dark", is_mobile=True, has_touch=True
    )

    for path, name in [("/accounts/signup", "signup"), ("/accounts/login", "login")]:
        page.goto(f"{site.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.screenshot(path=str(results_dir / f"accounts-{name}-phone-dark.png"), full_page=True)
    page.goto(f"{site.url}/papers")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(results_dir / "accounts-header-phone-dark.png"))
    assert real_errors(page) == []
