"""`newsbot migrate --to postgresql://...`: copy an SQLite archive into PostgreSQL.

Everything is copied with its ids (articles, summaries, topics, subscriptions, the
delivery ledger, feeds, meta) in one PostgreSQL transaction, and each table's row count
is compared with the SQLite file's before it commits: a copy is whole or not at all.
The SQLite file is only read.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.store.postgres.store import PostgresStore, redacted
from bot.store.sqlite import Store, StoreError

Convert = Callable[[object], object]


def _date(value: object) -> object:
    return dt.date.fromisoformat(str(value))


def _moment(value: object) -> object:
    return dt.datetime.fromisoformat(str(value)) if value is not None else None


def _flag(value: object) -> object:
    return bool(value)


def _columns(names: str) -> tuple[str, ...]:
    return tuple(names.split())


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    convert: dict[str, Convert]


# In the order foreign keys need; the columns both schemas have.
TABLES = (
    Table(
        "articles",
        _columns(
            "id source title date body content_hash summary ingested_at updated_at url "
            "author announce"
        ),
        {"date": _date, "ingested_at": _moment, "updated_at": _moment, "announce": _flag},
    ),
    Table("topics", ("id", "key", "label"), {}),
    Table("article_topics", ("article_id", "topic_id", "rank"), {}),
    Table("meta", ("key", "value"), {}),
    Table(
        "subscriptions",
        _columns(
            "id channel mode schedule topics keywords exclude backfill on_this_day origin "
            "config_key after_article_id scanned_to created_at last_digest_at "
            "paused_reason paused_at"
        ),
        {
            "on_this_day": _flag,
            "created_at": _moment,
            "last_digest_at": _moment,
            "paused_at": _moment,
        },
    ),
    Table(
        "deliveries",
        _columns(
            "id subscription_id article_id post_key post_kind state message_id reason "
            "attempts next_attempt_at claimed_at sent_at"
        ),
        {"next_attempt_at": _moment, "claimed_at": _moment, "sent_at": _moment},
    ),
    Table(
        "feeds",
        _columns(
            "id name url poll_seconds topics full_text origin created_at etag "
            "last_modified last_fetch_at last_success_at last_status last_items failures "
            "last_error next_poll_at disabled_reason body_hash"
        ),
        {
            "full_text": _flag,
            "created_at": _moment,
            "last_fetch_at": _moment,
            "last_success_at": _moment,
            "next_poll_at": _moment,
        },
    ),
)
# Rows go over in batches, so a large archive never sits in memory at once.
BATCH = 2000


def _read_batch(path: Path, table: Table, offset: int) -> list[tuple[object, ...]]:
    """Up to BATCH rows of the table from the SQLite file, converted for PostgreSQL."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute(
            f"SELECT {', '.join(table.columns)} FROM {table.name}"
            f" ORDER BY {table.columns[0]}, {table.columns[1]} LIMIT ? OFFSET ?",
            (BATCH, offset),
        ).fetchall()
    finally:
        db.close()
    return [_converted(table, row) for row in rows]


def _count(path: Path, table: str) -> int:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        db.close()


def _converted(table: Table, row: Sequence[object]) -> tuple[object, ...]:
    return tuple(
        table.convert[column](value) if column in table.convert else value
        for column, value in zip(table.columns, row, strict=True)
    )


async def copy_archive(sqlite_path: Path, url: str) -> dict[str, int]:
    """Copy the SQLite database at `sqlite_path` into the empty PostgreSQL one at `url`;
    table -> rows copied."""
    where = redacted(url)
    if not await asyncio.to_thread(sqlite_path.is_file):
        raise StoreError(f"{sqlite_path}: no such database to copy")
    async with Store.open(sqlite_path):  # brings the file to the current schema first
        pass
    copied: dict[str, int] = {}
    async with PostgresStore.open(url) as target, target.transaction() as db:
        if found := await db.fetchval("SELECT count(*) FROM articles"):
            raise StoreError(f"{where}: already holds {found} articles; migrate into an empty one")
        for table in TABLES:
            read = 0
            while rows := await asyncio.to_thread(_read_batch, sqlite_path, table, read):
                await db.copy_records_to_table(table.name, records=rows, columns=table.columns)
                read += len(rows)
            expected = await asyncio.to_thread(_count, sqlite_path, table.name)
            stored = await db.fetchval(f"SELECT count(*) FROM {table.name}")
            if stored != expected:
                raise StoreError(
                    f"{where}: {table.name} has {stored} rows after the copy, "
                    f"{sqlite_path} has {expected}; nothing was copied"
                )
            copied[table.name] = expected
            if "id" in table.columns:  # new rows get ids after the copied ones
                await db.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'),"
                    f" coalesce((SELECT max(id) FROM {table.name}), 0) + 1, false)"
                )
    return copied
