"""The URLs that carry a signed token in their path, and blanking those tokens out of log text.

A token in a link is as good as a password for what it opens (a digest's preferences, an address
confirmation, a password reset), and a log line is read by people and programs that must not hold
it. Every route of the URL conf with a parameter named ``token`` or ``<something>_token`` is found
at first use (so a new token route is covered without a list to keep); ``scrub()`` replaces the
parameter's value, wherever such a path appears in a text (a request line, a Referer, a Django log
message, a traceback), with ``<token>``. Ids such as ``token_id`` are not secrets and stay.

Used by Django's log formatter (``settings.LOGGING``), gunicorn's access and error logs
(``dailypapers serve``) and the security-headers middleware (pages opened by a token).
"""

from __future__ import annotations

import functools
import logging
import re
from typing import NamedTuple
from urllib.parse import unquote

TOKEN_PARAMETER = re.compile(r"^(?:\w+_)?token$")
# A token as it appears in a log line: one path segment, ending at a slash, a query string, a
# quote, a bracket or white space.
TOKEN_TEXT = r"[^/?#\s\"'<>\[\]]+"
_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>")
_PATH_END = re.compile(r"[?#\s\"'<>\[\]]")


class TokenRoute(NamedTuple):
    pattern: re.Pattern[str]  # the route's path up to its last token, searchable in any text
    names: tuple[str, ...]  # the token parameters, in the order of the groups token0, token1...


def is_token_parameter(name: str) -> bool:
    return TOKEN_PARAMETER.match(name) is not None


def _group_end(regex: str, start: int) -> int:
    """Index just past the group whose ``(`` is at ``start`` (escapes and classes skipped)."""
    depth, index, in_class = 0, start, False
    while index < len(regex):
        char = regex[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if regex[index + 1 : index + 2] == "]":  # a ']' first in a class is a literal
                index += 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    raise ValueError(f"unbalanced group in URL pattern {regex!r}")


def _searchable(regex: str) -> TokenRoute | None:
    """A route's regex -> a pattern for its path up to the last token parameter, or None."""
    parts: list[str] = []
    names: list[str] = []
    position = kept = 0
    for group in _NAMED_GROUP.finditer(regex):
        if group.start() < position:
            continue  # a group nested in a token group, dropped with it
        # A path segment (the str converter's [^/]) ends at white space too in a log line:
        # "/reset/sent HTTP/1.1" must not read as a uid "sent HTTP" and a token "1.1".
        parts.append(regex[position : group.start()].replace("[^/]", TOKEN_TEXT[:-1]))
        if is_token_parameter(group.group(1)):
            parts.append(f"(?P<token{len(names)}>{TOKEN_TEXT})")
            names.append(group.group(1))
            position = _group_end(regex, group.start())
            kept = len(parts)  # what follows the last token is not needed to find it
        else:
            parts.append("(?:")  # other parameters match as before, without a name
            position = group.end()
    if not names:
        return None
    return TokenRoute(re.compile("/" + "".join(parts[:kept])), tuple(names))


def _bare(regex: str) -> str:
    regex = regex.removeprefix("^")
    for anchor in ("\\Z", "$"):
        regex = regex.removesuffix(anchor)
    return regex


@functools.cache
def _token_routes() -> tuple[TokenRoute, ...]:
    from django.urls import URLResolver, get_resolver

    found: dict[str, TokenRoute] = {}

    def walk(entries, prefix: str) -> None:
        for entry in entries:
            regex = prefix + _bare(entry.pattern.regex.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, regex)
            elif (route := _searchable(regex)) is not None:
                found.setdefault(route.pattern.pattern, route)

    walk(get_resolver().url_patterns, "")
    return tuple(found.values())


def token_routes() -> tuple[TokenRoute, ...]:
    """The token routes of the URL conf; none before Django is set up (nothing is served then:
    gunicorn's master logs its own start-up only)."""
    from django.apps import apps

    return _token_routes() if apps.ready else ()


def _blank(match: re.Match[str], names: tuple[str, ...]) -> str:
    text, start, pieces, position = match.group(0), match.start(), [], 0
    for index, name in enumerate(names):
        begin, end = match.span(f"token{index}")
        pieces += [text[position : begin - start], f"<{name}>"]
        position = end - start
    return "".join(pieces) + text[position:]


def _routed_elsewhere(match: re.Match[str]) -> bool:
    """Whether the path around ``match`` is one Django sends to a route without a token
    (``/accounts/verify/resend`` is listed before ``/accounts/verify/<token>``). A path that
    resolves nowhere is blanked all the same: a mangled link still holds its token."""
    from django.urls import Resolver404, resolve

    end = _PATH_END.search(match.string, match.end())
    path = match.string[match.start() : end.start() if end else len(match.string)]
    try:
        found = resolve(unquote(path))
    except Resolver404:
        return False
    return not any(map(is_token_parameter, found.kwargs))


def scrub(text: str) -> str:
    """``text`` with the token of every token-route path in it replaced by ``<token>``."""
    if "/" not in text:
        return text
    for route in token_routes():

        def replace(match: re.Match[str], names: tuple[str, ...] = route.names) -> str:
            return match.group(0) if _routed_elsewhere(match) else _blank(match, names)

        text = route.pattern.sub(replace, text)
    return text


class ScrubbingFormatter(logging.Formatter):
    """A log formatter whose output goes through ``scrub``: as ``class`` of a ``logging`` config,
    or wrapped around another formatter (``wrapped=``, as gunicorn's logs are)."""

    def __init__(self, *args, wrapped: logging.Formatter | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.wrapped = wrapped

    def format(self, record: logging.LogRecord) -> str:
        text = self.wrapped.format(record) if self.wrapped else super().format(record)
        return scrub(text)
