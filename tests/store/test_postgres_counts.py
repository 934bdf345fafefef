"""PostgreSQL's topic counts (migration 007) equal a recount of the stored articles after
writes no newsbot command makes (articles deleted or re-dated by hand), and are filled in
for an archive stored before they existed."""

from __future__ import annotations

import datetime as dt
import random
from importlib import resources

import asyncpg

from bot.store.postgres import PostgresStore
from tests.store.test_contract_topics import news

RECOUNTS = {
    "SELECT day, topic_id, articles, rank_sum FROM topic_days ORDER BY 1, 2": (
        "SELECT a.date, at.topic_id, count(*), sum(at.rank) FROM article_topics at"
        " JOIN articles a ON a.id = at.article_id GROUP BY 1, 2 ORDER BY 1, 2"
    ),
    "SELECT topic_id, articles, rank_sum FROM topic_totals WHERE articles <> 0 ORDER BY 1": (
        "SELECT topic_id, count(*), sum(rank) FROM article_topics GROUP BY 1 ORDER BY 1"
    ),
    "SELECT article_id, topic_id, date FROM article_topics ORDER BY 1, 2": (
        "SELECT at.article_id, at.topic_id, a.date FROM article_topics at"
        " JOIN articles a ON a.id = at.article_id ORDER BY 1, 2"
    ),
    "SELECT day, articles FROM article_days ORDER BY 1": (
        "SELECT date, count(*) FROM articles GROUP BY date ORDER BY 1"
    ),
}


async def assert_counts_match_a_recount(url: str) -> None:
    db = await asyncpg.connect(url)
    try:
        for kept, recount in RECOUNTS.items():
            assert [tuple(r) for r in await db.fetch(kept)] == [
                tuple(r) for r in await db.fetch(recount)
            ], kept
    finally:
        await db.close()


async def test_counts_follow_articles_deleted_and_redated_by_hand(postgres_url: str) -> None:
    rng = random.Random(4)
    async with PostgresStore.open(postgres_url) as store:
        await store.save_articles(news(rng, 80, "a"))
        await store.save_articles(news(rng, 30, "a", days=40, text="Edited"))
        await assert_counts_match_a_recount(postgres_url)
        async with store.transaction() as db:
            await db.execute("DELETE FROM articles WHERE id % 3 = 0")
            await db.execute("UPDATE articles SET date = '2024-07-01' WHERE id % 5 = 1")
            await db.execute("UPDATE articles SET title = title || '!' WHERE id % 7 = 1")
        await assert_counts_match_a_recount(postgres_url)
        trend = await store.trending_counts(
            dt.date(2024, 7, 1), dt.date(2024, 7, 1), dt.date(2024, 6, 30), 2, 3
        )
        assert trend.articles == sum(1 for n in range(1, 81) if n % 5 == 1 and n % 3 != 0)


async def test_the_migration_counts_an_archive_stored_before_it(postgres_url: str) -> None:
    folder = resources.files("bot.store.postgres").joinpath("migrations")
    db = await asyncpg.connect(postgres_url)
    try:
        await db.execute("CREATE TABLE schema (version integer PRIMARY KEY)")
        for number in range(1, 7):  # the migrations before the counts
            [entry] = [e for e in folder.iterdir() if e.name.startswith(f"{number:03d}_")]
            await db.execute(entry.read_text("utf-8"))
            await db.execute("INSERT INTO schema (version) VALUES ($1)", number)
        await db.execute(
            "INSERT INTO articles (id, source, title, date, body, content_hash, ingested_at,"
            " updated_at) SELECT n, n || '.txt', 't', date '2024-01-01' + n % 3, 'b', 'h' || n,"
            " now(), now() FROM generate_series(1, 9) n"
        )
        await db.execute("INSERT INTO topics (id, key, label) VALUES (1, 'a', 'A'), (2, 'b', 'B')")
        await db.execute(
            "INSERT INTO article_topics (article_id, topic_id, rank)"
            " SELECT n, 1 + n % 2, n % 4 + 1 FROM generate_series(1, 9) n"
            " UNION ALL VALUES (2, 2, 2), (4, 2, 3)"
        )
    finally:
        await db.close()
    async with PostgresStore.open(postgres_url) as store:
        counts, total = await store.topic_counts(dt.date(2024, 1, 1), dt.date(2024, 1, 2))
    await assert_counts_match_a_recount(postgres_url)
    assert total == 6 and sum(counts.values()) > 0
