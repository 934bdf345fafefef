"""`newsbot migrate --to postgresql://...`: an SQLite archive copied whole, counts checked."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.ingest.seed import make_article
from bot.models import Claim, FeedSpec, PreparedArticle, SubscriptionSpec, TopicLabel
from bot.store import Store, StoreError
from bot.store.deliveries import DeliveryStore
from bot.store.feeds import FeedStore
from bot.store.postgres import PostgresStore
from bot.store.postgres.copy import copy_archive
from bot.store.postgres.deliveries import PostgresSubscriptions
from bot.store.postgres.feeds import PostgresFeeds

REPO = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)


async def make_archive(path: Path) -> None:
    async with Store.open(path) as store:
        nato = TopicLabel("nato", "NATO")
        await store.save_articles(
            [
                dataclasses.replace(
                    PreparedArticle(
                        make_article(f"{d}.txt", f"Storm {d}", dt.date(2024, 2, d), "Rain fell.")
                        if d != 3
                        else make_article(
                            "3.txt", "NATO meets", dt.date(2024, 2, 3), "Air defense."
                        )
                    ),
                    summary=(f"Summary {d}.",),
                    topics=(nato,) if d == 3 else (),
                )
                for d in range(1, 6)
            ]
        )
        await store.set_meta("discord:sync", "abc")
        ledger = DeliveryStore(store)
        sub = await ledger.add(SubscriptionSpec("discord:1", topics=("nato",)), "command", NOW)
        await ledger.claim([Claim(sub, 3, "post-3", "item")], NOW)
        [post] = await ledger.pending_posts(NOW)
        await ledger.mark_sent(post, "message-9", NOW)
        await FeedStore(store).add(FeedSpec("BBC", "http://127.0.0.1:1/rss"), "config", NOW)


async def test_an_archive_is_copied_with_its_ids_ledger_feeds_and_search(
    tmp_path: Path, postgres_url: str
) -> None:
    await make_archive(tmp_path / "news.db")
    copied = await copy_archive(tmp_path / "news.db", postgres_url)
    assert copied == {
        "articles": 5,
        "topics": 1,
        "article_topics": 1,
        "meta": 1,
        "subscriptions": 1,
        "deliveries": 1,
        "feeds": 1,
    }
    async with PostgresStore.open(postgres_url) as pg:
        hits, total = await pg.search("air defense", 5)
        assert (total, hits[0].id, hits[0].title) == (1, 3, "NATO meets")
        article = await pg.get_article(3)
        assert article is not None and article.summary == ("Summary 3.",)
        assert await pg.article_topics(3) == ["NATO"]
        # The copied topic rows get their articles' dates: the topic's articles are found.
        between = await pg.articles_between(dt.date(2024, 2, 3), dt.date(2024, 2, 3), 5, "nato")
        assert [a.id for a in between] == [3]
        assert await pg.topics_like("nato", 5) == [("nato", "NATO", 1)]
        assert await pg.get_meta("discord:sync") == "abc"
        ledger = PostgresSubscriptions(pg)
        [sub] = await ledger.subscriptions()
        assert sub.spec.topics == ("nato",) and sub.created_at == NOW
        assert (await ledger.counts(NOW)).sent == 1
        # Already sent in SQLite: never sent again from PostgreSQL.
        assert await ledger.claim([Claim(sub.id, 3, "again", "item")], NOW) == 0
        assert (await PostgresFeeds(pg).by_name("bbc")) is not None
        # New rows get ids after the copied ones.
        [new] = await pg.save_articles(
            [PreparedArticle(make_article("6.txt", "New", dt.date(2024, 2, 6), "Fresh."))]
        )
        assert new.article_id == 6
        assert await ledger.add(SubscriptionSpec("discord:2"), "command", NOW) == 2


async def test_a_target_with_articles_is_refused_and_left_as_it_was(
    tmp_path: Path, postgres_url: str
) -> None:
    await make_archive(tmp_path / "news.db")
    await copy_archive(tmp_path / "news.db", postgres_url)
    with pytest.raises(StoreError, match=r"already holds 5 articles; migrate into an empty one"):
        await copy_archive(tmp_path / "news.db", postgres_url)
    async with PostgresStore.open(postgres_url) as pg:
        assert await pg.count_articles() == 5


async def test_a_missing_sqlite_file_is_named_and_not_created(
    tmp_path: Path, postgres_url: str
) -> None:
    with pytest.raises(StoreError, match=r"nope.db: no such database to copy"):
        await copy_archive(tmp_path / "nope.db", postgres_url)
    assert not (tmp_path / "nope.db").exists()


def test_the_migrate_command_copies_and_the_bot_then_answers_from_postgresql(
    write_config: Callable[[str], Path], postgres_url: str
) -> None:
    config = write_config("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "NEWSBOT_"))}
    env.pop("DATABASE_URL", None)

    def newsbot(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "--config", str(config), *args],
            capture_output=True,
            text=True,
            cwd=REPO,
            env={**env, **extra},
            timeout=60,
        )

    assert newsbot("ingest").returncode == 0
    moved = newsbot("migrate", "--to", postgres_url)
    assert moved.returncode == 0, moved.stderr
    assert "articles: 1 rows copied" in moved.stdout
    answer = newsbot("ask", "/news latest", DATABASE_URL=postgres_url)
    assert "Rutte: Putin Shows No Interest in Peace" in answer.stdout
    refused = newsbot("migrate", "--to", "mysql://x/y")
    assert refused.returncode == 2
    assert "--to: must be a postgresql:// address" in refused.stderr
