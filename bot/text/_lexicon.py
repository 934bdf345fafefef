"""Constant word tables shared by the summariser and the topic extractor.

* ``zipf(word)``: generic English frequency (Zipf scale) from the package data file
  ``background.txt`` (written by ``_gen_background``);
  words not in the table are rare (proper names, jargon).  ``idf(word)`` turns it into an
  IDF-like weight: a background "document frequency" built from generic English, not from
  any evaluation set.
* ``STOPWORDS``: function words plus news boilerplate ("said", "told").
* ``stem``: a tiny plural/possessive stripper, enough to match "systems"/"system".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Final, TypeVar

K = TypeVar("K")
V = TypeVar("V")

__all__ = [
    "SENTENCE_OPENERS",
    "STOPWORDS",
    "TOKEN_RE",
    "Memo",
    "idf",
    "stem",
    "terms",
    "word_terms",
    "zipf",
]


def _load(data: str) -> dict[str, float]:
    """Word -> Zipf value from lines of ``zipf*10 word word ...`` ("#" starts a comment)."""
    table: dict[str, float] = {}
    for line in data.splitlines():
        parts = line.split()
        if len(parts) < 2 or parts[0].startswith("#"):
            continue
        z = int(parts[0]) / 10.0
        for word in parts[1:]:
            table.setdefault(word, z)
    return table


# Read beside this module (a plain path: importlib.resources costs ~100 ms more at start-up).
_ZIPF: Final[dict[str, float]] = _load(
    Path(__file__).with_name("background.txt").read_text(encoding="utf-8")
)
# Zipf value assumed for a word outside the table (rarer than everything listed).
UNKNOWN_ZIPF: Final = 2.0
MAX_ZIPF: Final = 7.0

STOPWORDS: Final = frozenset(
    [
        "a",
        "about",
        "above",
        "across",
        "after",
        "afterwards",
        "again",
        "against",
        "all",
        "almost",
        "alone",
        "along",
        "already",
        "also",
        "although",
        "always",
        "am",
        "among",
        "amongst",
        "an",
        "and",
        "another",
        "any",
        "anyhow",
        "anyone",
        "anything",
        "anyway",
        "anywhere",
        "are",
        "around",
        "as",
        "at",
        "back",
        "be",
        "became",
        "because",
        "become",
        "becomes",
        "becoming",
        "been",
        "before",
        "beforehand",
        "behind",
        "being",
        "below",
        "beside",
        "besides",
        "between",
        "beyond",
        "both",
        "but",
        "by",
        "can",
        "cannot",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "done",
        "down",
        "due",
        "during",
        "each",
        "either",
        "else",
        "elsewhere",
        "enough",
        "even",
        "ever",
        "every",
        "everyone",
        "everything",
        "everywhere",
        "except",
        "few",
        "for",
        "former",
        "formerly",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "hence",
        "her",
        "here",
        "hereafter",
        "hereby",
        "herein",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "however",
        "i",
        "if",
        "in",
        "indeed",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "last",
        "latter",
        "latterly",
        "least",
        "less",
        "ll",
        "made",
        "make",
        "many",
        "may",
        "me",
        "meanwhile",
        "might",
        "mine",
        "more",
        "moreover",
        "most",
        "mostly",
        "much",
        "must",
        "my",
        "myself",
        "namely",
        "neither",
        "never",
        "nevertheless",
        "next",
        "no",
        "nobody",
        "none",
        "noone",
        "nor",
        "not",
        "nothing",
        "now",
        "nowhere",
        "of",
        "off",
        "often",
        "on",
        "once",
        "one",
        "only",
        "onto",
        "or",
        "other",
        "others",
        "otherwise",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "per",
        "perhaps",
        "please",
        "put",
        "quite",
        "rather",
        "re",
        "really",
        "s",
        "same",
        "say",
        "says",
        "said",
        "see",
        "seem",
        "seemed",
        "seeming",
        "seems",
        "several",
        "she",
        "should",
        "since",
        "so",
        "some",
        "somehow",
        "someone",
        "something",
        "sometime",
        "sometimes",
        "somewhere",
        "still",
        "such",
        "t",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "thence",
        "there",
        "thereafter",
        "thereby",
        "therefore",
        "therein",
        "thereupon",
        "these",
        "they",
        "this",
        "those",
        "though",
        "through",
        "throughout",
        "thru",
        "thus",
        "to",
        "together",
        "too",
        "toward",
        "towards",
        "under",
        "until",
        "up",
        "upon",
        "us",
        "ve",
        "very",
        "via",
        "was",
        "we",
        "well",
        "were",
        "what",
        "whatever",
        "when",
        "whence",
        "whenever",
        "where",
        "whereafter",
        "whereas",
        "whereby",
        "wherein",
        "whereupon",
        "wherever",
        "whether",
        "which",
        "while",
        "whither",
        "who",
        "whoever",
        "whole",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "within",
        "without",
        "would",
        "yet",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "d",
        "m",
        "o",
        "y",
        "ain",
        "aren",
        "couldn",
        "didn",
        "doesn",
        "hadn",
        "hasn",
        "haven",
        "isn",
        "mightn",
        "mustn",
        "needn",
        "shan",
        "shouldn",
        "wasn",
        "weren",
        "won",
        "wouldn",
        "don",
        "let",
        "lets",
        "get",
        "gets",
        "got",
        "told",
        "tell",
        "telling",
        "asked",
        "like",
        "also",
        "according",
        "including",
        "include",
        "includes",
        "new",
        "mr",
        "mrs",
        "ms",
        "dr",
        "told",
        "year",
        "years",
    ]
)

# Capitalised words that open sentences (pronouns, determiners, conjunctions, prepositions):
# the sentence splitter treats them as evidence of a new sentence after "U.S." and the topic
# extractor never takes them for names.
SENTENCE_OPENERS: Final = frozenset(
    [
        "the",
        "a",
        "an",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "he",
        "she",
        "they",
        "we",
        "i",
        "you",
        "his",
        "her",
        "their",
        "our",
        "my",
        "but",
        "and",
        "or",
        "so",
        "yet",
        "in",
        "on",
        "at",
        "for",
        "with",
        "after",
        "before",
        "when",
        "while",
        "if",
        "as",
        "what",
        "who",
        "why",
        "how",
        "where",
        "which",
        "there",
        "however",
        "meanwhile",
    ]
)

TOKEN_RE: Final = re.compile(r"[^\W\d_](?:[\w'\u2019\-]*\w)?")


def zipf(word: str) -> float:
    """Generic English frequency of a lower-case word on the Zipf scale."""
    return _ZIPF.get(word, UNKNOWN_ZIPF)


def idf(word: str) -> float:
    """IDF-like weight of a lower-case word from generic English frequency (>= 0.1)."""
    return max(0.1, MAX_ZIPF - _ZIPF.get(word, UNKNOWN_ZIPF))


def stem(word: str) -> str:
    """Strip possessives and regular plurals from a lower-case word."""
    if word.endswith(("'s", "\u2019s")):
        word = word[:-2]
    n = len(word)
    if n > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if n > 4 and word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if n > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


class Memo(dict[K, V]):
    """``compute(key)``, memoised for lookups made per token or per candidate: a plain dict
    lookup costs less than an ``lru_cache`` call.  Emptied when full so that input cannot
    grow it without bound."""

    def __init__(self, compute: Callable[[K], V], size: int = 1 << 16) -> None:
        super().__init__()
        self.compute = compute
        self.size = size

    def __missing__(self, key: K) -> V:
        if len(self) >= self.size:
            self.clear()
        value = self[key] = self.compute(key)
        return value


def _term(tok: str) -> str:
    """The term of one lower-case token, or "" for a stop word or a 1-letter word."""
    return "" if len(tok) < 2 or tok in STOPWORDS else stem(tok.replace("\u2019", "'"))


_term_of: Final = Memo(_term).__getitem__
_find_tokens: Final = TOKEN_RE.findall


def terms(text: str) -> list[str]:
    """Content-word stems of ``text`` (lower-cased, stopwords and 1-letter words dropped)."""
    return list(filter(None, map(_term_of, _find_tokens(text.lower()))))


def word_terms(word: str) -> tuple[str, ...]:
    """``terms(word)`` as a tuple, for one word: a word of letters is one ``TOKEN_RE`` match,
    so most words skip the regex."""
    low = word.lower()
    if low.isalpha():
        term = _term(low)
        return (term,) if term else ()
    return tuple(terms(word))
