"""Hugging Face ``/api/daily_papers`` files: the whole real capture, spot-checked paper by paper,
and hostile or broken inputs written to temporary files.

The real folder (542 files, ~10 s) is imported once for this module inside a transaction that is
rolled back at the end; each test then runs in its own savepoint on top of it.
"""

from __future__ import annotations

import ast
import datetime as dt
import gzip
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from django.db import connection, transaction

from dailypapers.ingest.pipeline import ImportStats, import_records
from dailypapers.ingest.records import PaperRecord, Skipped
from dailypapers.ingest.sources import hf
from dailypapers.papers.models import DailyEntry, Organization, Paper

UTC = dt.UTC


# --- the real capture, imported once ------------------------------------------------------------


@dataclass
class Corpus:
    raw_dir: Path
    files: list[Path]
    stats: ImportStats
    items: list[PaperRecord | Skipped]


def _keep(items: Iterable[PaperRecord | Skipped], into: list) -> Iterator[PaperRecord | Skipped]:
    for item in items:
        into.append(item)
        yield item


@pytest.fixture(scope="module")
def corpus(shared_data, django_db_setup, django_db_blocker) -> Iterator[Corpus]:
    raw_dir = shared_data / "hf_daily_papers" / "raw"
    files = hf.iter_files([raw_dir])
    seen: list[PaperRecord | Skipped] = []
    with django_db_blocker.unblock(), transaction.atomic():
        stats = import_records(_keep((r for f in files for r in hf.records_from_file(f)), seen))
        # Check the deferred foreign keys now, once: otherwise PostgreSQL re-checks every row of
        # the import at the end of each test (their savepoint rollback re-queues the checks).
        connection.check_constraints()
        yield Corpus(raw_dir, files, stats, seen)
        transaction.set_rollback(True)


def paper(arxiv_id: str) -> Paper:
    return Paper.objects.select_related("organization", "daily").get(arxiv_id=arxiv_id)


def authors_of(p: Paper) -> list[tuple[str, str, bool]]:
    return [
        (a.author.name, a.hf_id, a.hidden)
        for a in p.authorships.select_related("author").order_by("position")
    ]


@pytest.mark.django_db
def test_whole_raw_folder_imports_every_distinct_paper_and_skips_nothing(corpus):
    assert len(corpus.files) == 542
    assert corpus.stats.problems == []
    assert (corpus.stats.read, corpus.stats.created, corpus.stats.skipped) == (9126, 9124, 0)
    assert Paper.objects.count() == 9124
    assert DailyEntry.objects.count() == 9124
    assert {tuple(sources) for sources in Paper.objects.values_list("sources", flat=True)} == {
        ("hf",)
    }


@pytest.mark.django_db
def test_every_raw_file_contributes_all_of_its_items(corpus):
    per_file = Counter(item.origin.rsplit("[", 1)[0] for item in corpus.items)

    for path in corpus.files:
        payload = json.loads(path.read_text(encoding="utf-8"))
        items = payload["data"] if isinstance(payload, dict) else payload
        assert per_file[str(path)] == len(items), path.name


@pytest.mark.django_db
def test_python_repr_files_and_the_wrapped_file_import_every_paper(corpus):
    quirky = [p for p in corpus.files if "2024-12-11" <= p.stem <= "2025-01-10"]
    expected: dict[str, set[str]] = {}
    for path in quirky:
        payload = json.loads(path.read_text(encoding="utf-8"))
        items = payload["data"] if isinstance(payload, dict) else payload
        assert all(isinstance(item, str) for item in items), path.name
        expected[path.stem] = {ast.literal_eval(item)["paper"]["id"] for item in items}

    assert len(quirky) == 22
    for day, ids in expected.items():
        stored = set(
            DailyEntry.objects.filter(date=dt.date.fromisoformat(day)).values_list(
                "paper__arxiv_id", flat=True
            )
        )
        assert stored == ids, day
    assert sum(len(ids) for ids in expected.values()) > 150


@pytest.mark.django_db
def test_convllava_from_the_first_file_is_stored_field_by_field(corpus):
    p = paper("2405.15738")

    assert (
        p.title == "ConvLLaVA: Hierarchical Backbones as Visual Encoder for Large Multimodal Models"
    )
    assert p.abstract.startswith(
        "High-resolution Large Multimodal Models (LMMs) encounter the challenges of excessive visual tokens"
    )
    assert p.abstract.endswith(
        "The ConvLLaVA model series are publicly available at https://github.com/alibaba/conv-llava."
    )
    assert "\n" not in p.abstract, "arXiv's hard line wraps are undone"
    assert p.version is None
    assert p.published_at == dt.datetime(2024, 5, 24, 17, 34, 15, tzinfo=UTC)
    assert [name for name, _, _ in authors_of(p)] == [
        "Chunjiang Ge",
        "Sijie Cheng",
        "Ziming Wang",
        "Jiale Yuan",
        "Yuan Gao",
        "Jun Song",
        "Shiji Song",
        "Gao Huang",
        "Bo Zheng",
    ]
    assert authors_of(p)[0] == ("Chunjiang Ge", "66540321d200a2ecdf784ffe", False)
    assert (p.imported_upvotes, p.upvotes, p.imported_comments) == (32, 32, 3)
    assert (p.github_repo, p.project_page, p.github_stars, p.organization) == ("", "", None, None)
    assert (p.ai_summary, p.ai_keywords, p.discussion_id) == ("", [], "")
    assert p.sources == ["hf"]
    # The legacy ``mediaUrl`` (before ``thumbnail`` and ``mediaUrls`` existed) is the social thumbnail.
    legacy = "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2405.15738.png"
    assert p.thumbnail_url == legacy
    assert p.daily.media_urls == [legacy]
    assert (p.daily.submitted_at, p.daily.submitter_name) == (None, "")


@pytest.mark.django_db
def test_feed_date_falls_back_to_the_file_date_not_the_arxiv_date(corpus):
    p = paper("2405.15738")  # 2024-05-27.json has no submittedOnDailyAt

    assert p.published_at.date() == dt.date(2024, 5, 24)
    assert p.daily.date == dt.date(2024, 5, 27)


@pytest.mark.django_db
def test_feed_date_is_the_day_the_paper_entered_the_daily_list(corpus):
    p = paper("2606.26740")  # arXiv 2026-06-25, submitted to the daily list 2026-06-30

    assert p.published_at == dt.datetime(2026, 6, 25, tzinfo=UTC)
    assert p.daily.date == dt.date(2026, 6, 30)
    assert p.daily.submitted_at == dt.datetime(2026, 6, 30, tzinfo=UTC)
    assert (p.daily.submitter_name, p.daily.submitter_fullname) == ("YueMafighting", "Jack Ma")
    assert (
        p.daily.submitter_avatar_url
        == "https://huggingface.co/avatars/4978b3ad59b5712c73fa692193837ecd.svg"
    )


@pytest.mark.django_db
def test_paper_from_a_python_repr_file_is_stored_field_by_field(corpus):
    p = paper("2412.07730")  # 2024-12-11.json: a list of Python-repr strings (True/False/None)

    assert p.title == "STIV: Scalable Text and Image Conditioned Video Generation"
    assert p.abstract.startswith(
        "The field of video generation has made remarkable advancements, yet there remain"
    )
    assert p.published_at == dt.datetime(2024, 12, 10, 18, 27, 6, tzinfo=UTC)
    names = [name for name, _, _ in authors_of(p)]
    assert (len(names), names[0], names[3], names[-1]) == (
        17,
        "Zongyu Lin",
        "Jiasen Lu",
        "Yinfei Yang",
    )
    assert authors_of(p)[3] == ("Jiasen Lu", "67590ae29500a8d4bb970a6e", False)
    assert (p.imported_upvotes, p.imported_comments, p.discussion_id) == (
        54,
        2,
        "67590ae79500a8d4bb970b16",
    )
    assert (
        p.thumbnail_url
        == "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2412.07730.png"
    )
    assert p.daily.date == dt.date(2024, 12, 11)
    assert (p.daily.submitter_name, p.daily.submitter_fullname) == ("yyf86", "Alex Yang")
    assert (
        p.daily.submitter_avatar_url
        == "https://huggingface.co/avatars/540bb3d8a2afe2ef927b80d895cae28b.svg"
    )


@pytest.mark.django_db
def test_paper_from_the_wrapped_file_is_stored(corpus):
    p = paper("2501.05441")  # 2025-01-10.json: {status, date, count, data: [repr strings]}

    assert p.daily.date == dt.date(2025, 1, 10)
    assert authors_of(p)[:2] == [
        ("Yiwen Huang", "6780827489ff720d2e028eb8", False),
        ("Aaron Gokaslan", "6780827489ff720d2e028eb9", False),
    ]


@pytest.mark.django_db
def test_recent_paper_with_organization_stars_keywords_and_media_is_stored_field_by_field(corpus):
    p = paper("2510.02283")  # 2025-10-03.json

    assert p.title == "Self-Forcing++: Towards Minute-Scale High-Quality Video Generation"
    assert p.published_at == dt.datetime(2025, 10, 2, 17, 55, 42, tzinfo=UTC)
    assert [name for name, _, _ in authors_of(p)][::4] == [
        "Justin Cui",
        "Xiaojie Li",
        "Cho-Jui Hsieh",
    ]
    assert (p.imported_upvotes, p.imported_comments, p.github_stars) == (43, 2, 1)
    assert p.github_repo == "https://github.com/justincui03/Self-Forcing-Plus-Plus"
    assert p.github_name == "justincui03/Self-Forcing-Plus-Plus"
    assert p.project_page == "https://self-forcing-plus-plus.github.io/"
    assert p.ai_summary.startswith("A method is proposed to enhance long-horizon video generation")
    assert p.ai_keywords == [
        "diffusion models",
        "transformer architectures",
        "autoregressive formulations",
        "bidirectional teachers",
        "latent space",
        "quality degradation",
        "temporal consistency",
        "position embedding",
    ]
    assert p.discussion_id == "68df2b56df49fb0df1e03beb"
    org = p.organization
    assert (org.name, org.fullname, org.hf_id) == (
        "ByteDance-Seed",
        "ByteDance Seed",
        "67d1140985ea0644e2f14b99",
    )
    assert org.avatar_url.endswith("/flkDUqd_YEuFsjeNET3r-.png")
    assert (
        p.thumbnail_url
        == "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2510.02283.png"
    )
    assert p.daily.media_urls == [
        "https://cdn-uploads.huggingface.co/production/uploads/65862671e878be571bf9fc52/Fb3ffDmXrslDcQSJH51MW.mp4",
        "https://cdn-uploads.huggingface.co/production/uploads/65862671e878be571bf9fc52/I0qCOZqF-XJo2Xg3i__RJ.mp4",
    ]
    assert p.daily.date == dt.date(2025, 10, 3)
    assert p.daily.submitted_at == dt.datetime(2025, 10, 3, 0, 21, 50, 292000, tzinfo=UTC)
    assert p.daily.submitter_name == "cuijiaxing"
    assert Organization.objects.filter(name="ByteDance-Seed").count() == 1
    assert Organization.objects.get(name="ByteDance-Seed").papers.count() > 1


@pytest.mark.django_db
def test_paper_listed_on_two_days_keeps_the_first_day_and_the_highest_counts(corpus):
    p = paper("2604.07429")  # 2026-04-10 (2 upvotes, taesiri) and 2026-04-16 (42 upvotes, yyyang)

    assert p.daily.date == dt.date(2026, 4, 10)
    assert p.daily.submitted_at == dt.datetime(2026, 4, 10, 0, 58, 14, 251000, tzinfo=UTC)
    assert p.daily.submitter_name == "taesiri"
    assert (p.imported_upvotes, p.imported_comments, p.github_stars) == (42, 3, 2)
    assert p.daily.media_urls == [
        "https://cdn-uploads.huggingface.co/production/uploads/634e2217c1ce28f1de921708/Mg5z2DYIBpPkI8AdTfheh.mp4"
    ], "the first day had none: the later listing fills the blank"


@pytest.mark.django_db
def test_paper_listed_on_two_days_ends_the_same_in_either_import_order(corpus):
    early, late = corpus.raw_dir / "2026-04-10.json", corpus.raw_dir / "2026-04-16.json"
    stored = paper("2604.07429")
    expected = (
        stored.daily.date,
        stored.daily.submitted_at,
        stored.daily.submitter_name,
        stored.imported_upvotes,
    )
    Paper.objects.filter(arxiv_id="2604.07429").delete()

    import_records(r for path in (late, early) for r in hf.records_from_file(path))

    again = paper("2604.07429")
    assert (
        again.daily.date,
        again.daily.submitted_at,
        again.daily.submitter_name,
        again.imported_upvotes,
    ) == expected


@pytest.mark.django_db
def test_every_stored_link_is_http(corpus):
    for field in ("github_repo", "project_page", "thumbnail_url"):
        values = Paper.objects.exclude(**{field: ""}).values_list(field, flat=True)
        assert values, field
        assert all(v.startswith(("https://", "http://")) for v in values), field
    assert Paper.objects.exclude(github_repo="").count() > 2500


@pytest.mark.django_db
def test_second_import_of_the_raw_folder_creates_and_updates_nothing(corpus):
    # The records the first run read (re-parsing would only add time; the dump test below shows
    # that parsing again yields equal records).
    stats = import_records(corpus.items)

    assert (stats.read, stats.created, stats.updated, stats.skipped) == (9126, 0, 0, 0)


@pytest.mark.django_db
def test_jsonl_dump_carries_the_same_records_and_changes_nothing(corpus, shared_data):
    dump = shared_data / "hf_daily_papers" / "daily_papers.jsonl.gz"
    from_dump: list[PaperRecord | Skipped] = []

    stats = import_records(_keep(hf.records_from_file(dump), from_dump))

    assert (stats.read, stats.created, stats.updated, stats.skipped) == (9126, 0, 0, 0)
    assert [replace(r, origin="") for r in from_dump] == [
        replace(r, origin="") for r in corpus.items
    ]


# --- hostile and broken inputs ------------------------------------------------------------------


def hf_item(arxiv_id: str = "1901.00001", **paper_fields) -> dict:
    """A daily-papers item in the current API shape; ``paper_fields`` override the paper's keys."""
    fields = {
        "id": arxiv_id,
        "authors": [{"_id": "a1", "name": "Ada  Lovelace", "hidden": False}],
        "publishedAt": "2019-01-02T10:00:00.000Z",
        "submittedOnDailyAt": "2019-01-05T09:00:00.000Z",
        "title": f"Title of {arxiv_id}",
        "summary": "An abstract.",
        "upvotes": 3,
    }
    fields.update(paper_fields)
    return {"paper": fields, "title": fields.get("title"), "numComments": 1}


def write(path: Path, payload) -> Path:
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload), encoding="utf-8")
    return path


def read(*paths: Path) -> list[PaperRecord | Skipped]:
    return [r for path in hf.iter_files(list(paths)) for r in hf.records_from_file(path)]


def skips(items) -> dict[str, str]:
    return {s.origin: s.reason for s in items if isinstance(s, Skipped)}


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ('[{"paper": {"id": "1901.00001", "tit', "not JSON"),
        ('{"unexpected": 1}', "a JSON object without a 'data' list"),
        ('{"error": "Invalid date"}', "upstream error: Invalid date"),
        ("42", "expected a list of items, got int"),
        ("null", "expected a list of items, got NoneType"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('[{"paper": {"id": "1901.00001", "upvotes": 1' + "0" * 5000 + "}}]", "not JSON"),
    ],
    ids=["truncated", "object", "error", "number", "null", "deep", "huge-int"],
)
def test_unreadable_payload_is_reported_with_its_file_and_reason(tmp_path, payload, reason):
    path = write(tmp_path / "2025-03-14.json", payload)

    items = read(path)

    assert len(items) == 1
    assert items[0].origin == str(path)
    assert reason in items[0].reason


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ({"paper": {"title": "no id"}}, "not an arXiv id: ''"),
        (hf_item("not-an-id"), "not an arXiv id: 'not-an-id'"),
        (hf_item(2405.15738), "not an arXiv id: ''"),
        (hf_item("1901.00001" + "9" * 1_000_000), "not an arXiv id"),
        (hf_item(title=""), "1901.00001: no title"),
        (hf_item(title="A" * 2_000_000), "title is 2,000,000 characters long (more than 1,000)"),
        (hf_item(summary="w" * 5_000_000), "summary is 5,000,000 characters long"),
        (hf_item(authors=5), "1901.00001: authors is a int, not a list"),
        (["a", "list"], "item is a list, not an object"),
        (17, "item is a int, not an object"),
        ("{'paper': {'id': '1901.00001', 'title': 'Trunc", "unreadable Python-repr item"),
        ("__import__('os').system('echo owned')", "unreadable Python-repr item"),
        ("(" * 100_000, "unreadable Python-repr item"),
    ],
    ids=[
        "missing-id",
        "bad-id",
        "numeric-id",
        "huge-id",
        "no-title",
        "huge-title",
        "huge-summary",
        "authors-not-list",
        "list",
        "number",
        "truncated-repr",
        "code-repr",
        "deep-repr",
    ],
)
def test_bad_item_is_skipped_with_its_index_and_the_rest_of_the_file_is_read(
    tmp_path, item, reason
):
    path = write(tmp_path / "2025-03-14.json", [hf_item("1901.00001"), item, hf_item("1901.00003")])

    items = read(path)

    assert [r.arxiv_id for r in items if isinstance(r, PaperRecord)] == ["1901.00001", "1901.00003"]
    assert list(skips(items)) == [f"{path}[1]"]
    assert reason in skips(items)[f"{path}[1]"]


def test_python_repr_item_is_read_as_a_literal_and_never_executed(tmp_path):
    marker = tmp_path / "executed"
    code = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    good = repr(
        {
            "paper": {
                "id": "1901.00002",
                "title": "T",
                "authors": [],
                "upvotes": 1,
                "x": None,
                "y": True,
            }
        }
    )
    path = write(tmp_path / "2024-12-20.json", [code, good])

    items = read(path)

    assert not marker.exists()
    assert [r.arxiv_id for r in items if isinstance(r, PaperRecord)] == ["1901.00002"]
    assert items[1].daily.date == dt.date(2024, 12, 20), "no submittedOnDailyAt: the file's date"


@pytest.mark.django_db
def test_javascript_and_other_non_http_links_are_never_stored(tmp_path):
    item = hf_item(
        "1901.00010",
        githubRepo="javascript:alert(document.cookie)",
        projectPage="  JavaScript:alert(1)",
        mediaUrls=[
            "javascript:alert(2)",
            "data:text/html,<script>alert(3)</script>",
            "https://cdn.example.org/ok.mp4",
        ],
        submittedOnDailyBy={"user": "x", "avatarUrl": "javascript:alert(4)"},
        organization={"name": "Evil-Org", "avatar": "javascript:alert(5)"},
    )
    item["thumbnail"] = "vbscript:msgbox(6)"
    path = write(tmp_path / "2025-03-14.json", [item])

    stats = import_records(read(path))

    p = paper("1901.00010")
    assert stats.created == 1
    assert (p.github_repo, p.project_page, p.thumbnail_url) == ("", "", "")
    assert p.daily.media_urls == ["https://cdn.example.org/ok.mp4"]
    assert p.daily.submitter_avatar_url == ""
    assert p.organization.avatar_url == ""


def test_absurd_counts_are_treated_as_unknown(tmp_path):
    items = [
        hf_item("1901.00020", upvotes=10**30, githubStars=float("inf")),
        hf_item("1901.00021", upvotes=float("nan"), githubStars=-4),
        hf_item("1901.00022", upvotes=True, githubStars="12"),
        hf_item("1901.00023", upvotes=12.0, githubStars=7),
    ]
    path = tmp_path / "2025-03-14.json"
    path.write_text(json.dumps(items, allow_nan=True), encoding="utf-8")

    records = read(path)

    assert [(r.upvotes, r.github_stars) for r in records] == [
        (None, None),
        (None, 0),
        (None, None),
        (12, 7),
    ]


def test_schema_drift_and_odd_values_are_read_leniently(tmp_path):
    item = hf_item(
        "1901.00030v3",
        authors=[
            {"name": "  Grace\n Hopper "},
            {"name": ""},
            "not a dict",
            {"name": "Nul\x00 Byte", "hidden": "false"},
        ],
        ai_keywords=["ok", 5, "", "  spaced   out  "],
        submittedOnDailyAt="yesterday",
        title="Broken\n   line\x00 title",
    )
    item["mediaUrl"] = "https://cdn.example.org/legacy.png"
    item["submittedBy"] = {"name": "someone", "fullname": "Some One", "avatarUrl": "/avatars/s.svg"}
    path = write(tmp_path / "2024-06-01.json", [item])

    (record,) = read(path)

    assert (record.arxiv_id, record.version, record.title) == ("1901.00030", 3, "Broken line title")
    assert [(a.name, a.hidden) for a in record.authors] == [
        ("Grace Hopper", False),
        ("Nul Byte", False),
    ]
    assert record.ai_keywords == ["ok", "spaced out"]
    assert (record.daily.date, record.daily.submitted_at) == (dt.date(2024, 6, 1), None)
    assert record.daily.media_urls == ["https://cdn.example.org/legacy.png"]
    assert record.thumbnail_url == "https://cdn.example.org/legacy.png"
    assert (record.daily.submitter_name, record.daily.submitter_avatar_url) == (
        "someone",
        "https://huggingface.co/avatars/s.svg",
    )


def test_file_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "2025-03-14.json"
    path.write_text("\ufeff" + json.dumps([hf_item("1901.00045")]), encoding="utf-8")

    assert [r.arxiv_id for r in read(path)] == ["1901.00045"]


def test_file_without_a_date_and_items_without_submission_time_give_no_daily_entry(tmp_path):
    path = write(tmp_path / "export.json", [hf_item("1901.00040", submittedOnDailyAt=None)])

    (record,) = read(path)

    assert record.daily is None


@pytest.mark.django_db
def test_broken_file_in_a_folder_is_reported_and_the_other_files_import(tmp_path):
    write(tmp_path / "2025-03-13.json", [hf_item("1901.00050"), hf_item("1901.00051")])
    write(tmp_path / "2025-03-14.json", '[{"paper": {"id": "1901.00052"')
    write(tmp_path / "2025-03-15.json", [hf_item("1901.00053"), {"paper": {"id": "bad"}}])
    (tmp_path / "notes.txt").write_text("not an export")

    stats = import_records(read(tmp_path, tmp_path / "2025-03-16.json"))

    assert (stats.read, stats.created, stats.skipped) == (3, 3, 3)
    assert {s.origin for s in stats.problems} == {
        str(tmp_path / "2025-03-14.json"),
        f"{tmp_path / '2025-03-15.json'}[1]",
        str(tmp_path / "2025-03-16.json"),
    }
    assert "no such file" in skips(stats.problems)[str(tmp_path / "2025-03-16.json")]
    assert set(Paper.objects.values_list("arxiv_id", flat=True)) >= {
        "1901.00050",
        "1901.00051",
        "1901.00053",
    }


@pytest.mark.django_db
def test_broken_reimport_loses_nothing_already_stored(tmp_path):
    good = write(
        tmp_path / "2025-03-13.json", [hf_item("1901.00060", upvotes=9), hf_item("1901.00061")]
    )
    import_records(read(good))
    before = list(
        Paper.objects.filter(arxiv_id__startswith="1901.0006").order_by("arxiv_id").values()
    )
    write(good, '[{"paper": {"id": "1901.00060", "upvotes": 1')  # the same file, now truncated

    stats = import_records(read(good))

    assert (stats.read, stats.skipped) == (0, 1)
    assert (
        list(Paper.objects.filter(arxiv_id__startswith="1901.0006").order_by("arxiv_id").values())
        == before
    )


@pytest.mark.django_db
def test_record_the_database_rejects_is_reported_with_its_file_and_index(tmp_path):
    path = write(tmp_path / "2025-03-14.json", [hf_item(f"1901.0007{i}") for i in range(3)])
    records = read(path)
    records[1].github_stars = -1  # what no parser yields: a value the column's CHECK refuses

    stats = import_records(records, batch_size=100)

    assert (stats.read, stats.created, stats.skipped) == (3, 2, 1)
    assert stats.problems[0].origin == f"{path}[1]"
    assert "could not be stored" in stats.problems[0].reason
    assert not Paper.objects.filter(arxiv_id="1901.00071").exists()


def test_jsonl_bad_lines_are_reported_by_line_number(tmp_path):
    path = tmp_path / "dump.jsonl"
    lines = [
        json.dumps({**hf_item("1901.00080"), "_file_date": "2025-03-01"}),
        "",
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({**hf_item("1901.00081", submittedOnDailyAt=None), "_file_date": "2025-13-45"}),
        json.dumps({**hf_item("1901.00082", submittedOnDailyAt=None), "_file_date": "2025-03-02"}),
        "[" * 100_000,
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    items = read(path)

    assert [r.arxiv_id for r in items if isinstance(r, PaperRecord)] == ["1901.00080", "1901.00082"]
    assert items[-2].daily.date == dt.date(2025, 3, 2)
    assert set(skips(items)) == {f"{path}:3", f"{path}:4", f"{path}:5", f"{path}:7"}
    assert "not an object" in skips(items)[f"{path}:4"]


def test_truncated_gzip_dump_keeps_what_was_read_and_reports_the_rest(tmp_path):
    path = tmp_path / "dump.jsonl.gz"
    body = "".join(
        json.dumps({**hf_item(f"1901.{90000 + i}"), "_file_date": "2025-03-01"}) + "\n"
        for i in range(200)
    )
    whole = gzip.compress(body.encode())
    path.write_bytes(whole[: len(whole) * 2 // 3])

    items = read(path)

    records = [r for r in items if isinstance(r, PaperRecord)]
    assert 0 < len(records) < 200
    assert isinstance(items[-1], Skipped)
    assert "unreadable from here on" in items[-1].reason
    assert items[-1].origin.startswith(f"{path}:")
