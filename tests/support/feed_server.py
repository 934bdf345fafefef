"""A local web server for feed tests: the real captures, feeds a test edits, and the
ways publishers' servers misbehave (HTML instead of a feed, truncated XML, a 50 MB
answer, a redirect loop, 404, 500, 429 with Retry-After, a stall, a wrong type).

Every feed answer carries an ETag and Last-Modified and honours a conditional GET.
The server counts requests per path and the most requests it ever served at once.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

from aiohttp import web

LAST_MODIFIED = "Tue, 01 Dec 2026 10:00:00 GMT"
HUGE_BYTES = 50 * 1024 * 1024
STALL_SECONDS = 30

TYPES = {".xml": "application/rss+xml", ".json": "application/feed+json", ".html": "text/html"}

TRUNCATED_XML = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Cut</title>
<item><title>Whole item</title><link>https://example.org/whole</link>
<description>This item arrived in full before the connection dropped.</description></item>
<item><title>Cut item</title><link>https://exa"""


@dataclass
class FeedServer:
    captures: Path | None = None
    # path -> (body, content type) of documents a test sets and edits
    documents: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)
    user_agents: list[str] = field(default_factory=list)
    active: int = 0
    most_active: int = 0
    delay: float = 0.0  # seconds each answer waits, to observe concurrency
    conditional: bool = True  # False: ignore If-None-Match, like many real servers
    gzipped: int = 0  # answers sent gzip-compressed
    base: str = ""

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_get("/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._runner.cleanup()

    def url(self, path: str) -> str:
        return f"{self.base}/{path}"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        self.hits[path] += 1
        self.user_agents.append(request.headers.get("User-Agent", ""))
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            return await self._answer(request, path)
        finally:
            self.active -= 1

    async def _answer(self, request: web.Request, path: str) -> web.StreamResponse:
        if path in self.documents:
            body, kind = self.documents[path]
            return self._document(request, body, kind)
        if path.startswith("capture/") and self.captures is not None:
            file = self.captures / path.removeprefix("capture/")
            if file.is_file():
                return self._document(
                    request, file.read_bytes(), TYPES.get(file.suffix, "text/plain")
                )
        special = {
            "bad/html": lambda: web.Response(
                body=b"<!DOCTYPE html><html><head><title>News</title></head><body>Hi</body></html>",
                content_type="text/html",
            ),
            "bad/truncated": lambda: web.Response(body=TRUNCATED_XML, content_type="text/xml"),
            "bad/404": lambda: web.Response(status=404, text="not found"),
            "bad/500": lambda: web.Response(status=500, text="boom"),
            "bad/410": lambda: web.Response(status=410, text="gone"),
            "bad/429": lambda: web.Response(status=429, headers={"Retry-After": "7200"}),
            "bad/loop": lambda: web.HTTPFound("/bad/loop2"),
            "bad/loop2": lambda: web.HTTPFound("/bad/loop"),
            "bad/redirect": lambda: web.HTTPMovedPermanently("/capture/rss2-bbc-urdu.xml"),
        }
        if path in special:
            answer = special[path]()
            if isinstance(answer, web.HTTPException):
                raise answer
            return answer
        if path == "bad/huge":
            return await _huge(request)
        if path == "bad/stall":
            await asyncio.sleep(STALL_SECONDS)
            return web.Response(text="too late")
        if path.startswith("wrongtype/") and self.captures is not None:
            file = self.captures / path.removeprefix("wrongtype/")
            return web.Response(body=file.read_bytes(), content_type="text/html")
        return web.Response(status=404, text="no such test document")

    def _document(self, request: web.Request, body: bytes, kind: str) -> web.Response:
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if self.conditional and request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        headers = {"ETag": etag, "Last-Modified": LAST_MODIFIED, "Content-Type": kind}
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            headers["Content-Encoding"] = "gzip"
            body = gzip.compress(body)
            self.gzipped += 1
        return web.Response(body=body, headers=headers)


async def _huge(request: web.Request) -> web.StreamResponse:
    """50 MB of feed-looking bytes, streamed with no Content-Length (chunked)."""
    response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
    await response.prepare(request)
    chunk = b"<item><title>x</title></item>" * 2048
    sent = 0
    try:
        while sent < HUGE_BYTES:
            await response.write(chunk)
            sent += len(chunk)
    except (ConnectionResetError, RuntimeError):
        pass  # the client hung up at its cap, as it should
    return response
