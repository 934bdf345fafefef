"""Discord's global limit (50 requests a second per bot token) is kept on every request the
bot sends, not only posts, and a global 429 makes the whole bot wait, retries included."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import discord

from bot.adapters.discord.app import NewsBot
from bot.adapters.discord.pace import ALONE_PER_SECOND
from bot.commands import Commands
from bot.config import Settings
from bot.pace import LocalPace
from bot.store.ports import SharedPace
from tests.support.discord_client import fake_discord_env, running_client
from tests.support.fake_discord import FakeChannel, FakeDiscord
from tests.support.rates import busiest_second

GLOBAL_LIMIT = 50
FIRST_CHANNEL = 1_400_000_000_000_000_000
CHANNELS = 30


@contextlib.asynccontextmanager
async def fake_with_channels() -> AsyncIterator[FakeDiscord]:
    async with fake_discord_env() as fake:
        fake.guild.channels.extend(
            FakeChannel(FIRST_CHANNEL + n, f"news-{n}", position=10 + n) for n in range(CHANNELS)
        )
        yield fake


def news_bot(commands: Commands, fake: FakeDiscord, pace: SharedPace | None) -> NewsBot:
    settings = Settings(discord_token=fake.token, discord_guild_id=fake.guild.id)
    return NewsBot(commands, settings, pace=pace, guild_ready_timeout=0.05)


async def test_look_ups_and_posts_together_keep_under_the_limit(commands: Commands) -> None:
    async with (
        fake_with_channels() as fake,
        running_client(news_bot(commands, fake, None), fake.token) as bot,
    ):
        fake.reset_records()

        async def look_up_and_post(n: int) -> None:
            channel = await bot.fetch_channel(FIRST_CHANNEL + n)
            assert isinstance(channel, discord.TextChannel)
            await channel.send(f"post {n}")

        await asyncio.gather(*(look_up_and_post(n) for n in range(CHANNELS)))
        requests = list(fake.requests)
    # 60 requests at once: unpaced they would go out in a few milliseconds.
    assert len(requests) == 2 * CHANNELS
    assert busiest_second(r.at for r in requests) <= GLOBAL_LIMIT
    assert max(r.at for r in requests) - min(r.at for r in requests) >= 0.9 * 59 / ALONE_PER_SECOND
    assert not any(r.global_limited for r in requests)


async def test_a_global_429_holds_every_process_for_retry_after_retries_included(
    commands: Commands,
) -> None:
    shared = LocalPace()  # what two processes on one database share
    async with (
        fake_with_channels() as fake,
        running_client(news_bot(commands, fake, shared), fake.token) as one,
        running_client(news_bot(commands, fake, shared), fake.token) as two,
    ):
        fake.reset_records()
        # discord.py alone would retry after the body's 0.2 s; Retry-After says 1 s.
        fake.fail_next(r"/channels/\d+/messages", 429, is_global=True, retry_after=0.2)
        first = asyncio.create_task(one.http.send_message(FIRST_CHANNEL, params=post("one")))
        refused = await fake.wait_for(lambda: fake.requests and fake.requests[0])
        refused_at = refused.at
        await asyncio.sleep(0.05)  # the other process posts after the 429
        await two.http.send_message(FIRST_CHANNEL + 1, params=post("two"))
        await first
        requests = list(fake.requests)
    assert [r.status for r in requests] == [429, 200, 200]
    assert all(r.at - refused_at >= 0.95 for r in requests[1:]), [r.at for r in requests]
    assert len(fake.all_messages()) == 2


def post(text: str) -> discord.http.MultipartParameters:
    return discord.http.handle_message_parameters(content=text)
