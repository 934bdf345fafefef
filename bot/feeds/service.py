"""Following feeds: the sources (config and commands), polling and health.

A poll fetches the feed conditionally (a 304, or the same bytes as the last document
read, parses nothing), parses it off the event
loop, turns entries into articles and hands them to the one ingest path seeds take.
Entries are known by their key (id, link, or title and date) and their text: an entry
whose id or date churns with the same text is a duplicate, an edited one updates its
article (same number, so no second post).

A feed's first poll is stored as archive (subscribers get no flood of its back
catalogue); later polls announce at most `delivery.catch_up_limit` new entries, the
newest, so a feed back from a long outage does not flood either. Failures back off
exponentially (never sooner than Retry-After); after DISABLE_AFTER failures in a row
the feed is disabled with its reason, which `/news sources` shows.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.config import FEED_POLL_MIN_SECONDS, AdminConfig, feed_name_problem, feed_url_problem
from bot.feeds.entries import entry_article, entry_paragraphs, feed_source
from bot.feeds.fulltext import main_text
from bot.feeds.parse import FeedEntry, FeedParseError, ParsedFeed, parse_feed
from bot.ingest.seed import IngestError
from bot.ingest.service import IngestReport, Prepare, ProblemLog, ingest_articles
from bot.models import Article, Feed, FeedSpec, PollRecord, PreparedArticle, TopicLabel
from bot.ports import Clock, Fetcher, FetchError, SystemClock
from bot.store.backends import feed_sources_of
from bot.store.ports import Articles
from bot.text import canonical_key

log = logging.getLogger(__name__)

DISABLE_AFTER = 8  # failed polls in a row
MAX_BACKOFF_SECONDS = 86_400.0
# Statuses that say the feed is gone for good: no point in trying again.
GONE_STATUSES = frozenset({410})


class FeedError(Exception):
    """A source request that cannot be honoured; the message says why."""


@dataclass(frozen=True)
class PollResult:
    """What one poll did: `outcome` is read, not modified (a 304, or the same bytes as the
    last read), failed, disabled, waiting or gone."""

    outcome: str
    report: IngestReport | None = None
    error: str | None = None


def backoff_seconds(poll_seconds: int, failures: int, retry_after: float | None) -> float:
    """Wait before the next try: doubling from the poll interval, capped at a day, never
    sooner than the server asked."""
    delay = min(poll_seconds * 2.0 ** max(failures - 1, 0), MAX_BACKOFF_SECONDS)
    return max(delay, retry_after or 0.0)


def _topic_labels(topics: Sequence[str]) -> list[TopicLabel]:
    labels = {key: label for label in topics if (key := canonical_key(label))}
    return [TopicLabel(key, label) for key, label in labels.items()]


def with_feed_topics(article: Article, prepare: Prepare, topics: Sequence[str]) -> PreparedArticle:
    """The article's own summary and topics, plus the topics its feed declares."""
    prepared = prepare(article)
    have = {topic.key for topic in prepared.topics}
    extra = [label for label in _topic_labels(topics) if label.key not in have]
    return dataclasses.replace(prepared, topics=(*prepared.topics, *extra))


def _warning(parsed: ParsedFeed, report: IngestReport) -> str | None:
    """What admins should know about a feed that was read: malformed, or entries skipped."""
    notes = [parsed.problem] if parsed.problem else []
    if report.rejected:
        count = len(report.rejected)
        notes.append(
            f"{count} entr{'y' if count == 1 else 'ies'} skipped ({report.rejected[0].reason})"
        )
    return "; ".join(notes) or None


class FeedService:
    """Sources and their polls. The scheduler calls `poll`; commands call `add`, `remove`
    and `feeds`."""

    def __init__(
        self,
        store: Articles,
        config: AdminConfig,
        fetcher: Fetcher,
        prepare: Prepare,
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.db = feed_sources_of(store)
        self.config = config
        self.fetcher = fetcher
        self.prepare = prepare
        self.clock: Clock = clock or SystemClock()
        self.on_change: Callable[[], Awaitable[None]] | None = None
        self.problems = ProblemLog()

    # -- sources ----------------------------------------------------------------------------

    async def sync_config(self, specs: Sequence[FeedSpec]) -> None:
        """Make the config's feeds match the config (a command source of the same name
        becomes the config's), and give every feed's stored articles the topics it
        declares: new ones, and those a refresh of the derived topics left out."""
        existing = {feed.name.casefold(): feed for feed in await self.db.feeds()}
        wanted = {spec.name.casefold(): spec for spec in specs}
        now = self.clock.now()
        for key, spec in wanted.items():
            feed = existing.get(key)
            if feed is None:
                await self.db.add(spec, "config", now)
            elif feed.spec != spec or feed.origin != "config":
                await self.db.update_spec(feed.id, spec, "config")
        await self.db.remove(
            feed.id
            for key, feed in existing.items()
            if feed.origin == "config" and key not in wanted
        )
        for feed in await self.db.feeds():
            if labels := _topic_labels(feed.spec.topics):
                await self.db.give_topics(feed.id, [(t.key, t.label) for t in labels])

    async def add(self, spec: FeedSpec) -> tuple[Feed, bool]:
        """Follow a feed by command; (it, created). Adding a disabled source again
        re-enables it."""
        problem = feed_name_problem(spec.name) or feed_url_problem(spec.url)
        if problem:
            raise FeedError(problem)
        if spec.poll_interval_seconds < FEED_POLL_MIN_SECONDS:
            raise FeedError(f"the poll interval must be at least {FEED_POLL_MIN_SECONDS} seconds")
        feed = await self.db.by_name(spec.name)
        if feed is not None:
            if feed.spec.url != spec.url:
                raise FeedError(f"a source named {feed.name!r} already follows {feed.spec.url}")
            if feed.disabled_reason:
                await self.db.enable(feed.id)
            created = False
        else:
            await self.db.add(spec, "command", self.clock.now())
            created = True
        found = await self.db.by_name(spec.name)
        assert found is not None
        await self._changed()
        return found, created

    async def remove(self, name: str) -> Feed:
        feed = await self.db.by_name(name)
        if feed is None:
            raise FeedError(f"No source named {name!r} (see /news sources)")
        if feed.origin == "config":
            raise FeedError(
                f"{feed.name!r} is declared in the config file; an admin removes it there"
            )
        await self.db.remove([feed.id])
        await self._changed()
        return feed

    async def feeds(self) -> list[Feed]:
        return await self.db.feeds()

    async def _changed(self) -> None:
        if self.on_change is not None:
            await self.on_change()

    # -- polling ----------------------------------------------------------------------------

    async def poll(self, feed_id: int) -> PollResult:
        """Fetch and ingest one feed, unless it is disabled or backing off."""
        feed = await self.db.get(feed_id)
        if feed is None:
            return PollResult("gone")
        if feed.disabled_reason:
            return PollResult("disabled", error=feed.disabled_reason)
        now = self.clock.now()
        if feed.next_poll_at is not None and feed.next_poll_at > now:
            return PollResult("waiting")
        try:
            fetched = await self.fetcher.fetch(
                feed.spec.url, etag=feed.etag, last_modified=feed.last_modified
            )
            body_hash = hashlib.sha256(fetched.body).hexdigest()
            if fetched.status == 304 or body_hash == feed.body_hash:
                await self.db.record_success(
                    feed.id,
                    PollRecord(
                        now,
                        fetched.status,
                        etag=fetched.etag or feed.etag,
                        last_modified=fetched.last_modified or feed.last_modified,
                        error=None if feed.failures else feed.last_error,
                    ),
                )
                return PollResult("not modified")
            parsed = await asyncio.to_thread(
                parse_feed, fetched.body, fetched.url, fetched.content_type
            )
        except FetchError as exc:
            return await self._failed(feed, now, exc.reason, exc.status, exc.retry_after)
        except FeedParseError as exc:
            return await self._failed(feed, now, str(exc), fetched.status, None)
        try:
            report = await self._ingest(feed, parsed, now)
        except Exception as exc:  # one broken feed must not stop the others' polls
            log.exception("feed %s could not be ingested", feed.name)
            return await self._failed(feed, now, f"unexpected {type(exc).__name__}", None, None)
        warning = _warning(parsed, report)
        await self.db.record_success(
            feed.id,
            PollRecord(
                now,
                fetched.status,
                items=len(parsed.entries),
                etag=fetched.etag,
                last_modified=fetched.last_modified,
                error=warning,
                body_hash=body_hash,
            ),
        )
        self.problems.log(report, scope=feed.name)
        if report.added or report.updated:
            log.info("feed %s: %s", feed.name, report.summary_line())
        return PollResult("read", report, warning)

    async def _failed(
        self,
        feed: Feed,
        now: dt.datetime,
        reason: str,
        status: int | None,
        retry_after: float | None,
    ) -> PollResult:
        failures = feed.failures + 1
        disabled = None
        if status in GONE_STATUSES:
            disabled = f"the feed is gone (HTTP {status}): {reason}"
        elif failures >= DISABLE_AFTER:
            disabled = f"disabled after {failures} failed polls in a row; the last: {reason}"
        delay = backoff_seconds(feed.spec.poll_interval_seconds, failures, retry_after)
        record = PollRecord(now, status, now + dt.timedelta(seconds=delay), error=reason)
        await self.db.record_failure(feed.id, record, failures, disabled)
        if disabled:
            log.warning("feed %s disabled: %s", feed.name, disabled)
            return PollResult("disabled", error=disabled)
        log.info("feed %s failed (%s); next try in %.0f s", feed.name, reason, delay)
        return PollResult("failed", error=reason)

    async def _ingest(self, feed: Feed, parsed: ParsedFeed, now: dt.datetime) -> IngestReport:
        tz = self.config.tz
        entries = {feed_source(feed.id, entry.key): entry for entry in parsed.entries}
        known = await self.store.known_articles(list(entries))
        if feed.spec.full_text:
            # Stored entries keep the page text they got; only new ones are fetched.
            entries = {source: e for source, e in entries.items() if source not in known}
        items: list[Article | IngestError] = []
        for entry in entries.values():
            paragraphs = await self._full_text(entry) if feed.spec.full_text else None
            items.append(entry_article(feed.id, entry, now, tz, paragraphs))
        items = await self._pace_announcements(feed, items, known)
        prepare = functools.partial(with_feed_topics, prepare=self.prepare, topics=feed.spec.topics)
        return await ingest_articles(self.store, items, prepare)

    async def _pace_announcements(
        self, feed: Feed, items: list[Article | IngestError], known: dict[str, tuple[int, str]]
    ) -> list[Article | IngestError]:
        """New entries of a first poll are archive; later, only the newest few are news."""
        articles = [item for item in items if isinstance(item, Article)]
        copies = await self.store.sources_by_hash([a.content_hash for a in articles])
        new = [a for a in articles if a.source not in known and a.content_hash not in copies]
        limit = 0 if feed.last_success_at is None else self.config.delivery_catch_up_limit
        newest = sorted(new, key=lambda a: a.date, reverse=True)[:limit]
        quiet = {a.source for a in new} - {a.source for a in newest}
        if quiet and limit:
            log.info("feed %s: %d new entries stored without posting", feed.name, len(quiet))
        return [
            dataclasses.replace(item, announce=False)
            if isinstance(item, Article) and item.source in quiet
            else item
            for item in items
        ]

    async def _full_text(self, entry: FeedEntry) -> list[str] | None:
        """The article page's main text, or None to keep the feed's text (no link, the page
        failed, or it yielded less than the feed)."""
        if not entry.link:
            return None
        try:
            page = await self.fetcher.fetch(entry.link)
        except FetchError as exc:
            log.info("full text of %s: %s; keeping the feed's text", entry.link, exc.reason)
            return None
        extracted = await asyncio.to_thread(main_text, page.body, page.url)
        feed_text = entry_paragraphs(entry)
        if sum(map(len, extracted)) <= sum(map(len, feed_text)):
            return None
        return extracted
