"""The query language parser: fields, phrases, and input that must degrade instead of failing."""

from __future__ import annotations

import pytest

from dailypapers.search.syntax import MAX_PARTS, MAX_QUERY_CHARS, parse_query


def test_parse_query_splits_words_phrases_and_fields():
    parsed = parse_query('diffusion "image synthesis" author:"Jonathan Ho" org:berkeley cat:CS.LG')

    assert parsed.words == ("diffusion",)
    assert parsed.phrases == ("image synthesis",)
    assert parsed.authors == ("Jonathan Ho",)
    assert parsed.organizations == ("berkeley",)
    assert parsed.categories == ("cs.lg",)
    assert parsed.free_text == "diffusion image synthesis"  # as typed, without the fields


def test_parse_query_field_names_are_case_insensitive():
    assert parse_query("AUTHOR:hinton").authors == ("hinton",)


def test_parse_query_unknown_field_is_plain_text():
    parsed = parse_query("title:transformers http://example.org")

    assert parsed.words == ("title:transformers", "http://example.org")
    assert not parsed.has_constraints


@pytest.mark.parametrize(
    "hostile",
    [
        '"unbalanced quote',
        'author:"Yann LeCun',
        "(((",
        ")))]]}}",
        "AND OR NOT",
        "title:",
        "author:",
        'author:""',
        '""',
        "\x00\x01\x07\x1b[31m red \x7f",
        "\u202e\u200b\u2066 rtl marks",
        "🦙 llama 模型 حاسوب",
        "a" * 10_000,
        "word " * 5_000,
        "*?~^!{}[]\\/:+-",
        None,
    ],
)
def test_parse_query_never_raises_on_hostile_input(hostile):
    parsed = parse_query(hostile)

    assert len(parsed.free_text) <= MAX_QUERY_CHARS
    assert len(parsed.words) + len(parsed.phrases) <= MAX_PARTS
    assert all(ch.isprintable() for ch in parsed.free_text)


def test_parse_query_unbalanced_quote_degrades_to_words():
    parsed = parse_query('"graph neural networks')

    assert parsed.phrases == ()
    assert parsed.words == ("graph", "neural", "networks")


def test_parse_query_notes_a_cut_query():
    assert parse_query("x" * 10_000).notes == (f"query cut to {MAX_QUERY_CHARS} characters",)
    assert parse_query("\x00 short").notes == ()


def test_parse_query_empty_is_empty():
    assert parse_query("   ").is_empty
    assert not parse_query("cat:cs").is_empty


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        ("speculative decoding", "topic"),
        ('"graph neural" networks', "topic"),
        ("transformers", "keywords"),
        ("retrieval augmented generation for long documents", "keywords"),
        (
            "Does speculative decoding make large language models answer faster on one GPU?",
            "passage",
        ),
        ("author:hinton cat:cs.LG", "keywords"),
    ],
)
def test_query_shape_counts_the_words_and_phrases(text, shape):
    assert parse_query(text).shape == shape


def test_phrases_are_required_except_in_a_passage():
    keywords = parse_query('"image synthesis" diffusion')
    passage = parse_query('how do "diffusion models" compare with GANs for image synthesis today')

    assert keywords.required_phrases == ("image synthesis",) and keywords.has_constraints
    assert passage.phrases == ("diffusion models",)
    assert passage.required_phrases == () and not passage.has_constraints
