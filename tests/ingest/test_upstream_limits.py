"""Upstream answers are read with a size cap (``DAILYPAPERS_UPSTREAM_MAX_BYTES``), so a broken or
hostile upstream cannot exhaust memory: a body that declares too much is refused unread, one that
never ends (or lies about its length, or expands from gzip) is cut off at the cap, and the run
fails clearly with nothing of that answer stored.

Real local HTTP servers; the cap is set small here so each test moves little data. Each stream is
bounded (``Endless``) only so that a client *without* a cap finishes, and fails these tests, rather
than hanging.
"""

from __future__ import annotations

import datetime as dt
import gzip
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dailypapers.ingest.http import PoliteClient, UpstreamError
from dailypapers.ingest.pipeline import import_records
from dailypapers.ingest.records import PaperRecord
from dailypapers.ingest.sources import hf
from dailypapers.ingest.sources.oai_pmh import OaiHarvester
from dailypapers.papers.models import DailyEntry, HarvestState, Paper
from tests.conftest import Exchange
from tests.ingest.test_hf_live import serve_days
from tests.ingest.test_oai_pmh import DC_PAGE, PAGE_ONE_IDS, TOKEN, OaiServer

CAP = 64 * 1024
MiB = 2**20
CHUNK = b"x" * 16 * 1024
SETTING = "DAILYPAPERS_UPSTREAM_MAX_BYTES"


@pytest.fixture(autouse=True)
def small_cap(settings):
    settings.UPSTREAM_MAX_BYTES = CAP


class Endless:
    """A body stream far longer than the cap; records how much of it the server handed over."""

    def __init__(self, total: int = 32 * MiB, *, chunked: bool = False):
        self.total = total
        self.chunked = chunked
        self.produced = 0
        self.finished = threading.Event()

    def __call__(self) -> Iterator[bytes]:
        try:
            while self.produced < self.total:
                self.produced += len(CHUNK)
                # Chunked framing by hand: what a server sends after ``Transfer-Encoding: chunked``.
                yield b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK) if self.chunked else CHUNK
            if self.chunked:
                yield b"0\r\n\r\n"
        finally:
            self.finished.set()

    def stopped_early(self) -> bool:
        """True once the server's writes failed before the end: the client hung up."""
        assert self.finished.wait(10), "the server is still writing"
        return self.produced < self.total


def serve(upstream_server, exchange: Exchange) -> str:
    return upstream_server(lambda path, query: exchange).url


def client(retries: int = 2) -> PoliteClient:
    return PoliteClient(delay=0, retries=retries, timeout=10)


# --- the client ---------------------------------------------------------------------------------


def test_an_answer_within_the_cap_is_read_whole(upstream_server):
    body = b"y" * CAP
    url = serve(upstream_server, Exchange(200, body, "text/plain"))

    response = client().get(f"{url}/exact")

    assert (response.status_code, response.content) == (200, body)


def test_an_answer_that_declares_more_than_the_cap_is_refused_unread_and_not_retried(
    upstream_server,
):
    stream = Endless(4 * MiB)
    exchange = Exchange(
        200, b"", "application/json", headers={"Content-Length": str(4 * MiB)}, stream=stream
    )
    server = upstream_server(lambda path, query: exchange)

    with pytest.raises(UpstreamError, match=SETTING) as raised:
        client().get(f"{server.url}/big")

    assert "4,194,304 bytes" in str(raised.value)
    assert len(server.requests) == 1  # the same answer would come back: no retry
    assert stream.stopped_early()


def test_an_answer_without_a_length_that_never_ends_is_cut_off_at_the_cap(upstream_server):
    stream = Endless()
    url = serve(upstream_server, Exchange(200, b"", "application/json", stream=stream))

    with pytest.raises(UpstreamError, match=SETTING) as raised:
        client().get(f"{url}/forever")

    assert f"more than {CAP:,} bytes" in str(raised.value)
    assert stream.stopped_early()


def test_a_small_content_length_does_not_let_an_endless_chunked_body_through(upstream_server):
    # Transfer-Encoding wins over Content-Length (RFC 9112 6.3): a check of the header alone
    # would let this through.
    stream = Endless(chunked=True)
    headers = {"Content-Length": "100", "Transfer-Encoding": "chunked"}
    url = serve(upstream_server, Exchange(200, b"", "text/xml", headers=headers, stream=stream))

    with pytest.raises(UpstreamError, match=SETTING):
        client().get(f"{url}/lies")

    assert stream.stopped_early()


def test_a_compressed_answer_is_capped_on_what_it_expands_to(upstream_server):
    bomb = gzip.compress(b"\0" * 16 * MiB)
    assert len(bomb) < CAP
    url = serve(
        upstream_server,
        Exchange(200, bomb, "application/json", headers={"Content-Encoding": "gzip"}),
    )

    with pytest.raises(UpstreamError, match=SETTING):
        client().get(f"{url}/bomb")


def test_an_error_answer_is_capped_too(upstream_server):
    stream = Endless()
    url = serve(upstream_server, Exchange(400, b"", "text/html", stream=stream))

    with pytest.raises(UpstreamError, match=SETTING):
        client().get(f"{url}/error")

    assert stream.stopped_early()


# --- each source: a clear error, nothing of the oversize answer stored ----------------------------


@pytest.mark.django_db
def test_arxiv_command_stops_clearly_and_stores_nothing_when_the_api_floods(
    upstream_server, settings
):
    stream = Endless()
    url = serve(upstream_server, Exchange(200, b"", "application/atom+xml", stream=stream))
    settings.ARXIV_API_URL = f"{url}/api/query"
    settings.UPSTREAM_DELAY_SECONDS = 0

    with pytest.raises(CommandError, match=f"stopped early: .*{SETTING}"):
        call_command("ingest", "arxiv", "--id", "1605.08386")

    assert Paper.objects.count() == 0
    assert stream.stopped_early()


@pytest.mark.django_db
def test_hf_day_that_floods_is_skipped_clearly_and_the_other_days_are_stored(
    upstream_server, shared_data
):
    raw_dir = shared_data / "hf_daily_papers" / "raw"
    stream = Endless()
    flood = {"2025-01-10": lambda: Exchange(200, b"", "application/json", stream=stream)}
    server = upstream_server(serve_days(raw_dir, flood))
    fetcher = hf.HfDailyPapersClient(base_url=server.url, client=client())

    stats = import_records(fetcher.records(dt.date(2025, 1, 9), dt.date(2025, 1, 10)))

    assert stats.skipped == 1
    assert "2025-01-10" in stats.problems[0].origin and SETTING in stats.problems[0].reason
    assert stats.created == len(hf_ids(raw_dir / "2025-01-09.json")) > 0
    assert not DailyEntry.objects.filter(date=dt.date(2025, 1, 10)).exists()
    assert len(server.requests) == 2  # the flooded day was asked once, not retried


@pytest.mark.django_db
def test_oai_page_that_floods_stops_the_harvest_with_the_earlier_pages_stored_and_resumable(
    upstream_server, shared_data
):
    oai = OaiServer(upstream_server)
    first_query = {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "cs"}
    oai.answer(first_query, (shared_data / "arxiv" / "oai_pmh" / DC_PAGE).read_bytes())
    stream = Endless()
    resume_query = {"verb": "ListRecords", "resumptionToken": TOKEN}
    oai.answer(resume_query, Exchange(200, b"", "text/xml", stream=stream))
    harvester = OaiHarvester(
        base_url=oai.url, metadata_prefix="oai_dc", set_spec="cs", client=client()
    )

    result = harvester.harvest()

    assert result.error is not None and SETTING in result.error
    assert "rerun to resume" in result.error
    assert sorted(Paper.objects.values_list("arxiv_id", flat=True)) == sorted(PAGE_ONE_IDS)
    state = HarvestState.objects.get(key=harvester.key)
    assert (state.resumption_token, state.pages_done) == (TOKEN, 1)
    assert stream.stopped_early()


def hf_ids(path: Path) -> set[str]:
    return {r.arxiv_id for r in hf.records_from_file(path) if isinstance(r, PaperRecord)}
