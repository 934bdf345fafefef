"""Subscriptions and the delivery ledger: the SQL behind bot.delivery.

Timestamps are stored as fixed-width ISO 8601 UTC strings so they compare as text.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from bot.models import (
    ArticleFacts,
    Candidate,
    Claim,
    LedgerCounts,
    PendingPost,
    Subscription,
    SubscriptionSpec,
)
from bot.store.sqlite import Store, _row_article

ORIGINS = ("config", "command")


def iso(moment: dt.datetime) -> str:
    """Fixed-width UTC text, so `<` on strings is `<` on instants."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


class ColumnRow(Protocol):
    """A result row read by column name: sqlite3.Row and asyncpg.Record alike."""

    def __getitem__(self, key: str) -> Any: ...


def parse_moment(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def subscription_spec(row: ColumnRow) -> SubscriptionSpec:
    """A subscription row's spec, the same on every backend (lists are stored as JSON)."""
    return SubscriptionSpec(
        channel=row["channel"],
        mode=row["mode"],
        schedule=row["schedule"],
        topics=tuple(json.loads(row["topics"])),
        keywords=tuple(json.loads(row["keywords"])),
        exclude=tuple(json.loads(row["exclude"])),
        backfill=row["backfill"],
        on_this_day=bool(row["on_this_day"]),
    )


def subscription_values(spec: SubscriptionSpec) -> tuple[object, ...]:
    """The spec's column values, in the order of `subscription_spec`'s columns."""
    return (
        spec.channel,
        spec.mode,
        spec.schedule,
        json.dumps(list(spec.topics)),
        json.dumps(list(spec.keywords)),
        json.dumps(list(spec.exclude)),
        spec.backfill,
        spec.on_this_day,
    )


def _row_subscription(row: sqlite3.Row) -> Subscription:
    return Subscription(
        id=row["id"],
        spec=subscription_spec(row),
        origin=row["origin"],
        config_key=row["config_key"],
        after_article_id=row["after_article_id"],
        scanned_to=row["scanned_to"],
        created_at=dt.datetime.fromisoformat(row["created_at"]),
        last_digest_at=parse_moment(row["last_digest_at"]),
        paused_reason=row["paused_reason"],
    )


class DeliveryStore:
    """Subscription and ledger queries on the shared Store (its single writer)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- subscriptions ----------------------------------------------------------------------

    async def subscriptions(self, channel: str | None = None) -> list[Subscription]:
        sql = "SELECT * FROM subscriptions"
        args: tuple[object, ...] = ()
        if channel is not None:
            sql += " WHERE channel = ?"
            args = (channel,)
        async with self.store.reader.execute(sql + " ORDER BY id", args) as cursor:
            return [_row_subscription(row) async for row in cursor]

    async def get(self, subscription_id: int) -> Subscription | None:
        async with self.store.reader.execute(
            "SELECT * FROM subscriptions WHERE id = ?", (subscription_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return _row_subscription(row) if row else None

    async def add(
        self, spec: SubscriptionSpec, origin: str, now: dt.datetime, config_key: str | None = None
    ) -> int:
        """A new subscription; articles stored so far are the archive, not news to it."""
        async with self.store.write() as db:
            cursor = await db.execute(
                "INSERT INTO subscriptions (channel, mode, schedule, topics, keywords, exclude,"
                " backfill, on_this_day, origin, config_key, after_article_id, scanned_to,"
                " created_at)"
                " SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, m, m, ?"
                " FROM (SELECT coalesce(max(id), 0) AS m FROM articles)",
                (*subscription_values(spec), origin, config_key, iso(now)),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    async def update_spec(self, subscription_id: int, spec: SubscriptionSpec) -> None:
        async with self.store.write() as db:
            await db.execute(
                "UPDATE subscriptions SET channel = ?, mode = ?, schedule = ?, topics = ?,"
                " keywords = ?, exclude = ?, backfill = ?, on_this_day = ? WHERE id = ?",
                (*subscription_values(spec), subscription_id),
            )

    async def remove(self, subscription_ids: Iterable[int]) -> int:
        ids = list(subscription_ids)
        if not ids:
            return 0
        async with self.store.write() as db:
            cursor = await db.execute(
                f"DELETE FROM subscriptions WHERE id IN ({','.join('?' * len(ids))})", ids
            )
            return cursor.rowcount

    async def pause_channel(self, channel: str, reason: str, now: dt.datetime) -> list[int]:
        """Pause every subscription of `channel`; their unsent rows fail with `reason`."""
        async with self.store.write() as db:
            async with db.execute(
                "SELECT id FROM subscriptions WHERE channel = ? AND paused_reason IS NULL",
                (channel,),
            ) as cursor:
                ids = [row[0] async for row in cursor]
            await db.execute(
                "UPDATE subscriptions SET paused_reason = ?, paused_at = ? WHERE channel = ?"
                " AND paused_reason IS NULL",
                (reason, iso(now), channel),
            )
            await db.execute(
                "UPDATE deliveries SET state = 'failed', reason = ? WHERE state = 'claimed'"
                " AND subscription_id IN (SELECT id FROM subscriptions WHERE channel = ?)",
                (f"channel paused: {reason}", channel),
            )
        return ids

    async def resume_channel(self, channel: str) -> int:
        """Unpause a channel; what arrived while it was paused is not posted."""
        async with self.store.write() as db:
            cursor = await db.execute(
                "UPDATE subscriptions SET paused_reason = NULL, paused_at = NULL,"
                " after_article_id = (SELECT coalesce(max(id), 0) FROM articles),"
                " scanned_to = (SELECT coalesce(max(id), 0) FROM articles)"
                " WHERE channel = ? AND paused_reason IS NOT NULL",
                (channel,),
            )
            return cursor.rowcount

    async def set_scanned_to(self, subscription_id: int, article_id: int) -> None:
        async with self.store.write() as db:
            await db.execute(
                "UPDATE subscriptions SET scanned_to = max(scanned_to, ?) WHERE id = ?",
                (article_id, subscription_id),
            )

    # -- candidates -------------------------------------------------------------------------

    async def new_candidates(self, sub: Subscription, limit: int) -> list[Candidate]:
        """Articles after the scan mark that this subscription has no ledger row for,
        except those stored as archive (not announced)."""
        return await self._candidates(
            "a.id > ? AND a.announce = 1 ORDER BY a.id LIMIT ?", (sub.scanned_to, limit), sub.id
        )

    async def backfill_candidates(self, sub: Subscription) -> list[Candidate]:
        """The `backfill` latest articles of the archive it had when it was made."""
        if sub.spec.backfill <= 0:
            return []
        async with self.store.reader.execute(
            "SELECT id, date, ingested_at FROM articles WHERE id <= ?"
            " ORDER BY date DESC, id DESC LIMIT ?",
            (sub.after_article_id, sub.spec.backfill),
        ) as cursor:
            rows = [row async for row in cursor]
        taken = await self.ledger_articles(sub.id, [row[0] for row in rows])
        return [
            Candidate(row[0], dt.date.fromisoformat(row[1]), dt.datetime.fromisoformat(row[2]))
            for row in rows
            if row[0] not in taken
        ]

    async def on_this_day_candidates(self, sub: Subscription, today: dt.date) -> list[Candidate]:
        """Articles from today's month and day in earlier years, not yet posted to it."""
        return await self._candidates(
            "substr(a.date, 6, 5) = ? AND a.date < ? ORDER BY a.date DESC, a.id DESC LIMIT 25",
            (today.strftime("%m-%d"), f"{today.year:04d}-01-01"),
            sub.id,
        )

    async def _candidates(
        self, where: str, args: tuple[object, ...], subscription_id: int
    ) -> list[Candidate]:
        async with self.store.reader.execute(
            "SELECT a.id, a.date, a.ingested_at FROM articles a WHERE NOT EXISTS"
            " (SELECT 1 FROM deliveries d WHERE d.subscription_id = ? AND d.article_id = a.id)"
            f" AND {where}",
            (subscription_id, *args),
        ) as cursor:
            return [
                Candidate(row[0], dt.date.fromisoformat(row[1]), dt.datetime.fromisoformat(row[2]))
                async for row in cursor
            ]

    async def ledger_articles(self, subscription_id: int, article_ids: Sequence[int]) -> set[int]:
        if not article_ids:
            return set()
        marks = ",".join("?" * len(article_ids))
        async with self.store.reader.execute(
            "SELECT article_id FROM deliveries"
            f" WHERE subscription_id = ? AND article_id IN ({marks})",
            (subscription_id, *article_ids),
        ) as cursor:
            return {row[0] async for row in cursor}

    async def channel_articles(
        self, channel: str, article_ids: Sequence[int], mode: str = "instant"
    ) -> set[int]:
        """Which of `article_ids` any `mode` subscription of `channel` already has."""
        if not article_ids:
            return set()
        marks = ",".join("?" * len(article_ids))
        async with self.store.reader.execute(
            "SELECT d.article_id FROM deliveries d JOIN subscriptions s"
            " ON s.id = d.subscription_id WHERE s.channel = ? AND s.mode = ?"
            f" AND d.article_id IN ({marks})",
            (channel, mode, *article_ids),
        ) as cursor:
            return {row[0] async for row in cursor}

    async def facts(self, article_ids: Sequence[int]) -> dict[int, ArticleFacts]:
        found: dict[int, ArticleFacts] = {}
        ids = list(dict.fromkeys(article_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            async with self.store.reader.execute(
                "SELECT a.*, (SELECT group_concat(t.key, char(31)) FROM article_topics at"
                " JOIN topics t ON t.id = at.topic_id WHERE at.article_id = a.id) AS topic_keys"
                f" FROM articles a WHERE a.id IN ({marks})",
                chunk,
            ) as cursor:
                async for row in cursor:
                    keys = row["topic_keys"]
                    found[row["id"]] = ArticleFacts(
                        _row_article(row), frozenset(keys.split("\x1f") if keys else ())
                    )
        return found

    # -- the ledger -------------------------------------------------------------------------

    async def posts_since(self, since: dt.datetime) -> dict[str, int]:
        """channel -> posts claimed since `since` (what the pace allows is the rest)."""
        async with self.store.reader.execute(
            "SELECT s.channel, count(DISTINCT d.post_key) FROM deliveries d"
            " JOIN subscriptions s ON s.id = d.subscription_id"
            " WHERE d.claimed_at >= ? AND d.post_kind != 'digest' GROUP BY s.channel",
            (iso(since),),
        ) as cursor:
            return {row[0]: row[1] async for row in cursor}

    async def claim(self, claims: Sequence[Claim], now: dt.datetime) -> int:
        """Record the intent to post, before posting. A row already there is kept as is."""
        if not claims:
            return 0
        stamp = iso(now)
        async with self.store.write() as db:
            cursor = await db.executemany(
                "INSERT OR IGNORE INTO deliveries (subscription_id, article_id, post_key,"
                " post_kind, state, next_attempt_at, claimed_at)"
                " VALUES (?, ?, ?, ?, 'claimed', ?, ?)",
                [
                    (c.subscription_id, c.article_id, c.post_key, c.post_kind, stamp, stamp)
                    for c in claims
                ],
            )
            return cursor.rowcount

    async def pending_posts(
        self, now: dt.datetime, subscription_id: int | None = None
    ) -> list[PendingPost]:
        """Claimed posts due for a (re)try, oldest first, of unpaused subscriptions."""
        sql = (
            "SELECT d.subscription_id, s.channel, d.post_key, d.post_kind,"
            " group_concat(d.article_id) AS ids, max(d.attempts) AS attempts, min(d.id) AS first,"
            " min(d.claimed_at) AS claimed_at"
            " FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id"
            " WHERE d.state = 'claimed' AND d.next_attempt_at <= ? AND s.paused_reason IS NULL"
        )
        args: list[object] = [iso(now)]
        if subscription_id is not None:
            sql += " AND d.subscription_id = ?"
            args.append(subscription_id)
        sql += " GROUP BY d.subscription_id, d.post_key ORDER BY first"
        async with self.store.reader.execute(sql, args) as cursor:
            return [
                PendingPost(
                    subscription_id=row["subscription_id"],
                    channel=row["channel"],
                    post_key=row["post_key"],
                    post_kind=row["post_kind"],
                    article_ids=tuple(sorted(int(x) for x in row["ids"].split(","))),
                    attempts=row["attempts"],
                    first_row=row["first"],
                    claimed_at=dt.datetime.fromisoformat(row["claimed_at"]),
                )
                async for row in cursor
            ]

    async def mark_sent(self, post: PendingPost, message_id: str, now: dt.datetime) -> None:
        async with self.store.write() as db:
            await db.execute(
                "UPDATE deliveries SET state = 'sent', message_id = ?, sent_at = ?,"
                " attempts = attempts + 1, reason = NULL"
                " WHERE subscription_id = ? AND post_key = ? AND state = 'claimed'",
                (message_id, iso(now), post.subscription_id, post.post_key),
            )

    async def mark_retry(self, post: PendingPost, reason: str, next_attempt: dt.datetime) -> None:
        async with self.store.write() as db:
            await db.execute(
                "UPDATE deliveries SET attempts = attempts + 1, reason = ?, next_attempt_at = ?"
                " WHERE subscription_id = ? AND post_key = ? AND state = 'claimed'",
                (reason, iso(next_attempt), post.subscription_id, post.post_key),
            )

    async def mark_failed(self, post: PendingPost, reason: str) -> None:
        async with self.store.write() as db:
            await db.execute(
                "UPDATE deliveries SET state = 'failed', attempts = attempts + 1, reason = ?"
                " WHERE subscription_id = ? AND post_key = ? AND state = 'claimed'",
                (reason, post.subscription_id, post.post_key),
            )

    async def set_last_digest(self, subscription_id: int, now: dt.datetime) -> None:
        async with self.store.write() as db:
            await db.execute(
                "UPDATE subscriptions SET last_digest_at = ? WHERE id = ?",
                (iso(now), subscription_id),
            )

    async def counts(self, now: dt.datetime) -> LedgerCounts:
        async with self.store.reader.execute(
            "SELECT coalesce(sum(state = 'claimed'), 0),"
            " coalesce(sum(state = 'claimed' AND next_attempt_at <= ?), 0),"
            " coalesce(sum(state = 'sent'), 0), coalesce(sum(state = 'failed'), 0)"
            " FROM deliveries",
            (iso(now),),
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        return LedgerCounts(int(row[0]), int(row[1]), int(row[2]), int(row[3]))

    async def recent_failures(self, limit: int = 5) -> list[tuple[str, int, str]]:
        """(channel, article id, reason) of the latest failed rows."""
        async with self.store.reader.execute(
            "SELECT s.channel, d.article_id, coalesce(d.reason, '') FROM deliveries d"
            " JOIN subscriptions s ON s.id = d.subscription_id WHERE d.state = 'failed'"
            " ORDER BY d.id DESC LIMIT ?",
            (limit,),
        ) as cursor:
            return [(row[0], row[1], row[2]) async for row in cursor]

    async def stuck(
        self, claimed_before: dt.datetime, min_attempts: int, limit: int = 5
    ) -> list[tuple[str, int, int, dt.datetime, str]]:
        """(channel, article id, attempts, claimed at, last reason) of posts still unsent
        that were claimed before `claimed_before` or have failed `min_attempts` times."""
        async with self.store.reader.execute(
            "SELECT s.channel, d.article_id, d.attempts, d.claimed_at, coalesce(d.reason, '')"
            " FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id"
            " WHERE d.state = 'claimed' AND (d.claimed_at < ? OR d.attempts >= ?)"
            " ORDER BY d.claimed_at, d.id LIMIT ?",
            (iso(claimed_before), min_attempts, limit),
        ) as cursor:
            return [
                (row[0], row[1], row[2], dt.datetime.fromisoformat(row[3]), row[4])
                async for row in cursor
            ]
