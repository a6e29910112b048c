"""The source-neutral shape every upstream parser yields, and the helpers they share: arXiv ids,
whitespace cleaning, and ``arxiv_record`` for the formats arXiv itself publishes.

A parser turns one upstream format into ``PaperRecord`` objects (or ``Skipped`` for a bad record);
the pipeline alone decides how a record is merged into the database, and fits it to the columns.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from dailypapers.papers.models import NEW_STYLE_ID, OLD_STYLE_ID

_ARXIV_URL_PREFIX = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/", re.IGNORECASE
)


class RecordError(ValueError):
    """What is wrong with one upstream record; its message is the ``Skipped`` reason as it is."""


class InvalidArxivId(RecordError):
    pass


def parse_arxiv_id(raw: str) -> tuple[str, int | None]:
    """``'2405.15738v2'`` -> ``('2405.15738', 2)``; accepts arXiv URLs and ``arXiv:`` prefixes."""
    text = (raw or "").strip()
    text = _ARXIV_URL_PREFIX.sub("", text)
    text = re.sub(r"^arxiv:", "", text, flags=re.IGNORECASE)
    text = text.removesuffix(".pdf").strip("/")
    for pattern in (NEW_STYLE_ID, OLD_STYLE_ID):
        match = pattern.match(text)
        if match:
            version = match.group("version")
            return match.group("id"), int(version) if version else None
    raise InvalidArxivId(f"not an arXiv id: {raw[:100]!r}")


def clean_text(value: str | None) -> str:
    """Collapse the hard line wraps arXiv puts in titles and names."""
    # split/join collapses the same (Unicode) whitespace as ``\s+`` and strip(), ~2.5x faster:
    # this runs on every abstract and author name of a bulk import.
    return " ".join((value or "").split())


def clean_abstract(value: str | None) -> str:
    """Unwrap arXiv's hard-wrapped lines but keep blank-line paragraph breaks."""
    paragraphs = re.split(r"\n\s*\n", (value or "").strip())
    return "\n\n".join(clean_text(p) for p in paragraphs if p.strip())


@dataclass(slots=True)
class AuthorRecord:
    name: str
    hf_id: str = ""
    hidden: bool = False


@dataclass(slots=True)
class OrganizationRecord:
    name: str
    fullname: str = ""
    avatar_url: str = ""
    hf_id: str = ""


@dataclass(slots=True)
class DailyRecord:
    """The paper's entry in the daily feed (from Hugging Face, or a local submission)."""

    date: dt.date
    submitted_at: dt.datetime | None = None
    submitter_name: str = ""
    submitter_fullname: str = ""
    submitter_avatar_url: str = ""
    media_urls: list[str] = field(default_factory=list)


@dataclass(slots=True)
class PaperRecord:
    """What one upstream says about one paper. ``None`` means "this source does not say"."""

    source: str  # "hf", "arxiv", "oai", "kaggle", "listing"
    arxiv_id: str
    version: int | None = None
    title: str | None = None
    abstract: str | None = None
    authors: list[AuthorRecord] | None = None
    categories: list[str] | None = None
    published_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    license: str | None = None
    withdrawn: bool | None = None
    organization: OrganizationRecord | None = None
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    thumbnail_url: str | None = None
    upvotes: int | None = None
    num_comments: int | None = None
    discussion_id: str | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] | None = None
    daily: DailyRecord | None = None
    origin: str = ""  # file:line or URL, for error reports


@dataclass(slots=True)
class Skipped:
    """A record that could not be read: where it was and why. The run goes on without it."""

    origin: str
    reason: str


def arxiv_record(
    source: str,
    arxiv_id: str,
    version: int | None,
    *,
    title: str,
    origin: str,
    abstract: str = "",
    authors: list[AuthorRecord] | None = None,
    categories: list[str] | None = None,
    published_at: dt.datetime | None = None,
    updated_at: dt.datetime | None = None,
    comment: str = "",
    journal_ref: str = "",
    doi: str = "",
    license: str = "",
) -> PaperRecord:
    """A record from one of arXiv's own formats (API, OAI-PMH, Kaggle snapshot, listings), built
    from the raw texts: whitespace cleaned, blanks as ``None`` ("this source does not say"), the
    withdrawal read from the comment and abstract. Raises ``RecordError`` without a title."""
    title = clean_text(title)
    if not title:
        raise RecordError(f"{arxiv_id}: no title")
    comment = clean_text(comment)
    abstract = clean_abstract(abstract)
    return PaperRecord(
        source=source,
        arxiv_id=arxiv_id,
        version=version,
        title=title,
        abstract=abstract or None,
        authors=authors or None,
        categories=categories or None,
        published_at=published_at,
        updated_at=updated_at,
        comment=comment or None,
        journal_ref=clean_text(journal_ref) or None,
        doi=clean_text(doi) or None,
        license=clean_text(license) or None,
        withdrawn=looks_withdrawn(comment, abstract),
        origin=origin,
    )


WITHDRAWN_MARKERS = re.compile(
    r"\b(this (paper|article|submission) (has been|is) withdrawn|withdrawn by the (author|arxiv))",
    re.IGNORECASE,
)


def looks_withdrawn(comment: str | None, abstract: str | None = None) -> bool:
    """arXiv marks withdrawals in the comment ("This paper has been withdrawn by the author")."""
    return bool(WITHDRAWN_MARKERS.search(comment or "")) or bool(
        (abstract or "").strip().lower().startswith("this paper has been withdrawn")
    )
