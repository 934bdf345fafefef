"""What is due, for whom, exactly once.

Two passes, each safe to interrupt at any point:

1. claim: for each subscription, find articles that became due (new since it was
   made, its backfill, on-this-day items, future-dated items whose day and local
   delivery time arrived), keep those that match its topics and keywords, and
   write one ledger row per (subscription, article) in state `claimed`. The pace
   is applied here: per channel at most `posts_per_minute` posts a minute
   (`catch_up_limit` on the first pass after start-up); what does not fit becomes
   one "N more items" post. A row's post key is fixed when it is claimed.
2. send: post every claimed post through its platform's Publisher with the post
   key as idempotency key, then record `sent` with the message id. A crash between
   send and record leaves the row claimed; the next pass re-sends it with the same
   key. A platform that deduplicates (Discord's `enforce_nonce`) turns that into the
   first message; for one that cannot (Slack), the publisher is first asked whether a
   post with that key is already in the channel.

Each publisher declares its platform's pace per channel (`Pacing`); sends wait for it
here, so a fan-out is paced instead of answered with rate limits. A limit across all
channels (Discord's 50 requests a second) covers every request, not only posts, so the
adapter keeps it (bot.pace).

Temporary failures back off (honouring `retry_after`); a channel that refuses
posts (403/404) pauses its subscriptions with the reason admins see.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.config import AdminConfig, cron_trigger, split_terms, subscription_problems
from bot.models import (
    ArticleFacts,
    Candidate,
    Claim,
    LedgerCounts,
    PendingPost,
    Reply,
    ReplyItem,
    Subscription,
    SubscriptionSpec,
    bullet_list,
)
from bot.ports import (
    ChannelUnavailable,
    Clock,
    Pacing,
    Publisher,
    SystemClock,
    TemporaryFailure,
)
from bot.store import StoreError
from bot.store.backends import subscriptions_of
from bot.store.ports import Articles
from bot.text import DigestInput, canonical_key, digest

log = logging.getLogger(__name__)

SCAN_LIMIT = 2000  # articles considered per subscription per pass
MAX_ATTEMPTS = 8  # sends of one post before it is recorded as failed
# A post unsent this long after it was claimed, or after this many tries, is shown
# to admins as stuck in /news status.
STUCK_AFTER = dt.timedelta(hours=1)
STUCK_ATTEMPTS = 3
BACKOFF_BASE_SECONDS = 5.0
BACKOFF_MAX_SECONDS = 900.0
PACE_WINDOW = dt.timedelta(minutes=1)
SEND_CONCURRENCY = 16  # channels posted to at once; posts within a channel stay in order
LISTED_ITEMS = 10  # article titles shown in an overflow or digest post
DIGEST_SENTENCES = 5
DIGEST_INPUT_LIMIT = 50


class SubscriptionError(Exception):
    """A subscription request that cannot be honoured; the message says why."""


@dataclass
class DeliverReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    paused: list[str] = field(default_factory=list)

    def merge(self, other: DeliverReport) -> None:
        self.claimed += other.claimed
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.paused.extend(other.paused)


@dataclass(frozen=True)
class SyncReport:
    added: int
    updated: int
    removed: int


def normalise_spec(spec: SubscriptionSpec, tz: dt.tzinfo) -> SubscriptionSpec:
    """Canonical topic keys, case-folded keywords; reject what cannot run (the rules
    are bot.config.subscription_problems, shared with the config file)."""
    if problems := subscription_problems(spec, tz):
        raise SubscriptionError("; ".join(problems))
    topics = [canonical_key(term) for term in split_terms(spec.topics)]
    keywords = [term.casefold() for term in split_terms(spec.keywords)]
    exclude = [term.casefold() for term in split_terms(spec.exclude)]
    return SubscriptionSpec(
        channel=spec.channel,
        mode=spec.mode,
        schedule=" ".join(spec.schedule.split()),
        topics=tuple(dict.fromkeys(t for t in topics if t)),
        keywords=tuple(dict.fromkeys(keywords)),
        exclude=tuple(dict.fromkeys(exclude)),
        backfill=spec.backfill,
        on_this_day=spec.on_this_day,
    )


def _has_word(text: str, term: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(term)}(?!\w)", text) is not None


def matches(spec: SubscriptionSpec, facts: ArticleFacts) -> bool:
    """All news when no topics or keywords are given; excludes always win."""
    text = f"{facts.article.title}\n{facts.article.body}".casefold()
    for term in spec.exclude:
        if canonical_key(term) in facts.topic_keys or _has_word(text, term):
            return False
    if not spec.topics and not spec.keywords:
        return True
    if any(topic in facts.topic_keys for topic in spec.topics):
        return True
    return any(_has_word(text, keyword) for keyword in spec.keywords)


def describe(spec: SubscriptionSpec) -> str:
    parts = [spec.mode if spec.mode == "instant" else f"digest at '{spec.schedule}'"]
    if spec.topics:
        parts.append("topics: " + ", ".join(spec.topics))
    if spec.keywords:
        parts.append("keywords: " + ", ".join(spec.keywords))
    if not spec.topics and not spec.keywords:
        parts.append("all news")
    if spec.exclude:
        parts.append("excluding " + ", ".join(spec.exclude))
    if spec.backfill:
        parts.append(f"backfill {spec.backfill}")
    if spec.on_this_day:
        parts.append("on this day")
    return "; ".join(parts)


def _teaser(facts: ArticleFacts, limit: int = 300) -> str:
    """The article's stored summary (what sets us apart), or the start of its body."""
    article = facts.article
    if article.summary:
        return bullet_list(article.summary)
    text = " ".join(article.body.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _item(facts: ArticleFacts) -> ReplyItem:
    a = facts.article
    return ReplyItem(a.title, article_id=a.id, date=a.date, url=a.url)


def _listed(found: Sequence[ArticleFacts]) -> tuple[tuple[ReplyItem, ...], str]:
    shown = tuple(_item(f) for f in found[:LISTED_ITEMS])
    more = len(found) - len(shown)
    footer = f"and {more} more · " if more > 0 else ""
    return shown, footer + "Read one in full: /news article <number>"


def build_post(post: PendingPost, facts: Mapping[int, ArticleFacts]) -> Reply | None:
    """The message for one post; None when its articles are gone."""
    found = sorted(
        (facts[i] for i in post.article_ids if i in facts),
        key=lambda f: (f.article.date, f.article.id),
        reverse=True,
    )
    if not found:
        return None
    if post.post_kind in ("item", "on_this_day") and len(found) == 1:
        article = found[0].article
        title = article.title
        if post.post_kind == "on_this_day":
            title = f"On this day in {article.date.year}: {article.title}"
        return Reply(
            title=title,
            text=_teaser(found[0]),
            footer=f"#{article.id} · {article.date.isoformat()} · /news article {article.id}",
            url=article.url,
        )
    items, footer = _listed(found)
    if post.post_kind == "digest":
        picked = digest(
            [
                DigestInput(f.article.id, f.article.title, f.article.body, f.article.summary)
                for f in found[:DIGEST_INPUT_LIMIT]
            ],
            DIGEST_SENTENCES,
        )
        count = len(found)
        return Reply(
            title=f"Digest: {count} new item{'s' if count != 1 else ''}",
            text=bullet_list([f"{s.text} (#{s.article_id})" for s in picked]),
            items=items,
            footer=footer,
        )
    return Reply(title=f"{len(found)} more items", items=items, footer=footer)


def backoff(attempts: int, retry_after: float | None) -> float:
    """Seconds before the next try: exponential, never sooner than the platform asks."""
    delay: float = min(BACKOFF_BASE_SECONDS * 2.0 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    return max(delay, retry_after or 0.0)


class Pacer:
    """Lets `burst` calls through at once, then one per 1/rate seconds (a token bucket,
    kept as the time the bucket will next be full)."""

    def __init__(self, per_second: float, burst: int = 1) -> None:
        self.interval = 1.0 / per_second
        self.tolerance = (max(burst, 1) - 1) * self.interval
        self._full_at = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        async with self._lock:
            now = loop.time()
            full_at = max(now, self._full_at)
            start = max(now, full_at - self.tolerance)
            self._full_at = full_at + self.interval
        if start > now:
            await asyncio.sleep(start - now)


class PlatformPace:
    """The pacers of one platform, one per channel (a limit across all channels is the
    adapter's to keep on each request: see bot.pace)."""

    def __init__(self, pacing: Pacing) -> None:
        self.pacing = pacing
        self._channels: dict[str, Pacer] = {}

    async def wait(self, channel_id: str) -> None:
        rate = self.pacing.per_channel_per_second
        if rate:
            pacer = self._channels.get(channel_id)
            if pacer is None:
                pacer = self._channels[channel_id] = Pacer(rate, self.pacing.channel_burst)
            await pacer.wait()


class Delivery:
    """Subscriptions and the two delivery passes. The scheduler calls `deliver_due`
    and `run_digest`; commands call `subscribe`, `unsubscribe` and `status`."""

    def __init__(
        self,
        store: Articles,
        config: AdminConfig,
        publishers: Mapping[str, Publisher],
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.db = subscriptions_of(store, dt.timedelta(seconds=config.delivery_lease_seconds))
        self.config = config
        self.publishers: dict[str, Publisher] = {}
        self._paces: dict[str, PlatformPace] = {}
        self._warned_platforms: set[str] = set()
        for publisher in publishers.values():
            self.attach(publisher)
        self.clock: Clock = clock or SystemClock()
        # Posts claimed before this moment may have gone out from an earlier run.
        self.started_at = self.clock.now()
        hour, minute = config.delivery_time.split(":")
        self.delivery_time = dt.time(int(hour), int(minute))
        self.catching_up = True  # the first claim pass after start-up uses catch_up_limit
        self.on_change: Callable[[], Awaitable[None]] | None = None
        self._in_flight: set[str] = set()
        self._semaphore = asyncio.Semaphore(SEND_CONCURRENCY)

    def expect(self, platform: str) -> None:
        """`platform` is connecting: its posts wait for `attach` without a warning."""
        self._warned_platforms.add(platform)

    def attach(self, publisher: Publisher) -> None:
        """Post to `publisher.platform` channels through `publisher`, at its pace."""
        self.publishers[publisher.platform] = publisher
        self._paces[publisher.platform] = PlatformPace(publisher.pacing)
        self._warned_platforms.discard(publisher.platform)

    # -- subscriptions ----------------------------------------------------------------------

    async def sync_config(self, items: Sequence[SubscriptionSpec]) -> SyncReport:
        """Make the config-declared subscriptions match the config: add, update, remove."""
        wanted: dict[str, SubscriptionSpec] = {}
        ordinal: dict[str, int] = defaultdict(int)
        for item in items:
            ordinal[item.channel] += 1
            wanted[f"{item.channel}#{ordinal[item.channel]}"] = normalise_spec(item, self.config.tz)
        existing = {
            sub.config_key: sub
            for sub in await self.db.subscriptions()
            if sub.origin == "config" and sub.config_key
        }
        now = self.clock.now()
        added = updated = 0
        for key, spec in wanted.items():
            sub = existing.get(key)
            if sub is None:
                await self.db.add(spec, "config", now, config_key=key)
                added += 1
            elif sub.spec != spec:
                await self.db.update_spec(sub.id, spec)
                updated += 1
        removed = await self.db.remove(sub.id for key, sub in existing.items() if key not in wanted)
        if added or updated or removed:
            log.info(
                "config subscriptions: %s added, %s updated, %s removed", added, updated, removed
            )
        return SyncReport(added, updated, removed)

    async def subscribe(self, spec: SubscriptionSpec) -> tuple[Subscription, bool]:
        """Add a command subscription; (it, created). Subscribing again resumes a paused
        channel instead of adding a copy."""
        spec = normalise_spec(spec, self.config.tz)
        resumed = await self.db.resume_channel(spec.channel)
        if resumed:
            log.info("resumed %s subscription(s) of %s", resumed, spec.channel)
        for sub in await self.db.subscriptions(spec.channel):
            if sub.spec == spec:
                return sub, False
        sub_id = await self.db.add(spec, "command", self.clock.now())
        added = await self.db.get(sub_id)
        assert added is not None
        await self._changed()
        return added, True

    async def unsubscribe(self, channel: str, subscription_id: int | None = None) -> int:
        subs = await self.db.subscriptions(channel)
        if subscription_id is not None:
            subs = [sub for sub in subs if sub.id == subscription_id]
            if not subs:
                raise SubscriptionError(f"No subscription #{subscription_id} in this channel")
            if subs[0].origin == "config":
                raise SubscriptionError(
                    f"Subscription #{subscription_id} is declared in the config file; "
                    "an admin removes it there"
                )
        else:
            subs = [sub for sub in subs if sub.origin == "command"]
        removed = await self.db.remove(sub.id for sub in subs)
        await self._changed()
        return removed

    async def subscriptions(self, channel: str | None = None) -> list[Subscription]:
        return await self.db.subscriptions(channel)

    async def counts(self) -> LedgerCounts:
        return await self.db.counts(self.clock.now())

    async def stuck(self) -> list[tuple[str, int, int, dt.datetime, str]]:
        """Posts claimed long ago or failing repeatedly: (channel, article, tries, since,
        reason)."""
        return await self.db.stuck(self.clock.now() - STUCK_AFTER, STUCK_ATTEMPTS)

    async def _changed(self) -> None:
        if self.on_change is not None:
            await self.on_change()

    # -- what is due ------------------------------------------------------------------------

    def delivery_moment(self, day: dt.date) -> dt.datetime:
        """`delivery.time` on `day` in the configured timezone, as UTC.

        Any date the store holds has one: near the calendar's ends the moment can lie
        outside what a datetime holds (9999-12-31 23:00 in Los Angeles is in year 10000
        in UTC), so it is clamped to the first or last moment there is."""
        local = dt.datetime.combine(day, self.delivery_time, tzinfo=self.config.tz)
        try:
            return local.astimezone(dt.UTC)
        except OverflowError:
            edge = dt.datetime.max if day.year == dt.MAXYEAR else dt.datetime.min
            return edge.replace(tzinfo=dt.UTC)

    def release_at(self, candidate: Candidate) -> dt.datetime | None:
        """None: due as soon as it is seen. An article dated after the local day it was
        ingested is held until its date at the delivery time."""
        ingested_day = candidate.ingested_at.astimezone(self.config.tz).date()
        if candidate.date <= ingested_day:
            return None
        return self.delivery_moment(candidate.date)

    def _is_due(self, candidate: Candidate, now: dt.datetime) -> bool:
        release = self.release_at(candidate)
        return release is None or release <= now

    async def _due_for(
        self, sub: Subscription, now: dt.datetime
    ) -> tuple[list[tuple[int, str]], list[int], int]:
        """(article id, post kind) due for `sub`, ids still held, and the highest id seen."""
        found = await self.db.new_candidates(sub, SCAN_LIMIT)
        seen = max((c.id for c in found), default=sub.scanned_to)
        due = [(c.id, "item") for c in found if self._is_due(c, now)]
        held = [c.id for c in found if not self._is_due(c, now)]
        due.extend(
            (c.id, "item") for c in await self.db.backfill_candidates(sub) if self._is_due(c, now)
        )
        if sub.spec.on_this_day:
            today = now.astimezone(self.config.tz).date()
            if now >= self.delivery_moment(today):
                due.extend(
                    (c.id, "on_this_day") for c in await self.db.on_this_day_candidates(sub, today)
                )
        return list(dict.fromkeys(due)), held, seen

    # -- pass 1: claim ----------------------------------------------------------------------

    async def claim_due(self) -> int:
        """Claim what became due for every active instant subscription, paced per channel."""
        now = self.clock.now()
        subs = [
            s
            for s in await self.db.subscriptions()
            if s.spec.mode == "instant" and not s.paused_reason
        ]
        if not subs:
            self.catching_up = False
            return 0
        due_by_sub: dict[int, list[tuple[int, str]]] = {}
        held_by_sub: dict[int, list[int]] = {}
        seen_by_sub: dict[int, int] = {}
        for sub in subs:
            try:
                due, held, seen = await self._due_for(sub, now)
            except StoreError:
                raise  # the database itself: the job reports it
            except Exception:  # one subscription must not hold up every other one
                log.exception("finding what is due for subscription #%s failed", sub.id)
                due, held, seen = [], [], sub.scanned_to
            due_by_sub[sub.id], held_by_sub[sub.id], seen_by_sub[sub.id] = due, held, seen
        facts = await self.db.facts([a for due in due_by_sub.values() for a, _ in due])
        limit = (
            self.config.delivery_catch_up_limit
            if self.catching_up
            else (self.config.delivery_posts_per_minute)
        )
        recent = await self.db.posts_since(now - PACE_WINDOW)
        by_channel: dict[str, list[Subscription]] = defaultdict(list)
        for sub in subs:
            by_channel[sub.channel].append(sub)
        claims: list[Claim] = []
        waiting: dict[int, list[int]] = defaultdict(list)  # matched but over the pace
        for channel, channel_subs in by_channel.items():
            queue: list[tuple[Subscription, int, str]] = []
            chosen: set[int] = set()
            for sub in channel_subs:
                for article_id, kind in due_by_sub[sub.id]:
                    if (
                        article_id in facts
                        and article_id not in chosen
                        and matches(sub.spec, facts[article_id])
                    ):
                        queue.append((sub, article_id, kind))
                        chosen.add(article_id)
            already = await self.db.channel_articles(channel, list(chosen))
            queue = [entry for entry in queue if entry[1] not in already]
            queue.sort(key=lambda e: (facts[e[1]].article.date, e[1]))
            budget = limit - recent.get(channel, 0)
            if budget <= 0:
                for sub, article_id, _ in queue:
                    waiting[sub.id].append(article_id)
                continue
            if len(queue) <= budget:
                singles, overflow = queue, []
            else:
                singles, overflow = queue[: budget - 1], queue[budget - 1 :]
            claims.extend(
                Claim(sub.id, article_id, f"n{sub.id}a{article_id}", kind)
                for sub, article_id, kind in singles
            )
            if overflow:
                head_sub, head_article, _ = overflow[0]
                key = f"n{head_sub.id}o{head_article}"
                claims.extend(Claim(sub.id, a, key, "overflow") for sub, a, _ in overflow)
                log.info("%s: %s items rolled into one post (pace)", channel, len(overflow))
        claimed = await self.db.claim(claims, now)
        for sub in subs:
            pending = held_by_sub[sub.id] + waiting[sub.id]
            mark = min(pending) - 1 if pending else seen_by_sub[sub.id]
            if mark > sub.scanned_to:
                await self.db.set_scanned_to(sub.id, mark)
        self.catching_up = False
        return claimed

    async def claim_digest(self, sub: Subscription) -> int:
        """Everything that matched since the last digest, as one post."""
        now = self.clock.now()
        due, held, seen = await self._due_for(sub, now)
        facts = await self.db.facts([a for a, _ in due])
        chosen = [a for a, _ in due if a in facts and matches(sub.spec, facts[a])]
        claimed = 0
        if chosen:
            key = f"n{sub.id}d{min(chosen)}"
            claimed = await self.db.claim([Claim(sub.id, a, key, "digest") for a in chosen], now)
        mark = min(held) - 1 if held else seen
        if mark > sub.scanned_to:
            await self.db.set_scanned_to(sub.id, mark)
        await self.db.set_last_digest(sub.id, now)
        return claimed

    # -- pass 2: send -----------------------------------------------------------------------

    async def send_pending(self, subscription_id: int | None = None) -> DeliverReport:
        """Post every claimed post that is due, in order per channel, channels in parallel."""
        posts = await self.db.pending_posts(self.clock.now(), subscription_id)
        by_channel: dict[str, list[PendingPost]] = defaultdict(list)
        for post in posts:
            if post.post_key not in self._in_flight:
                by_channel[post.channel].append(post)
        facts = await self.db.facts([a for p in posts for a in p.article_ids])
        reports = await asyncio.gather(
            *(self._send_channel(channel, queue, facts) for channel, queue in by_channel.items())
        )
        total = DeliverReport()
        for report in reports:
            total.merge(report)
        return total

    async def _send_channel(
        self, channel: str, queue: list[PendingPost], facts: Mapping[int, ArticleFacts]
    ) -> DeliverReport:
        report = DeliverReport()
        platform, channel_id = channel.split(":", 1)
        publisher = self.publishers.get(platform)
        if publisher is None:
            if platform not in self._warned_platforms:
                self._warned_platforms.add(platform)
                log.warning(
                    "no %s connection: posts to %s wait until there is one", platform, channel
                )
            return report
        async with self._semaphore:
            for post in queue:
                if post.post_key in self._in_flight:
                    continue
                self._in_flight.add(post.post_key)
                try:
                    outcome = await self._send_one(publisher, channel, channel_id, post, facts)
                finally:
                    self._in_flight.discard(post.post_key)
                if outcome == "sent":
                    report.sent += 1
                    continue
                if outcome == "failed":
                    report.failed += 1
                    continue
                if outcome == "paused":
                    report.paused.append(channel)
                else:
                    report.retried += 1
                break  # keep the channel's order: later posts wait for this one
        return report

    async def _send_one(
        self,
        publisher: Publisher,
        channel: str,
        channel_id: str,
        post: PendingPost,
        facts: Mapping[int, ArticleFacts],
    ) -> str:
        try:
            reply = build_post(post, facts)
        except Exception as exc:  # one article that cannot be shown must not stop the rest
            log.exception("building %s for %s failed", post.post_key, channel)
            await self.db.mark_failed(post, f"cannot build the post: {type(exc).__name__}: {exc}")
            return "failed"
        if reply is None:
            await self.db.mark_failed(post, "the article was deleted")
            return "failed"
        try:
            message_id = await self._find_earlier(publisher, channel_id, post)
            if message_id is None:
                await self._paces[publisher.platform].wait(channel_id)
                message_id = await publisher.publish(channel_id, reply, post.post_key)
        except ChannelUnavailable as exc:
            log.warning("%s refused a post (%s): pausing its subscriptions", channel, exc.reason)
            await self.db.pause_channel(channel, exc.reason, self.clock.now())
            return "paused"
        except TemporaryFailure as exc:
            return await self._retry_later(channel, post, exc.reason, exc.retry_after)
        except Exception as exc:
            log.exception("posting %s to %s failed unexpectedly", post.post_key, channel)
            return await self._retry_later(channel, post, f"{type(exc).__name__}: {exc}", None)
        await self.db.mark_sent(post, message_id, self.clock.now())
        return "sent"

    async def _find_earlier(
        self, publisher: Publisher, channel_id: str, post: PendingPost
    ) -> str | None:
        """The message of an earlier try that may have gone out unrecorded (a crash, a
        timeout), on a platform that cannot drop a repeat itself; None to post."""
        if publisher.deduplicates:
            return None
        if post.attempts == 0 and post.claimed_at >= self.started_at:
            return None  # claimed by this run and never tried: it cannot be out there
        found = await publisher.find_post(channel_id, post.post_key)
        if found is not None:
            log.info("%s was already posted as %s; recording it", post.post_key, found)
        return found

    async def _retry_later(
        self, channel: str, post: PendingPost, reason: str, retry_after: float | None
    ) -> str:
        attempts = post.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            log.warning(
                "giving up on %s to %s after %s tries: %s", post.post_key, channel, attempts, reason
            )
            await self.db.mark_failed(post, reason)
            return "failed"
        delay = backoff(attempts, retry_after)
        log.info("%s to %s failed (%s); retrying in %.1fs", post.post_key, channel, reason, delay)
        await self.db.mark_retry(post, reason, self.clock.now() + dt.timedelta(seconds=delay))
        return "retry"

    # -- the jobs ---------------------------------------------------------------------------

    async def deliver_due(self) -> DeliverReport:
        """The deliver job: claim what became due, then send everything claimed."""
        claimed = await self.claim_due()
        report = await self.send_pending()
        report.claimed = claimed
        if claimed or report.sent or report.retried or report.failed:
            log.info(
                "delivery: %s claimed, %s sent, %s to retry, %s failed",
                claimed,
                report.sent,
                report.retried,
                report.failed,
            )
        return report

    async def run_digest(self, subscription_id: int) -> DeliverReport:
        """One digest subscription's cron job."""
        sub = await self.db.get(subscription_id)
        if sub is None or sub.spec.mode != "digest" or sub.paused_reason:
            return DeliverReport()
        claimed = await self.claim_digest(sub)
        report = await self.send_pending(subscription_id)
        report.claimed = claimed
        return report

    def missed_digest(self, sub: Subscription, now: dt.datetime) -> bool:
        """Whether a digest fell due while the bot was down (so start-up runs it once)."""
        trigger = cron_trigger(sub.spec.schedule, self.config.tz)
        since = sub.last_digest_at or sub.created_at
        next_fire: dt.datetime | None = trigger.get_next_fire_time(
            None, since + dt.timedelta(seconds=1)
        )
        return next_fire is not None and next_fire <= now
