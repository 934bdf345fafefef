"""Topics of one article: names (people, organisations, places) and key phrases.

No POS tagger or model: candidates come from surface cues that hold in edited news text.

* Names: runs of capitalised words (or ACRONYMS) inside a sentence.  A sentence-initial
  capital counts only if the word is rare in generic English or is capitalised elsewhere in
  the article.  Titles ("President", "Secretary General", "Mr") split a run and are dropped,
  so "NATO Secretary General Mark Rutte" gives "NATO" and "Mark Rutte".  Possessives are
  stripped.  ALL-CAPS or Title-Case lines (headlines) don't count as evidence of a name.
* Key phrases: runs of lower-case content words between stop words and punctuation, as
  1-3 word phrases ("air defense systems").
* Variants are merged: a one-word name that is the first or last word of a longer name in
  the same article ("Putin" -> "Vladimir Putin") joins it and the longest form is the label.

Score = frequency x specificity (mean generic-English IDF of the words, from the
``_background`` table) x position (earlier first mention scores higher; the headline counts
as the first sentence) x a type weight (names > phrases > single common words).  A phrase of
two or more words must occur twice, or be a name, to be kept ahead of its parts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from bot.text._lexicon import STOPWORDS, idf, stem, zipf
from bot.text.sentences import split_sentences

__all__ = ["TITLES", "canonical_key", "extract_topics"]

# Words that are titles/roles in front of names; they split name runs and are removed from
# labels and keys.
TITLES: Final = frozenset(
    [
        "president",
        "vice",
        "secretary",
        "general",
        "prime",
        "minister",
        "chancellor",
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "prof",
        "professor",
        "sir",
        "dame",
        "lord",
        "lady",
        "king",
        "queen",
        "prince",
        "princess",
        "pope",
        "gen",
        "lt",
        "col",
        "maj",
        "capt",
        "sgt",
        "adm",
        "senator",
        "sen",
        "rep",
        "representative",
        "governor",
        "gov",
        "mayor",
        "chairman",
        "chairwoman",
        "chair",
        "ceo",
        "chief",
        "director",
        "foreign",
        "defence",
        "defense",
        "interior",
        "finance",
        "state",
        "deputy",
        "ambassador",
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "commander",
        "judge",
        "justice",
        "sheikh",
        "rev",
        "father",
        "saint",
        "st",
        "coach",
        "captain",
        "manager",
        "leader",
        "opposition",
        "premier",
        "officer",
        "minister's",
        "high",
    ]
)
# Capitalised words that open sentences or headlines but are not names.
_NOT_NAMES: Final = frozenset(
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
        "also",
        "according",
        "despite",
        "speaking",
        "recent",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "today",
        "yesterday",
        "tomorrow",
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
    ]
)

MAX_CHARS: Final = 60_000
# Score weights (type multipliers, frequency and specificity exponents, position weight).
K_NAME: Final = 1.0  # one-word names, and longer names seen at least twice
K_MNAME1: Final = 0.5  # longer names seen once
K_PHRASE: Final = 2.5  # lower-case phrases of 2-3 words seen at least twice
K_PHRASE1: Final = 0.2  # ... seen once
TF_EXP: Final = 1.0
SPEC_EXP: Final = 1.0
POS_W: Final = 2.0
K_VERB: Final = 0.5  # single lower-case words that look like past tense or adverbs
PHRASE_BONUS: Final = 0.3  # specificity bonus per extra word of a phrase
_TOKEN = re.compile(r"[^\W_][\w'\u2019&.\-]*[^\W_]|[^\W_]|[^\w\s]")
_POSSESSIVE = re.compile(r"['\u2019]s?$")
_HAS_LOWER = re.compile(r"[a-z]")


def _clean(tok: str) -> str:
    tok = _POSSESSIVE.sub("", tok)
    return tok.rstrip(".") if tok.count(".") == 1 else tok


def _is_capitalised(tok: str) -> bool:
    return tok[:1].isupper()


def _shouting(sentence_tokens: list[str]) -> bool:
    """True for ALL-CAPS or Title Case lines, where capitals say nothing about names."""
    words = [t for t in sentence_tokens if t[:1].isalpha()]
    if len(words) < 3:
        return False
    content = [t for t in words if t.lower() not in STOPWORDS] or words
    caps = sum(1 for t in content if t[:1].isupper()) / len(content)
    upper = sum(1 for t in words if t.isupper() and len(t) > 1)
    return upper / len(words) > 0.6 or (caps > 0.8 and len(words) <= 20)


@dataclass
class _Candidate:
    words: tuple[str, ...]
    is_name: bool
    count: int = 0
    first: int = 1 << 30
    forms: dict[str, int] = field(default_factory=dict)

    def add(self, surface: str, sentence: int) -> None:
        self.count += 1
        self.first = min(self.first, sentence)
        self.forms[surface] = self.forms.get(surface, 0) + 1


def canonical_key(label: str) -> str:
    """Normalised key for a topic label: case, accents, titles, possessives and punctuation
    don't matter ("President Vladimir Putin's" -> "vladimir putin", "N.A.T.O." -> "nato")."""
    import unicodedata

    text = unicodedata.normalize("NFKD", label)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("\u2019", "'")
    text = re.sub(r"(?<=\w)'s\b|(?<=s)'(?=\s|$)", "", text)
    text = re.sub(r"(?<=\b\w)\.(?=\w\b|\s|$)", "", text)  # N.A.T.O. -> NATO
    words = re.findall(r"\w+", text)
    while len(words) > 1 and (words[0] in TITLES or words[0] in {"the", "a", "an"}):
        words = words[1:]
    return " ".join(words)


def _name_runs(tokens: list[str], shouting: bool, capitalised_elsewhere: set[str]) -> list[bool]:
    """Mark tokens that are part of a name."""
    marks = [False] * len(tokens)
    if shouting:
        for i, tok in enumerate(tokens):
            low = tok.lower()
            marks[i] = low in capitalised_elsewhere and low not in _NOT_NAMES
        return marks
    for i, tok in enumerate(tokens):
        if not tok[:1].isalpha() or not _is_capitalised(tok):
            continue
        low = _clean(tok).lower()
        if low in _NOT_NAMES:
            continue
        if i == 0 or tokens[i - 1] in {'"', "\u201c", "(", "'", "-", "\u2018"}:
            marks[i] = low in capitalised_elsewhere or zipf(low) < 3.5
        else:
            marks[i] = True
    return marks


def _collect(text: str, title: str | None) -> dict[tuple[str, ...], _Candidate]:
    sentences = ([title] if title else []) + split_sentences(text[:MAX_CHARS])
    tokenised = [_TOKEN.findall(s) for s in sentences]
    shouting = [_shouting(t) for t in tokenised]
    capitalised_elsewhere: set[str] = set()
    for toks, shout in zip(tokenised, shouting, strict=True):
        if shout:
            continue
        for j, tok in enumerate(toks[1:], 1):
            if tok[:1].isupper() and toks[j - 1][:1].isalnum():
                capitalised_elsewhere.add(_clean(tok).lower())

    cands: dict[tuple[str, ...], _Candidate] = {}

    def add(words: list[str], is_name: bool, sentence: int) -> None:
        key = tuple(stem(w.lower()) for w in words)
        cand = cands.get(key)
        if cand is None:
            cand = cands[key] = _Candidate(key, is_name)
        cand.is_name = cand.is_name or is_name
        cand.add(" ".join(words), sentence)

    for si, (toks, shout) in enumerate(zip(tokenised, shouting, strict=True)):
        marks = _name_runs(toks, shout, capitalised_elsewhere)
        run: list[str] = []
        chunk: list[str] = []

        def flush_run(run: list[str], si: int) -> None:
            if run:
                add(run[:4], True, si)
                run.clear()

        def flush_chunk(chunk: list[str], si: int) -> None:
            n = len(chunk)
            for size in (1, 2, 3):
                for k in range(n - size + 1):
                    add(chunk[k : k + size], False, si)
            chunk.clear()

        for tok, is_name in zip(toks, marks, strict=True):
            word = _clean(tok)
            low = word.lower()
            if is_name:
                flush_chunk(chunk, si)
                if low in TITLES:
                    flush_run(run, si)
                else:
                    run.append(word if not shout else word.title())
                    if tok.endswith(("'s", "\u2019s", "'", "\u2019")):
                        flush_run(run, si)
                continue
            flush_run(run, si)
            if (
                not word[:1].isalpha()
                or low in STOPWORDS
                or len(low) < 3
                or not _HAS_LOWER.search(word.lower())
            ):
                flush_chunk(chunk, si)
                continue
            chunk.append(low)
            if tok.endswith(("'s", "\u2019s")):
                flush_chunk(chunk, si)
        flush_run(run, si)
        flush_chunk(chunk, si)
    return cands


def _merge_names(cands: dict[tuple[str, ...], _Candidate]) -> None:
    """Fold one-word names into the longer name they abbreviate ("Putin" -> "Vladimir Putin")."""
    long_names = [c for c in cands.values() if c.is_name and len(c.words) > 1]
    by_part: dict[str, list[_Candidate]] = {}
    for c in long_names:
        for part in {c.words[0], c.words[-1]}:
            by_part.setdefault(part, []).append(c)
    for key, cand in list(cands.items()):
        if len(key) != 1 or not cand.is_name:
            continue
        targets = by_part.get(key[0], [])
        if not targets:
            continue
        target = max(targets, key=lambda c: (c.count, len(c.words)))
        target.count += cand.count
        target.first = min(target.first, cand.first)
        del cands[key]
    # A longer name that contains a shorter one ("President Vladimir Putin" already split at
    # titles; "Vladimir Putin Jr" style leftovers) is left as is.


def _score(c: _Candidate) -> float:
    spec = sum(idf(w) for w in c.words) / len(c.words) * (1 + PHRASE_BONUS * (len(c.words) - 1))
    pos = 1.0 + POS_W / (1.0 + c.first) ** 0.7
    if c.is_name:
        kind = K_NAME if len(c.words) == 1 or c.count >= 2 else K_MNAME1
    elif len(c.words) > 1:
        kind = K_PHRASE if c.count >= 2 else K_PHRASE1
    elif c.words[0].endswith(("ed", "ly")) and len(c.words[0]) > 5:
        kind = K_VERB  # past-tense verbs and adverbs make poor topic labels
    else:
        kind = 1.0
    score: float = float(c.count) ** TF_EXP * spec**SPEC_EXP * pos * kind
    return score


def _label(c: _Candidate) -> str:
    return max(c.forms.items(), key=lambda kv: (kv[1], len(kv[0])))[0]


def extract_topics(text: str, limit: int = 10, title: str | None = None) -> list[str]:
    """Ranked topic labels of an article (best first, at most ``limit``, no duplicates)."""
    if limit <= 0 or not text.strip():
        return []
    cands = _collect(text, title)
    _merge_names(cands)
    ranked = sorted(cands.values(), key=lambda c: (-_score(c), c.first))
    out: list[str] = []
    keys: set[str] = set()
    taken_words: set[str] = set()
    for c in ranked:
        label = _label(c)
        key = canonical_key(label)
        if not key or key in keys:
            continue
        if len(c.words) == 1 and not c.is_name and c.words[0] in taken_words:
            continue
        keys.add(key)
        taken_words.update(c.words)
        out.append(label)
        if len(out) >= limit:
            break
    return out
