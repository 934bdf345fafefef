"""Cutting text to a platform's size limit: one rule for every renderer."""

from __future__ import annotations

import re

ELLIPSIS = "…"
MARK = "**"  # bold in Discord's markdown: a matched word, or a cut must not leave it open
_SPACE = re.compile(r"\s")


def _balance_marks(text: str) -> str:
    """Drop a dangling `**` left by a cut, so the rest does not render bold."""
    if text.count(MARK) % 2:
        head, _, tail = text.rpartition(MARK)
        return head + tail
    return text


def clip(text: str, limit: int, suffix: str = "") -> str:
    """`text` in at most `limit` characters, cut at a word boundary with an ellipsis.

    `suffix` (such as a pointer to the full text) is added only when the text is cut,
    and left out when it would not fit at all.
    """
    text = text.strip()
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    if len(suffix) + len(ELLIPSIS) + 1 > limit // 2:
        suffix = ""
    room = limit - len(ELLIPSIS) - len(suffix)
    if room <= 0:
        return text[:limit]
    cut = text[:room]
    # Prefer the last whitespace, unless that would throw away more than a third.
    boundary = max((m.start() for m in _SPACE.finditer(cut)), default=-1)
    if boundary > room * 2 // 3:
        cut = cut[:boundary]
    cut = _balance_marks(cut.rstrip().rstrip(",;:-–—"))
    return cut + ELLIPSIS + suffix
