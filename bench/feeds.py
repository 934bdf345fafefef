"""Feed benchmark (``python -m bench.feeds``): polling many sources, and main-text extraction.

Polling: 500 sources on a local server (127.0.0.1), each a copy of one of the 24 real
captures in ``../shared/data/feeds`` with its titles made unique (so every source's
entries are new articles, not copies), through the real aiohttp fetcher, FeedService and
a fresh SQLite store. Printed, in the same process:

* parse time per feed: median milliseconds of ``parse_feed`` per capture (median of 5);
* a first poll of every source (fetch, parse, summaries and topics, store), a second one
  (conditional GET: all 304), a third with the server ignoring ETags (the same bytes: no
  parsing either), and a fourth where every document changed by a byte but not its
  entries (parsed, every entry found unchanged): polls/s and entries/s, and each round as
  a ratio to the 304 round;
* peak memory: the process's peak resident set size, and Python's peak allocations
  (tracemalloc) during the first round, as its own run.

Extraction: trafilatura's main text of each ``article-*.html`` against readability's
``article-*.expected.html``, as word-level precision, recall and F1 (multisets of
lower-cased words), beside the baseline of keeping all the page's text.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import re
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FEEDS = REPO.parent / "shared" / "data" / "feeds"
sys.path.insert(0, str(REPO))

from bot.adapters.http import AiohttpFetcher  # noqa: E402
from bot.config import parse_config  # noqa: E402
from bot.feeds.fulltext import main_text  # noqa: E402
from bot.feeds.html import html_paragraphs  # noqa: E402
from bot.feeds.parse import parse_feed  # noqa: E402
from bot.feeds.service import FeedService  # noqa: E402
from bot.ingest.derive import prepare_article  # noqa: E402
from bot.models import FeedSpec  # noqa: E402
from bot.store import Store  # noqa: E402
from tests.support.feed_server import FeedServer  # noqa: E402

CONCURRENT_POLLS = 50
WORD = re.compile(r"\w+")


def captures() -> list[Path]:
    return sorted(p for p in FEEDS.iterdir() if p.suffix in (".xml", ".json"))


def unique_copy(body: bytes, n: int) -> bytes:
    """The capture with every title prefixed by the source number (XML and JSON alike)."""
    mark = f"[{n}] ".encode()
    body = body.replace(b"<title>", b"<title>" + mark).replace(b"<title type", b"<title type")
    body = body.replace(b"<title><![CDATA[" + mark, b"<title>" + mark + b"<![CDATA[")
    for key in (b'"title": "', b'"title":"'):
        body = body.replace(key, key + mark)
    return body


def parse_times(files: list[Path]) -> list[tuple[str, float, int]]:
    rows = []
    for path in files:
        body = path.read_bytes()
        times = []
        for _ in range(5):
            start = time.perf_counter()
            parsed = parse_feed(body, "http://127.0.0.1/feed")
            times.append(time.perf_counter() - start)
        rows.append((path.name, statistics.median(times) * 1000, len(parsed.entries)))
    return rows


async def poll_rounds(sources: int, traced: bool) -> list[tuple[str, float, int]]:
    """(round, seconds, entries read) for the three rounds over `sources` feeds."""
    files = captures()
    with tempfile.TemporaryDirectory() as tmp:
        config = parse_config(Path(tmp) / "newsbot.toml", {"database": {"path": "x.db"}})
        async with (
            FeedServer() as server,
            AiohttpFetcher(max_bytes=5_000_000, timeout_seconds=60) as fetcher,
            Store.open(Path(tmp) / "news.db") as store,
        ):
            kinds = {".xml": "application/rss+xml", ".json": "application/feed+json"}
            feeds = FeedService(store, config, fetcher, prepare_article)
            ids = []
            for n in range(sources):
                path = files[n % len(files)]
                server.documents[f"s{n}"] = (unique_copy(path.read_bytes(), n), kinds[path.suffix])
                feed, _ = await feeds.add(FeedSpec(f"source {n}", server.url(f"s{n}")))
                ids.append(feed.id)
            gate = asyncio.Semaphore(CONCURRENT_POLLS)

            async def poll(feed_id: int) -> int:
                async with gate:
                    result = await feeds.poll(feed_id)
                if result.report is None:
                    return 0
                return result.report.readable

            def touch() -> None:  # a new lastBuildDate, say: new bytes, the same entries
                server.conditional = False
                for key, (body, kind) in server.documents.items():
                    server.documents[key] = (body + b"\n", kind)

            setups = {
                "first poll (everything new)": lambda: None,
                "second poll (304)": lambda: None,
                "same bytes, server ignores ETag": lambda: setattr(server, "conditional", False),
                "new bytes, same entries": touch,
            }
            rounds = []
            for name, setup in setups.items():
                setup()
                if traced:
                    tracemalloc.start()
                start = time.perf_counter()
                entries = sum(await asyncio.gather(*(poll(i) for i in ids)))
                rounds.append((name, time.perf_counter() - start, entries))
                if traced:
                    rounds[-1] = (name, tracemalloc.get_traced_memory()[1] / 2**20, entries)
                    tracemalloc.stop()
                    break
            return rounds


def words(paragraphs: list[str]) -> collections.Counter[str]:
    return collections.Counter(WORD.findall(" ".join(paragraphs).casefold()))


def scores(
    found: collections.Counter[str], expected: collections.Counter[str]
) -> tuple[float, ...]:
    overlap = sum((found & expected).values())
    precision = overlap / max(sum(found.values()), 1)
    recall = overlap / max(sum(expected.values()), 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def extraction() -> None:
    print("\nmain-text extraction against readability's expected output (word P / R / F1)")
    print(f"{'page':34}  {'trafilatura':>22}  {'all page text':>22}  ms")
    totals: list[tuple[float, ...]] = []
    for page in sorted(FEEDS.glob("article-*.html")):
        if page.name.endswith(".expected.html"):
            continue
        expected = words(html_paragraphs(page.with_suffix(".expected.html").read_text()))
        raw = page.read_bytes()
        start = time.perf_counter()
        extracted = main_text(raw, "https://example.org/article")
        ms = (time.perf_counter() - start) * 1000
        ours = scores(words(extracted), expected)
        everything = scores(words(html_paragraphs(raw.decode("utf-8", "replace"))), expected)
        totals.append(ours)
        show = " / ".join(f"{v:.3f}" for v in ours)
        base = " / ".join(f"{v:.3f}" for v in everything)
        print(f"{page.stem:34}  {show:>22}  {base:>22}  {ms:.0f}")
    mean = [statistics.mean(v[i] for v in totals) for i in range(3)]
    print(f"{'mean':34}  {' / '.join(f'{v:.3f}' for v in mean):>22}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--sources", type=int, default=500)
    args = ap.parse_args(argv)
    if not FEEDS.is_dir():
        print(f"skip feeds bench: {FEEDS} not found")
        return 0
    logging.basicConfig(level=logging.ERROR)
    rows = parse_times(captures())
    overall = statistics.median(r[1] for r in rows)
    print(f"parse_feed per capture, median of 5: {overall:.2f} ms over the captures")
    for name, ms, entries in rows:
        print(
            f"  {name:50} {ms:7.2f} ms  {entries:3d} entries  {ms / max(entries, 1):.3f} ms/entry"
        )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rounds = asyncio.run(poll_rounds(args.sources, traced=False))
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    base = args.sources / rounds[1][1]
    print(f"\npolling {args.sources} sources on 127.0.0.1, {CONCURRENT_POLLS} polls at a time")
    print(f"{'round':32} {'seconds':>8} {'polls/s':>8} {'entries/s':>10} {'x 304 round':>12}")
    for name, seconds, entries in rounds:
        polls = args.sources / seconds
        print(
            f"{name:32} {seconds:8.2f} {polls:8.1f} {entries / seconds:10.0f} {polls / base:12.3f}"
        )
    traced = asyncio.run(poll_rounds(args.sources, traced=True))
    print(
        f"peak memory: resident {rss_after:.0f} MiB (before polling {rss_before:.0f} MiB);"
        f" Python allocations during the first round {traced[0][1]:.0f} MiB"
    )
    extraction()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
