"""No string a member can type makes search raise: results or nothing, never an SQL error."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.ingest.seed import make_article
from bot.models import PreparedArticle
from bot.store import Store
from bot.store.fts import to_fts_query

HOSTILE = [
    '"',
    '"unbalanced',
    "AND",
    "OR OR OR",
    "NOT nato",
    "nato NEAR(ukraine",
    "NEAR(a b, 3)",
    "*",
    "nato*",
    "-nato",
    "((((",
    "a) OR (b",
    "title:",
    "title:nato",
    "body:ukraine",
    "rowid:1",
    "^nato",
    "nato:",
    "'; DROP TABLE articles; --",
    "x" * 10_000,
    "😀 🇺🇦",
    "\x00",
    "\\",
    "{title body}: nato",
    "",
    "   ",
]


@pytest.fixture
async def news_store(tmp_path: Path) -> AsyncIterator[Store]:
    async with Store.open(tmp_path / "news.db") as store:
        await store.save_articles(
            [
                PreparedArticle(
                    make_article(
                        "nato.txt",
                        "NATO ministers meet",
                        dt.date(2024, 12, 4),
                        "NATO and Ukraine discuss air defense. Rowid title body.",
                    )
                )
            ]
        )
        yield store


@pytest.mark.parametrize("query", HOSTILE)
async def test_hostile_queries_return_results_or_nothing(news_store: Store, query: str) -> None:
    hits, total = await news_store.search(query, 5)
    assert total == len(hits) <= 1


async def test_operators_are_plain_words_but_prefix_and_title_filter_work(
    news_store: Store,
) -> None:
    assert (await news_store.search("ukrain*", 5))[1] == 1
    assert (await news_store.search("title:ministers", 5))[1] == 1
    assert (await news_store.search("title:ukraine", 5))[1] == 0
    assert (await news_store.search("NATO OR nonexistentword", 5))[1] == 0


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=300))
async def test_no_string_makes_search_raise(news_store: Store, query: str) -> None:
    hits, total = await news_store.search(query, 5)
    assert len(hits) <= total


@given(st.text(max_size=300))
def test_fts_query_is_none_or_quoted_terms(query: str) -> None:
    fts = to_fts_query(query)
    assert fts is None or fts.count('"') % 2 == 0
