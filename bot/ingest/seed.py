"""The seed article format and the JSON Lines import format.

A seed file is UTF-8 text (a BOM is allowed, LF or CRLF line ends):

    date 2024-12-04 Rutte: Putin Shows No Interest in Peace
    First paragraph of the body.
    Second paragraph.

The date line may start with white space. Every rejection is an IngestError
whose message names the file and, where it helps, the line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.models import Article

DEFAULT_MAX_BYTES = 1_048_576
DATE_LINE = re.compile(r"^\s*date(?:\s+(?P<date>\S+))?(?:\s+(?P<title>.*))?$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Text files have almost no C0 control characters besides tab and newlines.
CONTROL_BYTES = frozenset(range(0x20)) - {0x09, 0x0A, 0x0D, 0x0C}


class IngestError(Exception):
    """One input could not become an article. str() is a one-line reason."""

    def __init__(self, source: str, message: str, line: int | None = None) -> None:
        self.source = source
        self.line = line
        self.reason = message
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class RejectedInput:
    """A JSON Lines record that was rejected; the rest of the file goes on."""

    error: IngestError


def content_hash(title: str, date: dt.date, body: str) -> str:
    """Identity of an article's content: the same text always hashes the same."""
    digest = hashlib.sha256(f"{date.isoformat()}\n{title}\n{body}".encode())
    return digest.hexdigest()


def make_article(source: str, title: str, date: dt.date, body: str) -> Article:
    return Article(
        title=title,
        date=date,
        body=body,
        source=source,
        content_hash=content_hash(title, date, body),
    )


def parse_date(text: str, source: str, line: int | None) -> dt.date:
    if not ISO_DATE.match(text):
        raise IngestError(source, f"garbled date {text[:40]!r}, expected YYYY-MM-DD", line)
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise IngestError(source, f"impossible date {text} ({exc})", line) from None


def decode_text(data: bytes, source: str) -> str:
    """UTF-8 (with or without BOM) to text with LF line ends, or a located error."""
    nul = data.find(b"\0")
    if nul >= 0:
        raise IngestError(source, f"binary file (NUL byte at offset {nul})")
    sample = data[:8192]
    if sample and sum(byte in CONTROL_BYTES for byte in sample) > len(sample) // 20:
        raise IngestError(source, "binary file (too many control characters for text)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise IngestError(
            source,
            f"invalid UTF-8 at column {column} (byte 0x{data[exc.start]:02x}); "
            "save the file as UTF-8",
            line,
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def normalise_body(lines: list[str]) -> str:
    """One paragraph per line, trimmed, without blank lines."""
    return "\n".join(stripped for line in lines if (stripped := " ".join(line.split())))


def parse_seed_text(text: str, source: str) -> Article:
    """Parse decoded seed text. Leading blank lines before the date line are allowed."""
    lines = text.split("\n")
    first = 0
    while first < len(lines) and not lines[first].strip():
        first += 1
    if first == len(lines):
        raise IngestError(source, "empty file, expected 'date YYYY-MM-DD Title' on the first line")
    line_number = first + 1
    match = DATE_LINE.match(lines[first])
    if not match:
        raise IngestError(
            source,
            f"expected 'date YYYY-MM-DD Title', found {lines[first].strip()[:60]!r}",
            line_number,
        )
    if not match["date"]:
        raise IngestError(source, "the date line has no date, expected YYYY-MM-DD", line_number)
    date = parse_date(match["date"], source, line_number)
    title = " ".join((match["title"] or "").split())
    if not title:
        raise IngestError(source, "the title after the date is empty", line_number)
    body = normalise_body(lines[first + 1 :])
    if not body:
        raise IngestError(
            source, "the body is empty (no text after the date line)", line_number + 1
        )
    return make_article(source, title, date, body)


def read_limited(path: Path, max_bytes: int) -> bytes:
    """Read a file, refusing one over the size limit before reading it whole."""
    source = str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise IngestError(
                source, f"file is {size:,} bytes, over the limit of {max_bytes:,} bytes"
            )
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise IngestError(source, f"cannot read: {exc.strerror}") from exc
    if len(data) > max_bytes:  # grew while we looked
        raise IngestError(source, f"file is over the limit of {max_bytes:,} bytes")
    return data


def parse_seed_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Article:
    source = str(path)
    return parse_seed_text(decode_text(read_limited(path, max_bytes), source), source)


def parse_jsonl_file(
    path: Path, default_date: dt.date, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[Article | RejectedInput]:
    """Articles from JSON Lines of {title, date?, body, id?}.

    `max_bytes` limits each record, not the file: these are bulk imports. A
    record's identity is `path#id` when it has an id, else `path#line`.
    """
    source = str(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise IngestError(source, f"cannot read: {exc.strerror}") from exc
    with handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                yield _parse_json_record(raw, source, number, default_date, max_bytes)
            except IngestError as error:
                yield RejectedInput(error)


def _parse_json_record(
    raw: bytes, source: str, number: int, default_date: dt.date, max_bytes: int
) -> Article:
    if len(raw) > max_bytes:
        raise IngestError(source, f"record is over the limit of {max_bytes:,} bytes", number)
    try:
        record = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise IngestError(source, f"invalid UTF-8 at byte {exc.start}", number) from None
    except json.JSONDecodeError as exc:
        raise IngestError(source, f"malformed JSON ({exc.msg})", number) from None
    if not isinstance(record, dict):
        raise IngestError(source, "expected a JSON object {title, date?, body}", number)
    title, body, date = record.get("title"), record.get("body"), record.get("date")
    if not isinstance(title, str) or not " ".join(title.split()):
        raise IngestError(source, "missing or empty 'title'", number)
    if not isinstance(body, str) or not body.strip():
        raise IngestError(source, "missing or empty 'body'", number)
    if date is None:
        article_date = default_date
    elif isinstance(date, str):
        article_date = parse_date(date, source, number)
    else:
        raise IngestError(source, "'date' must be a string YYYY-MM-DD", number)
    record_id = record.get("id")
    identity = f"{source}#{record_id}" if isinstance(record_id, str | int) else f"{source}#{number}"
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    return make_article(
        identity, " ".join(title.split()), article_date, normalise_body(text.split("\n"))
    )
