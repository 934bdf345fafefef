"""Polling feeds end to end: a real store, the real aiohttp fetcher and a local server.

What subscribers notice: no flood from a new feed or a feed back from an outage, no
second post when a feed churns ids or dates or edits an entry, one article for one
story, a failing feed backing off and then disabled with its reason, and a new item
posted to a console channel with its summary and link.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from bot.adapters.console.publisher import ConsolePublisher
from bot.adapters.http import AiohttpFetcher
from bot.commands import Commands
from bot.config import AdminConfig, parse_config
from bot.delivery import Delivery
from bot.feeds import service as feed_service
from bot.feeds.service import DISABLE_AFTER, FeedService
from bot.ingest.derive import prepare_article
from bot.models import FeedSpec, SubscriptionSpec
from bot.store import Store
from tests.delivery.conftest import FakeClock, RecordingPublisher
from tests.feeds.conftest import capture_names, needs_captures
from tests.feeds.test_parse import ENTRIES
from tests.support.feed_server import FeedServer

START = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


def rss(items: Sequence[dict[str, str]]) -> bytes:
    """A small RSS 2.0 document; each item has title, body and optionally guid, link, date."""
    parts = ['<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>']
    for item in items:
        parts.append("<item>")
        parts.append(f"<title>{escape(item['title'])}</title>")
        if "guid" in item:
            parts.append(f"<guid isPermaLink='false'>{escape(item['guid'])}</guid>")
        if "link" in item:
            parts.append(f"<link>{escape(item['link'])}</link>")
        parts.append(f"<pubDate>{item.get('date', 'Tue, 01 Dec 2026 08:00:00 GMT')}</pubDate>")
        parts.append(f"<description>{escape(item['body'])}</description></item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def story(n: int, **extra: str) -> dict[str, str]:
    body = (
        f"<p>Ministers from {n} countries met in Brussels on Tuesday to agree on gas storage "
        f"rules for the winter. The agreement number {n} sets targets for each member state.</p>"
        "<p>Officials said the talks would continue next month.</p>"
    )
    return {"title": f"Gas storage deal {n} agreed", "guid": f"id-{n}", "body": body} | extra


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def feed_config(tmp_path: Path) -> AdminConfig:
    raw: dict[str, Any] = {
        "database": {"path": str(tmp_path / "news.db")},
        "console": {"channels": ["news"]},
        "delivery": {"catch_up_limit": 3, "posts_per_minute": 60},
    }
    return parse_config(tmp_path / "newsbot.toml", raw)


@pytest.fixture
async def feeds(
    store: Store, feed_config: AdminConfig, fetcher: AiohttpFetcher, clock: FakeClock
) -> AsyncIterator[FeedService]:
    yield FeedService(store, feed_config, fetcher, prepare_article, clock)


async def follow(feeds: FeedService, url: str, name: str = "Test", **spec: Any) -> int:
    feed, _ = await feeds.add(FeedSpec(name=name, url=url, **spec))
    return feed.id


async def article_count(store: Store) -> int:
    return await store.count_articles()


@needs_captures
@pytest.mark.parametrize("name", capture_names())
async def test_each_real_capture_served_over_http_is_stored(
    server: FeedServer, feeds: FeedService, store: Store, name: str
) -> None:
    feed_id = await follow(feeds, server.url(f"capture/{name}"))
    result = await feeds.poll(feed_id)
    assert result.outcome == "read", result.error
    assert result.report is not None and not result.report.rejected
    assert len(result.report.added) + len(result.report.duplicate) == ENTRIES[name]
    [feed] = await feeds.feeds()
    assert (feed.last_status, feed.last_items, feed.failures) == (200, ENTRIES[name], 0)


@needs_captures
async def test_a_feed_served_with_the_wrong_content_type_is_still_read(
    server: FeedServer, feeds: FeedService
) -> None:
    feed_id = await follow(feeds, server.url("wrongtype/rss2-golem-iso-8859-1.xml"))
    result = await feeds.poll(feed_id)
    assert result.report is not None and len(result.report.added) == 40


async def test_an_unchanged_feed_answers_304_and_nothing_is_parsed(
    server: FeedServer, feeds: FeedService, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.documents["news.xml"] = (rss([story(1), story(2)]), "application/rss+xml")
    feed_id = await follow(feeds, server.url("news.xml"))
    assert (await feeds.poll(feed_id)).outcome == "read"
    parses = []
    monkeypatch.setattr(
        feed_service, "parse_feed", lambda *a: parses.append(a) or pytest.fail("parsed")
    )
    assert (await feeds.poll(feed_id)).outcome == "not modified"
    assert parses == []
    [feed] = await feeds.feeds()
    assert feed.last_status == 304 and feed.last_items == 2


async def test_a_server_without_etags_sending_the_same_bytes_costs_no_parsing(
    server: FeedServer, feeds: FeedService, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.conditional = False
    server.documents["news.xml"] = (rss([story(1)]), "application/rss+xml")
    feed_id = await follow(feeds, server.url("news.xml"))
    assert (await feeds.poll(feed_id)).outcome == "read"
    monkeypatch.setattr(feed_service, "parse_feed", lambda *a: pytest.fail("parsed"))
    assert (await feeds.poll(feed_id)).outcome == "not modified"
    [feed] = await feeds.feeds()
    assert feed.last_status == 200 and server.hits["news.xml"] == 2


async def subscribed(store: Store, feed_config: AdminConfig, clock: FakeClock) -> Delivery:
    publisher = RecordingPublisher("console")
    delivery = Delivery(store, feed_config, {"console": publisher}, clock)
    await delivery.subscribe(SubscriptionSpec(channel="console:news"))
    delivery.catching_up = False
    return delivery


def posted(delivery: Delivery) -> list[str]:
    publisher = delivery.publishers["console"]
    assert isinstance(publisher, RecordingPublisher)
    return publisher.titles()


async def test_first_poll_is_archive_and_later_items_are_news(
    server: FeedServer, feeds: FeedService, store: Store, feed_config: AdminConfig, clock: FakeClock
) -> None:
    delivery = await subscribed(store, feed_config, clock)
    server.documents["news.xml"] = (rss([story(n) for n in range(1, 11)]), "application/rss+xml")
    feed_id = await follow(feeds, server.url("news.xml"))
    await feeds.poll(feed_id)
    await delivery.deliver_due()
    assert await article_count(store) == 10
    assert posted(delivery) == []  # a new feed's back catalogue is not a flood of news

    server.documents["news.xml"] = (rss([story(n) for n in range(1, 12)]), "application/rss+xml")
    await feeds.poll(feed_id)
    await delivery.deliver_due()
    assert posted(delivery) == ["Gas storage deal 11 agreed"]


async def test_a_feed_back_from_an_outage_posts_only_the_catch_up_cap(
    server: FeedServer, feeds: FeedService, store: Store, feed_config: AdminConfig, clock: FakeClock
) -> None:
    delivery = await subscribed(store, feed_config, clock)
    server.documents["news.xml"] = (rss([story(1)]), "application/rss+xml")
    feed_id = await follow(feeds, server.url("news.xml"))
    await feeds.poll(feed_id)
    dated = [
        story(n, date=f"Tue, {n:02d} Dec 2026 08:00:00 GMT") for n in range(2, 10)
    ]  # eight new entries, one a day
    server.documents["news.xml"] = (rss([story(1), *dated]), "application/rss+xml")
    clock.advance(days=10)
    await feeds.poll(feed_id)
    await delivery.deliver_due()
    assert await article_count(store) == 9
    assert sorted(posted(delivery)) == [f"Gas storage deal {n} agreed" for n in (7, 8, 9)]


async def test_id_link_and_date_churn_with_the_same_text_is_not_posted_again(
    server: FeedServer, feeds: FeedService, store: Store, feed_config: AdminConfig, clock: FakeClock
) -> None:
    delivery = await subscribed(store, feed_config, clock)
    server.documents["news.xml"] = (rss([story(0)]), "application/rss+xml")
    feed_id = await follow(feeds, server.url("news.xml"))
    await feeds.poll(feed_id)
    server.documents["news.xml"] = (rss([story(0), story(1)]), "application/rss+xml")
    await feeds.poll(feed_id)
    await delivery.deliver_due()
    assert posted(delivery) == ["Gas storage deal 1 agreed"]

    churned = story(
        1, guid="new-id-1", link="https://example.org/moved", date="Wed, 02 Dec 2026 09:30:00 GMT"
    )
    server.documents["news.xml"] = (rss([story(0), churned]), "application/rss+xml")
    result = await feeds.poll(feed_id)
    await delivery.deliver_due()
    assert result.report is not None and len(result.report.duplicate) == 1
    assert await article_count(store) == 2
    assert posted(delivery) == ["Gas storage deal 1 agreed"]


async def test_an_edited_entry_updates_its_article_without_a_second_post(
    server: FeedServer, feeds: FeedService, store: Store, feed_config: AdminConfig, clock: FakeClock
) -> None:
    delivery = await subscribed(store, feed_config, clock)
    server.documents["news.xml"] = (rss([story(0)]), "application/rss+xml")
    feed_id = await follow(feeds, server.url("news.xml"))
    await feeds.poll(feed_id)
    server.documents["news.xml"] = (rss([story(0), story(1)]), "application/rss+xml")
    await feeds.poll(feed_id)
    await delivery.deliver_due()
    edited = story(1, title="Gas storage deal 1 agreed after all-night talks")
    server.documents["news.xml"] = (rss([story(0), edited]), "application/rss+xml")
    result = await feeds.poll(feed_id)
    await delivery.deliver_due()
    assert result.report is not None
    [update] = result.report.updated
    article = await store.get_article(update.article_id)
    assert article is not None and article.title == edited["title"]
    assert posted(delivery) == ["Gas storage deal 1 agreed"]


async def test_the_same_story_from_two_feeds_is_stored_once(
    server: FeedServer, feeds: FeedService, store: Store
) -> None:
    server.documents["a.xml"] = (rss([story(1, guid="a-1")]), "application/rss+xml")
    server.documents["b.xml"] = (rss([story(1, guid="b-77")]), "application/rss+xml")
    await feeds.poll(await follow(feeds, server.url("a.xml"), "Agency A"))
    result = await feeds.poll(await follow(feeds, server.url("b.xml"), "Agency B"))
    assert result.report is not None and len(result.report.duplicate) == 1
    assert await article_count(store) == 1


async def test_failures_back_off_then_disable_the_feed_with_its_reason(
    server: FeedServer, feeds: FeedService, clock: FakeClock
) -> None:
    feed_id = await follow(feeds, server.url("bad/500"), poll_interval_seconds=600)
    waits = []
    for attempt in range(1, DISABLE_AFTER + 1):
        result = await feeds.poll(feed_id)
        [feed] = await feeds.feeds()
        if attempt < DISABLE_AFTER:
            assert result.outcome == "failed" and feed.failures == attempt
            assert feed.next_poll_at is not None
            waits.append((feed.next_poll_at - clock.now()).total_seconds())
            assert (await feeds.poll(feed_id)).outcome == "waiting"  # no request while waiting
            clock.set(feed.next_poll_at)
    assert server.hits["bad/500"] == DISABLE_AFTER
    assert waits[:4] == [600, 1200, 2400, 4800]  # exponential
    assert result.outcome == "disabled"
    assert feed.disabled_reason is not None and "HTTP 500" in feed.disabled_reason
    assert (await feeds.poll(feed_id)).outcome == "disabled"
    assert server.hits["bad/500"] == DISABLE_AFTER

    again, created = await feeds.add(FeedSpec(name="Test", url=server.url("bad/500")))
    assert not created and again.disabled_reason is None and again.failures == 0


async def test_429_waits_at_least_as_long_as_retry_after(
    server: FeedServer, feeds: FeedService, clock: FakeClock
) -> None:
    feed_id = await follow(feeds, server.url("bad/429"), poll_interval_seconds=300)
    await feeds.poll(feed_id)
    [feed] = await feeds.feeds()
    assert feed.next_poll_at == clock.now() + dt.timedelta(seconds=7200)
    assert feed.last_status == 429


async def test_a_gone_feed_is_disabled_at_once(server: FeedServer, feeds: FeedService) -> None:
    result = await feeds.poll(await follow(feeds, server.url("bad/410")))
    assert result.outcome == "disabled" and "gone (HTTP 410)" in (result.error or "")


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("bad/html", "serves an HTML page"),
        ("bad/huge", "larger than"),
        ("bad/loop", "redirects"),
        ("bad/404", "HTTP 404"),
        ("bad/stall", "no answer within"),
    ],
)
async def test_bad_sources_fail_with_a_reason_admins_see(
    server: FeedServer, feeds: FeedService, store: Store, path: str, reason: str
) -> None:
    feed_id = await follow(feeds, server.url(path))
    result = await feeds.poll(feed_id)
    assert result.outcome == "failed" and reason in (result.error or "")
    commands = Commands(store, feeds=feeds)
    shown = await commands.run_line("/news sources")
    assert "FAILING (1 in a row)" in shown.items[0].text and reason in shown.items[0].text


async def test_truncated_xml_is_stored_as_far_as_it_goes_with_a_warning(
    server: FeedServer, feeds: FeedService, store: Store
) -> None:
    result = await feeds.poll(await follow(feeds, server.url("bad/truncated")))
    assert result.outcome == "read" and result.report is not None
    assert len(result.report.added) >= 1
    shown = await Commands(store, feeds=feeds).run_line("/news sources")
    assert "warning: malformed XML" in shown.items[0].text


async def test_a_feed_item_reaches_a_console_channel_with_summary_and_link(
    server: FeedServer,
    store: Store,
    feed_config: AdminConfig,
    fetcher: AiohttpFetcher,
    clock: FakeClock,
) -> None:
    out = io.StringIO()
    delivery = Delivery(store, feed_config, {"console": ConsolePublisher(("news",), out)}, clock)
    await delivery.subscribe(SubscriptionSpec(channel="console:news"))
    prepare = functools.partial(prepare_article, summary_sentences=2)
    feeds = FeedService(store, feed_config, fetcher, prepare, clock)
    server.documents["news.xml"] = (rss([story(1)]), "application/rss+xml")
    feed_id = await follow(feeds, server.url("news.xml"))
    await feeds.poll(feed_id)
    link = "https://example.org/2026/12/gas-deal"
    server.documents["news.xml"] = (rss([story(1), story(2, link=link)]), "application/rss+xml")
    await feeds.poll(feed_id)
    await delivery.deliver_due()
    text = out.getvalue()
    assert "[#news] Gas storage deal 2 agreed" in text
    assert f"<{link}>" in text
    assert "• Ministers from 2 countries met in Brussels" in text  # the stored summary
    assert "Gas storage deal 1" not in text


@needs_captures
async def test_full_text_replaces_the_feed_teaser_with_the_article_page(
    server: FeedServer, feeds: FeedService, store: Store
) -> None:
    items = [
        {
            "title": "Obama: gun laws are my biggest frustration",
            "guid": "bbc-1",
            "link": server.url("capture/article-bbc-obama-guns-2015.html"),
            "body": "<p>The president speaks to the BBC.</p>",
        },
        {
            "title": "A page that is gone",
            "guid": "gone-1",
            "link": server.url("bad/404"),
            "body": "<p>The teaser is all we have of this one.</p>",
        },
    ]
    server.documents["full.xml"] = (rss(items), "application/rss+xml")
    result = await feeds.poll(await follow(feeds, server.url("full.xml"), full_text=True))
    assert result.report is not None
    by_title = {}
    for added in result.report.added:
        article = await store.get_article(added.article_id)
        assert article is not None
        by_title[article.title] = article.body
    page_text = by_title[items[0]["title"]]
    assert "the greatest frustration of his presidency" in page_text
    assert "address the African Union" in page_text  # to the end of the story
    assert "The president speaks to the BBC." not in page_text
    assert by_title["A page that is gone"] == "The teaser is all we have of this one."


async def test_feed_topics_are_given_to_its_articles(
    server: FeedServer, feeds: FeedService, store: Store
) -> None:
    server.documents["energy.xml"] = (rss([story(1)]), "application/rss+xml")
    result = await feeds.poll(
        await follow(feeds, server.url("energy.xml"), topics=("Energy policy",))
    )
    assert result.report is not None
    topics = await store.article_topics(result.report.added[0].article_id)
    assert "Energy policy" in topics


async def test_sources_show_a_healthy_feed_with_status_items_and_next_poll(
    server: FeedServer, feeds: FeedService, store: Store
) -> None:
    server.documents["news.xml"] = (rss([story(1), story(2)]), "application/rss+xml")
    await feeds.poll(await follow(feeds, server.url("news.xml")))
    [item] = (await Commands(store, feeds=feeds).run_line("/news sources")).items
    assert item.text.startswith("ok · last fetch 2026-12-01T12:00:00+00:00 (HTTP 200) · 2 items")
    assert "next poll" in item.text and "warning" not in item.text


def test_article_links_are_shown_on_the_console_and_discord() -> None:
    from bot.adapters.console.render import render
    from bot.adapters.discord.render import render_embeds
    from bot.models import Reply

    reply = Reply(title="Gas deal agreed", text="• Summary.", url="https://example.org/gas")
    assert "<https://example.org/gas>" in render(reply)
    assert render_embeds(reply)[0].url == "https://example.org/gas"


async def test_an_unreadable_entry_is_skipped_alone_and_admins_told_why(
    server: FeedServer, feeds: FeedService, store: Store
) -> None:
    empty = {"title": "", "guid": "empty-1", "body": "<p><script>x()</script></p>"}
    server.documents["news.xml"] = (rss([story(1), empty, story(2)]), "application/rss+xml")
    result = await feeds.poll(await follow(feeds, server.url("news.xml")))
    assert result.report is not None and len(result.report.added) == 2
    [item] = (await Commands(store, feeds=feeds).run_line("/news sources")).items
    assert "warning: 1 entry skipped (the entry has neither a title nor any text)" in item.text


async def test_declared_topics_reach_stored_articles_and_survive_a_refresh(
    server: FeedServer, feeds: FeedService, store: Store
) -> None:
    from bot.ingest.service import refresh_derived

    server.documents["energy.xml"] = (rss([story(1)]), "application/rss+xml")
    url = server.url("energy.xml")
    result = await feeds.poll(await follow(feeds, url, "Energy desk"))
    assert result.report is not None
    article_id = result.report.added[0].article_id
    assert "Energy policy" not in await store.article_topics(article_id)

    declared = FeedSpec("Energy desk", url, topics=("Energy policy",))
    await feeds.sync_config([declared])  # the admin declares the feed with a topic
    assert "Energy policy" in await store.article_topics(article_id)

    await refresh_derived(store, prepare_article, "a newer text pipeline")
    assert "Energy policy" not in await store.article_topics(article_id)
    await feeds.sync_config([declared])  # what the next start does
    assert "Energy policy" in await store.article_topics(article_id)
