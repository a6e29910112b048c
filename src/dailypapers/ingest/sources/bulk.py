"""Bulk arXiv metadata files, one JSON object per line, plain or gzipped, read as a stream.

* The Kaggle snapshot (``arxiv-metadata-oai-snapshot.json``, 4+ GB): keys ``id, submitter,
  authors, title, comments, journal-ref, doi, report-no, categories`` (space-separated, primary
  first), ``license, abstract, versions`` (``[{version: 'v1', created: 'Mon, 2 Apr 2007 ...
  GMT'}]``), ``update_date, authors_parsed`` (``[[last, first, suffix]]``). The version is the
  last one listed; v1's date is ``published_at``, the last version's ``updated_at``.
* Daily listing dumps (``id, title, authors, summary, categories, comment, _listing_date``, ...).
  They carry no submission date (``_listing_date`` is the announcement day, and for a
  replacement not even that of v1), so ``published_at`` is left for other sources to say.

Files are read line by line and nothing is kept per line once its record is yielded, so memory
stays flat whatever the size. A line that is not JSON, not an object, or lacks an id or title is
``Skipped`` with ``file:line`` and the reason; the rest of the file is read.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Callable, Iterable, Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import IO, Any

from dailypapers.ingest.records import (
    AuthorRecord,
    PaperRecord,
    RecordError,
    Skipped,
    arxiv_record,
    clean_text,
    parse_arxiv_id,
)
from dailypapers.ingest.sources import saved
from dailypapers.papers.models import NEW_STYLE_ID


def _open(path: Path) -> IO[bytes]:
    # Sniff the gzip magic rather than trust the name: ``.json`` files are often gzipped copies.
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    if gzipped:
        return gzip.open(path, "rb")  # type: ignore[return-value]  # GzipFile is an IO[bytes]
    return path.open("rb")


def _read_lines(
    path: Path, parse: Callable[[dict[str, Any], str], PaperRecord], limit: int | None = None
) -> Iterator[PaperRecord | Skipped]:
    problem = saved.unreadable(path)
    if problem:
        yield problem
        return
    name = str(path)
    seen = 0
    try:
        with _open(path) as handle:
            for number, line in enumerate(handle, start=1):
                if limit is not None and seen >= limit:
                    return
                if not line.strip():
                    continue
                seen += 1
                where = f"{name}:{number}"
                try:
                    # Decoding first spares json its per-line encoding sniffing on bytes.
                    item = json.loads(line.decode("utf-8"))
                    if not isinstance(item, dict):
                        raise RecordError(f"a JSON {type(item).__name__}, not an object")
                    yield parse(item, where)
                except RecordError as exc:
                    yield Skipped(where, str(exc))
                except (ValueError, TypeError, AttributeError, KeyError) as exc:
                    # ValueError covers JSONDecodeError and UnicodeDecodeError (bad bytes).
                    yield Skipped(where, f"{type(exc).__name__}: {exc}")
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        # A truncated gzip stops the file here; everything read before it was yielded.
        yield Skipped(name, f"unreadable from here on: {type(exc).__name__}: {exc}")


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _arxiv_id(value: Any) -> tuple[str, int | None]:
    match = NEW_STYLE_ID.fullmatch(value) if type(value) is str else None
    if match:
        # The common case, a bare new-style id, without parse_arxiv_id's URL/prefix handling.
        version = match.group("version")
        return match.group("id"), int(version) if version else None
    return parse_arxiv_id(_str(value))


def _categories(value: Any) -> list[str]:
    items = value.split() if isinstance(value, str) else value if isinstance(value, list) else []
    return list(dict.fromkeys(c.strip() for c in items if isinstance(c, str) and c.strip()))


def _names(values: Iterable[Any]) -> list[AuthorRecord]:
    """Author names, whitespace collapsed (the hot loop of a listing import: ~6 per paper)."""
    authors = []
    for value in values:
        if type(value) is str:
            name = " ".join(value.split())
            if name:
                authors.append(AuthorRecord(name))
    return authors


def _version_date(value: Any) -> dt.datetime | None:
    try:
        parsed = parsedate_to_datetime(_str(value))
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _kaggle_authors(item: dict[str, Any]) -> list[AuthorRecord]:
    parsed = item.get("authors_parsed")
    names: list[str] = []
    if isinstance(parsed, list) and parsed:
        for parts in parsed:
            if isinstance(parts, list) and parts:
                last, first, suffix = ([*map(_str, parts), "", ""])[:3]
                names.append(clean_text(f"{first} {last} {suffix}"))
    else:
        # Without authors_parsed, the byline string is "A, B and C".
        names = [clean_text(n) for n in _str(item.get("authors")).replace(" and ", ", ").split(",")]
    return [AuthorRecord(name=n) for n in names if n]


def record_from_kaggle(item: dict[str, Any], origin: str) -> PaperRecord:
    arxiv_id, version = _arxiv_id(item.get("id"))
    raw_versions = item.get("versions")
    versions: list[Any] = raw_versions if isinstance(raw_versions, list) else []
    numbers: list[int] = []
    for entry in versions:
        label = _str(entry.get("version")) if isinstance(entry, dict) else ""
        if label[1:].isdigit():
            numbers.append(int(label[1:]))
    first = versions[0] if versions and isinstance(versions[0], dict) else {}
    last = versions[-1] if versions and isinstance(versions[-1], dict) else {}
    return arxiv_record(
        "kaggle",
        arxiv_id,
        max(numbers) if numbers else version,
        title=_str(item.get("title")),
        abstract=_str(item.get("abstract")),
        authors=_kaggle_authors(item),
        categories=_categories(item.get("categories")),
        published_at=_version_date(first.get("created")),
        updated_at=_version_date(last.get("created")) if len(versions) > 1 else None,
        comment=_str(item.get("comments")),
        journal_ref=_str(item.get("journal-ref")),
        doi=_str(item.get("doi")),
        license=_str(item.get("license")),
        origin=origin,
    )


def record_from_listing(item: dict[str, Any], origin: str) -> PaperRecord:
    arxiv_id, version = _arxiv_id(item.get("id"))
    raw_authors = item.get("authors")
    if isinstance(raw_authors, str):
        raw_authors = raw_authors.replace(" and ", ", ").split(",")
    return arxiv_record(
        "listing",
        arxiv_id,
        version,
        title=_str(item.get("title")),
        abstract=_str(item.get("summary")) or _str(item.get("abstract")),
        authors=_names(raw_authors or []),
        categories=_categories(item.get("categories")),
        comment=_str(item.get("comment")),
        origin=origin,
    )


def kaggle_records(
    path: Path, *, categories: Iterable[str] = (), limit: int | None = None
) -> Iterator[PaperRecord | Skipped]:
    """Records of a Kaggle snapshot file. ``categories`` keeps only papers with a category that
    starts with one of the prefixes (``cs.`` or ``cs.CL``): the full snapshot is 2.7M papers."""
    prefixes = tuple(c for c in categories if c)
    for item in _read_lines(path, record_from_kaggle, limit):
        if (
            prefixes
            and isinstance(item, PaperRecord)
            and not any(c.startswith(prefixes) for c in item.categories or [])
        ):
            continue
        yield item


def listing_records(path: Path, *, limit: int | None = None) -> Iterator[PaperRecord | Skipped]:
    """Records of a daily-listing JSONL dump."""
    return _read_lines(path, record_from_listing, limit)
