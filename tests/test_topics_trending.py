"""`/news topics` ranks from the period's repeated topics only (the store leaves the topics
of one article out): the answer is the one ranking every topic of both periods gives."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import text
from bot.commands import TOPIC_CANDIDATES, TOPICS_SHOWN, Commands
from bot.ingest.derive import prepare_article
from bot.ingest.seed import make_article
from bot.store import Store
from tests.test_commands import BBC, FixedClock

TODAY = dt.datetime(2005, 3, 1, 12, tzinfo=dt.UTC)


@pytest.fixture
async def bbc_weeks(tmp_path: Path) -> AsyncIterator[tuple[Store, Commands]]:
    """The BBC set's politics and business articles, spread over the 60 days to TODAY."""
    if not BBC.exists():
        pytest.skip("../shared/data/bbc-news-summary.jsonl absent")
    with BBC.open(encoding="utf-8") as f:
        rows = [r for line in f if (r := json.loads(line))["category"] in ("politics", "business")]
    first = TODAY.date() - dt.timedelta(days=59)
    articles = [
        make_article(row["id"], row["title"], first + dt.timedelta(days=n % 60), row["body"])
        for n, row in enumerate(rows)
    ]
    async with Store.open(tmp_path / "bbc.db") as store:
        await store.save_articles([prepare_article(a) for a in articles])
        yield store, Commands(store, clock=FixedClock(TODAY))


async def ranked_from_every_topic(
    store: Store, commands: Commands, period: str
) -> list[tuple[str, str]]:
    """(label, detail) of each topic, ranked as before the store left topics out."""
    window = await commands.window(period)
    assert window.previous_start is not None
    counts, total = await store.topic_counts(window.start, window.end)
    previous, previous_total = await store.topic_counts(
        window.previous_start, window.start - dt.timedelta(days=1)
    )
    scored = text.rank_trending(counts, previous, total, previous_total, TOPIC_CANDIDATES)
    best = text.prefer_specific(scored, await store.topic_labels([k for k, _ in scored]))
    ranked = [key for key, _ in best[:TOPICS_SHOWN]]
    ranked += [key for key in counts if key not in ranked][: TOPICS_SHOWN - len(ranked)]
    labels = await store.topic_labels(ranked)
    return [
        (
            labels[key],
            f"{counts[key]} article{'s' if counts[key] != 1 else ''}"
            f" (before: {previous.get(key, 0)})",
        )
        for key in ranked
    ]


@pytest.mark.parametrize("period", ["day", "week", "month"])
async def test_topics_rank_as_ranking_every_topic_would(
    bbc_weeks: tuple[Store, Commands], period: str
) -> None:
    store, commands = bbc_weeks
    reply = await commands.run("topics", {"period": period})
    assert [(item.title, item.text) for item in reply.items] == await ranked_from_every_topic(
        store, commands, period
    )
    assert len(reply.items) == TOPICS_SHOWN
