"""The official ``huggingface_hub`` client against a real running server (pytest-django's
``live_server``): what it reads from our JSON must be what we hold."""

from __future__ import annotations

import datetime as dt
import os

# Set before huggingface_hub reads its environment at import time: no telemetry calls home.
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

import pytest  # noqa: E402
from huggingface_hub.errors import HfHubHTTPError  # noqa: E402

from dailypapers.ingest.pipeline import import_records  # noqa: E402
from dailypapers.ingest.records import AuthorRecord, DailyRecord, OrganizationRecord  # noqa: E402
from tests.factories import make_paper, paper_record  # noqa: E402

# live_server answers from another thread, so the data must really be committed.
pytestmark = pytest.mark.django_db(transaction=True)

UTC = dt.UTC


@pytest.fixture
def catalogue() -> None:
    """Three papers in the feed: two on 2025-03-14 (week 2025-W11), one on 2025-02-03."""
    full = paper_record(
        arxiv_id="2503.10001",
        title="A Paper With Everything",
        abstract="Abstract one.",
        upvotes=120,
        github_repo="https://github.com/example/everything",
        github_stars=77,
        project_page="https://example.org/everything",
        ai_summary="It has everything.",
        ai_keywords=["everything", "all"],
        num_comments=4,
    )
    full.authors = [
        AuthorRecord("Zoë Ångström"),
        AuthorRecord("Bob Builder"),
        AuthorRecord("Carol"),
    ]
    full.published_at = dt.datetime(2025, 3, 12, 17, 30, tzinfo=UTC)
    full.organization = OrganizationRecord(
        name="acme", fullname="Acme Research", avatar_url="https://example.org/a.png"
    )
    full.daily = DailyRecord(
        date=dt.date(2025, 3, 14),
        submitted_at=dt.datetime(2025, 3, 14, 8, 0, 1, 250000, tzinfo=UTC),
        submitter_name="alice",
        submitter_fullname="Alice Example",
        submitter_avatar_url="https://example.org/alice.png",
    )
    plain = paper_record(arxiv_id="2503.10002", title="A Plain Paper", upvotes=3, submitter="bob")
    older = paper_record(
        arxiv_id="2502.10003",
        title="An Older Paper",
        upvotes=9,
        submitter="alice",
        day=dt.date(2025, 2, 3),
    )
    import_records([full, plain, older])


def test_list_daily_papers_by_date_reads_every_field_we_hold(hub, catalogue):
    papers = list(hub.list_daily_papers(date="2025-03-14"))

    assert [p.id for p in papers] == ["2503.10001", "2503.10002"]
    paper = papers[0]
    assert paper.title == "A Paper With Everything"
    assert paper.summary == "Abstract one."
    assert [a.name for a in paper.authors] == ["Zoë Ångström", "Bob Builder", "Carol"]
    assert paper.upvotes == 120
    assert paper.comments == 4
    assert paper.published_at == dt.datetime(2025, 3, 12, 17, 30, tzinfo=UTC)
    assert paper.submitted_at == dt.datetime(2025, 3, 14, 8, 0, 1, 250000, tzinfo=UTC)
    assert paper.submitted_by.fullname == "Alice Example"
    assert paper.submitted_by.name == "alice"
    assert paper.submitted_by.avatar_url == "https://example.org/alice.png"
    assert paper.organization.name == "acme"
    assert paper.organization.fullname == "Acme Research"
    # The client reads these from the item's top level, where huggingface.co's daily items do not
    # carry them either; they are in the nested paper (checked through paper_info below).
    assert paper.github_repo is None and paper.ai_summary is None


def test_list_daily_papers_by_week_and_month(hub, catalogue):
    week = [p.id for p in hub.list_daily_papers(week="2025-W11")]
    february = [p.id for p in hub.list_daily_papers(month="2025-02")]
    march_newest = [p.id for p in hub.list_daily_papers(month="2025-03", sort="publishedAt")]

    assert week == ["2503.10001", "2503.10002"]
    assert february == ["2502.10003"]
    assert march_newest == ["2503.10002", "2503.10001"]  # same day: the newer arXiv id first


def test_list_daily_papers_by_submitter_pages_with_p_and_limit(hub, catalogue):
    first = [p.id for p in hub.list_daily_papers(submitter="alice", p=0, limit=1)]
    second = [p.id for p in hub.list_daily_papers(submitter="alice", p=1, limit=1)]
    third = [p.id for p in hub.list_daily_papers(submitter="alice", p=2, limit=1)]

    assert (first, second, third) == (["2503.10001"], ["2502.10003"], [])


def test_paper_info_reads_links_ai_fields_and_counts(hub, catalogue):
    paper = hub.paper_info("2503.10001")

    assert paper.id == "2503.10001"
    assert paper.title == "A Paper With Everything"
    assert [a.name for a in paper.authors] == ["Zoë Ångström", "Bob Builder", "Carol"]
    assert paper.upvotes == 120
    assert paper.comments == 4
    assert paper.github_repo == "https://github.com/example/everything"
    assert paper.github_stars == 77
    assert paper.project_page == "https://example.org/everything"
    assert paper.ai_summary == "It has everything."
    assert paper.ai_keywords == ["everything", "all"]
    assert paper.organization.name == "acme"
    assert paper.published_at == dt.datetime(2025, 3, 12, 17, 30, tzinfo=UTC)
    assert paper.submitted_by.username == "alice"
    assert paper.submitted_by.fullname == "Alice Example"


def test_paper_info_with_an_old_style_id(hub):
    make_paper(arxiv_id="hep-th/9901001", title="Strings, old style", day=None)

    paper = hub.paper_info("hep-th/9901001")

    assert paper.id == "hep-th/9901001"
    assert paper.title == "Strings, old style"


def test_paper_info_of_an_unknown_paper_raises_the_clients_404(hub):
    with pytest.raises(HfHubHTTPError) as raised:
        hub.paper_info("2503.99999")

    assert raised.value.response.status_code == 404
    assert "not found" in str(raised.value)


def test_a_bad_parameter_reaches_the_client_as_a_readable_error(hub):
    with pytest.raises(HfHubHTTPError) as raised:
        list(hub.list_daily_papers(date="2025-03-14", limit=500))

    assert raised.value.response.status_code == 400
    assert "limit" in str(raised.value)
