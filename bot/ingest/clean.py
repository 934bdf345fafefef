"""Article text made safe to store and show on every platform: the one place for it.

Every source (seed files, JSON Lines, feeds) hands its raw title and body to
`bot.ingest.seed.make_article`, which cleans them with `clean_text` and checks the
length limits here, so nothing downstream ever sees a control character.
"""

from __future__ import annotations

import re
import unicodedata

# A longer news title is a mistake (typically the body on the title line); a longer body is
# not one news article. Both are rejected with the reason, never cut silently.
MAX_TITLE_CHARS = 300
MAX_BODY_CHARS = 100_000

# Terminal escape sequences, removed whole so no "[2J" is left behind: CSI (ESC [ or the
# 8-bit 0x9b), OSC and the other string sequences (ESC ] P X ^ _ or 0x9d 0x90 0x98 0x9e
# 0x9f, up to BEL or ST; an unterminated one runs to the end of the line), and two-character
# escapes.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
    r"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]?"
)
# What is left to drop: C0 controls but tab and newline, DEL and C1; the explicit bidi
# embeddings, overrides and isolates (unterminated, they reverse the rest of a message
# around the article text; the implicit marks LRM/RLM that real right-to-left text uses
# stay); a stray byte order mark; lone surrogates (from JSON escapes; not storable).
_DROPPED = "\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff"
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f{_DROPPED}]")
# In a name, tab and newline would break the one-line messages that name it.
_UNSAFE_IN_NAME = re.compile(f"[\x00-\x1f{_DROPPED}]")


def clean_text(text: str) -> str:
    """Text without escape sequences or unsafe control characters, LF line ends, NFC."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Every character to remove is non-printable, and this test is five times faster than
    # the search: most text has nothing to remove.
    if not text.replace("\n", " ").isprintable():
        text = _UNSAFE.sub("", _ESCAPES.sub("", text))
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


def one_line(text: str) -> str:
    """Cleaned text on one line, white space collapsed: a title."""
    return " ".join(clean_text(text).split())


def paragraphs(text: str) -> str:
    """Cleaned text as one paragraph per line, trimmed, without blank lines: a body."""
    return "\n".join(
        stripped for line in clean_text(text).split("\n") if (stripped := " ".join(line.split()))
    )


def length_problem(title: str, body: str) -> str | None:
    """Why a cleaned title or body is too long to be one news article, if it is."""
    if len(title) > MAX_TITLE_CHARS:
        return (
            f"the title is {len(title):,} characters, over the limit of {MAX_TITLE_CHARS}"
            " (is the body on the title line?)"
        )
    if len(body) > MAX_BODY_CHARS:
        return f"the body is {len(body):,} characters, over the limit of {MAX_BODY_CHARS:,}"
    return None


def safe_name(name: str) -> str:
    """A file name or record id as it can be stored and printed: control characters and
    lone surrogates (a file name's bytes that are not UTF-8) are written as escapes
    (\\x1b, \\udcff), so the name stays distinct and recognisable."""
    return _UNSAFE_IN_NAME.sub(lambda found: found.group().encode("unicode_escape").decode(), name)
