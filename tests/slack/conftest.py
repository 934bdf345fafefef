"""Fixtures for the Slack tests: the real slack-bolt app in Socket Mode against FakeSlack,
on a real store holding the real seed article (#1)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.__main__ import ingest_configured
from bot.adapters.slack.app import run_slack
from bot.adapters.slack.publisher import SlackPublisher
from bot.commands import Commands
from bot.config import AdminConfig, Settings, load_config
from bot.delivery import Delivery
from bot.models import Article, PreparedArticle
from bot.store import Store
from tests.support.fake_slack import FakeSlack

SLACK_CONFIG = """
[slack]
admin_users = ["UCONF0001"]
admin_group = "SEDITORS1"
"""


@pytest.fixture
def slack_config(write_config: Callable[[str], Path]) -> AdminConfig:
    return load_config(write_config(SLACK_CONFIG))


@pytest.fixture
async def seeded(store: Store, slack_config: AdminConfig) -> Store:
    report = await ingest_configured(store, slack_config)
    assert report.readable
    return store


@pytest.fixture
def delivery(seeded: Store, slack_config: AdminConfig) -> Delivery:
    return Delivery(seeded, slack_config, {})


@pytest.fixture
def commands(seeded: Store, delivery: Delivery) -> Commands:
    return Commands(seeded, delivery=delivery)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as running:
        yield running


def settings_for(fake: FakeSlack) -> Settings:
    return Settings(
        slack_bot_token=fake.bot_token, slack_app_token=fake.app_token, slack_api_url=fake.api_url
    )


@pytest.fixture
async def publisher(
    fake: FakeSlack, commands: Commands, slack_config: AdminConfig, delivery: Delivery
) -> AsyncIterator[SlackPublisher]:
    """`run_slack` connected to the fake in Socket Mode; its publisher attached to delivery."""
    ready: asyncio.Future[SlackPublisher] = asyncio.get_running_loop().create_future()

    async def on_ready(publisher: SlackPublisher) -> None:
        delivery.attach(publisher)
        ready.set_result(publisher)

    task = asyncio.create_task(
        run_slack(commands, settings_for(fake), slack_config, on_ready=on_ready)
    )
    try:
        done, _ = await asyncio.wait({task, ready}, timeout=10, return_when="FIRST_COMPLETED")
        if task in done:
            task.result()
        yield await asyncio.wait_for(ready, 1)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def add_article(store: Store, title: str, body: str, day: str = "2024-12-05") -> int:
    """Store one article directly (for texts no seed file has) and return its id."""
    digest = hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()
    article = Article(title, dt.date.fromisoformat(day), body, f"test:{digest[:12]}", digest)
    [result] = await store.save_articles([PreparedArticle(article)])
    return result.article_id
