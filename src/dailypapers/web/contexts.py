"""View models for the HTML pages: what a template shows, prepared once in Python.

Templates stay dumb: every URL a page links to is checked here (only http/https leaves the site;
a ``javascript:`` link stored by any source never becomes an ``href``), authors come from the
prefetched byline (no query per card), and badges, tabs and neighbours are computed here from
``papers.queries`` so the web pages rank exactly as the API does.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from dailypapers.papers.models import Author, DailyEntry, Organization, Paper
from dailypapers.papers.queries import Badge, Period, PeriodKind, get_paper_badges, period_of

AUTHORS_ON_CARD = 3
VIDEO_SUFFIXES = (".mp4", ".webm", ".mov", ".qt", ".m4v", ".ogv")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".svg")


def site(request: HttpRequest) -> dict:
    """Context processor: what the header and footer of every page need (no database access)."""
    return {"SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL}


def web_url(value: str | None) -> str:
    """``value`` if it is an absolute http(s) URL with a host, else "" (never ``javascript:``)."""
    text = (value or "").strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return ""
    return text


def image_url(value: str | None) -> str:
    """Remote images must be https: the CSP allows ``img-src https:`` and mixed content is blocked."""
    text = web_url(value)
    return text if text.lower().startswith("https://") else ""


def period_url(period: Period) -> str:
    return reverse(f"papers.{period.kind}", args=[period.slug])


def safe_period_of(kind: PeriodKind, day: dt.date) -> Period | None:
    """``period_of`` that answers None at the edge of the calendar (the week after 9999-12-31)."""
    try:
        return period_of(kind, day)
    except OverflowError:
        return None


@dataclass(frozen=True)
class BadgeView:
    text: str
    rank: int
    url: str

    @classmethod
    def of(cls, badge: Badge) -> BadgeView:
        return cls(text=badge.text, rank=badge.rank, url=period_url(badge.period))


@dataclass(frozen=True)
class MediaItem:
    url: str
    kind: str  # "image", "video" or "link"


@dataclass
class PaperCard:
    """One paper as a card in a list (the feed, an author's or an organization's page)."""

    paper: Paper
    badge: BadgeView | None = None
    authors: list[Author] = field(init=False)

    def __post_init__(self) -> None:
        # ``authorships`` is prefetched in byline order by papers.queries: no query per card.
        self.authors = [authorship.author for authorship in self.paper.authorships.all()]

    @property
    def entry(self) -> DailyEntry | None:
        return getattr(self.paper, "daily", None)

    @property
    def author_count(self) -> int:
        return len(self.authors)

    @property
    def first_authors(self) -> list[Author]:
        return self.authors[:AUTHORS_ON_CARD]

    @property
    def more_authors(self) -> int:
        return max(0, self.author_count - AUTHORS_ON_CARD)

    @property
    def organization(self) -> Organization | None:
        return self.paper.organization

    @property
    def organization_avatar(self) -> str:
        return image_url(self.paper.organization.avatar_url) if self.paper.organization else ""

    @property
    def github_url(self) -> str:
        return web_url(self.paper.github_repo)

    @property
    def project_url(self) -> str:
        return web_url(self.paper.project_page)

    @property
    def thumbnail_url(self) -> str:
        return image_url(self.paper.thumbnail_url)

    @property
    def submitter(self) -> str:
        entry = self.entry
        if entry is None:
            return ""
        return entry.submitter_fullname or entry.submitter_name

    @property
    def submitter_avatar(self) -> str:
        entry = self.entry
        return image_url(entry.submitter_avatar_url) if entry else ""

    @property
    def feed_day_url(self) -> str:
        entry = self.entry
        return reverse("papers.day", args=[entry.date.isoformat()]) if entry else ""

    @property
    def published(self) -> dt.date | None:
        if self.paper.published_at:
            return self.paper.published_at.date()
        entry = self.entry
        return entry.date if entry else None

    @property
    def abstract_is_long(self) -> bool:
        # About three lines of a card; shorter abstracts need no "show more" toggle.
        return len(self.paper.abstract) > 280


@dataclass
class PaperDetail(PaperCard):
    """The paper page: everything a card has, plus badges, links, BibTeX and media."""

    badges: list[BadgeView] = field(init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.badges = [BadgeView.of(badge) for badge in get_paper_badges(self.paper)]

    @property
    def doi_url(self) -> str:
        doi = self.paper.doi.strip()
        return f"https://doi.org/{quote(doi, safe='/:;()._-')}" if doi else ""

    @property
    def media(self) -> list[MediaItem]:
        entry = self.entry
        items = []
        for raw in entry.media_urls if entry else []:
            url = image_url(raw) if isinstance(raw, str) else ""
            if not url:
                continue
            path = urlsplit(url).path.lower()
            kind = (
                "image"
                if path.endswith(IMAGE_SUFFIXES)
                else "video"
                if path.endswith(VIDEO_SUFFIXES)
                else "link"
            )
            items.append(MediaItem(url=url, kind=kind))
        return items

    @property
    def bibtex(self) -> str:
        return bibtex_entry(self.paper, [author.name for author in self.authors], self.published)


def _ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


_TITLE_SKIP = {"a", "an", "the", "on", "of", "in", "for", "to", "and", "towards", "toward"}


def bibtex_key(authors: list[str], year: int | None, title: str) -> str:
    """arXiv's style: first author's family name, year, first significant title word (``ge2024convllava``)."""
    family = _ascii_word(authors[0].split()[-1]) if authors and authors[0].split() else ""
    words = [_ascii_word(w) for w in title.split()]
    first = next((w for w in words if w and w not in _TITLE_SKIP), "")
    return f"{family or 'anon'}{year or ''}{first}"


def _bibtex_value(text: str) -> str:
    """A value safe inside ``{...}``: balanced braces kept, unbalanced ones dropped, ``& % #`` escaped."""
    depth = 0
    balanced = True
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            balanced = False
            break
    if not balanced or depth != 0:
        text = text.replace("{", "").replace("}", "")
    return re.sub(r"(?<!\\)([&%#])", r"\\\1", text)


def bibtex_entry(paper: Paper, authors: list[str], published: dt.date | None) -> str:
    year = published.year if published else None
    fields = [
        ("title", paper.title),
        ("author", " and ".join(authors)),
        ("year", str(year) if year else ""),
        ("eprint", paper.arxiv_id),
        ("archivePrefix", "arXiv"),
        ("primaryClass", paper.primary_category),
        ("doi", paper.doi),
        ("url", paper.arxiv_abs_url),
    ]
    lines = [f"@misc{{{bibtex_key(authors, year, paper.title)},"]
    lines += [f"  {name}={{{_bibtex_value(value)}}}," for name, value in fields if value]
    lines.append("}")
    return "\n".join(lines)


@dataclass(frozen=True)
class Tab:
    label: str
    url: str
    current: bool


@dataclass
class FeedView:
    """A daily, weekly or monthly feed page."""

    period: Period | None
    cards: list[PaperCard]
    total: int
    previous_url: str = ""
    previous_label: str = ""
    next_url: str = ""
    next_label: str = ""
    tabs: list[Tab] = field(default_factory=list)
    canonical_url: str = ""

    @property
    def heading(self) -> str:
        kind = self.period.kind if self.period else "day"
        return {"day": "Daily Papers", "week": "Weekly Papers", "month": "Monthly Papers"}[kind]

    @property
    def empty_message(self) -> str:
        if self.period is None:
            return "No papers yet."
        return {
            "day": "No papers on this day.",
            "week": "No papers this week.",
            "month": "No papers this month.",
        }[self.period.kind]


def build_tabs(period: Period, anchor: dt.date) -> list[Tab]:
    """Daily/Weekly/Monthly tabs that stay around ``anchor`` (a day in ``period`` with papers, if any)."""
    tabs = []
    for kind, label in (("day", "Daily"), ("week", "Weekly"), ("month", "Monthly")):
        target = period if kind == period.kind else safe_period_of(kind, anchor)  # type: ignore[arg-type]
        if target is not None:
            tabs.append(Tab(label=label, url=period_url(target), current=kind == period.kind))
    return tabs
