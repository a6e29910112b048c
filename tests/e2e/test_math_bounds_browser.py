"""Hostile math in a real browser: a title or abstract (anyone who can post to arXiv writes them)
cannot make the page huge through KaTeX, and ordinary math on the same page still renders.

The formulas: a 9999em rule (KaTeX's maxSize is unbounded by default), a macro-expansion bomb
(\\def inside \\def), a line of plain letters too long to break, rows stacked with \\\\, and a
negative kern that throws glyphs far outside their box.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import make_paper

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ORDINARY_TITLE_MATH = r"\mathcal{O}(\sqrt{K})"
ORDINARY_ABSTRACT_MATH = r"x^2 \le 1"
BOMB = (
    r"\def\a{XXXXXXXXXX}\def\b{\a\a\a\a\a\a\a\a\a\a}\def\c{\b\b\b\b\b\b\b\b\b\b}"
    r"\c\c\c\c\c\c\c\c"
)
TOWER = "a" + r"\\a" * 300
TITLE = rf"A wall $\rule{{9999em}}{{9999em}}$ beside ${ORDINARY_TITLE_MATH}$ regret"
ABSTRACT = (
    f"An ordinary bound ${ORDINARY_ABSTRACT_MATH}$ holds. A bomb: ${BOMB}$. "
    f"A line: ${'x' * 1500}$. A tower: ${TOWER}$. "
    r"An escape: $x\kern{-9999em}y\kern{9999em}z$. The end."
)
PAPER = "2503.30001"
# Far above what this page needs (about 1,500 pixels), far below what the formulas asked for.
SANE_HEIGHT_PX = 4000


@pytest.fixture
def hostile_paper():
    return make_paper(arxiv_id=PAPER, title=TITLE, abstract=ABSTRACT, day=dt.date(2025, 3, 14))


def page_size(page) -> tuple[int, int]:
    return page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )


def rendered_sources(page, selector: str) -> list[str]:
    return page.locator(f"{selector} .katex annotation").all_text_contents()


def console_errors(page) -> list[str]:
    # Remote thumbnails are refused on purpose (no network in tests).
    return [text for text in page.console_errors if "Failed to load resource" not in text]


@pytest.mark.parametrize(
    "viewport",
    [{"width": 1280, "height": 900}, {"width": 375, "height": 812}],
    ids=["desktop", "phone"],
)
def test_hostile_formulas_leave_the_paper_page_a_sane_size(
    open_page, live_server, hostile_paper, viewport
):
    page = open_page(viewport=viewport)

    page.goto(f"{live_server.url}/papers/{PAPER}")

    width, height = page_size(page)
    assert width <= viewport["width"], f"the page scrolls sideways: {width}px wide"
    assert height <= SANE_HEIGHT_PX, f"the page is {height}px tall"
    assert rendered_sources(page, "#paper-title") == [
        r"\rule{9999em}{9999em}",  # drawn, capped at a few em
        ORDINARY_TITLE_MATH,
    ]
    assert ORDINARY_ABSTRACT_MATH in rendered_sources(page, ".paper-abstract")
    for box in page.locator(".js-math .katex").evaluate_all(
        "formulas => formulas.map(f => f.getBoundingClientRect().toJSON())"
    ):
        assert box["height"] <= 200 and box["width"] <= viewport["width"], box
    drawn = page.locator(".paper-abstract").evaluate(
        "abstract => Array.from(abstract.querySelectorAll('.katex-html'))"
        ".map(f => f.textContent).join('')"
    )
    assert drawn.count("X") <= 10, "the macro bomb was expanded"
    assert console_errors(page) == []


def test_hostile_title_leaves_the_feed_a_sane_size(open_page, live_server, hostile_paper):
    page = open_page(viewport={"width": 1280, "height": 900})

    page.goto(f"{live_server.url}/papers/date/2025-03-14")

    width, height = page_size(page)
    assert width <= 1280 and height <= SANE_HEIGHT_PX, (width, height)
    assert ORDINARY_TITLE_MATH in rendered_sources(page, ".card-title")
    assert console_errors(page) == []
