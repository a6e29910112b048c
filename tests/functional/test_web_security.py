"""Hostile data is shown as text, pages obey the strict CSP, and static assets are local.

The hostile record goes through the real pipeline with every text field and URL set to an attack:
markup, attribute break-outs, ``javascript:`` links and the RTL override U+202E.
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from dailypapers.ingest.pipeline import import_records
from dailypapers.ingest.records import DailyRecord, OrganizationRecord
from tests.factories import paper_record

pytestmark = pytest.mark.django_db

STATIC = Path(__file__).resolve().parents[2] / "src" / "dailypapers" / "web" / "static"
SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '" onmouseover="x'
JS_URL = "javascript:alert(1)"
RLO = "\u202e"
MAR_14 = dt.date(2025, 3, 14)


@pytest.fixture
def hostile_paper():
    record = paper_record(
        arxiv_id="2503.66666",
        title=f"{SCRIPT} {BREAKOUT} {RLO}gnp.exe",
        abstract=f"<img src=x onerror=alert(1)> {BREAKOUT} {RLO}reversed " + "padding " * 60,
        authors=[SCRIPT, BREAKOUT, f"Evil{RLO}Name"],
        day=MAR_14,
        github_repo=JS_URL,
        project_page=JS_URL,
        thumbnail_url=JS_URL,
        num_comments=1,
        comment=SCRIPT,
        journal_ref=BREAKOUT,
        doi=f"10.1/{SCRIPT}",
        categories=[SCRIPT],
        ai_summary=SCRIPT,
        ai_keywords=[SCRIPT, BREAKOUT],
    )
    record.organization = OrganizationRecord(
        name=f"org{BREAKOUT}", fullname=f"{SCRIPT}{RLO}", avatar_url=JS_URL
    )
    record.daily = DailyRecord(
        date=MAR_14,
        submitter_name=SCRIPT,
        submitter_fullname=f"{BREAKOUT}{RLO}",
        submitter_avatar_url=JS_URL,
        media_urls=[JS_URL, f"https://ok.example.org/a.png{BREAKOUT}"],
    )
    import_records([record])
    return record


VOID_ELEMENTS = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
FSI, PDI = "\u2068", "\u2069"


def _isolated_by_marks(text: str) -> bool:
    """Plain-text contexts (``<title>``) isolate with FSI ... PDI, as ``<bdi>`` does in markup."""
    for index, char in enumerate(text):
        if char == RLO and not (
            text.rfind(FSI, 0, index) > text.rfind(PDI, 0, index) and PDI in text[index:]
        ):
            return False
    return True


class MarkupAudit(HTMLParser):
    """Collects what matters for XSS and the CSP: scripts, inline handlers/styles, link targets, bidi."""

    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts = 0
        self.script_sources: list[str] = []
        self.style_elements = 0
        self.style_attributes: list[str] = []
        self.handlers: list[str] = []
        self.urls: list[str] = []
        self.stylesheets: list[str] = []
        self.bidi_outside_isolation: list[str] = []
        # Open elements and whether each isolates its text (<bdi>, or any element with dir=).
        self.open: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            if attributes.get("src"):
                self.script_sources.append(attributes["src"])
            else:
                self.inline_scripts += 1
        if tag == "style":
            self.style_elements += 1
        if tag == "link" and attributes.get("rel") == "stylesheet":
            self.stylesheets.append(attributes.get("href", ""))
        for name, value in attrs:
            if name == "style":
                self.style_attributes.append(value or "")
            if name.startswith("on"):
                self.handlers.append(f"{tag} {name}")
            if name in {"href", "src", "action", "formaction", "poster"}:
                self.urls.append(value or "")
            if (
                name in {"content", "title", "alt", "aria-label"}
                and RLO in (value or "")
                and not _isolated_by_marks(value)
            ):
                self.bidi_outside_isolation.append(f"{tag} {name}={value!r}")
        if tag not in VOID_ELEMENTS:
            self.open.append((tag, tag == "bdi" or "dir" in attributes))

    def handle_endtag(self, tag):
        for position in range(len(self.open) - 1, -1, -1):
            if self.open[position][0] == tag:
                del self.open[position:]
                break

    def handle_data(self, data):
        isolated = any(isolating for _, isolating in self.open)
        if RLO in data and not isolated and not _isolated_by_marks(data):
            self.bidi_outside_isolation.append(data)


def audit(html: str) -> MarkupAudit:
    parser = MarkupAudit()
    parser.feed(html)
    parser.close()
    return parser


HOSTILE_PAGES = [
    "/papers/date/2025-03-14",
    "/papers/2503.66666",
    "/authors/%3Cscript%3Ealert(1)%3C/script%3E",
    "/organizations/org%22%20onmouseover=%22x",
]


@pytest.mark.parametrize("path", HOSTILE_PAGES)
def test_hostile_fields_are_escaped_and_never_interpreted(client, hostile_paper, path):
    response = client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    result = audit(html)
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert BREAKOUT not in html
    assert result.handlers == []  # no onmouseover=/onerror= attribute was created
    assert result.inline_scripts == 0
    assert not [url for url in result.urls if url.strip().lower().startswith("javascript:")]
    assert "javascript:" not in html


@pytest.mark.parametrize("path", HOSTILE_PAGES)
def test_right_to_left_override_cannot_reorder_the_page_around_it(client, hostile_paper, path):
    html = client.get(path).content.decode()

    result = audit(html)

    assert RLO in html
    assert result.bidi_outside_isolation == []


def test_hostile_urls_are_dropped_and_safe_ones_kept(client, hostile_paper):
    html = client.get("/papers/2503.66666").content.decode()

    assert "card-thumb" not in html
    assert "Project page" not in html
    assert ">GitHub" not in html
    assert 'href="https://arxiv.org/abs/2503.66666"' in html


def test_pages_carry_a_strict_content_security_policy(client, hostile_paper):
    response = client.get("/papers/date/2025-03-14")

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/papers",
        "/papers/date/2025-03-14",
        "/papers/2503.66666",
        "/papers/date/2025-02-30",
        "/authors/x",
    ],
)
def test_pages_use_no_inline_script_or_style_and_no_cdn(client, hostile_paper, path):
    html = client.get(path).content.decode()

    result = audit(html)

    assert result.inline_scripts == 0
    assert result.style_elements == 0
    assert result.style_attributes == []
    assert result.script_sources and all(
        src.startswith("/static/") for src in result.script_sources
    )
    assert result.stylesheets and all(href.startswith("/static/") for href in result.stylesheets)


def test_every_page_has_landmarks_and_one_h1(client, hostile_paper):
    for path in ["/papers", "/papers/2503.66666", "/papers/date/2025-02-30"]:
        html = client.get(path).content.decode()
        assert '<html lang="en">' in html
        assert html.count("<h1") == 1, path
        assert (
            '<header class="site-header">' in html
            and '<main id="main"' in html
            and "<footer" in html
        )
        assert 'href="#main">Skip to content</a>' in html
        assert '<nav class="site-nav" aria-label="Main">' in html
        assert 'href="/api/docs"' in html


@pytest.mark.parametrize(
    "path",
    [
        "/static/css/site.css",
        "/static/js/site.js",
        "/static/vendor/katex/katex.min.js",
        "/static/vendor/katex/katex.min.css",
        "/static/vendor/katex/auto-render.min.js",
        "/static/vendor/katex/fonts/KaTeX_Main-Regular.woff2",
        "/static/vendor/htmx/htmx.min.js",
        "/static/img/logo.svg",
        "/static/img/icons.svg",
        "/static/img/thumb-placeholder.svg",
    ],
)
def test_static_assets_are_served_without_a_collectstatic_step(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert b"".join(response.streaming_content)


def test_every_font_katex_asks_for_first_is_vendored():
    css = (STATIC / "vendor" / "katex" / "katex.min.css").read_text()

    fonts = set(re.findall(r"url\((fonts/[^)]+\.woff2)\)", css))

    assert len(fonts) > 15
    assert [
        font for font in sorted(fonts) if not (STATIC / "vendor" / "katex" / font).is_file()
    ] == []


def test_site_css_and_js_load_nothing_from_other_hosts():
    for path in [STATIC / "css" / "site.css", STATIC / "js" / "site.js"]:
        assert not re.search(r"https?://", path.read_text()), path


def test_vendor_readme_names_the_versions_actually_vendored():
    readme = (STATIC / "vendor" / "README.md").read_text()
    katex_version = re.search(r"\| `katex/` \| \[katex\]\([^)]*\) \| ([0-9.]+) \|", readme).group(1)
    htmx_version = re.search(r"\| `htmx/` \| \[htmx.org\]\([^)]*\) \| ([0-9.]+) \|", readme).group(
        1
    )

    assert (
        f'version:"{katex_version}"' in (STATIC / "vendor" / "katex" / "katex.min.js").read_text()
    )
    assert f'version="{htmx_version}"' in (STATIC / "vendor" / "htmx" / "htmx.min.js").read_text()
