"""Rank fusion: pure functions over (id, score) lists."""

from __future__ import annotations

import pytest

from dailypapers.search.fusion import FusionConfig, fuse, reciprocal_rank_fusion, weighted_fusion


def test_reciprocal_rank_fusion_rewards_agreement():
    fused = reciprocal_rank_fusion(
        [[(1, 9.0), (2, 8.0), (3, 7.0)], [(3, 0.9), (1, 0.8), (4, 0.1)]], k=60
    )

    assert [doc for doc, _ in fused] == [1, 3, 2, 4]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)


def test_weighted_fusion_scales_each_list_to_unit_range():
    fused = dict(weighted_fusion([(1, 20.0), (2, 10.0)], [(2, 0.9), (3, 0.5)], semantic_weight=0.5))

    assert fused == {1: pytest.approx(0.5), 2: pytest.approx(0.5), 3: pytest.approx(0.0)}


def test_weighted_fusion_weight_one_is_the_semantic_order():
    fused = weighted_fusion([(1, 5.0), (2, 1.0)], [(2, 0.9), (1, 0.1)], semantic_weight=1.0)

    assert [doc for doc, _ in fused] == [2, 1]


def test_fuse_with_one_empty_ranking_keeps_the_other():
    lexical = [(7, 3.0), (8, 2.0)]

    assert fuse(lexical, [], FusionConfig()) == lexical
    assert fuse([], lexical, FusionConfig(method="rrf")) == lexical
