"""The search page, ``/papers?q=`` and "Similar papers", through the HTTP client.

One indexed catalogue per module (tests/functional/search_corpus.py): the tests only read it.
"""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from dailypapers.papers.models import Paper
from dailypapers.search.browse import search_among
from dailypapers.web import search_views
from tests.functional.search_corpus import HOSTILE_ID, RLO, SCRIPT, SPECS, indexed_corpus
from tests.functional.test_web_security import audit

pytestmark = pytest.mark.django_db

corpus = pytest.fixture(scope="module")(indexed_corpus)


@pytest.fixture(autouse=True)
def search_dir(corpus, settings):
    settings.DATA_DIR = corpus.data_dir


RESULT = re.compile(r'<h3 class="card-title" id="title-\d+"><a href="/papers/([^"]+)">')


def result_ids(html: str) -> list[str]:
    return RESULT.findall(html)


def search_page(client, **params) -> tuple[int, str]:
    response = client.get("/search", params)
    return response.status_code, response.content.decode()


def found(client, **params) -> list[str]:
    status, html = search_page(client, **params)
    assert status == 200, html
    return result_ids(html)


# -- ranking ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("latent diffusion image synthesis", "2503.00002"),
        ("game of go without human knowledge", "2503.00013"),
        ("atari reinforcement learning", "2503.00012"),
        ("dense passage retrieval question answering", "2503.00010"),
        ("scaling laws", "2503.00011"),
        # By meaning: none of these words is in the paper's title.
        ("robot hand rotating objects with fingers", "2503.00014"),
    ],
)
def test_the_paper_that_answers_the_query_ranks_first(client, query, expected):
    assert found(client, q=query)[0] == expected


def test_every_title_finds_its_own_paper_first(client):
    for spec in SPECS:
        if spec.arxiv_id == HOSTILE_ID:
            continue
        assert found(client, q=spec.title)[0] == spec.arxiv_id, spec.title


def test_results_mark_the_matched_words_in_title_and_snippet(client):
    _, html = search_page(client, q="latent diffusion")

    assert "<mark>Latent</mark> <mark>Diffusion</mark> Models" in html
    snippet = re.search(r'<p class="search-snippet[^"]*" dir="auto">(.*?)</p>', html, re.S)
    assert snippet and "<mark>diffusion</mark>" in snippet.group(1)


def test_accents_and_case_do_not_matter(client):
    assert found(client, q="NAIVE BAYES CAFE")[0] == "2503.00020"


# -- query language and filters ----------------------------------------------------------------


def test_a_phrase_in_quotes_must_appear_as_written(client):
    ids = found(client, q='"chain of thought"')

    assert set(ids) == {"2503.00006", "2503.00007"}  # not "Thought Chains ... chain of recurrent"


def test_author_field_and_author_filter_keep_only_that_authors_papers(client):
    by_field = found(client, q='author:"Jonathan Ho"')
    by_filter = found(client, author="Jonathan Ho", q="diffusion")

    assert set(by_field) == {"2503.00001", "2503.00003", "2503.00004"}
    assert set(by_filter) == {"2503.00001", "2503.00003", "2503.00004"}


def test_org_field_and_organization_filter_match_handle_or_full_name(client):
    handle = found(client, q="org:deepmind")
    full_name = found(client, org="Google DeepMind")

    assert set(handle) == set(full_name) == {"2503.00012", "2503.00013"}


def test_cat_field_and_category_filter_keep_that_category(client):
    robotics = found(client, q="cat:cs.RO")
    filtered = found(client, q="learning", cat="cs.RO")

    assert set(robotics) == {"2503.00014", "2503.00015"}
    assert set(filtered) == {"2503.00014", "2503.00015"}


def test_date_range_keeps_papers_published_within_it(client):
    ids = found(client, q="diffusion", **{"from": "2025-03-10", "to": "2025-03-11"})

    in_range = {
        s.arxiv_id for s in SPECS if "2025-03-10" <= s.published.isoformat() <= "2025-03-11"
    }
    # Both diffusion papers of those days first; papers near in meaning may follow, still in range.
    assert set(ids[:2]) == {"2503.00001", "2503.00002"}
    assert set(ids) <= in_range


def test_a_word_nothing_contains_finds_nothing_even_within_a_filter(client):
    assert found(client, q="zebrafish") == []
    # A filter must not make the words optional (it listed every cs.CV paper before 43a5eac).
    assert found(client, q="zebrafish", cat="cs.CV") == []
    assert found(client, q="zebrafish", **{"from": "2025-01-01"}) == []


def test_has_code_keeps_only_papers_with_a_repository(client):
    ids = found(client, q="diffusion", code="1")

    assert ids and set(ids) <= {s.arxiv_id for s in SPECS if s.github}
    assert "2503.00001" in ids and "2503.00004" not in ids


def test_most_upvoted_orders_the_matches_by_upvotes(client):
    ids = found(client, q="diffusion", sort="upvotes")
    upvotes = {s.arxiv_id: s.upvotes for s in SPECS}

    assert ids[0] == "2503.00002"  # 120 upvotes
    assert [upvotes[i] for i in ids] == sorted((upvotes[i] for i in ids), reverse=True)


def test_newest_orders_the_matches_by_arxiv_date(client):
    ids = found(client, q="diffusion", sort="newest")
    published = {s.arxiv_id: s.published for s in SPECS}

    assert [published[i] for i in ids] == sorted((published[i] for i in ids), reverse=True)


def test_filters_alone_list_the_matching_papers_newest_first(client):
    ids = found(client, cat="cs.CV")

    assert set(ids) == {s.arxiv_id for s in SPECS if "cs.CV" in s.categories}


def test_pages_split_the_results_without_overlap_or_loss(client):
    params = {"from": "2025-01-01", "sort": "newest"}
    first = found(client, **params)
    second = found(client, page="2", **params)
    beyond = found(client, page="3", **params)

    assert len(first) == 20 and len(second) == len(SPECS) - 20
    assert set(first) | set(second) == {s.arxiv_id for s in SPECS}
    assert not set(first) & set(second) and beyond == []


def test_page_links_keep_the_query_and_filters(client):
    _, html = search_page(client, cat="cs", sort="newest")

    assert 'href="?cat=cs&amp;sort=newest&amp;page=2"' in html
    assert 'rel="next"' in html


def test_the_search_page_costs_the_same_queries_for_few_or_many_results(
    client, django_assert_max_num_queries
):
    # The same kind of search (filters only) with 5 results, then 20: no query per result. The
    # cap is loose because the PostgreSQL backend searches with queries of its own.
    with django_assert_max_num_queries(15) as few:
        assert len(found(client, **{"from": "2025-03-12", "to": "2025-03-12"})) == 5
    with django_assert_max_num_queries(15) as many:
        assert len(found(client, **{"from": "2025-01-01"})) == 20

    assert len(many.captured_queries) == len(few.captured_queries)


# -- empty, malformed, hostile and oversize input --------------------------------------------------


def test_an_empty_query_shows_how_to_search(client):
    status, html = search_page(client)
    blank_status, blank = search_page(client, q="   ")

    assert status == blank_status == 200
    assert "How to search" in html and "How to search" in blank
    assert 'href="?q=%22chain+of+thought%22"' in html  # examples are links
    assert result_ids(html) == []


@pytest.mark.parametrize(
    "query",
    [
        '"unbalanced quote',
        "(((",
        "AND OR NOT",
        "author:",
        'author:""',
        "title:diffusion",
        "cat:",
        "diffusion\x00models",
        "\x07\x1b[31m",
        "*?~^:!{}[]",
        "🤖 diffusion",
        f"{RLO}noisuffid",
        "%s %d {0} ${x}",
    ],
)
def test_a_malformed_query_never_errors_it_degrades_to_words(client, query):
    status, html = search_page(client, q=query)

    assert status == 200
    assert "<h1>Search papers</h1>" in html


def test_an_oversize_query_is_refused_with_the_limit_named(client):
    status, html = search_page(client, q="diffusion " * 30)

    assert status == 400
    assert "the limit is 250" in html
    assert result_ids(html) == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "yesterday"}, "The start date must be a date such as 2025-03-14"),
        ({"to": "2025-02-30"}, "The end date must be a date such as 2025-03-14"),
        ({"from": "2025-03-10", "to": "2025-03-01"}, "The end date is before the start date"),
        ({"cat": SCRIPT}, "The category must be an arXiv category"),
        ({"sort": "random"}, "sort must be one of relevance, upvotes, newest"),
        ({"author": "x" * 101}, "The author is too long: at most 100 characters"),
        ({"org": "deep\x00mind"}, "The organization must not contain control characters"),
    ],
)
def test_a_filter_that_cannot_be_used_is_a_400_naming_it(client, params, message):
    status, html = search_page(client, q="diffusion", **params)

    assert status == 400
    assert message in html
    assert 'aria-invalid="true"' in html or "sort must be" in message


def test_hostile_titles_and_abstracts_stay_escaped_around_the_highlights(client):
    _, html = search_page(client, q="graph attention friends")

    assert result_ids(html)[0] == HOSTILE_ID
    assert SCRIPT not in html and "<b>friends</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;<mark>friends</mark>&lt;/b&gt;" in html
    assert "<mark>not ours</mark>" not in html  # the abstract's own <mark> is text
    assert "&lt;mark&gt;not ours&lt;/mark&gt;" in html
    page = audit(html)
    assert page.inline_scripts == 0 and page.handlers == []
    assert page.bidi_outside_isolation == []


def test_a_hostile_query_is_echoed_as_text(client):
    query = '"><script>alert(1)</script><mark>x'
    status, html = search_page(client, q=query)

    assert status == 200
    assert "<script>alert(1)</script>" not in html
    assert "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;mark&gt;x" in html
    assert audit(html).inline_scripts == 0


# -- /papers?q=: filtering a day, a week, a month ----------------------------------------------


def feed_ids(client, path: str, **params) -> tuple[int, str, list[str]]:
    response = client.get(path, params)
    html = response.content.decode()
    return response.status_code, html, result_ids(html)


def test_q_filters_the_latest_day_to_its_matching_papers(client):
    status, html, ids = feed_ids(client, "/papers", q="diffusion")

    on_mar_14 = {s.arxiv_id for s in SPECS if s.day and s.day.isoformat() == "2025-03-14"}
    assert status == 200
    assert set(ids) == {"2503.00001", "2503.00002", "2503.00003", "2503.00015"} <= on_mar_14
    assert f"of {len(on_mar_14)} papers match" in html
    assert "<mark>Diffusion</mark>" in html


def test_q_filters_a_week_and_a_month_of_the_feed(client):
    _, _, week = feed_ids(client, "/papers/week/2025-W11", q="diffusion")
    _, _, february = feed_ids(client, "/papers/month/2025-02", q="language models")
    _, _, day = feed_ids(client, "/papers/date/2025-03-13", q="diffusion")

    # Consistency models (2503.00005, Mar 13) are about diffusion but never say it: a filter
    # keeps papers by their words, not by their topic.
    assert set(week) == {"2503.00001", "2503.00002", "2503.00003", "2503.00004", "2503.00015"}
    assert "2503.00011" in february and "2503.00006" not in february
    assert day == ["2503.00004"]


def test_a_filtered_feed_keeps_the_filter_when_moving_between_periods(client):
    _, html, _ = feed_ids(client, "/papers/date/2025-03-14", q="diffusion")

    assert 'href="/papers/date/2025-03-13?q=diffusion" rel="prev"' in html
    assert 'href="/papers/week/2025-W11?q=diffusion"' in html  # the Weekly tab
    assert 'href="/papers/date/2025-03-14">Show all papers' in html
    assert 'href="/search?q=diffusion">Search every paper' in html


def test_a_filter_matching_nothing_says_so_and_offers_a_full_search(client):
    status, html, ids = feed_ids(client, "/papers/date/2025-03-13", q="zebrafish")

    assert status == 200 and ids == []
    assert "No paper of Mar 13, 2025 matches" in html
    assert 'href="/search?q=zebrafish"' in html


def test_an_oversize_feed_filter_is_a_400(client):
    status, html, ids = feed_ids(client, "/papers", q="x" * 251)

    assert status == 400 and ids == []
    assert "the limit is 250" in html


def test_a_feed_holding_an_undated_paper_is_filtered_all_the_same(corpus):
    dated = corpus.paper("2503.00012")  # Atari, dated
    Paper.objects.filter(arxiv_id="2503.00001").update(published_at=None)  # rolled back after
    candidates = [corpus.ids["2503.00001"], dated.pk]

    diffusion = search_among("diffusion", candidates)
    atari = search_among("atari", candidates[1:])

    assert [hit.paper.arxiv_id for hit in diffusion.hits] == ["2503.00001"]
    assert [hit.paper.arxiv_id for hit in atari.hits] == ["2503.00012"]
    assert diffusion.total == 1 and atari.total == 1  # every candidate was looked at


def test_a_malformed_feed_filter_degrades_to_words(client):
    status, _, ids = feed_ids(client, "/papers", q='(((diffusion "AND')

    assert status == 200 and "2503.00002" in ids


# -- similar papers and the search box -----------------------------------------------------------


def similar_ids(html: str) -> list[str]:
    section = re.search(r'<section class="similar-papers".*?</section>', html, re.S)
    assert section, "no Similar papers section"
    return re.findall(r'<a class="similar-title" href="/papers/([^"]+)">', section.group(0))


def test_the_paper_page_links_to_similar_papers_never_itself(client):
    html = client.get("/papers/2503.00001").content.decode()

    ids = similar_ids(html)
    assert len(ids) == 5 and "2503.00001" not in ids
    # A diffusion paper's nearest neighbours are mostly the other diffusion papers.
    diffusion = {"2503.00002", "2503.00003", "2503.00004", "2503.00005", "2503.00015"}
    assert len(set(ids[:3]) & diffusion) >= 2
    assert client.get(f"/papers/{ids[0]}").status_code == 200


def test_similar_papers_cost_the_same_queries_for_one_or_five(
    client, django_assert_max_num_queries, monkeypatch
):
    monkeypatch.setattr(search_views, "SIMILAR_PAPERS", 1)
    with django_assert_max_num_queries(15) as one:
        assert len(similar_ids(client.get("/papers/2503.00019").content.decode())) == 1
    monkeypatch.setattr(search_views, "SIMILAR_PAPERS", 5)
    cache.clear()  # the anonymous page cache would answer the second visit without a query
    with django_assert_max_num_queries(15) as five:
        assert len(similar_ids(client.get("/papers/2503.00019").content.decode())) == 5

    assert len(five.captured_queries) == len(one.captured_queries)


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ("/papers", "/papers"),
        ("/papers/date/2025-03-14", "/papers/date/2025-03-14"),
        ("/papers/week/2025-W11", "/papers/week/2025-W11"),
        ("/papers/2503.00001", "/search"),
        ("/authors/Jonathan%20Ho", "/search"),
        ("/search?q=diffusion", "/search"),
    ],
)
def test_every_page_has_a_search_box_filtering_feeds_and_searching_elsewhere(client, path, action):
    html = client.get(path).content.decode()

    box = re.search(
        r'<form class="header-search" role="search" method="get" action="([^"]+)">', html
    )
    assert box and box.group(1) == action
    assert 'name="q"' in html


# -- the search feed ---------------------------------------------------------------------------


def search_feed(client, fmt: str = "rss", **params):
    import feedparser

    response = client.get(f"/feeds/search.{fmt}", params)
    parsed = feedparser.parse(response.content)
    return response, parsed


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_search_feed_lists_the_best_matches_newest_first_and_parses_cleanly(client, fmt):
    response, parsed = search_feed(client, fmt, q="diffusion", code="1")
    by_id = {spec.arxiv_id: spec for spec in SPECS}
    listed = [entry.link.rstrip("/").rsplit("/", 1)[-1] for entry in parsed.entries]

    assert response.status_code == 200 and not parsed.bozo, parsed.get("bozo_exception")
    assert listed and set(listed) <= {s.arxiv_id for s in SPECS if s.github}
    assert set(listed) == set(found(client, q="diffusion", code="1"))
    dates = [by_id[arxiv_id].published for arxiv_id in listed]
    assert dates == sorted(dates, reverse=True)
    assert "diffusion" in parsed.feed.title and "with code" in parsed.feed.title


def test_search_feed_carries_hostile_text_as_text(client):
    import xml.etree.ElementTree as ET

    response, parsed = search_feed(client, q="graph attention friends")
    item = ET.fromstring(response.content).find("channel/item")
    assert item is not None
    description_html = item.findtext("description") or ""  # the HTML the reader renders

    assert not parsed.bozo
    assert item.findtext("title", "").startswith(SCRIPT)  # the title is text, exactly as written
    assert "<img" not in description_html and "&lt;img src=x onerror" in description_html
    assert "<script>" not in description_html


@pytest.mark.parametrize(
    ("params", "message"),
    [({}, "needs q= or a filter"), ({"q": "x", "cat": SCRIPT}, "cat: The category")],
)
def test_a_search_feed_without_a_usable_search_is_a_400_saying_why(client, params, message):
    response = client.get("/feeds/search.rss", params)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_search_page_links_the_feed_of_its_search(client):
    _, html = search_page(client, q="diffusion", cat="cs.CV")

    assert 'rel="alternate" type="application/rss+xml"' in html
    assert 'href="/feeds/search.rss?q=diffusion&amp;cat=cs.CV"' in html
    assert 'href="/feeds/search.atom?q=diffusion&amp;cat=cs.CV"' in html
