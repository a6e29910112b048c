"""What people ask of search, over the one read path ``search.queries.search()``.

The search page, ``/papers?q=`` (a feed filtered by a query), the search feed and the JSON API
all come through here or ``search.queries``, so they parse, validate and rank alike:

    SearchForm.from_params(GET)   q, sort, from, to, cat, org, author, code, page -> a form or errors
    run_search(form)              one page of results for the search page
    search_among(query, ids)      which of these papers match, best first (a filtered feed)

``search()`` itself filters by date, category and "has code" and sorts by relevance or date. One
thing the page offers is done here, over a window of the best ``WINDOW`` matches: "most upvoted"
re-orders the window by upvotes (upvotes change with every vote, so they are read from the
database, not kept in the index). A page says when its window was full, so nobody mistakes it for
every match.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from dailypapers.search.interfaces import SearchFilters
from dailypapers.search.queries import SearchHit, SearchResults, search
from dailypapers.search.queries import search_among as search_papers_among

MAX_QUERY_CHARS = 250  # Hugging Face's limit for q; a title or a claim fits with room to spare
MAX_FIELD_CHARS = 100  # an author's or organization's name
PAGE_SIZE = 20
WINDOW = 200  # best matches re-ordered by upvotes
# A person pages through the first thousand matches at most; past them, narrowing the search is
# the answer (and deep pages cost a fused list as long as the offset).
MAX_RESULTS = 1000
MAX_PAGE = MAX_RESULTS // PAGE_SIZE
SORTS = {"relevance": "Best match", "upvotes": "Most upvoted", "newest": "Newest"}
CATEGORY = re.compile(r"^[A-Za-z][A-Za-z-]*(?:\.[A-Za-z][A-Za-z-]*)?$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
TRUE_WORDS = {"1", "true", "on", "yes"}


class InvalidSearch(ValueError):
    """A search parameter we refuse; ``param`` names it as the client sent it."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


def check_query(q: str | None, param: str = "q") -> str:
    text = q or ""
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidSearch(
            param,
            f"{param} is {len(text):,} characters long; the limit is {MAX_QUERY_CHARS}",
        )
    return text


def _name(params: Mapping[str, str], param: str, label: str) -> str:
    """An author's or organization's name, as typed: trimmed, bounded, no control characters."""
    value = " ".join((params.get(param) or "").split())
    if len(value) > MAX_FIELD_CHARS:
        raise InvalidSearch(param, f"{label} is too long: at most {MAX_FIELD_CHARS} characters")
    if CONTROL.search(value):
        raise InvalidSearch(param, f"{label} must not contain control characters")
    # The name becomes a quoted field value (author:"..."): a quote of its own would end it early.
    return value.replace('"', " ").strip()


def _day(params: Mapping[str, str], param: str, label: str) -> dt.date | None:
    value = (params.get(param) or "").strip()
    if not value:
        return None
    try:
        if not DAY.match(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidSearch(param, f"{label} must be a date such as 2025-03-14") from None


@dataclass(frozen=True)
class SearchForm:
    """A validated search request (from the page's form or its URL)."""

    q: str = ""
    sort: str = "relevance"
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    category: str = ""
    organization: str = ""
    author: str = ""
    has_code: bool = False
    page: int = 1

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> tuple[SearchForm, dict[str, str]]:
        """The form, and an error message per parameter that could not be used.

        With errors, the form keeps every value that was fine, so the page can show them again.
        """
        values: dict[str, object] = {}
        errors: dict[str, str] = {}

        def take(name: str, parse: Callable[[], object]) -> None:
            try:
                values[name] = parse()
            except InvalidSearch as error:
                errors[error.param] = error.message

        take("q", lambda: check_query(params.get("q")))
        take("sort", lambda: _sort(params.get("sort")))
        take("date_from", lambda: _day(params, "from", "The start date"))
        take("date_to", lambda: _day(params, "to", "The end date"))
        take("category", lambda: _category(params.get("cat")))
        take("organization", lambda: _name(params, "org", "The organization"))
        take("author", lambda: _name(params, "author", "The author"))
        values["has_code"] = (params.get("code") or "").strip().lower() in TRUE_WORDS
        take("page", lambda: _page(params.get("page")))
        start, end = values.get("date_from"), values.get("date_to")
        if isinstance(start, dt.date) and isinstance(end, dt.date) and start > end:
            errors["to"] = "The end date is before the start date"
            values.pop("date_to")
        return cls(**values), errors  # type: ignore[arg-type]

    @property
    def has_filters(self) -> bool:
        return bool(
            self.date_from
            or self.date_to
            or self.category
            or self.organization
            or self.author
            or self.has_code
        )

    @property
    def is_empty(self) -> bool:
        return not self.q.strip() and not self.has_filters

    def query_text(self) -> str:
        """The query with the author and organization fields in the query language.

        They come first: ``search()`` cuts a long query at the end, and these must not be cut.
        """
        parts = []
        if self.author:
            parts.append(f'author:"{self.author}"')
        if self.organization:
            parts.append(f'org:"{self.organization}"')
        parts.append(self.q)
        return " ".join(parts).strip()

    def feed_params(self) -> str:
        """The query string of this search without its page and sort (a feed's or a link's)."""
        params = {
            "q": self.q,
            "cat": self.category,
            "org": self.organization,
            "author": self.author,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "code": "1" if self.has_code else "",
        }
        return urlencode({name: value for name, value in params.items() if value})

    def describe(self) -> str:
        """The search in words, for a feed's title: '"diffusion" in cs.CV, with code'."""
        parts = [f"“{self.q.strip()}”"] if self.q.strip() else []
        if self.author:
            parts.append(f"by {self.author}")
        if self.organization:
            parts.append(f"from {self.organization}")
        if self.category:
            parts.append(f"in {self.category}")
        if self.date_from or self.date_to:
            start = self.date_from.isoformat() if self.date_from else "…"
            end = self.date_to.isoformat() if self.date_to else "…"
            parts.append(f"published {start} to {end}")
        if self.has_code:
            parts.append("with code")
        return ", ".join(parts)

    def filters(self) -> SearchFilters:
        start = dt.datetime.combine(self.date_from, dt.time.min, dt.UTC) if self.date_from else None
        end = dt.datetime.combine(self.date_to, dt.time.max, dt.UTC) if self.date_to else None
        return SearchFilters(
            categories=(self.category,) if self.category else (),
            published_from=start,
            published_to=end,
            has_code=self.has_code,
        )

    def with_page(self, page: int) -> SearchForm:
        return replace(self, page=page)


def _sort(value: str | None) -> str:
    sort = (value or "relevance").strip() or "relevance"
    if sort not in SORTS:
        raise InvalidSearch("sort", f"sort must be one of {', '.join(SORTS)}")
    return sort


def _category(value: str | None) -> str:
    category = (value or "").strip()
    if category and (len(category) > 40 or not CATEGORY.match(category)):
        raise InvalidSearch("cat", "The category must be an arXiv category such as cs.CL, or cs")
    return category


def _page(value: str | None) -> int:
    # Like the feed's pages: a page number that is not one shows the first page, not an error.
    try:
        page = int(value or 1)
    except ValueError:
        return 1
    if page > MAX_PAGE:
        raise InvalidSearch(
            "page",
            f"Search shows the first {MAX_RESULTS:,} matches ({MAX_PAGE} pages); "
            f"page {page:,} is past them. Narrow the search with more words or a filter",
        )
    return max(page, 1)


@dataclass
class SearchPage:
    """One page of results for the search page."""

    form: SearchForm
    hits: list[SearchHit]
    total: int
    page: int
    page_size: int
    took_ms: float
    notes: list[str] = field(default_factory=list)
    window: int | None = None
    """The number of best matches the page was filtered or re-ordered from, when it was full."""

    @property
    def pages(self) -> int:
        return min(max(1, math.ceil(self.total / self.page_size)), MAX_PAGE)

    @property
    def capped(self) -> bool:
        """Whether more papers matched than the pages reach (``MAX_RESULTS``)."""
        return self.total > MAX_PAGE * self.page_size

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_number(self) -> int:
        return (self.page - 1) * self.page_size + 1


def run_search(form: SearchForm) -> SearchPage:
    """One page of results: straight from ``search()``, or from the window for code/upvotes."""
    started = time.perf_counter()
    query, filters = form.query_text(), form.filters()
    engine_sort = "newest" if form.sort == "newest" else "relevance"
    if form.sort != "upvotes":
        offset = (form.page - 1) * PAGE_SIZE
        results = search(query, filters, sort=engine_sort, limit=PAGE_SIZE, offset=offset)  # type: ignore[arg-type]
        took = (time.perf_counter() - started) * 1000
        return SearchPage(
            form, results.hits, results.total, form.page, PAGE_SIZE, took, list(results.notes)
        )
    results = search(query, filters, sort=engine_sort, limit=WINDOW)  # type: ignore[arg-type]
    hits, notes = list(results.hits), results.notes
    full = results.total > len(hits)
    hits.sort(key=lambda hit: hit.paper.upvotes, reverse=True)  # stable: ties keep relevance
    start = (form.page - 1) * PAGE_SIZE
    took = (time.perf_counter() - started) * 1000
    return SearchPage(
        form,
        hits[start : start + PAGE_SIZE],
        len(hits),
        form.page,
        PAGE_SIZE,
        took,
        list(notes),
        window=WINDOW if full else None,
    )


def search_among(query: str, paper_ids: Iterable[int]) -> SearchResults:
    """Which of ``paper_ids`` (a feed's papers) match ``query``, best first.

    A feed is filtered by words, as a reader expects of a filter: keyword matching (BM25) only,
    so a paper is kept because it says what was typed, not because its topic is near. Every
    paper of the feed is looked at (``engine.rank_among``), however many others match.
    """
    return search_papers_among(query, paper_ids, mode="bm25")


def page_numbers(page: int, pages: int, around: int = 2) -> Sequence[int | None]:
    """Page links to show: the first, the last, and ``around`` on each side (None: a gap)."""
    shown = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    out: list[int | None] = []
    for number in shown:
        if out and number - (out[-1] or 0) > 1:
            out.append(None)
        out.append(number)
    return out
