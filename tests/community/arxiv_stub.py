"""The arXiv API for submission tests: the recorded ``/api/query`` exchanges in
``../shared/data/arxiv/atom_api/recorded_2026_new_format``, served by the real local HTTP server of
``upstream_server``, with ``settings.ARXIV_API_URL`` pointed at it.

Each recording answers an ``id_list`` of one paper, found by its id without version (the
submission asks for the latest version). A test may replace or add answers (``stub.answers``).

There is no recorded withdrawn paper, so ``withdrawn_body`` builds one by editing the real answer
for 1605.08386 minimally: a second version whose comment is arXiv's withdrawal note.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dailypapers.ingest.records import parse_arxiv_id
from tests.conftest import Exchange, UpstreamServer

RECORDED = Path("arxiv/atom_api/recorded_2026_new_format")
ATOM = "application/atom+xml; charset=utf-8"

# Recorded papers and their first-version dates (<published> in the recordings).
PUBLISHED = {
    "1605.08386": dt.datetime(2016, 5, 26, 17, 59, 46, tzinfo=dt.UTC),
    "1707.08567": dt.datetime(2017, 7, 27, 8, 18, 33, tzinfo=dt.UTC),
    "2104.12255": dt.datetime(2021, 4, 20, 16, 7, 14, tzinfo=dt.UTC),
    "astro-ph/0601001": dt.datetime(2006, 1, 2, 14, 57, 58, tzinfo=dt.UTC),
    "quant-ph/0201082": dt.datetime(2002, 1, 18, 15, 8, 5, tzinfo=dt.UTC),
}
HEAT_BATH = "1605.08386"  # "Heat-bath random walks with Markov bases", Stanley and Windisch
UNKNOWN = "0808.05394"  # a well-formed id arXiv answers with an empty feed (recorded)


@dataclass
class ArxivStub:
    server: UpstreamServer
    answers: dict[str, Exchange] = field(default_factory=dict)

    @property
    def asked_for(self) -> list[str]:
        return [query.get("id_list", "") for _, query in self.server.requests]


def recorded_exchanges(shared_data: Path) -> dict[str, Exchange]:
    answers = {}
    for path in sorted((shared_data / RECORDED).glob("id_*.json")):
        exchange = json.loads(path.read_text())
        ids = exchange["url"].split("id_list=")[1].split("&")[0].replace("%2F", "/")
        if "%2C" in ids:
            continue  # several papers in one call
        try:
            arxiv_id, _ = parse_arxiv_id(ids)
        except ValueError:
            continue  # the recorded HTTP 400 for "abc"
        answers[arxiv_id] = Exchange(exchange["status_code"], exchange["body"].encode(), ATOM)
    return answers


def withdrawn_body(shared_data: Path) -> bytes:
    body = json.loads(
        (shared_data / RECORDED / "id_1605.08386_s0_m100_199195aa31ad.json").read_text()
    )["body"]
    edited = (
        body.replace("1605.08386v1", "1605.08386v2")
        .replace(
            "<updated>2016-05-26T17:59:46Z</updated>", "<updated>2016-06-02T09:00:00Z</updated>"
        )
        .replace(
            "<arxiv:comment>20 pages, 3 figures</arxiv:comment>",
            "<arxiv:comment>This paper has been withdrawn by the author due to an error in "
            "Theorem 2</arxiv:comment>",
        )
    )
    assert edited.count("withdrawn") == 1 and "1605.08386v2" in edited
    return edited.encode()


@pytest.fixture(name="arxiv")
def arxiv_fixture(upstream_server, shared_data, settings) -> ArxivStub:
    """Import ``arxiv_fixture`` into a test module to use the ``arxiv`` fixture."""
    answers = recorded_exchanges(shared_data)
    assert HEAT_BATH in answers and UNKNOWN in answers

    def route(path: str, query: dict[str, str]) -> Exchange | None:
        if path != "/api/query":
            return None
        answer = stub.answers.get(query.get("id_list", ""))
        return answer() if callable(answer) else answer

    stub = ArxivStub(upstream_server(route), answers)
    settings.ARXIV_API_URL = f"{stub.server.url}/api/query"
    return stub
