"""/news subscribe, unsubscribe, subscriptions and status through the Commands core."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.commands import CommandContext, Commands
from bot.models import JobState, SubscriptionSpec
from bot.ports import ChannelUnavailable, TemporaryFailure
from bot.scheduler import NewsScheduler
from bot.store import Store

from .conftest import AddArticle, FakeClock, MakeDelivery, RecordingPublisher

MEMBER = CommandContext(channel="discord:42", is_admin=False)
ADMIN = CommandContext(channel="discord:42", is_admin=True)


async def test_subscribe_uses_the_current_channel_and_lists_it(
    store: Store, make_delivery: MakeDelivery
) -> None:
    delivery = make_delivery()
    commands = Commands(store, delivery=delivery)
    reply = await commands.run("subscribe", {"topics": "NATO, Russia", "keywords": "gas"}, ADMIN)
    assert not reply.error and reply.title.startswith("Subscribed #")
    subs = await delivery.subscriptions("discord:42")
    assert [s.spec.topics for s in subs] == [("nato", "russia")]
    listed = await commands.run("subscriptions", {}, MEMBER)
    assert "topics: nato, russia" in listed.items[0].text
    again = await commands.run("subscribe", {"topics": "NATO, Russia", "keywords": "gas"}, ADMIN)
    assert again.title.startswith("Already subscribed")


async def test_console_line_defaults_to_the_console_channel_as_admin(
    store: Store, make_delivery: MakeDelivery
) -> None:
    delivery = make_delivery()
    commands = Commands(store, delivery=delivery)
    reply = await commands.run_line('/news subscribe mode=digest schedule="0 8 * * *"')
    assert not reply.error, reply
    (sub,) = await delivery.subscriptions()
    assert (sub.channel, sub.spec.mode, sub.spec.schedule) == (
        "console:news",
        "digest",
        "0 8 * * *",
    )


async def test_admin_commands_refuse_members(store: Store, make_delivery: MakeDelivery) -> None:
    commands = Commands(store, delivery=make_delivery())
    for name in ("subscribe", "unsubscribe", "status"):
        reply = await commands.run(name, {}, MEMBER)
        assert reply.error and "admins" in reply.title


async def test_bad_subscription_is_explained(store: Store, make_delivery: MakeDelivery) -> None:
    commands = Commands(store, delivery=make_delivery())
    reply = await commands.run("subscribe", {"mode": "digest"}, ADMIN)
    assert reply.error and "schedule" in reply.text
    reply = await commands.run("subscribe", {"mode": "digest", "schedule": "every day"}, ADMIN)
    assert reply.error and "invalid cron line" in reply.text


async def test_unsubscribe_removes_command_ones_but_not_config_ones(
    store: Store, make_delivery: MakeDelivery
) -> None:
    delivery = make_delivery(subscriptions=[{"channel": "console:news"}])
    await delivery.sync_config(delivery.config.subscriptions)
    commands = Commands(store, delivery=delivery)
    (config_sub,) = await delivery.subscriptions()
    reply = await commands.run("unsubscribe", {"id": config_sub.id})
    assert reply.error and "config file" in reply.text
    await commands.run("subscribe", {"keywords": "gas"})
    reply = await commands.run("unsubscribe", {})
    assert reply.title == "Removed 1 subscription"
    assert [s.origin for s in await delivery.subscriptions()] == ["config"]


async def test_paused_reason_and_status_are_shown_to_admins(
    store: Store,
    make_delivery: MakeDelivery,
    add_article: AddArticle,
    publisher: RecordingPublisher,
) -> None:
    delivery = make_delivery()
    jobs = [JobState("deliver", "deliver due items", dt.datetime(2030, 1, 15, 12, tzinfo=dt.UTC))]
    commands = Commands(store, delivery=delivery, jobs=lambda: jobs)
    await commands.run("subscribe", {})
    await add_article("Refused")
    publisher.fail_with = [ChannelUnavailable("403 Missing Permissions")]
    await delivery.deliver_due()
    listed = await commands.run("subscriptions", {})
    assert "PAUSED: 403 Missing Permissions" in listed.items[0].text
    status = await commands.run("status", {})
    assert "failed: 1" in status.text and "1 paused" in status.text
    assert any(item.title.startswith("Job deliver: next run") for item in status.items)
    assert any("403" in item.text for item in status.items)


async def test_status_shows_job_errors_and_stuck_deliveries_to_admins(
    store: Store,
    make_delivery: MakeDelivery,
    add_article: AddArticle,
    publisher: RecordingPublisher,
    clock: FakeClock,
) -> None:
    delivery = make_delivery()
    await delivery.subscribe(SubscriptionSpec("console:news"))
    await add_article("Keeps failing")
    publisher.fail_with = [TemporaryFailure("503 Service Unavailable")] * 6
    for _ in range(3):
        await delivery.deliver_due()
        clock.advance(minutes=30)

    async def broken_ingest() -> None:
        raise OverflowError("date value out of range")

    async with NewsScheduler(delivery, delivery.config, broken_ingest) as scheduler:
        scheduler.wake("ingest")
        for _ in range(100):
            if scheduler.errors:
                break
            await asyncio.sleep(0.02)
        commands = Commands(store, delivery=delivery, jobs=scheduler.job_states)
        status = await commands.run("status", {})
    [error] = [i.text for i in status.items if i.title.startswith("Job ingest: last error 20")]
    assert error == "OverflowError: date value out of range"
    [stuck] = [i.text for i in status.items if i.title == "Stuck: #1 to console:news"]
    assert "tries; last: 503 Service Unavailable" in stuck


async def test_subscribe_applies_the_config_files_rules(
    store: Store, make_delivery: MakeDelivery
) -> None:
    commands = Commands(store, delivery=make_delivery())
    never = await commands.run_line('/news subscribe mode=digest schedule="0 8 30 2 *"', ADMIN)
    assert never.error and "cron line '0 8 30 2 *' never fires" in never.text
    blank = await commands.run_line('/news subscribe topics=", ,"', ADMIN)
    assert blank.error and blank.text.startswith("topics: an empty entry")
    elsewhere = CommandContext(channel="discord:general", is_admin=True)
    named = await commands.run_line("/news subscribe", elsewhere)
    assert named.error and "a discord channel is a channel id" in named.text
    assert await commands.delivery.subscriptions() == []  # type: ignore[union-attr]
