"""Merges parsed records into the database: idempotent, batched, and loss-free.

Merge rules (one place, applied to every source):

* Bibliographic fields (title, abstract, authors, categories, dates, comment, journal-ref, DOI,
  licence, withdrawn) are overwritten when a record carries a *newer arXiv version* than the one
  stored, or when an arXiv source (API, OAI-PMH, Kaggle, listings) meets a paper that so far only
  Hugging Face described. Otherwise a record only fills fields that are still empty.
* Counts that upstreams snapshot (upvotes, comments, GitHub stars) keep the largest value seen, so
  re-importing an older snapshot never lowers them; ``updated_at`` keeps the latest date.
* Links and AI fields (GitHub repo, project page, thumbnail, AI summary/keywords, organization)
  fill blanks, so local edits by moderators survive a re-import.
* The daily-feed entry keeps the *earliest* day the paper entered the feed, with that day's
  submission time, submitter and media; a later listing only fills what the earliest left blank.

Before any rule, a record is fitted to the columns it is stored in (``_fit_columns``, the one
place column widths are applied, read from the models): text is cut to the column's width, a URL
too long for its column is dropped (a cut one would point somewhere else).

Running the same import twice therefore changes nothing the second time, and importing sources in
any order ends in the same paper. Each batch is one transaction: a crash loses at most the batch in
flight, never what is stored.
"""

from __future__ import annotations

import functools
import logging
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.utils import timezone

from dailypapers.ingest.records import PaperRecord, Skipped
from dailypapers.papers.models import Author, DailyEntry, Organization, Paper, PaperAuthor
from dailypapers.papers.signals import announce_papers_changed

log = logging.getLogger(__name__)

ARXIV_SOURCES = frozenset({"arxiv", "oai", "kaggle", "listing"})
BIBLIOGRAPHIC_FIELDS = (
    "title",
    "abstract",
    "categories",
    "published_at",
    "comment",
    "journal_ref",
    "doi",
    "license",
)
FILL_BLANK_FIELDS = (
    "github_repo",
    "project_page",
    "thumbnail_url",
    "discussion_id",
    "ai_summary",
    "ai_keywords",
)
# (record attribute, model field) for counts where the largest snapshot wins.
MAX_FIELDS = (
    ("upvotes", "imported_upvotes"),
    ("num_comments", "imported_comments"),
    ("github_stars", "github_stars"),
)
ORGANIZATION_DETAILS = ("fullname", "avatar_url", "hf_id")
SQL_CHUNK = 5000  # stays far below SQLite's 32,766 bound variables per statement


def _widths(model: type[models.Model], *names: str) -> tuple[tuple[str, int], ...]:
    """``(field, max_length)`` pairs, read from the model so a wider column widens the fit."""
    pairs = []
    for name in names:
        column = model._meta.get_field(name)
        assert isinstance(column, models.Field) and column.max_length, f"{name}: no max_length"
        pairs.append((name, column.max_length))
    return tuple(pairs)


# (text fields cut to width, URL fields dropped when too long) per part of a record, named as the
# columns they land in. PostgreSQL refuses a value over the width where SQLite would store it
# whole: fitting first makes both store the same.
_PAPER_FIT = (
    _widths(Paper, "doi", "license", "discussion_id"),
    _widths(Paper, "github_repo", "project_page", "thumbnail_url"),
)
# Authors are the hot loop of a bulk import (~6 per paper): their two widths are checked inline.
((_, _AUTHOR_NAME_WIDTH),) = _widths(Author, "name")
((_, _AUTHOR_HF_ID_WIDTH),) = _widths(PaperAuthor, "hf_id")
_ORGANIZATION_FIT = (
    _widths(Organization, "name", "fullname", "hf_id"),
    _widths(Organization, "avatar_url"),
)
_DAILY_FIT = (
    _widths(DailyEntry, "submitter_name", "submitter_fullname"),
    _widths(DailyEntry, "submitter_avatar_url"),
)
# ``media_urls`` is a JSON list: its links get the bound of the URL columns.
_MEDIA_URL_WIDTH = _DAILY_FIT[1][0][1]


@dataclass
class ImportStats:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    problems: list[Skipped] = field(default_factory=list)

    def add_skip(self, skip: Skipped) -> None:
        self.skipped += 1
        self.problems.append(skip)
        log.warning("skipped %s: %s", skip.origin, skip.reason)

    def merge(self, other: ImportStats) -> None:
        self.read += other.read
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.skipped += other.skipped
        self.problems.extend(other.problems)

    def summary(self) -> str:
        return (
            f"read {self.read}, created {self.created}, updated {self.updated}, "
            f"unchanged {self.unchanged}, skipped {self.skipped}"
        )


def _chunks(items: Sequence[Any], size: int = SQL_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column, (
        f"{model.__name__}.{name} is not a column"
    )
    return field.column


def _insert_rows(
    model: type[models.Model],
    fields: list[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
) -> None:
    """INSERT plain value tuples with ``executemany``. For the author tables, where rows are many
    and trivial, building a model instance per row was most of an import's time (bulk_create).
    Only for columns whose Python values the driver adapts as they are (ints, strings, bools)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_column(model, name)) for name in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"  # SQLite >= 3.24 and PostgreSQL
    with connection.cursor() as cursor:
        for chunk in _chunks(rows):
            cursor.executemany(sql, chunk)


def _select_ids(model: type[models.Model], key_field: str, keys: list) -> dict:
    """``{key: pk}`` for the rows whose ``key_field`` is in ``keys``: a plain ``IN`` query, as the
    ORM's ``__in`` lookup converts each of thousands of values one by one."""
    quote = connection.ops.quote_name
    column = quote(_column(model, key_field))
    sql = f"SELECT {column}, {quote(_column(model, 'pk'))} FROM {quote(model._meta.db_table)} WHERE {column} IN "
    found: dict = {}
    with connection.cursor() as cursor:
        for chunk in _chunks(keys):
            cursor.execute(sql + "(" + ", ".join(["%s"] * len(chunk)) + ")", chunk)
            found.update(cursor.fetchall())
    return found


# Columns whose Python values the database drivers take as they are; every other field (dates,
# JSON) goes through Django's own conversion for the connected database.
_PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
)


def _insert_papers(papers: list[Paper]) -> None:
    """``bulk_create`` for new papers without its per-value machinery (compiling 30 fields per
    paper was most of a bulk import's time). Sets ``pk`` as bulk_create does."""
    if not papers:
        return
    db = connections[DEFAULT_DB_ALIAS]  # the real connection: the proxy costs a lookup per use
    now = timezone.now()
    fields = [f for f in Paper._meta.concrete_fields if not f.primary_key]
    converters: list[tuple[int, Callable[[Any], Any]]] = []
    for index, f in enumerate(fields):
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for paper in papers:
                setattr(paper, f.attname, now)
        if isinstance(f, models.JSONField):
            converters.append((index, _json_converter(f, db)))
        elif not isinstance(f, _PLAIN_FIELDS):
            converters.append((index, _nullable_converter(f, db)))
    values_of = operator.itemgetter(*[f.attname for f in fields])
    rows = []
    for paper in papers:
        row = list(values_of(paper.__dict__))
        for index, convert in converters:
            row[index] = convert(row[index])
        rows.append(row)
    _insert_rows(Paper, [f.name for f in fields], rows)
    pks = _select_ids(Paper, "arxiv_id", [p.arxiv_id for p in papers])
    for paper in papers:
        paper.pk = pks[paper.arxiv_id]
        paper._state.adding = False
        paper._state.db = db.alias


def _nullable_converter(field: models.Field, db: Any) -> Callable[[Any], Any]:
    cache: dict[Any, Any] = {}  # one batch shares its created/modified timestamp

    def convert(value: Any) -> Any:
        if value is None:
            return None
        if value not in cache:
            cache[value] = field.get_db_prep_save(value, db)
        return cache[value]

    return convert


def _json_converter(field: models.Field, db: Any) -> Callable[[Any], Any]:
    cache: dict[tuple, Any] = {}  # category lists and ``sources`` repeat across a batch

    def convert(value: Any) -> Any:
        if type(value) is not list or not all(type(item) is str for item in value):
            return field.get_db_prep_save(value, db)
        key = tuple(value)
        if key not in cache:
            cache[key] = field.get_db_prep_save(value, db)
        return cache[key]

    return convert


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def _fit(
    part: Any, fit: tuple[tuple[tuple[str, int], ...], tuple[tuple[str, int], ...]], dropped: Any
) -> None:
    texts, urls = fit
    for name, width in texts:
        value = getattr(part, name)
        if value and len(value) > width:
            setattr(part, name, value[:width])
    for name, width in urls:
        value = getattr(part, name)
        if value and len(value) > width:
            setattr(part, name, dropped)


def _fit_columns(record: PaperRecord) -> None:
    """Fit ``record`` in place to the columns it is stored in (idempotent: a batch retried record
    by record fits it again)."""
    _fit(record, _PAPER_FIT, None)
    for author in record.authors or ():
        if len(author.name) > _AUTHOR_NAME_WIDTH:
            author.name = author.name[:_AUTHOR_NAME_WIDTH]
        if len(author.hf_id) > _AUTHOR_HF_ID_WIDTH:
            author.hf_id = author.hf_id[:_AUTHOR_HF_ID_WIDTH]
    if record.organization is not None:
        _fit(record.organization, _ORGANIZATION_FIT, "")
    daily = record.daily
    if daily is not None:
        _fit(daily, _DAILY_FIT, "")
        if any(len(url) > _MEDIA_URL_WIDTH for url in daily.media_urls):
            daily.media_urls = [url for url in daily.media_urls if len(url) <= _MEDIA_URL_WIDTH]


def _author_tuples(record: PaperRecord) -> list[tuple[str, str, bool]]:
    return [(a.name, a.hf_id, a.hidden) for a in record.authors or [] if a.name]


class _PaperState:
    """The in-memory view of one paper while a batch is merged."""

    __slots__ = (
        "paper",
        "authors",
        "authors_changed",
        "daily",
        "daily_changed",
        "changed",
        "is_new",
        "org_name",
    )

    def __init__(
        self,
        paper: Paper,
        authors: list[tuple[str, str, bool]],
        daily: DailyEntry | None,
        is_new: bool,
    ):
        self.paper = paper
        self.authors = authors
        self.authors_changed = False
        self.daily = daily
        self.daily_changed = False
        self.changed: set[str] = set()
        self.is_new = is_new
        self.org_name: str | None = None


def _set(state: _PaperState, name: str, value: Any) -> None:
    if getattr(state.paper, name) != value:
        setattr(state.paper, name, value)
        state.changed.add(name)


def _apply(state: _PaperState, record: PaperRecord) -> None:
    _fit_columns(record)
    paper = state.paper
    stored_sources = set(paper.sources or [])
    newer_version = record.version is not None and (
        paper.version is None or record.version > paper.version
    )
    authority_takes_over = record.source in ARXIV_SOURCES and not (stored_sources & ARXIV_SOURCES)
    # A new paper starts blank, so its first record fills every field; later records in the same
    # batch must then merge exactly as they would in a later run (never "is_new -> overwrite").
    overwrite = newer_version or authority_takes_over

    for name in BIBLIOGRAPHIC_FIELDS:
        value = getattr(record, name)
        if _is_blank(value):
            continue
        if overwrite or _is_blank(getattr(paper, name)):
            _set(state, name, value)
    if record.categories and (overwrite or not paper.primary_category):
        _set(state, "primary_category", record.categories[0])
    if newer_version:
        _set(state, "version", record.version)
    if record.withdrawn is not None and (overwrite or record.withdrawn):
        _set(state, "withdrawn", record.withdrawn)
    if record.updated_at and (paper.updated_at is None or record.updated_at > paper.updated_at):
        _set(state, "updated_at", record.updated_at)

    new_authors = _author_tuples(record)
    if new_authors and (overwrite or not state.authors) and new_authors != state.authors:
        state.authors = new_authors
        state.authors_changed = True

    for name in FILL_BLANK_FIELDS:
        value = getattr(record, name)
        if not _is_blank(value) and _is_blank(getattr(paper, name)):
            _set(state, name, value)
    for record_name, model_name in MAX_FIELDS:
        value = getattr(record, record_name)
        if value is not None and (
            getattr(paper, model_name) is None or value > getattr(paper, model_name)
        ):
            _set(state, model_name, value)
    if "imported_upvotes" in state.changed:
        _set(state, "upvotes", paper.imported_upvotes + paper.local_upvotes)

    if (
        record.organization
        and record.organization.name
        and paper.organization_id is None
        and state.org_name is None
    ):
        state.org_name = record.organization.name
        state.changed.add("organization")

    if record.source not in stored_sources:
        _set(state, "sources", sorted(stored_sources | {record.source}))

    if record.daily is not None:
        _apply_daily(state, record)


def _apply_daily(state: _PaperState, record: PaperRecord) -> None:
    daily = record.daily
    assert daily is not None
    entry = state.daily
    if entry is None:
        entry = DailyEntry(
            date=daily.date,
            submitted_at=daily.submitted_at,
            submitter_name=daily.submitter_name,
            submitter_fullname=daily.submitter_fullname,
            submitter_avatar_url=daily.submitter_avatar_url,
            media_urls=list(daily.media_urls),
        )
        state.daily = entry
        state.daily_changed = True
        return
    changes: dict[str, Any] = {}
    earlier = daily.date < entry.date
    if earlier:
        changes["date"] = daily.date
        # The submission time belongs to the day it was taken on: never keep a later day's.
        changes["submitted_at"] = daily.submitted_at
    elif daily.date == entry.date and daily.submitted_at and entry.submitted_at is None:
        changes["submitted_at"] = daily.submitted_at
    # The earliest entry's submitter and media win, so the import order does not matter; a later
    # entry only fills what the earliest one left blank.
    for name in ("submitter_name", "submitter_fullname", "submitter_avatar_url", "media_urls"):
        value = getattr(daily, name)
        if not _is_blank(value) and (earlier or _is_blank(getattr(entry, name))):
            changes[name] = value
    changes = {name: value for name, value in changes.items() if getattr(entry, name) != value}
    for name, value in changes.items():
        setattr(entry, name, value)
    if changes:
        state.daily_changed = True


@functools.cache
def _paper_template() -> tuple[tuple[Callable[[], Any] | None, Any], ...]:
    """Per concrete field, in order: a default factory, or else the constant default."""
    template = []
    for f in Paper._meta.concrete_fields:
        factory = f.default if f.has_default() and callable(f.default) else None
        template.append((factory, None if factory else f.get_default()))
    return tuple(template)


def _new_paper(record: PaperRecord) -> Paper:
    # Positional arguments in field order, as Django's own ``from_db`` builds instances: keyword
    # construction asks every field for its default and was a sixth of a bulk import's time.
    paper = Paper(*[factory() if factory else constant for factory, constant in _paper_template()])  # type: ignore[misc]
    paper.arxiv_id, paper.title, paper.version = record.arxiv_id, "", record.version
    return paper


class Importer:
    """Feeds records through the merge in batches. Use one per run; read ``stats`` at the end."""

    def __init__(self, batch_size: int = 2000, on_progress: Callable[[int], None] | None = None):
        self.batch_size = batch_size
        self.on_progress = on_progress
        self.stats = ImportStats()

    def run(self, items: Iterable[PaperRecord | Skipped]) -> ImportStats:
        batch: list[PaperRecord] = []
        for item in items:
            if isinstance(item, Skipped):
                self.stats.add_skip(item)
                self._progress(1)
                continue
            self.stats.read += 1
            batch.append(item)
            if len(batch) >= self.batch_size:
                self._flush(batch)
                batch = []
        if batch:
            self._flush(batch)
        return self.stats

    def _progress(self, n: int) -> None:
        if self.on_progress:
            self.on_progress(n)

    def _flush(self, batch: list[PaperRecord]) -> None:
        try:
            with transaction.atomic():
                changed_ids, counts = self._merge_batch(batch)
        except Exception as exc:  # a batch that cannot be written is retried record by record
            if len(batch) == 1:
                self.stats.add_skip(
                    Skipped(batch[0].origin or batch[0].arxiv_id, f"could not be stored: {exc}")
                )
                self._progress(1)
                return
            log.warning("batch of %d failed (%s); retrying one record at a time", len(batch), exc)
            for record in batch:
                self._flush([record])
            return
        # Counted only once the transaction has committed: a batch that fails at commit time is
        # retried record by record and must not be counted twice.
        created, updated, unchanged = counts
        self.stats.created += created
        self.stats.updated += updated
        self.stats.unchanged += unchanged
        self._progress(len(batch))
        if changed_ids:
            announce_papers_changed(changed_ids)

    def _merge_batch(self, batch: list[PaperRecord]) -> tuple[list[int], tuple[int, int, int]]:
        ids = list(dict.fromkeys(r.arxiv_id for r in batch))
        existing: dict[str, Paper] = {}
        # Which ids exist first (cheap), then whole rows only for those: a fresh bulk import
        # loads nothing.
        for chunk in _chunks(list(_select_ids(Paper, "arxiv_id", ids).values())):
            for paper in Paper.objects.filter(pk__in=chunk):
                existing[paper.arxiv_id] = paper
        existing_pks = [p.pk for p in existing.values()]
        authors_by_pk: dict[int, list[tuple[str, str, bool]]] = {pk: [] for pk in existing_pks}
        daily_by_pk: dict[int, DailyEntry] = {}
        for chunk in _chunks(existing_pks):
            rows = (
                PaperAuthor.objects.filter(paper_id__in=chunk)
                .order_by("paper_id", "position")
                .values_list("paper_id", "author__name", "hf_id", "hidden")
            )
            for paper_id, name, hf_id, hidden in rows:
                authors_by_pk[paper_id].append((name, hf_id, hidden))
            for entry in DailyEntry.objects.filter(paper_id__in=chunk):
                daily_by_pk[entry.paper_id] = entry

        states: dict[str, _PaperState] = {}
        for record in batch:
            state = states.get(record.arxiv_id)
            if state is None:
                stored = existing.get(record.arxiv_id)
                if stored is None:
                    state = _PaperState(_new_paper(record), [], None, is_new=True)
                else:
                    state = _PaperState(
                        stored,
                        list(authors_by_pk[stored.pk]),
                        daily_by_pk.get(stored.pk),
                        is_new=False,
                    )
                states[record.arxiv_id] = state
            _apply(state, record)
            if state.is_new and not state.paper.title:
                state.paper.title = record.arxiv_id

        self._resolve_organizations(states.values(), batch)
        new_states = [s for s in states.values() if s.is_new]
        changed_states = [
            s
            for s in states.values()
            if not s.is_new and (s.changed or s.authors_changed or s.daily_changed)
        ]
        _insert_papers([s.paper for s in new_states])
        update_fields = sorted({f for s in changed_states for f in s.changed} - {"organization"})
        if any("organization" in s.changed for s in changed_states):
            update_fields.append("organization")
        if update_fields:
            now = timezone.now()
            for s in changed_states:
                s.paper.modified = now
            Paper.objects.bulk_update(
                [s.paper for s in changed_states if s.changed],
                update_fields + ["modified"],
                batch_size=500,
            )
            # A vote may have committed since these rows were read (PostgreSQL): recount upvotes
            # from the row's own columns, as a vote does, so that vote is not overwritten.
            recount = [s.paper.pk for s in changed_states if "imported_upvotes" in s.changed]
            for chunk in _chunks(recount):
                Paper.objects.filter(pk__in=chunk).update(
                    upvotes=models.F("imported_upvotes") + models.F("local_upvotes")
                )

        self._write_authors([s for s in new_states + changed_states if s.authors_changed])
        self._write_daily([s for s in new_states + changed_states if s.daily_changed])

        # Records for the same paper within one batch count once towards created/updated; the
        # extra records count as unchanged.
        unchanged = len(states) - len(new_states) - len(changed_states) + len(batch) - len(states)
        counts = (len(new_states), len(changed_states), unchanged)
        return [s.paper.pk for s in new_states + changed_states], counts

    def _resolve_organizations(
        self, states: Iterable[_PaperState], batch: list[PaperRecord]
    ) -> None:
        wanted = {
            r.organization.name: r.organization
            for r in batch
            if r.organization and r.organization.name
        }
        if not wanted:
            return
        known = {o.name: o for o in Organization.objects.filter(name__in=list(wanted))}
        missing = [
            Organization(name=o.name, fullname=o.fullname, avatar_url=o.avatar_url, hf_id=o.hf_id)
            for name, o in wanted.items()
            if name not in known
        ]
        if missing:
            Organization.objects.bulk_create(missing, ignore_conflicts=True)
            known = {o.name: o for o in Organization.objects.filter(name__in=list(wanted))}
        # Details an earlier capture lacked (HF added avatars part-way) are filled, never replaced.
        filled = []
        for name, organization in known.items():
            record = wanted[name]
            changed = False
            for field_name in ORGANIZATION_DETAILS:
                value = getattr(record, field_name)
                if value and not getattr(organization, field_name):
                    setattr(organization, field_name, value)
                    changed = True
            if changed:
                filled.append(organization)
        if filled:
            Organization.objects.bulk_update(filled, list(ORGANIZATION_DETAILS))
        for state in (s for s in states if s.org_name):
            assert state.org_name is not None
            state.paper.organization = known[state.org_name]

    def _write_authors(self, states: list[_PaperState]) -> None:
        if not states:
            return
        names = list({name for s in states for name, _, _ in s.authors})
        author_ids = _select_ids(Author, "name", names)
        missing = [n for n in names if n not in author_ids]
        if missing:
            _insert_rows(Author, ["name"], [(n,) for n in missing], ignore_conflicts=True)
            author_ids.update(_select_ids(Author, "name", missing))
        stale = [s.paper.pk for s in states if not s.is_new]
        for chunk in _chunks(stale):
            PaperAuthor.objects.filter(paper_id__in=chunk).delete()
        rows = [
            (paper_id, author_ids[name], i, hf_id, hidden)
            for paper_id, authors in ((s.paper.pk, s.authors) for s in states)
            for i, (name, hf_id, hidden) in enumerate(authors)
        ]
        _insert_rows(PaperAuthor, ["paper", "author", "position", "hf_id", "hidden"], rows)

    def _write_daily(self, states: list[_PaperState]) -> None:
        creates: list[DailyEntry] = []
        updates: list[DailyEntry] = []
        for s in states:
            entry = s.daily
            assert entry is not None
            if entry.pk is None:
                entry.paper_id = s.paper.pk
                creates.append(entry)
            else:
                updates.append(entry)
        DailyEntry.objects.bulk_create(creates, batch_size=1000)
        if updates:
            DailyEntry.objects.bulk_update(
                updates,
                [
                    "date",
                    "submitted_at",
                    "submitter_name",
                    "submitter_fullname",
                    "submitter_avatar_url",
                    "media_urls",
                ],
                batch_size=500,
            )


def import_records(
    items: Iterable[PaperRecord | Skipped],
    *,
    batch_size: int = 2000,
    on_progress: Callable[[int], None] | None = None,
) -> ImportStats:
    """Merge ``items`` into the database and return what happened."""
    return Importer(batch_size=batch_size, on_progress=on_progress).run(items)
