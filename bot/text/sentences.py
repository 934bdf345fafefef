"""Sentence segmentation for news text.

A single linear regex pass proposes boundaries (terminal punctuation, optionally followed by
closing quotes/brackets, then whitespace, then something that can start a sentence) and a few
table-driven rules veto them:

* known abbreviations (titles like ``Mr.``/``Gen.``, months like ``Jan.``, ``No.``, ``vs.``)
  never end a sentence when followed by a capitalised word or a number;
* dotted acronyms (``U.S.``, ``U.K.``) and month abbreviations end a sentence only when the
  next word is a typical sentence opener (``The``, ``He``, ``But`` ...);
* single-letter initials (``John F. Kennedy``) never end a sentence;
* decimals and money (``$1.13bn``, ``3.5%``) have no space after the dot, so never match.

Line structure matters in news: a blank line always ends a sentence, and a single newline ends
one unless the line clearly wraps mid-sentence (it ends in a letter/comma and the next line
starts in lower case).  So headlines without a final stop and bullet lists come out as their
own sentences.  pysbd handles similar cases but costs ~13 ms per BBC article; this costs well
under 0.1 ms.

Real pages and corpora add debris, handled here so that no caller ever shows it:

* spaced punctuation (``on Sunday . 'Just been``), as in tokenised corpora and in the Daily
  Mail's captions, is a boundary like any other; a spaced stop before a lower-case word is
  the Daily Mail's line-wrap artefact (``a woman who . claims``) and is dropped;
* bylines (``By . Associated Press .``), timestamps (``PUBLISHED: . 14:11 EST, 25 October
  2013 . | .``), "Scroll down for video", "Share this article" and link teasers (``Watch
  ... »``) are not sentences and are left out; a dateline (``Beirut (CNN) --``) is cut from
  the sentence it opens, and a bullet's marker from its item;
* captions stay sentences (their words say what the article is about) but
  :func:`is_caption` tells them apart, so that summaries leave them out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Final

from bot.text._lexicon import SENTENCE_OPENERS

__all__ = ["is_caption", "split_sentences"]

# Abbreviations after which a full stop practically never ends the sentence when followed by a
# capitalised word or number (titles, "No. 10", "St. Louis", "vs. Chelsea").
_TITLE_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "gen",
        "lt",
        "col",
        "maj",
        "capt",
        "cpt",
        "sgt",
        "adm",
        "cmdr",
        "gov",
        "sen",
        "rep",
        "rev",
        "fr",
        "sr",
        "jr",
        "st",
        "mt",
        "ft",
        "pres",
        "supt",
        "insp",
        "hon",
        "messrs",
        "mme",
        "mlle",
        "no",
        "nos",
        "vs",
        "v",
        "fig",
        "figs",
        "op",
        "vol",
        "pp",
        "approx",
        "dept",
        "est",
        "inc",
        "ltd",
        "co",
        "corp",
        "bros",
        "cie",
        "univ",
        "assn",
        "ave",
        "blvd",
        "rd",
    ]
)
# Abbreviations that may also end a sentence ("... in the U.S. The ..."): break only when the
# next word is a typical sentence opener.
_AMBIGUOUS_ABBREVIATIONS = frozenset(
    [
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mon",
        "tue",
        "tues",
        "wed",
        "thu",
        "thur",
        "thurs",
        "fri",
        "sat",
        "sun",
        "etc",
        "al",
        "e.g",
        "i.e",
        "a.m",
        "p.m",
    ]
)
_SENTENCE_OPENERS = SENTENCE_OPENERS | frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "one",
        "some",
        "many",
        "most",
        "officials",
        "police",
    ]
)

# Candidate boundary: after a non-space, a terminal punctuation run with optional closers
# (``."``, ``?)``) or closers then punctuation (``").``), then whitespace and a lookahead for a
# plausible sentence start.  The pattern opens with a plain character class, which lets the
# regex engine skip ahead to the next punctuation character instead of trying the whole
# pattern at every position (4x faster than the equivalent
# ``(?<=\S)(?:[.!?…]+[closers]*|[closers]+[.!?…]+)``); each branch's look-behind then checks
# which kind of character it started with and that a non-space precedes it.
_BOUNDARY = re.compile(
    r"""[.!?\u2026'"\u2019\u201d)\]]"""
    r"""(?:(?<=[.!?\u2026])[.!?\u2026]*['"\u2019\u201d)\]]*"""
    r"""|(?<=\S['"\u2019\u201d)\]])['"\u2019\u201d)\]]*[.!?\u2026]+)"""
    r"""(?=\s+['"\u2018\u201c(\[]*[A-Z0-9\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff\-\u2022*])"""
)
_NEXT_WORD = re.compile(r"""\s+['"\u2018\u201c(\[]*([A-Za-z]+)""")
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_BULLET = re.compile(r"^\s*(?:[-*\u2022\u25aa\u25cf\u2013\u2014]|\d{1,2}[.)])\s+")
# A bullet's marker, cut from its item; an inline bullet ("... \u2022 next item") is a boundary.
_MARKER = re.compile(r"^(?:[-*\u2022\u25aa\u25cf\u2013\u2014]|\d{1,2}[.)])\s+")
_INLINE_BULLET = re.compile(r"\s\u2022\s")
# The Daily Mail's line-wrap artefact: a spaced stop inside a sentence ("who . claims",
# "Cassell and . Edwards"), before a lower-case word or after a word that never ends one.
_WRAP_STOP = re.compile(r"(\w*) \.(?= ([a-z])?)")
_NEVER_LAST: Final = frozenset(
    [
        "a",
        "an",
        "and",
        "or",
        "but",
        "of",
        "the",
        "to",
        "in",
        "on",
        "at",
        "for",
        "from",
        "with",
        "by",
        "as",
        "that",
        "who",
        "which",
        "whose",
        "is",
        "was",
        "are",
        "were",
        "be",
        "been",
        "his",
        "her",
        "their",
        "its",
        "our",
        "my",
        "your",
        "this",
        "these",
        "those",
        "than",
    ]
)
# "Beirut (CNN) -- ", "WASHINGTON (AP) \u2014 ": place and agency before a dash.
_DATELINE = re.compile(
    r"^(?:[A-Z][\w.'\u2019-]*,? ){0,5}"
    r"(?:\((?:CNN|AP|Reuters|AFP|UPI)\)(?: ?(?:--|\u2014|\u2013|-))?"
    r"|\([A-Z][\w.]{1,20}\) ?(?:--|\u2014|\u2013|-)) ?"
)
# Not sentences: bylines, timestamps, page furniture.  Anchored at the piece's start and, but
# for the byline, short, so that a real sentence that happens to start alike is kept.
_BYLINE = re.compile(
    r"^By\b[ .]*(?:(?:[A-Z][\w'\u2019.-]*|and|for|in|of|de|van|von|the)[ ,.]*){1,8}$"
)
_DEBRIS = re.compile(
    r"^(?:(?:PUBLISHED|UPDATED|Published|Updated) ?:|Last updated (?:at|on) .{0,30}\d"
    r"|\d{1,2}:\d{2}\b|[|.\s]*$"
    r"|(?:Scroll down|Scroll for) .{0,20}$"
    r"|(?:Share (?:this|on)|Click here|Follow (?:us|@|\w+ on \w+ )|Sign up|Read more"
    r"|READ MORE)\b.{0,80}$|Advertisement[ .]*$)",
    re.DOTALL,
)
# Anywhere in a short piece: a link teaser ("Watch ... \u00bb") or a contributor line.
_TEASER = re.compile(r"\u00bb[ .]*$|\bcontributed to this (?:report|story|article)\b")
# Caption cues: a short label ("Retread: David ..."), or a pointer at the photo.
_CAPTION_LABEL = re.compile(r"^(?:[A-Z][\w'\u2019-]*[ ,]?){1,3}: (?=['\u2018\"\u201c]?[A-Z])")
_PHOTO = re.compile(
    r"\((?:(?:second |far |top |bottom |centre |center )?(?:left|right|centre|center|above"
    r"|below|inset)|(?:pictured|photographed|file photo|shown)[^)]{0,30})\)"
    r"|\bpictured\b(?! (?:as|by|with)\b)"
)

# A "sentence" longer than this (text without punctuation) is cut at a space so that callers
# never have to handle megabyte-sized sentences.
MAX_SENTENCE_CHARS = 2000


def _joins_next_line(prev: str, nxt: str) -> bool:
    """True when a single newline between ``prev`` and ``nxt`` is a soft wrap."""
    if not prev or not nxt or _BULLET.match(nxt):
        return False
    last = prev.rstrip()[-1:]
    first = nxt.lstrip()[:1]
    return (last.isalpha() or last in ",;:-(") and (first.islower() or first in ")(")


def _blocks(text: str) -> list[str]:
    """Paragraphs and lines that are hard sentence boundaries, soft wraps re-joined."""
    out: list[str] = []
    for para in _BLANK_LINE.split(text):
        current = ""
        for raw in para.split("\n"):
            line = raw.strip()
            if not line:
                continue
            if current and _joins_next_line(current, line):
                current = f"{current} {line}"
            else:
                if current:
                    out.append(current)
                current = line
        if current:
            out.append(current)
    return out


_WORD_CHARS: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.")


def _word_before(block: str, end: int) -> str:
    """The word (letters and dots, starting with a letter) ending at ``end``, or "".

    A backwards scan: an end-anchored regex search would rescan the block from its start for
    every candidate boundary, which is quadratic in the paragraph length.
    """
    start = end
    while start > 0 and block[start - 1] in _WORD_CHARS:
        start -= 1
    while start < end and block[start] == ".":
        start += 1
    return block[start:end]


def _is_boundary(block: str, end: int) -> bool:
    """Decide whether the punctuation match ending at ``end`` really ends a sentence."""
    punct_start = end
    while punct_start > 0 and block[punct_start - 1] in ".!?\u2026'\"\u2019\u201d)]":
        punct_start -= 1
    if punct_start <= 2 and block[:punct_start].isdigit():
        return False  # a numbered item ("1. Preheat the oven")
    marks = block[punct_start:end]
    if "!" in marks or "?" in marks or "\u2026" in marks or ".." in marks:
        return True
    word = _word_before(block, punct_start)
    if not word:
        # Spaced punctuation ends a sentence, except in a byline ("By . Associated Press .").
        return block[max(0, punct_start - 3) : punct_start] != "By "
    bare = word.rstrip(".").lower()
    if len(word) == 1 and word.isupper():
        # An initial ("John F. Kennedy"), unless a typical opener follows ("hepatitis A. The").
        return _opens_sentence(block, end)
    if (bare in _TITLE_ABBREVIATIONS and word[0] != word[0].lower()) or bare in {"vs", "v", "no"}:
        return False
    if bare in _TITLE_ABBREVIATIONS or "." in bare or bare in _AMBIGUOUS_ABBREVIATIONS:
        # U.S., U.K., a.m., Jan. : sentence end only before a typical opener.
        return _opens_sentence(block, end)
    return True


def _opens_sentence(block: str, end: int) -> bool:
    """Whether the word after offset ``end`` is a typical sentence opener."""
    nm = _NEXT_WORD.match(block, end)
    return nm is not None and nm.group(1).lower() in _SENTENCE_OPENERS


def _split_long(sentence: str) -> list[str]:
    if len(sentence) <= MAX_SENTENCE_CHARS:
        return [sentence]
    out: list[str] = []
    rest = sentence
    while len(rest) > MAX_SENTENCE_CHARS:
        cut = rest.rfind(" ", 0, MAX_SENTENCE_CHARS)
        if cut <= 0:
            cut = MAX_SENTENCE_CHARS
        out.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if rest:
        out.append(rest)
    return out


def is_caption(sentence: str, spaced_text: bool = False) -> bool:
    """Whether ``sentence`` reads like a photo caption rather than a sentence of the story.

    A caption has a short label ("Retread: David Cameron ..."), points at the photo
    ("(pictured)", "(left)"), or, as on the Daily Mail, ends in a spaced stop: a cue only when
    the text does not space all its punctuation (``spaced_text``, as tokenised corpora do).
    """
    if not spaced_text and sentence.endswith(" ."):
        return True
    if ": " in sentence[:40] and _CAPTION_LABEL.match(sentence):
        return True
    return ("(" in sentence or "pictured" in sentence) and _PHOTO.search(sentence) is not None


def is_spaced(sentences: Sequence[str]) -> bool:
    """Whether most sentences end in spaced punctuation (``word .``): tokenised text."""
    return sum([s.endswith((" .", " !", " ?")) for s in sentences]) * 2 > len(sentences)


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences, keeping each sentence's own characters.

    Whitespace inside a sentence is collapsed to single spaces; every returned sentence is
    non-empty.  Empty or whitespace-only input gives ``[]``.
    """
    return list(sentences_of(text))


@lru_cache(maxsize=8)
def sentences_of(text: str) -> tuple[str, ...]:
    """``split_sentences`` as an immutable, memoised tuple.

    The summariser and the topic extractor both need the sentences of the same article
    (``prepare_article`` calls one after the other), so the split is done once and shared.
    """
    sentences: list[str] = []
    for block in _blocks(text):
        # Collapse white space runs; a printable block without a double space has none (every
        # white space character but " " is unprintable).
        if "  " in block or not block.isprintable():
            block = " ".join(block.split())
        if " ." in block:
            block = _WRAP_STOP.sub(_unwrap, block)
        start = 0
        for match in _BOUNDARY.finditer(block):
            end = match.end()
            if _is_boundary(block, end):
                _add(sentences, block[start:end])
                start = end
        _add(sentences, block[start:])
    if not sentences and text.strip():
        # Nothing but debris: then it is all there is to show.
        sentences = _split_long(" ".join(text.split()))
    return tuple(sentences)


def _unwrap(match: re.Match[str]) -> str:
    """The word before a spaced stop, without the stop when it is a line-wrap artefact."""
    word = match.group(1)
    wrapped = match.group(2) is not None or word.lower() in _NEVER_LAST
    return word if wrapped else match.group(0)


def _add(sentences: list[str], piece: str) -> None:
    """Append ``piece`` as a sentence (or several: inline bullets, an over-long run) without
    its dateline or bullet marker, unless it is debris."""
    if "\u2022" in piece and _INLINE_BULLET.search(piece):
        for item in _INLINE_BULLET.split(piece):
            _add(sentences, item)
        return
    piece = piece.strip()
    if (
        not piece
        or _DEBRIS.match(piece)
        or (piece.startswith("By") and _BYLINE.match(piece))
        or (("\u00bb" in piece or "contributed" in piece) and _TEASER.search(piece))
    ):
        return
    if piece[0] in "-*\u2022\u25aa\u25cf\u2013\u2014" or piece[0].isdigit():
        piece = _MARKER.sub("", piece, count=1)
    if "(" in piece[:80]:
        piece = _DATELINE.sub("", piece, count=1)
    if len(piece) > MAX_SENTENCE_CHARS:
        sentences.extend(_split_long(piece))
    elif piece:
        sentences.append(piece)
