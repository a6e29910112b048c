"""Template filters for text that came from upstreams."""

from __future__ import annotations

from django import template

register = template.Library()

FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"


@register.filter
def isolate(value: object) -> str:
    """Wrap text in FSI ... PDI: a right-to-left override inside it cannot flip the text around it.

    For plain-text places (``<title>``, attributes) where ``<bdi>`` cannot be used. The result is
    still escaped by the template as usual.
    """
    return f"{FIRST_STRONG_ISOLATE}{value}{POP_DIRECTIONAL_ISOLATE}"
