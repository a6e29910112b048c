"""Fusion of a lexical and a semantic ranking into one: pure functions, ids and scores in.

The product fuses by z-scores (``zscore_fusion``): the candidates of either list carry their BM25
score (0 outside the lexical top) and their cosine (the engine reads it from the stored vector for
a lexical match the semantic list lacks), each is standardised over the candidates (mean 0,
deviation 1) and the two are added with a semantic weight that depends on the query's shape (``FusionConfig``):
0.5 (equal shares, nothing tuned) for keywords and passages, 0 for a two- or three-word topic,
whose embedding carries too little to rank by (MiniLM alone: hf_topics_dev nDCG@10 0.12 against
BM25's 0.44). Standardising uses the whole spread of both lists, where min-max scaling hangs on the
single best and worst score. Chosen by the worst of three development collections and checked
leaving each one out (docs/search.md). Reciprocal rank fusion and the min-max weighted sum stay
for comparison (``benchmarks/search_quality.py --sweep``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Ranking = Sequence[tuple[int, float]]


@dataclass(frozen=True)
class FusionConfig:
    method: Literal["zscore", "rrf", "weighted"] = "zscore"
    semantic_weight: float = 0.5
    """Share of the semantic score (the lexical one gets the rest)."""
    topic_semantic_weight: float = 0.0
    """The share for a ``topic`` query (two or three words, ``ParsedQuery.shape``)."""
    rrf_k: int = 60
    depth: int = 100
    """How many candidates each ranking contributes."""

    def weight_for(self, shape: str) -> float:
        return self.topic_semantic_weight if shape == "topic" else self.semantic_weight


def reciprocal_rank_fusion(
    rankings: Sequence[Ranking], *, k: int = 60, weights: Sequence[float] | None = None
) -> list[tuple[int, float]]:
    """Sum over rankings of weight / (k + rank), rank counted from 1; best first, ties by id."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, (doc_id, _) in enumerate(ranking, start=1):
            scores[doc_id] = scores.get(doc_id, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def _min_max(ranking: Ranking) -> dict[int, float]:
    if not ranking:
        return {}
    values = [score for _, score in ranking]
    low, high = min(values), max(values)
    if high - low <= 1e-12:
        return {doc_id: 1.0 for doc_id, _ in ranking}
    return {doc_id: (score - low) / (high - low) for doc_id, score in ranking}


def weighted_fusion(
    lexical: Ranking, semantic: Ranking, *, semantic_weight: float
) -> list[tuple[int, float]]:
    """(1 - w) * lexical + w * semantic, each min-max scaled to [0, 1]; a missing score counts 0."""
    lex, sem = _min_max(lexical), _min_max(semantic)
    scores = {
        doc_id: (1.0 - semantic_weight) * lex.get(doc_id, 0.0)
        + semantic_weight * sem.get(doc_id, 0.0)
        for doc_id in lex.keys() | sem.keys()
    }
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def _standardised(values: dict[int, float], ids: Sequence[int], missing: float) -> list[float]:
    column = [values.get(doc_id, missing) for doc_id in ids]
    mean = sum(column) / len(column)
    deviation = math.sqrt(sum((x - mean) ** 2 for x in column) / len(column))
    return [(x - mean) / deviation if deviation > 1e-12 else 0.0 for x in column]


def zscore_fusion(
    lexical: Ranking, semantic: Ranking, *, semantic_weight: float
) -> list[tuple[int, float]]:
    """(1 - w) * z(lexical) + w * z(semantic) over the union of both lists.

    z standardises over the union; a candidate missing from ``lexical`` scores 0 there (no word
    of the query), one missing from ``semantic`` (no vector) the lowest cosine given.
    """
    lex, sem = dict(lexical), dict(semantic)
    ids = sorted(lex.keys() | sem.keys())
    if not ids:
        return []
    lexical_z = _standardised(lex, ids, 0.0)
    semantic_z = _standardised(sem, ids, min(sem.values(), default=0.0))
    scores = {
        doc_id: (1.0 - semantic_weight) * lz + semantic_weight * sz
        for doc_id, lz, sz in zip(ids, lexical_z, semantic_z, strict=True)
    }
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def fuse(
    lexical: Ranking, semantic: Ranking, config: FusionConfig, shape: str = "keywords"
) -> list[tuple[int, float]]:
    if not semantic:
        return list(lexical)
    if not lexical:
        return list(semantic)
    weight = config.weight_for(shape)
    if config.method == "rrf":
        return reciprocal_rank_fusion(
            [lexical, semantic], k=config.rrf_k, weights=[1.0 - weight, weight]
        )
    if config.method == "weighted":
        return weighted_fusion(lexical, semantic, semantic_weight=weight)
    return zscore_fusion(lexical, semantic, semantic_weight=weight)
