"""Comment Markdown: the allowed subset renders, everything else is escaped or dropped (no database)."""

from __future__ import annotations

import re

import pytest

from dailypapers.community.markdown import ALLOWED_TAGS, render_comment

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "<svg onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    '[x](https://ok.example "title" onmouseover="alert(1)")',
    "<iframe src=https://evil.example></iframe>",
    "<style>body{display:none}</style>",
    '<p style="position:fixed">x</p>',
    "<!-- <script>alert(1)</script> -->",
    "![pixel](https://tracker.example/p.gif)",
    "<details open ontoggle=alert(1)>",
    "`<script>alert(1)</script>`",
    "```\n<script>alert(1)</script>\n```",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<a href='https://ok.example' onclick='alert(1)'>x</a>",
    "[x](//evil.example/path)",
]

TAG = re.compile(r"<\s*/?\s*([a-zA-Z0-9]+)")


def tags_in(html: str) -> set[str]:
    return {name.lower() for name in TAG.findall(html)}


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_markdown_leaves_only_allowed_tags_and_no_script(text):
    html = render_comment(text)

    assert tags_in(html) <= ALLOWED_TAGS
    lowered = html.lower()
    assert "<script" not in lowered
    # Hostile markup may survive as visible, escaped text; never as a tag or an attribute.
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", lowered), html
    assert not re.search(r"<[^>]*\s(src|style)\s*=", lowered), html
    assert not re.search(r'<a[^>]*href="\s*(javascript|data|vbscript)', lowered), html


@pytest.mark.parametrize("text", HOSTILE)
def test_no_href_other_than_http_https_or_mailto(text):
    html = render_comment(text)

    for href in re.findall(r'<a[^>]*href="([^"]*)"', html):
        assert href.startswith(("http://", "https://", "mailto:")), href


def test_the_allowed_subset_renders():
    text = (
        "**bold** _italic_ `code`\n\n> a quote\n\n- one\n- two\n\n1. first\n\n"
        "```\nprint(1)\n```\n\n[site](https://example.org/a?b=1&c=2) <mailto:ada@example.org>\n"
        "line one\nline two"
    )

    html = render_comment(text)

    assert "<strong>bold</strong>" in html
    assert "<em>italic</em>" in html
    assert "<code>code</code>" in html
    assert "<blockquote>" in html
    assert "<ul>" in html and "<li>one</li>" in html
    assert "<ol>" in html
    assert "<pre><code>print(1)\n</code></pre>" in html
    assert (
        '<a href="https://example.org/a?b=1&amp;c=2" rel="nofollow noopener ugc">site</a>' in html
    )
    assert 'href="mailto:ada@example.org"' in html
    assert "line one<br>" in html


def test_every_link_gets_nofollow_noopener_ugc():
    html = render_comment("[a](https://a.example) and <https://b.example>")

    assert html.count('rel="nofollow noopener ugc"') == 2


def test_raw_html_is_shown_as_text_not_run():
    html = render_comment('<b onclick="x()">hi</b>')

    assert "&lt;b onclick=" in html
    assert "<b" not in html


def test_headings_and_rules_stay_as_typed():
    html = render_comment("# Not a heading\n---")

    assert "<h1" not in html and "<hr" not in html
    assert "# Not a heading" in html


def test_right_to_left_override_is_kept_as_text_for_the_page_to_isolate():
    html = render_comment("evil\u202egnp.exe")

    assert html == "<p>evil\u202egnp.exe</p>"
