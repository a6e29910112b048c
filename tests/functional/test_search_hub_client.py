"""``huggingface_hub.HfApi(endpoint=ours).list_papers(query=...)`` against a real running server
(pytest-django's ``live_server``), unchanged: the official client's search reads our answers."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

# Set before huggingface_hub reads its environment at import time: no telemetry calls home.
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

import pytest  # noqa: E402
from huggingface_hub.errors import HfHubHTTPError  # noqa: E402

from dailypapers.ingest.pipeline import import_records  # noqa: E402
from dailypapers.ingest.records import OrganizationRecord  # noqa: E402
from dailypapers.search import backend  # noqa: E402
from tests.factories import paper_record  # noqa: E402

# live_server answers from another thread, so the data must really be committed.
pytestmark = pytest.mark.django_db(transaction=True)

UTC = dt.UTC


@pytest.fixture
def catalogue(settings, tmp_path) -> Iterator[None]:
    """Four papers imported through the pipeline and indexed by the search receiver (huey inline)."""
    from huey.contrib.djhuey import HUEY

    settings.DATA_DIR = tmp_path
    previous, HUEY.immediate = HUEY.immediate, True
    try:
        latent = paper_record(
            arxiv_id="2503.30001",
            title="High-Resolution Image Synthesis with Latent Diffusion Models",
            abstract="Diffusion models in the latent space of pretrained autoencoders.",
            authors=["Robin Rombach", "Björn Ommer"],
            upvotes=120,
            github_repo="https://github.com/CompVis/latent-diffusion",
        )
        latent.organization = OrganizationRecord(name="compvis", fullname="CompVis")
        import_records(
            [
                latent,
                paper_record(
                    arxiv_id="2503.30002",
                    title="Denoising Diffusion Probabilistic Models",
                    abstract="Image synthesis with diffusion probabilistic models.",
                    authors=["Jonathan Ho"],
                    upvotes=40,
                ),
                paper_record(
                    arxiv_id="2503.30003",
                    title="Mastering the Game of Go without Human Knowledge",
                    abstract="Self-play reinforcement learning masters Go from scratch.",
                    authors=["David Silver"],
                    upvotes=80,
                ),
                paper_record(
                    arxiv_id="2503.30004",
                    title="Dense Passage Retrieval for Open-Domain Question Answering",
                    abstract="Dense representations retrieve passages for question answering.",
                    authors=["Vladimir Karpukhin"],
                    upvotes=20,
                ),
            ]
        )
    finally:
        HUEY.immediate = previous
    yield
    backend._indexes.pop(tmp_path / "search", None)


def test_list_papers_finds_papers_by_query_with_their_fields(hub, catalogue):
    papers = list(hub.list_papers(query="latent diffusion image synthesis"))

    assert papers[0].id == "2503.30001"
    assert papers[0].title == "High-Resolution Image Synthesis with Latent Diffusion Models"
    assert [a.name for a in papers[0].authors] == ["Robin Rombach", "Björn Ommer"]
    assert papers[0].upvotes == 120
    assert papers[0].organization.name == "compvis"
    assert papers[0].submitted_at == dt.datetime(2025, 3, 14, tzinfo=UTC)
    assert "2503.30003" not in [p.id for p in papers[:2]]


def test_list_papers_honours_limit_the_query_language_and_no_query(hub, catalogue):
    one = list(hub.list_papers(query="diffusion", limit=1))
    by_author = list(hub.list_papers(query='author:"David Silver"'))
    everything = list(hub.list_papers())

    assert len(one) == 1 and one[0].id in {"2503.30001", "2503.30002"}
    assert [p.id for p in by_author] == ["2503.30003"]
    assert len(everything) == 4


def test_an_oversize_query_is_a_clear_http_400_for_the_client(hub, catalogue):
    with pytest.raises(HfHubHTTPError) as raised:
        list(hub.list_papers(query="x" * 251))

    assert raised.value.response.status_code == 400
    assert raised.value.response.json()["param"] == "q"
