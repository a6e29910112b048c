"""What a query scores with: the lexical ranking's definition, shared by both keyword backends.

A match's lexical score is a sum of BM25 scores (k1 1.2, b 0.75, idf ``ln(1 + (N - df + 0.5) /
(df + 0.5))``) over one field, ``body`` (title and abstract as one text, analysed by
``analyzers.english_analyzer``), for the ``ScoredTerm``s of the query:

* every token of the query's words and phrases is a term, weighted by how many times the query
  uses it: a plain BM25's query-term frequency. A question that says "retrieval" three times is
  about retrieval (dropping the repeats cost CISI 0.05 nDCG@10);
* every phrase of two tokens or more also scores as a phrase (tf = how often it occurs in order);
* in a ``topic`` query (two or three words, ``ParsedQuery.shape``) every two neighbouring words
  score as a phrase, so "speculative decoding" ranks papers about speculative decoding before
  papers that mention decoding and, elsewhere, speculation (hf_topics_dev +0.19 nDCG@10; longer
  queries lose by it, their neighbouring words are mostly not a phrase).

Nothing else scores: not a separate title field (a title boost won SciFact +0.005 and cost
hf_topics_dev 0.03), not author names (a word such as "long" or "song" then ranks papers by
authors named so first; names are searched with ``author:``). The tantivy index evaluates these
clauses natively; the PostgreSQL index evaluates the same formula in SQL over the same tokens.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import tantivy

from dailypapers.search.syntax import ParsedQuery

# BM25's parameters: tantivy's, fixed in its scorer; the PostgreSQL index uses the same.
K1 = 1.2
B = 0.75
PHRASE_WEIGHT = 1.0
"""A phrase in order counts once more, like its words counted again."""


@dataclass(frozen=True)
class ScoredTerm:
    tokens: tuple[tuple[int, str], ...]
    """(offset, token): one token is a term, several a phrase with these relative positions."""
    weight: float


def analyzed(analyzer: tantivy.TextAnalyzer, text: str) -> list[tuple[int, str]]:
    """(position, token) of ``text``: positions count removed stop words, so phrases keep gaps."""
    return [(token.position, token.text) for token in analyzer.pre_tokenize(text).tokens]


def _phrase(tokens: list[tuple[int, str]]) -> tuple[tuple[int, str], ...]:
    first = tokens[0][0]
    return tuple((position - first, text) for position, text in tokens)


def scored_terms(query: ParsedQuery, english: tantivy.TextAnalyzer) -> list[ScoredTerm]:
    """The query's terms and phrases with their weights, in a stable order (see the module)."""
    counts: Counter[str] = Counter()
    for part in (*query.words, *query.phrases):
        counts.update(text for _, text in analyzed(english, part))
    terms = [ScoredTerm(((0, text),), float(count)) for text, count in counts.items()]
    phrases: dict[tuple[tuple[int, str], ...], None] = {}
    for phrase in query.phrases:
        tokens = analyzed(english, phrase)
        if len(tokens) > 1:
            phrases[_phrase(tokens)] = None
    if query.shape == "topic":
        tokens = analyzed(english, query.free_text)
        for pair in zip(tokens, tokens[1:], strict=False):
            phrases[_phrase(list(pair))] = None
    return terms + [ScoredTerm(tokens, PHRASE_WEIGHT) for tokens in phrases]
