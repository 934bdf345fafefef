"""Fakes for delivery tests: a clock we move by hand, a recording publisher, articles."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.config import AdminConfig, parse_config
from bot.delivery import Delivery
from bot.models import Article, PreparedArticle, Reply, TopicLabel
from bot.ports import Pacing, PublishError
from bot.store import Store
from bot.text import canonical_key


class FakeClock:
    def __init__(self, now: dt.datetime) -> None:
        self.current = now

    def now(self) -> dt.datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += dt.timedelta(**delta)

    def set(self, moment: dt.datetime) -> None:
        self.current = moment


class RecordingPublisher:
    """Records posts; like Discord with enforce_nonce, a repeated key returns the
    first message instead of posting twice. `fail_with` raises queued errors first."""

    pacing = Pacing()
    deduplicates = True

    def __init__(self, platform: str = "console") -> None:
        self.platform = platform
        self.posts: list[tuple[str, Reply, str]] = []
        self.by_key: dict[tuple[str, str], str] = {}
        self.fail_with: list[PublishError] = []
        self.attempts = 0

    async def publish(self, channel_id: str, post: Reply, idempotency_key: str) -> str:
        self.attempts += 1
        if self.fail_with:
            raise self.fail_with.pop(0)
        known = self.by_key.get((channel_id, idempotency_key))
        if known is not None:
            return known
        message_id = f"m{len(self.posts) + 1}"
        self.posts.append((channel_id, post, idempotency_key))
        self.by_key[(channel_id, idempotency_key)] = message_id
        return message_id

    async def find_post(self, channel_id: str, idempotency_key: str) -> str | None:
        return self.by_key.get((channel_id, idempotency_key))

    def titles(self, channel_id: str | None = None) -> list[str]:
        return [p.title for c, p, _ in self.posts if channel_id is None or c == channel_id]


AddArticle = Callable[..., Awaitable[int]]


@pytest.fixture
def add_article(store: Store) -> AddArticle:
    """Store an article (with topics) as ingest would; returns its id."""

    async def add(
        title: str,
        date: dt.date | str = "2024-12-04",
        body: str = "",
        topics: Sequence[str] = (),
    ) -> int:
        day = dt.date.fromisoformat(date) if isinstance(date, str) else date
        body = body or f"{title}. A paragraph about {title.lower()}."
        digest = hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()
        article = Article(title, day, body, f"test/{digest[:12]}.txt", digest)
        labels = tuple(TopicLabel(canonical_key(t), t) for t in topics)
        results = await store.save_articles([PreparedArticle(article, (body,), labels)])
        return results[0].article_id

    return add


def make_config(tmp_path: Path, **overrides: Any) -> AdminConfig:
    raw: dict[str, Any] = {
        "timezone": overrides.pop("timezone", "Europe/Brussels"),
        "database": {"path": str(tmp_path / "news.db")},
        "console": {"channels": ["news", "world"]},
        "delivery": overrides.pop("delivery", {}),
        "subscriptions": overrides.pop("subscriptions", []),
    }
    raw.update(overrides)
    return parse_config(tmp_path / "newsbot.toml", raw)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(dt.datetime(2030, 1, 15, 12, 0, tzinfo=dt.UTC))


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher("console")


MakeDelivery = Callable[..., Delivery]


@pytest.fixture
def make_delivery(
    store: Store, tmp_path: Path, clock: FakeClock, publisher: RecordingPublisher
) -> MakeDelivery:
    def make(store_: Store | None = None, **config: Any) -> Delivery:
        return Delivery(
            store_ or store, make_config(tmp_path, **config), {"console": publisher}, clock
        )

    return make
