"""The seed format: what is accepted, and every rejection with its file and line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.ingest.seed import IngestError, parse_jsonl_file, parse_seed_file
from tests.conftest import RUTTE_SEED

GOOD = b"date 2024-12-04 A title\nFirst paragraph.\nSecond paragraph.\n"


def write(tmp_path: Path, data: bytes, name: str = "item.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_real_seed_article_parses(tmp_path: Path) -> None:
    article = parse_seed_file(RUTTE_SEED)
    assert article.date == dt.date(2024, 12, 4)
    assert article.title.startswith("Rutte: Putin Shows No Interest in Peace")
    assert article.body.startswith("NATO Secretary General Mark Rutte")
    assert article.body.count("\n") == 4  # five paragraphs
    assert len(article.content_hash) == 64


@pytest.mark.parametrize(
    "data",
    [
        GOOD,
        b"\xef\xbb\xbf" + GOOD,  # UTF-8 BOM
        GOOD.replace(b"\n", b"\r\n"),  # CRLF
        b"   \t" + GOOD,  # leading white space on the date line
        b"\n\n" + GOOD,  # blank lines before the date line
        GOOD.replace(b"A title", b"A   title  "),  # title white space is normalised
    ],
    ids=["plain", "bom", "crlf", "indented", "leading-blank-lines", "title-spaces"],
)
def test_accepted_variants_give_the_same_article(tmp_path: Path, data: bytes) -> None:
    article = parse_seed_file(write(tmp_path, data))
    assert (article.title, article.date) == ("A title", dt.date(2024, 12, 4))
    assert article.body == "First paragraph.\nSecond paragraph."
    assert article.content_hash == parse_seed_file(write(tmp_path, GOOD, "b.txt")).content_hash


def test_non_ascii_text_survives(tmp_path: Path) -> None:
    data = "date 2024-01-02 Zürich café résumé 😀\nΚαλημέρα κόσμε. Привет.\n".encode()
    article = parse_seed_file(write(tmp_path, data))
    assert article.title == "Zürich café résumé 😀"
    assert article.body == "Καλημέρα κόσμε. Привет."


@pytest.mark.parametrize(
    ("data", "line", "reason"),
    [
        (b"", None, "empty file"),
        (b"Hello there\nbody\n", 1, "expected 'date YYYY-MM-DD Title'"),
        (b"date\nbody\n", 1, "has no date"),
        (b"date 2024/12/04 Title\nbody\n", 1, "garbled date '2024/12/04'"),
        (b"date 24-12-04 Title\nbody\n", 1, "garbled date"),
        (b"date 2024-02-30 Title\nbody\n", 1, "impossible date 2024-02-30"),
        (b"date 2023-13-01 Title\nbody\n", 1, "impossible date 2023-13-01"),
        (b"date 2024-12-04\nbody\n", 1, "the title is empty"),
        (b"date 2024-12-04    \nbody\n", 1, "the title is empty"),
        (b"date 2024-12-04 Title\n", 2, "body is empty"),
        (b"date 2024-12-04 Title\n  \n\t\n", 2, "body is empty"),
        (b"date 2024-12-04 Title\ncaf\xe9 au lait\n", 2, "invalid UTF-8 at column 4 (byte 0xe9)"),
        (b"date 2024-12-04 Title\n\x00\x01\x02binary", None, "binary file"),
        (bytes(range(1, 32)) * 20, None, "binary file"),
    ],
    ids=[
        "empty",
        "no-date-line",
        "date-keyword-only",
        "slashes",
        "two-digit-year",
        "feb-30",
        "month-13",
        "no-title",
        "blank-title",
        "no-body",
        "blank-body",
        "latin-1",
        "nul-bytes",
        "control-bytes",
    ],
)
def test_rejections_name_file_line_and_reason(
    tmp_path: Path, data: bytes, line: int | None, reason: str
) -> None:
    path = write(tmp_path, data)
    with pytest.raises(IngestError) as caught:
        parse_seed_file(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:{line}: " if line else f"{path}: ")
    assert reason in message


def test_file_over_the_size_limit_is_rejected_unread(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + b"x" * 2000)
    with pytest.raises(IngestError, match=r"over the limit of 1,000 bytes"):
        parse_seed_file(path, max_bytes=1000)
    assert parse_seed_file(path, max_bytes=10_000).title == "A title"


def test_jsonl_records_each_accepted_or_rejected_alone(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        b'{"id": "a1", "title": "One", "date": "2024-05-01", "body": "Body one."}\n'
        b'{"title": "Two", "body": "Body two.\\n\\nMore."}\n'
        b"not json\n"
        b'{"title": "", "body": "x"}\n'
        b'{"title": "Bad date", "date": "2024-02-30", "body": "x"}\n'
        b"\n"
        b'["a", "list"]\n',
        "bulk.jsonl",
    )
    items = list(parse_jsonl_file(path, default_date=dt.date(2026, 1, 1)))
    articles = [i for i in items if not hasattr(i, "error")]
    errors = [str(i.error) for i in items if hasattr(i, "error")]
    assert [(a.title, a.date, a.source) for a in articles] == [
        ("One", dt.date(2024, 5, 1), f"{path}#a1"),
        ("Two", dt.date(2026, 1, 1), f"{path}#2"),
    ]
    assert articles[1].body == "Body two.\nMore."
    assert errors == [
        f"{path}:3: malformed JSON (Expecting value)",
        f"{path}:4: the title is empty",
        f"{path}:5: impossible date 2024-02-30 (day is out of range for month)",
        f"{path}:7: expected a JSON object {{title, date?, body}}",
    ]
