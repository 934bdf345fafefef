"""What keeps a big archive fast stays correct: search pages ranked inside FTS5, read
connections that do not wait for each other."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sqlite3
import threading
from pathlib import Path

import pytest

from bot.ingest.seed import make_article
from bot.store import PreparedArticle, Store
from bot.store.fts import to_fts_query

BBC = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "bbc-news-summary.jsonl"

# The search query newsbot ran before it ranked inside FTS5: every match joined and sorted.
OLD_SEARCH = (
    "SELECT a.id FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid"
    " WHERE articles_fts MATCH ?"
    " ORDER BY bm25(articles_fts, 5.0, 1.0), a.date DESC LIMIT ? OFFSET ?"
)


@pytest.mark.skipif(not BBC.exists(), reason="needs ../shared/data")
async def test_search_pages_are_the_ones_the_full_sort_gives_on_the_bbc_archive(
    tmp_path: Path,
) -> None:
    path = tmp_path / "news.db"
    records = [json.loads(line) for line in BBC.open(encoding="utf-8")]
    async with Store.open(path) as store:
        await store.save_articles(
            [
                PreparedArticle(
                    make_article(
                        f"bbc#{n}",
                        r["title"],
                        dt.date(2005, 1, 1) + dt.timedelta(days=n % 97),
                        r["body"],
                    )
                )
                for n, r in enumerate(records)
            ]
        )
        old = sqlite3.connect(path)
        queries = ["said", "government", "elect*", "s*", "prime minister", "title:market", "uk"]
        for words in queries:
            for page in range(3):
                hits, total = await store.search(words, 5, page * 5)
                expected = old.execute(OLD_SEARCH, (to_fts_query(words), 5, page * 5)).fetchall()
                assert [hit.id for hit in hits] == [row[0] for row in expected], (words, page)
                assert total > 5 * page
        old.close()


async def test_equal_scores_across_a_page_edge_are_ordered_newest_first(store: Store) -> None:
    # Seven copies of one text on different days score exactly the same.
    await store.save_articles(
        [
            PreparedArticle(
                make_article(f"{day}.txt", "Harbour", dt.date(2024, 3, day), "Harbour news.")
            )
            for day in (4, 1, 7, 3, 6, 2, 5)
        ]
    )
    first, total = await store.search("harbour", 5, 0)
    second, _ = await store.search("harbour", 5, 5)
    assert total == 7
    assert [hit.date.day for hit in first] == [7, 6, 5, 4, 3]
    assert [hit.date.day for hit in second] == [2, 1]


async def test_a_command_is_answered_while_another_query_is_still_running(
    store: Store,
) -> None:
    await store.save_articles(
        [PreparedArticle(make_article("a.txt", "Harbour", dt.date(2024, 3, 1), "News."))]
    )
    release = threading.Event()
    started = asyncio.Event()

    async def long_query() -> None:
        async with store._reading() as db:
            await db.create_function("wait_for_release", 0, lambda: release.wait(30))
            started.set()
            await db.execute("SELECT wait_for_release()")

    running = asyncio.create_task(long_query())
    await started.wait()
    await asyncio.sleep(0)  # let the long query reach its connection's thread
    try:
        latest = await asyncio.wait_for(store.latest(5, dt.date(2024, 12, 31)), 20)
        assert [a.title for a in latest] == ["Harbour"]
        assert not running.done()  # answered while the other query was still in flight
    finally:
        release.set()
        await running
