"""The Fetcher port over aiohttp: polite, bounded HTTP GETs for feeds and article pages.

Politeness and bounds live here, once: a User-Agent naming newsbot and the admin's
contact, conditional GETs, gzip, a timeout, a size cap on the decoded body (read as a
stream, so a 50 MB answer is cut at the cap), at most MAX_REDIRECTS redirects, never
two requests to one host at once, and no request at all to a host whose Retry-After
(on a 429 or 503) has not run out, whichever feed or page asks. aiohttp's errors become
the core's FetchError here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
from collections import defaultdict
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import aiohttp

from bot.ports import Fetched, FetchError

MAX_REDIRECTS = 4
CHUNK_BYTES = 65_536
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9,"
    " application/xml;q=0.9, text/xml;q=0.8, text/html;q=0.7, */*;q=0.5"
)


def user_agent(contact: str) -> str:
    return f"newsbot/0.1 (+{contact})" if contact else "newsbot/0.1"


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Retry-After as seconds: a number of seconds, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max((when - (now or dt.datetime.now(dt.UTC))).total_seconds(), 0.0)


class AiohttpFetcher:
    """Open with `async with AiohttpFetcher(...) as fetcher`; it owns its session."""

    def __init__(self, *, contact: str = "", timeout_seconds: float = 20, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self.headers = {"User-Agent": user_agent(contact), "Accept": ACCEPT}
        self._session: aiohttp.ClientSession | None = None
        self._host_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._host_free_at: dict[str, float] = {}  # event-loop time a host's Retry-After ends

    async def __aenter__(self) -> Self:
        self._session = aiohttp.ClientSession(headers=self.headers, timeout=self.timeout)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> Fetched:
        assert self._session is not None, "use AiohttpFetcher in `async with`"
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        host = (urlsplit(url).hostname or "").casefold()
        async with self._host_locks[host]:
            now = asyncio.get_running_loop().time()
            if (wait := self._host_free_at.get(host, now) - now) > 0:
                raise FetchError(url, f"{host} asked us to wait (Retry-After)", None, wait)
            try:
                return await self._get(self._session, url, headers)
            except FetchError as exc:
                if exc.retry_after:
                    self._host_free_at[host] = now + exc.retry_after
                raise
            except aiohttp.TooManyRedirects:
                raise FetchError(url, f"more than {MAX_REDIRECTS} redirects") from None
            except TimeoutError as exc:
                raise FetchError(url, f"no answer within {self.timeout.total:.0f} seconds") from exc
            except aiohttp.InvalidURL as exc:
                raise FetchError(url, f"invalid address ({exc})") from exc
            except aiohttp.ClientError as exc:
                raise FetchError(url, f"{type(exc).__name__}: {exc}") from exc

    async def _get(
        self, session: aiohttp.ClientSession, url: str, headers: dict[str, str]
    ) -> Fetched:
        async with session.get(url, headers=headers, max_redirects=MAX_REDIRECTS) as response:
            final = str(response.url)
            if response.status == 304:
                return Fetched(final, 304)
            if not 200 <= response.status < 300:
                raise FetchError(
                    url,
                    f"HTTP {response.status} {response.reason or ''}".strip(),
                    response.status,
                    retry_after_seconds(response.headers.get("Retry-After")),
                )
            if (response.content_length or 0) > self.max_bytes:
                raise FetchError(url, self._too_big(), response.status)
            body = bytearray()
            async for chunk in response.content.iter_chunked(CHUNK_BYTES):
                body += chunk
                if len(body) > self.max_bytes:
                    raise FetchError(url, self._too_big(), response.status)
            return Fetched(
                url=final,
                status=response.status,
                body=bytes(body),
                content_type=response.headers.get("Content-Type", ""),
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
            )

    def _too_big(self) -> str:
        return f"the response is larger than the {self.max_bytes:,}-byte limit (fetch.max_bytes)"
