"""How a test measures a rate the way Discord's global limit counts it."""

from __future__ import annotations

from collections.abc import Iterable


def busiest_second(times: Iterable[float]) -> int:
    """The most of `times` that fall in any one-second window (a sliding window, so no
    second of any alignment is over the limit)."""
    ordered = sorted(times)
    busiest, first = 0, 0
    for last, at in enumerate(ordered):
        while at - ordered[first] >= 1.0:
            first += 1
        busiest = max(busiest, last - first + 1)
    return busiest
