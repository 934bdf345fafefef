"""The aiohttp Fetcher against a local server: politeness, bounds, and errors mapped
to FetchError with what an admin needs to know."""

from __future__ import annotations

import asyncio

import pytest

from bot.adapters.http import AiohttpFetcher, retry_after_seconds
from bot.ports import FetchError
from tests.feeds.conftest import CONTACT, needs_captures
from tests.support.feed_server import FeedServer

pytestmark = needs_captures


async def test_fetch_names_newsbot_and_the_contact_and_gets_gzip(
    server: FeedServer, fetcher: AiohttpFetcher
) -> None:
    fetched = await fetcher.fetch(server.url("capture/rss2-bbc-urdu.xml"))
    assert fetched.status == 200
    assert server.gzipped == 1 and fetched.body.startswith(b"<?xml")  # sent gzipped, read plain
    assert fetched.etag and fetched.last_modified
    assert server.user_agents[-1] == f"newsbot/0.1 (+{CONTACT})"


async def test_conditional_get_answers_not_modified_without_a_body(
    server: FeedServer, fetcher: AiohttpFetcher
) -> None:
    first = await fetcher.fetch(server.url("capture/rss2-bbc-urdu.xml"))
    again = await fetcher.fetch(server.url("capture/rss2-bbc-urdu.xml"), etag=first.etag)
    assert again.status == 304
    assert again.body == b""


async def test_a_50_mb_answer_is_cut_at_the_size_cap(
    server: FeedServer, fetcher: AiohttpFetcher
) -> None:
    with pytest.raises(FetchError, match="larger than the 2,000,000-byte limit"):
        await fetcher.fetch(server.url("bad/huge"))


async def test_a_redirect_loop_stops_after_a_few_hops(
    server: FeedServer, fetcher: AiohttpFetcher
) -> None:
    with pytest.raises(FetchError, match="more than 4 redirects"):
        await fetcher.fetch(server.url("bad/loop"))
    assert server.hits["bad/loop"] + server.hits["bad/loop2"] <= 5


async def test_a_redirect_is_followed_and_the_final_address_kept(
    server: FeedServer, fetcher: AiohttpFetcher
) -> None:
    fetched = await fetcher.fetch(server.url("bad/redirect"))
    assert fetched.url == server.url("capture/rss2-bbc-urdu.xml")


@pytest.mark.parametrize(("path", "status"), [("bad/404", 404), ("bad/500", 500)])
async def test_http_errors_carry_their_status(
    server: FeedServer, fetcher: AiohttpFetcher, path: str, status: int
) -> None:
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(server.url(path))
    assert caught.value.status == status
    assert f"HTTP {status}" in caught.value.reason


async def test_429_carries_the_servers_retry_after(
    server: FeedServer, fetcher: AiohttpFetcher
) -> None:
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(server.url("bad/429"))
    assert caught.value.status == 429
    assert caught.value.retry_after == 7200


async def test_a_stalled_server_times_out(server: FeedServer, fetcher: AiohttpFetcher) -> None:
    with pytest.raises(FetchError, match="no answer within 2 seconds"):
        await fetcher.fetch(server.url("bad/stall"))


async def test_a_closed_port_is_a_fetch_error(fetcher: AiohttpFetcher) -> None:
    with pytest.raises(FetchError, match="ClientConnectorError"):
        await fetcher.fetch("http://127.0.0.1:9/feed.xml")


async def test_never_two_requests_to_one_host_at_once(
    server: FeedServer, fetcher: AiohttpFetcher
) -> None:
    server.delay = 0.05
    names = ["rss2-bbc-urdu.xml", "rss2-golem-iso-8859-1.xml", "rss1-slashdot-2024.xml"]
    await asyncio.gather(*(fetcher.fetch(server.url(f"capture/{n}")) for n in names))
    assert server.most_active == 1


def test_retry_after_reads_seconds_and_http_dates() -> None:
    import datetime as dt

    now = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Tue, 01 Dec 2026 10:05:00 GMT", now) == 300
    assert retry_after_seconds("soon") is None


async def test_after_a_retry_after_the_host_gets_no_request_from_any_feed(
    server: FeedServer, fetcher: AiohttpFetcher
) -> None:
    with pytest.raises(FetchError):
        await fetcher.fetch(server.url("bad/429"))
    with pytest.raises(FetchError, match="asked us to wait") as caught:
        await fetcher.fetch(server.url("capture/rss2-bbc-urdu.xml"))
    assert caught.value.retry_after is not None and 7100 < caught.value.retry_after <= 7200
    assert server.hits["capture/rss2-bbc-urdu.xml"] == 0
