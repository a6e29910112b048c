"""Indexing papers into the search indexes, crash-safe and resumable (the search app's writes).

    index_papers(ids)          bring these papers up to date (or remove them when they are gone)
    update_index(progress)     everything that is missing or stale, and orphans removed
    rebuild_index(progress)    a new, empty index filled from the database (resumes if interrupted)
    index_status()             counts, and whether the indexes and the database agree

Which indexes these are (files in ``DATA_DIR/search`` or PostgreSQL tables) is ``backend.py``'s
choice; ``get_search_index()`` hands over both with their engine. On files: ``keyword/``
(tantivy), ``vectors/`` (hnswlib) and ``state.json`` (the generation and formats the folder was
built with, and whether a rebuild is running). Per batch: embed what has no stored vector, write
both indexes, commit both, and only then record the batch in ``IndexedPaper`` (one transaction).
A crash anywhere leaves rows that claim no more than the indexes hold; the next run re-indexes the
difference.

One writer at a time: a lock file serialises indexing processes (CLI, worker). Readers (web
workers) never take it.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from dailypapers.papers.models import Paper, PaperAuthor
from dailypapers.search.backend import SearchIndex, get_search_index, search_dir
from dailypapers.search.documents import SearchDocument
from dailypapers.search.embedder import DIMENSIONS, MODEL_ID
from dailypapers.search.models import IndexedPaper

BATCH_SIZE = 1000  # papers per index commit: a crash repeats at most this much work
READ_CHUNK = 2000  # papers read from the database at a time

Progress = Callable[[str, int, int | None], None]
"""progress(phase, advance, total): ``advance`` items done in ``phase`` (total once, advance 0)."""


@contextmanager
def writer_lock() -> Iterator[None]:
    folder = search_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".writer.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusy(
                f"another process is indexing into {folder}; try again when it is done"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class IndexBusy(RuntimeError):
    pass


# -- papers to documents -----------------------------------------------------------------------


def documents_for(paper_ids: Iterable[int]) -> dict[int, SearchDocument]:
    """SearchDocuments of the papers that exist, by primary key; three queries per chunk."""
    out: dict[int, SearchDocument] = {}
    ids = list(dict.fromkeys(int(i) for i in paper_ids))
    authorships = Prefetch(
        "authorships", queryset=PaperAuthor.objects.select_related("author").order_by("position")
    )
    for start in range(0, len(ids), READ_CHUNK):
        papers = (
            Paper.objects.filter(pk__in=ids[start : start + READ_CHUNK])
            .select_related("organization")
            .prefetch_related(authorships)
        )
        for paper in papers:
            organizations: tuple[str, ...] = ()
            if paper.organization is not None:
                names = [paper.organization.name, paper.organization.fullname]
                organizations = tuple(dict.fromkeys(n for n in names if n))
            out[paper.pk] = SearchDocument(
                doc_id=paper.pk,
                key=paper.arxiv_id,
                title=paper.title,
                abstract=paper.abstract,
                authors=tuple(a.author.name for a in paper.authorships.all()),
                organizations=organizations,
                categories=tuple(paper.categories or ()),
                published=paper.published_at,
                has_code=bool(paper.github_repo),
            )
    return out


def _vector_from(entry: IndexedPaper) -> np.ndarray:
    return np.frombuffer(bytes(entry.embedding), dtype="<f4").reshape(DIMENSIONS)


# -- indexing ----------------------------------------------------------------------------------


@dataclass
class IndexReport:
    indexed: int = 0
    embedded: int = 0
    unchanged: int = 0
    removed: int = 0
    seconds: float = 0.0
    generation: str = ""

    def summary(self) -> str:
        return (
            f"{self.indexed:,} indexed ({self.embedded:,} embedded), {self.unchanged:,} unchanged, "
            f"{self.removed:,} removed in {self.seconds:.1f} s"
        )


def _up_to_date(entry: IndexedPaper | None, doc: SearchDocument, generation: str) -> bool:
    return (
        entry is not None
        and entry.generation == generation
        and entry.content_hash == doc.content_hash()
    )


def _index_batch(
    index: SearchIndex,
    documents: Sequence[SearchDocument],
    entries: dict[int, IndexedPaper],
    gone: Sequence[int],
    report: IndexReport,
    progress: Progress | None,
) -> None:
    engine = index.engine
    to_embed = [
        doc
        for doc in documents
        if doc.doc_id not in entries
        or entries[doc.doc_id].embedding_hash != doc.embedding_hash(MODEL_ID)
    ]
    fresh = np.zeros((0, DIMENSIONS), dtype=np.float32)
    if to_embed:  # a batch of deletions only must not load the model
        fresh = engine.embed_documents(
            to_embed, on_progress=(lambda n: progress("embed", n, None)) if progress else None
        )
    vectors_by_id = {doc.doc_id: fresh[row] for row, doc in enumerate(to_embed)}
    vectors = (
        np.stack(
            [
                vectors_by_id[doc.doc_id]
                if doc.doc_id in vectors_by_id
                else _vector_from(entries[doc.doc_id])
                for doc in documents
            ]
        )
        if documents
        else np.zeros((0, DIMENSIONS), dtype=np.float32)
    )
    try:
        engine.index(documents, vectors)
        engine.delete(gone)
        engine.commit()
    except BaseException:
        index.keyword.rollback()
        index.vectors.rollback()
        raise
    _record_indexed(index.state.generation, documents, vectors)
    report.indexed += len(documents)
    report.embedded += len(to_embed)
    report.removed += len(gone)
    if progress:
        progress("index", len(documents), None)


def _record_indexed(
    generation: str, documents: Sequence[SearchDocument], vectors: np.ndarray
) -> None:
    """The state write, after the index commit: only now are these papers "indexed"."""
    now = timezone.now()
    rows = [
        IndexedPaper(
            paper_id=doc.doc_id,
            generation=generation,
            content_hash=doc.content_hash(),
            embedding_hash=doc.embedding_hash(MODEL_ID),
            embedding=np.ascontiguousarray(vectors[row], dtype="<f4").tobytes(),
            indexed_at=now,
        )
        for row, doc in enumerate(documents)
    ]
    existing = set(
        Paper.objects.filter(pk__in=[doc.doc_id for doc in documents]).values_list("pk", flat=True)
    )
    rows = [
        row for row in rows if row.paper_id in existing
    ]  # a paper deleted meanwhile keeps no row
    with transaction.atomic():
        IndexedPaper.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["paper"],
            update_fields=[
                "generation",
                "content_hash",
                "embedding_hash",
                "embedding",
                "indexed_at",
            ],
            batch_size=500,
        )


def _index_ids(
    index: SearchIndex, ids: Sequence[int], report: IndexReport, progress: Progress | None
) -> None:
    """Brings ``ids`` up to date in batches; ids with no paper are removed from the indexes."""
    generation = index.state.generation
    for start in range(0, len(ids), READ_CHUNK):
        chunk = ids[start : start + READ_CHUNK]
        documents = documents_for(chunk)
        entries = IndexedPaper.objects.in_bulk(list(documents))
        gone = [doc_id for doc_id in chunk if doc_id not in documents]
        todo = [
            doc
            for doc in documents.values()
            if not _up_to_date(entries.get(doc.doc_id), doc, generation)
        ]
        report.unchanged += len(documents) - len(todo)
        if progress and len(documents) > len(todo):
            progress("index", len(documents) - len(todo), None)
        for batch_start in range(0, max(len(todo), 1), BATCH_SIZE):
            batch = todo[batch_start : batch_start + BATCH_SIZE]
            if batch or gone:
                _index_batch(index, batch, entries, gone, report, progress)
                gone = []


def index_papers(paper_ids: Iterable[int], *, progress: Progress | None = None) -> IndexReport:
    """Indexes (or re-indexes, or removes) these papers now. Safe to call twice."""
    started = time.perf_counter()
    report = IndexReport()
    with writer_lock():
        index = get_search_index()
        ids = sorted(dict.fromkeys(int(i) for i in paper_ids))
        _index_ids(index, ids, report, progress)
        report.generation = index.state.generation
    report.seconds = time.perf_counter() - started
    return report


def _remove_orphans(index: SearchIndex, report: IndexReport) -> None:
    """Documents in either index whose paper no longer exists (deleted while not indexing)."""
    in_index = set(index.keyword.contents().hashes) | index.vectors.doc_ids()
    if not in_index:
        return
    existing: set[int] = set()
    candidates = sorted(in_index)
    for start in range(0, len(candidates), 5000):
        existing.update(
            Paper.objects.filter(pk__in=candidates[start : start + 5000]).values_list(
                "pk", flat=True
            )
        )
    orphans = sorted(in_index - existing)
    if orphans:
        index.engine.delete(orphans)
        index.engine.commit()
        report.removed += len(orphans)


def _update(index: SearchIndex, progress: Progress | None) -> IndexReport:
    started = time.perf_counter()
    report = IndexReport(generation=index.state.generation)
    ids = list(Paper.objects.order_by("pk").values_list("pk", flat=True))
    if progress:
        progress("index", 0, len(ids))
    _index_ids(index, ids, report, progress)
    _remove_orphans(index, report)
    report.seconds = time.perf_counter() - started
    return report


def update_index(progress: Progress | None = None) -> IndexReport:
    """Indexes every paper that is missing or stale and drops orphans; resumable at any point."""
    with writer_lock():
        return _update(get_search_index(), progress)


def rebuild_index(progress: Progress | None = None, *, restart: bool = False) -> IndexReport:
    """A fresh index from the database. An interrupted rebuild resumes where it stopped (its
    generation is kept); ``restart=True`` starts over. Stored embeddings of unchanged text are
    reused, so a rebuild re-runs the model only for new or edited papers."""
    with writer_lock():
        index = get_search_index()
        if restart or index.state.rebuild != "running":
            index.start_over()
        report = _update(index, progress)
        index.state.rebuild = "done"
        index.state.write(index.folder)
        return report


# -- status ------------------------------------------------------------------------------------


@dataclass
class IndexStatus:
    papers: int
    indexed: int
    pending: int
    keyword_documents: int
    vector_documents: int
    generation: str
    rebuild: str
    problems: list[str] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        """Indexes and database agree: every paper indexed as stored, nothing else in the indexes."""
        return not self.problems and self.pending == 0


def indexed_counts() -> tuple[int, int]:
    """(papers recorded as indexed in the current generation, papers): two counts, no comparison.

    A quick progress figure; ``index_status`` is the full check (stale edits, orphans).
    """
    generation = get_search_index().state.generation
    return IndexedPaper.objects.filter(generation=generation).count(), Paper.objects.count()


def index_status() -> IndexStatus:
    index = get_search_index()
    generation = index.state.generation
    keyword = index.keyword.contents().hashes
    vector_ids = index.vectors.doc_ids()
    papers = set(Paper.objects.values_list("pk", flat=True))
    rows = dict(
        IndexedPaper.objects.filter(generation=generation).values_list("paper_id", "content_hash")
    )
    problems = []
    wrong = [pk for pk, digest in rows.items() if keyword.get(pk) != digest or pk not in vector_ids]
    if wrong:
        problems.append(
            f"{len(wrong)} papers recorded as indexed differ from the index (e.g. {wrong[:5]})"
        )
    orphans = (set(keyword) | vector_ids) - papers
    if orphans:
        problems.append(
            f"{len(orphans)} documents in the index have no paper (e.g. {sorted(orphans)[:5]})"
        )
    unrecorded = (set(keyword) | vector_ids) - set(rows) - orphans
    if unrecorded:
        problems.append(
            f"{len(unrecorded)} documents in the index are not recorded (an interrupted batch)"
        )
    if set(keyword) != vector_ids:
        problems.append(
            f"keyword index has {len(keyword)} documents, vector index {len(vector_ids)}"
        )
    # Content edits since indexing show up as a stale hash: compare with the database.
    stale = 0
    recorded = sorted(rows)
    for start in range(0, len(recorded), READ_CHUNK):
        documents = documents_for(recorded[start : start + READ_CHUNK])
        stale += sum(1 for pk, doc in documents.items() if rows[pk] != doc.content_hash())
    indexed = len(rows) - stale
    return IndexStatus(
        papers=len(papers),
        indexed=indexed,
        pending=len(papers) - indexed,
        keyword_documents=len(keyword),
        vector_documents=len(vector_ids),
        generation=generation,
        rebuild=index.state.rebuild,
        problems=problems,
    )
