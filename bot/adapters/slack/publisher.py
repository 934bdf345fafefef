"""SlackPublisher: posts scheduled replies to Slack channels (bot.ports.Publisher).

Slack has no nonce, so each post carries message metadata naming its delivery
(`newsbot_post` with the post key); `find_post` looks for it in the channel's
recent history, which delivery asks before re-sending a post an earlier run may
have sent. Slack's errors are mapped once, here, keeping the cause:
- `channel_not_found`, `is_archived`, `not_in_channel` (when joining did not help)
  -> ChannelUnavailable: the subscription pauses with the reason
- 429 `ratelimited` (with its Retry-After), 5xx, network trouble -> TemporaryFailure
- anything else (say `invalid_blocks`) -> PublishError: a bug here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.render import render_message
from bot.models import Reply
from bot.ports import ChannelUnavailable, Pacing, PublishError, TemporaryFailure

log = logging.getLogger(__name__)

PLATFORM = "slack"
# chat.postMessage: about one message a second per channel, short bursts allowed.
PACING = Pacing(per_channel_per_second=1.0, channel_burst=3)
POST_EVENT = "newsbot_post"
HISTORY_PAGE = 200
HISTORY_PAGES = 5  # a re-send follows its crash within hours: 1,000 messages back is plenty
CHANNEL_ERRORS = {
    "channel_not_found": "Unknown channel {channel} (deleted, or private without newsbot)",
    "is_archived": "Channel {channel} is archived",
    "not_in_channel": "newsbot is not in channel {channel}; invite it with /invite @newsbot",
    "restricted_action": "newsbot may not post in channel {channel} (workspace settings)",
}
TEMPORARY_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable"}
INVITE = "invite it with /invite @newsbot"


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return str(value)
    return None


def map_api_error(channel_id: str, exc: SlackApiError) -> PublishError:
    """Our error for a failed Slack call (the caller raises it `from exc`)."""
    response = exc.response
    error = str(response.get("error") or f"HTTP {response.status_code}")
    if error in CHANNEL_ERRORS:
        return ChannelUnavailable(f"{CHANNEL_ERRORS[error].format(channel=channel_id)} ({error})")
    if response.status_code == 429 or response.status_code >= 500 or error in TEMPORARY_ERRORS:
        retry_after = _header(response.headers, "Retry-After")
        return TemporaryFailure(
            f"Slack is unavailable for channel {channel_id}: {error}",
            float(retry_after) if retry_after else None,
        )
    return PublishError(f"Slack rejected the post to channel {channel_id}: {error}")


class SlackPublisher:
    """Posts a Reply as Block Kit; channel ids are Slack ids ("C0123" or "slack:C0123")."""

    platform = PLATFORM
    pacing = PACING
    deduplicates = False  # Slack has no nonce: delivery asks find_post before a re-send

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def publish(self, channel_id: str, post: Reply, idempotency_key: str) -> str:
        """Post `post` with metadata naming the delivery; the message's `ts` is its id."""
        channel = channel_id.removeprefix(f"{PLATFORM}:")
        message = render_message(post)
        metadata = {"event_type": POST_EVENT, "event_payload": {"post_key": idempotency_key}}
        try:
            try:
                response = await self.client.chat_postMessage(
                    channel=channel, metadata=metadata, unfurl_links=False, **message.as_kwargs()
                )
            except SlackApiError as exc:
                # A public channel newsbot was never added to: join it and post once more.
                if exc.response.get("error") != "not_in_channel" or await self.join(channel):
                    raise
                response = await self.client.chat_postMessage(
                    channel=channel, metadata=metadata, unfurl_links=False, **message.as_kwargs()
                )
        except SlackApiError as exc:
            raise map_api_error(channel, exc) from exc
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise TemporaryFailure(
                f"Network trouble posting to channel {channel}: {exc!r}"
            ) from exc
        log.info("posted %s to slack channel %s as %s", idempotency_key, channel, response["ts"])
        return str(response["ts"])

    async def find_post(self, channel_id: str, idempotency_key: str) -> str | None:
        """The `ts` of a message in the channel's recent history carrying this key."""
        channel = channel_id.removeprefix(f"{PLATFORM}:")
        cursor: str | None = None
        try:
            for _ in range(HISTORY_PAGES):
                page = await self.client.conversations_history(
                    channel=channel, include_all_metadata=True, limit=HISTORY_PAGE, cursor=cursor
                )
                messages: list[Mapping[str, Any]] = page.get("messages") or []
                for message in messages:
                    if _post_key(message) == idempotency_key:
                        return str(message["ts"])
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not page.get("has_more") or not cursor:
                    return None
        except SlackApiError as exc:
            raise map_api_error(channel, exc) from exc
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise TemporaryFailure(f"Network trouble reading channel {channel}: {exc!r}") from exc
        return None

    async def join(self, channel_id: str) -> str | None:
        """Join a public channel; None when newsbot is (now) in it, else why it cannot be."""
        channel = channel_id.removeprefix(f"{PLATFORM}:")
        try:
            found = (await self.client.conversations_info(channel=channel))["channel"]
            if found.get("is_member"):
                return None
            if found.get("is_archived"):
                return "This channel is archived, so newsbot cannot post here."
            if found.get("is_private") or found.get("is_im") or found.get("is_mpim"):
                return f"newsbot cannot join a private conversation by itself: {INVITE}."
            await self.client.conversations_join(channel=channel)
        except SlackApiError as exc:
            error = exc.response.get("error")
            log.warning("could not join slack channel %s: %s", channel, error)
            if error == "channel_not_found":
                return f"newsbot cannot see this channel (private?): {INVITE}."
            return f"newsbot could not join this channel ({error}): {INVITE}."
        log.info("joined slack channel %s", channel)
        return None


def _post_key(message: Mapping[str, Any]) -> str | None:
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != POST_EVENT:
        return None
    key = (metadata.get("event_payload") or {}).get("post_key")
    return str(key) if key is not None else None
