"""Papers become searchable through the real path: import pipeline -> commit -> ``papers_changed``
-> the search receiver -> the huey job -> ``index_papers``.

Transactional tests (real commits: ``papers_changed`` is sent on commit), each with its own data
directory and search index.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator

import pytest
from django.db import transaction
from huey.storage import SqliteStorage

from dailypapers.ingest.pipeline import import_records
from dailypapers.papers.models import Paper
from dailypapers.search import backend, indexing
from dailypapers.search.queries import search
from dailypapers.search.tasks import BUSY_RETRY_SECONDS, index_changed_papers, update_search_index
from tests.factories import paper_record

pytestmark = pytest.mark.django_db(transaction=True)

TITLES = [
    "Sparse Mixture of Experts Routing for Multilingual Machine Translation",
    "Neural Radiance Fields for Unbounded Outdoor Scenes",
    "Protein Structure Prediction with Geometric Transformers",
    "Contrastive Pretraining of Speech Representations from Raw Audio",
    "Curriculum Learning for Robotic Assembly with Sparse Rewards",
    "Quantized Low-Rank Adapters for Finetuning Large Language Models",
    "Weather Forecasting at Kilometre Scale with Graph Networks",
    "Tabular Anomaly Detection with Isolation Forests Revisited",
]


@pytest.fixture
def search_dir(settings, tmp_path) -> Iterator[None]:
    settings.DATA_DIR = tmp_path
    yield
    backend._indexes.pop(tmp_path / "search", None)


@pytest.fixture
def huey(search_dir):
    """huey as configured for the tests: jobs run inline (in memory), as the worker would run them."""
    from huey.contrib.djhuey import HUEY

    previous = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = previous


def titles_found_first(titles: list[str]) -> list[str]:
    return [t for t in titles if (hits := search(t).hits) and hits[0].paper.title == t]


def test_every_imported_paper_is_found_by_its_title_once_the_import_finished(huey):
    stats = import_records(
        paper_record(title=title, abstract=f"{title}. We report experiments.") for title in TITLES
    )

    assert stats.created == len(TITLES)
    assert titles_found_first(TITLES) == TITLES
    assert indexing.index_status().consistent


def test_a_paper_edited_by_a_later_import_is_found_by_its_new_text(huey):
    old = paper_record(arxiv_id="2503.20001", title="Old Title About Gardening", version=1)
    import_records([old, paper_record(arxiv_id="2503.20002", title="Unrelated Paper On Ships")])

    # A newer arXiv version overwrites the bibliographic fields (the pipeline's merge rule).
    import_records([paper_record(arxiv_id="2503.20001", title="New Title: Astronomy", version=2)])

    assert Paper.objects.get(arxiv_id="2503.20001").title == "New Title: Astronomy"
    assert [h.paper.arxiv_id for h in search("astronomy", mode="bm25").hits] == ["2503.20001"]
    assert search("gardening", mode="bm25").hits == []
    assert indexing.index_status().consistent


def test_a_rolled_back_import_indexes_nothing(huey):
    with pytest.raises(RuntimeError), transaction.atomic():
        import_records([paper_record(title="Rolled Back Paper About Volcanoes")])
        raise RuntimeError("the surrounding transaction fails")

    assert not Paper.objects.exists()
    assert search("volcanoes").hits == []
    assert indexing.index_status().keyword_documents == 0


def test_the_job_waits_while_another_process_indexes_then_indexes(huey):
    with indexing.writer_lock():  # a rebuild or `dailypapers index update` in another process
        import_records([paper_record(title="Imported During A Rebuild: Glacier Dynamics")])
        assert search("glacier dynamics").hits == []
        [waiting] = huey.scheduled()

    assert waiting.name.endswith("index_changed_papers")
    assert waiting.retries == 5  # waiting used up none of the retries kept for real failures
    assert BUSY_RETRY_SECONDS <= 60
    index_changed_papers.call_local(*waiting.args)  # as the worker does when the delay is over
    assert search("glacier dynamics").hits[0].paper.title.startswith("Imported During A Rebuild")


def test_jobs_take_ids_never_objects(search_dir, monkeypatch):
    from huey.contrib.djhuey import HUEY

    monkeypatch.setattr(HUEY, "immediate", False)  # queue, do not run: the test reads the job
    HUEY.flush()
    try:
        import_records([paper_record(arxiv_id="2503.20011"), paper_record(arxiv_id="2503.20012")])
        [job] = [task for task in HUEY.pending() if task.name.endswith("index_changed_papers")]
    finally:
        HUEY.flush()
    expected = sorted(Paper.objects.values_list("pk", flat=True))
    assert job.args == (expected,)


def test_a_large_change_is_queued_as_jobs_of_at_most_a_thousand_ids(search_dir, monkeypatch):
    from huey.contrib.djhuey import HUEY

    from dailypapers.papers.signals import papers_changed
    from dailypapers.search.receivers import IDS_PER_JOB

    monkeypatch.setattr(HUEY, "immediate", False)
    HUEY.flush()
    try:
        papers_changed.send(sender=None, paper_ids=[*range(2500, 0, -1), 7, 7])
        jobs = [task for task in HUEY.pending() if task.name.endswith("index_changed_papers")]
    finally:
        HUEY.flush()
    chunks = [job.args[0] for job in jobs]
    assert [len(chunk) for chunk in chunks] == [IDS_PER_JOB, IDS_PER_JOB, 500]
    assert [pk for chunk in chunks for pk in chunk] == list(range(1, 2501))  # sorted, no repeat


def test_a_queue_that_cannot_be_written_loses_no_paper(search_dir, tmp_path, monkeypatch, caplog):
    """The queue's SQLite file is locked by another process past its timeout: the import still
    finishes, the failure is logged with the way out, and the next index update catches up."""
    from huey.contrib.djhuey import HUEY

    queue_file = tmp_path / "locked-queue.sqlite3"
    storage = SqliteStorage(name="locked", filename=str(queue_file), timeout=0.05)
    monkeypatch.setattr(HUEY, "immediate", False)
    monkeypatch.setattr(HUEY, "storage", storage)
    holder = sqlite3.connect(queue_file, isolation_level=None)
    holder.execute("begin exclusive")
    try:
        with caplog.at_level(logging.ERROR, logger="dailypapers.search.receivers"):
            stats = import_records([paper_record(title="Queued While The Queue Was Locked")])
    finally:
        holder.execute("rollback")
        holder.close()

    assert stats.created == 1 and Paper.objects.count() == 1
    assert "`dailypapers index update` will index them" in caplog.text
    assert search("queue locked").hits == []
    indexing.update_index()
    assert search("queue locked").hits[0].paper.title == "Queued While The Queue Was Locked"


def test_the_daily_update_drops_deleted_papers_and_adds_missed_ones(huey):
    import_records([paper_record(title="Deleted Later: Coral Reef Bleaching")])
    Paper.objects.all().delete()  # deletions send no signal
    huey.immediate = False
    huey.flush()
    import_records([paper_record(title="Missed By The Queue: Desert Ants Navigation")])
    huey.flush()  # the job is lost (a wiped queue)

    update_search_index.call_local()

    assert search("coral reef", mode="bm25").total == 0
    assert search("desert ants").hits[0].paper.title.startswith("Missed By The Queue")
    assert indexing.index_status().consistent


def test_votes_and_comments_queue_no_indexing_but_an_edit_does(search_dir, monkeypatch):
    from django.contrib.auth import get_user_model
    from huey.contrib.djhuey import HUEY

    from dailypapers.community.services.comments import post_comment
    from dailypapers.community.services.votes import upvote_paper

    import_records([paper_record(arxiv_id="2503.20021")])
    paper = Paper.objects.get(arxiv_id="2503.20021")
    voter = get_user_model().objects.create_user("voter", password=None)
    monkeypatch.setattr(HUEY, "immediate", False)
    HUEY.flush()

    def indexing_jobs() -> list:
        return [task for task in HUEY.pending() if task.name.endswith("index_changed_papers")]

    try:
        upvote_paper(voter.pk, paper.pk)
        post_comment(voter, paper.pk, "A comment.")
        after_community = indexing_jobs()
        import_records([paper_record(arxiv_id="2503.20021", title="A New Title", version=2)])
        after_edit = indexing_jobs()
    finally:
        HUEY.flush()

    assert after_community == []  # counts changed, not what search holds
    assert [job.args for job in after_edit] == [([paper.pk],)]
