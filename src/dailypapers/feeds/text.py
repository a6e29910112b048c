"""Text that is safe inside a feed, whatever an upstream sent.

* Characters XML 1.0 forbids (``\\x00``-``\\x08``, ``\\x0b``, ``\\x0c``, ``\\x0e``-``\\x1f``,
  surrogates, ``\\ufffe``, ``\\uffff``) and the ones it discourages (C1 controls, ``\\ufdd0``-
  ``\\ufdef``) are dropped: Django's feed writer refuses control characters outright, and one would
  make the whole feed invalid for every reader.
* Explicit bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) are
  dropped: a feed reader shows a title as plain text, where an override could disguise it;
  right-to-left scripts need none of them.
* Every value is cut to a bound, so a 1 MB title cannot make a 50 MB feed.

Markup is never trusted: descriptions are HTML built here with every value escaped, so
``<script>`` in an abstract reaches a reader as the text "<script>".
"""

from __future__ import annotations

import re

from django.utils.html import escape

FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    "\u202a-\u202e\u2066-\u2069]"
)
TITLE_LIMIT = 500
NAME_LIMIT = 200
ABSTRACT_LIMIT = 5000
AUTHORS_SHOWN = 10


def clean(value: object, limit: int) -> str:
    """``value`` as XML-safe plain text of at most ``limit`` characters (an ellipsis marks a cut)."""
    text = FORBIDDEN.sub("", str(value or ""))
    text = " ".join(text.split()) if limit <= NAME_LIMIT else text.strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def authors_line(names: list[str]) -> str:
    shown = [clean(name, NAME_LIMIT) for name in names[:AUTHORS_SHOWN]]
    line = ", ".join(name for name in shown if name)
    if len(names) > AUTHORS_SHOWN:
        line += f" and {len(names) - AUTHORS_SHOWN} more"
    return line


def description_html(abstract: str, authors: list[str], extra: str = "") -> str:
    """The item's HTML description: authors, the abstract, and an optional line (all escaped)."""
    parts = []
    if authors:
        parts.append(f"<p><em>{escape(authors_line(authors))}</em></p>")
    body = clean(abstract, ABSTRACT_LIMIT)
    if body:
        parts.append(f"<p>{escape(body)}</p>")
    if extra:
        parts.append(f"<p>{escape(clean(extra, ABSTRACT_LIMIT))}</p>")
    return "\n".join(parts)
