"""newsbot on a large archive, on SQLite and PostgreSQL, against the floor of each
database itself (``make bench-scale``).

Builds a recombined archive of ``--articles`` articles from ``../shared/data`` (see
``bench/scale_corpus.py`` for how its topics are kept as varied as real news), then on
each backend (``--backend``; both by default, SQLite first, then PostgreSQL on a
throwaway server started with the settings of ``pgserver.SCALE`` and stopped after):

* **ingest**: the first ``--checkpoint`` articles, then the rest, each through the real
  ``newsbot ingest`` (a fresh process, summaries and topics included); beside it the
  **floor**: the same texts written with the bare driver into the same articles table
  and full-text index (no summaries or topics), 256 rows a transaction: ``sqlite3``
  INSERTs into SQLite migration 001's table and FTS5 index, asyncpg's COPY into
  PostgreSQL migration 001's table with its generated tsvector and GIN index;
* **commands** at both sizes: p50 and p99 of every command, run in this process through
  ``Commands`` on the real database, as the bot runs them; autocomplete through the
  store calls the Discord adapter makes;
* **search floor**: for each search, timed right after newsbot's (the same load on a
  shared machine), the bare query for the same words on the floor database: the match
  count plus the first page ranked as newsbot ranks it (title weighted 5:1) with a
  snippet. SQLite: FTS5's bm25 and snippet, the faster of
  ``ORDER BY bm25(...)`` and FTS5's own ``ORDER BY rank``; PostgreSQL: the tsquery,
  ``ts_rank`` and ``ts_headline`` (of the page only), the faster of a separate count
  and a count in the same statement;
* **concurrency**: ``/news latest`` asked every 20 ms while slow searches run back to
  back for over a second;
* **start-up** (``newsbot ask "/news latest"``, median of 3), the **peak memory** of a
  running bot answering every command (``newsbot run`` with the commands piped in) and of
  the ingest (newsbot's processes; the PostgreSQL server's are not counted), and the
  **database size**.

One table, a column group per backend, is printed and written to
``bench/results-scale.json`` (each backend's numbers under its name). ``--articles 20000``
for a quick run. The corpus is kept in ``--workdir`` (not in the repository).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
RESULTS = REPO / "bench" / "results-scale.json"
MIGRATIONS = REPO / "bot" / "store" / "migrations"
PG_MIGRATIONS = REPO / "bot" / "store" / "postgres" / "migrations"
sys.path.insert(0, str(REPO))

from bench import pgserver, scale_corpus  # noqa: E402
from bench.pgserver import PostgresServer, fresh_database, throwaway_server  # noqa: E402
from bot.__main__ import settle_heap  # noqa: E402
from bot.commands import Commands  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store.backends import open_store  # noqa: E402
from bot.store.fts import to_fts_query  # noqa: E402
from bot.store.postgres.store import _HEADLINE, _WEIGHTS, to_tsquery_text  # noqa: E402

BACKENDS = ("sqlite", "postgresql")
LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
END = "2026-11-30"
TODAY = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
NEWSBOT = Path(sys.executable).parent / "newsbot"
SEARCHES = [
    "government",
    "said",
    "elect*",
    "s*",
    "prime minister",
    "title:market",
    "hepatitis",
    "football club",
]
# (words, page) of each search timed, with its floor
SEARCH_PAGES = [*((words, 1) for words in SEARCHES), ("said", 3)]


def search_name(words: str, page: int) -> str:
    return f"search {words}" + (f", page {page}" if page > 1 else "")


# Each timed call runs MAX_REPS times, or for BUDGET_S once it has MIN_REPS samples, but
# stops at CAP_S (with at least 5): p99 is then a percentile (the 2nd to 4th slowest of
# 100-300 runs), not the one slowest run, except for the few calls over 100 ms.
MIN_REPS, MAX_REPS, BUDGET_S, CAP_S = 100, 300, 2.0, 10.0


class FixedClock:
    def now(self) -> dt.datetime:
        return TODAY


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _wants_more(runs: int, elapsed: float) -> bool:
    return runs < MAX_REPS and elapsed < CAP_S and (runs < MIN_REPS or elapsed < BUDGET_S)


async def timed(fn: Callable[[int], Awaitable[object]]) -> list[float]:
    samples: list[float] = []
    start = time.perf_counter()
    while len(samples) < 5 or _wants_more(len(samples), time.perf_counter() - start):
        t0 = time.perf_counter()
        await fn(len(samples))
        samples.append(time.perf_counter() - t0)
    return samples


# -- the floors: the bare database, without newsbot ------------------------------------


def floor_rows(records: list[dict[str, str]], first_id: int) -> list[tuple[Any, ...]]:
    """(id, source, title, date, body, content_hash) of each record, as newsbot stores it."""
    return [
        (n, "corpus#" + r["id"], r["title"], r["date"], r["body"], f"{n:064x}")
        for n, r in enumerate(records, start=first_id)
    ]


FLOOR_BATCH = 256  # rows a transaction, as newsbot ingest writes them
FLOOR_COLUMNS = (
    "id",
    "source",
    "title",
    "date",
    "body",
    "content_hash",
    "ingested_at",
    "updated_at",
)
SQLITE_PAGE = {
    "bm25": "SELECT rowid, title, snippet(articles_fts, 1, '**', '**', '…', 24)"
    " FROM articles_fts WHERE articles_fts MATCH ? ORDER BY bm25(articles_fts, 5.0, 1.0)"
    " LIMIT 5 OFFSET ?",
    "rank": "SELECT rowid, title, snippet(articles_fts, 1, '**', '**', '…', 24)"
    " FROM articles_fts WHERE articles_fts MATCH ? AND rank MATCH 'bm25(5.0, 1.0)'"
    " ORDER BY rank LIMIT 5 OFFSET ?",
}


class SqliteFloor:
    """Bare sqlite3: the same articles table and FTS5 index (SQLite migration 001, no
    summaries or topics); search by the FTS5 query for the same words."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.executescript((MIGRATIONS / "001_articles.sql").read_text())

    async def insert(self, records: list[dict[str, str]], first_id: int) -> float:
        now = dt.datetime.now(dt.UTC).isoformat()
        rows = [(*row, now, now) for row in floor_rows(records, first_id)]
        t0 = time.perf_counter()
        for start in range(0, len(rows), FLOOR_BATCH):
            with self.db:
                self.db.executemany(
                    "INSERT INTO articles (id, source, title, date, body, content_hash,"
                    " ingested_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    rows[start : start + FLOOR_BATCH],
                )
        return time.perf_counter() - t0

    async def search(self, words: str, page: int) -> list[float]:
        """The match count and the first page ranked by bm25 (title 5:1) with a snippet;
        the faster of `ORDER BY bm25(...)` and FTS5's own `ORDER BY rank`."""
        query = to_fts_query(words)
        best: list[float] = []
        for sql in SQLITE_PAGE.values():

            async def run(_: int, sql: str = sql) -> None:
                self.db.execute(
                    "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", (query,)
                )
                self.db.execute(sql, (query, (page - 1) * 5)).fetchall()

            best = faster(best, await timed(run))
        return best

    async def size_mb(self) -> float:
        return size_mb(self.path)

    async def close(self) -> None:
        self.db.close()


# The ranking and snippet newsbot asks PostgreSQL for, computed for the page only.
PG_PAGE = (
    "SELECT id, title, ts_headline('newsbot', body, q.query, {headline}) FROM"
    " (SELECT id, title, body, ts_rank({weights}, search, q.query) AS score{total}"
    "  FROM articles, q WHERE search @@ q.query ORDER BY score DESC LIMIT 5 OFFSET $2) page, q"
    " ORDER BY score DESC"
)
PG_SEARCH = {
    "count, then page": (
        "SELECT count(*) FROM articles WHERE search @@ to_tsquery('newsbot', $1)",
        "WITH q AS (SELECT to_tsquery('newsbot', $1) AS query) "
        + PG_PAGE.format(headline=_HEADLINE, weights=_WEIGHTS, total=""),
    ),
    "count in the page": (
        None,
        "WITH q AS (SELECT to_tsquery('newsbot', $1) AS query) "
        + PG_PAGE.format(headline=_HEADLINE, weights=_WEIGHTS, total=", count(*) OVER ()"),
    ),
}


class PostgresFloor:
    """Bare asyncpg on the same PostgreSQL server: the same articles table with its
    tsvector column and GIN index (PostgreSQL migration 001, no summaries or topics),
    filled by COPY; search by the bare tsquery ranked by ts_rank with ts_headline."""

    def __init__(self, db: asyncpg.Connection) -> None:
        self.db = db

    @classmethod
    async def open(cls, url: str) -> PostgresFloor:
        db = await asyncpg.connect(url)
        await db.execute((PG_MIGRATIONS / "001_articles.sql").read_text())
        return cls(db)

    async def insert(self, records: list[dict[str, str]], first_id: int) -> float:
        now = dt.datetime.now(dt.UTC)
        rows = [
            (*head, dt.date.fromisoformat(date), body, digest, now, now)
            for *head, date, body, digest in floor_rows(records, first_id)
        ]
        t0 = time.perf_counter()
        for start in range(0, len(rows), FLOOR_BATCH):
            async with self.db.transaction():
                await self.db.copy_records_to_table(
                    "articles", records=rows[start : start + FLOOR_BATCH], columns=FLOOR_COLUMNS
                )
        return time.perf_counter() - t0

    async def search(self, words: str, page: int) -> list[float]:
        """The match count and the first page; the faster of a count beside the page and
        a count in the same statement (as newsbot asks)."""
        query = to_tsquery_text(words)
        best: list[float] = []
        for count, page_sql in PG_SEARCH.values():

            async def run(_: int, count: str | None = count, page_sql: str = page_sql) -> None:
                if count is not None:
                    await self.db.fetchval(count, query)
                await self.db.fetch(page_sql, query, (page - 1) * 5)

            best = faster(best, await timed(run))
        return best

    async def size_mb(self) -> float:
        return await database_mb(self.db)

    async def close(self) -> None:
        await self.db.close()


Floor = SqliteFloor | PostgresFloor


def faster(best: list[float], samples: list[float]) -> list[float]:
    return samples if not best or pct(samples, 0.99) < pct(best, 0.99) else best


async def database_mb(db: asyncpg.Connection) -> float:
    return int(await db.fetchval("SELECT pg_database_size(current_database())")) / 1e6


# -- newsbot ---------------------------------------------------------------------------


def write_config(work: Path, database: str | Path, name: str = "newsbot") -> Path:
    """A config for the SQLite file or PostgreSQL URL `database`."""
    seeds = work / "seeds"
    seeds.mkdir(exist_ok=True)
    config = work / f"{name}.toml"
    where = f'url = "{database}"' if isinstance(database, str) else f'path = "{database}"'
    config.write_text(
        f'timezone = "UTC"\n[database]\n{where}\n[seeds]\nfolder = "{seeds}"\n'
        'max_file_bytes = 1048576\n[console]\nchannels = ["news"]\n'
    )
    return config


def _peak_mb(pid: int) -> int:
    """VmHWM of a process and its children, in MB (0 once it is gone).

    Read from /proc because wait4's ru_maxrss keeps the high-water mark of the process
    that forked the child (this benchmark) across exec."""
    peak = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peak = int(line.split()[1]) // 1024
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return peak
    return max([peak, *(_peak_mb(int(child)) for child in children)])


def run_process(args: list[str], stdin: str = "", *, cwd: Path) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in MB (of its largest process) and output of a process."""
    with tempfile.TemporaryFile("w+") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=out,
            text=True,
            cwd=cwd,
            # newsbot from this tree, whichever one the virtualenv was installed from
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert proc.stdin is not None
        proc.stdin.write(stdin)
        proc.stdin.close()
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _peak_mb(proc.pid))
            time.sleep(0.01)
        elapsed = time.perf_counter() - t0
        out.seek(0)
        text = out.read()
    if proc.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{text}")
    return elapsed, peak, text


def ingest(config: Path, path: Path, work: Path) -> tuple[float, int, str]:
    return run_process([str(NEWSBOT), "ingest", "--config", str(config), str(path)], cwd=work)


def children_cpu_s() -> float:
    """CPU seconds of this process's finished children, theirs included: a `newsbot ingest`
    waits for its worker processes, so their time is counted with it."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def command_latencies(
    database: str | Path, articles: int, floor: Floor
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Every command's latencies, in this process, on the real database, with the heap
    settled as the running bot settles it after start-up; and each search's floor, timed
    right after it, so that both see the same load on a shared machine."""
    rng = random.Random(7)
    results: dict[str, list[float]] = {}
    floors: dict[str, list[float]] = {}
    searched = {search_name(words, page): (words, page) for words, page in SEARCH_PAGES}
    async with open_store(database) as store:
        commands = Commands(store, clock=FixedClock())
        settle_heap()
        topic_names = [row[1] for row in await store.topics_like("", 400)]
        popular, rare = topic_names[0], topic_names[-1]

        def line(text: str) -> Callable[[int], Awaitable[object]]:
            async def run(_: int) -> None:
                reply = await commands.run_line(text)
                if reply.error:
                    raise SystemExit(f"{text}: {reply.title} {reply.text}")

            return run

        def search(words: str, page: int) -> Callable[[int], Awaitable[object]]:
            async def run(_: int) -> None:
                reply = await commands.run("search", {"query": words, "page": page})
                if reply.error:
                    raise SystemExit(f"search {words} {page}: {reply.title} {reply.text}")

            return run

        async def by_id(command: str, n: int) -> None:
            await line(f"/news {command.format(id=rng.randint(1, articles))}")(n)

        cases: list[tuple[str, Callable[[int], Awaitable[object]]]] = [
            ("latest", line("/news latest")),
            ("latest 25", line("/news latest 25")),
            ("article", lambda n: by_id("article {id}", n)),
            ("summary", lambda n: by_id("summary {id}", n)),
            *((search_name(w, p), search(w, p)) for w, p in SEARCH_PAGES),
            *((f"topics {p}", line(f"/news topics {p}")) for p in ("day", "week", "month", "all")),
            ("topic (most common)", line(f"/news topic {popular}")),
            ("topic (rare)", line(f"/news topic {rare}")),
            ("digest week", line("/news digest week")),
            ("digest month, topic", line(f"/news digest month {popular}")),
            ("autocomplete article", lambda n: store.article_title_matches("gover", 25)),
            ("autocomplete topic", lambda n: store.topic_label_matches("bro", 25, 100)),
        ]
        for name, fn in cases:
            results[name] = await timed(fn)
            if name in searched:
                floors[name] = await floor.search(*searched[name])
    return results, floors


async def latest_during_slow_search(database: str | Path) -> dict[str, float]:
    """/news latest every 20 ms while slow searches run back to back for over a second."""
    async with open_store(database) as store:
        commands = Commands(store, clock=FixedClock())
        slow: list[float] = []
        fast: list[float] = []
        busy = True

        async def searches() -> None:
            nonlocal busy
            start = time.perf_counter()
            while time.perf_counter() - start < 1.0:
                t0 = time.perf_counter()
                await commands.run_line("/news search s*")
                slow.append(time.perf_counter() - t0)
            busy = False

        async def latest() -> None:
            await asyncio.sleep(0.05)
            while busy:
                t0 = time.perf_counter()
                await commands.run_line("/news latest")
                fast.append(time.perf_counter() - t0)
                await asyncio.sleep(0.02)

        await asyncio.gather(searches(), latest())
    return {
        "slow search s": statistics.median(slow),
        "latest p50 ms": pct(fast, 0.5) * 1000,
        "latest p99 ms": pct(fast, 0.99) * 1000,
        "latest max ms": max(fast) * 1000,
        "latest asked": len(fast),
    }


def startup_and_memory(config: Path, work: Path) -> dict[str, float]:
    """Start-up of `newsbot ask` (median of 3) and the peak RSS of a bot answering everything."""
    ask = [str(NEWSBOT), "ask", "--config", str(config), "/news latest"]
    starts = [run_process(ask, cwd=work)[0] for _ in range(3)]
    lines = [f"/news search {w}" for w in SEARCHES] + [
        "/news latest 25",
        "/news article 1",
        "/news summary 2",
        *(f"/news topics {p}" for p in ("day", "week", "month", "all")),
        "/news digest month",
        "quit",
    ]
    _, rss, _ = run_process(
        [str(NEWSBOT), "run", "--config", str(config)], "\n".join(lines) + "\n", cwd=work
    )
    return {"start-up s": statistics.median(starts), "bot peak MB": rss}


def ms(samples: list[float], q: float) -> float:
    return round(pct(samples, q) * 1000, 2)


def limit_of(name: str) -> float:
    """What a command is held to at full size: p99 as a ratio to the floor (searches) or ms."""
    if name.startswith("search"):
        return 1.2
    if name.startswith(("topics", "topic", "digest")):
        return 50.0
    return 5.0


def build_rows(res: dict[str, Any], small: int, full: int) -> list[list[str]]:
    """[what, newsbot, floor, ratio, target, met] of one backend's results."""
    rows: list[list[str]] = []
    ing = res["ingest"]
    for stage, label in (("first", f"0-{small:,}"), ("rest", f"{small:,}-{full:,}")):
        ours, bare = ing[stage]["newsbot per s"], ing[stage]["floor per s"]
        met = ours >= 0.4 * bare and ours >= 1200
        rows.append(
            [
                f"ingest {label} (articles/s)",
                f"{ours:,.0f}",
                f"{bare:,.0f}",
                f"{ours / bare:.2f}x",
                ">= 0.4x and >= 1,200/s",
                "yes" if met else "NO",
            ]
        )
    first, rest = ing["first"], ing["rest"]
    # SQLite's own cost per article grows with the index: flat means growing no faster.
    growth, floor_growth = (
        rest["newsbot ms"] / first["newsbot ms"],
        (rest["floor ms"] / first["floor ms"]),
    )
    rows.append(
        [
            "ingest ms/article, rest vs first",
            f"{rest['newsbot ms']:.2f} vs {first['newsbot ms']:.2f}",
            f"{rest['floor ms']:.2f} vs {first['floor ms']:.2f}",
            f"{growth:.2f}x (floor {floor_growth:.2f}x)",
            "flat: grows <= 1.1x the floor's growth",
            "yes" if growth <= 1.1 * floor_growth else "NO",
        ]
    )
    cores = os.cpu_count() or 1
    budget = cores * 1000 / 1200
    cpu = max(first["newsbot cpu ms"], rest["newsbot cpu ms"])
    rows.append(
        [
            "ingest CPU ms/article, every newsbot process",
            f"{first['newsbot cpu ms']:.2f} / {rest['newsbot cpu ms']:.2f}",
            "",
            "",
            f"<= {budget:.2f} ({cores} cores at 1,200/s)",
            "yes" if cpu <= budget else "NO",
        ]
    )
    for name, sizes in res["commands"].items():
        at_small, at_full = sizes[str(small)], sizes[str(full)]
        limit = limit_of(name)
        floor = res["search floor"].get(name, {}).get(str(full))
        if floor:
            ratio = at_full["p99"] / floor["p99"]
            met, shown_floor = ratio <= limit, f"{floor['p50']} / {floor['p99']}"
            ratio_text, target = f"{ratio:.2f}x", f"p99 <= {limit}x floor"
        else:
            met, shown_floor = at_full["p99"] <= limit, ""
            ratio_text, target = "", f"p99 <= {limit:g} ms"
        growth = at_full["p50"] / max(at_small["p50"], 1e-3)
        rows.append(
            [
                f"{name} (p50 / p99 ms)",
                f"{at_small['p50']} / {at_small['p99']} → {at_full['p50']} / {at_full['p99']}"
                f" (p50 x{growth:.1f})",
                shown_floor,
                ratio_text,
                target,
                "yes" if met else "NO",
            ]
        )
    conc = res["concurrency"]
    rows.append(
        [
            "latest while a slow search runs (p50 / p99 / max ms)",
            f"{conc['latest p50 ms']:.1f} / {conc['latest p99 ms']:.1f}"
            f" / {conc['latest max ms']:.1f}"
            f" (search s* {conc['slow search s']:.2f} s)",
            "",
            "",
            "<= 50 ms",
            "yes" if conc["latest max ms"] <= 50 else "NO",
        ]
    )
    proc = res["process"]
    rows += [
        [
            "start-up (newsbot ask, s)",
            f"{proc['start-up s']:.2f}",
            "",
            "",
            "<= 0.5 s",
            "yes" if proc["start-up s"] <= 0.5 else "NO",
        ],
        [
            "running bot peak RSS (MB)",
            f"{proc['bot peak MB']}",
            "",
            "",
            "<= 150 MB",
            "yes" if proc["bot peak MB"] <= 150 else "NO",
        ],
        ["ingest peak RSS, largest process (MB)", f"{ing['peak MB']}", "", "", "", ""],
        [
            "database size (MB)",
            f"{res['db MB']:.0f}",
            f"{res['floor db MB']:.0f}",
            f"{res['db MB'] / res['floor db MB']:.2f}x",
            "",
            "",
        ],
    ]
    return rows


def print_table(res: dict[str, Any]) -> str:
    """The backends side by side: for each, newsbot, its floor, the ratio, and whether
    the target is met."""
    small, full = res["checkpoint"], res["articles"]
    names = [name for name in BACKENDS if name in res]
    rows = {name: build_rows(res[name], small, full) for name in names}
    head = ["what", "target"]
    for name in names:
        head += [f"{LABELS[name]} ({small:,} → {full:,} articles)", "floor", "ratio", "met"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for at, row in enumerate(rows[names[0]]):
        cells = [row[0], row[4]]
        for name in names:
            what, ours, floor, ratio, _, met = rows[name][at]
            assert what == row[0], f"{name} has {what!r} where {names[0]} has {row[0]!r}"
            cells += [ours, floor, ratio, met]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def size_mb(db: Path) -> float:
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*")) / 1e6


def prepare_inputs(work: Path, full: int, small: int) -> tuple[list[Any], Path, Path]:
    corpus = scale_corpus.write(DATA, full, END, work / f"corpus-{full}.jsonl")
    records = [json.loads(line) for line in corpus.open(encoding="utf-8")]
    parts = (work / f"first-{full}-{small}.jsonl", work / f"rest-{full}-{small}.jsonl")
    for part, chunk in zip(parts, (records[:small], records[small:]), strict=True):
        if not part.exists():
            part.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in chunk))
    return records, *parts


@dataclass(frozen=True)
class Inputs:
    """The corpus, split in the two files ingested one after the other."""

    records: list[dict[str, str]]
    first: Path
    rest: Path
    small: int
    full: int


async def newsbot_mb(database: str | Path) -> float:
    if isinstance(database, Path):
        return size_mb(database)
    db = await asyncpg.connect(database)
    try:
        return await database_mb(db)
    finally:
        await db.close()


async def measure_backend(
    database: str | Path, floor: Floor, config: Path, work: Path, inputs: Inputs
) -> dict[str, Any]:
    """Everything on one backend: the ingest beside the floor's, the commands and the
    floor's searches at both sizes, concurrency, start-up, memory and size."""
    res: dict[str, Any] = {
        # The machine is shared: how busy it was says how to read the p99s.
        "load average at start": os.getloadavg()[0],
        "ingest": {},
        "commands": {},
        "search floor": {},
    }
    peak = 0
    small, full = inputs.small, inputs.full
    for stage, part, chunk, first_id in (
        ("first", inputs.first, inputs.records[:small], 1),
        ("rest", inputs.rest, inputs.records[small:], small + 1),
    ):
        bare_s = await floor.insert(chunk, first_id)
        cpu_before = children_cpu_s()
        ours_s, rss, out = await asyncio.to_thread(ingest, config, part, work)
        cpu_s = children_cpu_s() - cpu_before
        print(f"ingest {stage}: {out.strip().splitlines()[-1]}", file=sys.stderr)
        peak = max(peak, rss)
        res["ingest"][stage] = {
            "articles": len(chunk),
            "newsbot s": ours_s,
            "floor s": bare_s,
            "newsbot per s": len(chunk) / ours_s,
            "floor per s": len(chunk) / bare_s,
            "newsbot ms": ours_s * 1000 / len(chunk),
            "floor ms": bare_s * 1000 / len(chunk),
            "newsbot cpu ms": cpu_s * 1000 / len(chunk),
        }
        size = small if stage == "first" else full
        print(f"commands at {size:,} articles", file=sys.stderr)
        commands, floors = await command_latencies(database, size, floor)
        for name, samples in commands.items():
            res["commands"].setdefault(name, {})[str(size)] = {
                "p50": ms(samples, 0.5),
                "p99": ms(samples, 0.99),
                "n": len(samples),
            }
        for name, samples in floors.items():
            res["search floor"].setdefault(name, {})[str(size)] = {
                "p50": ms(samples, 0.5),
                "p99": ms(samples, 0.99),
            }
    res["ingest"]["peak MB"] = peak
    res["concurrency"] = await latest_during_slow_search(database)
    res["process"] = await asyncio.to_thread(startup_and_memory, config, work)
    res["db MB"], res["floor db MB"] = await newsbot_mb(database), await floor.size_mb()
    res["load average at end"] = os.getloadavg()[0]
    return res


async def on_sqlite(work: Path, inputs: Inputs) -> dict[str, Any]:
    """The SQLite file newsbot uses, beside a bare one (both new, in WORKDIR/run)."""
    run = work / "run"
    run.mkdir(exist_ok=True)
    for old in run.glob("*.db*"):
        old.unlink()
    db = run / "newsbot.db"
    floor = SqliteFloor(run / "floor.db")
    try:
        return await measure_backend(db, floor, write_config(work, db), work, inputs)
    finally:
        await floor.close()


async def on_postgres(server: PostgresServer, work: Path, inputs: Inputs) -> dict[str, Any]:
    """Two new databases on the throwaway server: newsbot's and the bare floor's."""
    async with (
        fresh_database(server, "newsbot") as url,
        fresh_database(server, "floor") as floor_url,
    ):
        floor = await PostgresFloor.open(floor_url)
        try:
            config = write_config(work, url, "newsbot-postgresql")
            return await measure_backend(url, floor, config, work, inputs)
        finally:
            await floor.close()


def measure(args: argparse.Namespace, backends: list[str]) -> dict[str, Any]:
    full, small = args.articles, args.checkpoint or args.articles // 10
    work: Path = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    records, first_part, rest_part = prepare_inputs(work, full, small)
    inputs = Inputs(records, first_part, rest_part, small, full)
    res: dict[str, Any] = {
        "articles": full,
        "checkpoint": small,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "load average at start": os.getloadavg()[0],
    }
    for name in backends:
        print(f"-- {LABELS[name]}", file=sys.stderr)
        started = time.perf_counter()
        if name == "sqlite":
            res[name] = asyncio.run(on_sqlite(work, inputs))
        else:
            with throwaway_server(pgserver.SCALE) as server:
                res[name] = asyncio.run(on_postgres(server, work, inputs))
            res[name]["server settings"] = pgserver.SCALE
        res[name]["run s"] = round(time.perf_counter() - started)
    res["load average at end"] = os.getloadavg()[0]
    return res


async def profile_commands(db: Path, lines: list[str], out: Path) -> None:
    """Where the time of each command goes (pyinstrument, this process), ten runs each."""
    from pyinstrument import Profiler

    async with Store.open(db) as store:
        commands = Commands(store, clock=FixedClock())
        for line in lines:
            profiler = Profiler(async_mode="enabled")
            with profiler:
                for _ in range(10):
                    await commands.run_line(line)
            path = out / ("profile-" + "-".join(line.split()[1:]).replace("*", "_") + ".txt")
            path.write_text(profiler.output_text(unicode=True, show_all=False))
            print(f"profile of {line!r}: {path}", file=sys.stderr)


def profile(args: argparse.Namespace) -> None:
    """Profiles of what misses a target: the ingest's main process, and slow commands."""
    work: Path = args.workdir
    full, small = args.articles, args.checkpoint or args.articles // 10
    _, first_part, _ = prepare_inputs(work, full, small)
    db = work / "run" / "newsbot.db"
    scratch = work / "profile"
    scratch.mkdir(exist_ok=True)
    for old in scratch.glob("*.db*"):
        old.unlink()
    lines = ["/news topics month", "/news search said", "/news digest week", "/news topics all"]
    asyncio.run(profile_commands(db, lines, scratch))
    config = write_config(scratch, scratch / "ingest.db")
    out = scratch / "profile-ingest.txt"
    ingest = ["-m", "bot", "ingest", "--config", str(config), str(first_part)]
    run_process([sys.executable, "-m", "pyinstrument", "-o", str(out), *ingest], cwd=scratch)
    print(f"profile of newsbot ingest (main process): {out}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--checkpoint", type=int, help="the smaller size (default a tenth)")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/newsbot-scale"))
    ap.add_argument("--output", type=Path, default=RESULTS)
    ap.add_argument(
        "--backend",
        choices=[*BACKENDS, "both"],
        default="both",
        help="the database(s) to measure, one after the other (default both)",
    )
    ap.add_argument(
        "--profile",
        action="store_true",
        help="instead of measuring, profile the ingest and slow commands on the last run's"
        " SQLite database (pyinstrument; text reports in WORKDIR/profile)",
    )
    args = ap.parse_args(argv)
    if not DATA.exists():
        print(f"skip scale bench: {DATA} not found")
        return 0
    if args.profile:
        profile(args)
        return 0
    backends = list(BACKENDS) if args.backend == "both" else [args.backend]
    if "postgresql" in backends and (reason := pgserver.missing_reason()):
        print(f"cannot measure PostgreSQL: {reason} (or --backend sqlite)", file=sys.stderr)
        return 1
    res = measure(args, backends)
    res["table"] = print_table(res)
    print(res["table"])
    args.output.write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
