"""Trending topics: which topics are unusually frequent now compared with before."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

__all__ = ["rank_trending"]

MIN_SUPPORT: Final = 2  # a topic needs at least this many mentions now to trend


def _xlogx_ratio(k: float, e: float) -> float:
    return k * math.log(k / e) if k > 0 and e > 0 else 0.0


def g_statistic(a: int, b: int, n1: int, n2: int) -> float:
    """Dunning's log-likelihood ratio G^2 for count ``a`` of ``n1`` vs ``b`` of ``n2``."""
    total = n1 + n2
    if total <= 0:
        return 0.0
    k = a + b
    cells = (
        (a, n1 * k / total),
        (n1 - a, n1 * (total - k) / total),
        (b, n2 * k / total),
        (n2 - b, n2 * (total - k) / total),
    )
    return 2.0 * sum(_xlogx_ratio(obs, exp) for obs, exp in cells)


def rank_trending(
    current: Mapping[str, int],
    previous: Mapping[str, int],
    current_total: int,
    previous_total: int,
    limit: int = 10,
) -> list[tuple[str, float]]:
    """Topics ranked by how unusual their current frequency is against the previous window.

    Score is Dunning's G^2 (log-likelihood ratio) of the 2x2 table (topic vs other mentions,
    current vs previous window), kept only for topics whose smoothed rate *rose* and that
    have at least ``MIN_SUPPORT`` current mentions.  Unlike raw counts this discounts topics
    that are always big ("government") and, unlike a plain ratio, it does not reward a single
    mention of a new topic.  Totals smaller than the counts are raised to the counts' sum.
    Ties break by current count then name, so the result is deterministic.
    """
    if limit <= 0:
        return []
    n1 = max(current_total, sum(max(0, c) for c in current.values()), 0)
    n2 = max(previous_total, sum(max(0, c) for c in previous.values()), 0)
    scored: list[tuple[str, float, int]] = []
    for topic, raw in current.items():
        a = max(0, raw)
        if a < MIN_SUPPORT:
            continue
        b = min(max(0, previous.get(topic, 0)), n2)
        # Add-half smoothing so that a topic absent before is not infinitely surprising; with
        # no previous window at all every topic is new and ranks by its current count.
        rate_now = (a + 0.5) / (n1 + 1.0)
        rate_before = (b + 0.5) / (n2 + 1.0)
        if n2 > 0 and rate_now <= rate_before:
            continue
        score = g_statistic(a, b, n1, n2) if n2 > 0 else float(a)
        scored.append((topic, score, a))
    scored.sort(key=lambda t: (-t[1], -t[2], t[0]))
    return [(topic, round(score, 6)) for topic, score, _ in scored[:limit]]
