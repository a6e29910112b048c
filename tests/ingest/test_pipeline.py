"""The merge pipeline against the real database: every merge rule in ``pipeline.py``'s docstring,
idempotency, order independence, loss-free failure handling and constant query counts.

Records are built directly (``tests.factories.paper_record``); nothing here is mocked.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dailypapers.ingest.pipeline import ImportStats, import_records
from dailypapers.ingest.records import (
    AuthorRecord,
    DailyRecord,
    OrganizationRecord,
    PaperRecord,
    Skipped,
)
from dailypapers.ingest.sources import bulk, hf
from dailypapers.papers.models import Author, DailyEntry, Organization, Paper, PaperAuthor
from dailypapers.papers.signals import papers_changed
from tests.factories import make_paper, paper_record
from tests.ingest.test_hf_source import hf_item

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 3, 14)


def arxiv_record(
    arxiv_id: str, *, version: int | None = 1, source: str = "arxiv", **fields
) -> PaperRecord:
    """What an arXiv source says: bibliographic fields only, no counts, no daily entry."""
    values = {
        "title": f"arXiv title of {arxiv_id} v{version}",
        "abstract": f"arXiv abstract v{version}.",
        "authors": [AuthorRecord(name="Grace Hopper"), AuthorRecord(name="Edsger Dijkstra")],
        "categories": ["cs.LG", "stat.ML"],
        "published_at": dt.datetime(2025, 3, 10, tzinfo=dt.UTC),
        "updated_at": dt.datetime(2025, 3, 10, tzinfo=dt.UTC),
    }
    values.update(fields)
    return PaperRecord(source=source, arxiv_id=arxiv_id, version=version, origin="test", **values)


def snapshot(arxiv_id: str) -> dict:
    """Everything stored about one paper, minus row ids and timestamps of the write itself."""
    paper = Paper.objects.select_related("organization").get(arxiv_id=arxiv_id)
    fields = {
        f.attname: getattr(paper, f.attname)
        for f in Paper._meta.concrete_fields
        if f.attname not in {"id", "created", "modified", "organization_id"}
    }
    fields["organization"] = paper.organization.name if paper.organization else None
    fields["authors"] = [
        (a.author.name, a.hf_id, a.hidden, a.position)
        for a in paper.authorships.select_related("author").order_by("position")
    ]
    daily = DailyEntry.objects.filter(paper=paper).first()
    fields["daily"] = (
        None
        if daily is None
        else (
            daily.date,
            daily.submitted_at,
            daily.submitter_name,
            daily.submitter_fullname,
            daily.submitter_avatar_url,
            daily.media_urls,
        )
    )
    return fields


def author_names(arxiv_id: str) -> list[str]:
    paper = Paper.objects.get(arxiv_id=arxiv_id)
    return [a.author.name for a in paper.authorships.select_related("author").order_by("position")]


# --- creation and idempotency ----------------------------------------------------------------


def test_new_record_creates_paper_with_every_field():
    record = paper_record(
        arxiv_id="2503.00001",
        title="Attention Is Still All You Need",
        authors=["Ada Lovelace", "Alan Turing"],
        upvotes=7,
        organization="ACME-Lab",
        submitter="ada",
        github_repo="https://github.com/acme/attn",
        ai_keywords=["attention"],
    )

    stats = import_records([record])

    assert (stats.read, stats.created, stats.updated, stats.skipped) == (1, 1, 0, 0)
    paper = Paper.objects.get(arxiv_id="2503.00001")
    assert paper.title == "Attention Is Still All You Need"
    assert author_names("2503.00001") == ["Ada Lovelace", "Alan Turing"]
    assert (paper.imported_upvotes, paper.upvotes) == (7, 7)
    assert paper.organization.name == "ACME-Lab"
    assert paper.github_repo == "https://github.com/acme/attn"
    assert paper.ai_keywords == ["attention"]
    assert paper.sources == ["hf"]
    assert (paper.daily.date, paper.daily.submitter_name) == (DAY, "ada")


def test_second_run_of_same_records_creates_and_updates_nothing():
    records = [
        paper_record(arxiv_id=f"2503.1000{i}", organization="ACME-Lab", upvotes=i) for i in range(5)
    ]
    import_records(records)
    before = {r.arxiv_id: snapshot(r.arxiv_id) for r in records}

    stats = import_records(records)

    assert (stats.read, stats.created, stats.updated, stats.unchanged) == (5, 0, 0, 5)
    assert {r.arxiv_id: snapshot(r.arxiv_id) for r in records} == before


def test_stats_summary_names_every_count():
    stats = import_records([paper_record(), Skipped("somefile.json[3]", "no title")])

    assert stats.summary() == "read 1, created 1, updated 0, unchanged 0, skipped 1"


# --- bibliographic fields: newer version overwrites, otherwise fill blanks ---------------------


def test_newer_version_overwrites_bibliographic_fields_and_authors():
    import_records([arxiv_record("2503.20001", version=1, comment="10 pages")])
    newer = arxiv_record(
        "2503.20001",
        version=2,
        title="Revised title",
        abstract="Revised abstract.",
        authors=[AuthorRecord(name="Barbara Liskov")],
        categories=["cs.CL"],
        comment="12 pages, accepted",
    )

    stats = import_records([newer])

    assert stats.updated == 1
    paper = Paper.objects.get(arxiv_id="2503.20001")
    assert (paper.version, paper.title, paper.abstract) == (2, "Revised title", "Revised abstract.")
    assert (paper.categories, paper.primary_category) == (["cs.CL"], "cs.CL")
    assert paper.comment == "12 pages, accepted"
    assert author_names("2503.20001") == ["Barbara Liskov"]


def test_older_version_only_fills_blank_fields():
    import_records([arxiv_record("2503.20002", version=3, title="v3 title", comment="")])
    older = arxiv_record(
        "2503.20002", version=1, title="v1 title", comment="v1 comment", doi="10.1/x"
    )

    import_records([older])

    paper = Paper.objects.get(arxiv_id="2503.20002")
    assert (paper.version, paper.title) == (3, "v3 title")
    assert (paper.comment, paper.doi) == ("v1 comment", "10.1/x")


def test_arxiv_source_takes_over_paper_only_hugging_face_described():
    import_records(
        [paper_record(arxiv_id="2503.20003", title="HF title", authors=["H. F."], upvotes=9)]
    )

    import_records([arxiv_record("2503.20003", version=None, title="arXiv title")])

    paper = Paper.objects.get(arxiv_id="2503.20003")
    assert paper.title == "arXiv title"
    assert author_names("2503.20003") == ["Grace Hopper", "Edsger Dijkstra"]
    assert paper.categories == ["cs.LG", "stat.ML"]
    assert paper.imported_upvotes == 9, "HF-only fields survive the takeover"
    assert paper.sources == ["arxiv", "hf"]


def test_hugging_face_record_does_not_override_arxiv_paper_but_adds_its_fields():
    import_records([arxiv_record("2503.20004", title="arXiv title")])
    hf = paper_record(
        arxiv_id="2503.20004",
        title="HF title",
        authors=["Someone Else"],
        upvotes=12,
        github_repo="https://github.com/a/b",
        ai_summary="Short.",
    )

    import_records([hf])

    assert Paper.objects.count() == 1
    paper = Paper.objects.get(arxiv_id="2503.20004")
    assert paper.title == "arXiv title"
    assert author_names("2503.20004") == ["Grace Hopper", "Edsger Dijkstra"]
    assert (paper.imported_upvotes, paper.github_repo, paper.ai_summary) == (
        12,
        "https://github.com/a/b",
        "Short.",
    )
    assert paper.daily.date == DAY
    assert paper.sources == ["arxiv", "hf"]


def test_second_arxiv_source_with_same_version_only_fills_blanks():
    import_records([arxiv_record("2503.20005", title="API title", journal_ref="")])

    import_records(
        [arxiv_record("2503.20005", source="kaggle", title="Kaggle title", journal_ref="J. 1")]
    )

    paper = Paper.objects.get(arxiv_id="2503.20005")
    assert (paper.title, paper.journal_ref) == ("API title", "J. 1")
    assert paper.sources == ["arxiv", "kaggle"]


def test_updated_at_keeps_the_latest_date():
    late = dt.datetime(2025, 5, 1, tzinfo=dt.UTC)
    import_records([arxiv_record("2503.20006", updated_at=late)])

    import_records(
        [
            arxiv_record(
                "2503.20006", source="oai", updated_at=dt.datetime(2025, 4, 1, tzinfo=dt.UTC)
            )
        ]
    )

    assert Paper.objects.get(arxiv_id="2503.20006").updated_at == late


def test_withdrawal_is_recorded_and_an_older_record_does_not_undo_it():
    import_records([arxiv_record("2503.20007", version=1)])

    import_records(
        [
            arxiv_record(
                "2503.20007", version=2, withdrawn=True, comment="This paper has been withdrawn"
            )
        ]
    )
    import_records([arxiv_record("2503.20007", version=1, source="kaggle", withdrawn=False)])

    assert Paper.objects.get(arxiv_id="2503.20007").withdrawn is True


# --- snapshot counts: the largest value wins -------------------------------------------------------


def test_upvote_comment_and_star_snapshots_keep_the_largest_value():
    import_records(
        [paper_record(arxiv_id="2503.30001", upvotes=40, num_comments=5, github_stars=100)]
    )

    older = import_records(
        [paper_record(arxiv_id="2503.30001", upvotes=10, num_comments=1, github_stars=3)]
    )
    after_older = Paper.objects.get(arxiv_id="2503.30001")
    import_records(
        [paper_record(arxiv_id="2503.30001", upvotes=55, num_comments=5, github_stars=120)]
    )

    assert older.updated == 0
    assert (
        after_older.imported_upvotes,
        after_older.imported_comments,
        after_older.github_stars,
    ) == (40, 5, 100)
    paper = Paper.objects.get(arxiv_id="2503.30001")
    assert (paper.imported_upvotes, paper.imported_comments, paper.github_stars) == (55, 5, 120)


def test_imported_upvotes_add_to_local_votes_without_overwriting_them():
    paper = make_paper(arxiv_id="2503.30002", upvotes=10)
    Paper.objects.filter(pk=paper.pk).update(local_upvotes=3, upvotes=13)

    import_records([paper_record(arxiv_id="2503.30002", upvotes=20)])

    paper = Paper.objects.get(arxiv_id="2503.30002")
    assert (paper.imported_upvotes, paper.local_upvotes, paper.upvotes) == (20, 3, 23)


# --- links, AI fields and organization: fill blanks only ------------------------------------------


def test_links_and_ai_fields_fill_blanks_but_never_replace_local_edits():
    import_records([paper_record(arxiv_id="2503.40001", github_repo="https://github.com/old/repo")])
    Paper.objects.filter(arxiv_id="2503.40001").update(
        github_repo="https://github.com/moderator/fixed"
    )
    again = paper_record(
        arxiv_id="2503.40001",
        github_repo="https://github.com/old/repo",
        project_page="https://project.example.org",
        thumbnail_url="https://cdn.example.org/t.png",
        discussion_id="abc123",
        ai_summary="A summary.",
        ai_keywords=["k1", "k2"],
    )

    import_records([again])

    paper = Paper.objects.get(arxiv_id="2503.40001")
    assert paper.github_repo == "https://github.com/moderator/fixed"
    assert paper.project_page == "https://project.example.org"
    assert paper.thumbnail_url == "https://cdn.example.org/t.png"
    assert (paper.discussion_id, paper.ai_summary, paper.ai_keywords) == (
        "abc123",
        "A summary.",
        ["k1", "k2"],
    )


def test_organization_fills_a_blank_and_is_created_once():
    import_records([paper_record(arxiv_id="2503.40002")])
    import_records([paper_record(arxiv_id="2503.40002", organization="First-Org")])

    import_records(
        [
            paper_record(arxiv_id="2503.40002", organization="Second-Org"),
            paper_record(arxiv_id="2503.40003", organization="First-Org"),
        ]
    )

    assert Paper.objects.get(arxiv_id="2503.40002").organization.name == "First-Org"
    assert Paper.objects.get(arxiv_id="2503.40003").organization.name == "First-Org"
    assert Organization.objects.filter(name="First-Org").count() == 1


def test_authors_are_shared_between_papers_by_name():
    import_records(
        [
            paper_record(arxiv_id="2503.40004", authors=["Ada Lovelace", "Alan Turing"]),
            paper_record(arxiv_id="2503.40005", authors=["Alan Turing"]),
        ]
    )

    assert Author.objects.filter(name="Alan Turing").count() == 1
    assert Author.objects.get(name="Alan Turing").papers.count() == 2


# --- the daily entry: earliest day wins ---------------------------------------------------------


def daily_record(
    arxiv_id: str, day: dt.date, submitter: str, media: list[str] | None = None, upvotes: int = 0
):
    record = paper_record(arxiv_id=arxiv_id, title=f"Paper {arxiv_id}", day=None, upvotes=upvotes)
    record.daily = DailyRecord(
        date=day,
        submitted_at=dt.datetime.combine(day, dt.time(8, 30), tzinfo=dt.UTC),
        submitter_name=submitter,
        media_urls=media or [],
    )
    return record


def test_daily_entry_keeps_the_earliest_day_and_its_submitter_in_either_order():
    early = daily_record("2503.50001", dt.date(2025, 3, 10), "first", upvotes=2)
    late = daily_record(
        "2503.50001", dt.date(2025, 3, 16), "second", ["https://cdn.example.org/v.mp4"], upvotes=40
    )
    import_records([early])
    import_records([late])
    in_order = snapshot("2503.50001")
    Paper.objects.all().delete()

    import_records([late])
    import_records([early])

    assert snapshot("2503.50001") == in_order
    entry = DailyEntry.objects.get(paper__arxiv_id="2503.50001")
    assert (entry.date, entry.submitter_name) == (dt.date(2025, 3, 10), "first")
    assert entry.submitted_at == dt.datetime(2025, 3, 10, 8, 30, tzinfo=dt.UTC)
    assert entry.media_urls == ["https://cdn.example.org/v.mp4"], (
        "blank fields are filled from the later entry"
    )
    assert entry.paper.imported_upvotes == 40


def test_daily_entry_never_takes_submission_time_from_another_day():
    undated = paper_record(
        arxiv_id="2503.50002", day=dt.date(2025, 3, 10)
    )  # legacy file: no submittedOnDailyAt
    late = daily_record("2503.50002", dt.date(2025, 3, 16), "second")

    import_records([undated])
    import_records([late])

    entry = DailyEntry.objects.get(paper__arxiv_id="2503.50002")
    assert (entry.date, entry.submitted_at) == (dt.date(2025, 3, 10), None)


def test_record_without_daily_entry_leaves_the_existing_entry_alone():
    import_records([paper_record(arxiv_id="2503.50003", day=dt.date(2025, 3, 10))])

    import_records([arxiv_record("2503.50003")])

    assert DailyEntry.objects.get(paper__arxiv_id="2503.50003").date == dt.date(2025, 3, 10)


# --- order and batching do not change the result -------------------------------------------------


def _mixed_records() -> list[PaperRecord]:
    return [
        paper_record(
            arxiv_id="2503.60001", title="HF title", upvotes=5, organization="Org-A", github_stars=4
        ),
        arxiv_record("2503.60001", version=2, title="v2 title", comment="v2 comment"),
        arxiv_record("2503.60001", version=1, source="kaggle", title="v1 title", doi="10.1/v1"),
        daily_record("2503.60001", dt.date(2025, 3, 20), "later", upvotes=30),
        paper_record(
            arxiv_id="2503.60001",
            title="HF again",
            upvotes=7,
            organization="Org-B",
            day=dt.date(2025, 3, 11),
        ),
    ]


@pytest.mark.parametrize("order", ["forward", "reversed", "rotated"])
@pytest.mark.parametrize("batch_size", [1, 100])
def test_import_order_and_batch_size_do_not_change_the_paper(order, batch_size):
    records = _mixed_records()
    import_records(records, batch_size=1)  # one record per batch: the reference result
    reference = snapshot("2503.60001")
    Paper.objects.all().delete()
    shuffled = {
        "forward": records,
        "reversed": records[::-1],
        "rotated": records[2:] + records[:2],
    }[order]

    import_records(shuffled, batch_size=batch_size)

    result = snapshot("2503.60001")
    # Fill-blank fields (organization, submitter) legitimately go to whichever record came first;
    # everything the rules make order-independent must match.
    for key in ("organization",):
        result.pop(key), reference.pop(key)
    result["daily"], reference["daily"] = result["daily"][:2], reference["daily"][:2]
    assert result == reference
    assert (result["version"], result["title"], result["imported_upvotes"]) == (2, "v2 title", 30)
    assert result["daily"][0] == dt.date(2025, 3, 11)


def test_two_records_for_a_new_paper_in_one_batch_merge_like_separate_runs():
    newer = arxiv_record("2503.60002", version=2, title="v2 title")
    older = arxiv_record(
        "2503.60002", version=1, source="kaggle", title="v1 title", comment="from v1"
    )

    stats = import_records([newer, older])

    paper = Paper.objects.get(arxiv_id="2503.60002")
    assert (paper.version, paper.title, paper.comment) == (2, "v2 title", "from v1")
    assert (stats.read, stats.created) == (2, 1)


# --- failures lose nothing ------------------------------------------------------------------------


def test_unstorable_record_is_skipped_and_the_rest_of_its_batch_is_stored():
    good = [paper_record(arxiv_id=f"2503.7000{i}") for i in range(4)]
    bad = paper_record(arxiv_id="2503.70009", github_stars=-1)  # violates the column's CHECK >= 0
    bad.origin = "hostile.json[2]"

    stats = import_records([*good[:2], bad, *good[2:]], batch_size=100)

    assert (stats.read, stats.created, stats.skipped) == (5, 4, 1)
    assert stats.problems[0].origin == "hostile.json[2]"
    assert "could not be stored" in stats.problems[0].reason
    assert set(Paper.objects.values_list("arxiv_id", flat=True)) == {r.arxiv_id for r in good}


def test_failing_update_keeps_what_was_already_stored():
    import_records([paper_record(arxiv_id="2503.70010", title="Kept title", upvotes=5)])
    before = snapshot("2503.70010")
    bad = arxiv_record("2503.70010", version=9, title="Never stored", github_stars=-5)

    stats = import_records([bad, paper_record(arxiv_id="2503.70011")])

    assert (stats.created, stats.updated, stats.skipped) == (1, 0, 1)
    assert snapshot("2503.70010") == before


def test_skipped_items_are_counted_reported_and_do_not_stop_the_run():
    problem = Skipped("/data/2025-01-01.json[7]", "not an arXiv id: 'abc'")

    stats = import_records(
        [paper_record(arxiv_id="2503.70020"), problem, paper_record(arxiv_id="2503.70021")]
    )

    assert (stats.read, stats.created, stats.skipped) == (2, 2, 1)
    assert stats.problems == [problem]


def test_stats_merge_adds_every_count():
    total = ImportStats(read=1, created=1)
    total.merge(
        ImportStats(read=2, updated=1, unchanged=1, skipped=1, problems=[Skipped("x", "y")])
    )

    assert (total.read, total.created, total.updated, total.unchanged, total.skipped) == (
        3,
        1,
        1,
        1,
        1,
    )
    assert total.problems == [Skipped("x", "y")]


# --- change announcements and query counts ---------------------------------------------------------


def test_changed_papers_are_announced_after_commit_and_unchanged_ones_are_not(
    django_capture_on_commit_callbacks,
):
    announced: list[list[int]] = []

    def receiver(sender, paper_ids, **kwargs):
        announced.append(sorted(paper_ids))

    papers_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            import_records(
                [paper_record(arxiv_id="2503.80001"), paper_record(arxiv_id="2503.80002")]
            )
        with django_capture_on_commit_callbacks(execute=True):
            import_records([paper_record(arxiv_id="2503.80001")])  # identical: nothing to announce
    finally:
        papers_changed.disconnect(receiver)

    assert announced == [sorted(Paper.objects.values_list("pk", flat=True))]


def _records(prefix: str, n: int, **extra) -> list[PaperRecord]:
    return [
        paper_record(
            arxiv_id=f"{prefix}.{i:05d}",
            authors=[f"Author {prefix} {i}", "Shared Author"],
            organization=f"Org {i % 3}",
            **extra,
        )
        for i in range(n)
    ]


def _largest_single_statement_batch() -> int:
    """How many papers (two authors each) fit in one INSERT per table on this backend.

    Django 5.2 caps SQLite statements at 999 bound variables, so SQLite splits a bulk INSERT into
    chunks of ~35 papers; that split is the backend's, not a per-record query. Staying within one
    chunk lets any query made per record show up as growth. PostgreSQL has no such cap.
    """
    sizes = [300]
    for model, per_paper in ((Paper, 1), (PaperAuthor, 2), (DailyEntry, 1)):
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        sizes.append(connection.ops.bulk_batch_size(fields, [None] * 1000) // per_paper)
    return min(sizes)


def test_query_count_for_new_papers_does_not_grow_with_batch_size(django_assert_max_num_queries):
    large = _largest_single_statement_batch()
    with CaptureQueriesContext(connection) as small:
        import_records(_records("2504", 3), batch_size=1000)

    with django_assert_max_num_queries(len(small.captured_queries)):
        stats = import_records(_records("2505", large), batch_size=1000)

    assert large >= 30
    assert stats.created == large


def test_query_count_for_updates_does_not_grow_with_batch_size(django_assert_max_num_queries):
    large = _largest_single_statement_batch()
    import_records(_records("2504", 3) + _records("2505", large))
    with CaptureQueriesContext(connection) as small:
        import_records(_records("2504", 3, upvotes=50, ai_summary="new"), batch_size=1000)

    with django_assert_max_num_queries(len(small.captured_queries)):
        stats = import_records(
            _records("2505", large, upvotes=50, ai_summary="new"), batch_size=1000
        )

    assert stats.updated == large


def test_hidden_author_flags_and_hf_ids_are_stored_in_byline_order():
    record = paper_record(arxiv_id="2503.90001")
    record.authors = [
        AuthorRecord("B. Second", hf_id="h2", hidden=True),
        AuthorRecord("A. First", hf_id="h1"),
    ]
    record.organization = OrganizationRecord(
        name="Org-X", fullname="Org X", avatar_url="https://x.org/a.png"
    )

    import_records([record])

    assert snapshot("2503.90001")["authors"] == [
        ("B. Second", "h2", True, 0),
        ("A. First", "h1", False, 1),
    ]
    org = Organization.objects.get(name="Org-X")
    assert (org.fullname, org.avatar_url) == ("Org X", "https://x.org/a.png")


def width(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def test_text_longer_than_its_column_is_cut_to_fit_and_a_too_long_url_dropped(tmp_path):
    # Through the real parsers, so a source that stopped fitting its values would show here too.
    # Non-ASCII on purpose: widths count characters on both databases.
    long = "Ω" * 2_000
    long_url = "https://example.org/" + "p" * 2_000
    item = hf_item(
        "1901.00007",
        authors=[{"_id": long, "name": long}],
        discussionId=long,
        githubRepo=long_url,
        projectPage="https://example.org/project",
        organization={"name": long, "fullname": long, "_id": long, "avatar": long_url},
        submittedOnDailyBy={"name": long, "fullname": long, "avatarUrl": long_url},
        mediaUrls=[long_url, "https://example.org/m.png"],
    )
    saved = tmp_path / "2019-01-05.json"
    saved.write_text(json.dumps([item]), encoding="utf-8")
    snapshot_line = {
        "id": "1901.00008",
        "title": "T",
        "authors": long,
        "doi": long,
        "license": long,
    }
    dump = tmp_path / "snapshot.jsonl"
    dump.write_text(json.dumps(snapshot_line) + "\n", encoding="utf-8")
    records = [*hf.records_from_file(saved), *bulk.kaggle_records(dump)]

    first = import_records(records)
    again = import_records([*hf.records_from_file(saved), *bulk.kaggle_records(dump)])

    assert (first.created, first.skipped) == (2, 0)
    assert (again.unchanged, again.updated) == (2, 0)  # a fitted value equals the stored one
    hf_paper = Paper.objects.select_related("organization").get(arxiv_id="1901.00007")
    assert hf_paper.discussion_id == "Ω" * width(Paper, "discussion_id")
    assert (hf_paper.github_repo, hf_paper.project_page) == ("", "https://example.org/project")
    organization = hf_paper.organization
    assert organization is not None
    assert organization.name == "Ω" * width(Organization, "name")
    assert organization.fullname == "Ω" * width(Organization, "fullname")
    assert organization.hf_id == "Ω" * width(Organization, "hf_id")
    assert organization.avatar_url == ""
    author = PaperAuthor.objects.select_related("author").get(paper=hf_paper)
    assert author.author.name == "Ω" * width(Author, "name")
    assert author.hf_id == "Ω" * width(PaperAuthor, "hf_id")
    daily = DailyEntry.objects.get(paper=hf_paper)
    assert daily.submitter_name == "Ω" * width(DailyEntry, "submitter_name")
    assert daily.submitter_fullname == "Ω" * width(DailyEntry, "submitter_fullname")
    assert daily.submitter_avatar_url == ""
    assert daily.media_urls == ["https://example.org/m.png"]
    kaggle_paper = Paper.objects.get(arxiv_id="1901.00008")
    assert kaggle_paper.doi == "Ω" * width(Paper, "doi")
    assert kaggle_paper.license == "Ω" * width(Paper, "license")
    assert list(kaggle_paper.authors.values_list("name", flat=True)) == [
        "Ω" * width(Author, "name")
    ]
