"""Declaring feeds: `[[feeds]]` in the config (validated like the rest of it) and the
admin commands that add, remove and list sources, with the polling jobs they get."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.adapters.http import AiohttpFetcher
from bot.commands import CommandContext, Commands
from bot.config import ConfigError, load_config
from bot.delivery import Delivery
from bot.feeds.service import FeedService
from bot.ingest.derive import prepare_article
from bot.models import FeedSpec, PollRecord
from bot.scheduler import NewsScheduler
from bot.store import Store

FEEDS_TOML = """
[fetch]
contact = "mailto:admin@example.org"
[[feeds]]
name = "BBC World"
url = "https://feeds.bbci.co.uk/news/world/rss.xml"
topics = ["World"]
[[feeds]]
name = "Ars"
url = "https://feeds.arstechnica.com/arstechnica/index"
poll_interval_seconds = 3600
full_text = true
"""


def test_feeds_in_the_config_get_defaults(write_config: Callable[[str], Path]) -> None:
    config = load_config(write_config(FEEDS_TOML))
    assert config.fetch_contact == "mailto:admin@example.org"
    assert config.feeds == (
        FeedSpec("BBC World", "https://feeds.bbci.co.uk/news/world/rss.xml", 900, ("World",)),
        FeedSpec("Ars", "https://feeds.arstechnica.com/arstechnica/index", 3600, (), True),
    )


def test_every_feed_problem_is_reported_at_once_with_its_key_path(
    write_config: Callable[[str], Path],
) -> None:
    bad = """
[fetch]
timeout = 5
[[feeds]]
name = "One"
url = "feeds.example.org/rss"
poll_interval_seconds = 60
fulltext = true
[[feeds]]
url = "https://example.org/feed"
[[feeds]]
name = "one"
url = "https://example.org/other"
"""
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(bad))
    assert caught.value.problems == [
        "fetch.timeout: unknown key (did you mean 'timeout_seconds'?)",
        "feeds[0].url: must be an http:// or https:// address, got 'feeds.example.org/rss'",
        "feeds[0].poll_interval_seconds: must be between 300 and 604800",
        "feeds[0].fulltext: unknown key (did you mean 'full_text'?)",
        "feeds[1].name: required",
    ]


def test_two_feeds_may_not_share_a_name(write_config: Callable[[str], Path]) -> None:
    twice = FEEDS_TOML + '[[feeds]]\nname = "bbc world"\nurl = "https://example.org/x"\n'
    with pytest.raises(ConfigError, match=r"feeds\[2\].name: 'bbc world' is already the name"):
        load_config(write_config(twice))


@pytest.fixture
async def service(store: Store, write_config: Callable[[str], Path]) -> FeedService:
    config = load_config(write_config(FEEDS_TOML))
    fetcher = AiohttpFetcher(max_bytes=1000)  # never opened: these tests fetch nothing
    return FeedService(store, config, fetcher, prepare_article)


async def test_config_feeds_are_synced_and_command_sources_kept(service: FeedService) -> None:
    await service.add(FeedSpec("Local paper", "https://paper.example.org/rss"))
    await service.sync_config(service.config.feeds)
    await service.sync_config(service.config.feeds[1:])  # BBC World taken out of the config
    names = {(feed.name, feed.origin) for feed in await service.feeds()}
    assert names == {("Ars", "config"), ("Local paper", "command")}


async def test_admins_add_list_and_remove_sources(service: FeedService, store: Store) -> None:
    commands = Commands(store, feeds=service)
    await service.sync_config(service.config.feeds)
    added = await commands.run_line(
        '/news source-add "City news" https://city.example.org/feed.json interval=600 topics=City'
    )
    assert added.title == "Following City news" and not added.error
    listed = await commands.run_line("/news sources")
    assert [item.title for item in listed.items] == [
        "BBC World (config)",
        "Ars (config)",
        "City news (command)",
    ]
    assert listed.items[2].url == "https://city.example.org/feed.json"
    assert "not polled yet" in listed.items[2].text
    refused = await commands.run_line("/news source-remove Ars")
    assert refused.error and "declared in the config file" in refused.text
    removed = await commands.run_line("/news source-remove city news")
    assert removed.title == "Stopped following City news"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("/news source-add Blog ftp://blog.example.org/rss", "http:// or https://"),
        (
            "/news source-add Blog https://blog.example.org/rss interval=10",
            "interval must be between 300 and 604,800, got 10",
        ),
        ("/news source-add Ars https://other.example.org/rss", "already follows"),
        ("/news source-remove Nothing", "No source named 'Nothing'"),
    ],
)
async def test_source_commands_explain_what_is_wrong(
    service: FeedService, store: Store, line: str, problem: str
) -> None:
    await service.sync_config(service.config.feeds)
    reply = await Commands(store, feeds=service).run_line(line)
    assert reply.error and problem in reply.title + reply.text


async def test_source_commands_are_for_admins(service: FeedService, store: Store) -> None:
    member = CommandContext(channel="discord:1", is_admin=False)
    reply = await Commands(store, feeds=service).run_line("/news sources", member)
    assert reply.error and "for admins" in reply.title


async def test_each_feed_gets_a_polling_job_spread_over_the_interval(
    service: FeedService, store: Store
) -> None:
    await service.sync_config(service.config.feeds)
    delivery = Delivery(store, service.config, {})
    before = dt.datetime.now(dt.UTC)
    async with NewsScheduler(delivery, service.config, feeds=service) as scheduler:
        runs = {job: when for job, _, when in scheduler.next_runs() if job.startswith("feed:")}
        assert len(runs) == 2
        first, second = sorted(runs.values())
        assert (second - first).total_seconds() >= 100  # not both at once
        assert first >= before
        third, _ = await service.add(FeedSpec("Third", "https://third.example.org/rss"))
        runs = {job: when for job, _, when in scheduler.next_runs() if job.startswith("feed:")}
        assert len(runs) == 3
        assert runs[f"feed:{third.id}"] <= dt.datetime.now(dt.UTC)  # a new source polls at once
        await service.remove("Third")
        assert len([j for j, _, _ in scheduler.next_runs() if j.startswith("feed:")]) == 2


async def test_status_counts_sources_by_health_and_leaves_their_jobs_to_sources(
    service: FeedService, store: Store
) -> None:
    from bot.models import JobState

    await service.sync_config(service.config.feeds)
    [bbc, _] = await service.feeds()
    await service.db.record_failure(
        bbc.id, PollRecord(dt.datetime.now(dt.UTC), 500, error="HTTP 500"), 1, None
    )
    jobs = [JobState("deliver", "deliver due items", None), JobState("feed:1", "poll", None)]
    reply = await Commands(store, feeds=service, jobs=lambda: jobs).run_line("/news status")
    assert "Feeds: 2 (1 failing, 0 disabled); health and next polls: /news sources" in reply.text
    assert [item.title.split(":")[0] for item in reply.items] == ["Job deliver"]


async def test_many_sources_come_in_pages_with_the_ones_needing_an_admin_first(
    service: FeedService, store: Store
) -> None:
    for n in range(23):
        await service.add(FeedSpec(f"Source {n:02d}", f"https://s{n}.example.org/rss"))
    broken = await service.db.by_name("Source 17")
    assert broken is not None
    await service.db.record_failure(
        broken.id, PollRecord(dt.datetime.now(dt.UTC), 404, error="HTTP 404"), 8, "gone: 404"
    )
    commands = Commands(store, feeds=service)
    first = await commands.run_line("/news sources")
    assert first.title == "Sources (23)" and (first.page, first.pages) == (1, 3)
    assert first.items[0].title == "Source 17 (command)"
    assert first.items[0].text == "DISABLED: gone: 404"
    assert len(first.items) == 10
    assert first.paging is not None
    last = await commands.run("sources", first.paging.page(3))
    assert [item.title for item in last.items] == [f"Source {n} (command)" for n in (20, 21, 22)]
    beyond = await commands.run_line("/news sources 4")
    assert beyond.error and "only 3 page(s)" in beyond.title
