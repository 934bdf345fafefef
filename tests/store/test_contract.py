"""The storage contract: the same behaviour from every backend, through the ports only.

Each test runs on a real SQLite file and on a real PostgreSQL database (the throwaway
server of tests/support/postgres.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.ingest.seed import make_article
from bot.models import Outcome, PreparedArticle, TopicLabel
from bot.store import Store, StoreError
from bot.store.ports import Articles
from bot.store.postgres import PostgresStore
from tests.store.test_search_safety import HOSTILE
from tests.support.postgres import PostgresServer, fresh_database

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
async def articles(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Articles]:
    if request.param == "sqlite":
        async with Store.open(tmp_path / "news.db") as store:
            yield store
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    async with fresh_database(server) as url, PostgresStore.open(url) as pg:
        yield pg


def article(
    source: str = "a.txt", title: str = "Title", body: str = "Body text.", day: int = 1
) -> PreparedArticle:
    return PreparedArticle(make_article(source, title, dt.date(2024, 1, day), body))


async def test_reingesting_an_unchanged_article_changes_nothing(articles: Articles) -> None:
    [first] = await articles.save_articles([article()])
    [again] = await articles.save_articles([article()])
    assert (first.outcome, again.outcome) == (Outcome.ADDED, Outcome.UNCHANGED)
    assert again.article_id == first.article_id
    assert await articles.count_articles() == 1


async def test_an_edited_article_keeps_its_id_and_search_follows_the_edit(
    articles: Articles,
) -> None:
    [first] = await articles.save_articles([article(body="The harbour flooded.")])
    [edit] = await articles.save_articles([article(body="The airport closed.")])
    assert (edit.outcome, edit.article_id) == (Outcome.UPDATED, first.article_id)
    assert (await articles.search("harbour", 5))[1] == 0
    hits, total = await articles.search("airport", 5)
    assert (total, hits[0].id) == (1, first.article_id)
    stored = await articles.get_article(first.article_id)
    assert stored is not None and stored.body == "The airport closed."


async def test_the_same_text_under_another_name_is_a_duplicate(articles: Articles) -> None:
    [first] = await articles.save_articles([article("a.txt")])
    [copy] = await articles.save_articles([article("copy-of-a.txt")])
    assert copy.outcome == Outcome.DUPLICATE
    assert (copy.article_id, copy.duplicate_of) == (first.article_id, "a.txt")
    assert await articles.count_articles() == 1


async def test_one_batch_edits_an_article_and_stores_its_old_text_elsewhere(
    articles: Articles,
) -> None:
    [first] = await articles.save_articles([article("a.txt", body="The harbour flooded.")])
    edit, moved, new = await articles.save_articles(
        [
            article("a.txt", body="The airport closed."),
            article("b.txt", body="The harbour flooded."),
            article("c.txt", body="The bridge reopened."),
        ]
    )
    assert [edit.outcome, moved.outcome, new.outcome] == [Outcome.UPDATED, *[Outcome.ADDED] * 2]
    assert edit.article_id == first.article_id < moved.article_id < new.article_id
    hits, total = await articles.search("harbour", 5)
    assert (total, hits[0].id) == (1, moved.article_id)


async def test_search_ranks_title_matches_first_and_marks_the_matched_word(
    articles: Articles,
) -> None:
    await articles.save_articles(
        [
            article("body.txt", "Markets today", "Shares rose. Elections loom in spring."),
            article("title.txt", "Elections called", "The vote is set for May."),
        ]
    )
    hits, total = await articles.search("elections", 5)
    assert total == 2
    assert [hit.title for hit in hits] == ["Elections called", "Markets today"]
    assert "\x02Elections\x03" in hits[1].snippet  # models.MATCH_START / MATCH_END


async def test_every_word_must_occur_with_prefixes_title_filter_and_accents_ignored(
    articles: Articles,
) -> None:
    await articles.save_articles(
        [
            article("a.txt", "NATO ministers meet", "NATO and Ukraine discuss air defense.", 1),
            article("b.txt", "Café owners protest", "The protest in Zürich went on.", 2),
        ]
    )
    assert (await articles.search("nato ukraine", 5))[1] == 1
    assert (await articles.search("nato zurich", 5))[1] == 0
    assert (await articles.search("ukrain*", 5))[1] == 1
    assert (await articles.search("title:ministers", 5))[1] == 1
    assert (await articles.search("title:ukraine", 5))[1] == 0
    assert (await articles.search("NATO OR nonexistentword", 5))[1] == 0
    assert (await articles.search("cafe zurich", 5))[1] == 1
    # Stemmed as SQLite's porter tokenizer does, and no word is dropped as a stop word.
    assert (await articles.search("meeting", 5))[1] == 1
    assert (await articles.search("the protest", 5))[1] == 1
    assert (await articles.search("the nato", 5))[1] == 0


async def test_search_pages_follow_each_other_and_count_every_match(articles: Articles) -> None:
    await articles.save_articles(
        [article(f"{d}.txt", f"Storm {d}", f"A storm hit town {d}.", d) for d in range(1, 8)]
    )
    first, total = await articles.search("storm", 3)
    second, _ = await articles.search("storm", 3, offset=3)
    beyond, beyond_total = await articles.search("storm", 3, offset=30)
    assert (total, beyond_total, beyond) == (7, 7, [])
    ids = [hit.id for hit in first + second]
    assert len(set(ids)) == 6
    # Equal scores: newest first.
    assert [hit.date.day for hit in first] == [7, 6, 5]


async def test_articles_held_until_their_day_are_not_found(articles: Articles) -> None:
    await articles.save_articles([article("a.txt", "Flood", "A flood.", 1)])
    await articles.save_articles([article("b.txt", "Flood later", "A flood.", 20)])
    hits, total = await articles.search("flood", 5, up_to=dt.date(2024, 1, 5))
    assert (total, [hit.title for hit in hits]) == (1, ["Flood"])
    held = (await articles.latest(5, dt.date(2024, 1, 5)))[0]
    assert held.title == "Flood"
    assert await articles.get_article(2, up_to=dt.date(2024, 1, 5)) is None
    assert await articles.newest_date(dt.date(2024, 1, 5)) == dt.date(2024, 1, 1)


async def test_a_topic_only_held_articles_have_is_not_offered_until_their_day(
    articles: Articles,
) -> None:
    nato, flood = TopicLabel("nato", "NATO"), TopicLabel("flood warning", "Flood warning")
    await articles.save_articles([dataclasses.replace(article(), topics=(nato,))])
    await articles.save_articles(
        [dataclasses.replace(article("b.txt", "Later", "Held.", 20), topics=(nato, flood))]
    )
    before, on_the_day = dt.date(2024, 1, 5), dt.date(2024, 1, 20)
    assert await articles.topic_label_matches("n", 25, 100, up_to=before) == ["NATO"]
    assert await articles.topics_like("flood", 5, up_to=before) == []
    assert await articles.topic_labels(["nato", "flood warning"], up_to=before) == {"nato": "NATO"}
    assert await articles.topic_label_matches("flood", 25, 100, up_to=on_the_day) == [
        "Flood warning"
    ]
    assert await articles.topics_like("flood", 5, up_to=on_the_day) == [
        ("flood warning", "Flood warning", 1)
    ]


@pytest.mark.parametrize("query", HOSTILE)
async def test_hostile_queries_return_results_or_nothing(articles: Articles, query: str) -> None:
    await articles.save_articles([article("a.txt", "NATO ministers", "Rowid title body.")])
    hits, total = await articles.search(query, 5)
    assert total == len(hits) <= 1


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(max_size=200))
@example("*")
@example("00\x00")
async def test_no_string_makes_search_or_autocomplete_raise(articles: Articles, query: str) -> None:
    hits, total = await articles.search(query, 5)
    assert len(hits) <= total
    await articles.article_title_matches(query, 5)
    await articles.topic_label_matches(query, 5, 100)
    await articles.topics_like(query, 5)


async def test_topics_are_ranked_counted_and_replaced_on_edit(articles: Articles) -> None:
    nato, rutte = TopicLabel("nato", "NATO"), TopicLabel("mark rutte", "Mark Rutte")
    [saved] = await articles.save_articles([dataclasses.replace(article(), topics=(nato, rutte))])
    await articles.save_articles(
        [dataclasses.replace(article("b.txt", body="Other.", day=2), topics=(rutte, nato))]
    )
    assert await articles.article_topics(saved.article_id) == ["NATO", "Mark Rutte"]
    counts, total = await articles.topic_counts(dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    assert (counts, total) == ({"mark rutte": 2, "nato": 2}, 2)
    # Among equals, the topic articles rank higher first (ranks 1+2 each: then by key).
    assert list(counts) == ["mark rutte", "nato"]
    await articles.save_articles(
        [dataclasses.replace(article(body="Changed."), topics=(TopicLabel("nato", "NATO"),))]
    )
    assert await articles.article_topics(saved.article_id) == ["NATO"]
    counts, _ = await articles.topic_counts(dt.date.min, dt.date(2024, 1, 31), limit=1)
    assert counts == {"nato": 2}
    assert await articles.topic_labels(["nato", "nope"]) == {"nato": "NATO"}
    assert await articles.topics_like("rut", 5) == [("mark rutte", "Mark Rutte", 1)]
    between = await articles.articles_between(dt.date(2024, 1, 1), dt.date(2024, 1, 9), 5, "nato")
    assert [a.day for a in (x.date for x in between)] == [2, 1]


async def test_latest_is_newest_first_and_holds_future_articles(articles: Articles) -> None:
    await articles.save_articles(
        [article(f"{d}.txt", f"Day {d}", f"Body {d}.", d) for d in (3, 1, 2)]
    )
    assert [a.title for a in await articles.latest(2, dt.date(2024, 1, 31))] == ["Day 3", "Day 2"]
    assert [a.title for a in await articles.latest(5, dt.date(2024, 1, 1))] == ["Day 1"]


async def test_title_autocomplete_by_number_newest_or_title_word_prefix(articles: Articles) -> None:
    saved = await articles.save_articles(
        [
            article("a.txt", "Elections called in Spain", "Body a.", 1),
            article("b.txt", "Election results delayed", "Body b.", 2),
            article("c.txt", "Storm over the sea", "The storm delayed the election.", 3),
        ]
    )
    a, b, c = (result.article_id for result in saved)
    assert await articles.article_title_matches(f"#{c}", 25) == [(c, "Storm over the sea")]
    assert [i for i, _ in await articles.article_title_matches("", 2)] == [c, b]
    assert [i for i, _ in await articles.article_title_matches("elect", 25)] == [b, a]
    assert [i for i, _ in await articles.article_title_matches("election res", 25)] == [b]
    assert await articles.article_title_matches('" OR (', 25) == []


async def test_topic_autocomplete_prefers_exact_then_prefix_then_word(articles: Articles) -> None:
    topics = tuple(
        TopicLabel(key, label)
        for key, label in [
            ("natural gas", "natural gas"),
            ("nato", "NATO"),
            ("nato summit", "NATO summit"),
            ("senator", "senator"),
        ]
    )
    await articles.save_articles([dataclasses.replace(article(), topics=topics)])
    assert await articles.topic_label_matches("nat", 25, 100) == [
        "NATO",
        "NATO summit",
        "natural gas",
        "senator",
    ]
    assert (await articles.topic_label_matches("nato", 25, 100))[0] == "NATO"
    assert await articles.topic_label_matches("100%_", 25, 100) == []


async def test_topics_are_offered_once_an_article_carrying_them_is_shown(
    articles: Articles,
) -> None:
    nato, brexit, euro = (
        TopicLabel("nato", "NATO"),
        TopicLabel("brexit", "Brexit"),
        TopicLabel("euro", "euro"),
    )
    await articles.save_articles(
        [
            dataclasses.replace(article("a.txt", day=1), topics=(nato, euro)),
            dataclasses.replace(article("b.txt", body="Later.", day=20), topics=(nato, brexit)),
        ]
    )
    # An article edited away from a topic leaves it without articles: never offered.
    await articles.save_articles(
        [dataclasses.replace(article("a.txt", body="Edited.", day=1), topics=(nato,))]
    )
    for up_to, shown in ((dt.date(2024, 1, 5), ["nato"]), (None, ["nato", "brexit"])):
        assert [key for key, _, _ in await articles.topics_like("", 5, up_to=up_to)] == shown
        labels = await articles.topic_label_matches("", 5, 100, up_to=up_to)
        assert sorted(labels) == sorted(
            label for label in ("NATO", "Brexit") if label.lower() in shown
        )
    assert await articles.topics_like("nato", 5, up_to=dt.date(2024, 1, 5)) == [("nato", "NATO", 2)]


async def test_meta_values_are_replaced_and_stats_count_the_archive(articles: Articles) -> None:
    assert await articles.get_meta("k") is None
    await articles.set_meta("k", "one")
    await articles.set_meta("k", "two")
    assert await articles.get_meta("k") == "two"
    await articles.save_articles([article()])
    stats = await articles.stats()
    assert (stats.articles, stats.newest_date) == (1, dt.date(2024, 1, 1))
    assert stats.schema_version >= 2


async def test_postgresql_reopened_keeps_data_and_migrates_nothing_twice(
    postgres_url: str,
) -> None:
    async with PostgresStore.open(postgres_url) as store:
        await store.save_articles([article()])
        version = await store.schema_version()
    async with PostgresStore.open(postgres_url) as store:
        assert (await store.count_articles(), await store.schema_version()) == (1, version)


async def test_postgresql_from_a_newer_newsbot_is_refused(postgres_url: str) -> None:
    async with PostgresStore.open(postgres_url) as store:
        await store.pool.execute("INSERT INTO schema (version) VALUES (999)")
    with pytest.raises(StoreError, match=r"schema version 999 is newer"):
        async with PostgresStore.open(postgres_url):
            pass


async def test_an_unreachable_postgresql_gets_a_clear_error_without_the_password() -> None:
    url = "postgresql://bot:secret@127.0.0.1:1/news"
    with pytest.raises(StoreError, match=r"postgresql://bot@127.0.0.1:1/news: cannot open") as err:
        async with PostgresStore.open(url):
            pass
    assert "secret" not in str(err.value)
