"""The trending score as pure functions: decay, time invariance, imported lumps, stars, vectors."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from dailypapers.ranking import trending

NOW = dt.datetime(2026, 3, 14, 12, tzinfo=dt.UTC)
H = 24.0


def hours_ago(hours: float) -> dt.datetime:
    return NOW - dt.timedelta(hours=hours)


def test_trending_score_decays_with_age():
    fresh = trending.score(
        [hours_ago(1)] * 10, imported_upvotes=0, feed_time=None, half_life_hours=H
    )
    old = trending.score(
        [hours_ago(49)] * 10, imported_upvotes=0, feed_time=None, half_life_hours=H
    )

    assert trending.heat(fresh, NOW, H) == pytest.approx(10 * 2 ** (-1 / 24))
    assert trending.heat(old, NOW, H) == pytest.approx(10 * 2 ** (-49 / 24))
    assert old < fresh


def test_a_vote_loses_half_its_weight_every_half_life():
    one = trending.score([hours_ago(0)], imported_upvotes=0, feed_time=None, half_life_hours=H)

    assert trending.heat(one, NOW, H) == pytest.approx(1.0)
    assert trending.heat(one, NOW + dt.timedelta(hours=24), H) == pytest.approx(0.5)
    assert trending.heat(one, NOW + dt.timedelta(hours=72), H) == pytest.approx(0.125)


def test_ranking_by_score_is_the_same_at_every_moment():
    many_old = trending.score(
        [hours_ago(50)] * 40, imported_upvotes=0, feed_time=None, half_life_hours=H
    )
    few_new = trending.score(
        [hours_ago(2)] * 12, imported_upvotes=0, feed_time=None, half_life_hours=H
    )

    for later in (0, 5, 100, 10_000):
        moment = NOW + dt.timedelta(hours=later)
        hot_new, hot_old = trending.heat(few_new, moment, H), trending.heat(many_old, moment, H)
        assert (hot_new > hot_old) == (few_new > many_old)
    assert few_new > many_old  # 12 * 2^(-2/24) = 11.3 beats 40 * 2^(-50/24) = 9.4


def test_more_votes_at_the_same_time_score_higher():
    assert trending.score(
        [NOW] * 3, imported_upvotes=0, feed_time=None, half_life_hours=H
    ) > trending.score([NOW] * 2, imported_upvotes=0, feed_time=None, half_life_hours=H)


def test_imported_upvotes_count_as_one_lump_at_the_feed_time():
    lump = trending.score([], imported_upvotes=30, feed_time=hours_ago(24), half_life_hours=H)
    spread = trending.score(
        [hours_ago(24)] * 30, imported_upvotes=0, feed_time=None, half_life_hours=H
    )

    assert lump == pytest.approx(spread)
    assert trending.heat(lump, NOW, H) == pytest.approx(15.0)


def test_imported_upvotes_without_a_feed_time_do_not_count():
    assert trending.score([], imported_upvotes=30, feed_time=None, half_life_hours=H) is None


def test_no_votes_and_no_stars_means_no_score():
    assert trending.score([], imported_upvotes=0, feed_time=hours_ago(1), half_life_hours=H) is None
    assert trending.heat(None, NOW, H) == 0.0


def test_scores_far_from_the_epoch_neither_overflow_nor_lose_order():
    far = dt.datetime(2400, 1, 1, tzinfo=dt.UTC)
    two = trending.score([far, far], imported_upvotes=0, feed_time=None, half_life_hours=1)
    one = trending.score([far], imported_upvotes=0, feed_time=None, half_life_hours=1)

    assert math.isfinite(two) and two > one
    assert trending.heat(two, far, 1) == pytest.approx(2.0)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        trending.hours_since_epoch(dt.datetime(2026, 1, 1))


@pytest.mark.parametrize("half_life", [0, -1.0])
def test_a_non_positive_half_life_is_refused(half_life):
    with pytest.raises(ValueError, match="half-life"):
        trending.event_log(NOW, 1, half_life)


def test_first_star_observation_is_only_a_baseline():
    star_log, seen = trending.add_star_growth(None, None, 5000, NOW, H)

    assert (star_log, seen) == (None, 5000)


def test_stars_gained_count_a_tenth_of_a_vote_each_when_observed():
    star_log, seen = trending.add_star_growth(None, 100, 150, NOW, H)

    assert seen == 150
    assert trending.heat(star_log, NOW, H) == pytest.approx(50 * trending.STAR_WEIGHT)


def test_star_growth_accumulates_and_ignores_no_change():
    first, _ = trending.add_star_growth(None, 100, 120, hours_ago(24), H)
    second, seen = trending.add_star_growth(first, 120, 140, NOW, H)
    unchanged, still = trending.add_star_growth(second, 140, 140, NOW, H)

    assert trending.heat(second, NOW, H) == pytest.approx(20 * 0.1 / 2 + 20 * 0.1)
    assert (unchanged, still) == (second, seen)


def test_stars_count_with_votes_in_the_score():
    star_log, _ = trending.add_star_growth(None, 0, 100, NOW, H)
    with_stars = trending.score(
        [NOW], imported_upvotes=0, feed_time=None, star_log=star_log, half_life_hours=H
    )

    assert trending.heat(with_stars, NOW, H) == pytest.approx(1 + 10)


def test_grouped_scores_match_the_scalar_function():
    rng = np.random.default_rng(7)
    groups = rng.integers(0, 50, size=2000)
    ages = rng.uniform(0, 500, size=2000)
    logs = np.array([trending.event_log(hours_ago(a), 1, H) for a in ages])

    result = trending.grouped_score_logs(groups, logs, 60)

    for g in range(60):
        expected = trending.combine_logs(logs[groups == g].tolist())
        if expected is None:
            assert result[g] == -np.inf
        else:
            assert result[g] == pytest.approx(expected)


def test_grouped_scores_of_nothing_are_all_minus_infinity():
    result = trending.grouped_score_logs(np.array([], dtype=int), np.array([]), 3)

    assert list(result) == [-np.inf] * 3


def test_explanation_names_votes_imports_age_and_stars():
    score_log = trending.score(
        [hours_ago(3)], imported_upvotes=12, feed_time=hours_ago(48), half_life_hours=H
    )

    why = trending.explain(
        score_log=score_log,
        now=NOW,
        half_life_hours=H,
        recent_local_votes=1,
        local_votes=4,
        imported_upvotes=12,
        feed_date=dt.date(2026, 3, 12),
        stars=1300,
        stars_first_seen=1200,
    )

    assert why.heat == pytest.approx(2 ** (-3 / 24) + 12 / 4)
    assert why.parts == [
        "1 upvote here in the last 7 days (4 in all)",
        "12 imported upvotes, counted on Mar 12, 2026",
        "2 days old",
        "+100 GitHub stars since first seen",
    ]
