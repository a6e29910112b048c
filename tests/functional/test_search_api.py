"""``/api/papers/search``: Hugging Face's response shape, ranking, limits and refusals.

One indexed catalogue per module (tests/functional/search_corpus.py): the tests only read it.
"""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter

from dailypapers.api.schemas import DailyPaperOut, ErrorOut
from dailypapers.search.queries import search
from tests.functional.search_corpus import HOSTILE_ID, SCRIPT, SPECS, indexed_corpus

pytestmark = pytest.mark.django_db

corpus = pytest.fixture(scope="module")(indexed_corpus)


@pytest.fixture(autouse=True)
def search_dir(corpus, settings):
    settings.DATA_DIR = corpus.data_dir


def api_search(client, **params):
    return client.get("/api/papers/search", params)


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["paper"]["id"] for item in response.json()]


def test_items_have_the_daily_papers_shape_exactly(client):
    response = api_search(client, q="retrieval augmented generation")

    items = TypeAdapter(list[DailyPaperOut]).validate_python(response.json())  # unknown keys fail
    first = response.json()[0]
    assert items[0].paper.id == "2503.00009"
    assert first["title"] == first["paper"]["title"] == SPECS[8].title
    assert [a["name"] for a in first["paper"]["authors"]] == ["Patrick Lewis", "Ethan Perez"]
    assert first["paper"]["githubRepo"] == "https://github.com/facebookresearch/rag"
    assert first["organization"]["fullname"] == "Meta AI"
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"


def test_results_rank_like_the_search_page(client):
    api = ids(api_search(client, q="game of go without human knowledge", limit=5))
    page = client.get("/search", {"q": "game of go without human knowledge"}).content.decode()

    assert api[0] == "2503.00013"
    assert page.index("/papers/2503.00013") < page.index(f"/papers/{api[1]}")


def test_the_query_language_works_through_the_api(client):
    phrase = ids(api_search(client, q='"chain of thought"'))
    author = ids(api_search(client, q='author:"David Silver"'))
    org_and_words = ids(api_search(client, q="org:openai language"))
    category = ids(api_search(client, q="cat:cs.RO"))

    assert set(phrase) == {"2503.00006", "2503.00007"}
    assert set(author) == {"2503.00012", "2503.00013"}
    assert org_and_words[0] == "2503.00011" and set(org_and_words) <= {
        s.arxiv_id for s in SPECS if s.org and s.org[0] == "openai"
    }
    assert set(category) == {"2503.00014", "2503.00015"}


def test_limit_caps_the_number_of_items_and_120_is_allowed(client):
    two = ids(api_search(client, q="diffusion", limit=2))
    most = ids(api_search(client, q="diffusion", limit=120))

    assert len(two) == 2 and most[:2] == two
    assert len(most) == len(set(most)) >= 5


def test_without_q_the_newest_papers_are_listed(client):
    newest = ids(api_search(client, limit=3))
    blank = ids(api_search(client, q="  ", limit=3))

    by_date = sorted(SPECS, key=lambda s: (s.published, s.arxiv_id), reverse=True)
    assert newest == blank == [s.arxiv_id for s in by_date[:3]]


def test_search_is_not_mistaken_for_a_paper_id_and_paper_ids_still_work(client):
    assert api_search(client, q="segment").status_code == 200
    assert client.get("/api/papers/2503.00018").json()["title"] == "Segment Anything"


@pytest.mark.parametrize(
    ("params", "param", "words"),
    [
        ({"q": "x" * 251}, "q", "at most 250 characters"),
        ({"q": "diffusion " * 1000}, "q", "at most 250 characters"),
        ({"limit": "121"}, "limit", "less than or equal to 120"),
        ({"limit": "0"}, "limit", "greater than or equal to 1"),
        ({"limit": "ten"}, "limit", "valid integer"),
        ({"limit": "1e9"}, "limit", "valid integer"),
    ],
)
def test_oversize_or_bad_parameters_are_a_400_naming_the_parameter(client, params, param, words):
    response = api_search(client, **params)

    assert response.status_code == 400
    body = response.json()
    ErrorOut.model_validate(body)
    assert body["param"] == param and words in body["error"]
    assert "x" * 50 not in response.content.decode()  # the input is not echoed back


@pytest.mark.parametrize(
    "query",
    ['"unbalanced', "(((", "AND OR NOT", "author:", "\x00\x1b[0m", "🤖", SCRIPT, "q" * 250],
)
def test_a_hostile_or_malformed_query_never_errors(client, query):
    response = api_search(client, q=query)

    assert response.status_code == 200
    assert isinstance(response.json(), list)


def test_hostile_text_comes_back_as_plain_json_strings(client):
    item = api_search(client, q="graph attention friends", limit=1).json()[0]

    assert item["paper"]["id"] == HOSTILE_ID
    assert item["title"].startswith(SCRIPT)  # JSON carries the text itself, never HTML


def test_the_query_count_does_not_grow_with_the_limit(client, django_assert_max_num_queries):
    # The cap is loose because the PostgreSQL backend searches with queries of its own.
    with django_assert_max_num_queries(15) as few:
        assert len(ids(api_search(client, q="diffusion", limit=1))) == 1
    with django_assert_max_num_queries(15) as many:
        assert len(ids(api_search(client, q="diffusion", limit=20))) >= 5

    assert len(many.captured_queries) == len(few.captured_queries)


def test_one_call_serves_more_than_a_page_without_gaps_or_repeats():
    # The API's 120 and the search page's window of 200 come from one search() call; in BM25 the
    # ranking does not depend on the page size, so pages of 3 read in turn must agree with it.
    whole = search("learning", limit=15, mode="bm25")
    pieces = [
        hit
        for start in range(0, 15, 3)
        for hit in search("learning", limit=3, offset=start, mode="bm25").hits
    ]

    assert [h.paper.pk for h in pieces] == [h.paper.pk for h in whole.hits]
    assert len({h.paper.pk for h in whole.hits}) == len(whole.hits) == min(15, whole.total)
