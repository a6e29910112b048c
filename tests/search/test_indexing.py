"""Indexing papers from the database, the search() service, and index/database agreement after crashes."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dailypapers.papers.models import Paper
from dailypapers.search import backend, indexing
from dailypapers.search.models import IndexedPaper
from dailypapers.search.queries import search, similar_papers
from tests.factories import make_paper

pytestmark = pytest.mark.django_db


@pytest.fixture
def papers(search_data_dir):
    made = [
        make_paper(
            title="Attention Is All You Need",
            abstract="We propose the Transformer, a network architecture based solely on attention mechanisms.",
            authors=["Ashish Vaswani", "Noam Shazeer"],
            organization="google",
        ),
        make_paper(
            title="Denoising Diffusion Probabilistic Models",
            abstract="High quality image synthesis results using diffusion probabilistic models.",
            authors=["Jonathan Ho", "Pieter Abbeel"],
        ),
        make_paper(
            title="Deep Residual Learning for Image Recognition",
            abstract="A residual learning framework eases the training of very deep networks.",
            authors=["Kaiming He", "Jian Sun"],
        ),
        make_paper(
            title="Playing Atari with Deep Reinforcement Learning",
            abstract="A deep learning model learns control policies from pixels with reinforcement learning.",
            authors=["Volodymyr Mnih", "David Silver"],
            organization="deepmind",
        ),
    ]
    return made


def test_index_papers_makes_them_searchable(papers):
    report = indexing.index_papers([p.pk for p in papers])

    results = search("diffusion image synthesis")
    assert report.indexed == 4 and report.embedded == 4
    assert results.hits[0].paper == papers[1]
    assert "<mark>Diffusion</mark>" in results.hits[0].title_html
    assert indexing.index_status().consistent


def test_index_papers_twice_changes_nothing(papers):
    indexing.index_papers([p.pk for p in papers])

    again = indexing.index_papers([p.pk for p in papers])

    assert again.indexed == 0 and again.unchanged == 4


def test_edited_paper_is_reindexed_without_re_embedding_unchanged_text(papers):
    indexing.index_papers([p.pk for p in papers])
    paper = papers[2]
    paper.categories = ["cs.CV"]
    paper.save()

    report = indexing.index_papers([paper.pk])

    assert (report.indexed, report.embedded) == (1, 0)
    assert [hit.paper for hit in search("cat:cs.CV").hits] == [paper]


def test_search_filters_by_author_and_org_fields(papers):
    indexing.index_papers([p.pk for p in papers])

    assert [h.paper for h in search('author:"Jonathan Ho"').hits] == [papers[1]]
    assert [h.paper for h in search("org:deepmind learning").hits] == [papers[3]]


def test_search_rejects_bad_parameters_with_clear_errors(papers):
    with pytest.raises(ValueError, match="sort must be one of"):
        search("x", sort="random")
    with pytest.raises(ValueError, match="limit must be between"):
        search("x", limit=0)


@pytest.mark.parametrize(
    "hostile", ['"unbalanced', "(((", "AND OR NOT", "x" * 10_240, "\x00\x07", "模型 🦙"]
)
def test_search_service_never_errors_on_hostile_text(papers, hostile):
    indexing.index_papers([p.pk for p in papers])

    results = search(hostile)

    assert results.total >= 0


def test_search_query_count_does_not_grow_with_page_size(papers):
    indexing.index_papers([p.pk for p in papers])
    with CaptureQueriesContext(connection) as one:
        search("learning", limit=1)
    with CaptureQueriesContext(connection) as many:
        search("learning", limit=4)

    assert len(many) == len(one)


def test_similar_papers_excludes_the_paper_itself(papers):
    indexing.index_papers([p.pk for p in papers])

    similar = similar_papers(papers[2].pk, k=3)

    assert len(similar) == 3
    assert papers[2] not in [s.paper for s in similar]


def test_deleted_paper_is_removed_from_the_index(papers):
    indexing.index_papers([p.pk for p in papers])
    gone = papers[0].pk
    Paper.objects.filter(pk=gone).delete()

    indexing.index_papers([gone])

    assert gone not in [h.paper.pk for h in search("transformer attention").hits]
    assert gone not in backend.get_search_index().engine.vectors.doc_ids()
    assert indexing.index_status().consistent


def test_orphans_are_removed_by_update(papers):
    indexing.index_papers([p.pk for p in papers])
    Paper.objects.filter(pk=papers[0].pk).delete()
    assert not indexing.index_status().consistent

    indexing.update_index()

    status = indexing.index_status()
    assert status.consistent and status.keyword_documents == 3 and status.vector_documents == 3


class Crash(Exception):
    pass


def test_crash_after_index_commit_before_state_write_is_repaired_by_update(papers, monkeypatch):
    indexing.index_papers([p.pk for p in papers[:2]])
    real_record = indexing._record_indexed

    def crash(*args, **kwargs):
        raise Crash("killed between the index commit and the state write")

    monkeypatch.setattr(indexing, "_record_indexed", crash)
    with pytest.raises(Crash):
        indexing.update_index()

    # The indexes hold all four papers, the state only two: they disagree, and status says so.
    status = indexing.index_status()
    assert status.keyword_documents == 4 and status.indexed == 2 and not status.consistent
    assert IndexedPaper.objects.count() == 2

    monkeypatch.setattr(indexing, "_record_indexed", real_record)
    report = indexing.update_index()

    status = indexing.index_status()
    assert status.consistent, status.problems
    assert (report.indexed, status.indexed, status.keyword_documents, status.vector_documents) == (
        2,
        4,
        4,
        4,
    )
    assert [h.paper for h in search("atari reinforcement").hits][0] == papers[3]


def test_crash_while_reindexing_an_edit_is_repaired_by_rebuild(papers, monkeypatch):
    indexing.index_papers([p.pk for p in papers])
    paper = papers[1]
    paper.title = "Score-based generative modelling"
    paper.save()
    monkeypatch.setattr(indexing, "_record_indexed", lambda *a, **k: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        indexing.index_papers([paper.pk])
    assert not indexing.index_status().consistent
    monkeypatch.undo()

    indexing.rebuild_index()

    status = indexing.index_status()
    assert status.consistent and status.rebuild == "done"
    assert [h.paper for h in search('"score-based generative"').hits] == [paper]


def test_interrupted_rebuild_resumes_in_the_same_generation(papers, monkeypatch):
    indexing.index_papers([p.pk for p in papers])
    old_generation = backend.get_search_index().state.generation
    monkeypatch.setattr(indexing, "BATCH_SIZE", 2)
    calls = {"n": 0}
    real_record = indexing._record_indexed

    def crash_on_second_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise Crash()
        return real_record(*args, **kwargs)

    monkeypatch.setattr(indexing, "_record_indexed", crash_on_second_batch)
    with pytest.raises(Crash):
        indexing.rebuild_index()
    interrupted = backend.get_search_index().state
    assert interrupted.rebuild == "running" and interrupted.generation != old_generation

    monkeypatch.setattr(indexing, "_record_indexed", real_record)
    report = indexing.rebuild_index()

    assert backend.get_search_index().state.generation == interrupted.generation
    assert report.indexed == 2 and report.unchanged == 2 and report.embedded == 0
    assert indexing.index_status().consistent


def test_wiped_search_folder_starts_a_new_generation_and_rows_become_stale(papers):
    indexing.index_papers([p.pk for p in papers])
    backend.remove_search_folder()

    status = indexing.index_status()
    assert (status.indexed, status.pending, status.keyword_documents) == (0, 4, 0)

    report = indexing.update_index()
    assert report.embedded == 0  # stored vectors are reused for unchanged text
    assert indexing.index_status().consistent


def test_index_command_status_and_rebuild(papers, capsys):
    with pytest.raises(CommandError, match="disagree"):
        call_command("index", "status")

    call_command("index", "rebuild")
    call_command("index", "status")

    assert "consistent" in capsys.readouterr().err
