"""The arXiv search API (``/api/query``, an Atom feed): parsing its feeds and fetching them politely.

Reads both the current feed format and the 2016 one (where the ``arxiv:`` and ``opensearch:``
namespaces are declared on each element; the parser does not care where a namespace is declared).
What a feed carries, per entry: the id with its version (``.../abs/1111.2011v2`` -> version 2, old
style ``hep-th/9901001`` ids too), title, abstract, authors in byline order, categories with the
``arxiv:primary_category`` first, published/updated, ``arxiv:comment``, ``arxiv:journal_ref``,
``arxiv:doi`` and a licence when the feed has one.

arXiv reports a bad query as an Atom feed whose only entry *is the error* (HTTP 400, and 200 on
older deployments): that entry raises ``ArxivApiError`` and is never stored as a paper.

``ArxivApiClient`` fetches by id list or ``search_query``, page by page through ``PoliteClient``
(which waits ``delay`` seconds between calls, 3 s by default as arXiv asks, and retries with
backoff). When the API errors, the client yields one ``Skipped`` naming the problem, stops, and
keeps the message in ``stopped_by`` so the command can fail loudly after storing what it got.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode
from xml.etree.ElementTree import Element

from django.conf import settings

from dailypapers.ingest.http import PoliteClient, UpstreamError
from dailypapers.ingest.records import (
    AuthorRecord,
    InvalidArxivId,
    PaperRecord,
    Skipped,
    arxiv_record,
    clean_text,
    parse_arxiv_id,
)
from dailypapers.ingest.sources import saved
from dailypapers.ingest.sources.arxiv_xml import (
    UnreadableXml,
    parse_when,
    parse_xml,
)
from dailypapers.ingest.sources.arxiv_xml import element_text as _text

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
ERROR_ID = re.compile(r"^https?://arxiv\.org/api/errors", re.IGNORECASE)
# arXiv asks for at most 2000 results per call and ids in a URL stay well below URL limits at 100.
MAX_PAGE_SIZE = 2000
IDS_PER_REQUEST = 100
MAX_FILE_BYTES = 64 * 1024 * 1024
FILE_ENDINGS = (".xml", ".json")


class ArxivApiError(UpstreamError):
    """The API answered with an error feed (bad id, bad query) or a page we cannot read."""


@dataclass
class FeedPage:
    """One Atom response: the opensearch counters and the entries read from it."""

    total_results: int
    start_index: int
    items_per_page: int
    items: list[PaperRecord | Skipped] = field(default_factory=list)

    @property
    def entry_count(self) -> int:
        return len(self.items)


def _int(element: Element | None, default: int = 0) -> int:
    try:
        return int(_text(element).strip())
    except ValueError:
        return default


def _error_message(entry: Element) -> str | None:
    """The message of an error entry, or ``None`` for an ordinary paper entry."""
    entry_id = _text(entry.find(f"{ATOM}id")).strip()
    if ERROR_ID.match(entry_id) or _text(entry.find(f"{ATOM}title")).strip() == "Error":
        summary = clean_text(_text(entry.find(f"{ATOM}summary")))
        return f"{summary or 'unspecified error'} ({entry_id})" if entry_id else summary
    return None


def record_from_entry(entry: Element, origin: str) -> PaperRecord:
    """One ``<entry>`` -> ``PaperRecord``; raises ``ValueError`` naming what is wrong."""
    arxiv_id, version = parse_arxiv_id(_text(entry.find(f"{ATOM}id")).strip())
    authors = [
        AuthorRecord(name=name)
        for name in (
            clean_text(_text(a.find(f"{ATOM}name"))) for a in entry.findall(f"{ATOM}author")
        )
        if name
    ]
    primary_element = entry.find(f"{ARXIV}primary_category")
    primary = (primary_element.get("term") or "").strip() if primary_element is not None else ""
    categories = [primary] if primary else []
    for category in entry.findall(f"{ATOM}category"):
        term = (category.get("term") or "").strip()
        if term and term not in categories:
            categories.append(term)

    license_url = clean_text(
        _text(entry.find(f"{ARXIV}license")) or _text(entry.find(f"{ATOM}rights"))
    )
    for link in entry.findall(f"{ATOM}link"):
        if link.get("rel") == "license" and not license_url:
            license_url = (link.get("href") or "").strip()
    return arxiv_record(
        "arxiv",
        arxiv_id,
        version,
        title=_text(entry.find(f"{ATOM}title")),
        abstract=_text(entry.find(f"{ATOM}summary")),
        authors=authors,
        categories=categories,
        published_at=parse_when(_text(entry.find(f"{ATOM}published"))),
        updated_at=parse_when(_text(entry.find(f"{ATOM}updated"))),
        comment=_text(entry.find(f"{ARXIV}comment")),
        journal_ref=_text(entry.find(f"{ARXIV}journal_ref")),
        doi=_text(entry.find(f"{ARXIV}doi")),
        license=license_url,
        origin=origin,
    )


def parse_feed(body: bytes | str, origin: str) -> FeedPage:
    """Read one API response. Raises ``ArxivApiError`` for an error feed or unreadable XML;
    an entry that cannot be read becomes a ``Skipped`` and the rest of the page still counts."""
    try:
        root = parse_xml(body)
    except UnreadableXml as exc:
        raise ArxivApiError(f"{origin}: not a readable Atom feed ({exc})") from None
    if root.tag != f"{ATOM}feed":
        raise ArxivApiError(f"{origin}: expected an Atom <feed>, got <{root.tag}>")
    entries = root.findall(f"{ATOM}entry")
    for entry in entries:
        message = _error_message(entry)
        if message is not None:
            raise ArxivApiError(f"arXiv API error: {message}")
    page = FeedPage(
        total_results=_int(root.find(f"{OPENSEARCH}totalResults"), len(entries)),
        start_index=_int(root.find(f"{OPENSEARCH}startIndex")),
        items_per_page=_int(root.find(f"{OPENSEARCH}itemsPerPage"), len(entries)),
    )
    for position, entry in enumerate(entries):
        where = f"{origin}#entry{page.start_index + position + 1}"
        try:
            page.items.append(record_from_entry(entry, where))
        except ValueError as exc:
            page.items.append(Skipped(where, str(exc)))
    return page


def records_from_file(path: Path) -> Iterator[PaperRecord | Skipped]:
    """A saved feed (``.xml``) or a recorded exchange (``.json``: ``{url, status_code, body}``)."""
    return saved.records_from_whole_file(path, MAX_FILE_BYTES, _saved_entries, ArxivApiError)


def _saved_entries(path: Path, saved_body: bytes) -> list[PaperRecord | Skipped]:
    body: bytes | str = saved_body
    if path.suffix == ".json":
        try:
            exchange = json.loads(body)
            body = exchange["body"]
            if not isinstance(body, str):
                raise TypeError("'body' is not a string")
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
            raise ArxivApiError(
                f"not a recorded exchange {{url, status_code, body}}: {exc}"
            ) from None
    return parse_feed(body, str(path)).items


class ArxivApiClient:
    """Queries ``/api/query`` by id list or ``search_query``, one polite page at a time."""

    def __init__(
        self,
        base_url: str | None = None,
        client: PoliteClient | None = None,
        page_size: int = 100,
    ):
        self.base_url = base_url or settings.ARXIV_API_URL
        self.client = client or PoliteClient()
        self.page_size = max(1, min(page_size, MAX_PAGE_SIZE))
        self.stopped_by: str | None = None

    def fetch_page(
        self,
        *,
        search_query: str = "",
        id_list: Iterable[str] = (),
        start: int = 0,
        max_results: int | None = None,
        sort_by: str = "relevance",
        sort_order: str = "descending",
    ) -> FeedPage:
        """One call. Raises ``ArxivApiError`` (error feed) or ``UpstreamError`` (HTTP trouble)."""
        params: dict[str, str | int] = {
            "search_query": search_query,
            "id_list": ",".join(id_list),
            "sortBy": sort_by,
            "sortOrder": sort_order,
            "start": start,
            "max_results": max_results or self.page_size,
        }
        url = f"{self.base_url}?{urlencode(params)}"
        response = self.client.get(self.base_url, params=params)
        if response.status_code != 200:
            # arXiv explains a 400 in an error feed; anything else gets the start of the body.
            try:
                parse_feed(response.content, url)
            except ArxivApiError as exc:
                raise ArxivApiError(f"HTTP {response.status_code}: {exc}") from None
            raise ArxivApiError(f"{url}: HTTP {response.status_code}: {response.text[:200]}")
        # Bytes, not ``response.text``: the XML declaration, not a guess, decides the encoding.
        return parse_feed(response.content, url)

    def records(
        self,
        *,
        search_query: str = "",
        id_list: Iterable[str] = (),
        max_results: int | None = None,
        sort_by: str = "relevance",
        sort_order: str = "descending",
    ) -> Iterator[PaperRecord | Skipped]:
        """Every entry the query matches (up to ``max_results``), paging through the results.

        Malformed ids are skipped before any request (one would make arXiv reject the whole
        call); ids arXiv does not know come back as ``Skipped`` ("no such paper").
        """
        raw_ids = [raw.strip() for raw in id_list if raw.strip()]
        if not raw_ids and not search_query:
            raise ValueError("give a search_query or an id list")
        self.stopped_by = None
        return self._records(search_query, raw_ids, max_results, sort_by, sort_order)

    def _records(
        self,
        search_query: str,
        raw_ids: list[str],
        max_results: int | None,
        sort_by: str,
        sort_order: str,
    ) -> Iterator[PaperRecord | Skipped]:
        if not raw_ids:
            yield from self._pages(search_query, [], max_results, sort_by, sort_order)
            return
        ids: list[str] = []
        for raw in raw_ids:
            try:
                arxiv_id, version = parse_arxiv_id(raw)
            except InvalidArxivId as exc:
                yield Skipped(raw, str(exc))
                continue
            ids.append(f"{arxiv_id}v{version}" if version else arxiv_id)
        ids = list(dict.fromkeys(ids))
        for offset in range(0, len(ids), IDS_PER_REQUEST):
            chunk = ids[offset : offset + IDS_PER_REQUEST]
            found: set[str] = set()
            for item in self._pages(search_query, chunk, None, sort_by, sort_order):
                if isinstance(item, PaperRecord):
                    found.add(item.arxiv_id)
                yield item
            if self.stopped_by:
                return
            yield from _missing(chunk, found, self.base_url)

    def _pages(
        self,
        search_query: str,
        ids: list[str],
        limit: int | None,
        sort_by: str,
        sort_order: str,
    ) -> Iterator[PaperRecord | Skipped]:
        start = 0
        while limit is None or start < limit:
            size = self.page_size if limit is None else min(self.page_size, limit - start)
            where = (
                f"{self.base_url}?search_query={search_query}&id_list={','.join(ids)}&start={start}"
            )
            try:
                page = self.fetch_page(
                    search_query=search_query,
                    id_list=ids,
                    start=start,
                    max_results=size,
                    sort_by=sort_by,
                    sort_order=sort_order,
                )
            except UpstreamError as exc:
                yield from self._stop(where, str(exc))
                return
            yield from page.items
            start += page.entry_count
            total = page.total_results if limit is None else min(limit, page.total_results)
            if start >= total:
                return
            if page.entry_count == 0:
                # arXiv sometimes answers an empty page before the end; going on would loop.
                yield from self._stop(where, f"empty page at {start} of {total} results; stopping")
                return

    def _stop(self, where: str, message: str) -> Iterator[Skipped]:
        self.stopped_by = message
        yield Skipped(where, message)


def _missing(requested: list[str], found: set[str], base_url: str) -> Iterator[Skipped]:
    for raw in requested:
        try:
            arxiv_id, _ = parse_arxiv_id(raw)
        except InvalidArxivId:
            arxiv_id = raw
        if arxiv_id not in found:
            yield Skipped(f"{base_url}?id_list={raw}", "arXiv has no paper with this id")
