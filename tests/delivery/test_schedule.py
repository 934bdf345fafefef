"""Dated items, on-this-day, digests on a cron line in the configured timezone, the jobs."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.models import SubscriptionSpec
from bot.scheduler import NewsScheduler

from .conftest import AddArticle, FakeClock, MakeDelivery, RecordingPublisher

UTC = dt.UTC
BRUSSELS = ZoneInfo("Europe/Brussels")


async def test_future_dated_item_is_held_until_its_day_at_local_time_across_dst_start(
    make_delivery: MakeDelivery,
    add_article: AddArticle,
    publisher: RecordingPublisher,
    clock: FakeClock,
) -> None:
    delivery = make_delivery(delivery={"time": "09:00"})  # Europe/Brussels
    await delivery.subscribe(SubscriptionSpec("console:news"))
    # 2030-03-31: clocks go from 02:00 CET to 03:00 CEST, so 09:00 local is 07:00 UTC.
    await add_article("Spring story", "2030-03-31")
    await add_article("Today story", "2026-01-01")  # not future when ingested: at once
    clock.set(dt.datetime(2030, 3, 30, 23, 30, tzinfo=UTC))  # already the 31st locally
    await delivery.deliver_due()
    assert publisher.titles() == ["Today story"]
    clock.set(dt.datetime(2030, 3, 31, 6, 59, tzinfo=UTC))  # 08:59 CEST
    await delivery.deliver_due()
    assert publisher.titles() == ["Today story"]
    clock.set(dt.datetime(2030, 3, 31, 7, 0, tzinfo=UTC))  # 09:00 CEST
    await delivery.deliver_due()
    assert publisher.titles() == ["Today story", "Spring story"]


async def test_future_dated_item_across_dst_end_uses_winter_offset(
    make_delivery: MakeDelivery,
    add_article: AddArticle,
    publisher: RecordingPublisher,
    clock: FakeClock,
) -> None:
    delivery = make_delivery(delivery={"time": "09:00"})
    await delivery.subscribe(SubscriptionSpec("console:news"))
    await add_article("Autumn story", "2030-10-27")  # CEST -> CET at 03:00 that morning
    clock.set(dt.datetime(2030, 10, 27, 7, 59, tzinfo=UTC))  # 08:59 CET
    await delivery.deliver_due()
    assert publisher.posts == []
    clock.set(dt.datetime(2030, 10, 27, 8, 0, tzinfo=UTC))
    await delivery.deliver_due()
    assert publisher.titles() == ["Autumn story"]
    assert delivery.delivery_moment(dt.date(2030, 10, 27)).astimezone(BRUSSELS).hour == 9


async def test_on_this_day_posts_earlier_years_at_the_delivery_time(
    make_delivery: MakeDelivery,
    add_article: AddArticle,
    publisher: RecordingPublisher,
    clock: FakeClock,
) -> None:
    await add_article("Ten years ago", "2020-01-15")
    await add_article("Other day", "2020-01-16")
    delivery = make_delivery()
    await delivery.subscribe(SubscriptionSpec("console:news", on_this_day=True))
    clock.set(dt.datetime(2030, 1, 15, 7, 59, tzinfo=UTC))  # 08:59 CET
    await delivery.deliver_due()
    assert publisher.posts == []
    clock.set(dt.datetime(2030, 1, 15, 8, 0, tzinfo=UTC))
    await delivery.deliver_due()
    await delivery.deliver_due()
    assert publisher.titles() == ["On this day in 2020: Ten years ago"]


async def test_digest_collects_what_matched_since_the_last_one(
    make_delivery: MakeDelivery,
    add_article: AddArticle,
    publisher: RecordingPublisher,
) -> None:
    delivery = make_delivery()
    sub, _ = await delivery.subscribe(
        SubscriptionSpec("console:news", mode="digest", schedule="0 8 * * *", topics=("NATO",))
    )
    await add_article("NATO one", topics=["NATO"])
    await add_article("NATO two", topics=["NATO"])
    await add_article("Sports", topics=["Football"])
    await delivery.deliver_due()  # the instant job leaves digests alone
    assert publisher.posts == []
    report = await delivery.run_digest(sub.id)
    assert report.sent == 1
    ((_, post, _key),) = publisher.posts
    assert post.title == "Digest: 2 new items"
    assert [item.title for item in post.items] == ["NATO two", "NATO one"]
    assert post.text
    assert (await delivery.run_digest(sub.id)).sent == 0
    await add_article("NATO three", topics=["NATO"])
    await delivery.run_digest(sub.id)
    assert publisher.titles()[-1] == "Digest: 1 new item"


async def test_digest_cron_runs_in_the_configured_timezone(
    make_delivery: MakeDelivery, clock: FakeClock
) -> None:
    delivery = make_delivery()
    sub, _ = await delivery.subscribe(
        SubscriptionSpec("console:news", mode="digest", schedule="0 8 * * *")
    )
    async with NewsScheduler(delivery, delivery.config) as scheduler:
        job = scheduler.scheduler.get_job(f"digest:{sub.id}")
        winter = job.trigger.get_next_fire_time(None, dt.datetime(2030, 1, 15, 12, tzinfo=UTC))
        summer = job.trigger.get_next_fire_time(None, dt.datetime(2030, 7, 15, 12, tzinfo=UTC))
        assert winter.astimezone(UTC) == dt.datetime(2030, 1, 16, 7, tzinfo=UTC)
        assert summer.astimezone(UTC) == dt.datetime(2030, 7, 16, 6, tzinfo=UTC)
    # Down over 08:00 local: start-up runs the missed digest once.
    clock.set(dt.datetime(2030, 1, 16, 6, 59, tzinfo=UTC))
    assert not delivery.missed_digest(sub, clock.now())
    clock.set(dt.datetime(2030, 1, 16, 7, 0, 1, tzinfo=UTC))
    assert delivery.missed_digest(sub, clock.now())


async def test_scheduler_jobs_have_stable_ids_and_follow_subscriptions(
    make_delivery: MakeDelivery,
) -> None:
    delivery = make_delivery()

    async def ingest() -> None:
        return None

    async with NewsScheduler(delivery, delivery.config, ingest) as scheduler:
        assert {job_id for job_id, _, _ in scheduler.next_runs()} == {"ingest", "deliver"}
        sub, _ = await delivery.subscribe(
            SubscriptionSpec("console:news", mode="digest", schedule="30 7 * * 1")
        )
        jobs = {job.id: job for job in scheduler.scheduler.get_jobs()}
        assert set(jobs) == {"ingest", "deliver", f"digest:{sub.id}"}
        for job in jobs.values():
            assert job.coalesce is True and job.max_instances == 1
            assert job.misfire_grace_time > 0
        await delivery.unsubscribe("console:news")
        assert f"digest:{sub.id}" not in {j for j, _, _ in scheduler.next_runs()}
    assert scheduler.scheduler is None and delivery.on_change is None


async def test_a_date_at_the_calendars_end_is_held_and_never_blocks_other_items(
    make_delivery: MakeDelivery,
    add_article: AddArticle,
    publisher: RecordingPublisher,
) -> None:
    # 23:00 in Los Angeles on 9999-12-31 is in year 10000 in UTC: past what datetime holds.
    delivery = make_delivery(timezone="America/Los_Angeles", delivery={"time": "23:00"})
    await delivery.subscribe(SubscriptionSpec("console:news"))
    await add_article("The last day", "9999-12-31")
    await add_article("The first day", "0001-01-01")
    await add_article("Normal news", "2029-06-01")
    report = await delivery.deliver_due()
    assert sorted(publisher.titles()) == ["Normal news", "The first day"]
    assert report.failed == 0
    await delivery.deliver_due()  # still held, still no error
    assert len(publisher.posts) == 2
