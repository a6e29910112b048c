"""The search engine over plain documents: ranking, fields, phrases, filters, snippets, hostile input."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from dailypapers.search.interfaces import SearchFilters
from dailypapers.search.syntax import parse_query


def ids(results) -> list[int]:
    return [hit.doc_id for hit in results.hits]


def test_search_ranks_the_paper_about_the_words_first(engine):
    results = engine.search(parse_query("transformer attention mechanisms"), mode="bm25")

    assert ids(results)[0] == 1


def test_search_matches_stemmed_forms(engine):
    assert ids(engine.search(parse_query("denoise diffusions"), mode="bm25")) == [2]


def test_search_matches_accented_words_without_accents(engine):
    assert ids(engine.search(parse_query("naive cafe"), mode="bm25")) == [3]


def test_search_hybrid_finds_a_paraphrase_with_no_shared_word(engine):
    results = engine.search(parse_query("generating pictures"), mode="hybrid")

    assert results.hits, "the embedding should connect 'generating pictures' to image synthesis"
    assert ids(results)[0] == 2


def test_phrase_must_appear_in_order(engine):
    assert ids(engine.search(parse_query('"image synthesis"'))) == [2]
    assert ids(engine.search(parse_query('"synthesis image"'))) == []


def test_phrase_with_stop_words_keeps_positions(engine):
    assert ids(engine.search(parse_query('"state of the art"'))) == [3]


def test_author_field_matches_whole_names_not_across_authors(engine):
    assert ids(engine.search(parse_query('author:"Jonathan Ho"'))) == [2]
    assert ids(engine.search(parse_query("author:mnih"))) == [5]
    # "Ho" ends one name and "Ajay" starts the next: not a name on the paper.
    assert ids(engine.search(parse_query('author:"Ho Ajay"'))) == []


def test_author_field_folds_accents(engine):
    assert ids(engine.search(parse_query("author:zoe"))) == [3]


def test_org_and_cat_fields_filter(engine):
    assert ids(engine.search(parse_query('org:"Google DeepMind"'))) == [5]
    assert ids(engine.search(parse_query("cat:cs.cv"))) == [4]
    assert sorted(ids(engine.search(parse_query("cat:stat")))) == [2]


def test_field_filters_also_apply_to_semantic_neighbours(engine):
    results = engine.search(parse_query("neural networks cat:cs.CV"), mode="hybrid")

    assert ids(results) == [4]


def test_constraint_only_query_lists_newest_first(engine):
    results = engine.search(parse_query("cat:cs.lg"))

    assert ids(results) == [2, 1, 5]
    assert results.sort == "newest"


def test_sort_oldest_and_newest(engine):
    query = parse_query("networks")

    assert ids(engine.search(query, sort="newest")) == [1, 4]
    assert ids(engine.search(query, sort="oldest")) == [4, 1]


def test_published_filter(engine):
    filters = SearchFilters(published_from=dt.datetime(2016, 1, 1, tzinfo=dt.UTC))

    assert set(
        ids(engine.search(parse_query("networks learning models"), filters, mode="bm25"))
    ) == {1, 2}


def test_category_filter_accepts_archives(engine):
    results = engine.search(
        parse_query("models networks"), SearchFilters(categories=("cs.CV", "stat")), mode="bm25"
    )

    assert sorted(ids(results)) == [2, 4]


def test_pagination_does_not_repeat_hits(engine):
    query = parse_query("learning networks models deep")
    first = ids(engine.search(query, limit=2, offset=0))
    second = ids(engine.search(query, limit=2, offset=2))

    assert len(first) == 2 and second and not set(first) & set(second)


@pytest.mark.parametrize(
    "hostile",
    [
        '"unbalanced',
        "(((",
        "AND OR NOT",
        "a" * 10_240,
        "\x00\x1b[2J\x7f",
        "🦙 模型 \u202e",
        'author:"',
        "cat:",
        "*:* OR 1=1; DROP TABLE papers",
        "title:(a OR b)^3 ~2",
    ],
)
@pytest.mark.parametrize("mode", ["bm25", "semantic", "hybrid"])
def test_hostile_queries_return_results_or_nothing_but_never_raise(engine, hostile, mode):
    results = engine.search(parse_query(hostile), mode=mode)

    assert isinstance(results.hits, list)


def test_stop_words_and_punctuation_alone_match_nothing(engine):
    assert engine.search(parse_query("AND OR NOT")).hits == []
    assert engine.search(parse_query("((( )))")).hits == []


def test_highlight_marks_matches_and_escapes_html(tmp_path):
    from dailypapers.search.engine import SearchEngine
    from dailypapers.search.tantivy_index import TantivyKeywordIndex
    from tests.search.conftest import doc

    keyword = SearchEngine(TantivyKeywordIndex(tmp_path / "k"), None)
    keyword.index(
        [doc(1, "<script>alert(1)</script> Transformers", "Plain <b>bold</b> & transformers win.")]
    )
    keyword.commit()

    highlight = keyword.highlight([1], parse_query("transformer"))[1]

    assert highlight.title_html == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Transformers</mark>"
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; <mark>transformers</mark>" in highlight.snippet_html
    assert "<script>" not in highlight.snippet_html


def test_highlight_handles_non_ascii_offsets(engine):
    highlight = engine.highlight([3], parse_query("naive cafe reviews"))[3]

    assert (
        highlight.title_html
        == "<mark>Naïve</mark> Bayes for <mark>café</mark> <mark>reviews</mark>: the state of the art"
    )
    assert "<mark>naive</mark>" in highlight.snippet_html


def test_highlight_without_a_match_shows_the_start_of_the_abstract(engine):
    highlight = engine.highlight([4], parse_query("zzzz"))[4]

    assert highlight.snippet_html.startswith("Deeper neural networks")
    assert "<mark>" not in highlight.snippet_html


def test_similar_excludes_the_document_itself(engine):
    similar = engine.similar(2, 3)

    assert len(similar) == 3
    assert 2 not in [doc_id for doc_id, _ in similar]
    assert [score for _, score in similar] == sorted((score for _, score in similar), reverse=True)


def test_reindexing_a_document_replaces_it(engine):
    from tests.search.conftest import doc

    engine.index([doc(4, "Residual networks revisited", "Now about gardening and tomatoes.")])
    engine.commit()

    assert ids(engine.search(parse_query("tomatoes"), mode="bm25")) == [4]
    assert ids(engine.search(parse_query('"residual learning framework"'))) == []
    assert len(engine.keyword) == 5 and len(engine.vectors) == 5


def test_deleted_documents_disappear_from_both_indexes(engine):
    engine.delete([1])
    engine.commit()

    assert 1 not in ids(engine.search(parse_query("transformer attention"), mode="hybrid"))
    assert engine.similar(1, 3) == []
    assert 1 not in [doc_id for doc_id, _ in engine.similar(2, 4)]


def test_a_commit_by_another_handle_is_visible_at_the_next_search(tmp_path):
    from dailypapers.search.tantivy_index import TantivyKeywordIndex
    from tests.search.conftest import doc

    reader = TantivyKeywordIndex(tmp_path / "k")
    writer = TantivyKeywordIndex(tmp_path / "k")
    assert len(reader) == 0

    writer.upsert([doc(1, "Mixture of experts routing")])
    writer.commit()

    assert reader.search(parse_query("experts"), SearchFilters(), limit=5).hits[0][0] == 1


def engine_without_a_model(tmp_path):
    """The corpus with (random) stored vectors, and an embedder that is not installed."""
    from dailypapers.search.embedder import EmbedderUnavailable
    from dailypapers.search.engine import SearchEngine
    from dailypapers.search.hnsw_index import HnswVectorIndex
    from dailypapers.search.tantivy_index import TantivyKeywordIndex
    from tests.search.conftest import CORPUS

    def no_model():
        raise EmbedderUnavailable("the embedding model is not installed")

    engine = SearchEngine(
        TantivyKeywordIndex(tmp_path / "k"), HnswVectorIndex(tmp_path / "v"), embedder=no_model
    )
    engine.keyword.upsert(CORPUS)
    vectors = np.random.default_rng(0).normal(size=(len(CORPUS), 384)).astype(np.float32)
    engine.vectors.upsert(
        [d.doc_id for d in CORPUS], vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    )
    engine.commit()
    return engine


def test_missing_model_degrades_hybrid_search_to_keywords_with_a_note(tmp_path):
    engine = engine_without_a_model(tmp_path)

    results = engine.search(parse_query("diffusion"), mode="hybrid")

    assert ids(results) == [2] and results.mode == "bm25"
    assert "not available" in results.notes[0]


def test_words_beside_a_filter_still_need_a_match(engine):
    in_category = SearchFilters(categories=("cs.LG",))

    assert ids(engine.search(parse_query("zzyzx"), in_category, mode="bm25")) == []
    assert ids(engine.search(parse_query("cat:cs.lg zzyzx"), mode="bm25")) == []
    assert ids(engine.search(parse_query("atari zzyzx"), in_category, mode="bm25")) == [5]


def test_has_code_filter_reaches_a_match_ranked_below_hundreds_of_others(tmp_path):
    from dailypapers.search.engine import SearchEngine
    from dailypapers.search.hnsw_index import HnswVectorIndex
    from dailypapers.search.tantivy_index import TantivyKeywordIndex
    from tests.search.conftest import doc

    many = [doc(i, f"Diffusion diffusion diffusion study {i}", "diffusion") for i in range(1, 301)]
    with_code = doc(999, "A note", "We mention diffusion once among other words.", has_code=True)
    engine = SearchEngine(
        TantivyKeywordIndex(tmp_path / "keyword"), HnswVectorIndex(tmp_path / "vectors")
    )
    engine.index([*many, with_code])
    engine.commit()

    everything = engine.search(parse_query("diffusion"), mode="bm25", limit=100)
    only_code = engine.search(parse_query("diffusion"), SearchFilters(has_code=True))

    assert 999 not in ids(everything) and everything.total == 301
    assert ids(only_code) == [999] and only_code.total == 1


# -- rank_among: ranking a given set of papers (a period's), for one or several queries -----------


@pytest.mark.parametrize("mode", ["bm25", "semantic", "hybrid"])
@pytest.mark.parametrize(
    "text", ["deep learning networks", "image synthesis", '"residual learning" networks']
)
def test_rank_among_every_paper_ranks_as_search_ranks(engine, text, mode):
    query = parse_query(text)
    whole = engine.search(query, mode=mode, limit=100)

    [among] = engine.rank_among([query], [1, 2, 3, 4, 5], mode=mode)

    assert ids(among) == ids(whole) and among.mode == whole.mode == mode
    assert [hit.score for hit in among.hits] == pytest.approx(
        [hit.score for hit in whole.hits], abs=1e-5
    )


def test_rank_among_keeps_only_the_candidates_and_their_constraints(engine):
    networks, cv_only, diffusion = engine.rank_among(
        [parse_query("deep networks"), parse_query("networks cat:cs.CV"), parse_query("diffusion")],
        [4, 5],
        mode="hybrid",
    )

    assert set(ids(networks)) <= {4, 5} and ids(networks)[0] in {4, 5} and networks.total == 2
    assert ids(cv_only) == [4]
    # Paper 2 is the one about diffusion, but it is not a candidate.
    assert 2 not in ids(diffusion)


def test_rank_among_a_query_without_words_ranks_by_its_constraints_or_by_date(engine):
    query = parse_query("cat:cs.lg")

    [by_score] = engine.rank_among([query], [1, 2, 3, 4, 5], mode="bm25")
    [newest] = engine.rank_among([query], [1, 2, 3, 4, 5], mode="bm25", sort="newest")

    assert set(ids(by_score)) == {1, 2, 5} and by_score.sort == "relevance"
    assert ids(newest) == [2, 1, 5]


def test_rank_among_reaches_a_candidate_ranked_below_hundreds_of_others(tmp_path):
    from dailypapers.search.engine import SearchEngine
    from dailypapers.search.tantivy_index import TantivyKeywordIndex
    from tests.search.conftest import doc

    many = [doc(i, f"Diffusion diffusion diffusion study {i}", "diffusion") for i in range(1, 1301)]
    quiet = doc(9999, "A note", "We mention diffusion once among many other words of this note.")
    engine = SearchEngine(TantivyKeywordIndex(tmp_path / "keyword"), None)
    engine.index([*many, quiet])
    engine.commit()
    query = parse_query("diffusion")
    whole = engine.search(query, mode="bm25", limit=1301)

    [among] = engine.rank_among([query], [9999, 7, 1300], mode="bm25")

    assert ids(whole)[-1] == 9999 and whole.total == 1301
    assert ids(among) == [i for i in ids(whole) if i in {9999, 7, 1300}]
    assert among.hits[-1].score == whole.hits[-1].score


def test_rank_among_without_a_model_ranks_by_keywords_with_a_note(tmp_path):
    engine = engine_without_a_model(tmp_path)

    [results] = engine.rank_among([parse_query("diffusion")], [1, 2, 3], mode="hybrid")

    assert ids(results) == [2] and results.mode == "bm25"
    assert "not available" in results.notes[0]


def test_candidates_read_their_vectors_once_with_zero_rows_for_the_unindexed(engine):
    candidates = engine.candidates([2, 404, 4])

    matrix = candidates.matrix

    assert matrix is not None and matrix.shape == (3, 384)
    assert np.array_equal(matrix[0], engine.vectors.vector(2))
    assert not matrix[1].any()
    assert candidates.matrix is matrix


def test_best_matches_keeps_each_papers_best_score_and_the_query_that_gave_it():
    from dailypapers.search.engine import EngineHit, Match, best_matches

    first = [EngineHit(1, 0.9), EngineHit(2, 0.5), EngineHit(3, 0.4)]
    second = [EngineHit(2, 0.8), EngineHit(1, 0.9), EngineHit(4, 0.3)]

    assert best_matches([first, second]) == [
        Match(1, 0.9, 0),  # a tie goes to the earlier query
        Match(2, 0.8, 1),
        Match(3, 0.4, 0),
        Match(4, 0.3, 1),
    ]
    assert best_matches([first, second], depth=1) == [Match(1, 0.9, 0), Match(2, 0.8, 1)]


# -- the ranking's rules (scoring.py), on both backends ------------------------------------------


def _add(engine, *documents) -> None:
    engine.index(list(documents), np.ones((len(documents), 384), np.float32) / np.sqrt(384))
    engine.commit()


def test_topic_phrase_finds_papers_using_it_as_a_phrase_before_papers_using_its_words_apart(
    engine,
):
    from tests.search.conftest import doc

    _add(
        engine,
        doc(40, "Faster language models", "We study speculative decoding for language models."),
        doc(41, "Decoding", "Speculative execution helps decoding; speculative methods decode."),
    )

    hits = ids(engine.search(parse_query("speculative decoding"), mode="bm25"))

    assert hits[:2] == [40, 41]


def test_a_word_the_query_repeats_weighs_more(engine):
    from tests.search.conftest import doc

    _add(
        engine,
        doc(50, "Retrieval of library records", "Catalogues."),
        doc(51, "Indexing of library records", "Catalogues."),
        doc(52, "Retrieval", "Catalogues of other things entirely, for comparison."),
    )
    # "indexing" is the rarer word, so it wins when each word counts once; said twice,
    # "retrieval" is what the question is about.
    assert ids(engine.search(parse_query("indexing retrieval"), mode="bm25"))[0] == 51
    assert ids(engine.search(parse_query("retrieval indexing retrieval"), mode="bm25"))[0] == 50


def test_quotes_in_a_passage_quote_instead_of_removing_papers(engine):
    short = parse_query('"zebra" diffusion')
    passage = parse_query(
        'which papers present "zebra" image synthesis results with diffusion probabilistic models'
    )

    assert ids(engine.search(short, mode="bm25")) == []
    assert ids(engine.search(passage, mode="bm25"))[0] == 2


def test_words_do_not_match_author_names(engine):
    # "Mnih" is only an author of paper 5: names are searched with author:, so an ordinary
    # word ("long", "song") never ranks papers by authors called so.
    assert ids(engine.search(parse_query("mnih"), mode="bm25")) == []
    assert ids(engine.search(parse_query("author:mnih"), mode="bm25")) == [5]


def test_hybrid_gives_a_lexical_match_its_cosine_even_beyond_the_semantic_list(engine):
    results = engine.search(parse_query("residual learning framework"), mode="hybrid")

    assert ids(results)[0] == 4
    assert all(hit.score == hit.score for hit in results.hits)  # no NaN from the standardising
