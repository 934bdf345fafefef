"""SQLite and PostgreSQL side by side (``python -m bench.backends``).

The BBC file in ``../shared/data`` (skipped with exit status 0 when absent) is prepared
once (summaries, topics) and stored in a new SQLite file and in a new database on a
throwaway PostgreSQL 15 (as ``make test`` starts it); then each store answers the same
commands' queries. Printed: the storing rate, the median and p90 milliseconds of each
query kind over ``--runs`` rounds, the PostgreSQL/SQLite ratio, and how far the two
agree on search (total matches, and the share of SQLite's first page PostgreSQL also
puts on its first page). The search words are fixed below, chosen before any run.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BBC = REPO.parent / "shared" / "data" / "bbc-news-summary.jsonl"
sys.path.insert(0, str(REPO))

from bench.ingest import parse  # noqa: E402
from bench.pgserver import SMALL, fresh_database, missing_reason, throwaway_server  # noqa: E402
from bot.ingest.derive import prepare_article  # noqa: E402
from bot.models import PreparedArticle  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store.ports import Articles  # noqa: E402
from bot.store.postgres import PostgresStore  # noqa: E402

SEARCHES = ["election", "oil prices", "film award", "mobile phone*", "title:chelsea", "tax"]
END = dt.date(2005, 12, 31)
Query = Callable[[Articles], Awaitable[object]]
QUERIES: dict[str, Query] = {
    "search (page 1)": lambda s: s.search("government plans", 5, up_to=END),
    "search (page 3)": lambda s: s.search("market*", 5, offset=10, up_to=END),
    "latest": lambda s: s.latest(5, END),
    "topics (year)": lambda s: s.topic_counts(dt.date(2005, 1, 1), END, 10),
    "topics (all)": lambda s: s.topic_counts(dt.date.min, END, 10),
    "title autocomplete": lambda s: s.article_title_matches("econ", 25, END),
    "topic autocomplete": lambda s: s.topic_label_matches("bla", 25, 100, END),
}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def timed_store(store: Articles, items: list[PreparedArticle]) -> float:
    started = time.perf_counter()
    for start in range(0, len(items), 500):
        await store.save_articles(items[start : start + 500])
    return len(items) / (time.perf_counter() - started)


async def query_times(store: Articles, runs: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in QUERIES}
    for _ in range(runs):
        for name, query in QUERIES.items():
            started = time.perf_counter()
            await query(store)
            times[name].append((time.perf_counter() - started) * 1000)
    return times


async def agreement(sqlite: Articles, postgres: Articles) -> list[str]:
    lines = []
    for words in SEARCHES:
        (lite_hits, lite_total), (pg_hits, pg_total) = [
            await store.search(words, 5, up_to=END) for store in (sqlite, postgres)
        ]
        shared = len({h.id for h in lite_hits} & {h.id for h in pg_hits})
        lines.append(
            f"  {words!r:18} matches {lite_total:5} vs {pg_total:5};"
            f" first page in common {shared}/{len(lite_hits)}"
        )
    return lines


async def main(runs: int) -> None:
    articles = parse(BBC)
    items = [prepare_article(article) for article in articles]
    print(f"{len(items)} BBC articles prepared; {runs} rounds of each query")
    with tempfile.TemporaryDirectory() as folder, throwaway_server(SMALL) as server:
        async with (
            Store.open(Path(folder) / "news.db") as sqlite,
            fresh_database(server, "backends") as url,
            PostgresStore.open(url) as postgres,
        ):
            rates = [await timed_store(store, items) for store in (sqlite, postgres)]
            print(f"storing: SQLite {rates[0]:.0f} articles/s, PostgreSQL {rates[1]:.0f}/s")
            lite, pg = [await query_times(store, runs) for store in (sqlite, postgres)]
            print(f"{'ms (median / p90)':22} {'SQLite':>15} {'PostgreSQL':>15} {'ratio':>7}")
            for name in QUERIES:
                a, b = statistics.median(lite[name]), statistics.median(pg[name])
                print(
                    f"{name:22} {a:7.2f} / {percentile(lite[name], 0.9):5.2f}"
                    f" {b:7.2f} / {percentile(pg[name], 0.9):5.2f} {b / a:6.1f}x"
                )
            print("search agreement (SQLite vs PostgreSQL):")
            print("\n".join(await agreement(sqlite, postgres)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    if not BBC.exists():
        print(f"skipped: {BBC} not found")
        sys.exit(0)
    if reason := missing_reason():
        print(f"skipped: {reason}")
        sys.exit(0)
    asyncio.run(main(args.runs))
