"""The whole community flow in a real browser (Chromium), as a new member lives it: sign up, open
the confirmation email from the SMTP server, confirm, log in, upvote a paper (the count changes
without a reload), submit a paper by arXiv id (arXiv is the recorded answers served by a local HTTP
server), comment on it, and find all three on the profile. Screenshots land in test-results/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dailypapers.community.models import Submission, Vote
from dailypapers.papers.models import DailyEntry, Paper
from tests.accounts.conftest import links_in
from tests.community.arxiv_stub import (
    HEAT_BATH,
    arxiv_fixture,  # noqa: F401 (the ``arxiv`` fixture)
)
from tests.factories import make_paper

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def real_errors(page) -> list[str]:
    return [text for text in page.console_errors if "Failed to load resource" not in text]


@pytest.fixture
def site(live_server, smtp_server, huey_immediate, settings, arxiv):
    settings.SITE_URL = live_server.url  # links in emails point at the live server
    settings.SUBMISSION_WINDOW_DAYS = 0  # the recorded arXiv papers are years old
    return live_server


def test_sign_up_verify_upvote_submit_comment_and_see_it_all_on_the_profile(
    open_page, site, smtp_server, arxiv, results_dir
):
    paper = make_paper(
        arxiv_id="2503.91001", title="Scaling laws for $\\alpha$-divergences", upvotes=12
    )
    page = open_page(viewport={"width": 1280, "height": 900}, color_scheme="light")

    # Sign up, then confirm through the link in the email the SMTP server received.
    page.goto(f"{site.url}/papers/2503.91001")
    page.click("text=Sign up")
    page.fill("#id_username", "grace")
    page.fill("#id_display_name", "Grace Hopper")
    page.fill("#id_email", "grace@example.org")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("button[type=submit]:has-text('Sign up')")
    expect(page.locator("h1")).to_have_text("Check your email")
    (mail,) = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["grace@example.org"]
    (link,) = [url for url in links_in(mail.body("plain")) if "/accounts/verify/" in url]
    page.goto(link)
    page.click("text=Confirm and activate")
    page.wait_for_url(f"{site.url}/accounts/login")
    page.fill("#id_username", "grace")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]:has-text('Log in')")
    page.wait_for_url(f"{site.url}/papers")

    # Upvote on the paper page: the count changes in place (a reload would wipe the mark).
    page.goto(f"{site.url}/papers/2503.91001")
    page.evaluate("document.body.dataset.loadedOnce = 'yes'")
    expect(page.locator(f"#vote-{paper.pk} .upvote-count").first).to_have_text("12")
    page.locator(f"#vote-button-{paper.pk}").first.click()
    expect(page.locator(f"#vote-{paper.pk} .upvote-count").first).to_have_text("13")
    assert page.evaluate("document.body.dataset.loadedOnce") == "yes"
    page.screenshot(path=str(results_dir / "community-flow-upvoted.png"))

    # Submit a paper by its arXiv URL from the header's Submit button.
    page.click(".account-submit")
    expect(page.locator("h1")).to_have_text("Submit a paper")
    page.fill("#id_arxiv", f"https://arxiv.org/abs/{HEAT_BATH}")
    page.fill("#id_github_repo", "https://github.com/example/heat-bath")
    page.screenshot(path=str(results_dir / "community-flow-submit.png"))
    page.click("button[type=submit]:has-text('Submit')")
    page.wait_for_url(f"{site.url}/papers/{HEAT_BATH}")
    expect(page.locator("h1")).to_contain_text("Heat-bath random walks with Markov bases")
    assert arxiv.asked_for == [HEAT_BATH]

    # Comment on it, with a little Markdown; the comment shows rendered, and script stays text.
    page.fill("#comment-new", "**Nice** proof. <script>alert(1)</script>")
    page.click(".comment-form button[type=submit]:has-text('Comment')")
    expect(page.locator(".comment-body strong")).to_have_text("Nice")
    expect(page.locator(".comment-body").first).to_contain_text("proof.")
    assert page.locator(".comment-body script").count() == 0
    page.screenshot(path=str(results_dir / "community-flow-commented.png"), full_page=True)

    # The profile lists the upvote, the submission and the comment.
    page.click(".account-name")
    page.wait_for_url(f"{site.url}/users/grace")
    upvoted = page.locator("section[aria-labelledby=upvoted-heading] .profile-paper-title")
    submitted = page.locator("section[aria-labelledby=submitted-heading] .profile-paper-title")
    commented = page.locator(".profile-comments .comment-body")
    expect(upvoted).to_have_count(1)
    expect(upvoted.first).to_contain_text("Scaling laws for")
    expect(upvoted.first.locator(".katex")).to_have_count(1)  # math rendered on the profile
    expect(submitted).to_have_count(1)
    expect(submitted.first).to_contain_text("Heat-bath random walks")
    expect(commented.first.locator("strong")).to_have_text("Nice")
    page.screenshot(path=str(results_dir / "community-flow-profile.png"), full_page=True)

    submitted_paper = Paper.objects.get(arxiv_id=HEAT_BATH)
    assert Vote.objects.filter(user__username="grace", paper=paper).count() == 1
    assert Submission.objects.get(paper=submitted_paper).user.username == "grace"
    assert DailyEntry.objects.get(paper=submitted_paper).submitter_name == "grace"
    assert submitted_paper.github_repo == "https://github.com/example/heat-bath"
    assert real_errors(page) == []
