"""Stored summaries and topics follow the text pipeline: a newer pipeline (or another
configured summary length) recomputes them at the next ingest, on a real SQLite file."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.__main__ import ingest_configured
from bot.config import load_config
from bot.ingest.service import BATCH_SIZE, DERIVED_WITH_KEY, refresh_derived
from bot.models import Article, PreparedArticle
from bot.store import Store

STALE_SUMMARY = ["A summary made by an older newsbot."]


def _stale(path: Path) -> None:
    """Make the stored text look as an older newsbot left it."""
    with sqlite3.connect(path) as db:
        db.execute("UPDATE articles SET summary = ?", (json.dumps(STALE_SUMMARY),))
        db.execute("DELETE FROM article_topics")
        db.execute("UPDATE meta SET value = 'text pipeline 1' WHERE key = ?", (DERIVED_WITH_KEY,))


# Module-level so that the refresh's worker processes can run them.
def _new_summary(article: Article) -> PreparedArticle:
    return PreparedArticle(article, ("new",))


def _dies_on_the_second_page(article: Article) -> PreparedArticle:
    if article.id > BATCH_SIZE:
        raise RuntimeError("worker died")
    return _new_summary(article)


async def _summary_and_topics(store: Store) -> tuple[tuple[str, ...], list[str]]:
    [article] = await store.latest(1, up_to=dt.date(2100, 1, 1))
    return article.summary, await store.article_topics(article.id)


async def test_an_older_pipelines_summaries_and_topics_are_recomputed(
    write_config: Callable[[str], Path], tmp_path: Path
) -> None:
    config = load_config(write_config(""))
    async with Store.open(config.database_path) as store:
        first = await ingest_configured(store, config)
        fresh = await _summary_and_topics(store)
    assert len(first.added) == 1 and first.refreshed == 0
    assert "Mark Rutte" in fresh[1]

    _stale(config.database_path)
    async with Store.open(config.database_path) as store:
        report = await ingest_configured(store, config)
        assert report.refreshed == 1
        assert "1 refreshed" in report.summary_line()
        assert len(report.unchanged) == 1  # the article itself is untouched
        assert await _summary_and_topics(store) == fresh
        assert (await ingest_configured(store, config)).refreshed == 0


async def test_a_new_summary_length_recomputes_stored_summaries(
    write_config: Callable[[str], Path],
) -> None:
    async with Store.open(load_config(write_config("")).database_path) as store:
        await ingest_configured(store, load_config(write_config("")))
        assert len((await _summary_and_topics(store))[0]) == 3
        longer = load_config(write_config("[summary]\nsentences = 5\n"))
        assert (await ingest_configured(store, longer)).refreshed == 1
        assert len((await _summary_and_topics(store))[0]) == 5


async def test_an_interrupted_refresh_loses_nothing_and_finishes_next_time(
    store: Store,
) -> None:
    articles = [
        Article(f"Story {i}", dt.date(2024, 1, 1), f"Body {i}. More.", f"s{i}", f"h{i}")
        for i in range(BATCH_SIZE + 44)  # more than one page
    ]
    await store.save_articles([PreparedArticle(a, ("old",)) for a in articles])
    with pytest.raises(RuntimeError):
        await refresh_derived(store, _dies_on_the_second_page, "v2")
    assert await store.get_meta(DERIVED_WITH_KEY) is None
    every = await store.latest(1000, up_to=dt.date(2100, 1, 1))
    assert len(every) == BATCH_SIZE + 44
    assert {a.summary for a in every} == {("new",), ("old",)}

    assert await refresh_derived(store, _new_summary, "v2") == BATCH_SIZE + 44
    assert await store.get_meta(DERIVED_WITH_KEY) == "v2"
    every = await store.latest(1000, up_to=dt.date(2100, 1, 1))
    assert {a.summary for a in every} == {("new",)}
