"""Topics of one article: names (people, organisations, places) and key phrases.

No POS tagger or model: candidates come from surface cues that hold in edited news text.

* Names: runs of capitalised words (or ACRONYMS) inside a sentence.  A sentence-initial
  capital counts only if the word is rare in generic English or is capitalised elsewhere in
  the article.  Titles ("President", "Secretary General", "Mr") split a run and are dropped,
  so "NATO Secretary General Mark Rutte" gives "NATO" and "Mark Rutte".  Possessives are
  stripped.  ALL-CAPS or Title-Case lines (headlines) don't count as evidence of a name.
* Key words and phrases: runs of lower-case content words between stop words and
  punctuation; "-ly" adverbs of known adjectives ("allegedly") are never candidates.
  Single words are grouped by inflection ("hiring"/"hired" -> "hire", checked against the
  word table); 2-3 word phrases ("air defense") are kept only when seen twice
  and their lower-case words occur nowhere else in the article (``PHRASE_COHESION``).
* Variants are merged: a one-word name that is the first or last word of a longer name in
  the same article ("Putin" -> "Vladimir Putin") joins it and the longest form is the label.

Score = frequency^TF_EXP x specificity^SPEC_EXP x position x type weight.  Specificity is
an informativeness prior from generic-English frequency (``_background``): common words
("people", "said") weigh little; a word outside the table weighs a lot when capitalised (a
name) but only middling when lower case (typos, compounds like "big-screen", jargon).
Lower-case words that describe rather than name ("-ed"/"-ing" forms, adjectives with a
"-ly" adverb like "additional") are down-weighted, and nouns are preferred: words with a
noun suffix ("corruption"), and words used after a determiner or preposition ("the
hiring") rather than after an auxiliary ("was hanging").  HTML entities are decoded first;
URLs, tickers and contractions are never candidates.

The list is a mix, as news sites tag stories: at most ``MAX_MULTI_NAMES`` multi-word names
and ``MAX_PHRASES`` lower-case phrases, the rest salient single words and one-word names.
(Crowd keyphrase gold is ~74% single words; a multi-word label matches it far less often.)
The weights were set by measuring F1@10 on the even-indexed half of KPCrowd only.

Each sentence is tokenised once, into memoised per-token records, and the summariser reads
its terms from the same records (``sentence_terms``).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from heapq import heappop, heappush
from itertools import chain, pairwise
from operator import attrgetter
from typing import Final, NamedTuple

from bot.text._lexicon import _ZIPF as _ZIPF_TABLE
from bot.text._lexicon import (
    MAX_ZIPF,
    SENTENCE_OPENERS,
    STOPWORDS,
    UNKNOWN_ZIPF,
    Memo,
    idf,
    stem,
    terms,
    word_terms,
    zipf,
)
from bot.text.sentences import sentences_of

__all__ = ["TITLES", "canonical_key", "extract_topics", "sentence_terms", "topic_matches"]

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
# Days and months are neither names nor topics (when capitalised: a protest march is a
# topic), nor are "today" and the like.
_CALENDAR: Final = frozenset(
    [
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
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
    ]
)
_DEICTIC: Final = frozenset(["today", "yesterday", "tomorrow", "tonight"])
# Capitalised words that open sentences or headlines but are not names.
_NOT_NAMES: Final = (
    SENTENCE_OPENERS
    | _CALENDAR
    | _DEICTIC
    | frozenset(["also", "according", "despite", "speaking", "recent"])
)

# The word before a lower-case word tells how it is used: after an auxiliary, a modal or
# "to" it is a verb ("was hanging", "to undermine"); after a determiner or a preposition it
# is a noun ("the hiring", "of testing"), and nouns make topics.
VERB_CUES: Final = frozenset(
    [
        "am",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "has",
        "have",
        "had",
        "having",
        "will",
        "would",
        "can",
        "could",
        "should",
        "may",
        "might",
        "must",
        "shall",
        "to",
        "does",
        "did",
        "do",
        "not",
        "never",
    ]
)
NOUN_CUES: Final = frozenset(
    [
        "the",
        "a",
        "an",
        "this",
        "that",
        "these",
        "those",
        "its",
        "his",
        "her",
        "their",
        "our",
        "your",
        "my",
        "of",
        "for",
        "in",
        "on",
        "about",
        "by",
        "with",
        "from",
        "after",
        "before",
        "against",
        "over",
        "into",
    ]
)

MAX_CHARS: Final = 60_000
# Score weights, set by measuring on half of the KPCrowd stories (see bench/eval.py).
K_NAME: Final = 1.5  # one-word names, and longer names seen at least twice
K_MNAME1: Final = 0.75  # longer names seen once
K_PHRASE: Final = 3.0  # lower-case phrases of 2-3 words (kept only when seen twice or more)
K_WEAK: Final = 0.7  # lower-case words shaped like past tenses, participles, adjectives
K_NOUN: Final = 2.0  # lower-case words with a noun suffix ("corruption", "unemployment")
K_NOMINAL: Final = 3.0  # a lower-case word, raised to the share of its uses after NOUN_CUES
K_VERBAL: Final = 0.7  # a lower-case word, raised to the share of its uses after VERB_CUES
TF_EXP: Final = 1.3
SPEC_EXP: Final = 0.75
POS_W: Final = 1.0  # first-mention bonus: 1 + POS_W / (1 + sentence)^0.7
PHRASE_BONUS: Final = 0.3  # specificity bonus per extra word of a phrase
UNKNOWN_LOWER_ZIPF: Final = 3.5  # a lower-case word outside the table: typo, jargon, compound
PHRASE_COHESION: Final = 1.0  # a phrase must account for this share of its words' uses
MAX_MULTI_NAMES: Final = 2  # at most this many multi-word names in a topic list ...
MAX_PHRASES: Final = 1  # ... and this many lower-case phrases; the rest are single words

# A token is a run of letters and digits, or several joined by ' \u2019 & . - _ ("AT&T",
# "U.S", "Putin's"), or one punctuation mark.  The classes are disjoint, so the quantifiers
# are possessive: no backtracking.
_TOKEN = re.compile(r"[^\W_]++(?:[_'\u2019&.\-]++[^\W_]++)*+|[^\w\s]")
_DOTTED = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")  # "U.S" (the final dot is stripped first)
_HAS_LOWER = re.compile(r"[a-z]")
_CONTRACTION = re.compile(r"['\u2019](?:t|ll|re|ve|d|m)$", re.IGNORECASE)
_WEAK_SUFFIXES: Final = ("ed", "ing")
_ADJECTIVE_SUFFIXES: Final = (
    "al",
    "ive",
    "ous",
    "ful",
    "less",
    "ant",
    "ent",
    "ic",
    "ible",
    "able",
    "ary",
    "y",
    "le",
)
_NOUN_SUFFIXES: Final = ("tion", "ment", "ness", "ity", "ance", "ence", "sion")
_QUOTES: Final = frozenset(['"', "\u201c", "(", "'", "-", "\u2018"])


@lru_cache(maxsize=1 << 16)
def _word(tok: str) -> tuple[str, str, str, bool]:
    """(cleaned surface, lower case, stem, usable) of a token; memoised."""
    word = tok.replace("\u2019", "'") if "\u2019" in tok else tok
    if word.endswith("'s"):  # possessive: "Putin's" -> "Putin", "Jones'" -> "Jones"
        word = word[:-2]
    elif word.endswith("'"):
        word = word[:-1]
    if word.count(".") == 1:
        word = word.rstrip(".")
    low = word.lower()
    usable = (
        word[:1].isalpha()
        and not _CONTRACTION.search(tok)
        # URLs and domains (www.x.com), tickers (BAC.N), HTML leftovers (h&amp)
        and not ("." in word and not _DOTTED.fullmatch(word))
        and ("&" not in word or word.isupper())  # "AT&T" but not "stability&rsquo"
    )
    return word, low, lemma(low), usable


def _known(word: str) -> bool:
    return word in _ZIPF_TABLE


_NO_LEMMA: Final = frozenset(["news", "series", "species", "means", "lens", "bias", "atlas"])


@lru_cache(maxsize=1 << 16)
def lemma(low: str) -> str:
    """Fold regular inflections of a lower-case word onto one key, checked against the word
    table so that only real words are produced: "movies" -> "movie", "hiring" -> "hire",
    "stopped" -> "stop", "cities" -> "city".  Unknown words only lose a plural "s"."""
    if low.endswith("'s"):
        low = low[:-2]
    n = len(low)
    if n <= 3 or not low.isalpha() or low in _NO_LEMMA or low.endswith("ics"):
        return low
    options: list[str] = []
    if low.endswith("ies") and n > 4:
        options = [low[:-1], low[:-3] + "y"]
    elif low.endswith("es") and n > 4:
        options = [low[:-1], low[:-2]]
    elif low.endswith("s") and not low.endswith(("ss", "us", "is")):
        options = [low[:-1]]
    elif low.endswith("ing") and n > 5:
        b = low[:-3]
        options = [b + "e", b] if b[-1] not in "aeiouy" else [b]
        if len(b) > 2 and b[-1] == b[-2] and b[-1] not in "lsz":
            options.insert(0, b[:-1])
    elif low.endswith("ed") and n > 4:
        b = low[:-2]
        options = [low[:-1], b]
        if low.endswith("ied"):
            options.insert(0, low[:-3] + "y")
        if len(b) > 2 and b[-1] == b[-2] and b[-1] not in "lsz":
            options.insert(0, b[:-1])
    for option in options:
        if len(option) > 2 and _known(option):
            return option
    if low.endswith("s") and not low.endswith(("ss", "us", "is")) and not _known(low):
        return stem(low)
    return low


@lru_cache(maxsize=1 << 16)
def _specificity(low: str, capitalised: bool) -> float:
    """Informativeness of one lower-case word from its generic-English frequency.

    A word outside the table is a proper name when capitalised (specific), but a typo, a
    compound or jargon when lower case: those get a middling frequency, and a hyphenated
    compound the mean frequency of its parts ("big-screen" is as generic as big and screen).
    """
    if low in _ZIPF_TABLE:
        return idf(low)
    if "." in low and (undotted := low.replace(".", "")) in _ZIPF_TABLE:
        return idf(undotted)  # "U.S.", "U.K.": as common as their undotted spelling
    base = stem(low)
    if base in _ZIPF_TABLE:
        return idf(base)
    if "-" in low:
        parts = [p for p in low.split("-") if p]
        if parts:
            z = sum(zipf(p) if p in _ZIPF_TABLE else UNKNOWN_LOWER_ZIPF for p in parts)
            return max(0.1, MAX_ZIPF - z / len(parts))
    return idf(low) if capitalised else MAX_ZIPF - UNKNOWN_LOWER_ZIPF


class _Tok(NamedTuple):
    """Everything the extractor needs to know about one token; memoised per token string.

    The fields read for every token of a sentence come first: a record spans several cache
    lines, and the fields of most tokens read are then on the first one or two."""

    # Read for every token: by the summariser (terms), the shouting and capitalisation
    # checks of ``_collect`` (shape, cap, alnum) and its per-token loop (breaks, quote, cue).
    breaks: bool  # neither content nor a usable name_ok word: ends runs outside shouting lines
    terms: tuple[str, ...]  # the summariser's terms (``_lexicon.terms``) of this token
    shape: int  # 0 not alphabetic, else 1 + stop + 2 * cap + 4 * upper (see ``_shouting``)
    cap: bool  # starts with an upper-case letter
    alnum: bool  # starts with a letter or digit
    quote: bool  # opens a quote or aside, so the next word may be capitalised for that reason
    cue: int  # _VERB_CUE or _NOUN_CUE when this word tells how the next word is used, else 0
    # Read for the words that can be candidates:
    content: bool  # usable lower-case content word (not a stop word or adverb, 3+ letters)
    name_ok: bool  # a capitalised word that may be (part of) a name: cap, alpha, not not_name
    usable: bool  # can be part of a candidate at all (no URL, ticker, contraction)
    key: tuple[str, ...]  # (stem,): the candidate key of this word on its own
    topic_word: str  # the form a lower-case topic takes: lower case unless mixed ("iPhone")
    title: bool  # a title/role word ("President")
    rare: bool  # rare enough in generic English to be a name even sentence-initially
    upper: bool  # ALL CAPS, 2+ characters
    ends_possessive: bool  # "Putin's" / "Jones'"
    ends_s_possessive: bool  # "Putin's"
    word: str  # cleaned surface (possessive and a lone trailing dot stripped)
    low: str
    stem: str
    stop: bool  # lower case is a stop word
    not_name: bool  # capitalised but never a name ("The", "Monday")
    # ``low`` if the word is written in lower case (shape 1 or 2), else "": read for every
    # token, but only in articles where a sentence-initial word needs it (``in_lower_case``)
    lower_case_low: str


_VERB_CUE: Final = 1
_NOUN_CUE: Final = 2


def _new_tok(tok: str) -> _Tok:
    word, low, st, usable = _word(tok)
    first = tok[:1]
    alpha = first.isalpha()
    stop = tok.lower() in STOPWORDS
    upper = tok.isupper() and len(tok) > 1
    cap = first.isupper()
    not_name = low in _NOT_NAMES
    name_ok = cap and alpha and not not_name
    content = (
        usable
        and low not in STOPWORDS
        and len(low) >= 3
        and bool(_HAS_LOWER.search(low))
        and not _adverb(low)
        and not _superlative(low)
        and low not in _DEICTIC
        and not (cap and low in _CALENDAR)
    )
    if low in VERB_CUES:
        cue = _VERB_CUE
    elif low in NOUN_CUES:
        cue = _NOUN_CUE
    else:
        cue = 0
    # In field order: passed by keyword, the fields would cost 2 us more per new token.
    return _Tok(
        not content and not (name_ok and usable),  # breaks
        word_terms(tok),  # terms
        (1 + stop + 2 * cap + 4 * upper) if alpha else 0,  # shape
        cap,
        first.isalnum(),  # alnum
        tok in _QUOTES,  # quote
        cue,
        content,
        name_ok,
        usable,
        (st,),  # key
        low if cap else word,  # topic_word
        low in TITLES,  # title
        _ZIPF_TABLE.get(low, UNKNOWN_ZIPF) < 3.5,  # rare: zipf(low)
        upper,
        tok.endswith(("'s", "\u2019s", "'", "\u2019")),  # ends_possessive
        tok.endswith(("'s", "\u2019s")),  # ends_s_possessive
        word,
        low,
        st,  # stem
        stop,
        not_name,
        low if alpha and not cap and not upper else "",  # lower_case_low
    )


_TOKS: Final = Memo(_new_tok)
_tok: Final = _TOKS.__getitem__


def _token_strings(sentence: str) -> list[str]:
    """``_TOKEN.findall(sentence)``, chunk by chunk.

    No token spans white space, so a sentence's tokens are those of its space-separated
    chunks, and most chunks are one token ("profits") or one and a punctuation mark
    ("profits,"): str methods tell those apart for much less than the regex costs."""
    tokens: list[str] = []
    for chunk in sentence.split():
        if chunk.isalnum():  # what [^\W_]++ matches
            tokens.append(chunk)
        elif chunk[:-1].isalnum() and not chunk[-1].isalnum() and chunk[-1] != "_":
            tokens.append(chunk[:-1])  # a final ' . - joins nothing: a token of its own
            tokens.append(chunk[-1])
        else:
            tokens += _TOKEN.findall(chunk)
    return tokens


# The tokens of recent sentences: the summariser and the topic extractor both read every
# sentence of an article, so each is tokenised once.
_SENTENCE_TOKENS: Final = Memo[str, tuple[_Tok, ...]](
    lambda sentence: tuple(map(_tok, _token_strings(sentence))), size=1 << 12
)
_tokens_of: Final = _SENTENCE_TOKENS.__getitem__
_TERMS: Final = attrgetter("terms")


def sentence_terms(sentence: str) -> list[str]:
    """``terms(sentence)``, read from the sentence's memoised tokens.

    The summary's terms are the matches of ``TOKEN_RE`` in the lower-cased sentence; each
    lies inside one of this module's tokens, so they are the tokens' terms in order.  Two
    cases break that: a word ending in "_" (a match of ``TOKEN_RE``, not part of a token)
    and a capital sigma (lower-cased by its context, which a token may not include).
    """
    if "_" in sentence or "\u03a3" in sentence:
        return terms(sentence)
    return list(chain.from_iterable(map(_TERMS, _tokens_of(sentence))))


_SHAPE: Final = attrgetter("shape")
_STEM: Final = attrgetter("stem")
_WORD: Final = attrgetter("word")
_TOPIC_WORD: Final = attrgetter("topic_word")
_LOWER_CASE_LOW: Final = attrgetter("lower_case_low")


def _shouting(shapes: bytes) -> bool:
    """True for ALL-CAPS or Title Case lines, where capitals say nothing about names.

    ``shapes`` are the tokens' ``_Tok.shape`` codes (as bytes: ``bytes.count`` is much
    cheaper than ``list.count``): alphabetic tokens are "words"; the share of capitalised
    words is taken over the non-stop words (or all words if none)."""
    n_words = len(shapes) - shapes.count(0)
    if n_words < 3:
        return False
    count = shapes.count
    if (count(5) + count(6) + count(7) + count(8)) / n_words > 0.6:  # ALL CAPS shapes
        return True
    if n_words > 20:
        return False
    n_content = n_words - count(2) - count(4) - count(6) - count(8)  # minus stop words
    if n_content:  # share of capitalised non-stop words
        return (count(3) + count(7)) / n_content > 0.8
    return (count(4) + count(8)) / n_words > 0.8  # all stop words: capitalised ones


@dataclass(slots=True)
class _Candidate:
    words: tuple[str, ...]
    is_name: bool
    label: str  # the surface form of the first use
    count: int = 0
    first: int = 1 << 30
    # Uses of each surface form; None while every use has the first form (most candidates).
    forms: dict[str, int] | None = None
    verbal: int = 0  # uses right after an auxiliary, a modal or "to" ("was hanging")
    nominal: int = 0  # uses right after a determiner or preposition ("the hiring")

    def add_use(self, surface: str) -> None:
        """Count one more use (not the first), written ``surface``."""
        self.count += 1
        forms = self.forms
        if forms is None:
            if surface == self.label:
                return
            forms = self.forms = {self.label: self.count - 1}
        forms[surface] = forms.get(surface, 0) + 1


def canonical_key(label: str) -> str:
    """Normalised key for a topic label: case, accents, titles, possessives and punctuation
    don't matter ("President Vladimir Putin's" -> "vladimir putin", "N.A.T.O." -> "nato")."""
    # Memoised for label-sized input: every article's labels are keyed twice (ranking and
    # storage), and the same labels recur across articles.
    return _canonical_key(label) if len(label) <= 200 else _canonical_key.__wrapped__(label)


@lru_cache(maxsize=1 << 14)
def _canonical_key(label: str) -> str:
    text = unicodedata.normalize("NFKD", label)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("\u2019", "'")
    text = _KEY_POSSESSIVE.sub("", text)
    text = _KEY_DOTS.sub("", text)  # N.A.T.O. -> NATO
    words = _KEY_WORD.findall(text)
    while len(words) > 1 and (words[0] in TITLES or words[0] in {"the", "a", "an"}):
        words = words[1:]
    return " ".join(words)


_KEY_POSSESSIVE = re.compile(r"(?<=\w)'s\b|(?<=s)'(?=\s|$)")
_KEY_DOTS = re.compile(r"(?<=\b\w)\.(?=\w\b|\s|$)")
_KEY_WORD = re.compile(r"\w+")


def topic_matches(query: str, key: str) -> bool:
    """Whether a user's ``query`` names the topic ``key`` (both labels or canonical keys).

    Keys differ across articles for the same thing: one article says "Vladimir Putin", the
    next just "Putin".  So beyond equality, a query matches when its words are the last
    words of the key ("putin" -> "vladimir putin", "defense systems" -> "air defense
    systems") or the key's words are the last words of the query ("vladimir putin" finds an
    article keyed "putin").  Case, accents, titles and possessives never matter.
    """
    q = canonical_key(query).split()
    k = canonical_key(key).split()
    if not q or not k:
        return False
    short, long_ = (q, k) if len(q) <= len(k) else (k, q)
    if long_[len(long_) - len(short) :] != short:
        return False
    return len(short) == len(long_) or len(short[-1]) > 1


def _collect(text: str, title: str | None) -> dict[tuple[str, ...], _Candidate]:
    sentences: list[str] = [title] if title else []
    used = 0
    for s in sentences_of(text):
        sentences.append(s)
        used += len(s)
        if used > MAX_CHARS:
            break
    infos = list(map(_tokens_of, sentences))
    shouting = [_shouting(bytes(map(_SHAPE, sinfo))) for sinfo in infos]
    # Words capitalised after a letter or digit in the same sentence (not just first).
    capitalised_elsewhere = {
        b.low
        for sinfo, shout in zip(infos, shouting, strict=True)
        if not shout
        for a, b in pairwise(sinfo)
        if b.cap and a.alnum
    }
    lower_case: set[str] = set()  # words written in lower case, collected on first need

    def in_lower_case(low: str) -> bool:
        if not lower_case:
            lower_case.update(map(_LOWER_CASE_LOW, chain.from_iterable(infos)))
            lower_case.discard("")
        return low in lower_case

    cands: dict[tuple[str, ...], _Candidate] = {}

    def add_name(run: tuple[_Tok, ...], si: int, shout: bool) -> None:
        """Count a run of name words (its first four) as one use of that name."""
        if len(run) == 1:
            key = run[0].key
            surface = run[0].word.title() if shout else run[0].word
        else:
            run = run[:4]
            key = tuple(map(_STEM, run))
            surface = " ".join([t.word.title() for t in run] if shout else map(_WORD, run))
        cand = cands.get(key)
        if cand is None:
            cands[key] = _Candidate(key, True, surface, 1, si)
        else:  # sentences come in order, so ``first`` is already minimal
            cand.is_name = True
            cand.add_use(surface)

    # Runs of two or more lower-case content words, kept for the phrase pass below.  A
    # phrase is only kept if it occurs as often as its words, and at least twice, so phrase
    # keys are built at the end, once the single-word counts are known.
    multi: list[tuple[tuple[_Tok, ...], int]] = []
    for si, (sinfo, shout) in enumerate(zip(infos, shouting, strict=True)):
        # Name runs and lower-case chunks are contiguous tokens: track where they start.
        run_start = chunk_start = -1
        for i, t in enumerate(sinfo):
            # Most tokens (stop words, punctuation, numbers) only end a run or a chunk.
            if t.breaks and not shout:
                if run_start >= 0:
                    add_name(sinfo[run_start:i], si, shout)
                    run_start = -1
                if chunk_start >= 0:
                    if i - chunk_start > 1:
                        multi.append((sinfo[chunk_start:i], si))
                    chunk_start = -1
                continue
            # Part of a name: capitalised, and not merely because it opens the sentence (or
            # a quote) unless it is rare, an acronym ("NATO") or capitalised elsewhere; in a
            # shouting line only words capitalised elsewhere count.
            if shout:
                is_name = not t.not_name and t.low in capitalised_elsewhere
            elif t.name_ok:
                is_name = (
                    (i != 0 and not sinfo[i - 1].quote)
                    or t.rare
                    or t.upper
                    or t.low in capitalised_elsewhere
                    or _opens_name(t, sinfo, i, in_lower_case)
                )
            else:
                is_name = False
            if is_name and t.usable:
                if chunk_start >= 0:
                    if i - chunk_start > 1:
                        multi.append((sinfo[chunk_start:i], si))
                    chunk_start = -1
                if t.title:
                    if run_start >= 0:
                        add_name(sinfo[run_start:i], si, shout)
                        run_start = -1
                elif t.ends_possessive:
                    add_name(sinfo[run_start if run_start >= 0 else i : i + 1], si, shout)
                    run_start = -1
                elif run_start < 0:
                    run_start = i
                continue
            if run_start >= 0:
                add_name(sinfo[run_start:i], si, shout)
                run_start = -1
            # A capitalised role word ("Secretary", "President") introduces a name; it is
            # not a topic of its own.
            if not t.content or (t.title and t.cap):
                if chunk_start >= 0:
                    if i - chunk_start > 1:
                        multi.append((sinfo[chunk_start:i], si))
                    chunk_start = -1
                continue
            cand = cands.get(t.key)
            if cand is None:
                cand = cands[t.key] = _Candidate(t.key, False, t.topic_word, 1, si)
            else:  # sentences come in order, so ``first`` is already minimal
                cand.add_use(t.topic_word)
            if i:
                cue = sinfo[i - 1].cue
                if cue == _VERB_CUE:
                    cand.verbal += 1
                elif cue == _NOUN_CUE:
                    cand.nominal += 1
            if t.ends_s_possessive:  # "the company's chief": the chunk ends here
                if chunk_start >= 0:
                    multi.append((sinfo[chunk_start : i + 1], si))
                    chunk_start = -1
            elif chunk_start < 0:
                chunk_start = i
        if run_start >= 0:
            add_name(sinfo[run_start:], si, shout)
        if chunk_start >= 0 and len(sinfo) - chunk_start > 1:
            multi.append((sinfo[chunk_start:], si))
    phrases: dict[tuple[str, ...], list[int]] = {}  # stems -> [count, first sentence]
    phrase_label: dict[tuple[str, ...], str] = {}
    for chunk, si in multi:
        ok = [(c := cands.get(t.key)) is not None and c.count >= 2 for t in chunk]
        if ok.count(True) < 2:  # no two words in a row seen twice
            continue
        n = len(chunk)
        stems = list(map(_STEM, chunk))
        for size in (2, 3):
            for k in range(n - size + 1):
                if not all(ok[k : k + size]):
                    continue
                key = tuple(stems[k : k + size])
                seen = phrases.get(key)
                if seen is None:
                    phrases[key] = [1, si]
                    phrase_label[key] = " ".join(map(_TOPIC_WORD, chunk[k : k + size]))
                else:
                    seen[0] += 1
    # A lower-case phrase seen once is rarely a topic (and never beats its own words).
    # Nor is one whose words mostly occur outside it ("calorie counts" in a story that says
    # "calorie" ten times): then the single word is the topic.
    for key, (count, first) in phrases.items():
        if count < 2 or key in cands:
            continue
        most = max(c.count if (c := cands.get((w,))) else 0 for w in key)
        if count >= PHRASE_COHESION * most:
            cands[key] = _Candidate(key, False, phrase_label[key], count, first)
    return cands


def _opens_name(
    t: _Tok, sinfo: tuple[_Tok, ...], i: int, in_lower_case: Callable[[str], bool]
) -> bool:
    """Whether a capitalised word that opens a sentence starts a longer name ("Tim Cook
    said"): the next word may be part of a name, and this one is not a stop word, an "-ing"
    form ("Buying MCI") or a word the article also writes in lower case."""
    if i + 1 >= len(sinfo) or t.stop or t.low.endswith("ing"):
        return False
    following = sinfo[i + 1]
    return (
        following.name_ok and following.usable and not following.title and not in_lower_case(t.low)
    )


def _merge_names(cands: dict[tuple[str, ...], _Candidate]) -> None:
    """Fold one-word names into the longer name they abbreviate ("Putin" -> "Vladimir Putin")."""
    by_part: dict[str, list[_Candidate]] = {}
    for c in cands.values():
        if c.is_name and len(c.words) > 1:
            for part in {c.words[0], c.words[-1]}:
                by_part.setdefault(part, []).append(c)
    for key, cand in list(cands.items()):
        if len(key) != 1 or not cand.is_name:
            continue
        targets = by_part.get(key[0])
        if not targets:
            continue
        target = max(targets, key=lambda c: (c.count, len(c.words)))
        target.count += cand.count
        target.first = min(target.first, cand.first)
        del cands[key]


_POS: Final = [1.0 + POS_W / (1.0 + i) ** 0.7 for i in range(64)]
_TF: Final = [float(i) ** TF_EXP for i in range(64)]


def _ranked(cands: dict[tuple[str, ...], _Candidate]) -> Iterator[_Candidate]:
    """The candidates, best first: by score, then earlier first mention, then earlier
    discovery.

    Score = count^TF_EXP x ``_static`` x first-mention bonus, halved (K_MNAME1) for a longer
    name seen once, and raised or lowered by its uses as a noun or a verb (``_score``).
    Only the first dozen or so are read, so each candidate first gets an upper bound of its
    score: ``_static_bound`` for its label's ``_static``, the largest noun factor, and no
    factor below 1.  Candidates are scored exactly in order of their bounds, and one is
    ranked once no bound left could beat it.  Most never need their exact score, nor their
    label's specificity."""
    bounds, pos_table, tf_table = _STATIC_BOUNDS, _POS, _TF
    bounded = []
    for i, c in enumerate(cands.values()):
        first, count = c.first, c.count
        pos = pos_table[first] if first < 64 else 1.0 + POS_W / (1.0 + first) ** 0.7
        tf = tf_table[count] if count < 64 else float(count) ** TF_EXP
        # The first products as in ``_score``, so rounding cannot put the bound below it.
        bound = tf * bounds[c.is_name, len(c.words)] * pos
        if c.nominal:
            bound *= K_NOMINAL
        bounded.append((-bound, first, i, c))
    bounded.sort()
    statics = _STATICS
    scored: list[tuple[float, int, int, _Candidate]] = []  # a heap
    for neg_bound, first, i, c in bounded:
        # The candidates from here on rank after (neg_bound, first, i) at best, so the
        # scored ones before it are in their final order.
        while scored and scored[0] < (neg_bound, first, i):
            yield heappop(scored)[3]
        static = statics[c.label if c.forms is None else _label(c), c.is_name, len(c.words)]
        heappush(scored, (-_score(c, static), first, i, c))
    while scored:
        yield heappop(scored)[3]


def _score(c: _Candidate, static: float) -> float:
    """A candidate's score, given its label's ``_static``."""
    first, count = c.first, c.count
    pos = _POS[first] if first < 64 else 1.0 + POS_W / (1.0 + first) ** 0.7
    tf = _TF[count] if count < 64 else float(count) ** TF_EXP
    score: float = tf * static * pos
    if c.is_name and count < 2 and len(c.words) > 1:
        score *= K_MNAME1 / K_NAME
    if c.nominal:
        score *= K_NOMINAL ** (c.nominal / count)
    if c.verbal:
        score *= K_VERBAL ** (c.verbal / count)
    return score


def _static(label: str, is_name: bool, n_words: int) -> float:
    """The count- and position-free part of a score: specificity x type weight.

    Memoised as ``_STATICS``, so the functions it calls for the label alone (``_weak``,
    ``_label_spec``) need no memo of their own."""
    if is_name:
        kind = K_NAME
    elif n_words > 1:
        kind = K_PHRASE
    elif _weak(label):
        kind = K_WEAK
    elif label.endswith(_NOUN_SUFFIXES):
        kind = K_NOUN
    else:
        kind = 1.0
    return _label_spec(label, is_name) * kind


_STATICS: Final = Memo[tuple[str, bool, int], float](lambda key: _static(*key))

# No word is more specific than this (``_specificity``: at most the IDF of the rarest word,
# which a word outside the table is assumed to be).
_MAX_SPECIFICITY: Final = MAX_ZIPF - min(
    UNKNOWN_ZIPF, UNKNOWN_LOWER_ZIPF, min(_ZIPF_TABLE.values())
)


def _static_bound(is_name: bool, n_words: int) -> float:
    """At least ``_static(label, is_name, n_words)``, whatever the label."""
    spec = _MAX_SPECIFICITY * (1 + PHRASE_BONUS * (n_words - 1))
    kind = K_NAME if is_name else K_PHRASE if n_words > 1 else max(K_WEAK, K_NOUN, 1.0)
    bound: float = spec**SPEC_EXP * kind * (1 + 1e-9)  # the margin covers rounding in **
    return bound


_STATIC_BOUNDS: Final = Memo[tuple[bool, int], float](lambda key: _static_bound(*key))


def _label_spec(label: str, capitalised: bool) -> float:
    """Specificity^SPEC_EXP of a label: mean word specificity, a bonus per extra word."""
    if " " not in label:
        spec = _specificity(_word(label)[1], capitalised)
    else:
        words = label.split()
        spec = sum(_specificity(_word(w)[1], capitalised) for w in words) / len(words)
        spec *= 1 + PHRASE_BONUS * (len(words) - 1)
    result: float = spec**SPEC_EXP
    return result


def _weak(low: str) -> bool:
    """A lower-case word that describes rather than names: past tenses and participles by
    their suffix, and adjectives that have a "-ly" adverb in the word table ("additional" ->
    "additionally", "significant", "recent").  (Adverbs are never candidates.)"""
    if len(low) > 5 and low.endswith(_WEAK_SUFFIXES):
        return True
    if len(low) < 5 or not low.endswith(_ADJECTIVE_SUFFIXES):
        return False
    if low.endswith("le"):  # "simple" -> "simply"
        return _known(low[:-1] + "y")
    if low.endswith("y"):  # "healthy" -> "healthily"; never "company" -> "company"
        return _known(low[:-1] + "ily")
    return _known(low + "ly")


@lru_cache(maxsize=1 << 16)
def _adverb(low: str) -> bool:
    """A "-ly" adverb of a common word: "allegedly", "basically", "happily".  (Rare table
    entries such as "supp" don't count: "supply" is a noun.)"""
    if len(low) < 6 or not low.endswith("ly"):
        return False
    return (
        _common(low[:-2])  # "allegedly"
        or (low.endswith("ally") and _common(low[:-4]))  # "basically"
        or _common(low[:-3] + "y")  # "happily"
    )


def _superlative(low: str) -> bool:
    """A superlative ("best", "biggest", "latest"): it has a common comparative ("bigger",
    "later"), which "interest" or "forest" do not."""
    if low in {"best", "worst", "least"}:
        return True
    if len(low) < 6 or not low.endswith("est"):
        return False
    return _common(low[:-3] + "er") or _common(low[:-2] + "r")


def _common(word: str) -> bool:
    return len(word) >= 4 and _ZIPF_TABLE.get(word, 0.0) >= 3.5


def _label(c: _Candidate) -> str:
    """The surface form used most, the longer on a tie, the first used on a tie of both."""
    if c.forms is None:
        return c.label
    return max(c.forms.items(), key=lambda kv: (kv[1], len(kv[0])))[0]


def extract_topics(text: str, limit: int = 10, title: str | None = None) -> list[str]:
    """Ranked topic labels of an article (best first, at most ``limit``, no duplicates).

    A mix of names ("Mark Rutte", "NATO") and salient single words ("concert"), with at most
    ``MAX_MULTI_NAMES`` multi-word names and ``MAX_PHRASES`` lower-case phrases.
    """
    if limit <= 0 or not text.strip():
        return []
    if "&" in text:
        text = html.unescape(text)
    cands = _collect(text, title)
    _merge_names(cands)
    out: list[str] = []
    keys: set[str] = set()
    taken_words: set[str] = set()
    names = phrases = 0
    for c in _ranked(cands):
        multi = len(c.words) > 1
        if multi and c.is_name:
            if names >= MAX_MULTI_NAMES:
                continue
        elif multi and phrases >= MAX_PHRASES:
            continue
        if not multi and not c.is_name and c.words[0] in taken_words:
            continue
        label = _label(c)
        key = canonical_key(label)
        if not key or key in keys:
            continue
        keys.add(key)
        taken_words.update(c.words)
        out.append(label)
        if multi:
            if c.is_name:
                names += 1
            else:
                phrases += 1
        if len(out) >= limit:
            break
    return out
