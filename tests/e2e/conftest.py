"""Browser fixtures: Debian's Chromium driven by Playwright, a screenshot saved when a test fails.

Playwright's sync API runs an event loop in the test thread; Django's async-safety guard would
then refuse the ORM calls the tests make to set up data, so it is told they are fine here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RESULTS = Path(__file__).resolve().parents[2] / "test-results"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Lets the page fixture know, at teardown, whether the test body failed.
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def results_dir() -> Path:
    RESULTS.mkdir(exist_ok=True)
    return RESULTS


@pytest.fixture
def open_page(browser, live_server, results_dir, request):
    """``open_page(**context_options)`` -> a Playwright page whose console errors are collected.

    Requests to other hosts are answered at once with an error: the tests never wait on the
    network (thumbnails on a CDN), and a page that needs another host shows it as a failure.
    """
    pages = []

    def open_page(**options):
        context = browser.new_context(**options)
        page = context.new_page()
        page.console_errors = []
        page.on(
            "console",
            lambda message: message.type == "error" and page.console_errors.append(message.text),
        )
        page.on("pageerror", lambda error: page.console_errors.append(str(error)))
        local = re.escape(live_server.url)
        page.route(re.compile(rf"^(?!{local}).*"), lambda route: route.abort())
        pages.append(page)
        return page

    yield open_page
    failed = (
        getattr(request.node, "report_call", None) is not None and request.node.report_call.failed
    )
    for index, page in enumerate(pages):
        if failed:
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
            page.screenshot(path=str(results_dir / f"failure-{name}-{index}.png"), full_page=True)
        page.context.close()
