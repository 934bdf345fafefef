"""An article's identity is its file, however the path is typed; archives stored under
the older names keep their ids."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bot.ingest.derive import prepare_article
from bot.ingest.service import IngestReport, ingest_paths
from bot.store import Store

SEED = "date 2024-12-04 Ferries return\nFerries return to the harbour after the storm.\n"
EDITED = SEED.replace("after the storm", "after the long storm")


async def _ingest(store: Store, *paths: Path) -> IngestReport:
    return await ingest_paths(
        store, list(paths), prepare_article, max_bytes=1 << 20, default_date=dt.date(2024, 1, 1)
    )


async def _sources(store: Store) -> dict[str, int]:
    async with store.reader.execute("SELECT source, id FROM articles") as cursor:
        return {row["source"]: row["id"] async for row in cursor}


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "seeds").mkdir()
    return tmp_path


async def test_an_edit_ingested_by_another_spelling_of_the_path_updates_the_article(
    store: Store, in_tmp: Path
) -> None:
    seed = in_tmp / "seeds" / "a.txt"
    seed.write_text(SEED)
    [added] = (await _ingest(store, Path("seeds/a.txt"))).added
    seed.write_text(EDITED)
    [updated] = (await _ingest(store, in_tmp / "seeds" / "a.txt")).updated
    assert updated.article_id == added.article_id
    unchanged = await _ingest(store, Path("./seeds/../seeds/a.txt"), Path("seeds"))
    assert [r.article_id for r in unchanged.unchanged] == [added.article_id]
    assert await _sources(store) == {"seeds/a.txt": added.article_id}


async def test_an_archive_of_the_relative_seeds_folder_keeps_its_ids(
    store: Store, in_tmp: Path
) -> None:
    (in_tmp / "seeds" / "a.txt").write_text(SEED)
    first = await _ingest(store, Path("seeds"))
    assert await _sources(store) == {"seeds/a.txt": first.added[0].article_id}
    again = await _ingest(store, in_tmp / "seeds")
    assert [r.article_id for r in again.unchanged] == [first.added[0].article_id]


async def test_articles_stored_under_the_path_as_typed_are_renamed_and_keep_their_ids(
    store: Store, in_tmp: Path
) -> None:
    seeds, data = in_tmp / "seeds", in_tmp.parent / f"{in_tmp.name}-data"
    (seeds / "a.txt").write_text(SEED)
    data.mkdir()
    bulk = data / "bulk.jsonl"
    bulk.write_text(json.dumps({"id": "x1", "title": "One", "body": "Body one."}) + "\n")
    first = await _ingest(store, seeds, bulk)
    ids = sorted(r.article_id for r in first.added)
    # As an older newsbot stored them: the absolute seeds folder of the config, and the
    # relative path typed for a file outside the working folder.
    typed_bulk = f"../{data.name}/bulk.jsonl"
    async with store.write() as db:
        await db.execute("UPDATE articles SET source = ? WHERE id = ?", (f"{seeds}/a.txt", ids[0]))
        await db.execute(
            "UPDATE articles SET source = ? WHERE id = ?", (f"{typed_bulk}#x1", ids[1])
        )
    (seeds / "a.txt").write_text(EDITED)
    report = await _ingest(store, seeds, Path(typed_bulk))
    assert [r.article_id for r in report.updated] == [ids[0]]
    assert [r.article_id for r in report.unchanged] == [ids[1]]
    assert await _sources(store) == {"seeds/a.txt": ids[0], f"{bulk}#x1": ids[1]}


async def test_names_that_are_not_utf8_or_hold_escapes_are_stored_escaped(
    store: Store, tmp_path: Path
) -> None:
    for raw in (b"caf\xe9.txt", b"\x1b[2J.txt"):
        name = tmp_path / raw.decode("utf-8", "surrogateescape")
        name.write_text(SEED + raw.hex())
    report = await _ingest(store, tmp_path)
    assert sorted(Path(r.source).name for r in report.added) == ["\\x1b[2J.txt", "caf\\udce9.txt"]
