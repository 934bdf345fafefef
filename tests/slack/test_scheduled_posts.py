"""Scheduled posts to Slack through the real SlackPublisher (slack_sdk's AsyncWebClient)
and the delivery ledger, against FakeSlack: metadata, exactly once across a crash,
429 with Retry-After, and channels that refuse posts."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from bot.adapters.slack.publisher import POST_EVENT, SlackPublisher
from bot.config import AdminConfig
from bot.delivery import Delivery
from bot.models import SubscriptionSpec
from bot.store import Store
from tests.delivery.conftest import FakeClock
from tests.support.fake_slack import FakeSlack

from .conftest import add_article


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(dt.datetime(2030, 1, 15, 12, 0, tzinfo=dt.UTC))


@pytest.fixture
def make_delivery(
    seeded: Store, slack_config: AdminConfig, publisher: SlackPublisher, clock: FakeClock
) -> Any:
    def make() -> Delivery:
        return Delivery(seeded, slack_config, {"slack": publisher}, clock)

    return make


async def ledger(store: Store) -> list[dict[str, Any]]:
    async with store.reader.execute(
        "SELECT post_key, state, message_id, next_attempt_at, reason FROM deliveries ORDER BY id"
    ) as cursor:
        return [dict(row) async for row in cursor]


async def test_a_scheduled_post_carries_metadata_naming_its_delivery(
    fake: FakeSlack, make_delivery: Any, seeded: Store
) -> None:
    delivery = make_delivery()
    await delivery.subscribe(SubscriptionSpec("slack:CNEWS0001", backfill=1))
    report = await delivery.deliver_due()
    assert report.sent == 1
    [posted] = fake.messages_in("CNEWS0001")
    [row] = await ledger(seeded)
    assert posted["metadata"] == {
        "event_type": POST_EVENT,
        "event_payload": {"post_key": row["post_key"]},
    }
    assert row["state"] == "sent" and row["message_id"] == posted["ts"]
    assert posted["blocks"][0]["text"]["text"].startswith("Rutte: Putin")
    assert "Rutte" in posted["text"]  # the fallback text for notifications


class Crash(BaseException):
    """The process dies: nothing after this point runs."""


async def test_a_crash_between_send_and_record_does_not_post_twice(
    fake: FakeSlack,
    make_delivery: Any,
    seeded: Store,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    crashing = make_delivery()
    await crashing.subscribe(SubscriptionSpec("slack:CNEWS0001", backfill=1))

    async def die(*args: object) -> None:
        raise Crash

    monkeypatch.setattr(crashing.db, "mark_sent", die)
    with pytest.raises(Crash):
        await crashing.deliver_due()
    [first] = fake.messages_in("CNEWS0001")
    [row] = await ledger(seeded)
    assert row["state"] == "claimed"  # sent, but never recorded

    clock.advance(seconds=30)
    report = await make_delivery().deliver_due()  # the restarted process
    assert report.sent == 1
    assert fake.messages_in("CNEWS0001") == [first]
    [row] = await ledger(seeded)
    assert row["state"] == "sent" and row["message_id"] == first["ts"]
    [lookup] = fake.calls("conversations.history")
    assert lookup.args["channel"] == "CNEWS0001" and lookup.args["include_all_metadata"] in (
        "1",
        "true",
    )


async def test_a_claimed_post_that_never_went_out_is_posted_after_the_lookup(
    fake: FakeSlack, make_delivery: Any, seeded: Store, clock: FakeClock
) -> None:
    first = make_delivery()
    await first.subscribe(SubscriptionSpec("slack:CNEWS0001", backfill=1))
    await first.claim_due()  # the crash comes before the send
    clock.advance(seconds=30)
    assert (await make_delivery().deliver_due()).sent == 1
    assert len(fake.messages_in("CNEWS0001")) == 1
    assert len(fake.calls("conversations.history")) == 1


async def test_a_429_waits_at_least_retry_after_then_posts_once(
    fake: FakeSlack, make_delivery: Any, seeded: Store, clock: FakeClock
) -> None:
    delivery = make_delivery()
    await delivery.subscribe(SubscriptionSpec("slack:CNEWS0001", backfill=1))
    fake.fail_next("chat.postMessage", "ratelimited", status=429, retry_after=7)
    report = await delivery.deliver_due()
    assert report.retried == 1 and fake.messages_in("CNEWS0001") == []
    [row] = await ledger(seeded)
    retry_at = dt.datetime.fromisoformat(row["next_attempt_at"])
    assert retry_at - clock.now() == dt.timedelta(seconds=7)  # Retry-After, not the 5 s backoff
    assert "ratelimited" in row["reason"]

    clock.advance(seconds=6)
    await delivery.deliver_due()
    assert [c.status for c in fake.calls("chat.postMessage")] == [429]
    clock.advance(seconds=1)
    await delivery.deliver_due()
    assert [c.status for c in fake.calls("chat.postMessage")] == [429, 200]
    assert len(fake.messages_in("CNEWS0001")) == 1


@pytest.mark.parametrize(
    ("channel", "reason"),
    [
        ("CGONE0001", "channel_not_found"),
        ("COLD00001", "is_archived"),
        ("CSECRET01", "channel_not_found"),
    ],
    ids=["deleted", "archived", "private without newsbot"],
)
async def test_a_channel_that_refuses_posts_pauses_its_subscription_with_the_reason(
    fake: FakeSlack, make_delivery: Any, channel: str, reason: str
) -> None:
    delivery = make_delivery()
    await delivery.subscribe(SubscriptionSpec(f"slack:{channel}", backfill=1))
    report = await delivery.deliver_due()
    assert report.paused == [f"slack:{channel}"]
    [paused] = await delivery.subscriptions(f"slack:{channel}")
    assert paused.paused_reason is not None and reason in paused.paused_reason
    assert (await delivery.deliver_due()).sent == 0  # paused: no more tries
    assert len(fake.calls("chat.postMessage")) == 1


async def test_a_public_channel_newsbot_is_not_in_is_joined_then_posted_to(
    fake: FakeSlack, make_delivery: Any
) -> None:
    delivery = make_delivery()
    await delivery.subscribe(SubscriptionSpec("slack:CGENERAL1", backfill=1))
    assert (await delivery.deliver_due()).sent == 1
    assert [c.error for c in fake.calls("chat.postMessage")] == ["not_in_channel", None]
    assert len(fake.calls("conversations.join")) == 1
    assert len(fake.messages_in("CGENERAL1")) == 1


async def test_a_channel_newsbot_cannot_join_pauses_and_says_to_invite_it(
    fake: FakeSlack, make_delivery: Any
) -> None:
    fake.fail_next("conversations.join", "missing_scope", status=200)
    delivery = make_delivery()
    await delivery.subscribe(SubscriptionSpec("slack:CGENERAL1", backfill=1))
    await delivery.deliver_due()
    [paused] = await delivery.subscriptions("slack:CGENERAL1")
    assert paused.paused_reason is not None
    assert "not_in_channel" in paused.paused_reason and "/invite @newsbot" in paused.paused_reason


async def test_posts_to_one_channel_keep_to_slacks_pace(
    fake: FakeSlack, make_delivery: Any, seeded: Store, clock: FakeClock
) -> None:
    delivery = make_delivery()
    await delivery.subscribe(SubscriptionSpec("slack:CNEWS0001"))
    for n in range(4):
        await add_article(seeded, f"Story {n}", f"Story {n} says something new.")
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert (await delivery.deliver_due()).sent == 4
    # A burst of three at once, then one a second.
    assert loop.time() - started >= 0.9
    assert len(fake.messages_in("CNEWS0001")) == 4
