"""Hugging Face ``/api/daily_papers`` responses: saved files, folders of them, and the live API.

The real captures have quirks this module reads as they are:
* most files are a JSON list of items; some are a JSON list of *Python-repr strings* (``True``,
  ``None``, single quotes), read with ``ast.literal_eval`` (a literal parser, never ``eval``);
* one wraps the list in ``{"status", "date", "count", "data"}``;
* fields drift: ``mediaUrl`` became ``mediaUrls``; ``submittedOnDailyAt``, ``submittedBy``,
  ``organization``, ``ai_summary`` and ``githubStars`` appear part-way.
The feed date is the day the paper entered the daily list (``submittedOnDailyAt``), falling back
to the date the file was requested for.
"""

from __future__ import annotations

import ast
import datetime as dt
import gzip
import json
import math
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.dateparse import parse_datetime

from dailypapers.ingest.http import PoliteClient, UpstreamError
from dailypapers.ingest.records import (
    AuthorRecord,
    DailyRecord,
    OrganizationRecord,
    PaperRecord,
    Skipped,
    clean_abstract,
    clean_text,
    parse_arxiv_id,
)
from dailypapers.ingest.sources import saved

DATE_IN_NAME = saved.DATE_IN_NAME  # papers/demo.py reads it here
MAX_FILE_BYTES = 64 * 1024 * 1024
FILE_ENDINGS = (".json", ".jsonl", ".jsonl.gz")
# Far above anything real (longest title 175, summary 1,923 characters in two years of captures):
# a longer value is a broken or hostile record, reported rather than stored or silently cut.
MAX_TEXT = {"title": 1_000, "summary": 20_000, "ai_summary": 10_000}
MAX_COUNT = 2**31 - 1  # what every database's integer column holds
# Lists a page shows, bounded: no real item comes near (column widths are the pipeline's).
MAX_MEDIA = 20
MAX_KEYWORDS = 50
MAX_KEYWORD_CHARS = 200
# Whatever a malformed item makes the parser raise: reported for that item, never fatal to the run.
ITEM_ERRORS = (ValueError, TypeError, AttributeError, KeyError, OverflowError, RecursionError)


class PayloadError(ValueError):
    """The whole payload is unreadable (not JSON, not a list of items)."""


def _parse_when(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = parse_datetime(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def _str(value: Any) -> str:
    # PostgreSQL refuses NUL characters in text that SQLite would store: drop them so a record
    # imports the same on both.
    return value.replace("\x00", "").strip() if isinstance(value, str) else ""


def _url(value: Any) -> str:
    """Only http(s) URLs are kept: a ``javascript:`` link must never reach a page. (One too long
    for its column is dropped by the pipeline.)"""
    text = _str(value)
    return text if re.match(r"^https?://", text, re.IGNORECASE) else ""


def _count(value: Any) -> int | None:
    """A snapshot count, or ``None`` (unknown) for anything that is not a sane number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    count = max(0, int(value))
    return count if count <= MAX_COUNT else None


def _text(container: dict, key: str) -> str:
    text = _str(container.get(key))
    limit = MAX_TEXT[key]
    if len(text) > limit:
        raise ValueError(f"{key} is {len(text):,} characters long (more than {limit:,})")
    return text


def decode_payload(text: str) -> list[Any]:
    """The list of items in one response body, whatever its historical shape."""
    try:
        data = json.loads(text)
    except ValueError as exc:  # JSONDecodeError, or an integer with more digits than Python reads
        raise PayloadError(f"not JSON: {exc}") from None
    except RecursionError:
        raise PayloadError("not readable JSON: nested too deeply") from None
    if isinstance(data, dict):
        if isinstance(data.get("data"), list):
            data = data["data"]
        elif "error" in data:
            raise PayloadError(f"upstream error: {str(data['error'])[:200]}")
        else:
            raise PayloadError("a JSON object without a 'data' list")
    if not isinstance(data, list):
        raise PayloadError(f"expected a list of items, got {type(data).__name__}")
    return data


def _decode_item(item: Any) -> dict:
    if isinstance(item, str):
        try:
            item = ast.literal_eval(item)
        except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
            raise ValueError(f"unreadable Python-repr item: {type(exc).__name__}") from None
    if not isinstance(item, dict):
        raise ValueError(f"item is a {type(item).__name__}, not an object")
    return item


def record_from_item(item: Any, fallback_date: dt.date | None, origin: str) -> PaperRecord:
    """One daily-papers item -> ``PaperRecord``; raises ``ValueError`` naming what is wrong."""
    outer = _decode_item(item)
    inner = outer.get("paper")
    paper: dict = inner if isinstance(inner, dict) else outer
    arxiv_id, version = parse_arxiv_id(_str(paper.get("id")))
    title = clean_text(_text(paper, "title") or _text(outer, "title"))
    if not title:
        raise ValueError(f"{arxiv_id}: no title")

    raw_authors = paper.get("authors") or []
    if not isinstance(raw_authors, list):
        raise ValueError(f"{arxiv_id}: authors is a {type(raw_authors).__name__}, not a list")
    authors = []
    for raw in raw_authors:
        if isinstance(raw, dict) and clean_text(_str(raw.get("name"))):
            authors.append(
                AuthorRecord(
                    name=clean_text(_str(raw["name"])),
                    hf_id=_str(raw.get("_id")),
                    hidden=raw.get("hidden") is True,
                )
            )

    submitted_at = _parse_when(paper.get("submittedOnDailyAt"))
    feed_date = submitted_at.date() if submitted_at else fallback_date
    daily = None
    if feed_date is not None:
        submitter = outer.get("submittedBy") or paper.get("submittedOnDailyBy") or {}
        if not isinstance(submitter, dict):
            submitter = {}
        media = outer.get("mediaUrls") or paper.get("mediaUrls") or []
        if not isinstance(media, list):
            media = []
        legacy_media = outer.get("mediaUrl") or paper.get("mediaUrl")
        if legacy_media:
            media = [legacy_media, *media]
        daily = DailyRecord(
            date=feed_date,
            submitted_at=submitted_at,
            submitter_name=_str(submitter.get("name")) or _str(submitter.get("user")),
            submitter_fullname=_str(submitter.get("fullname")),
            submitter_avatar_url=_avatar(submitter.get("avatarUrl")),
            media_urls=[u for u in (_url(m) for m in media) if u][:MAX_MEDIA],
        )

    organization = None
    org = outer.get("organization") or paper.get("organization")
    if isinstance(org, dict) and _str(org.get("name")):
        organization = OrganizationRecord(
            name=_str(org["name"]),
            fullname=clean_text(_str(org.get("fullname"))),
            avatar_url=_avatar(org.get("avatar")),
            hf_id=_str(org.get("_id")),
        )

    keywords = paper.get("ai_keywords")
    # Until mid-2024 the social thumbnail came as ``mediaUrl``; later captures call it ``thumbnail``.
    thumbnail = _url(outer.get("thumbnail")) or _url(outer.get("mediaUrl") or paper.get("mediaUrl"))
    return PaperRecord(
        source="hf",
        arxiv_id=arxiv_id,
        version=version,
        title=title,
        abstract=clean_abstract(_text(paper, "summary") or _text(outer, "summary")) or None,
        authors=authors or None,
        published_at=_parse_when(paper.get("publishedAt")),
        organization=organization,
        github_repo=_url(paper.get("githubRepo")) or None,
        github_stars=_count(paper.get("githubStars")),
        project_page=_url(paper.get("projectPage")) or None,
        thumbnail_url=thumbnail or None,
        upvotes=_count(paper.get("upvotes")),
        num_comments=_count(outer.get("numComments")),
        discussion_id=_str(paper.get("discussionId")) or None,
        ai_summary=clean_text(_text(paper, "ai_summary")) or None,
        ai_keywords=[clean_text(_str(k))[:MAX_KEYWORD_CHARS] for k in keywords if _str(k)][
            :MAX_KEYWORDS
        ]
        if isinstance(keywords, list)
        else None,
        daily=daily,
        origin=origin,
    )


def _avatar(value: Any) -> str:
    text = _str(value)
    if text.startswith("/"):
        text = "https://huggingface.co" + text
    return _url(text)


def records_from_payload(
    text: str, origin: str, fallback_date: dt.date | None
) -> Iterator[PaperRecord | Skipped]:
    try:
        items = decode_payload(text)
    except PayloadError as exc:
        yield Skipped(origin, str(exc))
        return
    for index, item in enumerate(items):
        where = f"{origin}[{index}]"
        try:
            yield record_from_item(item, fallback_date, where)
        except ITEM_ERRORS as exc:
            yield Skipped(where, _reason(exc))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ValueError) and str(exc):
        return str(exc)
    return f"malformed item ({type(exc).__name__}: {str(exc)[:200]})"


def iter_files(paths: list[Path]) -> list[Path]:
    """Expand folders into their ``*.json`` / ``*.jsonl(.gz)`` files, sorted by name (= by date)."""
    return saved.iter_files(paths, FILE_ENDINGS)


def records_from_file(path: Path) -> Iterator[PaperRecord | Skipped]:
    """A saved response (``.json``) or the one-item-per-line dump (``.jsonl`` / ``.jsonl.gz``)."""
    streamed = path.name.endswith((".jsonl", ".jsonl.gz"))
    problem = saved.unreadable(path, None if streamed else MAX_FILE_BYTES)
    if problem:
        yield problem
        return
    if streamed:
        yield from _records_from_jsonl(path)
        return
    try:
        # utf-8-sig: a byte-order mark left by an editor is not an error.
        text = path.read_text(encoding="utf-8-sig")
    except (UnicodeDecodeError, OSError) as exc:
        yield Skipped(str(path), f"unreadable: {exc}")
        return
    yield from records_from_payload(text, str(path), saved.date_in_name(path))


def _records_from_jsonl(path: Path) -> Iterator[PaperRecord | Skipped]:
    opener = gzip.open if path.name.endswith(".gz") else open
    number = 0
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                where = f"{path}:{number}"
                try:
                    item = json.loads(line)
                    if not isinstance(item, dict):
                        raise ValueError(f"line is a JSON {type(item).__name__}, not an object")
                    file_date = item.get("_file_date")
                    fallback = dt.date.fromisoformat(file_date) if file_date else None
                    yield record_from_item(item, fallback, where)
                except ITEM_ERRORS as exc:
                    yield Skipped(where, _reason(exc))
    except (OSError, EOFError, zlib.error) as exc:
        # A truncated or corrupt .gz: what was read is kept; the rest of the file is reported.
        yield Skipped(
            f"{path}:{number + 1}", f"unreadable from here on: {type(exc).__name__}: {exc}"
        )


def daterange(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


class HfDailyPapersClient:
    """Fetches ``/api/daily_papers?date=`` day by day from the live API (or a local stand-in)."""

    def __init__(self, base_url: str | None = None, client: PoliteClient | None = None):
        self.base_url = (base_url or settings.HF_API_URL).rstrip("/")
        # The delay, retries and timeout are DAILYPAPERS_UPSTREAM_*; a hard-coded delay here would
        # silently ignore an operator who asked for a politer pace.
        self.client = client or PoliteClient()

    def fetch_day(self, day: dt.date) -> str:
        url = f"{self.base_url}/api/daily_papers"
        response = self.client.get(url, params={"date": day.isoformat(), "limit": 100})
        if response.status_code != 200:
            raise UpstreamError(
                f"{url}?date={day}: HTTP {response.status_code}: {response.text[:200]}"
            )
        # JSON is UTF-8 by definition; never let a missing charset header pick Latin-1.
        return response.content.decode("utf-8", errors="replace")

    def records(self, start: dt.date, end: dt.date) -> Iterator[PaperRecord | Skipped]:
        for day in daterange(start, end):
            origin = f"{self.base_url}/api/daily_papers?date={day}"
            try:
                text = self.fetch_day(day)
            except UpstreamError as exc:
                yield Skipped(origin, str(exc))
                continue
            yield from records_from_payload(text, origin, day)
