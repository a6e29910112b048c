"""arXiv OAI-PMH: parsing ``arXiv`` and ``oai_dc`` records, errors and deletions, and the resumable,
incremental harvester against a local server serving the recorded pages (page 2 is made from the
recorded page 1, since only one page with a token was recorded).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dailypapers.ingest.http import PoliteClient
from dailypapers.ingest.pipeline import import_records
from dailypapers.ingest.records import PaperRecord
from dailypapers.ingest.sources.oai_pmh import (
    HarvestConflict,
    OaiError,
    OaiHarvester,
    parse_response,
    records_from_file,
)
from dailypapers.papers.models import HarvestState, Paper
from tests.conftest import Exchange

DC_PAGE = "arxiv_oai_dc_ListRecords_cs_2024-01-25_with_resumptionToken.xml"
TOKEN = "6960524|1001"
PAGE_ONE_IDS = ["1303.2033", "2401.14034", "2401.14036", "2401.14038", "2401.14040"]
PAGE_TWO_IDS = ["2401.15034", "2401.15036", "2401.15038", "2401.15040"]


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")


@pytest.fixture
def oai_dir(shared_data) -> Path:
    return shared_data / "arxiv" / "oai_pmh"


@pytest.fixture
def page_one(oai_dir) -> bytes:
    return (oai_dir / DC_PAGE).read_bytes()


@pytest.fixture
def page_two(page_one) -> bytes:
    """The last page: the recorded page without its first record, other ids, an empty token."""
    text = page_one.decode()
    first = text.index("<record>")
    second = text.index("<record>", first + 1)
    text = text[:first] + text[second:]
    text = text.replace("2401.140", "2401.150")
    text = text.replace(
        f'<resumptionToken cursor="0" completeListSize="1162">{TOKEN}</resumptionToken>',
        '<resumptionToken cursor="1001" completeListSize="1162"/>',
    )
    assert TOKEN not in text and "1303.2033" not in text
    return text.encode()


def oai_error(code: str, message: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        "<responseDate>2024-02-01T10:00:00Z</responseDate>"
        '<request verb="ListRecords">http://export.arxiv.org/oai2</request>'
        f'<error code="{code}">{message}</error></OAI-PMH>'
    ).encode()


class OaiServer:
    """Answers by query: ``pages[frozenset(query.items())] = [Exchange, ...]`` (the last repeats)."""

    def __init__(self, upstream_server):
        self.pages: dict[frozenset, list[Exchange]] = {}
        self.server = upstream_server(self.route)
        self.url = f"{self.server.url}/oai"

    def route(self, path: str, query: dict[str, str]) -> Exchange | None:
        answers = self.pages.get(frozenset(query.items()))
        if path != "/oai" or not answers:
            return None
        return answers.pop(0) if len(answers) > 1 else answers[0]

    def answer(self, query: dict[str, str], *bodies: bytes | Exchange) -> None:
        self.pages[frozenset(query.items())] = [
            b if isinstance(b, Exchange) else Exchange(200, b, "text/xml; charset=utf-8")
            for b in bodies
        ]

    @property
    def requests(self) -> list[dict[str, str]]:
        return [query for _, query in self.server.requests]


FIRST_QUERY = {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-01-25", "set": "cs"}
RESUME_QUERY = {"verb": "ListRecords", "resumptionToken": TOKEN}


@pytest.fixture
def oai_server(upstream_server) -> OaiServer:
    return OaiServer(upstream_server)


def harvester(server: OaiServer, prefix: str = "oai_dc", retries: int = 1) -> OaiHarvester:
    return OaiHarvester(
        base_url=server.url,
        metadata_prefix=prefix,
        set_spec="cs",
        client=PoliteClient(delay=0, retries=retries),
    )


def stored_ids() -> list[str]:
    return sorted(Paper.objects.values_list("arxiv_id", flat=True))


# --- parsing ----------------------------------------------------------------------------------


def test_arxiv_format_record_yields_every_field(oai_dir):
    page = parse_response(
        (oai_dir / "hepcrawl_arxiv-physics-hep-th_metadataPrefix-arXiv.xml").read_bytes(), "f"
    )

    first, second, third = page.items
    assert first.source == "oai"
    assert (first.arxiv_id, first.version) == ("1412.8323", None)
    assert first.title == (
        "Toolbox for reconstructing quantum theory from rules on information acquisition"
    )
    assert [a.name for a in first.authors] == ["Philipp A Hoehn"]
    assert first.categories == [
        "quant-ph",
        "gr-qc",
        "hep-th",
        "math-ph",
        "math.MP",
        "physics.hist-ph",
    ]
    assert first.published_at == dt.datetime(2014, 12, 29, tzinfo=dt.UTC)
    assert first.updated_at == dt.datetime(2017, 12, 13, tzinfo=dt.UTC)
    assert first.license == "http://creativecommons.org/licenses/by/4.0/"
    assert first.comment.startswith(
        "78 pages, many figures, graphs and references. Version accepted for publication"
    )
    assert first.abstract.startswith("We develop an operational approach")
    assert [a.name for a in second.authors] == ["Luis B. Castro", "Edilberto O. Silva"]
    assert second.journal_ref == "J. Phys. A: Math. Theor. 51 (2018) 035201"
    assert second.doi == "10.1088/1751-8121/aa9c53"
    assert third.comment is None and third.doi == "10.1002/andp.201700188"
    assert page.resumption_token == ""
    assert page.response_date == dt.date(2017, 12, 14)


def test_get_record_response_is_read(oai_dir):
    (record,) = list(records_from_file(oai_dir / "hepcrawl_arxiv-single_metadataPrefix-arXiv.xml"))

    assert record.arxiv_id == "1401.2122"
    assert record.categories[0] == "math.AP"
    assert [a.name for a in record.authors] == ["A. Sergyeyev"]


def test_oai_dc_record_turns_creators_into_bylines_and_reads_the_comment(page_one):
    page = parse_response(page_one, "p1")

    assert [r.arxiv_id for r in page.items] == PAGE_ONE_IDS
    first = page.items[0]
    assert [a.name for a in first.authors] == ["Vilnis Liepins"]
    assert first.comment == "32 pages, 9 figures"
    assert first.abstract.startswith("This summary of the doctoral thesis")
    assert first.published_at == dt.datetime(2013, 3, 8, tzinfo=dt.UTC)
    assert first.updated_at == dt.datetime(2024, 1, 23, tzinfo=dt.UTC)
    # Dublin Core subjects are names without a primary marker: no guessed categories.
    assert first.categories is None
    assert [a.name for a in page.items[1].authors][:2] == ["Chuankun Li", "Shuai Li"]
    assert (page.resumption_token, page.complete_list_size) == (TOKEN, 1162)
    assert page.response_date == dt.date(2024, 1, 27)


def test_deleted_record_is_skipped_with_its_identifier(page_one):
    text = page_one.decode()
    start = text.index("<record>", text.index("<record>") + 1)
    end = text.index("</record>", start)
    deleted = (
        '<record><header status="deleted"><identifier>oai:arXiv.org:2401.14034</identifier>'
        "<datestamp>2024-01-26</datestamp></header>"
    )
    text = text[:start] + deleted + text[end:]

    page = parse_response(text.encode(), "p1")

    assert [type(i).__name__ for i in page.items] == [
        "PaperRecord",
        "Skipped",
        "PaperRecord",
        "PaperRecord",
        "PaperRecord",
    ]
    assert page.items[1].origin == "p1#oai:arXiv.org:2401.14034"
    assert "deleted upstream" in page.items[1].reason


def test_no_records_match_is_an_empty_page():
    page = parse_response(oai_error("noRecordsMatch", "no records"), "x")

    assert (page.items, page.resumption_token) == ([], "")


def test_other_oai_errors_raise_with_their_code():
    with pytest.raises(OaiError, match="OAI-PMH error badResumptionToken: expired") as caught:
        parse_response(oai_error("badResumptionToken", "expired"), "x")

    assert caught.value.code == "badResumptionToken"


def test_record_with_a_bad_id_is_skipped_and_the_page_goes_on(page_one):
    text = page_one.decode().replace("oai:arXiv.org:2401.14036", "oai:arXiv.org:not-an-id", 1)

    items = parse_response(text.encode(), "p1").items

    assert [type(i).__name__ for i in items].count("Skipped") == 1
    assert "not an arXiv id" in items[2].reason
    assert items[2].origin == "p1#oai:arXiv.org:not-an-id"


def test_unreadable_response_raises_a_clear_error():
    with pytest.raises(OaiError, match="not a readable OAI-PMH response"):
        parse_response(b"<html>oops", "x")


# --- harvesting -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_interrupted_harvest_resumes_from_the_stored_token_and_imports_each_record_once(
    oai_server, page_one, page_two
):
    oai_server.answer(FIRST_QUERY, page_one)
    oai_server.answer(RESUME_QUERY, Exchange(500, b"down", "text/plain"))

    first = harvester(oai_server).harvest(from_date=dt.date(2024, 1, 25))

    state = HarvestState.objects.get(key=f"{oai_server.url}|oai_dc|cs")
    assert first.error and "HTTP 500" in first.error and "rerun to resume" in first.error
    assert (first.finished, first.pages, first.stats.created) == (False, 1, 5)
    assert (state.resumption_token, state.pages_done, state.from_date) == (
        TOKEN,
        1,
        dt.date(2024, 1, 25),
    )
    assert stored_ids() == PAGE_ONE_IDS

    oai_server.answer(RESUME_QUERY, page_two)
    second = harvester(oai_server).harvest()

    assert oai_server.requests[-1] == RESUME_QUERY  # it went on with the token, not from scratch
    assert oai_server.requests.count(FIRST_QUERY) == 1
    assert second.resumed and second.finished and second.error is None
    assert (second.stats.read, second.stats.created, second.stats.updated) == (4, 4, 0)
    assert stored_ids() == sorted(PAGE_ONE_IDS + PAGE_TWO_IDS)
    state.refresh_from_db()
    assert state.resumption_token == ""
    # The harvest began on the upstream's day of page 1: the next run asks from that day.
    assert state.last_completed == dt.date(2024, 1, 27)
    assert state.harvest_started is None


@pytest.mark.django_db
def test_finished_harvest_makes_the_next_run_incremental(oai_server, page_one, page_two):
    oai_server.answer(FIRST_QUERY, page_one)
    oai_server.answer(RESUME_QUERY, page_two)
    incremental = {
        "verb": "ListRecords",
        "metadataPrefix": "oai_dc",
        "from": "2024-01-27",
        "set": "cs",
    }
    oai_server.answer(incremental, oai_error("noRecordsMatch", "nothing new"))
    harvester(oai_server).harvest(from_date=dt.date(2024, 1, 25))

    again = harvester(oai_server).harvest()

    assert oai_server.requests[-1] == incremental
    assert again.finished and again.error is None
    assert (again.stats.read, again.stats.created) == (0, 0)
    assert len(stored_ids()) == 9


@pytest.mark.django_db
def test_harvest_state_is_saved_with_each_page(oai_server, page_one):
    oai_server.answer(FIRST_QUERY, page_one)

    result = harvester(oai_server).harvest(from_date=dt.date(2024, 1, 25), max_pages=1)

    state = HarvestState.objects.get(key=result.state.key)
    assert (result.finished, result.error) == (False, None)
    assert (state.resumption_token, state.pages_done, state.records_seen) == (TOKEN, 1, 5)
    assert state.harvest_started == dt.date(2024, 1, 27)
    assert state.last_completed is None


@pytest.mark.django_db
def test_half_way_harvest_refuses_a_different_start_date(oai_server, page_one):
    oai_server.answer(FIRST_QUERY, page_one)
    harvester(oai_server).harvest(from_date=dt.date(2024, 1, 25), max_pages=1)

    with pytest.raises(HarvestConflict, match="half-way"):
        harvester(oai_server).harvest(from_date=dt.date(2024, 1, 1))


@pytest.mark.django_db
def test_rejected_token_stops_with_a_restart_hint_and_restart_begins_again(
    oai_server, page_one, page_two
):
    oai_server.answer(FIRST_QUERY, page_one)
    harvester(oai_server).harvest(from_date=dt.date(2024, 1, 25), max_pages=1)
    oai_server.answer(RESUME_QUERY, oai_error("badResumptionToken", "expired"))

    rejected = harvester(oai_server).harvest()

    assert "badResumptionToken" in rejected.error and "--restart" in rejected.error
    assert HarvestState.objects.get(key=rejected.state.key).resumption_token == TOKEN

    oai_server.answer(RESUME_QUERY, page_two)
    restarted = harvester(oai_server).harvest(restart=True)

    assert oai_server.requests[-2] == FIRST_QUERY  # from the stored start date, from scratch
    assert restarted.finished
    assert (restarted.stats.created, restarted.stats.unchanged) == (4, 5)


@pytest.mark.django_db
def test_deleted_records_are_reported_not_imported(oai_server, page_one):
    # The recorded file has CRLF line ends: match the header whatever the whitespace.
    text, count = re.subn(
        r"<header>(\s*<identifier>oai:arXiv.org:2401.14034<)",
        r'<header status="deleted">\1',
        page_one.decode(),
    )
    assert count == 1
    last_page = text.replace(f">{TOKEN}</resumptionToken>", "></resumptionToken>")
    oai_server.answer(FIRST_QUERY, last_page.encode())

    result = harvester(oai_server).harvest(from_date=dt.date(2024, 1, 25))

    assert result.finished
    assert result.stats.skipped == 1 and "deleted upstream" in result.stats.problems[0].reason
    assert "2401.14034" not in stored_ids()


@pytest.mark.django_db
def test_get_record_fetches_one_paper(oai_server, oai_dir):
    single = (oai_dir / "hepcrawl_arxiv-single_metadataPrefix-arXiv.xml").read_bytes()
    oai_server.answer(
        {"verb": "GetRecord", "identifier": "oai:arXiv.org:1401.2122", "metadataPrefix": "arXiv"},
        single,
    )

    items = harvester(oai_server, prefix="arXiv").get_record("1401.2122v5")
    stats = import_records(items)

    assert (stats.created, stats.skipped) == (1, 0)
    assert stored_ids() == ["1401.2122"]


@pytest.mark.django_db
def test_oai_and_arxiv_api_records_of_one_paper_merge(oai_dir):
    import_records(records_from_file(oai_dir / "hepcrawl_arxiv-single_metadataPrefix-arXiv.xml"))
    api = PaperRecord(
        source="arxiv", arxiv_id="1401.2122", version=5, title="New title (v5)", origin="api"
    )

    import_records([api])

    paper = Paper.objects.get(arxiv_id="1401.2122")
    assert (paper.version, paper.title, paper.sources) == (5, "New title (v5)", ["arxiv", "oai"])
    assert paper.categories[0] == "math.AP"  # kept: the API record did not say


# --- the command ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_command_harvest_fails_loudly_then_a_rerun_resumes(
    settings, oai_server, page_one, page_two, capsys
):
    settings.ARXIV_OAI_URL = oai_server.url
    settings.UPSTREAM_DELAY_SECONDS = 0
    settings.UPSTREAM_RETRIES = 1
    oai_server.answer(FIRST_QUERY, page_one)
    oai_server.answer(RESUME_QUERY, Exchange(503, b"busy", "text/plain"))

    with pytest.raises(CommandError, match=r"stopped after 1 pages: .*HTTP 503.*rerun to resume"):
        call_command("ingest", "oai", "--set", "cs", "--prefix", "oai_dc", "--from", "2024-01-25")
    oai_server.answer(RESUME_QUERY, page_two)
    call_command("ingest", "oai", "--set", "cs", "--prefix", "oai_dc")

    assert len(stored_ids()) == 9
    report = capsys.readouterr().err
    assert (
        "resumed a half-way harvest: finished after 1 pages; next run harvests from 2024-01-27"
        in report
    )


@pytest.mark.django_db
def test_command_reads_saved_responses(oai_dir, capsys):
    call_command("ingest", "oai", *sorted(str(p) for p in oai_dir.glob("*.xml")))

    assert len(stored_ids()) == 12
    assert "created 12" in capsys.readouterr().err


@pytest.mark.django_db
def test_command_reads_a_folder_of_saved_responses_like_the_other_sources(oai_dir, capsys):
    call_command("ingest", "oai", str(oai_dir))

    assert len(stored_ids()) == 12
    assert "created 12" in capsys.readouterr().err


def test_command_refuses_a_folder_without_saved_responses(tmp_path):
    (tmp_path / "notes.txt").write_text("not a response")

    with pytest.raises(CommandError, match=r"no \.xml files found"):
        call_command("ingest", "oai", str(tmp_path))


def test_command_help_explains_resuming(capsys):
    from dailypapers.ingest.management.commands.ingest import Command

    parser = Command().create_parser("dailypapers", "ingest")
    with pytest.raises(SystemExit):
        parser.parse_args(["oai", "--help"])

    text = " ".join(capsys.readouterr().out.split())
    for words in (
        "--from",
        "--until",
        "--set",
        "--prefix",
        "--restart",
        "--max-pages",
        "continues where it stopped",
    ):
        assert words in text
