"""Turn whatever a member types into a safe FTS5 query.

FTS5 has its own syntax (quotes, AND/OR/NOT/NEAR, `*`, `-`, `^`, parentheses,
column filters) and raises on malformed input. We never pass user text through:
each word becomes a quoted string, so operators are plain words. Two things
users expect are kept on purpose: a trailing `*` searches by prefix, and
`title:word` searches titles only.
"""

from __future__ import annotations

import re

MAX_TERMS = 32
WORD = re.compile(r"\w+", re.UNICODE)
TOKEN = re.compile(r"(?P<title>title:)?(?P<text>[^\s]+)", re.IGNORECASE)


def _quoted(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def to_fts_query(text: str) -> str | None:
    """An FTS5 MATCH expression requiring every word, or None when nothing is searchable."""
    terms: list[str] = []
    for token in TOKEN.finditer(text):
        prefix = token["text"].endswith("*")
        words = WORD.findall(token["text"])
        for position, word in enumerate(words):
            term = _quoted(word.lower())
            if prefix and position == len(words) - 1:
                term += "*"
            if token["title"]:
                term = "title:" + term
            terms.append(term)
        if len(terms) >= MAX_TERMS:
            break
    return " AND ".join(terms[:MAX_TERMS]) or None
