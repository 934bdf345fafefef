"""Feeds and their fetch state: the SQL behind bot.feeds.service."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Sequence

from bot.models import Feed, FeedSpec, PollRecord, TopicLabel
from bot.store.deliveries import ColumnRow, iso, parse_moment
from bot.store.sqlite import Store, replace_topics


def _row_feed(row: sqlite3.Row) -> Feed:
    return Feed(
        id=row["id"],
        spec=feed_spec(row),
        origin=row["origin"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        last_fetch_at=parse_moment(row["last_fetch_at"]),
        last_success_at=parse_moment(row["last_success_at"]),
        last_status=row["last_status"],
        last_items=row["last_items"],
        failures=row["failures"],
        last_error=row["last_error"],
        next_poll_at=parse_moment(row["next_poll_at"]),
        disabled_reason=row["disabled_reason"],
        body_hash=row["body_hash"],
    )


class FeedStore:
    """Feed queries on the shared Store (its single writer)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def feeds(self) -> list[Feed]:
        async with self.store.reader.execute("SELECT * FROM feeds ORDER BY id") as cursor:
            return [_row_feed(row) async for row in cursor]

    async def get(self, feed_id: int) -> Feed | None:
        async with self.store.reader.execute(
            "SELECT * FROM feeds WHERE id = ?", (feed_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return _row_feed(row) if row else None

    async def by_name(self, name: str) -> Feed | None:
        async with self.store.reader.execute(
            "SELECT * FROM feeds WHERE name = ? COLLATE NOCASE", (name,)
        ) as cursor:
            row = await cursor.fetchone()
        return _row_feed(row) if row else None

    async def add(self, spec: FeedSpec, origin: str, now: dt.datetime) -> int:
        async with self.store.write() as db:
            cursor = await db.execute(
                "INSERT INTO feeds (name, url, poll_seconds, topics, full_text, origin, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (*feed_values(spec), origin, iso(now)),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    async def update_spec(self, feed_id: int, spec: FeedSpec, origin: str) -> None:
        """A changed declaration; a new address starts afresh (validators, failures)."""
        async with self.store.write() as db:
            await db.execute(
                "UPDATE feeds SET etag = NULL, last_modified = NULL, failures = 0,"
                " last_error = NULL, next_poll_at = NULL, disabled_reason = NULL"
                " WHERE id = ? AND url != ?",
                (feed_id, spec.url),
            )
            # Read the next document in full, even if unchanged: topics or full text may differ.
            await db.execute("UPDATE feeds SET body_hash = NULL WHERE id = ?", (feed_id,))
            await db.execute(
                "UPDATE feeds SET name = ?, url = ?, poll_seconds = ?, topics = ?, full_text = ?,"
                " origin = ? WHERE id = ?",
                (*feed_values(spec), origin, feed_id),
            )

    async def enable(self, feed_id: int) -> None:
        async with self.store.write() as db:
            await db.execute(
                "UPDATE feeds SET failures = 0, next_poll_at = NULL, disabled_reason = NULL"
                " WHERE id = ?",
                (feed_id,),
            )

    async def remove(self, feed_ids: Iterable[int]) -> int:
        ids = list(feed_ids)
        if not ids:
            return 0
        async with self.store.write() as db:
            cursor = await db.execute(
                f"DELETE FROM feeds WHERE id IN ({','.join('?' * len(ids))})", ids
            )
            return cursor.rowcount

    async def record_success(self, feed_id: int, poll: PollRecord) -> None:
        async with self.store.write() as db:
            await db.execute(
                "UPDATE feeds SET last_fetch_at = ?, last_success_at = ?, last_status = ?,"
                " last_items = coalesce(?, last_items), etag = coalesce(?, etag),"
                " last_modified = coalesce(?, last_modified), failures = 0, last_error = ?,"
                " next_poll_at = ?, body_hash = coalesce(?, body_hash) WHERE id = ?",
                (
                    iso(poll.at),
                    iso(poll.at),
                    poll.status,
                    poll.items,
                    poll.etag,
                    poll.last_modified,
                    poll.error,
                    iso(poll.next_poll_at) if poll.next_poll_at else None,
                    poll.body_hash,
                    feed_id,
                ),
            )

    async def record_failure(
        self, feed_id: int, poll: PollRecord, failures: int, disabled_reason: str | None
    ) -> None:
        async with self.store.write() as db:
            await db.execute(
                "UPDATE feeds SET last_fetch_at = ?, last_status = ?, failures = ?,"
                " last_error = ?, next_poll_at = ?, disabled_reason = ? WHERE id = ?",
                (
                    iso(poll.at),
                    poll.status,
                    failures,
                    poll.error,
                    iso(poll.next_poll_at) if poll.next_poll_at else None,
                    disabled_reason,
                    feed_id,
                ),
            )

    async def give_topics(self, feed_id: int, topics: Sequence[tuple[str, str]]) -> None:
        """Give every stored article of the feed these (key, label) topics, after its own."""
        async with self.store.write() as db:
            async with db.execute(
                "SELECT a.id, t.key, t.label FROM articles a"
                " LEFT JOIN article_topics at ON at.article_id = a.id"
                " LEFT JOIN topics t ON t.id = at.topic_id"
                " WHERE a.source LIKE ? ORDER BY a.id, at.rank",
                (f"{feed_source_prefix(feed_id)}%",),
            ) as cursor:
                rows = await cursor.fetchall()
            own: dict[int, list[TopicLabel]] = {}
            for row in rows:
                labels = own.setdefault(row["id"], [])
                if row["key"] is not None:
                    labels.append(TopicLabel(row["key"], row["label"]))
            given: dict[str, str] = {}
            for key, label in topics:
                given.setdefault(key, label)
            # Their topics are written again in full, so that they are counted as new ones are.
            changed: list[tuple[int, list[TopicLabel]]] = []
            for article_id, labels in own.items():
                keys = {label.key for label in labels}
                added = [TopicLabel(key, label) for key, label in given.items() if key not in keys]
                if added:
                    changed.append((article_id, labels + added))
            await replace_topics(db, changed)


def feed_source_prefix(feed_id: int) -> str:
    """What the `source` of each of the feed's articles starts with."""
    return f"feed:{feed_id}:"


def feed_spec(row: ColumnRow) -> FeedSpec:
    """A feed row's spec, the same on every backend (topics are stored as JSON)."""
    return FeedSpec(
        name=row["name"],
        url=row["url"],
        poll_interval_seconds=row["poll_seconds"],
        topics=tuple(json.loads(row["topics"])),
        full_text=bool(row["full_text"]),
    )


def feed_values(spec: FeedSpec) -> tuple[object, ...]:
    """The spec's column values, in the order of `feed_spec`'s columns."""
    return (
        spec.name,
        spec.url,
        spec.poll_interval_seconds,
        json.dumps(list(spec.topics), ensure_ascii=False),
        spec.full_text,
    )
