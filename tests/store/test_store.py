"""What is particular to the SQLite store: its file, migrations and id allocation.

The behaviour both backends share is tested once, on both, in test_contract.py."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from bot.ingest.seed import make_article
from bot.models import Outcome, PreparedArticle, TopicLabel
from bot.store import Store, StoreError
from bot.store.sqlite import _migrations


def article(source: str = "a.txt", title: str = "Title", body: str = "Body text.", day: int = 1):
    return PreparedArticle(make_article(source, title, dt.date(2024, 1, day), body))


async def test_migrations_from_empty_reach_the_latest_version(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "news.db"
    async with Store.open(path) as store:
        assert await store.schema_version() == _migrations()[-1][0]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert {"articles", "articles_fts", "topics", "article_topics"} <= tables


async def test_reopening_keeps_data_and_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    async with Store.open(path) as store:
        await store.save_articles([article()])
    async with Store.open(path) as store:
        assert await store.count_articles() == 1


async def test_database_from_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 999")
    with pytest.raises(StoreError, match=r"news.db: database schema version 999 is newer"):
        async with Store.open(path):
            pass


async def test_a_file_that_is_not_a_database_gets_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=r"news.db: the file is not an SQLite database"):
        async with Store.open(path):
            pass
    assert path.read_bytes() == b"this is not sqlite" * 100


async def test_one_batch_can_edit_an_article_and_add_its_old_content_elsewhere(
    store: Store,
) -> None:
    [first] = await store.save_articles([article("a.txt", body="The harbour flooded.")])
    # a.txt is edited, and b.txt now holds a.txt's old text: both are stored, in one batch,
    # and the new article gets the next id.
    edit, moved, new = await store.save_articles(
        [
            article("a.txt", body="The airport closed."),
            article("b.txt", body="The harbour flooded."),
            article("c.txt", body="The bridge reopened."),
        ]
    )
    assert (edit.outcome, moved.outcome, new.outcome) == (
        Outcome.UPDATED,
        Outcome.ADDED,
        Outcome.ADDED,
    )
    assert edit.article_id == first.article_id
    assert [moved.article_id, new.article_id] == [first.article_id + 1, first.article_id + 2]
    for result, body in [(edit, "The airport closed."), (moved, "The harbour flooded.")]:
        stored = await store.get_article(result.article_id)
        assert stored is not None and stored.body == body
    hits, total = await store.search("harbour", 5)
    assert (total, hits[0].id) == (1, moved.article_id)


async def test_topics_are_stored_and_replaced_on_edit(store: Store) -> None:
    item = article()
    topics = (TopicLabel("nato", "NATO"), TopicLabel("mark rutte", "Mark Rutte"))
    [saved] = await store.save_articles([dataclasses.replace(item, topics=topics)])
    edited = dataclasses.replace(article(body="Changed."), topics=(TopicLabel("nato", "NATO"),))
    await store.save_articles([edited])
    async with store.reader.execute(
        "SELECT t.label, at.rank FROM article_topics at JOIN topics t ON t.id = at.topic_id"
        " WHERE at.article_id = ?",
        (saved.article_id,),
    ) as cursor:
        rows = [tuple(row) for row in await cursor.fetchall()]
    assert rows == [("NATO", 1)]


async def test_meta_values_survive_a_restart(tmp_path: Path) -> None:
    async with Store.open(tmp_path / "news.db") as store:
        assert await store.get_meta("k") is None
        await store.set_meta("k", "one")
        await store.set_meta("k", "two")
    async with Store.open(tmp_path / "news.db") as store:
        assert await store.get_meta("k") == "two"
