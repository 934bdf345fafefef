"""Subscriptions and the delivery ledger on PostgreSQL, shared by several bot processes.

Ledger rows are unique per (subscription, article), so two processes claiming the same
article leave one row. Sending is shared by channel: `pending_posts` leases the channels
it returns to this process for `lease` (renewed by each call), so a channel's posts go
out from one process, in order and at its pace; when a process dies, its channels'
claimed posts are taken over once the lease expires, with the same idempotency key.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Iterable, Sequence

import asyncpg

from bot.models import (
    ArticleFacts,
    Candidate,
    Claim,
    LedgerCounts,
    PendingPost,
    Subscription,
    SubscriptionSpec,
)
from bot.store.deliveries import subscription_spec, subscription_values
from bot.store.postgres.store import _ARTICLE, PostgresStore, _row_article

DEFAULT_LEASE = dt.timedelta(minutes=2)
# Channels one process takes per pass, so processes starting together share the work.
CHANNELS_PER_PASS = 64


def _row_subscription(row: asyncpg.Record) -> Subscription:
    return Subscription(
        id=row["id"],
        spec=subscription_spec(row),
        origin=row["origin"],
        config_key=row["config_key"],
        after_article_id=row["after_article_id"],
        scanned_to=row["scanned_to"],
        created_at=row["created_at"],
        last_digest_at=row["last_digest_at"],
        paused_reason=row["paused_reason"],
    )


def _candidate(row: asyncpg.Record) -> Candidate:
    return Candidate(row["id"], row["date"], row["ingested_at"])


_MAX_ARTICLE_ID = "(SELECT coalesce(max(id), 0) FROM articles)"


class PostgresSubscriptions:
    """The Subscriptions port on a PostgresStore's pool."""

    def __init__(self, store: PostgresStore, lease: dt.timedelta = DEFAULT_LEASE) -> None:
        self.pool = store.pool
        self.lease = lease
        # Who holds a channel's lease: unique per process, readable in the database.
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"

    # -- subscriptions ----------------------------------------------------------------------

    async def subscriptions(self, channel: str | None = None) -> list[Subscription]:
        if channel is None:
            rows = await self.pool.fetch("SELECT * FROM subscriptions ORDER BY id")
        else:
            rows = await self.pool.fetch(
                "SELECT * FROM subscriptions WHERE channel = $1 ORDER BY id", channel
            )
        return [_row_subscription(row) for row in rows]

    async def get(self, subscription_id: int) -> Subscription | None:
        row = await self.pool.fetchrow("SELECT * FROM subscriptions WHERE id = $1", subscription_id)
        return _row_subscription(row) if row else None

    async def add(
        self, spec: SubscriptionSpec, origin: str, now: dt.datetime, config_key: str | None = None
    ) -> int:
        """A new subscription; articles stored so far are the archive, not news to it."""
        return int(
            await self.pool.fetchval(
                "INSERT INTO subscriptions (channel, mode, schedule, topics, keywords, exclude,"
                " backfill, on_this_day, origin, config_key, after_article_id, scanned_to,"
                f" created_at) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, m, m, $11"
                f" FROM {_MAX_ARTICLE_ID} AS latest(m) RETURNING id",
                *subscription_values(spec),
                origin,
                config_key,
                now,
            )
        )

    async def update_spec(self, subscription_id: int, spec: SubscriptionSpec) -> None:
        await self.pool.execute(
            "UPDATE subscriptions SET channel = $1, mode = $2, schedule = $3, topics = $4,"
            " keywords = $5, exclude = $6, backfill = $7, on_this_day = $8 WHERE id = $9",
            *subscription_values(spec),
            subscription_id,
        )

    async def remove(self, subscription_ids: Iterable[int]) -> int:
        ids = list(subscription_ids)
        if not ids:
            return 0
        status = await self.pool.execute("DELETE FROM subscriptions WHERE id = any($1)", ids)
        return int(status.split()[-1])

    async def pause_channel(self, channel: str, reason: str, now: dt.datetime) -> list[int]:
        """Pause every subscription of `channel`; their unsent rows fail with `reason`."""
        async with self.pool.acquire() as db, db.transaction():
            rows = await db.fetch(
                "UPDATE subscriptions SET paused_reason = $1, paused_at = $2"
                " WHERE channel = $3 AND paused_reason IS NULL RETURNING id",
                reason,
                now,
                channel,
            )
            await db.execute(
                "UPDATE deliveries SET state = 'failed', reason = $1 WHERE state = 'claimed'"
                " AND subscription_id IN (SELECT id FROM subscriptions WHERE channel = $2)",
                f"channel paused: {reason}",
                channel,
            )
        return sorted(row["id"] for row in rows)

    async def resume_channel(self, channel: str) -> int:
        """Unpause a channel; what arrived while it was paused is not posted."""
        status = await self.pool.execute(
            "UPDATE subscriptions SET paused_reason = NULL, paused_at = NULL,"
            f" after_article_id = {_MAX_ARTICLE_ID}, scanned_to = {_MAX_ARTICLE_ID}"
            " WHERE channel = $1 AND paused_reason IS NOT NULL",
            channel,
        )
        return int(status.split()[-1])

    async def set_scanned_to(self, subscription_id: int, article_id: int) -> None:
        await self.pool.execute(
            "UPDATE subscriptions SET scanned_to = greatest(scanned_to, $1) WHERE id = $2",
            article_id,
            subscription_id,
        )

    # -- candidates -------------------------------------------------------------------------

    async def new_candidates(self, sub: Subscription, limit: int) -> list[Candidate]:
        return await self._candidates(
            "a.id > $2 AND a.announce ORDER BY a.id LIMIT $3", (sub.scanned_to, limit), sub.id
        )

    async def backfill_candidates(self, sub: Subscription) -> list[Candidate]:
        if sub.spec.backfill <= 0:
            return []
        rows = await self.pool.fetch(
            "SELECT id, date, ingested_at FROM articles WHERE id <= $1"
            " ORDER BY date DESC, id DESC LIMIT $2",
            sub.after_article_id,
            sub.spec.backfill,
        )
        taken = await self.ledger_articles(sub.id, [row["id"] for row in rows])
        return [_candidate(row) for row in rows if row["id"] not in taken]

    async def on_this_day_candidates(self, sub: Subscription, today: dt.date) -> list[Candidate]:
        return await self._candidates(
            "to_char(a.date, 'MM-DD') = $2 AND a.date < $3"
            " ORDER BY a.date DESC, a.id DESC LIMIT 25",
            (today.strftime("%m-%d"), dt.date(today.year, 1, 1)),
            sub.id,
        )

    async def _candidates(
        self, where: str, args: tuple[object, ...], subscription_id: int
    ) -> list[Candidate]:
        rows = await self.pool.fetch(
            "SELECT a.id, a.date, a.ingested_at FROM articles a WHERE NOT EXISTS"
            " (SELECT 1 FROM deliveries d WHERE d.subscription_id = $1 AND d.article_id = a.id)"
            f" AND {where}",
            subscription_id,
            *args,
        )
        return [_candidate(row) for row in rows]

    async def ledger_articles(self, subscription_id: int, article_ids: Sequence[int]) -> set[int]:
        rows = await self.pool.fetch(
            "SELECT article_id FROM deliveries WHERE subscription_id = $1 AND article_id = any($2)",
            subscription_id,
            list(article_ids),
        )
        return {row[0] for row in rows}

    async def channel_articles(
        self, channel: str, article_ids: Sequence[int], mode: str = "instant"
    ) -> set[int]:
        rows = await self.pool.fetch(
            "SELECT d.article_id FROM deliveries d JOIN subscriptions s"
            " ON s.id = d.subscription_id WHERE s.channel = $1 AND s.mode = $2"
            " AND d.article_id = any($3)",
            channel,
            mode,
            list(article_ids),
        )
        return {row[0] for row in rows}

    async def facts(self, article_ids: Sequence[int]) -> dict[int, ArticleFacts]:
        rows = await self.pool.fetch(
            f"SELECT {_ARTICLE}, array(SELECT t.key FROM article_topics at"
            " JOIN topics t ON t.id = at.topic_id WHERE at.article_id = a.id) AS topic_keys"
            " FROM articles a WHERE a.id = any($1)",
            list(set(article_ids)),
        )
        return {
            row["id"]: ArticleFacts(_row_article(row), frozenset(row["topic_keys"])) for row in rows
        }

    # -- the ledger -------------------------------------------------------------------------

    async def posts_since(self, since: dt.datetime) -> dict[str, int]:
        rows = await self.pool.fetch(
            "SELECT s.channel, count(DISTINCT d.post_key) FROM deliveries d"
            " JOIN subscriptions s ON s.id = d.subscription_id"
            " WHERE d.claimed_at >= $1 AND d.post_kind != 'digest' GROUP BY s.channel",
            since,
        )
        return {row[0]: row[1] for row in rows}

    async def claim(self, claims: Sequence[Claim], now: dt.datetime) -> int:
        """Record the intent to post, before posting. A row already there is kept as is."""
        if not claims:
            return 0
        inserted = await self.pool.fetchval(
            "WITH new AS (INSERT INTO deliveries (subscription_id, article_id, post_key,"
            " post_kind, state, next_attempt_at, claimed_at)"
            " SELECT s, a, k, p, 'claimed', $5, $5"
            " FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS c(s, a, k, p)"
            " ON CONFLICT (subscription_id, article_id) DO NOTHING RETURNING 1)"
            " SELECT count(*) FROM new",
            [c.subscription_id for c in claims],
            [c.article_id for c in claims],
            [c.post_key for c in claims],
            [c.post_kind for c in claims],
            now,
        )
        return int(inserted)

    async def pending_posts(
        self, now: dt.datetime, subscription_id: int | None = None
    ) -> list[PendingPost]:
        """Claimed posts due for a (re)try, oldest first, of unpaused subscriptions, in the
        channels this process holds (or now takes) the lease of."""
        due = (
            "FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id"
            " WHERE d.state = 'claimed' AND d.next_attempt_at <= $1 AND s.paused_reason IS NULL"
            " AND ($2::bigint IS NULL OR d.subscription_id = $2)"
        )
        async with self.pool.acquire() as db, db.transaction():
            channels = await db.fetch(
                "INSERT INTO channel_leases (channel, owner, expires_at)"
                f" SELECT channel, $3, $4 FROM (SELECT DISTINCT s.channel {due}) AS c"
                f" ORDER BY channel LIMIT {CHANNELS_PER_PASS}"
                " ON CONFLICT (channel) DO UPDATE SET owner = excluded.owner,"
                " expires_at = excluded.expires_at"
                " WHERE channel_leases.owner = excluded.owner OR channel_leases.expires_at <= $1"
                " RETURNING channel",
                now,
                subscription_id,
                self.owner,
                now + self.lease,
            )
            rows = await db.fetch(
                "SELECT d.subscription_id, s.channel, d.post_key, min(d.post_kind) AS post_kind,"
                " array_agg(d.article_id ORDER BY d.article_id) AS ids,"
                " max(d.attempts) AS attempts, min(d.id) AS first,"
                f" min(d.claimed_at) AS claimed_at {due} AND s.channel = any($3)"
                " GROUP BY d.subscription_id, s.channel, d.post_key ORDER BY first",
                now,
                subscription_id,
                [row["channel"] for row in channels],
            )
        return [
            PendingPost(
                subscription_id=row["subscription_id"],
                channel=row["channel"],
                post_key=row["post_key"],
                post_kind=row["post_kind"],
                article_ids=tuple(row["ids"]),
                attempts=row["attempts"],
                first_row=row["first"],
                claimed_at=row["claimed_at"],
            )
            for row in rows
        ]

    async def mark_sent(self, post: PendingPost, message_id: str, now: dt.datetime) -> None:
        await self.pool.execute(
            "UPDATE deliveries SET state = 'sent', message_id = $1, sent_at = $2,"
            " attempts = attempts + 1, reason = NULL"
            " WHERE subscription_id = $3 AND post_key = $4 AND state = 'claimed'",
            message_id,
            now,
            post.subscription_id,
            post.post_key,
        )

    async def mark_retry(self, post: PendingPost, reason: str, next_attempt: dt.datetime) -> None:
        await self.pool.execute(
            "UPDATE deliveries SET attempts = attempts + 1, reason = $1, next_attempt_at = $2"
            " WHERE subscription_id = $3 AND post_key = $4 AND state = 'claimed'",
            reason,
            next_attempt,
            post.subscription_id,
            post.post_key,
        )

    async def mark_failed(self, post: PendingPost, reason: str) -> None:
        await self.pool.execute(
            "UPDATE deliveries SET state = 'failed', attempts = attempts + 1, reason = $1"
            " WHERE subscription_id = $2 AND post_key = $3 AND state = 'claimed'",
            reason,
            post.subscription_id,
            post.post_key,
        )

    async def set_last_digest(self, subscription_id: int, now: dt.datetime) -> None:
        await self.pool.execute(
            "UPDATE subscriptions SET last_digest_at = $1 WHERE id = $2", now, subscription_id
        )

    async def counts(self, now: dt.datetime) -> LedgerCounts:
        row = await self.pool.fetchrow(
            "SELECT count(*) FILTER (WHERE state = 'claimed'),"
            " count(*) FILTER (WHERE state = 'claimed' AND next_attempt_at <= $1),"
            " count(*) FILTER (WHERE state = 'sent'), count(*) FILTER (WHERE state = 'failed')"
            " FROM deliveries",
            now,
        )
        assert row is not None
        return LedgerCounts(int(row[0]), int(row[1]), int(row[2]), int(row[3]))

    async def recent_failures(self, limit: int = 5) -> list[tuple[str, int, str]]:
        rows = await self.pool.fetch(
            "SELECT s.channel, d.article_id, coalesce(d.reason, '') FROM deliveries d"
            " JOIN subscriptions s ON s.id = d.subscription_id WHERE d.state = 'failed'"
            " ORDER BY d.id DESC LIMIT $1",
            limit,
        )
        return [(row[0], row[1], row[2]) for row in rows]

    async def stuck(
        self, claimed_before: dt.datetime, min_attempts: int, limit: int = 5
    ) -> list[tuple[str, int, int, dt.datetime, str]]:
        rows = await self.pool.fetch(
            "SELECT s.channel, d.article_id, d.attempts, d.claimed_at, coalesce(d.reason, '')"
            " FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id"
            " WHERE d.state = 'claimed' AND (d.claimed_at < $1 OR d.attempts >= $2)"
            " ORDER BY d.claimed_at, d.id LIMIT $3",
            claimed_before,
            min_attempts,
            limit,
        )
        return [(row[0], row[1], row[2], row[3], row[4]) for row in rows]
