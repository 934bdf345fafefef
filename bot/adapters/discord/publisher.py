"""DiscordPublisher: posts scheduled replies to Discord channels (bot.ports.Publisher).

Discord's errors are mapped once, here, keeping the cause:
- 403 Forbidden / 404 Not Found, an unknown or non-text channel -> ChannelUnavailable
- 429 that discord.py would not wait out, 5xx after discord.py's own retries,
  network trouble -> TemporaryFailure (with `retry_after` when Discord gave one)
- any other 4xx (a request Discord rejects as invalid) -> PublishError: a bug here.

The idempotency key travels as the message nonce with `enforce_nonce` (discord.py
sets it whenever a nonce is given), so a retry within Discord's dedupe window
returns the first message instead of posting twice.
"""

from __future__ import annotations

import logging

import aiohttp
import discord

from bot.adapters.discord.render import nonce_for, render_embeds
from bot.models import Reply
from bot.ports import ChannelUnavailable, Pacing, PublishError, TemporaryFailure

log = logging.getLogger(__name__)

PLATFORM = "discord"


def _describe(exc: discord.HTTPException) -> str:
    return f"{exc.text or exc.response.reason} (Discord code {exc.code}, HTTP {exc.status})"


def map_http_error(channel_id: int, exc: discord.HTTPException) -> PublishError:
    """Our error for a failed Discord request (the caller raises it `from exc`)."""
    if isinstance(exc, discord.Forbidden):
        return ChannelUnavailable(
            f"No permission to post in channel {channel_id}: {_describe(exc)}"
        )
    if isinstance(exc, discord.NotFound):
        return ChannelUnavailable(f"Unknown channel {channel_id}: {_describe(exc)}")
    if exc.status == 429 or exc.status >= 500:
        retry_after = exc.response.headers.get("Retry-After") if exc.response else None
        return TemporaryFailure(
            f"Discord is unavailable for channel {channel_id}: {_describe(exc)}",
            float(retry_after) if retry_after else None,
        )
    return PublishError(f"Discord rejected the post to channel {channel_id}: {_describe(exc)}")


class DiscordPublisher:
    """Posts a Reply as embeds; channel ids are Discord snowflakes ("123" or "discord:123")."""

    platform = PLATFORM
    # Discord's limit across channels is kept on every request (pace.py), and each
    # channel's own limit by discord.py from the X-RateLimit headers.
    pacing = Pacing()
    deduplicates = True  # the nonce with enforce_nonce returns the first message

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def _channel(self, channel_id: int) -> discord.abc.Messageable:
        channel = self.client.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.client.fetch_channel(channel_id)
            except discord.NotFound as exc:
                raise ChannelUnavailable(f"Unknown channel {channel_id}") from exc
            except discord.HTTPException as exc:
                raise map_http_error(channel_id, exc) from exc
        if not isinstance(channel, discord.abc.Messageable):
            raise ChannelUnavailable(f"Channel {channel_id} cannot receive messages")
        return channel

    async def publish(self, channel_id: str, post: Reply, idempotency_key: str) -> str:
        """Post `post` to the channel and return the message id."""
        raw = channel_id.removeprefix(f"{PLATFORM}:")
        if not raw.isdigit():
            raise ChannelUnavailable(f"Unknown channel {channel_id!r} (not a Discord channel id)")
        number = int(raw)
        try:
            channel = await self._channel(number)
            message = await channel.send(
                embeds=render_embeds(post), nonce=nonce_for(idempotency_key)
            )
        except discord.RateLimited as exc:
            raise TemporaryFailure(
                f"Rate limited posting to channel {number}", exc.retry_after
            ) from exc
        except discord.HTTPException as exc:
            raise map_http_error(number, exc) from exc
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise TemporaryFailure(f"Network trouble posting to channel {number}: {exc!r}") from exc
        log.info(
            "posted %s to discord channel %s as message %s", idempotency_key, number, message.id
        )
        return str(message.id)

    async def find_post(self, channel_id: str, idempotency_key: str) -> str | None:
        return None  # never asked: Discord drops a repeated nonce itself
