"""End to end: the unmodified discord.py client running our bot against a local
fake of Discord's REST API and gateway (tests/support/fake_discord.py)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.adapters.discord.app import NewsBot, run_discord
from bot.adapters.discord.publisher import DiscordPublisher
from bot.commands import COMMANDS, Commands
from bot.config import Settings, SettingsError
from bot.models import Reply, ReplyItem
from bot.ports import ChannelUnavailable, TemporaryFailure
from tests.support.discord_client import fake_discord_env, running_client
from tests.support.fake_discord import (
    CALLBACK_AUTOCOMPLETE_RESULT,
    CALLBACK_CHANNEL_MESSAGE,
    CALLBACK_UPDATE_MESSAGE,
    PRIVILEGED_INTENTS,
    FakeDiscord,
)

GUILD_SYNC = r"/applications/\d+/guilds/\d+/commands"
GLOBAL_SYNC = r"/applications/\d+/commands"
POST_MESSAGE = r"/channels/\d+/messages"


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    # privileged intents off, as on a freshly created application
    async with fake_discord_env(privileged_intents_enabled=False) as fake:
        yield fake


def settings_for(fake: FakeDiscord, guild: bool = True) -> Settings:
    return Settings(discord_token=fake.token, discord_guild_id=fake.guild.id if guild else None)


def make_bot(commands: Commands, settings: Settings, **options: Any) -> NewsBot:
    return NewsBot(commands, settings, guild_ready_timeout=0.05, **options)


@pytest.fixture
async def bot(fake: FakeDiscord, commands: Commands) -> AsyncIterator[NewsBot]:
    client = make_bot(commands, settings_for(fake))
    async with running_client(client, fake.token):
        yield client


async def test_login_syncs_news_to_the_guild_with_default_intents(
    fake: FakeDiscord, bot: NewsBot
) -> None:
    [news] = fake.guild_commands()
    assert news["name"] == "news"
    assert [o["name"] for o in news["options"]] == [spec.name for spec in COMMANDS]
    assert len(fake.requests_matching("PUT", GUILD_SYNC)) == 1
    assert bot.synced is True
    [session] = fake.identified_sessions
    assert session.intents & PRIVILEGED_INTENTS == 0


async def test_second_start_skips_an_unchanged_sync(fake: FakeDiscord, commands: Commands) -> None:
    for expected_puts in (1, 1):
        client = make_bot(commands, settings_for(fake))
        async with running_client(client, fake.token):
            pass
        assert len(fake.requests_matching("PUT", GUILD_SYNC)) == expected_puts
    assert client.synced is False
    changed = make_bot(commands, settings_for(fake), specs=COMMANDS[:-1])
    async with running_client(changed, fake.token):
        pass
    assert len(fake.requests_matching("PUT", GUILD_SYNC)) == 2
    assert fake.requests_matching("PUT", GLOBAL_SYNC) == []


async def test_without_a_guild_id_commands_are_synced_globally(
    fake: FakeDiscord, commands: Commands
) -> None:
    client = make_bot(commands, settings_for(fake, guild=False))
    async with running_client(client, fake.token):
        pass
    assert [c["name"] for c in fake.global_commands()] == ["news"]
    assert fake.guild_commands() == []


async def test_search_interaction_is_answered_with_the_rutte_article(
    fake: FakeDiscord, bot: NewsBot
) -> None:
    interaction = await fake.send_slash_command(
        "news search", {"query": "air defense"}, channel="news", user="bob"
    )
    response = await fake.wait_for_response(interaction)
    assert response["type"] == CALLBACK_CHANNEL_MESSAGE
    [embed] = response["data"]["embeds"]
    assert embed["title"] == "Search: “air defense”"
    [field] = embed["fields"]
    assert "Rutte: Putin Shows No Interest in Peace" in field["name"]
    [posted] = fake.messages_in("news")
    assert posted["interaction_metadata"]["id"] == str(interaction.id)


async def test_autocomplete_and_paging_through_the_fake(fake: FakeDiscord, bot: NewsBot) -> None:
    typing = await fake.send_autocomplete("news article", "article", {"article": "rutte"})
    response = await fake.wait_for_response(typing)
    assert response["type"] == CALLBACK_AUTOCOMPLETE_RESULT
    [choice] = response["data"]["choices"]
    assert choice["value"] == "1" and choice["name"].startswith("#1 Rutte")

    # A person cannot click before the bot has finished answering; wait for that too.
    answered = asyncio.ensure_future(bot.wait_for("app_command_completion", timeout=5))
    command = await fake.send_slash_command("news article", {"article": "1"}, user="bob")
    first = await fake.wait_for_response(command)
    await answered
    buttons = first["data"]["components"][0]["components"]
    next_id = next(b["custom_id"] for b in buttons if b["label"] == "Next")
    click = await fake.click_button(next_id, user="bob")
    turned = await fake.wait_for_response(click)
    assert turned["type"] == CALLBACK_UPDATE_MESSAGE
    assert "page 2 of 2" in turned["data"]["embeds"][0]["footer"]["text"]


async def test_publisher_posts_once_per_idempotency_key(fake: FakeDiscord, bot: NewsBot) -> None:
    post = Reply(title="Morning digest", items=(ReplyItem("Rutte", "NATO chief", article_id=1),))
    channel = str(fake.channel("news").id)
    first = await bot.publisher.publish(channel, post, "digest-2024-12-04")
    again = await bot.publisher.publish(f"discord:{channel}", post, "digest-2024-12-04")
    assert first == again
    [posted] = fake.messages_in("news")
    assert posted["id"] == first
    assert posted["embeds"][0]["title"] == "Morning digest"
    [request, _] = fake.requests_matching("POST", POST_MESSAGE)
    assert request.json["nonce"] == "digest-2024-12-04" and request.json["enforce_nonce"] is True


async def test_a_429_is_waited_out_without_a_duplicate_post(
    fake: FakeDiscord, bot: NewsBot
) -> None:
    fake.fail_next(POST_MESSAGE, 429, retry_after=0.2, method="POST")
    loop = asyncio.get_running_loop()
    started = loop.time()
    await bot.publisher.publish(str(fake.channel("alerts").id), Reply(title="Alert"), "alert-1")
    assert loop.time() - started >= 0.2
    assert len(fake.messages_in("alerts")) == 1
    statuses = [r.status for r in fake.requests_matching("POST", POST_MESSAGE)]
    assert statuses == [429, 200]


async def test_a_forbidden_channel_is_unavailable(fake: FakeDiscord, bot: NewsBot) -> None:
    with pytest.raises(ChannelUnavailable) as refused:
        await bot.publisher.publish(str(fake.channel("read-only").id), Reply(title="x"), "k1")
    assert "Missing Permissions" in refused.value.reason
    assert "code 50013" in refused.value.reason and "HTTP 403" in refused.value.reason
    fake.fail_next(POST_MESSAGE, 404, method="POST")
    with pytest.raises(ChannelUnavailable, match="Unknown Channel"):
        await bot.publisher.publish(str(fake.channel("news").id), Reply(title="x"), "k2")
    with pytest.raises(ChannelUnavailable, match="Unknown channel 123"):
        await bot.publisher.publish("123", Reply(title="x"), "k3")
    with pytest.raises(ChannelUnavailable, match="not a Discord channel id"):
        await bot.publisher.publish("slack:C123", Reply(title="x"), "k4")
    assert fake.all_messages() == []


async def test_run_discord_hands_the_publisher_to_on_ready(
    fake: FakeDiscord, commands: Commands
) -> None:
    posted: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def on_ready(publisher: DiscordPublisher) -> None:
        channel = str(fake.channel("news").id)
        posted.set_result(await publisher.publish(channel, Reply(title="Hello"), "hello-1"))

    task = asyncio.create_task(
        run_discord(commands, settings_for(fake), on_ready=on_ready, guild_ready_timeout=0.05)
    )
    try:
        message_id = await asyncio.wait_for(posted, 5)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert [m["id"] for m in fake.messages_in("news")] == [message_id]


async def test_run_discord_reports_a_rejected_token(fake: FakeDiscord, commands: Commands) -> None:
    with pytest.raises(SettingsError, match="DISCORD_TOKEN"):
        await run_discord(commands, Settings(discord_token="not-the-token"))


async def test_a_long_rate_limit_is_a_temporary_failure_to_retry_later(
    fake: FakeDiscord, bot: NewsBot
) -> None:
    fake.fail_next(POST_MESSAGE, 429, retry_after=120, method="POST")
    with pytest.raises(TemporaryFailure) as later:
        await bot.publisher.publish(str(fake.channel("news").id), Reply(title="x"), "k5")
    assert later.value.retry_after is not None and later.value.retry_after >= 100
    assert fake.messages_in("news") == []


HOSTILE_TITLE = "[click](https://evil.example) @everyone ||spoiler||"
DAY = dt.date(2024, 12, 4)


async def test_posted_article_text_is_escaped_and_pings_no_one(
    fake: FakeDiscord, bot: NewsBot
) -> None:
    post = Reply(
        title=HOSTILE_TITLE,
        text="• `rm -rf` and @here # not a heading",
        items=(ReplyItem.matched("**Loud** title", "see \x02NATO\x03 <@&1> _now_", 1, DAY),),
    )
    await bot.publisher.publish(str(fake.channel("news").id), post, "hostile-1")
    [request] = fake.requests_matching("POST", POST_MESSAGE)
    assert request.json["allowed_mentions"] == {"parse": []}
    [embed] = request.json["embeds"]
    no_ping = "@\u200b"  # discord.py's escape_mentions: @everyone no longer pings
    assert embed["title"] == (
        r"\[click](https://evil.example) " + no_ping + r"everyone \|\|spoiler\|\|"
    )
    assert embed["description"] == r"• \`rm -rf\` and " + no_ping + "here # not a heading"
    [field] = embed["fields"]
    assert field["name"] == r"#1 · 2024-12-04 · \*\*Loud\*\* title"
    assert field["value"].startswith(r"see **NATO** <@&1> \_now\_")  # the match stays bold
