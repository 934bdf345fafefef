"""Delivery: matching, pacing, the ledger's exactly-once effect, retries and pauses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from bot.delivery import Delivery, backoff, build_post
from bot.models import ArticleFacts, PendingPost, Reply, Subscription, SubscriptionSpec
from bot.ports import ChannelUnavailable, TemporaryFailure
from bot.store import Store

from .conftest import AddArticle, FakeClock, MakeDelivery, RecordingPublisher, make_config


def instant(channel: str = "console:news", **kwargs: object) -> SubscriptionSpec:
    return SubscriptionSpec(channel=channel, **kwargs)  # type: ignore[arg-type]


async def ledger(store: Store) -> list[tuple[int, int, str, str]]:
    async with store.reader.execute(
        "SELECT subscription_id, article_id, state, post_key FROM deliveries ORDER BY id"
    ) as cursor:
        return [tuple(row) async for row in cursor]  # type: ignore[misc]


async def test_new_item_is_posted_once(
    make_delivery: MakeDelivery, add_article: AddArticle, publisher: RecordingPublisher
) -> None:
    delivery = make_delivery()
    await delivery.subscribe(instant())
    await add_article("NATO chief warns Russia")
    first = await delivery.deliver_due()
    second = await delivery.deliver_due()
    assert publisher.titles("news") == ["NATO chief warns Russia"]
    assert (first.sent, second.sent) == (1, 0)


async def test_a_new_subscription_is_not_flooded_with_the_archive(
    make_delivery: MakeDelivery, add_article: AddArticle, publisher: RecordingPublisher
) -> None:
    for n in range(20):
        await add_article(f"Old story {n}", dt.date(2024, 1, 1) + dt.timedelta(days=n))
    delivery = make_delivery()
    await delivery.subscribe(instant())
    await delivery.deliver_due()
    assert publisher.posts == []


async def test_backfill_posts_only_the_latest_n(
    make_delivery: MakeDelivery, add_article: AddArticle, publisher: RecordingPublisher
) -> None:
    for n in range(10):
        await add_article(f"Old story {n}", dt.date(2024, 1, 1) + dt.timedelta(days=n))
    delivery = make_delivery()
    await delivery.subscribe(instant(backfill=3))
    await delivery.deliver_due()
    await delivery.deliver_due()
    assert sorted(publisher.titles()) == ["Old story 7", "Old story 8", "Old story 9"]


async def test_topics_keywords_and_excludes_match_case_insensitively(
    make_delivery: MakeDelivery, add_article: AddArticle, publisher: RecordingPublisher
) -> None:
    delivery = make_delivery()
    await delivery.subscribe(instant(topics=("N.A.T.O.",), exclude=("ukraine",)))
    await delivery.subscribe(instant("console:world", keywords=("GAS",)))
    await add_article("Alliance meets", topics=["NATO"])
    await add_article("Alliance and Kyiv", body="NATO and Ukraine talk.", topics=["NATO"])
    await add_article("Energy prices", body="Gas prices rise again.")
    await add_article("Gaslighting explained", body="Nothing to see.")
    await delivery.deliver_due()
    assert publisher.titles("news") == ["Alliance meets"]
    assert publisher.titles("world") == ["Energy prices"]


async def test_restart_with_claimed_rows_resends_with_the_same_key_and_loses_nothing(
    store: Store,
    make_delivery: MakeDelivery,
    add_article: AddArticle,
    publisher: RecordingPublisher,
) -> None:
    delivery = make_delivery()
    await delivery.subscribe(instant())
    for n in range(3):
        await add_article(f"Story {n}")
    assert await delivery.claim_due() == 3
    # The crash: the first post reached the platform, its ledger row was never updated;
    # the other two were claimed but never sent.
    rows = await ledger(store)
    assert [state for *_, state, _ in rows] == ["claimed"] * 3
    await publisher.publish("news", Reply(title="Story 0"), rows[0][3])

    restarted = make_delivery()  # a new process: fresh in-memory state, same database
    report = await restarted.deliver_due()
    assert report.sent == 3
    assert len(publisher.posts) == 3  # the repeated key returned the first message
    assert sorted(key for *_, key in publisher.posts) == sorted(row[3] for row in rows)
    assert [state for _, _, state, _ in await ledger(store)] == ["sent"] * 3


async def test_pace_rolls_overflow_into_one_post(
    make_delivery: MakeDelivery,
    add_article: AddArticle,
    publisher: RecordingPublisher,
    clock: FakeClock,
) -> None:
    delivery = make_delivery(delivery={"posts_per_minute": 3, "catch_up_limit": 5})
    await delivery.subscribe(instant())
    await delivery.deliver_due()  # the start-up catch-up pass: nothing yet
    for n in range(12):
        await add_article(f"Burst {n:02d}", dt.date(2024, 5, 1) + dt.timedelta(days=n))
    await delivery.deliver_due()
    titles = publisher.titles()
    assert titles == ["Burst 00", "Burst 01", "10 more items"]
    clock.advance(seconds=30)
    await add_article("Later one", "2024-06-01")
    await delivery.deliver_due()
    assert len(publisher.posts) == 3  # the minute's budget is spent: it waits
    clock.advance(seconds=31)
    await delivery.deliver_due()
    assert publisher.titles()[-1] == "Later one"


async def test_catch_up_after_downtime_is_capped_per_channel(
    store: Store,
    make_delivery: MakeDelivery,
    add_article: AddArticle,
    publisher: RecordingPublisher,
) -> None:
    before = make_delivery()
    await before.subscribe(instant())
    await before.subscribe(instant("console:world"))
    # While the bot is down, 30 articles arrive.
    for n in range(30):
        await add_article(f"While down {n:02d}", dt.date(2024, 2, 1) + dt.timedelta(days=n))
    after = make_delivery(delivery={"catch_up_limit": 4, "posts_per_minute": 10})
    await after.deliver_due()
    for channel in ("news", "world"):
        titles = publisher.titles(channel)
        assert len(titles) == 4
        assert titles[-1] == "27 more items"
    rows = await ledger(store)
    assert len(rows) == 60 and {state for _, _, state, _ in rows} == {"sent"}


async def test_rate_limit_and_server_errors_are_retried_with_backoff(
    store: Store,
    make_delivery: MakeDelivery,
    add_article: AddArticle,
    publisher: RecordingPublisher,
    clock: FakeClock,
) -> None:
    delivery = make_delivery()
    await delivery.subscribe(instant())
    await add_article("Retried story")
    publisher.fail_with = [
        TemporaryFailure("429 Too Many Requests", retry_after=12.0),
        TemporaryFailure("503 Service Unavailable"),
    ]
    report = await delivery.deliver_due()
    assert report.retried == 1 and publisher.posts == []
    clock.advance(seconds=11)
    await delivery.deliver_due()
    assert publisher.attempts == 1  # retry_after is honoured
    clock.advance(seconds=1)
    await delivery.deliver_due()  # the 503
    assert publisher.attempts == 2 and publisher.posts == []
    clock.advance(seconds=backoff(2, None))
    await delivery.deliver_due()
    assert publisher.titles() == ["Retried story"]
    assert [state for _, _, state, _ in await ledger(store)] == ["sent"]


async def test_temporary_failures_give_up_after_max_attempts(
    store: Store,
    make_delivery: MakeDelivery,
    add_article: AddArticle,
    publisher: RecordingPublisher,
    clock: FakeClock,
) -> None:
    from bot.delivery import MAX_ATTEMPTS

    delivery = make_delivery()
    await delivery.subscribe(instant())
    await add_article("Never makes it")
    publisher.fail_with = [TemporaryFailure("502") for _ in range(MAX_ATTEMPTS)]
    for _ in range(MAX_ATTEMPTS + 2):
        await delivery.deliver_due()
        clock.advance(hours=1)
    assert publisher.attempts == MAX_ATTEMPTS
    assert (await delivery.counts()).failed == 1


async def test_forbidden_channel_pauses_its_subscription_with_a_reason(
    make_delivery: MakeDelivery,
    add_article: AddArticle,
    publisher: RecordingPublisher,
) -> None:
    delivery = make_delivery()
    sub, _ = await delivery.subscribe(instant())
    await add_article("First")
    await add_article("Second")
    publisher.fail_with = [ChannelUnavailable("403 Missing Permissions")]
    report = await delivery.deliver_due()
    assert report.paused == ["console:news"]
    await add_article("Third")
    await delivery.deliver_due()
    await delivery.deliver_due()
    assert publisher.attempts == 1  # not retried forever
    paused = await delivery.db.get(sub.id)
    assert paused is not None and paused.paused_reason == "403 Missing Permissions"
    # An admin fixes the channel and subscribes again: it resumes without a flood.
    await delivery.subscribe(instant())
    await delivery.deliver_due()
    assert publisher.posts == []
    await add_article("Fourth")
    await delivery.deliver_due()
    assert publisher.titles() == ["Fourth"]


async def test_two_subscriptions_of_one_channel_post_an_article_once(
    make_delivery: MakeDelivery, add_article: AddArticle, publisher: RecordingPublisher
) -> None:
    delivery = make_delivery()
    await delivery.subscribe(instant(topics=("NATO",)))
    await delivery.subscribe(instant(keywords=("summit",)))
    await add_article("NATO summit", topics=["NATO"])
    await delivery.deliver_due()
    await delivery.deliver_due()
    assert publisher.titles() == ["NATO summit"]


async def test_config_subscriptions_are_synced_added_updated_removed(
    store: Store, tmp_path: Path, clock: FakeClock, publisher: RecordingPublisher
) -> None:
    def delivery_for(*subs: SubscriptionSpec) -> Delivery:
        config = make_config(
            tmp_path,
            subscriptions=[
                {
                    k: list(v) if isinstance(v, tuple) else v
                    for k, v in vars(s).items()
                    if v not in ((), 0, False, "")
                }
                for s in subs
            ],
        )
        return Delivery(store, config, {"console": publisher}, clock)

    one = SubscriptionSpec("console:news", topics=("NATO",))
    two = SubscriptionSpec("console:world", mode="digest", schedule="0 8 * * *")
    d = delivery_for(one, two)
    report = await d.sync_config(d.config.subscriptions)
    assert (report.added, report.updated, report.removed) == (2, 0, 0)
    report = await d.sync_config(d.config.subscriptions)
    assert (report.added, report.updated, report.removed) == (0, 0, 0)
    changed = SubscriptionSpec("console:news", topics=("NATO", "Russia"))
    d = delivery_for(changed)
    report = await d.sync_config(d.config.subscriptions)
    assert (report.added, report.updated, report.removed) == (0, 1, 1)
    subs = await d.subscriptions()
    assert [(s.channel, s.origin, s.spec.topics) for s in subs] == [
        ("console:news", "config", ("nato", "russia"))
    ]
    # A command subscription is left alone by the sync.
    await d.subscribe(SubscriptionSpec("console:world"))
    report = await d.sync_config(d.config.subscriptions)
    assert len(await d.subscriptions()) == 2


async def test_an_item_that_cannot_be_built_fails_alone_and_the_rest_are_posted(
    make_delivery: MakeDelivery,
    add_article: AddArticle,
    publisher: RecordingPublisher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    delivery = make_delivery()
    await delivery.subscribe(SubscriptionSpec("console:news"))
    bad = await add_article("Cannot be shown")
    await add_article("Fine news")
    real_build = build_post

    def build(post: PendingPost, facts: Mapping[int, ArticleFacts]) -> Reply | None:
        if bad in post.article_ids:
            raise OverflowError("date value out of range")
        return real_build(post, facts)

    monkeypatch.setattr("bot.delivery.build_post", build)
    report = await delivery.deliver_due()
    assert publisher.titles() == ["Fine news"]
    assert report.failed == 1
    [(channel, article_id, reason)] = await delivery.db.recent_failures()
    assert channel == "console:news"
    assert article_id == bad and "OverflowError: date value out of range" in reason


async def test_a_subscription_that_fails_does_not_hold_up_the_others(
    make_delivery: MakeDelivery,
    add_article: AddArticle,
    publisher: RecordingPublisher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    delivery = make_delivery()
    broken, _ = await delivery.subscribe(SubscriptionSpec("console:world"))
    await delivery.subscribe(SubscriptionSpec("console:news"))
    await add_article("For everyone")
    real_due_for = delivery._due_for

    async def due_for(sub: Subscription, now: dt.datetime) -> Any:
        if sub.id == broken.id:
            raise OverflowError("date value out of range")
        return await real_due_for(sub, now)

    monkeypatch.setattr(delivery, "_due_for", due_for)
    await delivery.deliver_due()
    assert [channel for channel, _, _ in publisher.posts] == ["news"]
    monkeypatch.undo()
    await delivery.deliver_due()  # once it works again, nothing was lost
    assert sorted(channel for channel, _, _ in publisher.posts) == ["news", "world"]
