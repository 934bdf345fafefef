"""Feeds and their fetch state on PostgreSQL: the FeedSources port."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import asyncpg

from bot.models import Feed, FeedSpec, PollRecord
from bot.store.feeds import feed_source_prefix, feed_spec, feed_values
from bot.store.postgres.store import PostgresStore


def _row_feed(row: asyncpg.Record) -> Feed:
    return Feed(
        id=row["id"],
        spec=feed_spec(row),
        origin=row["origin"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        last_fetch_at=row["last_fetch_at"],
        last_success_at=row["last_success_at"],
        last_status=row["last_status"],
        last_items=row["last_items"],
        failures=row["failures"],
        last_error=row["last_error"],
        next_poll_at=row["next_poll_at"],
        disabled_reason=row["disabled_reason"],
        body_hash=row["body_hash"],
    )


class PostgresFeeds:
    """The FeedSources port on a PostgresStore's pool."""

    def __init__(self, store: PostgresStore) -> None:
        self.pool = store.pool

    async def feeds(self) -> list[Feed]:
        return [_row_feed(row) for row in await self.pool.fetch("SELECT * FROM feeds ORDER BY id")]

    async def get(self, feed_id: int) -> Feed | None:
        row = await self.pool.fetchrow("SELECT * FROM feeds WHERE id = $1", feed_id)
        return _row_feed(row) if row else None

    async def by_name(self, name: str) -> Feed | None:
        row = await self.pool.fetchrow(
            "SELECT * FROM feeds WHERE lower(name) = lower($1) ORDER BY id LIMIT 1", name
        )
        return _row_feed(row) if row else None

    async def add(self, spec: FeedSpec, origin: str, now: dt.datetime) -> int:
        return int(
            await self.pool.fetchval(
                "INSERT INTO feeds (name, url, poll_seconds, topics, full_text, origin, created_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                *feed_values(spec),
                origin,
                now,
            )
        )

    async def update_spec(self, feed_id: int, spec: FeedSpec, origin: str) -> None:
        """A changed declaration; a new address starts afresh (validators, failures)."""
        async with self.pool.acquire() as db, db.transaction():
            await db.execute(
                "UPDATE feeds SET etag = NULL, last_modified = NULL, failures = 0,"
                " last_error = NULL, next_poll_at = NULL, disabled_reason = NULL"
                " WHERE id = $1 AND url != $2",
                feed_id,
                spec.url,
            )
            # Read the next document in full, even if unchanged: topics or full text may differ.
            await db.execute(
                "UPDATE feeds SET body_hash = NULL, name = $1, url = $2, poll_seconds = $3,"
                " topics = $4, full_text = $5, origin = $6 WHERE id = $7",
                *feed_values(spec),
                origin,
                feed_id,
            )

    async def enable(self, feed_id: int) -> None:
        await self.pool.execute(
            "UPDATE feeds SET failures = 0, next_poll_at = NULL, disabled_reason = NULL"
            " WHERE id = $1",
            feed_id,
        )

    async def remove(self, feed_ids: Iterable[int]) -> int:
        ids = list(feed_ids)
        if not ids:
            return 0
        status = await self.pool.execute("DELETE FROM feeds WHERE id = any($1)", ids)
        return int(status.split()[-1])

    async def record_success(self, feed_id: int, poll: PollRecord) -> None:
        await self.pool.execute(
            "UPDATE feeds SET last_fetch_at = $1, last_success_at = $1, last_status = $2,"
            " last_items = coalesce($3, last_items), etag = coalesce($4, etag),"
            " last_modified = coalesce($5, last_modified), failures = 0, last_error = $6,"
            " next_poll_at = $7, body_hash = coalesce($8, body_hash) WHERE id = $9",
            poll.at,
            poll.status,
            poll.items,
            poll.etag,
            poll.last_modified,
            poll.error,
            poll.next_poll_at,
            poll.body_hash,
            feed_id,
        )

    async def record_failure(
        self, feed_id: int, poll: PollRecord, failures: int, disabled_reason: str | None
    ) -> None:
        await self.pool.execute(
            "UPDATE feeds SET last_fetch_at = $1, last_status = $2, failures = $3,"
            " last_error = $4, next_poll_at = $5, disabled_reason = $6 WHERE id = $7",
            poll.at,
            poll.status,
            failures,
            poll.error,
            poll.next_poll_at,
            disabled_reason,
            feed_id,
        )

    async def give_topics(self, feed_id: int, topics: Sequence[tuple[str, str]]) -> None:
        """Give every stored article of the feed these (key, label) topics, after its own."""
        async with self.pool.acquire() as db, db.transaction():
            await db.executemany(
                "INSERT INTO topics (key, label) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                list(topics),
            )
            await db.executemany(
                "INSERT INTO article_topics (article_id, topic_id, rank)"
                " SELECT a.id, t.id, (SELECT coalesce(max(rank), 0) + 1 FROM article_topics"
                " WHERE article_id = a.id) FROM articles a, topics t"
                " WHERE starts_with(a.source, $1) AND t.key = $2 ON CONFLICT DO NOTHING",
                [(feed_source_prefix(feed_id), key) for key, _ in topics],
            )
