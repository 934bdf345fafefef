"""What the core needs from storage, whatever the database behind it.

SQLite (bot.store.sqlite, .deliveries, .feeds) and PostgreSQL (bot.store.postgres) each
implement these; one contract test suite (tests/store/test_contract.py) runs against both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from bot.models import (
    Article,
    ArticleFacts,
    Candidate,
    Claim,
    Feed,
    FeedSpec,
    IngestResult,
    LedgerCounts,
    PendingPost,
    PollRecord,
    PreparedArticle,
    SearchHit,
    StoredArticle,
    StoreStats,
    Subscription,
    SubscriptionSpec,
    TrendCounts,
)


class JobLocks(Protocol):
    """Jobs that must run once among the processes sharing a database (polls, digests)."""

    def run_once(self, job_id: str) -> AbstractAsyncContextManager[bool]:
        """Held for the job: True when this process runs it, False when another one is."""
        ...

    def one_at_a_time(self, job_id: str) -> AbstractAsyncContextManager[None]:
        """Held for the work, after waiting for any other process doing it to finish."""
        ...


class SharedPace(Protocol):
    """A rate limit shared by every process of one bot (Discord's global limit belongs to
    the token, not to a process)."""

    async def take(self, key: str, interval: float, early: float) -> tuple[bool, float]:
        """Whether a request of `key` may go now, and seconds until the next one may.

        Requests are due `interval` seconds apart and may go up to `early` seconds before
        they are due (so one that went late lets the next catch up that much)."""
        ...

    async def hold(self, key: str, seconds: float) -> None:
        """No request of `key` is due sooner than `seconds` from now (the platform said stop)."""
        ...


class Meta(Protocol):
    """A small key/value table for the bot's own bookkeeping."""

    async def get_meta(self, key: str) -> str | None: ...

    async def set_meta(self, key: str, value: str) -> None: ...


class Articles(Meta, Protocol):
    """Articles with their summaries and topics, full-text search and topic counts."""

    async def schema_version(self) -> int: ...

    async def known_articles(self, sources: Sequence[str]) -> dict[str, tuple[int, str]]: ...

    async def sources_by_hash(self, hashes: Sequence[str]) -> dict[str, str]: ...

    async def rename_sources(self, renames: Mapping[str, str]) -> None: ...

    async def save_articles(self, items: Sequence[PreparedArticle]) -> list[IngestResult]: ...

    async def update_derived(self, items: Sequence[PreparedArticle]) -> None: ...

    async def articles_after(self, after_id: int, limit: int) -> list[Article]: ...

    async def latest(self, limit: int, up_to: dt.date) -> list[StoredArticle]: ...

    async def get_article(
        self, article_id: int, up_to: dt.date | None = None
    ) -> StoredArticle | None: ...

    async def count_articles(self) -> int: ...

    async def search(
        self, user_query: str, limit: int, offset: int = 0, up_to: dt.date | None = None
    ) -> tuple[list[SearchHit], int]: ...

    async def newest_date(self, up_to: dt.date) -> dt.date | None: ...

    async def articles_between(
        self, start: dt.date, end: dt.date, limit: int, topic_key: str | None = None
    ) -> list[StoredArticle]: ...

    async def topic_counts(
        self, start: dt.date, end: dt.date, limit: int | None = None
    ) -> tuple[dict[str, int], int]: ...

    async def trending_counts(
        self, start: dt.date, end: dt.date, before: dt.date, min_count: int, top: int
    ) -> TrendCounts:
        """Topics of at least `min_count` articles dated start..end (at least the `top` most
        frequent), with their counts in before..start-1, and both periods' totals."""
        ...

    async def topic_labels(
        self, keys: Sequence[str], up_to: dt.date | None = None
    ) -> dict[str, str]: ...

    async def topics_like(
        self, word: str, limit: int, up_to: dt.date | None = None
    ) -> list[tuple[str, str, int]]: ...

    async def article_title_matches(
        self, typed: str, limit: int, up_to: dt.date | None = None
    ) -> list[tuple[int, str]]: ...

    async def topic_label_matches(
        self, typed: str, limit: int, max_label_chars: int, up_to: dt.date | None = None
    ) -> list[str]: ...

    async def article_topics(self, article_id: int) -> list[str]: ...

    async def stats(self) -> StoreStats: ...


class Subscriptions(Protocol):
    """Subscriptions, the articles due to them, and the delivery ledger."""

    async def subscriptions(self, channel: str | None = None) -> list[Subscription]: ...

    async def get(self, subscription_id: int) -> Subscription | None: ...

    async def add(
        self, spec: SubscriptionSpec, origin: str, now: dt.datetime, config_key: str | None = None
    ) -> int: ...

    async def update_spec(self, subscription_id: int, spec: SubscriptionSpec) -> None: ...

    async def remove(self, subscription_ids: Iterable[int]) -> int: ...

    async def pause_channel(self, channel: str, reason: str, now: dt.datetime) -> list[int]: ...

    async def resume_channel(self, channel: str) -> int: ...

    async def set_scanned_to(self, subscription_id: int, article_id: int) -> None: ...

    async def new_candidates(self, sub: Subscription, limit: int) -> list[Candidate]: ...

    async def backfill_candidates(self, sub: Subscription) -> list[Candidate]: ...

    async def on_this_day_candidates(
        self, sub: Subscription, today: dt.date
    ) -> list[Candidate]: ...

    async def ledger_articles(
        self, subscription_id: int, article_ids: Sequence[int]
    ) -> set[int]: ...

    async def channel_articles(
        self, channel: str, article_ids: Sequence[int], mode: str = "instant"
    ) -> set[int]: ...

    async def facts(self, article_ids: Sequence[int]) -> dict[int, ArticleFacts]: ...

    async def posts_since(self, since: dt.datetime) -> dict[str, int]: ...

    async def claim(self, claims: Sequence[Claim], now: dt.datetime) -> int: ...

    async def pending_posts(
        self, now: dt.datetime, subscription_id: int | None = None
    ) -> list[PendingPost]: ...

    async def mark_sent(self, post: PendingPost, message_id: str, now: dt.datetime) -> None: ...

    async def mark_retry(
        self, post: PendingPost, reason: str, next_attempt: dt.datetime
    ) -> None: ...

    async def mark_failed(self, post: PendingPost, reason: str) -> None: ...

    async def set_last_digest(self, subscription_id: int, now: dt.datetime) -> None: ...

    async def counts(self, now: dt.datetime) -> LedgerCounts: ...

    async def recent_failures(self, limit: int = 5) -> list[tuple[str, int, str]]: ...

    async def stuck(
        self, claimed_before: dt.datetime, min_attempts: int, limit: int = 5
    ) -> list[tuple[str, int, int, dt.datetime, str]]: ...


class FeedSources(Protocol):
    """Followed feeds and their fetch state and health."""

    async def feeds(self) -> list[Feed]: ...

    async def get(self, feed_id: int) -> Feed | None: ...

    async def by_name(self, name: str) -> Feed | None: ...

    async def add(self, spec: FeedSpec, origin: str, now: dt.datetime) -> int: ...

    async def update_spec(self, feed_id: int, spec: FeedSpec, origin: str) -> None: ...

    async def enable(self, feed_id: int) -> None: ...

    async def remove(self, feed_ids: Iterable[int]) -> int: ...

    async def record_success(self, feed_id: int, poll: PollRecord) -> None: ...

    async def record_failure(
        self, feed_id: int, poll: PollRecord, failures: int, disabled_reason: str | None
    ) -> None: ...

    async def give_topics(self, feed_id: int, topics: Sequence[tuple[str, str]]) -> None: ...
