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
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from bot.ingest.clean import length_problem, one_line, paragraphs, safe_name
from bot.models import Article

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 1_048_576
MAX_ID_CHARS = 200
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


def make_article(
    source: str,
    title: str,
    date: dt.date,
    body: str,
    *,
    line: int | None = None,
    body_line: int | None = None,
) -> Article:
    """The one way any source makes an article: raw title and body are cleaned (see
    bot.ingest.clean), checked and hashed; an IngestError names `line` (the title's) or
    `body_line` when they are empty or too long."""
    title, body = one_line(title), paragraphs(body)
    if not title:
        raise IngestError(source, "the title is empty", line)
    if not body:
        raise IngestError(source, "the body is empty", body_line or line)
    if problem := length_problem(title, body):
        raise IngestError(source, problem, line)
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
    return make_article(
        source,
        match["title"] or "",
        date,
        "\n".join(lines[first + 1 :]),
        line=line_number,
        body_line=line_number + 1,
    )


def source_name(path: Path) -> str:
    """An input's identity, the same however its path is typed: the resolved path, relative
    to the working folder when inside it (as a relative seeds folder has always stored it),
    with control characters and undecodable bytes escaped so it can be stored and printed."""
    try:
        resolved, cwd = path.resolve(), Path.cwd().resolve()
    except (OSError, RuntimeError):  # a symlink loop, a working folder that was removed
        return safe_name(os.path.abspath(path))
    return safe_name(str(resolved.relative_to(cwd) if resolved.is_relative_to(cwd) else resolved))


def read_limited(path: Path, max_bytes: int) -> bytes:
    """Read a file, refusing one over the size limit before reading it whole."""
    source = source_name(path)
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
    source = source_name(path)
    return parse_seed_text(decode_text(read_limited(path, max_bytes), source), source)


def parse_jsonl_file(
    path: Path, default_date: dt.date, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[Article | RejectedInput]:
    """Articles from JSON Lines of {title, date?, body, id?}, each record accepted or
    rejected on its own.

    `max_bytes` limits each record, not the file: these are bulk imports. A record's
    identity is `path#id` when it has an id, else `path#line`; a later record with the
    identity of an earlier one is rejected, so neither silently replaces the other.
    """
    source = source_name(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise IngestError(source, f"cannot read: {exc.strerror}") from exc
    holders: dict[str, tuple[int, bool]] = {}  # identity -> (its line, whether by an id)
    with handle:
        for number, raw in _numbered_lines(handle, max_bytes):
            try:
                if raw is None:
                    raise IngestError(
                        source, f"record is over the limit of {max_bytes:,} bytes", number
                    )
                article, by_id = _parse_json_record(raw, source, number, default_date)
                holder = holders.setdefault(article.source, (number, by_id))
                if holder[0] != number:
                    taken = _taken_identity(
                        article.source.removeprefix(f"{source}#"), by_id, holder
                    )
                    raise IngestError(source, taken, number)
                yield article
            except IngestError as error:
                yield RejectedInput(error)
            except Exception as exc:  # a bug must not cost the rest of the file
                yield RejectedInput(unexpected_error(source, exc, number))


def unexpected_error(source: str, exc: Exception, line: int | None = None) -> IngestError:
    """An input that hit a bug, reported like any rejection (with the traceback in the log)
    so that one odd input never stops the others."""
    log.error("unexpected error reading %s", source, exc_info=exc)
    return IngestError(source, f"could not be read: unexpected {type(exc).__name__} (a bug)", line)


def _numbered_lines(handle: BinaryIO, max_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line) of the non-blank lines; None for a line over `max_bytes`, which is
    skipped without holding it in memory whole."""
    number = 0
    while raw := handle.readline(max_bytes + 1):
        number += 1
        if len(raw) > max_bytes and not raw.endswith(b"\n"):
            while (rest := handle.readline(max_bytes + 1)) and not rest.endswith(b"\n"):
                pass
            yield number, None
        elif raw.strip():
            yield number, raw


def _taken_identity(record_id: str, by_id: bool, holder: tuple[int, bool]) -> str:
    """Why a record's identity is taken: ids and the line numbers of records without an id
    share one namespace (as they always have in stored archives)."""
    first, first_by_id = holder
    if not by_id:
        return (
            f"this record has no 'id' and its line number is the 'id' of line {first};"
            " give it an id"
        )
    if not first_by_id:
        return (
            f"id {record_id!r} is already line {first}'s, which has no 'id' and is known by"
            f" its line number; give line {first} an id"
        )
    return f"duplicate id {record_id!r}, already used on line {first}"


def _record_id(record: dict[str, object], source: str, number: int) -> str:
    """`path#id`, or `path#line` for a record without an id."""
    record_id = record.get("id")
    if record_id is None:
        return f"{source}#{number}"
    if isinstance(record_id, bool) or not isinstance(record_id, str | int):
        raise IngestError(source, "'id' must be a string or an integer", number)
    text = safe_name(str(record_id))
    if not text.strip() or len(text) > MAX_ID_CHARS:
        raise IngestError(source, f"'id' must be 1 to {MAX_ID_CHARS} characters", number)
    return f"{source}#{text}"


def _parse_json_record(
    raw: bytes, source: str, number: int, default_date: dt.date
) -> tuple[Article, bool]:
    """The record's article, and whether it is known by an id (else by its line)."""
    try:
        record = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise IngestError(source, f"invalid UTF-8 at byte {exc.start}", number) from None
    except json.JSONDecodeError as exc:
        raise IngestError(source, f"malformed JSON ({exc.msg})", number) from None
    except RecursionError:
        raise IngestError(source, "malformed JSON (nested too deeply)", number) from None
    except ValueError as exc:  # e.g. a number with more digits than Python converts
        raise IngestError(source, f"malformed JSON ({str(exc).split(':')[0]})", number) from None
    if not isinstance(record, dict):
        raise IngestError(source, "expected a JSON object {title, date?, body}", number)
    title, body, date = record.get("title"), record.get("body"), record.get("date")
    for key, value in (("title", title), ("body", body)):
        if not isinstance(value, str):
            raise IngestError(source, f"missing or non-text {key!r}", number)
    if date is None:
        article_date = default_date
    elif isinstance(date, str):
        article_date = parse_date(date, source, number)
    else:
        raise IngestError(source, "'date' must be a string YYYY-MM-DD", number)
    identity = _record_id(record, source, number)
    try:
        article = make_article(identity, str(title), article_date, str(body))
    except IngestError as error:  # named by file and line, like every other record problem
        raise IngestError(source, error.reason, number) from None
    return article, record.get("id") is not None
