"""The feed in a real browser (Chromium): navigation, math rendering, CSS-only toggles, htmx paging.

Data goes in through the real import pipeline; the pages come from pytest-django's live server.
Screenshots land in test-results/ (desktop light, phone dark) and on failure.
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from dailypapers.ingest.pipeline import import_records
from dailypapers.web.views import PAGE_SIZE
from tests.factories import make_paper, paper_record

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MAR_13 = dt.date(2025, 3, 13)
MAR_14 = dt.date(2025, 3, 14)
LONG_ABSTRACT = (
    "We bound the regret by $\\mathcal{O}(\\sqrt{K})$ over $K$ episodes. "
    + "More words follow here. " * 40
)


# Waits use locators (expect), never wait_for_function: that evaluates a string in the page, which
# the site's CSP (no 'unsafe-eval') rightly refuses.


def real_errors(page) -> list[str]:
    # Remote thumbnails are refused on purpose (no network in tests); anything else is a bug,
    # including CSP violations, which Chromium reports as console errors.
    return [text for text in page.console_errors if "Failed to load resource" not in text]


@pytest.fixture
def two_days():
    make_paper(
        arxiv_id="2503.10001",
        title="Yesterday's top paper",
        upvotes=7,
        day=MAR_13,
        organization="Tsinghua",
    )
    make_paper(arxiv_id="2503.10002", title="Yesterday's runner-up", upvotes=3, day=MAR_13)
    make_paper(
        arxiv_id="2503.20001",
        title="Regret in $\\mathcal{O}(\\sqrt{K})$ for adversarial MDPs",
        abstract=LONG_ABSTRACT,
        authors=[
            "Ada Lovelace",
            "Alan Turing",
            "Grace Hopper",
            "Edsger Dijkstra",
            "Barbara Liskov",
        ],
        upvotes=57,
        day=MAR_14,
        organization="Tsinghua",
        submitter="akhaliq",
        num_comments=3,
        github_repo="https://github.com/owner/repo",
        github_stars=1200,
        categories=["cs.LG"],
    )
    make_paper(
        arxiv_id="2503.20002",
        title="A plain second paper",
        upvotes=12,
        day=MAR_14,
        organization="MIT",
    )


def test_feed_previous_day_and_paper_page_with_rendered_math(
    open_page, live_server, results_dir, two_days
):
    page = open_page(viewport={"width": 1280, "height": 900}, color_scheme="light")

    page.goto(f"{live_server.url}/papers")
    assert page.locator("h2.period-label").inner_text() == "Mar 14, 2025"
    assert page.locator(".card-title").count() == 2
    assert (
        page.locator(".card-title .katex").count() == 1
    )  # math in the title, rendered on the card
    page.screenshot(path=str(results_dir / "feed-desktop-light.png"))

    page.click("a[rel=prev]")
    page.wait_for_url(f"{live_server.url}/papers/date/2025-03-13")
    assert page.locator(".card-title").all_inner_texts() == [
        "Yesterday's top paper",
        "Yesterday's runner-up",
    ]

    page.click("a[rel=next]")
    page.wait_for_url(f"{live_server.url}/papers/date/2025-03-14")
    page.click("text=for adversarial MDPs")
    page.wait_for_url(f"{live_server.url}/papers/2503.20001")
    assert page.locator("#paper-title .katex").count() == 1
    assert page.locator(".paper-abstract .katex").count() == 2
    assert "#1 Paper of the day" in page.locator(".badges").inner_text()
    page.screenshot(path=str(results_dir / "paper-desktop-light.png"), full_page=True)
    assert real_errors(page) == []


def test_abstract_expands_without_javascript(open_page, live_server, two_days):
    page = open_page(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/papers/date/2025-03-14")
    abstract = page.locator(".abstract-text.is-clamped")
    collapsed = abstract.bounding_box()["height"]

    page.click("label.abstract-more")

    assert abstract.bounding_box()["height"] > collapsed * 2
    assert page.locator("label.abstract-more .when-open").is_visible()
    assert not page.locator("label.abstract-more .when-closed").is_visible()


def test_bibtex_copy_button_appears_with_javascript_and_reports_back(
    open_page, live_server, two_days
):
    page = open_page(viewport={"width": 1280, "height": 900})
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)

    page.goto(f"{live_server.url}/papers/2503.20001")
    button = page.locator("button[data-copy=bibtex]")
    button.click()

    expect(page.locator(".copy-status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()").startswith("@misc{lovelace2025regret,")
    assert real_errors(page) == []


def test_phone_dark_layout_fits_the_screen(open_page, live_server, results_dir, two_days):
    page = open_page(
        viewport={"width": 375, "height": 812}, color_scheme="dark", is_mobile=True, has_touch=True
    )

    page.goto(f"{live_server.url}/papers/date/2025-03-14")

    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(11, 15, 25)"  # the dark palette applies
    page.screenshot(path=str(results_dir / "feed-phone-dark.png"), full_page=True)
    page.goto(f"{live_server.url}/papers/2503.20001")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(results_dir / "paper-phone-dark.png"), full_page=True)
    assert real_errors(page) == []


def test_show_more_appends_the_next_page_in_place(open_page, live_server):
    import_records(
        [
            paper_record(
                title=f"Paper {n:03d} with $x_{{{n}}}$", upvotes=n, day=dt.date(2025, 3, 1 + n % 28)
            )
            for n in range(PAGE_SIZE + 5)
        ]
    )
    page = open_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/papers/month/2025-03")
    assert page.locator("#paper-list > li").count() == PAGE_SIZE

    page.click("#load-more a")

    expect(page.locator("#paper-list > li")).to_have_count(PAGE_SIZE + 5)
    assert page.url == f"{live_server.url}/papers/month/2025-03"  # appended in place, no navigation
    assert page.locator("#load-more a").count() == 0  # the last page has no "Show more"
    expect(page.locator("#paper-list .card-title .katex")).to_have_count(PAGE_SIZE + 5)
    assert real_errors(page) == []


def test_keyboard_focus_is_visible(open_page, live_server, two_days):
    page = open_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/papers")

    page.keyboard.press("Tab")

    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
