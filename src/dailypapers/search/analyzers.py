"""The text analysis of the tantivy keyword index, shared with the highlighter.

``english_analyzer`` (lowercase, ASCII folding, English stop words, Snowball stemming) reads titles
and abstracts; ``name_analyzer`` (no stop words, no stemming, so ``author:hinton`` does not match
"Hint") reads author and organization names. The highlighter marks the words whose English stem
a query contains, with the very analyzer that matched them in the index, so a marked word is one
that counted. Long tokens (over 40 characters: base64, URLs, DNA strings) are dropped by both.
"""

from __future__ import annotations

import tantivy
from tantivy import Filter, TextAnalyzerBuilder, Tokenizer

MAX_TOKEN_CHARS = 40


def english_analyzer() -> tantivy.TextAnalyzer:
    return (
        TextAnalyzerBuilder(Tokenizer.simple())
        .filter(Filter.remove_long(MAX_TOKEN_CHARS))
        .filter(Filter.lowercase())
        .filter(Filter.ascii_fold())
        .filter(Filter.stopword("english"))
        .filter(Filter.stemmer("english"))
        .build()
    )


def name_analyzer() -> tantivy.TextAnalyzer:
    return (
        TextAnalyzerBuilder(Tokenizer.simple())
        .filter(Filter.remove_long(MAX_TOKEN_CHARS))
        .filter(Filter.lowercase())
        .filter(Filter.ascii_fold())
        .build()
    )
