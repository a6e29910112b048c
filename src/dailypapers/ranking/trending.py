"""The trending score: pure functions, no database (votes and times in, score out).

A paper's *heat* at time ``now`` is the sum of its votes, each weighted by how long ago it was cast:
a vote's weight halves every ``half_life_hours``::

    heat(now) = sum over votes v of  weight_v * 2 ** (-(now - t_v) / half_life)

* local votes (cast on this site) have their own timestamps and weight 1;
* imported upvotes are an upstream snapshot without timestamps: they count as one lump at the
  paper's feed date (the time it entered the daily list), weight = the imported count;
* GitHub stars count where their growth is known: stars gained between two observations count
  ``STAR_WEIGHT`` each, at the time the gain was observed (the first observation is a baseline).

Because the decay is exponential, ``heat(now) = 2 ** (score - hours(now) / half_life)`` where::

    score = log2( sum over votes v of  weight_v * 2 ** (hours(t_v) / half_life) )

does not depend on ``now``. Ranking by ``score`` is therefore ranking by heat at *any* moment: a
stored score never goes stale while no new vote arrives, and is recomputed only when a paper's
inputs change. Scores are kept as base-2 logarithms (log-sum-exp), so they never overflow however
far the clock runs from the epoch. docs/trending.md explains the choice.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
DEFAULT_HALF_LIFE_HOURS = 48.0
# Ten new GitHub stars count as much as one upvote at the same moment.
STAR_WEIGHT = 0.1
# "Recent" in explanations: local votes of the last week.
RECENT_DAYS = 7


def hours_since_epoch(at: dt.datetime) -> float:
    if at.tzinfo is None:
        raise ValueError("trending needs timezone-aware datetimes")
    return (at - EPOCH).total_seconds() / 3600.0


def event_log(at: dt.datetime, weight: float, half_life_hours: float) -> float:
    """log2 of one event's contribution to the time-invariant sum (``weight`` votes at ``at``)."""
    if weight <= 0:
        raise ValueError(f"an event needs a positive weight, got {weight}")
    _check_half_life(half_life_hours)
    return math.log2(weight) + hours_since_epoch(at) / half_life_hours


def combine_logs(logs: Iterable[float | None]) -> float | None:
    """log2(sum of 2**x): the score of several events or parts. None when there is nothing."""
    values = [x for x in logs if x is not None]
    if not values:
        return None
    top = max(values)
    return top + math.log2(sum(2.0 ** (x - top) for x in values))


def score(
    local_vote_times: Iterable[dt.datetime],
    *,
    imported_upvotes: int,
    feed_time: dt.datetime | None,
    star_log: float | None = None,
    half_life_hours: float = DEFAULT_HALF_LIFE_HOURS,
) -> float | None:
    """The time-invariant trending score of one paper; None when it has no votes and no stars."""
    logs: list[float | None] = [event_log(t, 1.0, half_life_hours) for t in local_vote_times]
    if imported_upvotes > 0 and feed_time is not None:
        logs.append(event_log(feed_time, imported_upvotes, half_life_hours))
    logs.append(star_log)
    return combine_logs(logs)


def heat(score_log: float | None, now: dt.datetime, half_life_hours: float) -> float:
    """How many fresh upvotes the paper's decayed votes are worth at ``now`` (0 without a score)."""
    if score_log is None:
        return 0.0
    _check_half_life(half_life_hours)
    exponent = score_log - hours_since_epoch(now) / half_life_hours
    return 2.0**exponent if exponent < 1000 else math.inf


def add_star_growth(
    star_log: float | None,
    stars_seen: int | None,
    stars_now: int | None,
    now: dt.datetime,
    half_life_hours: float,
) -> tuple[float | None, int | None]:
    """Fold stars gained since the last observation into ``star_log``.

    Returns the new ``(star_log, stars_seen)``. The first observation only sets the baseline: a
    repository that already had 5,000 stars when we first saw it has not *gained* them now.
    Stars never count down (upstream snapshots keep the largest value seen).
    """
    if stars_now is None:
        return star_log, stars_seen
    if stars_seen is None:
        return star_log, stars_now
    gained = stars_now - stars_seen
    if gained <= 0:
        return star_log, stars_seen
    gain_log = event_log(now, gained * STAR_WEIGHT, half_life_hours)
    return combine_logs([star_log, gain_log]), stars_now


def grouped_score_logs(groups: np.ndarray, logs: np.ndarray, group_count: int) -> np.ndarray:
    """Vectorized ``combine_logs`` per group: ``result[g]`` = log2(sum of 2**logs[groups == g]).

    ``groups`` are integers in ``[0, group_count)``; groups without events get ``-inf``. Used by the
    full recompute (a million votes take well under a second).
    """
    result = np.full(group_count, -np.inf)
    if len(logs) == 0:
        return result
    order = np.argsort(groups, kind="stable")
    groups, logs = groups[order], logs[order]
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    tops = np.maximum.reduceat(logs, starts)
    sizes = np.diff(np.r_[starts, len(logs)])
    sums = np.add.reduceat(np.exp2(logs - np.repeat(tops, sizes)), starts)
    result[groups[starts]] = tops + np.log2(sums)
    return result


def _check_half_life(half_life_hours: float) -> None:
    if not half_life_hours > 0:
        raise ValueError(f"the half-life must be positive, got {half_life_hours}")


@dataclass(frozen=True)
class Explanation:
    """Why a paper is on the trending page, in numbers a reader can check."""

    heat: float
    recent_local_votes: int
    local_votes: int
    imported_upvotes: int
    feed_date: dt.date | None
    age_days: int | None
    stars: int | None
    stars_gained: int

    @property
    def parts(self) -> list[str]:
        parts = []
        if self.recent_local_votes or self.local_votes:
            parts.append(
                f"{self.recent_local_votes} upvote{'s' if self.recent_local_votes != 1 else ''} "
                f"here in the last {RECENT_DAYS} days ({self.local_votes} in all)"
            )
        if self.imported_upvotes:
            when = f" on {self.feed_date:%b %-d, %Y}" if self.feed_date else ""
            parts.append(f"{self.imported_upvotes} imported upvotes, counted{when}")
        if self.age_days is not None:
            parts.append(
                "in the daily list today"
                if self.age_days == 0
                else f"{self.age_days} day{'s' if self.age_days != 1 else ''} old"
            )
        if self.stars_gained:
            parts.append(f"+{self.stars_gained:,} GitHub stars since first seen")
        return parts


def explain(
    *,
    score_log: float | None,
    now: dt.datetime,
    half_life_hours: float,
    recent_local_votes: int,
    local_votes: int,
    imported_upvotes: int,
    feed_date: dt.date | None,
    stars: int | None,
    stars_first_seen: int | None,
) -> Explanation:
    gained = (stars - stars_first_seen) if stars is not None and stars_first_seen is not None else 0
    return Explanation(
        heat=heat(score_log, now, half_life_hours),
        recent_local_votes=recent_local_votes,
        local_votes=local_votes,
        imported_upvotes=imported_upvotes,
        feed_date=feed_date,
        age_days=max(0, (now.date() - feed_date).days) if feed_date else None,
        stars=stars,
        stars_gained=max(0, gained),
    )
