"""What each reader gets for a period, recorded in the outbox before anything is sent.

A digest has two parts: the period's top papers (the community trending score, the order of the
trending page) and personal picks, each with one line saying why it was picked. Nothing is
composed for an empty period, and a reader with nothing new gets no digest.

Personal picks go through the site's search engine, batched for 100,000 readers
--------------------------------------------------------------------------------
A period holds 50-200 papers (a day) or ~1,000 (a week); readers number up to 100,000. Running
``search()`` once per reader would repeat the same work thousands of times, and would rank the
whole catalogue when only the period's papers can be picked. So the engine ranks the period's
papers for each distinct interest once, with ``SearchEngine.rank_among`` (the operation the
filtered feed and a "For you" page use too):

1. The period's papers are loaded once (``load_period``) with their authors, organizations and
   categories, and handed to the engine as ``Candidates``: their stored vectors, read once as an
   ``n x 384`` matrix, serve every interest and every reader's "similar to what I upvoted".
2. Readers are grouped by interest. A reader's interests text is split on commas, semicolons
   and new lines (``diffusion distillation, robot grasping`` is two interests, and a pick quotes
   the one it matched); readers share each distinct part (normalised: case and spacing), so
   100,000 readers need ~12,000 rankings, not 100,000. Each distinct part is parsed by
   ``search.syntax.parse_query`` and ranked once, when the first chunk of readers needing it is
   composed: ``rank_among`` embeds the chunk's new interests in one call and ranks the period's
   papers for each as the search page ranks (BM25 restricted to the period's papers, cosine
   against their matrix above the engine's floor, constraints checked, the engine's fusion).
3. Per reader, in memory: followed authors and organizations first (an index from folded name to
   papers), then interest matches (``best_matches`` over the reader's interests: each paper's
   best score and the interest it matched) and papers similar to what the reader upvoted (their
   vectors against the period's matrix), then followed categories. Papers the reader marked "not
   interested" are never picked, nor are papers whose cosine to one of them reaches
   ``DISLIKED_SIMILARITY``. Papers already sent to the reader (``SentPaper``) are skipped.

Recording (the outbox)
----------------------
Readers are composed in chunks; each chunk is one transaction that inserts its ``Digest`` rows
(status ``pending``, items and a Message-ID fixed now) and the ``SentPaper`` rows of their
papers. A crash loses at most the chunk in flight, and the rerun composes only readers without a
digest for the period. The unique (subscriber, period) constraint makes a second digest for the
same period impossible even when two runs overlap.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from dailypapers.community.models import Vote
from dailypapers.community.queries import order_by_trending
from dailypapers.digests.models import Digest, NotInterested, SentPaper, Subscriber
from dailypapers.papers.models import Paper
from dailypapers.papers.queries import Period, query_feed
from dailypapers.search.backend import get_search_index
from dailypapers.search.engine import (
    Candidates,
    EngineHit,
    EngineResults,
    SearchEngine,
    best_matches,
)
from dailypapers.search.syntax import parse_query

CHUNK = 2000  # readers per outbox transaction
UPVOTED_SIMILARITY = 0.5  # cosine from which a paper is "similar to one you upvoted"
DISLIKED_SIMILARITY = 0.6  # cosine from which a paper is too close to a "not interested" one
UPVOTES_READ = 50  # most recent upvotes of a reader taken as their taste
REASON_QUOTE_CHARS = 60

Progress = Callable[[str, int, int | None], None]


def period_key(period: Period) -> str:
    """``day:2025-03-14`` or ``week:2025-W11``: the outbox's unique period name."""
    return f"{period.kind}:{period.slug}"


@dataclass
class PeriodPapers:
    period: Period
    ids: list[int]
    trending_ids: list[int]
    titles: dict[int, str]
    candidates: Candidates | None  # the papers as the engine ranks them (None: no engine)
    authors: dict[str, list[tuple[int, str]]]  # folded name -> (paper id, name as written)
    organizations: dict[str, list[tuple[int, str]]]
    categories: dict[int, tuple[str, ...]]

    @property
    def empty(self) -> bool:
        return not self.ids

    @property
    def vectors(self) -> np.ndarray | None:
        """Rows in ``ids`` order; zeros where a paper has no vector; None when none has one."""
        return self.candidates.matrix if self.candidates is not None else None


def _fold(name: str) -> str:
    return " ".join(name.casefold().split())


def load_period(period: Period, engine: SearchEngine | None = None) -> PeriodPapers:
    """The period's feed papers, once, with everything picking needs."""
    papers = list(query_feed(period))
    ids = [paper.pk for paper in papers]
    trending_ids = list(
        order_by_trending(Paper.objects.filter(pk__in=ids)).values_list("pk", flat=True)
    )
    authors: dict[str, list[tuple[int, str]]] = defaultdict(list)
    organizations: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for paper in papers:
        for authorship in paper.authorships.all():
            if not authorship.hidden:
                authors[_fold(authorship.author.name)].append((paper.pk, authorship.author.name))
        if paper.organization is not None:
            org = paper.organization
            for name in {org.name, org.fullname} - {""}:
                organizations[_fold(name)].append((paper.pk, org.display_name))
    return PeriodPapers(
        period=period,
        ids=ids,
        trending_ids=trending_ids,
        titles={paper.pk: paper.title for paper in papers},
        candidates=engine.candidates(ids) if engine is not None else None,
        authors=dict(authors),
        organizations=dict(organizations),
        categories={paper.pk: tuple(paper.categories or ()) for paper in papers},
    )


def interest_key(text: str) -> str:
    return " ".join((text or "").casefold().split())


INTEREST_SEPARATORS = re.compile(r"[,;\n]+")
MAX_INTEREST_PARTS = 10


def interest_parts(text: str) -> list[str]:
    """The separate interests of a reader: ``diffusion distillation, robot grasping`` is two
    searches, and a pick quotes the one it matched. Parts keep the reader's spelling."""
    parts = [" ".join(part.split()) for part in INTEREST_SEPARATORS.split(text or "")]
    return [part for part in parts if part][:MAX_INTEREST_PARTS]


def score_interests(
    texts: Iterable[str], papers: PeriodPapers, engine: SearchEngine
) -> dict[str, EngineResults]:
    """Hybrid ranking of the period's papers for each distinct interest text, best first."""
    keys = sorted({interest_key(text) for text in texts} - {""})
    if not keys or papers.empty:
        return {}
    candidates = (
        papers.candidates if papers.candidates is not None else engine.candidates(papers.ids)
    )
    rankings = engine.rank_among([parse_query(key) for key in keys], candidates, mode="hybrid")
    return dict(zip(keys, rankings, strict=True))


@dataclass
class Item:
    paper: int
    section: str  # "top" or "pick"
    reason: str = ""

    def as_json(self) -> dict:
        return {"paper": self.paper, "section": self.section, "reason": self.reason}


@dataclass
class Reader:
    """What composing needs of one subscriber (read in bulk, never as model instances)."""

    id: int
    interests: str
    authors: list[str]
    organizations: list[str]
    categories: list[str]
    like_upvoted: bool
    user_id: int | None
    sent: set[int] = field(default_factory=set)
    not_interested: set[int] = field(default_factory=set)
    upvoted: list[int] = field(default_factory=list)


def _quote(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > REASON_QUOTE_CHARS:
        text = text[: REASON_QUOTE_CHARS - 1].rstrip() + "…"
    return f"“{text}”"


def _in_category(paper_categories: Sequence[str], followed: str) -> bool:
    return any(cat == followed or cat.startswith(followed + ".") for cat in paper_categories)


class Composer:
    """Composes digests for one period; reusable across chunks of readers."""

    def __init__(self, papers: PeriodPapers, engine: SearchEngine | None) -> None:
        self.papers = papers
        self.engine = engine
        self.interest_rankings: dict[str, EngineResults] = {}
        self.position = {pk: i for i, pk in enumerate(papers.ids)}
        self.trending_rank = {pk: i for i, pk in enumerate(papers.trending_ids)}
        # Cosines of one paper (upvoted or disliked by someone) to every period paper: computed
        # once per paper, shared by every reader who upvoted or disliked it.
        self._similarity_rows: dict[int, np.ndarray | None] = {}
        self._in_category: dict[str, list[int]] = {}
        self._titles: dict[int, str] = dict(papers.titles)

    def prepare(self, interests: Iterable[str]) -> None:
        """Rank the period's papers for every interest not ranked yet (once per distinct one)."""
        if self.engine is None:
            return
        parts = {interest_key(part) for text in interests for part in interest_parts(text)}
        new = parts - self.interest_rankings.keys() - {""}
        if new:
            self.interest_rankings.update(score_interests(new, self.papers, self.engine))

    def _similarity_row(self, paper_id: int) -> np.ndarray | None:
        if paper_id not in self._similarity_rows:
            row = None
            vectors = self.engine.vectors if self.engine is not None else None
            if vectors is not None and self.papers.vectors is not None:
                vector = vectors.vector(paper_id)
                if vector is not None:
                    row = self.papers.vectors @ vector
            self._similarity_rows[paper_id] = row
        return self._similarity_rows[paper_id]

    def _similar_to(self, paper_ids: Sequence[int]) -> tuple[np.ndarray, list[int]] | None:
        """Max cosine of each period paper to any of ``paper_ids``, and which one."""
        if self.papers.vectors is None or not paper_ids:
            return None
        found = [(pk, row) for pk in paper_ids if (row := self._similarity_row(pk)) is not None]
        if not found:
            return None
        if len(found) == 1:
            return found[0][1], [found[0][0]] * len(self.papers.ids)
        similarities = np.stack([row for _, row in found])  # (k, n)
        best = similarities.argmax(axis=0)
        return similarities.max(axis=0), [found[i][0] for i in best]

    def _papers_in(self, category: str) -> list[int]:
        """The period's papers in ``category`` (or its archive), hottest first."""
        if category not in self._in_category:
            self._in_category[category] = [
                pk
                for pk in self.papers.trending_ids
                if _in_category(self.papers.categories[pk], category)
            ]
        return self._in_category[category]

    def compose(self, reader: Reader) -> list[Item]:
        papers = self.papers
        excluded = reader.sent | reader.not_interested
        items: list[Item] = []
        for pk in papers.trending_ids:
            if len(items) >= settings.DIGEST_TOP_PAPERS:
                break
            if pk not in excluded:
                items.append(Item(pk, "top"))
        taken = excluded | {item.paper for item in items}
        if settings.DIGEST_PICKS <= 0:
            return items
        # paper -> (tier, -score, reason): tier 0 followed people, 1 interests, 2 categories.
        best: dict[int, tuple[int, float, str]] = {}

        def offer(pk: int, tier: int, score: float, reason: str) -> None:
            if pk in taken:
                return
            current = best.get(pk)
            candidate = (tier, -score, reason)
            if current is None or candidate[:2] < current[:2]:
                best[pk] = candidate

        for name in reader.authors:
            for pk, written in papers.authors.get(_fold(name), ()):
                offer(pk, 0, 1.0, f"by {written}, an author you follow")
        for name in reader.organizations:
            for pk, written in papers.organizations.get(_fold(name), ()):
                offer(pk, 0, 0.9, f"from {written}, an organization you follow")
        disliked = self._similar_to(sorted(reader.not_interested))
        too_close: set[int] = set()
        if disliked is not None:
            scores, _ = disliked
            too_close = {papers.ids[i] for i in np.nonzero(scores >= DISLIKED_SIMILARITY)[0]}
        # Each ranked list is best first: past this many entries none can reach the picks.
        enough = settings.DIGEST_PICKS + len(taken) + len(too_close)
        parts = interest_parts(reader.interests)
        rankings: list[EngineResults | Sequence[EngineHit]] = [
            self.interest_rankings.get(interest_key(part), []) for part in parts
        ]
        for match in best_matches(rankings, depth=enough):
            if match.doc_id not in too_close:
                offer(match.doc_id, 1, match.score, f"matches {_quote(parts[match.query])}")
        if reader.like_upvoted and reader.upvoted:
            similar = self._similar_to(reader.upvoted)
            if similar is not None:
                scores, sources = similar
                upvoted = set(reader.upvoted)
                for i in np.nonzero(scores >= UPVOTED_SIMILARITY)[0]:
                    pk = papers.ids[i]
                    if pk in too_close or pk in upvoted:
                        continue
                    title = self._title(sources[i])
                    offer(pk, 1, float(scores[i]), f"similar to {_quote(title)}, which you upvoted")
        for followed in reader.categories:
            for pk in self._papers_in(followed)[:enough]:
                if pk not in too_close:
                    rank = self.trending_rank[pk]
                    offer(pk, 2, -float(rank), f"in {followed}, a category you follow")
        ranked = sorted(best.items(), key=lambda entry: (entry[1][0], entry[1][1], entry[0]))
        for pk, (_, _, reason) in ranked[: settings.DIGEST_PICKS]:
            items.append(Item(pk, "pick", reason))
        return items

    def _title(self, paper_id: int) -> str:
        if paper_id not in self._titles:
            self._titles[paper_id] = (
                Paper.objects.filter(pk=paper_id).values_list("title", flat=True).first() or ""
            )
        return self._titles[paper_id]


@dataclass
class ComposeReport:
    period: str
    papers: int = 0
    readers: int = 0
    composed: int = 0
    nothing_new: int = 0
    already: int = 0
    distinct_interests: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        if not self.papers:
            return f"{self.period}: no papers in this period; nothing composed"
        return (
            f"{self.period}: {self.papers} papers; {self.composed} digests recorded for "
            f"{self.readers} readers ({self.already} already had one, {self.nothing_new} had "
            f"nothing new); {self.distinct_interests} distinct interests; {self.seconds:.1f} s"
        )


def message_id_for(key: str) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<digest.{key.replace(':', '-')}.{uuid.uuid4().hex}@{host}>"


def _readers(subscriber_ids: Sequence[int], papers: PeriodPapers) -> list[Reader]:
    rows = Subscriber.objects.filter(pk__in=subscriber_ids).values_list(
        "pk",
        "interests",
        "authors",
        "organizations",
        "categories",
        "like_upvoted",
        "user_id",
    )
    readers = {row[0]: Reader(*row) for row in rows}
    for subscriber_id, paper_id in SentPaper.objects.filter(
        subscriber_id__in=subscriber_ids, paper_id__in=papers.ids
    ).values_list("subscriber_id", "paper_id"):
        readers[subscriber_id].sent.add(paper_id)
    for subscriber_id, paper_id in NotInterested.objects.filter(
        subscriber_id__in=subscriber_ids
    ).values_list("subscriber_id", "paper_id"):
        readers[subscriber_id].not_interested.add(paper_id)
    by_user = {r.user_id: r for r in readers.values() if r.like_upvoted and r.user_id}
    if by_user:
        votes = Vote.objects.filter(user_id__in=list(by_user)).order_by("user_id", "-created")
        for user_id, paper_id in votes.values_list("user_id", "paper_id"):
            reader = by_user[user_id]
            if len(reader.upvoted) < UPVOTES_READ:
                reader.upvoted.append(paper_id)
    return [readers[pk] for pk in subscriber_ids if pk in readers]


def compose_digests(
    period: Period,
    subscriber_ids: Sequence[int],
    *,
    progress: Progress | None = None,
    engine: SearchEngine | None = None,
) -> ComposeReport:
    """Record a pending digest for each of these subscribers who has none for ``period`` yet."""
    started = time.perf_counter()
    key = period_key(period)
    report = ComposeReport(key)
    if engine is None:
        engine = get_search_index().engine
    papers = load_period(period, engine)
    report.papers = len(papers.ids)
    report.readers = len(subscriber_ids)
    if papers.empty:
        return report
    have = set(Digest.objects.filter(period=key).values_list("subscriber_id", flat=True))
    todo = [pk for pk in subscriber_ids if pk not in have]
    report.already = len(subscriber_ids) - len(todo)
    if progress:
        progress("compose", 0, len(todo))
    composer = Composer(papers, engine)
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start : start + CHUNK]
        digests: list[tuple[int, str]] = []
        sent: list[tuple[int, int]] = []
        readers = _readers(chunk, papers)
        composer.prepare(reader.interests for reader in readers)
        for reader in readers:
            items = composer.compose(reader)
            if not items:
                report.nothing_new += 1
                continue
            digests.append((reader.id, json.dumps([item.as_json() for item in items])))
            sent.extend((reader.id, item.paper) for item in items)
        _record(key, digests, sent)
        report.composed += len(digests)
        report.distinct_interests = len(composer.interest_rankings)
        if progress:
            progress("compose", len(chunk), None)
    report.seconds = time.perf_counter() - started
    return report


def _record(key: str, digests: list[tuple[int, str]], sent: list[tuple[int, int]]) -> None:
    """Insert a chunk's outbox rows in one transaction.

    Plain ``executemany`` of tuples: building 1,000,000 model instances for ``bulk_create`` cost
    more than composing the digests. ``ON CONFLICT DO NOTHING`` (SQLite and PostgreSQL): a digest
    another run recorded meanwhile stays as it is (the unique constraint decides).
    """
    if not digests:
        return
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    json_param = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    digest_table = connection.ops.quote_name(Digest._meta.db_table)
    sent_table = connection.ops.quote_name(SentPaper._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {digest_table} (subscriber_id, period, status, items, attempts, "
            f"message_id, last_error, created) VALUES (%s, %s, %s, {json_param}, 0, %s, '', %s) "
            "ON CONFLICT DO NOTHING",
            [
                (subscriber, key, Digest.Status.PENDING, items, message_id_for(key), now)
                for subscriber, items in digests
            ],
        )
        cursor.executemany(
            f"INSERT INTO {sent_table} (subscriber_id, paper_id) VALUES (%s, %s) "
            "ON CONFLICT DO NOTHING",
            sent,
        )


def compose_one(period: Period, subscriber: Subscriber) -> list[Item]:
    """What ``subscriber`` would get for ``period`` now, recording nothing (``digest preview``)."""
    engine = get_search_index().engine
    papers = load_period(period, engine)
    if papers.empty:
        return []
    composer = Composer(papers, engine)
    composer.prepare([subscriber.interests])
    readers = _readers([subscriber.pk], papers)
    return composer.compose(readers[0]) if readers else []
