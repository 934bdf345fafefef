"""The interfaces the core needs from the outside world.

Adapters implement them; the core never imports a platform library.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Pacing:
    """How fast a platform takes posts in one channel, as its publisher declares it.

    `per_channel_per_second` holds for each channel, which may take `channel_burst`
    posts at once first. None means the platform sets no such limit.
    """

    per_channel_per_second: float | None = None
    channel_burst: int = 1


class Publisher(Protocol):
    """Posts scheduled items to one platform's channels."""

    platform: str  # "console", "discord", "slack": the prefix of channel keys
    pacing: Pacing
    # Whether the platform itself drops a re-sent post with the same idempotency key
    # (Discord's nonce). When it cannot, delivery asks `find_post` before a re-send.
    deduplicates: bool

    async def publish(self, channel_id: str, post: Reply, idempotency_key: str) -> str:
        """Post and return the platform's message id.

        `idempotency_key` is the same on every retry of one delivery; the publisher
        attaches it to the post (as a nonce, or as metadata `find_post` can look for).
        Raise ChannelUnavailable or TemporaryFailure on failure.
        """
        ...

    async def find_post(self, channel_id: str, idempotency_key: str) -> str | None:
        """The message id of a post already made with this key, or None when there is none.

        Called before re-sending a post that may have gone out (a crash between send and
        record) on platforms that do not deduplicate. Raises like `publish`.
        """
        ...


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FetchError(Exception):
    """A URL could not be fetched. `status` is the HTTP status when there was one;
    `retry_after` the seconds the server asked us to wait (429, 503)."""

    def __init__(
        self, url: str, reason: str, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class Fetched:
    """A fetched resource. A 304 (not modified) has status 304 and no body."""

    url: str  # after redirects
    status: int
    body: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None


class Fetcher(Protocol):
    """Fetches web resources politely; an adapter implements it over an HTTP client."""

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> Fetched:
        """GET `url`, conditionally when `etag`/`last_modified` are given.
        Raise FetchError for anything but a 2xx or 304 answer."""
        ...
