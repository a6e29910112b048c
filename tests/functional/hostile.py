"""Helpers of the hostile-client test (``test_hostile_client.py``), written once:

* ``site_routes()``: every route of the URL confs (the site, the admin, the API), each with the
  HTTP methods its view declares (``require_http_methods``, a class-based view's handlers, a
  django-ninja operation) and whether it is exempt from CSRF. New routes are picked up by
  themselves.
* ``database_snapshot()``: the row count and a checksum of every row of every table the models
  own, to assert that an attempt changed nothing.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
ALL_METHODS = frozenset({"GET", "HEAD", "OPTIONS", *WRITE_METHODS})


@dataclass(frozen=True)
class Route:
    pattern: str  # as written in the URL confs, includes joined
    name: str | None
    callback: Callable
    methods: frozenset[str] | None  # None: the view declares no method, so it answers any

    @property
    def label(self) -> str:
        return self.name or self.pattern

    @property
    def csrf_exempt(self) -> bool:
        return bool(getattr(self.callback, "csrf_exempt", False))

    @property
    def write_methods(self) -> tuple[str, ...]:
        methods = ALL_METHODS if self.methods is None else self.methods
        return tuple(m for m in WRITE_METHODS if m in methods)

    def path(self, samples: dict[str, str]) -> str:
        """The route with each parameter replaced by ``samples[name]`` (KeyError names it)."""
        return "/" + fill_pattern(self.pattern, samples)


def _groups(pattern: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, name) of each ``(?P<name>...)`` group and ``<conv:name>`` of a pattern."""
    for match in re.finditer(r"<(?:\w+:)?(\w+)>", pattern):
        if pattern[match.start() - 2 : match.start()] != "?P":
            yield match.start(), match.end(), match.group(1)
    for match in re.finditer(r"\(\?P<(\w+)>", pattern):
        depth, end = 0, match.start()
        for end in range(match.start(), len(pattern)):  # noqa: B007 (end is used after the loop)
            if pattern[end] == "(" and pattern[end - 1 : end] != "\\":
                depth += 1
            elif pattern[end] == ")" and pattern[end - 1 : end] != "\\":
                depth -= 1
                if depth == 0:
                    break
        yield match.start(), end + 1, match.group(1)


def fill_pattern(pattern: str, samples: dict[str, str]) -> str:
    out, last = [], 0
    for start, end, name in sorted(_groups(pattern)):
        out += [pattern[last:start], samples[name]]
        last = end
    out.append(pattern[last:])
    text = "".join(out)
    # What is left of a regex route: anchors and escapes.
    return text.replace("^", "").replace("$", "").replace("\\.", ".")


def _defined_in(function: Callable, filename: str) -> bool:
    # Not __module__: functools.wraps copies the decorated view's.
    code = getattr(function, "__code__", None)
    return code is not None and code.co_filename.replace("\\", "/").endswith(filename)


def declared_methods(view: Callable) -> frozenset[str] | None:
    """The methods a view answers, from what it declares; None when it declares none."""
    if hasattr(view, "view_class"):  # a class-based view
        cls = view.view_class
        names = {m.upper() for m in cls.http_method_names if hasattr(cls, m)}
        return frozenset(names - {"OPTIONS"} | ({"HEAD"} if "GET" in names else set()))
    if isinstance(view, functools.partial):
        return declared_methods(view.func)
    closure = inspect.getclosurevars(view).nonlocals if getattr(view, "__closure__", None) else {}
    path_view = closure.get("self")
    if path_view is not None and hasattr(path_view, "operations"):  # a django-ninja route
        return frozenset(m for op in path_view.operations for m in op.methods)
    if "request_method_list" in closure and _defined_in(view, "django/views/decorators/http.py"):
        return frozenset(closure["request_method_list"])
    wrapped = getattr(view, "__wrapped__", None)
    return declared_methods(wrapped) if wrapped is not None else None


def _walk(patterns: list, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


def site_routes() -> list[Route]:
    return [
        Route(pattern, entry.name, entry.callback, declared_methods(entry.callback))
        for pattern, entry in _walk(get_resolver().url_patterns)
    ]


def database_snapshot() -> dict[str, tuple[int, str]]:
    """``{table: (rows, sha256 of every row in primary-key order)}`` for every model's table."""
    snapshot = {}
    for model in apps.get_models(include_auto_created=True):
        rows = list(model._base_manager.order_by("pk").values_list())
        digest = hashlib.sha256(repr(rows).encode("utf-8", "surrogatepass")).hexdigest()
        snapshot[model._meta.db_table] = (len(rows), digest)
    return snapshot


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(
        table for table in before.keys() | after.keys() if before.get(table) != after.get(table)
    )
