"""Plain factory functions. Papers go in through the real import pipeline, as in production."""

from __future__ import annotations

import datetime as dt
import itertools

from dailypapers.ingest.pipeline import import_records
from dailypapers.ingest.records import AuthorRecord, DailyRecord, OrganizationRecord, PaperRecord
from dailypapers.papers.models import Paper

_counter = itertools.count(1)


def paper_record(
    *,
    arxiv_id: str | None = None,
    title: str | None = None,
    abstract: str = "We study things.",
    authors: list[str] | None = None,
    day: dt.date | None = dt.date(2025, 3, 14),
    upvotes: int = 0,
    organization: str | None = None,
    submitter: str = "",
    source: str = "hf",
    **extra,
) -> PaperRecord:
    n = next(_counter)
    arxiv_id = arxiv_id or f"2503.{n:05d}"
    return PaperRecord(
        source=source,
        arxiv_id=arxiv_id,
        title=title or f"Paper number {n}",
        abstract=abstract,
        authors=[AuthorRecord(name=a) for a in (authors or ["Ada Lovelace", "Alan Turing"])],
        published_at=dt.datetime(2025, 3, 12, tzinfo=dt.UTC),
        upvotes=upvotes,
        organization=OrganizationRecord(name=organization, fullname=organization)
        if organization
        else None,
        daily=DailyRecord(date=day, submitter_name=submitter) if day else None,
        origin="factory",
        **extra,
    )


def make_paper(**kwargs) -> Paper:
    record = paper_record(**kwargs)
    import_records([record])
    return Paper.objects.get(arxiv_id=record.arxiv_id)
