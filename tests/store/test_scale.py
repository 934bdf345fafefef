"""What keeps a big archive fast stays correct: search pages ranked inside FTS5, read
connections that do not wait for each other."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import sqlite3
import threading
from pathlib import Path

import pytest

from bot.ingest.seed import make_article
from bot.models import FeedSpec, PreparedArticle, TopicLabel
from bot.store import Store
from bot.store.feeds import FeedStore
from bot.store.fts import to_fts_query
from bot.store.sqlite import PREFIX_LOOKUP_MATCHES, _migrations

NOW = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
BBC = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "bbc-news-summary.jsonl"

# The search query newsbot ran before it ranked inside FTS5: every match joined and sorted.
OLD_SEARCH = (
    "SELECT a.id FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid"
    " WHERE articles_fts MATCH ?1 AND a.date <= ?4"
    " ORDER BY bm25(articles_fts, 5.0, 1.0), a.date DESC LIMIT ?2 OFFSET ?3"
)
OLD_COUNT = (
    "SELECT count(*) FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid"
    " WHERE articles_fts MATCH ? AND a.date <= ?"
)


@pytest.mark.skipif(not BBC.exists(), reason="needs ../shared/data")
# Snippets looked up for the page, or for prefix searches computed while ranking.
@pytest.mark.parametrize("lookup_matches", [PREFIX_LOOKUP_MATCHES, 0])
async def test_search_pages_are_the_ones_the_full_sort_gives_on_the_bbc_archive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lookup_matches: int
) -> None:
    monkeypatch.setattr("bot.store.sqlite.PREFIX_LOOKUP_MATCHES", lookup_matches)
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
        # Nothing held, then the articles of the archive's last six weeks held.
        for up_to in (None, dt.date(2005, 2, 20)):
            last_day = (up_to or dt.date.max).isoformat()
            for words in queries:
                for page in range(3):
                    hits, total = await store.search(words, 5, page * 5, up_to=up_to)
                    fts_query = to_fts_query(words)
                    expected = old.execute(OLD_SEARCH, (fts_query, 5, page * 5, last_day))
                    assert [hit.id for hit in hits] == [row[0] for row in expected], (words, page)
                    count = old.execute(OLD_COUNT, (fts_query, last_day)).fetchone()[0]
                    assert total == count, (words, up_to)
        old.close()


@pytest.mark.parametrize("copies", [7, 40])  # fewer, and more, than are fetched past a page
@pytest.mark.parametrize("words", ["harbour", "harb*"])  # a prefix: snippets while ranking
async def test_equal_scores_across_a_page_edge_are_ordered_newest_first(
    store: Store, copies: int, words: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.store.sqlite.PREFIX_LOOKUP_MATCHES", 0)
    # Copies of one text on different days score exactly the same.
    days = random.Random(copies).sample(range(copies), copies)
    await store.save_articles(
        [
            PreparedArticle(
                make_article(
                    f"{day}.txt", "Harbour", dt.date(2024, 3, 1) + dt.timedelta(days=day), "News."
                )
            )
            for day in days
        ]
    )
    newest_first = sorted(days, reverse=True)
    for offset in (0, 5, 10, copies - 2):
        hits, total = await store.search(words, 5, offset)
        assert total == copies
        assert [(hit.date - dt.date(2024, 3, 1)).days for hit in hits] == newest_first[
            offset : offset + 5
        ]


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


# -- topic counts kept per day ------------------------------------------------------------

RECOUNT_DAYS = (
    "SELECT a.date, at.topic_id, count(*), sum(at.rank) FROM article_topics at"
    " JOIN articles a ON a.id = at.article_id GROUP BY a.date, at.topic_id ORDER BY 1, 2"
)
KEPT_DAYS = "SELECT day, topic_id, articles, rank_sum FROM topic_days ORDER BY 1, 2"
RECOUNT_TOTALS = (
    "SELECT t.id, count(at.topic_id), coalesce(sum(at.rank), 0) FROM topics t"
    " LEFT JOIN article_topics at ON at.topic_id = t.id GROUP BY t.id ORDER BY 1"
)
KEPT_TOTALS = "SELECT id, articles, rank_sum FROM topics ORDER BY 1"
RECOUNT_ARTICLE_DAYS = "SELECT date, count(*) FROM articles GROUP BY date ORDER BY 1"
KEPT_ARTICLE_DAYS = "SELECT day, articles FROM article_days ORDER BY 1"
# The trending query newsbot ran before it kept counts: every article's topics, grouped.
OLD_TOPIC_COUNTS = (
    "SELECT t.key, count(*) FROM article_topics at"
    " JOIN articles a ON a.id = at.article_id JOIN topics t ON t.id = at.topic_id"
    " WHERE a.date BETWEEN ? AND ? GROUP BY t.id ORDER BY count(*) DESC, avg(at.rank), t.key"
)


def with_topics(source: str, day: dt.date, names: list[str], body: str = "") -> PreparedArticle:
    return PreparedArticle(
        make_article(source, f"About {names[0]}", day, body or " ".join(names) + "."),
        topics=tuple(TopicLabel(name.lower(), name) for name in names),
    )


def assert_counts_match_a_recount(path: Path) -> None:
    with sqlite3.connect(path) as db:
        for kept, recount in (
            (KEPT_DAYS, RECOUNT_DAYS),
            (KEPT_TOTALS, RECOUNT_TOTALS),
            (KEPT_ARTICLE_DAYS, RECOUNT_ARTICLE_DAYS),
        ):
            assert db.execute(kept).fetchall() == db.execute(recount).fetchall(), kept


def some_articles(rng: random.Random, count: int, tag: str) -> list[PreparedArticle]:
    names = ["NATO", "Putin", "Gaza", "Apple", "Bitcoin", "Oil", "Kyiv", "Tesla", "Rain"]
    return [
        with_topics(
            f"{tag}{n}.txt",
            dt.date(2024, 5, 1) + dt.timedelta(days=rng.randrange(40)),
            rng.sample(names, rng.randint(1, 5)),
            f"{tag} story {n}.",
        )
        for n in range(count)
    ]


async def test_topic_counts_equal_a_recount_after_inserts_edits_and_deletes(
    tmp_path: Path,
) -> None:
    rng = random.Random(3)
    path = tmp_path / "news.db"
    async with Store.open(path) as store:
        await store.save_articles(some_articles(rng, 60, "a"))
        assert_counts_match_a_recount(path)
        # edits: new dates, new topics (same sources, new content)
        await store.save_articles(some_articles(rng, 25, "a"))
        assert_counts_match_a_recount(path)
        # topics recomputed for stored articles
        stored = await store.articles_after(0, 10)
        await store.update_derived(
            [
                PreparedArticle(a, topics=(TopicLabel("snow", "Snow"), TopicLabel("oil", "Oil")))
                for a in stored
            ]
        )
        assert_counts_match_a_recount(path)
        # deletes, and a date changed directly
        async with store.write() as db:
            await db.execute("DELETE FROM articles WHERE id % 3 = 0")
            await db.execute("UPDATE articles SET date = '2024-07-01' WHERE id % 5 = 1")
        assert_counts_match_a_recount(path)
        with sqlite3.connect(path) as db:
            for start, end in (("2024-05-01", "2024-05-07"), ("2024-05-10", "2024-06-30")):
                old = db.execute(OLD_TOPIC_COUNTS, (start, end)).fetchall()
                counts, total = await store.topic_counts(
                    dt.date.fromisoformat(start), dt.date.fromisoformat(end)
                )
                assert list(counts.items()) == [(key, n) for key, n in old]
                assert (
                    total
                    == db.execute(
                        "SELECT count(*) FROM articles WHERE date BETWEEN ? AND ?", (start, end)
                    ).fetchone()[0]
                )


async def test_topic_counts_equal_a_recount_after_a_feed_gives_its_topics(
    tmp_path: Path,
) -> None:
    path = tmp_path / "news.db"
    async with Store.open(path) as store:
        feeds = FeedStore(store)
        feed_id = await feeds.add(FeedSpec("BBC", "http://127.0.0.1:1/rss"), "config", NOW)
        mine = [
            with_topics(f"feed:{feed_id}:{n}", dt.date(2024, 5, 1 + n), names)
            for n, names in enumerate([["NATO", "Oil"], ["Gaza"], ["UK", "NATO", "Rain"]])
        ]
        await store.save_articles([*mine, with_topics("other.txt", dt.date(2024, 5, 1), ["Oil"])])
        for _ in range(2):
            await feeds.give_topics(feed_id, [("uk", "UK"), ("nato", "NATO"), ("uk", "U.K.")])
        assert_counts_match_a_recount(path)
        assert await store.article_topics(1) == ["NATO", "Oil", "UK"]
        assert await store.article_topics(3) == ["UK", "NATO", "Rain"]
        assert await store.article_topics(4) == ["Oil"]


async def test_most_frequent_topics_of_all_time_leave_out_articles_held_for_later(
    store: Store,
) -> None:
    rng = random.Random(5)
    await store.save_articles(some_articles(rng, 50, "a"))
    # Held until their day: many future articles about Tesla must not make it frequent.
    await store.save_articles(
        [with_topics(f"f{n}.txt", dt.date(2024, 9, 1), ["Tesla"], f"f{n}") for n in range(60)]
    )
    end = dt.date(2024, 8, 1)
    counts, total = await store.topic_counts(dt.date.min, end, limit=4)
    path = store.path
    with sqlite3.connect(path) as db:
        old = db.execute(OLD_TOPIC_COUNTS, ("0001-01-01", end.isoformat())).fetchall()
    assert list(counts.items()) == [(key, n) for key, n in old[:4]]
    assert total == 50


def database_before_migration(path: Path, migration: int) -> sqlite3.Connection:
    """The database file an older newsbot left: the migrations before `migration` applied."""
    db = sqlite3.connect(path)
    for number, _, sql in _migrations():
        if number < migration:
            db.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")
    return db


OLD_TOPICS = [("gordon brown", "Gordon Brown"), ("brownies", "Brownies"), ("nato", "NATO")]


def add_an_article_with_old_topics(db: sqlite3.Connection) -> None:
    """Article 1, carrying the OLD_TOPICS, written with the bare driver."""
    db.execute(
        "INSERT INTO articles (id, source, title, date, body, content_hash, ingested_at,"
        " updated_at) VALUES (1, 'a.txt', 't', '2024-01-01', 'b', 'h', 'x', 'x')"
    )
    db.executemany("INSERT INTO topics (key, label) VALUES (?, ?)", OLD_TOPICS)
    db.execute("INSERT INTO article_topics SELECT 1, id, id FROM topics")


async def test_migration_fills_in_the_counts_of_an_existing_archive(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    with database_before_migration(path, 6) as db:
        db.executemany(
            "INSERT INTO articles (id, source, title, date, body, content_hash, ingested_at,"
            " updated_at) VALUES (?, ?, 't', ?, 'b', ?, 'x', 'x')",
            [(n, f"{n}.txt", f"2024-01-0{1 + n % 3}", f"h{n}") for n in range(1, 10)],
        )
        db.executemany(
            "INSERT INTO topics (id, key, label) VALUES (?, ?, ?)", [(1, "a", "A"), (2, "b", "B")]
        )
        db.executemany(
            "INSERT INTO article_topics (article_id, topic_id, rank) VALUES (?, ?, ?)",
            [(n, 1 + n % 2, n % 4 + 1) for n in range(1, 10)] + [(2, 2, 2), (4, 2, 3)],
        )
    async with Store.open(path) as store:
        counts, total = await store.topic_counts(dt.date(2024, 1, 1), dt.date(2024, 1, 2))
    assert_counts_match_a_recount(path)
    assert total == 6 and sum(counts.values()) > 0


async def test_topic_autocomplete_finds_labels_stored_before_the_trigram_index(
    tmp_path: Path,
) -> None:
    path = tmp_path / "news.db"
    with database_before_migration(path, 8) as db:
        add_an_article_with_old_topics(db)
    async with Store.open(path) as store:
        assert await store.topic_label_matches("BROW", 25, 100) == ["Brownies", "Gordon Brown"]
        await store.save_articles([with_topics("b.txt", dt.date(2024, 1, 1), ["Eyebrow"])])
        assert await store.topic_label_matches("brow", 25, 100) == [
            "Brownies",
            "Gordon Brown",
            "Eyebrow",
        ]
        assert await store.topic_label_matches("at", 25, 100) == ["NATO"]


async def test_topic_lookup_finds_keys_stored_before_the_trigram_index(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    with database_before_migration(path, 10) as db:
        add_an_article_with_old_topics(db)
        # since migration 009 the store counts new article topics, not a trigger
        db.execute("INSERT INTO topic_days SELECT '2024-01-01', id, 1, id FROM topics")
        db.execute("UPDATE topics SET articles = 1, rank_sum = id")
    async with Store.open(path) as store:
        await store.save_articles(
            [with_topics("b.txt", dt.date(2024, 1, 1), ["Eyebrow", "Brownies"])]
        )
        # most used first; the new key is found as well as the old ones
        assert [key for key, _, _ in await store.topics_like("brow", 5)] == [
            "brownies",
            "gordon brown",
            "eyebrow",
        ]
        assert await store.topics_like("brownie", 5, up_to=dt.date(2023, 1, 1)) == []
        assert [key for key, _, _ in await store.topics_like("at", 5)] == ["nato"]


async def test_a_topics_newest_articles_are_the_ones_a_full_join_gives(store: Store) -> None:
    rng = random.Random(9)
    await store.save_articles(some_articles(rng, 80, "a"))
    await store.save_articles(
        [with_topics(f"r{n}.txt", dt.date(2024, 5, 3 + n), ["Snowdon"], f"r{n}") for n in range(2)]
    )
    full_join = (
        "SELECT a.id FROM articles a JOIN article_topics at ON at.article_id = a.id"
        " JOIN topics t ON t.id = at.topic_id WHERE a.date BETWEEN ? AND ? AND t.key = ?"
        " ORDER BY a.date DESC, a.id DESC LIMIT ?"
    )
    with sqlite3.connect(store.path) as db:
        for key in ("nato", "rain", "snowdon"):  # big topics are read by day, small ones not
            for start, end, limit in (
                (dt.date.min, dt.date(2024, 12, 31), 5),
                (dt.date(2024, 5, 5), dt.date(2024, 5, 20), 12),
            ):
                found = await store.articles_between(start, end, limit, topic_key=key)
                expected = db.execute(full_join, (start.isoformat(), end.isoformat(), key, limit))
                assert [a.id for a in found] == [row[0] for row in expected], (key, start)
