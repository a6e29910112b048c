"""``{% feed_links "daily" %}``: the page's ``<link rel="alternate">`` pair (RSS and Atom).

Lists: ``daily``, ``weekly``, ``monthly`` (or the period kinds ``day``, ``week``, ``month``),
``trending``; ``organization`` and ``author`` take the name as a second argument, ``search`` the
query string of the search (``SearchForm.feed_params``).
"""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join

register = template.Library()

KINDS = {"day": "daily", "week": "weekly", "month": "monthly"}
LABELS = {
    "daily": "Daily papers",
    "weekly": "Weekly papers",
    "monthly": "Monthly papers",
    "trending": "Trending papers",
    "organization": "Papers from {}",
    "author": "Papers by {}",
    "search": "Papers matching this search",
}
TYPES = (("rss", "application/rss+xml", "RSS"), ("atom", "application/atom+xml", "Atom"))


@register.simple_tag
def feed_links(kind: str, name: str = "") -> str:
    kind = KINDS.get(kind, kind)
    if kind not in LABELS:
        return ""
    kwargs = {"name": name} if kind in {"organization", "author"} else {}
    label = LABELS[kind].format(name)
    query = f"?{name}" if kind == "search" and name else ""
    return format_html_join(
        "\n  ",
        '<link rel="alternate" type="{}" title="{}" href="{}">',
        (
            (
                mime,
                f"{label} ({title})",
                reverse(f"feeds.{kind}", kwargs={"fmt": fmt, **kwargs}) + query,
            )
            for fmt, mime, title in TYPES
        ),
    ) or format_html("")
