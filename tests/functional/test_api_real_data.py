"""Real Hugging Face captures in, our ``/api/daily_papers`` out: the same papers, fields and order.

Five real days are imported through the real ingest path, one per historical schema (Python-repr
items, the wrapped ``{status, data}`` file, the pre-``submittedBy`` list, the 2025 list, and the
newest schema with organizations). Upvotes are the snapshot in each file, so the numbers must
match exactly. Hugging Face serves a day ranked by upvotes; its order among equal upvotes is its
own, ours breaks ties on the newer arXiv id, so order is compared as the upvote sequence.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from dailypapers.ingest.pipeline import import_records
from dailypapers.ingest.records import clean_abstract, clean_text
from dailypapers.ingest.sources.hf import records_from_file

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]

DAYS = ["2024-12-11", "2025-01-10", "2025-03-14", "2025-09-02", "2026-06-30"]
NEWEST_SCHEMA_DAY = "2026-06-30"
# Hugging Face fields we do not store, so never serve.
NOT_STORED = {"githubRepoAddedBy", "ai_summary_model"}


def raw_items(path: Path) -> list[dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data = data["data"]
    return [ast.literal_eval(item) if isinstance(item, str) else item for item in data]


@pytest.fixture
def real_days(shared_data) -> dict[str, list[dict]]:
    folder = shared_data / "hf_daily_papers" / "raw"
    paths = [folder / f"{day}.json" for day in DAYS]
    for path in paths:
        stats = import_records(records_from_file(path))
        assert stats.skipped == 0, stats.problems
    return {day: raw_items(path) for day, path in zip(DAYS, paths, strict=True)}


def served(client, day: str) -> list[dict]:
    response = client.get("/api/daily_papers", {"date": day, "limit": 100})
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("day", DAYS)
def test_a_real_day_serves_the_same_papers_and_fields_as_hugging_face(client, real_days, day):
    raw = real_days[day]

    ours = served(client, day)

    assert sorted(i["paper"]["id"] for i in ours) == sorted(i["paper"]["id"] for i in raw)
    assert [i["paper"]["upvotes"] for i in ours] == [i["paper"]["upvotes"] for i in raw]
    by_id = {i["paper"]["id"]: i for i in ours}
    for theirs in raw:
        mine = by_id[theirs["paper"]["id"]]
        paper, their_paper = mine["paper"], theirs["paper"]
        # Titles, names and abstracts are stored with arXiv's hard line wraps unfolded.
        assert paper["title"] == clean_text(their_paper["title"])
        assert mine["title"] == paper["title"]
        assert paper["summary"] == clean_abstract(their_paper["summary"])
        assert [a["name"] for a in paper["authors"]] == [
            clean_text(a["name"]) for a in their_paper["authors"]
        ]
        assert [a["hidden"] for a in paper["authors"]] == [
            a["hidden"] for a in their_paper["authors"]
        ]
        assert paper["publishedAt"] == their_paper["publishedAt"]
        assert mine["numComments"] == theirs["numComments"]
        assert mine.get("thumbnail") == theirs.get("thumbnail")
        for key in ("discussionId", "githubRepo", "projectPage", "ai_keywords", "githubStars"):
            assert paper.get(key) == their_paper.get(key), key
        if "submittedOnDailyAt" in their_paper:
            assert paper["submittedOnDailyAt"] == their_paper["submittedOnDailyAt"]
        if "submittedBy" in theirs:
            assert mine["submittedBy"]["name"] == theirs["submittedBy"]["name"]
            assert mine["submittedBy"]["fullname"] == theirs["submittedBy"]["fullname"]
        if "organization" in theirs:
            assert mine["organization"]["name"] == theirs["organization"]["name"]
            assert mine["organization"]["_id"] == theirs["organization"]["_id"]


def test_newest_schema_day_has_exactly_hugging_faces_keys_where_they_are_present(client, real_days):
    raw = {i["paper"]["id"]: i for i in real_days[NEWEST_SCHEMA_DAY]}

    ours = served(client, NEWEST_SCHEMA_DAY)

    for mine in ours:
        theirs = raw[mine["paper"]["id"]]
        # Same optional keys present and absent (githubRepo, organization, mediaUrls, ...).
        assert set(mine) == set(theirs)
        assert set(mine["paper"]) == set(theirs["paper"]) - NOT_STORED
        assert set(mine["submittedBy"]) <= set(theirs["submittedBy"])
        assert set(mine["paper"]["submittedOnDailyBy"]) <= set(
            theirs["paper"]["submittedOnDailyBy"]
        )
        assert set(mine.get("organization", {})) == set(theirs.get("organization", {}))
        assert mine.get("mediaUrls") == theirs.get("mediaUrls")
        assert mine["paper"].get("mediaUrls") == theirs["paper"].get("mediaUrls")
        assert mine["paper"].get("ai_summary") == (
            clean_text(theirs["paper"].get("ai_summary")) or None
        )
        for author in mine["paper"]["authors"]:
            assert set(author) == {"_id", "name", "hidden"}
