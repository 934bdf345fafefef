"""Trending topics: which topics are unusually frequent now compared with before, and which
of them people would pick: names and specific phrases before common nouns."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Final

from bot.text._lexicon import zipf

__all__ = ["prefer_specific", "rank_trending", "specificity"]

MIN_SUPPORT: Final = 2  # a topic needs at least this many mentions now to trend
# Generic-English Zipf frequencies between which a one-word topic goes from generic
# ("government" 5.6, "company" 5.6, "film" 5.2) to specific ("broadband" 3.7).
ZIPF_GENERIC: Final = 6.0
ZIPF_SPECIFIC: Final = 3.5


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
    n1 = max(current_total, sum(c for c in current.values() if c > 0))
    n2 = max(previous_total, sum(c for c in previous.values() if c > 0))
    # Thousands of topics share a few hundred (now, before) pairs: each pair is scored
    # once, and only the topics of the best pairs are sorted by name.
    by_pair: dict[tuple[int, int], list[str]] = {}
    for topic, raw in current.items():
        if raw < MIN_SUPPORT:
            continue
        before = previous.get(topic, 0)  # within 0..n2, clamped inline (called per topic)
        pair = (raw, 0 if before < 0 else n2 if before > n2 else before)
        group = by_pair.get(pair)
        if group is None:
            by_pair[pair] = [topic]
        else:
            group.append(topic)
    scored = [
        (score, a, topics)
        for (a, b), topics in by_pair.items()
        if (score := _rise(a, b, n1, n2)) is not None
    ]
    scored.sort(key=lambda s: (-s[0], -s[1]))
    ranked: list[tuple[str, float]] = []
    for (score, _), tied in itertools.groupby(scored, key=lambda s: (s[0], s[1])):
        if len(ranked) >= limit:
            break
        names = sorted(topic for _, _, topics in tied for topic in topics)
        ranked.extend((topic, round(score, 6)) for topic in names)
    return ranked[:limit]


def _rise(a: int, b: int, n1: int, n2: int) -> float | None:
    """The trending score of `a` mentions of `n1` now against `b` of `n2` before, or None
    when the topic did not rise."""
    # Add-half smoothing so that a topic absent before is not infinitely surprising; with
    # no previous window at all every topic is new and ranks by its current count.
    rate_now = (a + 0.5) / (n1 + 1.0)
    rate_before = (b + 0.5) / (n2 + 1.0)
    if n2 > 0 and rate_now <= rate_before:
        return None
    return g_statistic(a, b, n1, n2) if n2 > 0 else float(a)


def specificity(label: str) -> float:
    """How much a topic label says, 0-1: 1 for a name ("Tony Blair", "EU") or a phrase
    ("prime minister"); for one common word, less the more common it is in English, squared,
    so that "government" (0.03) needs 30 times the articles of a name to rank above it."""
    words = label.split()
    if len(words) != 1:
        return 1.0
    word = words[0]
    low = word.lower()
    if word.isupper() and len(word) > 1:
        return 1.0  # an acronym
    if word != low and zipf(low) < ZIPF_GENERIC - 0.5:
        return 1.0  # a name, not a common word that opened a headline ("Game")
    share = (ZIPF_GENERIC - zipf(low)) / (ZIPF_GENERIC - ZIPF_SPECIFIC)
    return min(1.0, max(0.0, share)) ** 2


def prefer_specific(
    ranked: Sequence[tuple[str, float]], labels: Mapping[str, str]
) -> list[tuple[str, float]]:
    """``(key, score)`` pairs re-ranked by score x the specificity of the key's label."""
    weighted = [(key, score * specificity(labels.get(key, key))) for key, score in ranked]
    return sorted(weighted, key=lambda t: -t[1])
