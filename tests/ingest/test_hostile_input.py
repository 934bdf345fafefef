"""Hostile or broken input: each record and file is accepted or rejected on its own, with a
reason naming file and line, and what is stored is safe to show anywhere."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.ingest import seed
from bot.ingest.derive import prepare_article
from bot.ingest.service import IngestReport, ingest_paths
from bot.store import Store
from tests.conftest import RUTTE_SEED

TODAY = dt.date(2024, 12, 4)
RUTTE = seed.parse_seed_file(RUTTE_SEED)


async def _ingest(store: Store, *paths: Path) -> IngestReport:
    return await ingest_paths(
        store, list(paths), prepare_article, max_bytes=1 << 20, default_date=TODAY
    )


async def _stored_titles(store: Store) -> list[str]:
    return sorted(a.title for a in await store.latest(100, up_to=dt.date(9999, 1, 1)))


def _jsonl(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _record(title: str, body: str = "A body of one sentence.", **extra: object) -> str:
    return json.dumps({"title": title, "body": body, **extra})


async def test_a_lone_surrogate_in_a_record_costs_nothing_else(
    store: Store, tmp_path: Path
) -> None:
    bulk = _jsonl(
        tmp_path / "bulk.jsonl",
        _record("First"),
        '{"title": "Surrogate \\ud800", "body": "x \\udfff y"}',
        _record("Third"),
    )
    report = await _ingest(store, bulk)
    assert report.rejected == []
    assert await _stored_titles(store) == ["First", "Surrogate", "Third"]


def test_newsbot_ingest_of_a_seeds_folder_with_a_surrogate_record_stores_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(RUTTE_SEED, seeds / RUTTE_SEED.name)
    _jsonl(seeds / "bulk.jsonl", '{"title": "Surrogate \\ud800", "body": "x"}', _record("Good"))
    config = tmp_path / "newsbot.toml"
    config.write_text(
        f'[database]\npath = "{tmp_path / "db.sqlite"}"\n[seeds]\nfolder = "{seeds}"\n',
        encoding="utf-8",
    )
    assert main(["ingest", "--config", str(config)]) == 0
    assert "3 added" in capsys.readouterr().out


async def test_records_that_break_the_json_parser_are_rejected_alone(
    store: Store, tmp_path: Path
) -> None:
    bulk = _jsonl(
        tmp_path / "bulk.jsonl",
        "[" * 100_000,  # deeper than Python's recursion limit
        '{"title": "Big", "body": "x", "n": ' + "1" * 5000 + "}",  # too many digits
        _record("Kept"),
    )
    report = await _ingest(store, bulk)
    assert [str(e) for e in report.rejected] == [
        f"{bulk}:1: malformed JSON (nested too deeply)",
        f"{bulk}:2: malformed JSON (Exceeds the limit (4300 digits) for integer string conversion)",
    ]
    assert await _stored_titles(store) == ["Kept"]


async def test_escape_sequences_and_control_characters_never_reach_the_store(
    store: Store, tmp_path: Path
) -> None:
    (tmp_path / "a.txt").write_text(
        "date 2024-12-04 Clear\x1b[2J the \x1b]0;pwned\x07screen\u202e\n"
        "Body\x1b[31m in red\x1b[0m,\x07 a bell\x9b2J and an \x1b]8;;http://x\x1b\\OSC link.\n"
        "Cafe\u0301 in NFD.\n" + RUTTE.body,
        encoding="utf-8",
    )
    assert (await _ingest(store, tmp_path / "a.txt")).rejected == []
    [article] = await store.latest(1, up_to=TODAY)
    assert article.title == "Clear the screen"
    assert article.body == "Body in red, a bell and an OSC link.\nCafé in NFD.\n" + RUTTE.body


async def test_a_title_that_is_only_control_characters_is_rejected_as_empty(
    store: Store, tmp_path: Path
) -> None:
    bulk = _jsonl(tmp_path / "bulk.jsonl", _record("\x1b[2J\x1b[H"), _record("Kept"))
    report = await _ingest(store, bulk)
    assert [str(e) for e in report.rejected] == [f"{bulk}:1: the title is empty"]
    assert await _stored_titles(store) == ["Kept"]


async def test_over_long_titles_and_bodies_are_rejected_with_the_limit(
    store: Store, tmp_path: Path
) -> None:
    (tmp_path / "long.txt").write_text(
        "date 2024-12-04 " + "Long " * 40_000 + "\nBody.\n", encoding="utf-8"
    )
    bulk = _jsonl(
        tmp_path / "bulk.jsonl",
        _record("Huge body", "word " * 30_000),
        _record("T" * 301),
        _record("T" * 300),
    )
    report = await _ingest(store, tmp_path / "long.txt", bulk)
    assert sorted(str(e) for e in report.rejected) == [
        f"{bulk}:1: the body is 149,999 characters, over the limit of 100,000",
        f"{bulk}:2: the title is 301 characters, over the limit of 300"
        " (is the body on the title line?)",
        f"{tmp_path / 'long.txt'}:1: the title is 199,999 characters, over the limit of 300"
        " (is the body on the title line?)",
    ]
    assert await _stored_titles(store) == ["T" * 300]


async def test_a_repeated_id_in_one_file_is_rejected_not_overwritten(
    store: Store, tmp_path: Path
) -> None:
    bulk = _jsonl(
        tmp_path / "bulk.jsonl",
        _record("First a1", id="a1"),
        _record("Second a1", id="a1"),
        _record("Has id 4", id=4),
        _record("Line 4, no id"),
        _record("Bad id", id=["x"]),
        _record("Has id 6, which is line 6's", id="6"),
        _record("Line 7, no id"),
        _record("Has id 7, line 7 has no id", id=7),
    )
    report = await _ingest(store, bulk)
    assert [str(e) for e in report.rejected] == [
        f"{bulk}:2: duplicate id 'a1', already used on line 1",
        f"{bulk}:4: this record has no 'id' and its line number is the 'id' of line 3;"
        " give it an id",
        f"{bulk}:5: 'id' must be a string or an integer",
        f"{bulk}:8: id '7' is already line 7's, which has no 'id' and is known by its line"
        " number; give line 7 an id",
    ]
    assert await _stored_titles(store) == [
        "First a1",
        "Has id 4",
        "Has id 6, which is line 6's",
        "Line 7, no id",
    ]


async def test_a_bug_on_one_record_is_reported_and_the_rest_land(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_article = seed.make_article

    def buggy(source: str, title: str, *args: object, **kwargs: object) -> object:
        if title == "Boom":
            raise TypeError("a bug")
        return make_article(source, title, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(seed, "make_article", buggy)
    bulk = _jsonl(tmp_path / "bulk.jsonl", _record("Boom"), _record("Kept"))
    report = await _ingest(store, bulk)
    assert [str(e) for e in report.rejected] == [
        f"{bulk}:1: could not be read: unexpected TypeError (a bug)"
    ]
    assert await _stored_titles(store) == ["Kept"]
