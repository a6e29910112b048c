"""Search in a real browser (Chromium): the header box, results with highlights, a result's page,
its similar papers, and a feed filtered from the header on a phone.

The catalogue of tests/functional/search_corpus.py goes in through the real import pipeline, and
the search receiver indexes it (huey inline). Screenshots land in test-results/ (and on failure).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from dailypapers.ingest.pipeline import import_records
from dailypapers.search import backend
from tests.functional.search_corpus import SPECS, record_of

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def real_errors(page) -> list[str]:
    # Remote images are refused on purpose (no network in tests); anything else is a bug,
    # including CSP violations, which Chromium reports as console errors.
    return [text for text in page.console_errors if "Failed to load resource" not in text]


@pytest.fixture
def catalogue(settings, tmp_path) -> Iterator[None]:
    from huey.contrib.djhuey import HUEY

    settings.DATA_DIR = tmp_path
    previous, HUEY.immediate = HUEY.immediate, True
    try:
        stats = import_records([record_of(spec) for spec in SPECS])
    finally:
        HUEY.immediate = previous
    assert stats.created == len(SPECS)
    yield
    backend._indexes.pop(tmp_path / "search", None)


def test_header_search_then_a_result_then_one_of_its_similar_papers(
    open_page, live_server, results_dir, catalogue
):
    page = open_page(viewport={"width": 1280, "height": 900}, color_scheme="light")
    page.goto(f"{live_server.url}/papers/2503.00013")

    box = page.get_by_role("searchbox", name="Search papers")
    box.fill("latent diffusion")
    box.press("Enter")

    page.wait_for_url(re.compile(r"/search\?q=latent\+diffusion$"))
    first = page.locator("#search-results > li").first
    expect(first.locator(".card-title")).to_contain_text("Latent Diffusion Models")
    expect(first.locator(".card-title mark")).to_have_text(["Latent", "Diffusion"])
    assert page.locator(".search-snippet mark").count() >= 3
    page.screenshot(path=str(results_dir / "search-results-desktop-light.png"))

    first.locator(".card-title a").click()
    page.wait_for_url(f"{live_server.url}/papers/2503.00002")
    similar = page.locator(".similar-papers")
    expect(similar.locator(".similar-title")).to_have_count(5)
    similar.scroll_into_view_if_needed()
    page.screenshot(path=str(results_dir / "search-similar-papers-desktop-light.png"))

    neighbour = similar.locator(".similar-title").first
    title = neighbour.inner_text()
    neighbour.click()
    page.wait_for_url(re.compile(r"/papers/2503\.\d{5}$"))
    assert page.url != f"{live_server.url}/papers/2503.00002"
    expect(page.locator("#paper-title")).to_have_text(title)
    assert real_errors(page) == []


def test_the_header_box_filters_the_day_on_a_phone_then_searches_everything(
    open_page, live_server, results_dir, catalogue
):
    page = open_page(viewport={"width": 390, "height": 844}, color_scheme="dark", is_mobile=True)
    page.goto(f"{live_server.url}/papers")

    box = page.get_by_role("searchbox", name="Filter these papers")
    box.fill("diffusion")
    box.press("Enter")

    page.wait_for_url(f"{live_server.url}/papers?q=diffusion")
    expect(page.locator(".feed-filter")).to_contain_text("4 of 10 papers match")
    expect(page.locator("#search-results > li")).to_have_count(4)
    assert page.locator(".card-title mark").count() >= 4
    page.screenshot(path=str(results_dir / "search-feed-filter-phone-dark.png"), full_page=True)

    page.get_by_role("link", name="Search every paper").click()
    page.wait_for_url(f"{live_server.url}/search?q=diffusion")
    expect(page.locator("#search-results > li").first).to_be_visible()
    page.screenshot(path=str(results_dir / "search-results-phone-dark.png"))
    assert real_errors(page) == []
