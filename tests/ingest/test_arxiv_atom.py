"""The arXiv search API source: parsing recorded feeds (current and 2016 formats), the error feed,
and the live client paging politely against a local server that replays the recorded exchanges.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dailypapers.ingest.http import PoliteClient
from dailypapers.ingest.pipeline import import_records
from dailypapers.ingest.records import PaperRecord, Skipped
from dailypapers.ingest.sources.arxiv_atom import (
    ArxivApiClient,
    ArxivApiError,
    parse_feed,
    records_from_file,
)
from dailypapers.ingest.sources.arxiv_xml import repair_mojibake
from dailypapers.papers.models import Paper
from tests.conftest import Exchange
from tests.factories import paper_record

ATOM_TYPE = "application/atom+xml; charset=UTF-8"


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    # rich wraps to 80 columns when not on a terminal; keep each report line whole for assertions.
    monkeypatch.setenv("COLUMNS", "1000")


@pytest.fixture
def atom_dir(shared_data) -> Path:
    return shared_data / "arxiv" / "atom_api"


@pytest.fixture
def recorded(atom_dir) -> dict[str, dict]:
    """The recorded exchanges by file stem: ``{url, status_code, body}``."""
    folder = atom_dir / "recorded_2026_new_format"
    return {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}


def body_of(recorded: dict[str, dict], prefix: str) -> str:
    (name,) = [n for n in recorded if n.startswith(prefix)]
    return recorded[name]["body"]


def query_key(query: dict[str, str]) -> frozenset:
    return frozenset(query.items())


class FakeTime:
    """A clock that only moves when slept on; records every requested pause."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


@pytest.fixture
def arxiv_server(upstream_server, recorded):
    """Replays the recorded exchanges, matched on the recorded URL's query; 404 otherwise.

    ``overrides[(key)] = [Exchange, ...]`` answers a query with those exchanges first (in order).
    """
    from urllib.parse import parse_qsl, urlsplit

    by_query = {
        query_key(dict(parse_qsl(urlsplit(x["url"]).query, keep_blank_values=True))): x
        for x in recorded.values()
    }
    overrides: dict[frozenset, list[Exchange]] = {}

    def route(path: str, query: dict[str, str]) -> Exchange | None:
        if path != "/api/query":
            return None
        key = query_key(query)
        if overrides.get(key):
            return overrides[key].pop(0) if len(overrides[key]) > 1 else overrides[key][0]
        exchange = by_query.get(key)
        if exchange is None:
            return None
        return Exchange(exchange["status_code"], exchange["body"].encode("utf-8"), ATOM_TYPE)

    server = upstream_server(route)
    server.overrides = overrides  # type: ignore[attr-defined]
    server.api_url = f"{server.url}/api/query"  # type: ignore[attr-defined]
    return server


def search_key(start: int, size: int, query: str = "testing") -> frozenset:
    return query_key(
        {
            "search_query": query,
            "id_list": "",
            "sortBy": "relevance",
            "sortOrder": "descending",
            "start": str(start),
            "max_results": str(size),
        }
    )


def entry_ids(body: str) -> list[str]:
    page = parse_feed(body, "test")
    return [r.arxiv_id for r in page.items if isinstance(r, PaperRecord)]


def edited_entry(recorded, prefix: str, old: str, new: str) -> str:
    body = body_of(recorded, prefix)
    assert old in body, f"the recorded feed no longer contains {old!r}"
    return body.replace(old, new)


# --- parsing ----------------------------------------------------------------------------------


def test_legacy_feed_entry_yields_every_field(atom_dir):
    (record,) = list(records_from_file(atom_dir / "legacy_2016_format" / "id_list=1111.2011v2.xml"))

    assert record.source == "arxiv"
    assert (record.arxiv_id, record.version) == ("1111.2011", 2)
    assert record.title == (
        "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    )
    assert record.abstract.startswith(
        "Theoretical description of anisotropic systems, such as layered superconductors"
    )
    assert "\n" not in record.abstract  # hard wraps undone
    assert [a.name for a in record.authors] == [
        "James M. Murray",
        "Adrian Del Maestro",
        "Zlatko Tesanovic",
    ]
    assert record.categories == ["cond-mat.str-el", "cond-mat.stat-mech"]
    assert record.published_at == dt.datetime(2011, 11, 8, 18, 48, 36, tzinfo=dt.UTC)
    assert record.updated_at == dt.datetime(2012, 4, 2, 12, 38, 54, tzinfo=dt.UTC)
    assert record.comment == "8 pages, 3 figures. Published version"
    assert record.journal_ref == "Phys. Rev. B 85, 115117 (2012)"
    assert record.doi == "10.1103/PhysRevB.85.115117"
    assert record.withdrawn is False


def test_current_feed_old_style_id_keeps_archive_and_version(recorded):
    (astro,) = parse_feed(body_of(recorded, "id_astro-ph_0601001"), "t").items
    (quant,) = parse_feed(body_of(recorded, "id_quant-ph_0201082v1"), "t").items

    assert (astro.arxiv_id, astro.version) == ("astro-ph/0601001", 1)
    assert astro.journal_ref == "ActaAstron.56:1-50,2006"
    assert [a.name for a in astro.authors] == [
        "Andrew Gould",
        "Susan Dorsher",
        "B. Scott Gaudi",
        "Andrzej Udalski",
    ]
    assert (quant.arxiv_id, quant.version) == ("quant-ph/0201082", 1)
    assert quant.categories == ["quant-ph", "cs.PL"]


def test_primary_category_comes_first_even_when_listed_last(recorded):
    body = edited_entry(
        recorded,
        "id_quant-ph_0201082v1",
        '<arxiv:primary_category term="quant-ph"/>',
        '<arxiv:primary_category term="cs.PL"/>',
    )

    (record,) = parse_feed(body, "t").items

    assert record.categories == ["cs.PL", "quant-ph"]


def test_title_of_a_single_digit_is_kept(recorded):
    (record,) = parse_feed(body_of(recorded, "id_2104.12255v1"), "t").items

    assert (record.arxiv_id, record.version, record.title) == ("2104.12255", 1, "0")


def test_withdrawal_comment_marks_the_record_withdrawn(recorded):
    body = edited_entry(
        recorded,
        "id_1605.08386",
        "<arxiv:comment>20 pages, 3 figures</arxiv:comment>",
        "<arxiv:comment>This paper has been withdrawn by the author due to an error</arxiv:comment>",
    )

    (record,) = parse_feed(body, "t").items

    assert record.withdrawn is True


def test_licence_is_read_when_the_feed_has_one(recorded):
    body = edited_entry(
        recorded,
        "id_1605.08386",
        "<arxiv:comment>",
        "<arxiv:license>http://creativecommons.org/licenses/by/4.0/</arxiv:license><arxiv:comment>",
    )

    (record,) = parse_feed(body, "t").items

    assert record.license == "http://creativecommons.org/licenses/by/4.0/"


def test_empty_result_is_an_empty_page_not_an_error(recorded):
    page = parse_feed(body_of(recorded, "id_0000.0000"), "t")

    assert (page.total_results, page.start_index, page.items) == (0, 0, [])


def test_opensearch_counters_are_read_for_pagination(recorded):
    page = parse_feed(body_of(recorded, "q_testing_s10_m10"), "t")

    assert (page.total_results, page.start_index, page.items_per_page) == (214881, 10, 10)
    assert len(page.items) == 10


def test_error_feed_raises_arxivs_message(recorded):
    with pytest.raises(ArxivApiError, match=r"arXiv API error: incorrect id format for abc"):
        parse_feed(body_of(recorded, "id_abc"), "t")


@pytest.mark.django_db
def test_error_feed_file_is_reported_and_never_stored_as_a_paper(atom_dir):
    path = atom_dir / "recorded_2026_new_format" / "id_abc_s0_m100_b79c8dcf6bc3.json"

    stats = import_records(records_from_file(path))

    assert (stats.read, stats.skipped) == (0, 1)
    assert "incorrect id format for abc" in stats.problems[0].reason
    assert stats.problems[0].origin == str(path)
    assert Paper.objects.count() == 0


def test_entry_without_title_is_skipped_and_the_rest_of_the_page_kept(recorded):
    body = body_of(recorded, "q_testing_s0_m10_")
    first_title_start = body.index("<title>", body.index("<entry>"))
    first_title_end = body.index("</title>", first_title_start) + len("</title>")
    body = body[:first_title_start] + "<title>  </title>" + body[first_title_end:]

    items = parse_feed(body, "feed").items

    assert isinstance(items[0], Skipped) and "no title" in items[0].reason
    assert items[0].origin == "feed#entry1"
    assert sum(isinstance(i, PaperRecord) for i in items) == 9


def test_every_recorded_entry_in_both_formats_parses(atom_dir):
    files = sorted((atom_dir / "recorded_2026_new_format").glob("*.json"))
    files += sorted((atom_dir / "legacy_2016_format").glob("*.xml"))

    items = [item for path in files for item in records_from_file(path)]

    skipped = [i for i in items if isinstance(i, Skipped)]
    assert [Path(s.origin).name for s in skipped] == ["id_abc_s0_m100_b79c8dcf6bc3.json"]
    records = [i for i in items if isinstance(i, PaperRecord)]
    assert len(records) == 245
    assert all(r.title and r.authors and r.categories and r.published_at for r in records)


def test_double_encoded_names_are_repaired_and_real_accents_left_alone(recorded):
    (record,) = parse_feed(body_of(recorded, "id_1707.08567"), "t").items

    assert "Dirk Wübben" in [a.name for a in record.authors]
    assert repair_mojibake("Müller") == "Müller"
    assert repair_mojibake("José Ramírez") == "José Ramírez"


def test_unreadable_xml_raises_a_clear_error():
    with pytest.raises(ArxivApiError, match="not a readable Atom feed"):
        parse_feed(b"<feed><entry>", "somewhere")


def test_entity_expansion_bomb_is_refused():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>&lol2;</title></feed>'
    )

    with pytest.raises(ArxivApiError, match="not a readable Atom feed"):
        parse_feed(bomb, "bomb")


# --- live client ------------------------------------------------------------------------------


def test_client_pages_through_a_search_waiting_3_seconds_between_calls(arxiv_server, recorded):
    fake = FakeTime()
    client = ArxivApiClient(
        base_url=arxiv_server.api_url,
        client=PoliteClient(delay=3.0, retries=0, sleep=fake.sleep, clock=fake.clock),
        page_size=10,
    )

    records = list(client.records(search_query="testing", max_results=60))

    expected = [
        i
        for s in (0, 10, 20, 30, 40, 50)
        for i in entry_ids(body_of(recorded, f"q_testing_s{s}_m10_"))
    ]
    assert [r.arxiv_id for r in records] == expected
    assert [q["start"] for _, q in arxiv_server.requests] == ["0", "10", "20", "30", "40", "50"]
    assert fake.sleeps == [3.0] * 5
    assert client.stopped_by is None


def keep_entries(body: str, count: int, total: int) -> str:
    """The feed with only its first ``count`` entries and ``totalResults`` set to ``total``."""
    head, *entries = body.split("<entry>")
    kept = [
        e if i < count - 1 else e[: e.index("</entry>") + len("</entry>")]
        for i, e in enumerate(entries[:count])
    ]
    head = head.replace("<opensearch:totalResults>214881<", f"<opensearch:totalResults>{total}<")
    return "<entry>".join([head, *kept]) + "\n</feed>\n"


def test_client_stops_when_the_results_run_out(arxiv_server, recorded):
    # Only 12 results exist: the second page (start=10) holds the last 2 and nothing more is asked.
    first = keep_entries(body_of(recorded, "q_testing_s0_m10_"), 10, total=12)
    second = keep_entries(body_of(recorded, "q_testing_s10_m10_"), 2, total=12)
    arxiv_server.overrides[search_key(0, 10)] = [Exchange(200, first.encode(), ATOM_TYPE)]
    arxiv_server.overrides[search_key(10, 10)] = [Exchange(200, second.encode(), ATOM_TYPE)]
    client = ArxivApiClient(
        base_url=arxiv_server.api_url, client=PoliteClient(delay=0), page_size=10
    )

    records = list(client.records(search_query="testing", max_results=1000))

    assert len(records) == 12
    assert len(arxiv_server.requests) == 2


def test_client_fetches_ids_and_reports_those_arxiv_does_not_know(arxiv_server):
    client = ArxivApiClient(base_url=arxiv_server.api_url, client=PoliteClient(delay=0))

    items = list(client.records(id_list=["0808.05394", "1707.08567"]))

    records = [i for i in items if isinstance(i, PaperRecord)]
    skipped = [i for i in items if isinstance(i, Skipped)]
    assert [r.arxiv_id for r in records] == ["1707.08567"]
    assert [s.reason for s in skipped] == ["arXiv has no paper with this id"]
    assert "0808.05394" in skipped[0].origin
    assert arxiv_server.requests[0][1]["id_list"] == "0808.05394,1707.08567"


def test_client_asks_for_old_style_ids_as_arxiv_spells_them(arxiv_server):
    client = ArxivApiClient(base_url=arxiv_server.api_url, client=PoliteClient(delay=0))

    records = [
        *client.records(id_list=["astro-ph/0601001"]),
        *client.records(id_list=["arXiv:quant-ph/0201082v1"]),
    ]

    assert [(r.arxiv_id, r.version) for r in records] == [
        ("astro-ph/0601001", 1),
        ("quant-ph/0201082", 1),
    ]
    assert [q["id_list"] for _, q in arxiv_server.requests] == [
        "astro-ph/0601001",
        "quant-ph/0201082v1",
    ]


def test_client_error_feed_raises_with_status_and_arxivs_message(arxiv_server):
    client = ArxivApiClient(base_url=arxiv_server.api_url, client=PoliteClient(delay=0))

    with pytest.raises(
        ArxivApiError, match=r"HTTP 400: arXiv API error: incorrect id format for abc"
    ):
        client.fetch_page(id_list=["abc"])


def test_client_skips_malformed_ids_without_asking_arxiv(arxiv_server):
    client = ArxivApiClient(base_url=arxiv_server.api_url, client=PoliteClient(delay=0))

    items = list(client.records(id_list=["abc"]))

    assert [(i.origin, i.reason) for i in items] == [("abc", "not an arXiv id: 'abc'")]
    assert arxiv_server.requests == []


def test_client_retries_server_errors_with_growing_pauses(arxiv_server, recorded):
    fake = FakeTime()
    body = body_of(recorded, "q_testing_s0_m10_").encode()
    arxiv_server.overrides[search_key(0, 10)] = [
        Exchange(503, b"busy", "text/plain"),
        Exchange(503, b"busy", "text/plain"),
        Exchange(200, body, ATOM_TYPE),
    ]
    client = ArxivApiClient(
        base_url=arxiv_server.api_url,
        client=PoliteClient(delay=3.0, retries=4, backoff=2.0, sleep=fake.sleep, clock=fake.clock),
        page_size=10,
    )

    records = list(client.records(search_query="testing", max_results=10))

    assert len(records) == 10
    assert fake.sleeps == [3.0, 6.0]
    assert len(arxiv_server.requests) == 3


def test_client_that_keeps_failing_stops_with_a_clear_message_after_what_it_got(arxiv_server):
    arxiv_server.overrides[search_key(10, 10)] = [Exchange(500, b"down", "text/plain")]
    client = ArxivApiClient(
        base_url=arxiv_server.api_url, client=PoliteClient(delay=0, retries=2), page_size=10
    )

    items = list(client.records(search_query="testing", max_results=30))

    assert sum(isinstance(i, PaperRecord) for i in items) == 10
    assert isinstance(items[-1], Skipped)
    assert "failed after 3 attempts: HTTP 500" in items[-1].reason
    assert client.stopped_by == items[-1].reason


# --- through the pipeline ---------------------------------------------------------------------


@pytest.mark.django_db
def test_fetched_papers_are_stored_and_a_second_run_changes_nothing(arxiv_server):
    client = ArxivApiClient(
        base_url=arxiv_server.api_url, client=PoliteClient(delay=0), page_size=10
    )

    first = import_records(client.records(search_query="testing", max_results=20))
    second = import_records(client.records(search_query="testing", max_results=20))

    assert (first.created, first.skipped) == (20, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 20)
    assert Paper.objects.count() == 20


@pytest.mark.django_db
def test_newer_version_from_the_api_updates_the_paper(recorded):
    v1 = body_of(recorded, "id_quant-ph_0201082v1")
    v2 = (
        v1.replace("quant-ph/0201082v1", "quant-ph/0201082v2")
        .replace("Quantum Computers and Quantum Computer Languages", "Quantum Languages, revised")
        .replace(
            "<updated>2002-01-18T15:08:05Z</updated>\n    <link",
            "<updated>2003-05-01T10:00:00Z</updated>\n    <link",
        )
    )
    import_records(parse_feed(v1, "v1").items)

    stats = import_records(parse_feed(v2, "v2").items)

    paper = Paper.objects.get(arxiv_id="quant-ph/0201082")
    assert stats.updated == 1
    assert paper.version == 2
    assert paper.title.startswith("Quantum Languages, revised")
    assert paper.updated_at == dt.datetime(2003, 5, 1, 10, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_hugging_face_then_arxiv_record_of_one_paper_is_one_merged_paper(recorded):
    hf = paper_record(arxiv_id="1605.08386", title="Heat-bath random walks (HF)", upvotes=42)
    import_records([hf])

    import_records(parse_feed(body_of(recorded, "id_1605.08386"), "api").items)

    paper = Paper.objects.get(arxiv_id="1605.08386")
    assert Paper.objects.count() == 1
    assert paper.categories == ["math.CO", "math.ST"]
    assert paper.primary_category == "math.CO"
    assert paper.upvotes == 42
    assert paper.title == "Heat-bath random walks with Markov bases"
    assert paper.sources == ["arxiv", "hf"]
    assert paper.version == 1


# --- the command ------------------------------------------------------------------------------


@pytest.fixture
def live_settings(settings, arxiv_server):
    settings.ARXIV_API_URL = arxiv_server.api_url
    settings.UPSTREAM_DELAY_SECONDS = 0
    settings.UPSTREAM_RETRIES = 1
    return settings


@pytest.mark.django_db
def test_command_fetches_ids_live_and_reports_unknown_ones(live_settings, capsys):
    call_command("ingest", "arxiv", "--id", "0808.05394,1707.08567")

    assert list(Paper.objects.values_list("arxiv_id", flat=True)) == ["1707.08567"]
    report = capsys.readouterr().err
    assert "0808.05394: arXiv has no paper with this id" in report
    assert "created 1" in report


@pytest.mark.django_db
def test_command_fails_loudly_when_the_api_stops_but_keeps_what_it_got(live_settings, arxiv_server):
    arxiv_server.overrides[search_key(10, 10)] = [Exchange(503, b"busy", "text/plain")]

    with pytest.raises(CommandError, match=r"stopped early: .*HTTP 503"):
        call_command("ingest", "arxiv", "--query", "testing", "--max", "30", "--page-size", "10")

    assert Paper.objects.count() == 10


@pytest.mark.django_db
def test_command_reads_saved_feeds_and_folders(atom_dir, capsys):
    call_command("ingest", "arxiv", str(atom_dir / "legacy_2016_format"))

    # 24 entries in 5 files, 12 distinct papers: the overlapping searches merge.
    sources = list(Paper.objects.values_list("sources", flat=True))
    assert len(sources) == 12 and all(s == ["arxiv"] for s in sources)
    assert "read 24, created 12, updated 0, unchanged 12, skipped 0" in capsys.readouterr().err


@pytest.mark.django_db
def test_command_refuses_files_with_live_options(atom_dir):
    with pytest.raises(CommandError, match="not both"):
        call_command("ingest", "arxiv", str(atom_dir), "--id", "1605.08386")


def test_command_help_names_the_options(capsys):
    from dailypapers.ingest.management.commands.ingest import Command

    parser = Command().create_parser("dailypapers", "ingest")
    with pytest.raises(SystemExit):
        parser.parse_args(["arxiv", "--help"])

    text = capsys.readouterr().out
    for option in ("--id", "--query", "--max", "--page-size", "--sort-by", "examples:"):
        assert option in text
