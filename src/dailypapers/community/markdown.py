"""Comment Markdown: a small, safe subset, rendered once when a comment is written.

``render_comment(text)`` turns Markdown into HTML with markdown-it-py (CommonMark, raw HTML off,
no images, headings or rules), then cleans the result with nh3 against an allow-list: paragraphs,
emphasis, code, blockquotes, lists, line breaks and links. Links keep only ``href`` with an
http, https or mailto address (relative and ``javascript:`` addresses are dropped) and always get
``rel="nofollow noopener ugc"``. The sanitizer is the guarantee; the renderer's settings only keep
the output tidy, so nothing a renderer upgrade lets through can reach a page.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {"p", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a", "br"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener ugc"
# Dropped with their content, should a renderer ever emit them.
DROPPED_WITH_CONTENT = {"script", "style", "template", "textarea", "title", "noscript"}

_renderer = (
    MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False})
    # "# heading" and "---" stay as typed; images would load third-party content into the page.
    .disable(["heading", "lheading", "hr", "image", "html_block", "html_inline"])
)


def render_comment(text: str) -> str:
    """Safe HTML for a comment's Markdown ``text``."""
    return sanitize(_renderer.render(text))


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        url_relative="deny",
        link_rel=LINK_REL,
        strip_comments=True,
    ).strip()
