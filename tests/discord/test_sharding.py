"""Sharding end to end: real discord.py clients against the fake Discord, which
hands each shard the servers Discord would give it (`(guild_id >> 22) % count`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import discord
import pytest

from bot.adapters.discord.app import NewsBot, make_news_bot, run_discord
from bot.adapters.discord.publisher import DiscordPublisher
from bot.commands import Commands
from bot.config import Settings
from bot.models import Reply
from tests.support.discord_client import fake_discord_env, running_client
from tests.support.fake_discord import (
    DEFAULT_EVERYONE_PERMISSIONS,
    DEFAULT_GUILD_ID,
    DEFAULT_OWNER_USER_ID,
    FakeDiscord,
    FakeGuild,
    FakeMember,
    FakeRole,
)

GLOBAL_SYNC = r"/applications/\d+/commands"
# The default guild falls on shard 1 of 2; this one on shard 0.
SECOND_GUILD_ID = DEFAULT_GUILD_ID + (1 << 22)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with fake_discord_env() as fake:
        fake.guilds.append(
            FakeGuild(
                id=SECOND_GUILD_ID,
                name="Sports desk",
                owner_id=DEFAULT_OWNER_USER_ID,
                roles=[FakeRole(SECOND_GUILD_ID, "@everyone", DEFAULT_EVERYONE_PERMISSIONS, 0)],
                members=[FakeMember(fake.bot_user)],
            )
        )
        yield fake


def shard_settings(fake: FakeDiscord, shard_ids: tuple[int, ...]) -> Settings:
    return Settings(discord_token=fake.token, discord_shard_count=2, discord_shard_ids=shard_ids)


def bot_for(commands: Commands, settings: Settings) -> NewsBot:
    return make_news_bot(commands, settings, guild_ready_timeout=0.05)


async def test_two_processes_identify_as_their_shards_and_split_the_servers(
    fake: FakeDiscord, commands: Commands
) -> None:
    first = bot_for(commands, shard_settings(fake, (0,)))
    second = bot_for(commands, shard_settings(fake, (1,)))
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(running_client(first, fake.token))
        await stack.enter_async_context(running_client(second, fake.token))
        shards = sorted(s.identify_payload["shard"] for s in fake.identified_sessions)  # type: ignore[index]
        assert shards == [[0, 2], [1, 2]]
        assert [g.id for g in first.guilds] == [SECOND_GUILD_ID]
        assert [g.id for g in second.guilds] == [DEFAULT_GUILD_ID]
    # Only the process holding shard 0 registers the commands.
    assert len(fake.requests_matching("PUT", GLOBAL_SYNC)) == 1
    assert (first.synced, second.synced) == (True, None)


async def test_one_process_given_two_shard_ids_connects_both(
    fake: FakeDiscord, commands: Commands
) -> None:
    # discord.py identifies a process's second shard 5 seconds after the first.
    bot = bot_for(commands, shard_settings(fake, (0, 1)))
    async with running_client(bot, fake.token, ready_timeout=10.0):
        shards = sorted(s.identify_payload["shard"] for s in fake.identified_sessions)  # type: ignore[index]
        assert shards == [[0, 2], [1, 2]]
        assert {g.id for g in bot.guilds} == {DEFAULT_GUILD_ID, SECOND_GUILD_ID}
    assert bot.synced is True


async def test_without_shard_settings_one_unsharded_client_sees_every_server(
    fake: FakeDiscord, commands: Commands
) -> None:
    bot = bot_for(commands, Settings(discord_token=fake.token))
    assert not isinstance(bot, discord.AutoShardedClient)
    async with running_client(bot, fake.token):
        [session] = fake.identified_sessions
        assert "shard" not in (session.identify_payload or {})
        assert {g.id for g in bot.guilds} == {DEFAULT_GUILD_ID, SECOND_GUILD_ID}
    assert bot.synced is True


async def test_a_process_posts_to_a_server_held_by_another_processs_shard(
    fake: FakeDiscord, commands: Commands
) -> None:
    # Deliveries are shared by channel, not by shard: the default guild is on shard 1.
    env = {"DISCORD_TOKEN": fake.token, "DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "0"}
    posted: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def on_ready(publisher: DiscordPublisher) -> None:
        channel = str(fake.channel("news").id)
        posted.set_result(await publisher.publish(channel, Reply(title="Hello"), "hello-1"))

    task = asyncio.create_task(
        run_discord(commands, Settings.from_env(env), on_ready=on_ready, guild_ready_timeout=0.05)
    )
    try:
        message_id = await asyncio.wait_for(posted, 5)
        [session] = fake.identified_sessions
        assert (session.identify_payload or {})["shard"] == [0, 2]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert [m["id"] for m in fake.messages_in("news")] == [message_id]
