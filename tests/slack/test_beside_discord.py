"""Discord and Slack in one process, as `newsbot run` starts them when both have
secrets: each answers its own commands, and the scheduler posts to both."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

from bot.__main__ import ingest_configured, run_all, start_platforms
from bot.commands import Commands
from bot.config import Settings, load_config
from bot.delivery import Delivery
from bot.scheduler import NewsScheduler
from bot.store import Store
from tests.support.discord_client import fake_discord_env
from tests.support.fake_discord import CALLBACK_CHANNEL_MESSAGE
from tests.support.fake_slack import FakeSlack

from .conftest import SLACK_CONFIG


async def test_discord_and_slack_run_side_by_side(
    store: Store, write_config: Callable[[str], Path]
) -> None:
    async with fake_discord_env() as discord, FakeSlack() as slack:
        news = discord.channel("news").id
        config = load_config(
            write_config(
                SLACK_CONFIG + f'[[subscriptions]]\nchannel = "discord:{news}"\nbackfill = 1\n'
                '[[subscriptions]]\nchannel = "slack:CNEWS0001"\nbackfill = 1\n'
            )
        )
        settings = Settings(
            discord_token=discord.token,
            discord_guild_id=discord.guild.id,
            slack_bot_token=slack.bot_token,
            slack_app_token=slack.app_token,
            slack_api_url=slack.api_url,
        )
        assert settings.platforms == ["discord", "slack"]
        await ingest_configured(store, config)
        delivery = Delivery(store, config, {})
        await delivery.sync_config(config.subscriptions)
        async with NewsScheduler(delivery, config) as scheduler:
            commands = Commands(store, delivery=delivery)
            task = asyncio.create_task(
                run_all(start_platforms(commands, settings, config, delivery, scheduler))
            )
            try:
                # The scheduler posts the backfilled article to both, once each is connected.
                [on_slack] = await slack.wait_for(lambda: slack.messages_in("CNEWS0001"), 20)
                for _ in range(200):
                    if discord.messages_in("news"):
                        break
                    await asyncio.sleep(0.05)
                [on_discord] = discord.messages_in("news")
                assert on_slack["blocks"][0]["text"]["text"].startswith("Rutte: Putin")
                assert on_discord["embeds"][0]["title"].startswith("Rutte: Putin")

                envelope = await slack.slash("latest")
                answer = await slack.wait_for_response(envelope)
                assert answer["blocks"][0]["text"]["text"] == "Latest news"
                interaction = await discord.send_slash_command(
                    "news latest", {}, channel="news", user="bob"
                )
                response = await discord.wait_for_response(interaction)
                assert response["type"] == CALLBACK_CHANNEL_MESSAGE
                assert response["data"]["embeds"][0]["title"] == "Latest news"
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        assert set(delivery.publishers) == {"discord", "slack"}
