"""Ingest throughput benchmark (``python -m bench.ingest``).

Runs on the BBC file in ``../shared/data`` (skipped with exit status 0 when absent) and
prints articles/s, the median of ``--runs`` runs (default 3), for each stage in the same
process, so the numbers can be read as ratios to the parse-only baseline:

* ``parse``: read and validate the JSON Lines file (``parse_jsonl_file``), nothing else;
* ``parse+store (no text)``: plus the SQLite writes, with an empty summary/topics;
* ``full ingest``: ``ingest_paths`` as ``newsbot ingest`` runs it (process pool, fresh
  database in a temporary folder).  It runs before any text work in this process, so
  the forked workers start with cold word caches, as they do in a fresh ``newsbot
  ingest`` (with warm caches it read about 15% faster than a real run);
* ``parse+prepare (1 core)``: ``prepare_article`` (summary, topics, keys) serially.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BBC = REPO.parent / "shared" / "data" / "bbc-news-summary.jsonl"
sys.path.insert(0, str(REPO))

from bot.ingest.derive import prepare_article  # noqa: E402
from bot.ingest.seed import RejectedInput, parse_jsonl_file  # noqa: E402
from bot.ingest.service import ingest_paths  # noqa: E402
from bot.models import Article, PreparedArticle  # noqa: E402
from bot.store import Store  # noqa: E402

DATE = dt.date(2005, 1, 1)
MAX_BYTES = 1 << 30


def parse(path: Path) -> list[Article]:
    return [a for a in parse_jsonl_file(path, DATE, MAX_BYTES) if not isinstance(a, RejectedInput)]


def bare(article: Article) -> PreparedArticle:
    return PreparedArticle(article=article, summary=(), topics=())


def run_ingest(path: Path, prepare: Callable[[Article], PreparedArticle]) -> None:
    async def go() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            async with Store.open(Path(tmp) / "news.db") as store:
                await ingest_paths(store, [path], prepare, max_bytes=MAX_BYTES, default_date=DATE)

    asyncio.run(go())


def rate(fn: Callable[[], object], n: int, runs: int) -> float:
    """Median articles per second of ``runs`` runs of ``fn`` (which handles ``n`` articles)."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return n / statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--path", type=Path, default=BBC)
    args = ap.parse_args(argv)
    if not args.path.exists():
        print(f"skip ingest bench: {args.path} not found")
        return 0
    path: Path = args.path
    n = len(parse(path))
    stages: list[tuple[str, Callable[[], object]]] = [
        ("parse", lambda: parse(path)),
        ("parse+store (no text)", lambda: run_ingest(path, bare)),
        ("full ingest (pool)", lambda: run_ingest(path, prepare_article)),
        ("parse+prepare (1 core)", lambda: [prepare_article(a) for a in parse(path)]),
    ]
    rows = [(name, rate(fn, n, args.runs)) for name, fn in stages]
    base = rows[0][1]
    print(f"ingest of {n} articles from {path.name}, median of {args.runs} runs")
    width = max(len(name) for name, _ in rows)
    print(f"{'stage'.ljust(width)}  articles/s  x parse")
    for name, per_s in rows:
        print(f"{name.ljust(width)}  {per_s:10.0f}  {per_s / base:7.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
