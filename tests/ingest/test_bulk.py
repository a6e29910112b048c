"""Bulk JSON-lines sources: the Kaggle arXiv snapshot and the daily-listing dumps, plain or gzipped,
streamed line by line; bad lines are reported with file:line and the import goes on.

The listing tests use the first 500 lines of the real 74,728-paper dump; the full import is
``benchmarks/ingest.py``.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import tracemalloc
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dailypapers.ingest.pipeline import import_records
from dailypapers.ingest.records import PaperRecord, Skipped
from dailypapers.ingest.sources.bulk import kaggle_records, listing_records
from dailypapers.papers.models import Paper
from tests.factories import paper_record

LISTINGS = "scale/arxiv_cs_daily_listings_2025-03_2026-07_dedup.jsonl.gz"
SAMPLE_LINES = 500


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")


@pytest.fixture
def kaggle_file(shared_data) -> Path:
    return shared_data / "arxiv" / "kaggle_snapshot_format" / "unarxive_2022_sample_metadata.jsonl"


@pytest.fixture
def kaggle_lines(kaggle_file) -> list[dict]:
    return [json.loads(line) for line in kaggle_file.read_text().splitlines()]


@pytest.fixture(scope="session")
def listing_sample(shared_data, tmp_path_factory) -> Path:
    """The first 500 lines of the real listing dump, still gzipped."""
    path = tmp_path_factory.mktemp("listings") / "listings_head.jsonl.gz"
    with gzip.open(shared_data / LISTINGS, "rb") as source, gzip.open(path, "wb") as target:
        for _ in range(SAMPLE_LINES):
            target.write(source.readline())
    return path


def write_lines(path: Path, lines: list[str | dict]) -> Path:
    path.write_text("".join((json.dumps(x) if isinstance(x, dict) else x) + "\n" for x in lines))
    return path


def kaggle_item(arxiv_id: str = "2212.00001", **fields) -> dict:
    item = {
        "id": arxiv_id,
        "submitter": "Ada",
        "authors": "Ada Lovelace, Alan Turing",
        "title": "A title",
        "comments": None,
        "journal-ref": None,
        "doi": None,
        "report-no": None,
        "categories": "cs.LG stat.ML",
        "license": None,
        "abstract": "  An abstract.\n",
        "versions": [{"version": "v1", "created": "Thu, 22 Dec 2022 17:01:56 GMT"}],
        "update_date": "2022-12-23",
        "authors_parsed": [["Lovelace", "Ada", ""], ["Turing", "Alan", ""]],
    }
    item.update(fields)
    return item


# --- Kaggle snapshot --------------------------------------------------------------------------


def test_kaggle_line_yields_every_field(kaggle_file):
    records = list(kaggle_records(kaggle_file))

    assert len(records) == 49 and all(isinstance(r, PaperRecord) for r in records)
    first = records[0]
    assert first.source == "kaggle"
    assert (first.arxiv_id, first.version) == ("2212.11867", 1)
    assert first.title == (
        "Zeros of a growing number of derivatives of random polynomials with independent roots"
    )
    assert [a.name for a in first.authors] == ["Marcus Michelen", "Xuan-Truong Vu"]
    assert first.categories == ["math.PR", "math.CA", "math.CV"]
    assert first.license == "http://creativecommons.org/licenses/by/4.0/"
    assert first.comment == "12 pages"
    assert first.published_at == dt.datetime(2022, 12, 22, 17, 1, 56, tzinfo=dt.UTC)
    assert first.updated_at is None
    assert first.abstract.startswith("Let $X_1,X_2,\\ldots$ be independent")
    assert first.origin == f"{kaggle_file}:1"


def test_kaggle_versions_give_the_latest_version_and_its_date(kaggle_file):
    (record,) = [r for r in kaggle_records(kaggle_file) if r.arxiv_id == "2212.11899"]

    assert record.version == 2
    assert record.published_at.date() == dt.date(2022, 12, 22)
    assert record.updated_at is not None and record.updated_at > record.published_at


def test_kaggle_name_parts_and_suffix_make_the_byline(tmp_path):
    path = write_lines(
        tmp_path / "s.jsonl",
        [kaggle_item(authors_parsed=[["Smith", "John", "Jr"], ["Collaboration", "", ""]])],
    )

    (record,) = list(kaggle_records(path))

    assert [a.name for a in record.authors] == ["John Smith Jr", "Collaboration"]


def test_kaggle_withdrawn_comment_marks_the_paper_withdrawn(tmp_path):
    path = write_lines(
        tmp_path / "s.jsonl", [kaggle_item(comments="This paper has been withdrawn by the author")]
    )

    (record,) = list(kaggle_records(path))

    assert record.withdrawn is True


def test_kaggle_category_filter_keeps_matching_papers(kaggle_file, kaggle_lines):
    expected = [
        x["id"] for x in kaggle_lines if any(c.startswith("cs.") for c in x["categories"].split())
    ]

    records = list(kaggle_records(kaggle_file, categories=["cs."]))

    assert [r.arxiv_id for r in records] == expected and 0 < len(expected) < 49


def test_bad_lines_are_skipped_with_file_line_and_reason(tmp_path):
    path = write_lines(
        tmp_path / "bad.jsonl",
        [
            kaggle_item("2212.00001"),
            "{not json",
            "[1, 2]",
            kaggle_item("not an id"),
            kaggle_item("2212.00002", title="  "),
            "",
            kaggle_item("2212.00003"),
        ],
    )

    items = list(kaggle_records(path))

    assert [r.arxiv_id for r in items if isinstance(r, PaperRecord)] == ["2212.00001", "2212.00003"]
    skipped = [(s.origin, s.reason) for s in items if isinstance(s, Skipped)]
    assert [origin for origin, _ in skipped] == [f"{path}:2", f"{path}:3", f"{path}:4", f"{path}:5"]
    assert "JSONDecodeError" in skipped[0][1]
    assert skipped[1][1] == "a JSON list, not an object"
    assert "not an arXiv id" in skipped[2][1]
    assert skipped[3][1] == "2212.00002: no title"


def test_invalid_utf8_line_is_skipped_not_garbled(tmp_path):
    path = tmp_path / "bytes.jsonl"
    path.write_bytes(json.dumps(kaggle_item("2212.00001")).encode() + b'\n{"id": "\xff\xfe"}\n')

    items = list(kaggle_records(path))

    assert isinstance(items[0], PaperRecord)
    assert isinstance(items[1], Skipped) and items[1].origin.endswith(":2")


def test_gzipped_snapshot_reads_like_the_plain_file(kaggle_file, tmp_path):
    packed = tmp_path / "snapshot.json.gz"
    packed.write_bytes(gzip.compress(kaggle_file.read_bytes()))

    plain = [(r.arxiv_id, r.title, r.version) for r in kaggle_records(kaggle_file)]
    zipped = [(r.arxiv_id, r.title, r.version) for r in kaggle_records(packed)]

    assert zipped == plain


def test_truncated_gzip_keeps_what_was_read_and_reports_the_rest(kaggle_file, tmp_path):
    data = gzip.compress(kaggle_file.read_bytes())
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[: len(data) // 2])

    items = list(kaggle_records(cut))

    assert isinstance(items[-1], Skipped) and "unreadable from here on" in items[-1].reason
    assert 0 < sum(isinstance(i, PaperRecord) for i in items) < 49


def test_missing_file_is_reported():
    (item,) = list(kaggle_records(Path("/nonexistent/snapshot.json")))

    assert item.reason == "no such file"


def test_snapshot_is_streamed_in_constant_memory(kaggle_file, tmp_path):
    # ~8 MB of lines: reading it whole would allocate several times that.
    lines = kaggle_file.read_bytes()
    big = tmp_path / "big.jsonl"
    with big.open("wb") as out:
        for _ in range(100):
            out.write(lines)
    tracemalloc.start()
    try:
        count = sum(1 for _ in kaggle_records(big))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == 4900
    assert peak < big.stat().st_size / 8


# --- daily listings ---------------------------------------------------------------------------


def test_listing_line_yields_its_fields(listing_sample):
    records = list(listing_records(listing_sample))

    assert len(records) == SAMPLE_LINES and all(isinstance(r, PaperRecord) for r in records)
    first = records[0]
    assert first.source == "listing"
    assert (first.arxiv_id, first.version) == ("2503.11731", None)
    assert first.title.startswith("Industrial-Grade Sensor Simulation via Gaussian Splatting")
    assert [a.name for a in first.authors][:3] == ["Xianming Zeng", "Sicong Du", "Qifeng Chen"]
    assert len(first.authors) == 16
    assert first.categories == ["cs.CV", "cs.RO"]
    assert first.comment is None
    assert "\n" not in first.abstract and first.abstract.startswith("Sensor simulation is pivotal")
    # A listing says when a paper was announced, not when v1 was submitted.
    assert first.published_at is None
    assert records[1].comment == "Work in progress"
    assert records[1].authors[0].name == "Moreno D'Incà"


def test_listing_limit_reads_only_the_first_lines(listing_sample):
    assert len(list(listing_records(listing_sample, limit=7))) == 7


def test_listing_versioned_id_and_string_authors_are_read(tmp_path):
    path = write_lines(
        tmp_path / "l.jsonl",
        [
            {
                "id": "2503.00001v3",
                "title": "T",
                "authors": "A One, B Two and C Three",
                "summary": "S",
            }
        ],
    )

    (record,) = list(listing_records(path))

    assert (record.arxiv_id, record.version) == ("2503.00001", 3)
    assert [a.name for a in record.authors] == ["A One", "B Two", "C Three"]


# --- through the pipeline ---------------------------------------------------------------------


@pytest.mark.django_db
def test_listing_import_is_idempotent(listing_sample):
    first = import_records(listing_records(listing_sample))
    second = import_records(listing_records(listing_sample))

    assert (first.read, first.created, first.skipped) == (SAMPLE_LINES, SAMPLE_LINES, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 0, SAMPLE_LINES)
    paper = Paper.objects.get(arxiv_id="2503.11731")
    assert paper.primary_category == "cs.CV"
    assert paper.authorships.count() == 16


@pytest.mark.django_db
def test_kaggle_import_is_idempotent(kaggle_file):
    first = import_records(kaggle_records(kaggle_file))
    second = import_records(kaggle_records(kaggle_file))

    assert (first.created, first.skipped) == (49, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 49)


@pytest.mark.django_db
def test_newer_kaggle_version_updates_the_paper(tmp_path):
    v1 = write_lines(tmp_path / "v1.jsonl", [kaggle_item("2212.00001", title="First title")])
    v2_versions = [
        {"version": "v1", "created": "Thu, 22 Dec 2022 17:01:56 GMT"},
        {"version": "v2", "created": "Mon, 2 Jan 2023 09:00:00 GMT"},
    ]
    v2 = write_lines(
        tmp_path / "v2.jsonl",
        [kaggle_item("2212.00001", title="Second title", versions=v2_versions)],
    )
    import_records(kaggle_records(v1))

    stats = import_records(kaggle_records(v2))

    paper = Paper.objects.get(arxiv_id="2212.00001")
    assert stats.updated == 1
    assert (paper.version, paper.title) == (2, "Second title")
    assert paper.updated_at == dt.datetime(2023, 1, 2, 9, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_hugging_face_and_listing_records_of_one_paper_merge(listing_sample):
    import_records([paper_record(arxiv_id="2503.11731", title="HF title", upvotes=17)])

    import_records(listing_records(listing_sample, limit=1))

    paper = Paper.objects.get(arxiv_id="2503.11731")
    assert Paper.objects.count() == 1
    assert paper.categories == ["cs.CV", "cs.RO"]
    assert paper.upvotes == 17
    assert paper.sources == ["hf", "listing"]
    assert paper.daily.date == dt.date(2025, 3, 14)  # the HF feed entry survives


@pytest.mark.django_db
def test_a_bad_line_does_not_stop_the_import(tmp_path):
    path = write_lines(
        tmp_path / "mixed.jsonl", [kaggle_item("2212.00001"), "garbage", kaggle_item("2212.00002")]
    )

    stats = import_records(kaggle_records(path))

    assert (stats.read, stats.created, stats.skipped) == (2, 2, 1)
    assert stats.problems[0].origin == f"{path}:2"


# --- the commands -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_listings_command_imports_and_summarises(listing_sample, capsys):
    call_command("ingest", "listings", str(listing_sample), "--limit", "100")

    assert Paper.objects.count() == 100
    assert "read 100, created 100, updated 0, unchanged 0, skipped 0" in capsys.readouterr().err


@pytest.mark.django_db
def test_kaggle_command_filters_by_category(kaggle_file, kaggle_lines):
    call_command("ingest", "kaggle", str(kaggle_file), "--category", "cs.", "--category", "math.PR")

    wanted = {
        x["id"]
        for x in kaggle_lines
        if any(c.startswith(("cs.", "math.PR")) for c in x["categories"].split())
    }
    assert set(Paper.objects.values_list("arxiv_id", flat=True)) == wanted


@pytest.mark.django_db
def test_command_on_a_missing_file_fails_with_the_reason(capsys):
    with pytest.raises(CommandError, match="nothing could be imported"):
        call_command("ingest", "listings", "/nonexistent/listings.jsonl.gz")

    assert "/nonexistent/listings.jsonl.gz: no such file" in capsys.readouterr().err


def test_bulk_commands_help_names_their_options(capsys):
    from dailypapers.ingest.management.commands.ingest import Command

    parser = Command().create_parser("dailypapers", "ingest")
    for source, options in (("kaggle", ["--category", "--limit"]), ("listings", ["--limit"])):
        with pytest.raises(SystemExit):
            parser.parse_args([source, "--help"])
        text = capsys.readouterr().out
        assert all(option in text for option in options)
        assert "gz" in text
