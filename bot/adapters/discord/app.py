"""Start the Discord bot: one client, the `/news` tree, command sync, the publisher.

`run_discord(commands, settings, on_ready=...)` logs in with settings.discord_token,
syncs `/news` to one guild (settings.discord_guild_id: instant, for testing) or
globally, and runs until cancelled. The sync happens only when the tree changed:
a hash of the command payloads is kept in the `meta` table per application and
scope, because Discord rate-limits command updates hard. With DISCORD_SHARD_COUNT
set the client is discord.py's AutoShardedClient, connecting this process's shards;
only the process holding shard 0 syncs, so several processes don't all re-register.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot.adapters.discord.pace import paced_requests
from bot.adapters.discord.publisher import DiscordPublisher
from bot.adapters.discord.tree import NewsTree, build_news_group
from bot.commands import COMMANDS, Commands, CommandSpec
from bot.config import Settings, SettingsError
from bot.store.ports import Meta, SharedPace

log = logging.getLogger(__name__)

OnReady = Callable[[DiscordPublisher], Awaitable[None]]

# discord.py waits out a 429 by itself; longer than this and it raises instead,
# so a scheduled post is retried later rather than holding up everything.
MAX_RATELIMIT_WAIT = 30.0


def bot_intents() -> discord.Intents:
    """Default intents: nothing privileged (no members, presences or message content)."""
    return discord.Intents.default()


def sync_scope_key(application_id: int | None, guild_id: int | None) -> str:
    scope = f"guild:{guild_id}" if guild_id else "global"
    return f"discord.commands:{application_id}:{scope}"


def tree_hash(tree: discord.app_commands.CommandTree[Any], guild_id: int | None) -> str:
    """A stable hash of the JSON Discord would receive for the scope's commands."""
    guild = discord.Object(guild_id) if guild_id else None
    payload = sorted(
        (command.to_dict(tree) for command in tree.get_commands(guild=guild)),
        key=lambda command: str(command.get("name")),
    )
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


async def sync_if_changed(
    tree: discord.app_commands.CommandTree[Any],
    store: Meta,
    application_id: int | None,
    guild_id: int | None,
) -> bool:
    """Sync the scope's commands unless the same tree was synced before; True if synced."""
    key = sync_scope_key(application_id, guild_id)
    digest = tree_hash(tree, guild_id)
    if await store.get_meta(key) == digest:
        log.info("discord commands unchanged (%s); not syncing", key)
        return False
    synced = await tree.sync(guild=discord.Object(guild_id) if guild_id else None)
    await store.set_meta(key, digest)
    log.info("synced %d discord command(s) (%s)", len(synced), key)
    return True


class NewsBot(discord.Client):
    """The Discord client: `/news` commands answered through `Commands`."""

    def __init__(
        self,
        commands: Commands,
        settings: Settings,
        *,
        on_ready: OnReady | None = None,
        specs: Sequence[CommandSpec] = COMMANDS,
        pace: SharedPace | None = None,
        **options: Any,
    ) -> None:
        options.setdefault("max_ratelimit_timeout", MAX_RATELIMIT_WAIT)
        # `pace` is shared with the bot's other processes; without one the process keeps
        # its own.
        options.setdefault("http_trace", paced_requests(pace))
        # Nothing newsbot posts may ping anyone, whatever an article says.
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())
        super().__init__(intents=bot_intents(), **options)
        self.commands = commands
        self.guild_id = settings.discord_guild_id
        self.tree = NewsTree(self)
        self.tree.add_command(
            build_news_group(commands, specs),
            guild=discord.Object(self.guild_id) if self.guild_id else None,
        )
        self.publisher = DiscordPublisher(self)
        self.syncs_commands = 0 in (settings.discord_shard_ids or (0,))
        self.synced: bool | None = None  # whether the last start synced commands
        self._on_ready_hook = on_ready
        self._ready_announced = False

    async def setup_hook(self) -> None:
        if not self.syncs_commands:
            log.info("discord commands are synced by the process holding shard 0")
            return
        self.synced = await sync_if_changed(
            self.tree, self.commands.store, self.application_id, self.guild_id
        )

    async def on_ready(self) -> None:
        log.info("discord: logged in as %s in %d guild(s)", self.user, len(self.guilds))
        # on_ready fires again after a full reconnect; the hook runs once.
        if self._on_ready_hook is not None and not self._ready_announced:
            self._ready_announced = True
            await self._on_ready_hook(self.publisher)


class ShardedNewsBot(NewsBot, discord.AutoShardedClient):
    """NewsBot connecting the shards given by DISCORD_SHARD_COUNT and DISCORD_SHARD_IDS."""


def make_news_bot(commands: Commands, settings: Settings, **options: Any) -> NewsBot:
    """A plain client, or a sharded one when the settings name a shard count."""
    if settings.discord_shard_count is None:
        return NewsBot(commands, settings, **options)
    ids = list(settings.discord_shard_ids) if settings.discord_shard_ids is not None else None
    return ShardedNewsBot(
        commands, settings, shard_count=settings.discord_shard_count, shard_ids=ids, **options
    )


async def run_discord(
    commands: Commands,
    settings: Settings,
    *,
    on_ready: OnReady | None = None,
    **client_options: Any,
) -> None:
    """Run the Discord bot until cancelled (or closed).

    `on_ready(publisher)` is awaited once, when the bot is first connected: the
    scheduler starts posting through the DiscordPublisher from there.
    """
    if not settings.discord_token:
        raise SettingsError("DISCORD_TOKEN is not set")
    bot = make_news_bot(commands, settings, on_ready=on_ready, **client_options)
    async with bot:
        try:
            await bot.start(settings.discord_token)
        except discord.LoginFailure as exc:
            raise SettingsError(
                "Discord rejected DISCORD_TOKEN; copy the bot token again from the "
                "Developer Portal (Bot > Reset Token)"
            ) from exc
