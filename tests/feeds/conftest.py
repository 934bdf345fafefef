"""Fixtures for feed tests: the local feed server and a fetcher pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.http import AiohttpFetcher
from tests.conftest import SHARED_DATA
from tests.support.feed_server import FeedServer

CAPTURES = SHARED_DATA / "feeds"
CONTACT = "https://example.org/newsbot-admin"

needs_captures = pytest.mark.skipif(
    not CAPTURES.is_dir(), reason="the real feed captures (../shared/data/feeds) are absent"
)


def capture_names() -> list[str]:
    if not CAPTURES.is_dir():
        return []
    return sorted(
        p.name for p in CAPTURES.iterdir() if p.suffix in (".xml", ".json") and p.is_file()
    )


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer(captures=CAPTURES if CAPTURES.is_dir() else None) as running:
        yield running


@pytest.fixture
async def fetcher() -> AsyncIterator[AiohttpFetcher]:
    async with AiohttpFetcher(contact=CONTACT, timeout_seconds=2, max_bytes=2_000_000) as f:
        yield f


def capture(name: str) -> bytes:
    return Path(CAPTURES / name).read_bytes()
