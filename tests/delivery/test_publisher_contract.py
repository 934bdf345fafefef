"""What delivery does with what a publisher declares: its pace, and whether the
platform drops a re-sent post itself or must be asked first."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.delivery import Pacer, PlatformPace
from bot.models import Reply, SubscriptionSpec
from bot.ports import Pacing
from bot.store import Store

from .conftest import AddArticle, FakeClock, MakeDelivery, RecordingPublisher


class ForgetfulPublisher(RecordingPublisher):
    """Like Slack: a repeated key posts again, but earlier posts can be looked up."""

    deduplicates = False

    def __init__(self) -> None:
        super().__init__("console")
        self.lookups: list[str] = []

    async def publish(self, channel_id: str, post: Reply, idempotency_key: str) -> str:
        self.by_key.pop((channel_id, idempotency_key), None)
        return await super().publish(channel_id, post, idempotency_key)

    async def find_post(self, channel_id: str, idempotency_key: str) -> str | None:
        self.lookups.append(idempotency_key)
        return await super().find_post(channel_id, idempotency_key)


async def claimed_keys(store: Store) -> list[str]:
    async with store.reader.execute(
        "SELECT post_key FROM deliveries WHERE state = 'claimed' ORDER BY id"
    ) as cursor:
        return [row[0] async for row in cursor]


async def test_a_post_sent_before_a_crash_is_found_and_not_posted_again(
    store: Store, make_delivery: MakeDelivery, add_article: AddArticle, clock: FakeClock
) -> None:
    forgetful = ForgetfulPublisher()
    delivery = make_delivery()
    delivery.attach(forgetful)
    await delivery.subscribe(SubscriptionSpec("console:news"))
    for n in range(3):
        await add_article(f"Story {n}")
    await delivery.claim_due()
    keys = await claimed_keys(store)
    # The crash: the first post reached the channel, its ledger row still says claimed.
    await forgetful.publish("news", Reply(title="Story 0"), keys[0])

    clock.advance(seconds=30)
    restarted = make_delivery()
    restarted.attach(forgetful)
    report = await restarted.deliver_due()

    assert report.sent == 3
    assert sorted(forgetful.titles()) == ["Story 0", "Story 1", "Story 2"]
    assert sorted(forgetful.lookups) == sorted(keys)  # each unrecorded post was looked for
    await add_article("Story 3")
    await restarted.deliver_due()
    assert forgetful.titles()[-1] == "Story 3"
    assert len(forgetful.lookups) == 3  # a post claimed by this run is not looked for


async def test_a_deduplicating_platform_is_never_asked(
    make_delivery: MakeDelivery, add_article: AddArticle, publisher: RecordingPublisher
) -> None:
    asked: list[str] = []

    async def find_post(channel_id: str, idempotency_key: str) -> str | None:
        asked.append(idempotency_key)
        return None

    publisher.find_post = find_post  # type: ignore[method-assign]
    delivery = make_delivery()
    await delivery.subscribe(SubscriptionSpec("console:news"))
    await add_article("Story")
    await delivery.claim_due()
    assert (await make_delivery().deliver_due()).sent == 1
    assert asked == []


async def test_a_channel_burst_goes_out_at_once_then_at_the_channel_pace() -> None:
    loop = asyncio.get_running_loop()
    pace = PlatformPace(Pacing(per_channel_per_second=20.0, channel_burst=3))
    started = loop.time()
    for _ in range(3):
        await pace.wait("C1")
    burst = loop.time() - started
    await pace.wait("C2")  # another channel has its own bucket
    other = loop.time() - started
    for _ in range(2):
        await pace.wait("C1")
    paced = loop.time() - started
    assert burst < 0.04 and other < 0.04
    assert paced >= 0.09  # two more posts at 20 a second


async def test_a_platform_pace_spaces_posts_across_channels() -> None:
    loop = asyncio.get_running_loop()
    pacer = Pacer(50.0)
    started = loop.time()
    for _ in range(6):
        await pacer.wait()
    assert loop.time() - started >= 0.095  # five gaps of 1/50 s


async def test_posts_for_a_connecting_platform_wait_without_a_warning(
    make_delivery: MakeDelivery, add_article: AddArticle, caplog: pytest.LogCaptureFixture
) -> None:
    delivery = make_delivery()
    await delivery.subscribe(SubscriptionSpec("slack:C0123ABCD"))
    await delivery.subscribe(SubscriptionSpec("discord:123456789"))
    delivery.expect("slack")
    await add_article("Story")
    with caplog.at_level(logging.WARNING, logger="bot.delivery"):
        await delivery.deliver_due()
        await delivery.deliver_due()
    assert [r.getMessage() for r in caplog.records] == [
        "no discord connection: posts to discord:123456789 wait until there is one"
    ]
    forgetful = ForgetfulPublisher()
    forgetful.platform = "slack"
    delivery.attach(forgetful)
    assert (await delivery.deliver_due()).sent == 1
    assert forgetful.titles("C0123ABCD") == ["Story"]
