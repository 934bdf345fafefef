"""The interfaces the core needs from the outside world.

Adapters implement them; the core never imports a platform library.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from bot.models import Reply


class PublishError(Exception):
    """A post could not be delivered. Adapters map their platform's errors to these."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ChannelUnavailable(PublishError):
    """The channel is gone or the bot may not post there (403, 404): retrying won't help."""


class TemporaryFailure(PublishError):
    """Rate limit, server error or network trouble: try again after `retry_after` seconds."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Publisher(Protocol):
    """Posts scheduled items to one platform's channels."""

    platform: str  # "console", "discord", "slack": the prefix of channel keys

    async def publish(self, channel_id: str, post: Reply, idempotency_key: str) -> str:
        """Post and return the platform's message id.

        `idempotency_key` (<= 25 chars) is the same on every retry of one delivery;
        platforms that support it (Discord's nonce) use it to drop a repeat.
        Raise ChannelUnavailable or TemporaryFailure on failure.
        """
        ...


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)
