"""A hidden paper leaves search results and "Similar papers" at once, before the index catches up.

Uses the indexed search corpus (tests/functional/search_corpus.py, once per module); each test hides
a paper inside its own transaction, which is rolled back after it.
"""

from __future__ import annotations

import re

import pytest

from dailypapers.community.services.moderation import set_papers_hidden
from dailypapers.papers.models import Paper
from tests.community.conftest import make_user
from tests.functional.search_corpus import indexed_corpus

pytestmark = pytest.mark.django_db

corpus = pytest.fixture(scope="module")(indexed_corpus)

TARGET = "2503.00002"  # the best match of the query below
QUERY = "latent diffusion image synthesis"


@pytest.fixture(autouse=True)
def search_dir(corpus, settings):
    settings.DATA_DIR = corpus.data_dir


@pytest.fixture
def reader(client):
    # Signed in: pages are not served from the anonymous page cache, so before/after compare.
    client.force_login(make_user())
    return client


def hide_target() -> None:
    set_papers_hidden([Paper.objects.get(arxiv_id=TARGET).pk], True)


def test_a_hidden_paper_leaves_the_search_page(reader):
    assert TARGET in reader.get("/search", {"q": QUERY}).content.decode()

    hide_target()

    html = reader.get("/search", {"q": QUERY}).content.decode()
    assert TARGET not in html
    assert re.search(r'href="/papers/2503\.\d+"', html)  # other papers still match


def test_a_hidden_paper_leaves_the_filtered_feed(reader):
    assert TARGET in reader.get("/papers/date/2025-03-14", {"q": "diffusion"}).content.decode()

    hide_target()

    assert TARGET not in reader.get("/papers/date/2025-03-14", {"q": "diffusion"}).content.decode()


def test_a_hidden_paper_leaves_the_search_api(client):
    hide_target()

    items = client.get("/api/papers/search", {"q": QUERY}).json()

    ids = [item["paper"]["id"] for item in items]
    assert ids and TARGET not in ids


def test_a_hidden_paper_leaves_similar_papers(reader):
    page = "/papers/2503.00001"
    assert f'href="/papers/{TARGET}"' in reader.get(page).content.decode()

    hide_target()

    assert f'href="/papers/{TARGET}"' not in reader.get(page).content.decode()
