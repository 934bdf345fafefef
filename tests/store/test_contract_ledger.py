"""The storage contract for subscriptions, the delivery ledger and feeds, on both backends;
and how several processes share one PostgreSQL ledger."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.ingest.seed import make_article
from bot.models import Claim, FeedSpec, PollRecord, PreparedArticle, SubscriptionSpec, TopicLabel
from bot.store.backends import feed_sources_of, open_store, subscriptions_of
from bot.store.ports import Articles, FeedSources, Subscriptions
from bot.store.postgres import PostgresStore
from bot.store.postgres.deliveries import PostgresSubscriptions
from tests.support.postgres import PostgresServer, fresh_database

NOW = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)


@dataclass
class Backend:
    articles: Articles
    subscriptions: Subscriptions
    feeds: FeedSources


@pytest.fixture(params=["sqlite", "postgresql"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "sqlite":
        async with open_store(tmp_path / "news.db") as store:
            yield Backend(store, subscriptions_of(store), feed_sources_of(store))
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    async with fresh_database(server) as url, open_store(url) as store:
        yield Backend(store, subscriptions_of(store), feed_sources_of(store))


async def add_articles(store: Articles, *days: int, announce: bool = True) -> list[int]:
    results = await store.save_articles(
        [
            PreparedArticle(
                dataclasses.replace(
                    make_article(
                        f"{day}-{announce}.txt",
                        f"Day {day}",
                        dt.date(2024, 2, day),
                        f"News of day {day}, announced {announce}.",
                    ),
                    announce=announce,
                )
            )
            for day in days
        ]
    )
    return [result.article_id for result in results]


async def test_a_new_subscription_gets_only_articles_announced_after_it(backend: Backend) -> None:
    await add_articles(backend.articles, 1)
    sub_id = await backend.subscriptions.add(SubscriptionSpec("console:news"), "command", NOW)
    [archive] = await add_articles(backend.articles, 2, announce=False)
    [news] = await add_articles(backend.articles, 3)
    sub = await backend.subscriptions.get(sub_id)
    assert sub is not None and sub.channel == "console:news" and sub.created_at == NOW
    assert [c.id for c in await backend.subscriptions.new_candidates(sub, 10)] == [news]
    assert archive not in {c.id for c in await backend.subscriptions.new_candidates(sub, 10)}


async def test_a_claim_is_recorded_once_and_sent_once(backend: Backend) -> None:
    ledger = backend.subscriptions
    a, b = await add_articles(backend.articles, 1, 2)
    sub_id = await ledger.add(SubscriptionSpec("console:news"), "command", NOW)
    claims = [Claim(sub_id, a, "k-a", "item"), Claim(sub_id, b, "k-over", "overflow")]
    assert await ledger.claim(claims, NOW) == 2
    assert await ledger.claim(claims, NOW) == 0
    pending = await ledger.pending_posts(NOW)
    assert [(p.post_key, p.article_ids) for p in pending] == [("k-a", (a,)), ("k-over", (b,))]
    assert await ledger.posts_since(NOW - dt.timedelta(minutes=1)) == {"console:news": 2}
    await ledger.mark_sent(pending[0], "m1", NOW)
    await ledger.mark_retry(pending[1], "429", NOW + dt.timedelta(minutes=5))
    assert await ledger.pending_posts(NOW) == []
    [retry] = await ledger.pending_posts(NOW + dt.timedelta(minutes=5))
    assert (retry.post_key, retry.attempts) == ("k-over", 1)
    await ledger.mark_failed(retry, "gone")
    counts = await ledger.counts(NOW)
    assert (counts.claimed, counts.sent, counts.failed) == (0, 1, 1)
    assert await ledger.recent_failures() == [("console:news", b, "gone")]
    assert await ledger.ledger_articles(sub_id, [a, b, 999]) == {a, b}
    assert await ledger.channel_articles("console:news", [a, b]) == {a, b}


async def test_a_paused_channel_fails_its_claims_and_resumes_without_the_backlog(
    backend: Backend,
) -> None:
    ledger = backend.subscriptions
    [a] = await add_articles(backend.articles, 1)
    sub_id = await ledger.add(SubscriptionSpec("discord:1"), "command", NOW)
    await ledger.claim([Claim(sub_id, a, "k", "item")], NOW)
    assert await ledger.pause_channel("discord:1", "403 Missing Access", NOW) == [sub_id]
    paused = await ledger.get(sub_id)
    assert paused is not None and paused.paused_reason == "403 Missing Access"
    assert (await ledger.counts(NOW)).failed == 1
    [b] = await add_articles(backend.articles, 2)
    assert await ledger.resume_channel("discord:1") == 1
    resumed = await ledger.get(sub_id)
    assert resumed is not None and resumed.paused_reason is None
    assert resumed.scanned_to == resumed.after_article_id == b
    await ledger.set_scanned_to(sub_id, 1)  # never moves back
    assert (await ledger.get(sub_id)).scanned_to == b  # type: ignore[union-attr]


async def test_backfill_and_on_this_day_find_their_articles_once(backend: Backend) -> None:
    ledger = backend.subscriptions
    old = await backend.articles.save_articles(
        [PreparedArticle(make_article("old.txt", "Old", dt.date(2020, 3, 1), "Long ago."))]
    )
    ids = await add_articles(backend.articles, 1, 2, 3)
    spec = SubscriptionSpec("console:news", backfill=2, on_this_day=True)
    sub = await ledger.get(await ledger.add(spec, "config", NOW, config_key="console:news#1"))
    assert sub is not None and sub.config_key == "console:news#1"
    assert [c.id for c in await ledger.backfill_candidates(sub)] == [ids[2], ids[1]]
    [that_day] = await ledger.on_this_day_candidates(sub, dt.date(2024, 3, 1))
    assert (that_day.id, that_day.date) == (old[0].article_id, dt.date(2020, 3, 1))
    await ledger.claim([Claim(sub.id, ids[2], "k", "item")], NOW)
    assert [c.id for c in await ledger.backfill_candidates(sub)] == [ids[1]]
    facts = await ledger.facts([ids[0]])
    assert facts[ids[0]].article.title == "Day 1"


async def test_subscriptions_are_listed_changed_and_removed(backend: Backend) -> None:
    ledger = backend.subscriptions
    first = await ledger.add(SubscriptionSpec("console:news"), "command", NOW)
    second = await ledger.add(SubscriptionSpec("console:other"), "command", NOW)
    digest = SubscriptionSpec("console:news", mode="digest", schedule="0 8 * * *", topics=("nato",))
    await ledger.update_spec(first, digest)
    await ledger.set_last_digest(first, NOW)
    [changed] = await ledger.subscriptions("console:news")
    assert (changed.spec, changed.last_digest_at) == (digest, NOW)
    assert await ledger.remove([first, second]) == 2
    assert await ledger.subscriptions() == []


async def test_feeds_keep_their_fetch_state_and_are_found_by_name_in_any_case(
    backend: Backend,
) -> None:
    feeds = backend.feeds
    spec = FeedSpec("BBC", "http://127.0.0.1:1/rss", 900, ("UK",), True)
    feed_id = await feeds.add(spec, "config", NOW)
    await feeds.record_success(
        feed_id, PollRecord(NOW, 200, NOW + dt.timedelta(minutes=15), 12, '"e1"', None, None, "h")
    )
    found = await feeds.by_name("bbc")
    assert found is not None and found.spec == spec
    assert (found.etag, found.last_items, found.body_hash) == ('"e1"', 12, "h")
    await feeds.record_failure(feed_id, PollRecord(NOW, 503, error="503"), 3, "too many")
    failed = await feeds.get(feed_id)
    assert failed is not None and (failed.failures, failed.disabled_reason) == (3, "too many")
    await feeds.update_spec(feed_id, FeedSpec("BBC", "http://127.0.0.1:2/rss", 900), "command")
    moved = await feeds.get(feed_id)
    assert moved is not None and (moved.etag, moved.failures, moved.body_hash) == (None, 0, None)
    await feeds.record_failure(feed_id, PollRecord(NOW, 503, error="503"), 3, "too many")
    await feeds.enable(feed_id)
    assert (await feeds.feeds())[0].disabled_reason is None
    assert await feeds.remove([feed_id]) == 1


async def test_two_processes_never_send_one_channel_and_a_dead_ones_channels_are_taken_over(
    postgres_url: str,
) -> None:
    async with PostgresStore.open(postgres_url) as one, PostgresStore.open(postgres_url) as two:
        first = PostgresSubscriptions(one, lease=dt.timedelta(seconds=30))
        second = PostgresSubscriptions(two, lease=dt.timedelta(seconds=30))
        ids = await add_articles(one, 1, 2, 3)
        subs = [await first.add(SubscriptionSpec(f"discord:{n}"), "command", NOW) for n in range(3)]
        await first.claim([Claim(s, a, f"k-{s}-{a}", "item") for s in subs for a in ids], NOW)
        taken_first = {p.channel for p in await first.pending_posts(NOW)}
        assert taken_first == {"discord:0", "discord:1", "discord:2"}
        # The first process holds every channel's lease: the second gets none of them.
        assert await second.pending_posts(NOW + dt.timedelta(seconds=10)) == []
        # The first dies; after its lease the second takes over the same posts and keys.
        later = NOW + dt.timedelta(seconds=31)
        taken = await second.pending_posts(later)
        assert sorted(p.post_key for p in taken) == sorted(f"k-{s}-{a}" for s in subs for a in ids)
        assert await first.pending_posts(later) == []


async def test_a_job_runs_in_one_process_at_a_time_and_a_dead_ones_lock_is_freed(
    postgres_url: str,
) -> None:
    async with PostgresStore.open(postgres_url) as one, PostgresStore.open(postgres_url) as two:
        async with (
            one.run_once("feed:1") as mine,
            two.run_once("feed:1") as theirs,
            two.run_once("feed:2") as other,
        ):
            assert (mine, theirs, other) == (True, False, True)
        async with two.run_once("feed:1") as after_it_ended:
            assert after_it_ended
        held = one.run_once("digest:7")
        assert await held.__aenter__()
        one.pool.raw.terminate()  # the process dies in the middle of the job
        for _ in range(50):  # the server ends the dead session and its locks at once
            async with two.run_once("digest:7") as taken_over:
                if taken_over:
                    break
            await asyncio.sleep(0.1)
        assert taken_over


async def test_a_feeds_topics_are_given_to_its_stored_articles_after_their_own(
    backend: Backend,
) -> None:
    feed_id = await backend.feeds.add(FeedSpec("BBC", "http://127.0.0.1:1/rss"), "config", NOW)
    item = make_article(f"feed:{feed_id}:guid-1", "Rain", dt.date(2024, 2, 1), "Rain fell.")
    other = make_article(f"feed:{feed_id + 10}:guid-1", "Sun", dt.date(2024, 2, 1), "Sun.")
    nato = TopicLabel("nato", "NATO")
    [mine, theirs] = await backend.articles.save_articles(
        [PreparedArticle(item, topics=(nato,)), PreparedArticle(other)]
    )
    for _ in range(2):
        await backend.feeds.give_topics(feed_id, [("uk", "UK"), ("nato", "NATO")])
    assert await backend.articles.article_topics(mine.article_id) == ["NATO", "UK"]
    assert await backend.articles.article_topics(theirs.article_id) == []


async def test_two_processes_storing_the_same_articles_at_once_store_each_once(
    postgres_url: str,
) -> None:
    async with PostgresStore.open(postgres_url) as one, PostgresStore.open(postgres_url) as two:
        items = [
            PreparedArticle(make_article(f"{n}.txt", f"Story {n}", dt.date(2024, 2, 1), f"{n}."))
            for n in range(40)
        ]
        first, second = await asyncio.gather(one.save_articles(items), two.save_articles(items))
        outcomes = Counter(r.outcome.value for r in first + second)
        assert outcomes == Counter({"added": 40, "unchanged": 40})
        assert [r.article_id for r in first] == [r.article_id for r in second]
        assert await one.count_articles() == 40


async def test_processes_starting_together_do_the_start_up_one_after_another(
    postgres_url: str,
) -> None:
    order: list[str] = []
    async with PostgresStore.open(postgres_url) as one, PostgresStore.open(postgres_url) as two:

        async def start(store: PostgresStore, name: str) -> None:
            async with store.one_at_a_time("startup"):
                order.append(f"{name} in")
                await asyncio.sleep(0.3)
                order.append(f"{name} out")

        await asyncio.gather(start(one, "a"), start(two, "b"))
    assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])
