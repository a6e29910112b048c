"""Fusion of a lexical and a semantic ranking into one: pure functions, ids and scores in.

Two methods, both tuned on the SciFact train split with ``benchmarks/search_quality.py --sweep``:
reciprocal rank fusion (ranks only) and a weighted sum of min-max normalised scores (uses how far
apart the scores are, which ranks throw away). ``DEFAULT_FUSION`` holds the winner.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Ranking = Sequence[tuple[int, float]]


@dataclass(frozen=True)
class FusionConfig:
    method: Literal["rrf", "weighted"] = "weighted"
    semantic_weight: float = 0.4
    """Weighted sum: share of the semantic score (the lexical one gets the rest)."""
    rrf_k: int = 60
    depth: int = 100
    """How many candidates each ranking contributes."""


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


def fuse(lexical: Ranking, semantic: Ranking, config: FusionConfig) -> list[tuple[int, float]]:
    if not semantic:
        return list(lexical)
    if not lexical:
        return list(semantic)
    if config.method == "rrf":
        return reciprocal_rank_fusion(
            [lexical, semantic],
            k=config.rrf_k,
            weights=[1.0 - config.semantic_weight, config.semantic_weight],
        )
    return weighted_fusion(lexical, semantic, semantic_weight=config.semantic_weight)
