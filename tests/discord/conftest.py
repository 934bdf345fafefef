"""Fixtures for the Discord adapter tests: a real store holding the real seed article."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from bot.__main__ import ingest_configured
from bot.commands import Commands
from bot.config import AdminConfig
from bot.models import Article, PreparedArticle
from bot.store import Store


@pytest.fixture
async def seeded(store: Store, config: AdminConfig) -> Store:
    """The store with the Rutte seed article ingested (it becomes article #1)."""
    report = await ingest_configured(store, config)
    assert report.readable
    return store


@pytest.fixture
def commands(seeded: Store) -> Commands:
    return Commands(seeded)


async def add_article(store: Store, title: str, body: str, day: str = "2024-12-05") -> int:
    """Store one article directly (for sizes no seed file has) and return its id."""
    digest = hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()
    article = Article(title, dt.date.fromisoformat(day), body, f"test:{digest[:12]}", digest)
    [result] = await store.save_articles([PreparedArticle(article)])
    return result.article_id


@pytest.fixture
def simcord_bot(commands: Commands) -> object:
    """The bot under test for simcord's `simcord_env` fixture (global command scope)."""
    from bot.adapters.discord.app import NewsBot
    from bot.config import Settings

    return NewsBot(commands, Settings(discord_token="simcord"))
