"""The storage contract for topic counts, on both backends: trending, `topics all`, topic
lookups and a topic's newest articles all read counts kept as articles arrive, so those
counts must equal a recount of the stored articles after every kind of change."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from bot.ingest.seed import make_article
from bot.models import PreparedArticle, TopicLabel
from bot.store.backends import open_store
from bot.store.ports import Articles
from tests.support.postgres import PostgresServer, fresh_database

FIRST = dt.date(2024, 3, 1)


@pytest.fixture(params=["sqlite", "postgresql"])
async def articles(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Articles]:
    if request.param == "sqlite":
        async with open_store(tmp_path / "news.db") as store:
            yield store
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    async with fresh_database(server) as url, open_store(url) as store:
        yield store


def news(
    rng: random.Random, count: int, tag: str, days: int = 20, text: str = "Story"
) -> list[PreparedArticle]:
    """Articles over `days` days: a few running stories, and many names seen once or twice."""
    running = [f"Story {n}" for n in range(6)]
    rare = [f"Name {n}" for n in range(80)]
    items = []
    for n in range(count):
        names = rng.sample(running, rng.randint(0, 3)) + rng.sample(rare, rng.randint(1, 3))
        rng.shuffle(names)
        day = FIRST + dt.timedelta(days=rng.randrange(days))
        items.append(
            PreparedArticle(
                make_article(f"{tag}{n}.txt", f"News {tag}{n}", day, f"{text} {tag} {n}."),
                topics=tuple(TopicLabel(name.lower(), name) for name in names),
            )
        )
    return items


def recount(
    stored: Sequence[PreparedArticle], start: dt.date, end: dt.date
) -> tuple[list[tuple[str, int]], int]:
    """(key, articles) of the topics of articles dated start..end, in the order topic counts
    come in (most frequent, then ranked higher, then by key), and how many articles."""
    counts: Counter[str] = Counter()
    ranks: Counter[str] = Counter()
    within = [item for item in stored if start <= item.article.date <= end]
    for item in within:
        for rank, topic in enumerate(item.topics, start=1):
            counts[topic.key] += 1
            ranks[topic.key] += rank
    order = sorted(counts, key=lambda key: (-counts[key], ranks[key] / counts[key], key))
    return [(key, counts[key]) for key in order], len(within)


def current(*batches: Sequence[PreparedArticle]) -> list[PreparedArticle]:
    """The stored state after saving the batches in order: a later source replaces one."""
    by_source = {item.article.source: item for batch in batches for item in batch}
    return list(by_source.values())


async def assert_trending_counts_match_a_recount(
    articles: Articles, stored: Sequence[PreparedArticle], start: dt.date, end: dt.date
) -> None:
    before = start - (end - start) - dt.timedelta(days=1)
    now, total = recount(stored, start, end)
    then, total_before = recount(stored, before, start - dt.timedelta(days=1))
    trend = await articles.trending_counts(start, end, before, 2, 3)
    repeated = [(key, n) for key, n in now if n >= 2]
    assert list(trend.counts.items()) == (repeated if len(repeated) >= 3 else now[:3])
    earlier = dict(then)
    assert trend.before == {key: earlier[key] for key in trend.counts if key in earlier}
    assert (trend.articles, trend.articles_before) == (total, total_before)
    assert trend.mentions == sum(n for _, n in now)
    assert trend.mentions_before == sum(n for _, n in then)


async def test_trending_counts_list_repeated_topics_and_count_every_mention(
    articles: Articles,
) -> None:
    rng = random.Random(11)
    first = news(rng, 150, "a")
    await articles.save_articles(first)
    for start, end in ((10, 19), (13, 13)):  # days after the first: ten days, one day
        await assert_trending_counts_match_a_recount(
            articles, first, FIRST + dt.timedelta(days=start), FIRST + dt.timedelta(days=end)
        )
    # Edited articles move to other days and topics; the counts follow.
    edits = news(rng, 60, "a", days=30, text="Edited")
    await articles.save_articles(edits)
    stored = current(first, edits)
    await assert_trending_counts_match_a_recount(
        articles, stored, FIRST + dt.timedelta(days=10), FIRST + dt.timedelta(days=19)
    )
    # Topics recomputed for stored articles replace the ones they had.
    by_source = {a.source: a for a in await articles.articles_after(0, 10_000)}
    derived = [
        PreparedArticle(by_source[item.article.source], topics=(TopicLabel("story 0", "Story 0"),))
        for item in stored[::4]
    ]
    await articles.update_derived(derived)
    stored = current(stored, derived)
    await assert_trending_counts_match_a_recount(
        articles, stored, FIRST + dt.timedelta(days=10), FIRST + dt.timedelta(days=19)
    )


async def test_trending_counts_of_a_quiet_period_fall_back_to_the_most_frequent(
    articles: Articles,
) -> None:
    quiet = news(random.Random(2), 2, "q", days=1)
    await articles.save_articles(quiet)
    await assert_trending_counts_match_a_recount(articles, quiet, FIRST, FIRST)
    later = FIRST + dt.timedelta(days=5)
    empty = await articles.trending_counts(later, later, FIRST, 2, 3)
    assert (empty.counts, empty.mentions, empty.articles) == ({}, 0, 0)


async def assert_topic_articles_match_a_recount(
    articles: Articles, stored: Sequence[PreparedArticle], key: str, start: dt.date, end: dt.date
) -> None:
    ids = {a.source: a.id for a in await articles.articles_after(0, 10_000)}
    carrying = [
        (item.article.date, ids[item.article.source])
        for item in stored
        if start <= item.article.date <= end and key in {t.key for t in item.topics}
    ]
    found = await articles.articles_between(start, end, 7, key)
    assert [(a.date, a.id) for a in found] == sorted(carrying, reverse=True)[:7]


async def test_a_topics_newest_articles_follow_edits_to_their_dates_and_topics(
    articles: Articles,
) -> None:
    rng = random.Random(5)
    first = news(rng, 150, "a")
    await articles.save_articles(first)
    last = FIRST + dt.timedelta(days=19)
    for key, start in (("story 0", FIRST), ("story 3", FIRST + dt.timedelta(days=12))):
        await assert_topic_articles_match_a_recount(articles, first, key, start, last)
    # Edited articles move to other days (some past the window) and to other topics.
    edits = news(rng, 60, "a", days=30, text="Edited")
    await articles.save_articles(edits)
    stored = current(first, edits)
    await assert_topic_articles_match_a_recount(articles, stored, "story 0", FIRST, last)
    by_source = {a.source: a for a in await articles.articles_after(0, 10_000)}
    derived = [
        PreparedArticle(by_source[item.article.source], topics=(TopicLabel("name 1", "Name 1"),))
        for item in stored[::3]
    ]
    await articles.update_derived(derived)
    stored = current(stored, derived)
    for key in ("story 0", "name 1"):
        await assert_topic_articles_match_a_recount(articles, stored, key, FIRST, last)
