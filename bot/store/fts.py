"""Turn whatever a member types into a safe FTS5 query.

FTS5 has its own syntax (quotes, AND/OR/NOT/NEAR, `*`, `-`, `^`, parentheses,
column filters) and raises on malformed input. We never pass user text through:
each word becomes a quoted string, so operators are plain words. Two things
users expect are kept on purpose: a trailing `*` searches by prefix, and
`title:word` searches titles only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_TERMS = 32
WORD = re.compile(r"\w+", re.UNICODE)
TOKEN = re.compile(r"(?P<title>title:)?(?P<text>[^\s]+)", re.IGNORECASE)


@dataclass(frozen=True)
class Term:
    """One searched word: lower case, matched as a prefix or whole, in titles or anywhere."""

    word: str
    prefix: bool
    title_only: bool


def search_terms(text: str) -> list[Term]:
    """The words of a member's query (at most MAX_TERMS), each of which must occur."""
    terms: list[Term] = []
    for token in TOKEN.finditer(text):
        prefix = token["text"].endswith("*")
        words = WORD.findall(token["text"])
        for position, word in enumerate(words):
            last = position == len(words) - 1
            terms.append(Term(word.lower(), prefix and last, bool(token["title"])))
        if len(terms) >= MAX_TERMS:
            break
    return terms[:MAX_TERMS]


def _quoted(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def to_fts_query(text: str) -> str | None:
    """An FTS5 MATCH expression requiring every word, or None when nothing is searchable."""
    quoted = [
        ("title:" if term.title_only else "") + _quoted(term.word) + ("*" if term.prefix else "")
        for term in search_terms(text)
    ]
    return " AND ".join(quoted) or None
