"""Search is bounded: a ``search`` rate limit per client on every way in (the page, the feeds,
``/papers?q=``, the API), pages only as deep as a person reads, and cached pages cost nothing.
The searches run over the indexed catalogue of tests/functional/search_corpus.py."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from dailypapers.search.browse import MAX_PAGE, MAX_RESULTS, PAGE_SIZE, SearchForm, SearchPage
from dailypapers.settings import RateLimit
from tests.functional.search_corpus import indexed_corpus

pytestmark = pytest.mark.django_db

corpus = pytest.fixture(scope="module")(indexed_corpus)


@pytest.fixture(autouse=True)
def three_searches_a_minute(corpus, settings):
    settings.DATA_DIR = corpus.data_dir
    settings.RATE_LIMITS = {"search": RateLimit(3, 60)}


def get(path: str, ip: str = "198.51.100.1", client: Client | None = None, **params):
    return (client or Client()).get(path, params, REMOTE_ADDR=ip)


SEARCHES = [
    ("/search", {"q": "diffusion"}),
    ("/feeds/search.rss", {"q": "diffusion"}),
    ("/feeds/search.atom", {"cat": "cs.CV"}),
    ("/api/papers/search", {"q": "diffusion"}),
    ("/papers/date/2025-03-14", {"q": "diffusion"}),
]


@pytest.mark.parametrize(("path", "params"), SEARCHES, ids=[p for p, _ in SEARCHES])
def test_every_way_to_search_is_limited_per_client(path, params):
    # Another word each time, as a scraper would send: the page cache cannot answer any of them.
    answers = [get(path, **{**params, "q": f"diffusion {n}"}) for n in range(3)]
    refused = get(path, **{**params, "q": "diffusion 4"})
    elsewhere = get(path, ip="198.51.100.2", **{**params, "q": "diffusion 5"})

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 60
    assert elsewhere.status_code == 200


def test_the_api_answers_429_as_json_with_its_documented_shape():
    for n in range(3):
        get("/api/papers/search", q=f"model {n}")

    refused = get("/api/papers/search", q="model 9")

    assert refused.status_code == 429
    body = json.loads(refused.content)
    assert set(body) == {"error", "retry_after"} and body["error"].startswith("Too many searches")
    assert body["retry_after"] == int(refused["Retry-After"])


def test_the_429_page_says_how_long_to_wait_and_offers_to_try_again():
    for n in range(3):
        get("/search", q=f"diffusion {n}")

    refused = get("/search", q="latent diffusion")

    page = refused.content.decode()
    assert "Too many searches from you in a short time. Try again in" in page
    assert 'href="/search?q=latent+diffusion"' in page


def test_a_signed_in_member_is_counted_on_their_own():
    from tests.accounts.conftest import make_user

    member = Client()
    member.force_login(make_user("ada"))
    for n in range(3):
        get("/search", q=f"diffusion {n}")  # the anonymous visitor on the same address

    answer = get("/search", client=member, q="diffusion")

    assert answer.status_code == 200


def test_what_runs_no_search_is_not_counted():
    def no_search() -> list[int]:
        return [
            get("/search").status_code,  # the empty form
            get("/search", q="x" * 300).status_code,  # refused, 400
            get("/api/papers/search").status_code,  # the newest papers: no search
            get("/papers/date/2025-03-14").status_code,  # the day itself
            get("/search", q="diffusion", page="999").status_code,  # past the last page, 400
        ]

    assert no_search() == no_search() == [200, 400, 200, 200, 400]
    assert get("/search", q="diffusion").status_code == 200


def test_a_cached_filtered_feed_is_served_free_and_uncounted(settings):
    settings.CACHE_SECONDS = 60
    answers = [get("/papers/date/2025-03-14", q="diffusion") for _ in range(10)]

    assert [a.status_code for a in answers] == [200] * 10
    assert [a.get("X-Page-Cache") for a in answers[:2]] == ["miss", "hit"]
    # Only the miss ran a search: two more different queries still fit in the limit of 3.
    assert get("/papers/date/2025-03-14", q="latent").status_code == 200
    assert get("/papers/date/2025-03-14", q="video").status_code == 200
    assert get("/papers/date/2025-03-14", q="robot").status_code == 429


# -- How deep the search page goes ---------------------------------------------------------------


def test_pages_stop_at_the_first_thousand_matches_with_a_clear_400():
    last = get("/search", q="diffusion", page=str(MAX_PAGE))
    beyond = get("/search", q="diffusion", page=str(MAX_PAGE + 1))
    absurd = get("/search", q="diffusion", page="500")

    assert MAX_PAGE * PAGE_SIZE == MAX_RESULTS == 1000
    assert last.status_code == 200
    assert beyond.status_code == 400 and absurd.status_code == 400
    page = beyond.content.decode()
    assert "Search shows the first 1,000 matches (50 pages)" in page
    assert f"page {MAX_PAGE + 1} is past them" in page


def test_the_page_says_when_more_matched_than_the_pages_reach():
    form, _ = SearchForm.from_params({"q": "x"})
    capped = SearchPage(form, [], total=5000, page=1, page_size=PAGE_SIZE, took_ms=1.0)
    whole = SearchPage(form, [], total=MAX_RESULTS, page=1, page_size=PAGE_SIZE, took_ms=1.0)

    assert capped.capped and capped.pages == MAX_PAGE
    assert not whole.capped
