"""Rank fusion: pure functions over (id, score) lists."""

from __future__ import annotations

import pytest

from dailypapers.search.fusion import (
    FusionConfig,
    fuse,
    reciprocal_rank_fusion,
    weighted_fusion,
    zscore_fusion,
)


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


def test_zscore_fusion_standardises_each_side_over_the_union():
    fused = dict(zscore_fusion([(1, 10.0), (2, 0.0)], [(1, 0.2), (2, 0.8)], semantic_weight=0.5))

    # Each side is +1/-1 after standardising: the two papers tie.
    assert fused[1] == pytest.approx(0.0) and fused[2] == pytest.approx(0.0)


def test_zscore_fusion_counts_a_paper_missing_from_the_lexical_list_as_no_word_match():
    fused = zscore_fusion([(1, 4.0), (2, 2.0)], [(3, 0.9), (1, 0.5), (2, 0.4)], semantic_weight=0.5)

    assert [doc for doc, _ in fused][0] == 1


def test_fuse_uses_the_topic_weight_for_topic_queries():
    lexical, semantic = [(1, 5.0), (2, 1.0)], [(2, 0.9), (1, 0.1)]
    config = FusionConfig(semantic_weight=1.0, topic_semantic_weight=0.0)

    assert [doc for doc, _ in fuse(lexical, semantic, config, "topic")] == [1, 2]
    assert [doc for doc, _ in fuse(lexical, semantic, config, "passage")] == [2, 1]
