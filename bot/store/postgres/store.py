"""The PostgreSQL store: articles, search, topics and meta on a shared server.

Several bot processes may use one database at once, so nothing here relies on being the
only writer: ids come from identity columns, migrations run under an advisory lock, and
each call takes a pooled connection for its own statement or transaction.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from importlib import resources

import asyncpg

from bot.models import (
    Article,
    IngestResult,
    Outcome,
    PreparedArticle,
    SearchHit,
    StoredArticle,
    StoreStats,
    TrendCounts,
)
from bot.store.fts import search_terms
from bot.store.postgres.faults import FaultMappingPool
from bot.store.sqlite import MAX_PATTERN_CHARS, StoreError

log = logging.getLogger(__name__)

POOL_SIZE = 4
# Any number: all newsbot processes take this advisory lock to migrate one at a time.
MIGRATION_LOCK = 0x6E657773


def _migrations() -> list[tuple[int, str, str]]:
    folder = resources.files("bot.store.postgres").joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.name, entry.read_text("utf-8")))
    return sorted(found)


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    head, sep, tail = url.rpartition("@")
    if not sep or "://" not in head:
        return url
    scheme, _, credentials = head.partition("://")
    return f"{scheme}://{credentials.split(':', 1)[0]}@{tail}"


def to_tsquery_text(user_query: str) -> str | None:
    """A `to_tsquery` input requiring every word (quoted, so operators are plain words),
    or None when nothing is searchable. `word*` is a prefix, `title:word` titles only."""
    parts = []
    for term in search_terms(user_query):
        quoted = "'" + term.word.replace("\\", "\\\\").replace("'", "''") + "'"
        flags = ("*" if term.prefix else "") + ("A" if term.title_only else "")
        parts.append(quoted + (":" + flags if flags else ""))
    return " & ".join(parts) or None


def _storable(text: str) -> bool:
    """Whether PostgreSQL can hold the text at all (no NUL, no lone surrogate)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _visible(up_to: dt.date | None) -> dt.date:
    return up_to or dt.date.max


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _row_article(row: asyncpg.Record) -> StoredArticle:
    return StoredArticle(
        id=row["id"],
        title=row["title"],
        date=row["date"],
        body=row["body"],
        source=row["source"],
        summary=tuple(json.loads(row["summary"])),
        ingested_at=row["ingested_at"],
        url=row["url"],
        author=row["author"],
    )


_ARTICLE = "a.id, a.title, a.date, a.body, a.source, a.summary, a.ingested_at, a.url, a.author"
# A topic members may see: one of its articles is dated up to the day given (one look in
# the topic's day counts).
_SHOWN_TOPIC = "EXISTS (SELECT 1 FROM topic_days d WHERE d.topic_id = topics.id AND d.day <= {0})"
# The same in a query joined to topic_totals: while no article is held (none dated after
# the day given: one look at the article counts) every topic of some article is shown, so
# a topic's own days are looked at only then (autocomplete's 389 topics of `bro` at
# 100,000 articles: 2.6 ms -> 1.5).
_SHOWN_COUNTED_TOPIC = (
    "(articles > 0 AND NOT EXISTS (SELECT 1 FROM article_days WHERE day > {0})"
    f" OR {_SHOWN_TOPIC})"
)
# ts_rank weights for {D, C, B, A}: a title match counts five times a body match, as the
# SQLite store's bm25(5.0, 1.0).
_WEIGHTS = "'{0.1, 0.2, 0.2, 1.0}'::float4[]"
# The titles' own tsvector, indexed by migration 006 (titles weigh A, as in `search`).
_TITLE_SEARCH = "setweight(to_tsvector('newsbot', title), 'A')"
_HEADLINE = (
    "'StartSel=' || chr(2) || ', StopSel=' || chr(3) || ',"
    " MaxWords=24, MinWords=12, MaxFragments=1, FragmentDelimiter=…'"
)


# A period's topics of at least $3 articles ($1..$2; $4 rows, NULL all), grouped before
# the join so that only those are joined to their keys: most frequent first, then the ones
# articles rank higher, then by key.
_FREQUENT_TOPICS = (
    "SELECT t.id, t.key, g.n FROM (SELECT topic_id, sum(articles) AS n,"
    " sum(rank_sum) AS ranks FROM topic_days WHERE day BETWEEN $1 AND $2"
    " GROUP BY topic_id HAVING sum(articles) >= $3) g JOIN topics t ON t.id = g.topic_id"
    " ORDER BY g.n DESC, g.ranks::float8 / g.n, t.key LIMIT $4"
)
# The same as three arrays (ids, keys, articles) and how many: one row instead of a row
# object per topic (thousands in a month), which kept Python's garbage collector busy.
# The arrays keep the sorted subquery's order, as nothing else happens around it.
_FREQUENT_TOPIC_ARRAYS = (
    f"SELECT array_agg(id), array_agg(key), array_agg(n), count(*) FROM ({_FREQUENT_TOPICS}) f"
)
# A period's articles, and its topic mentions (every topic's count summed).
_PERIOD_TOTALS = (
    "SELECT (SELECT coalesce(sum(articles), 0) FROM article_days WHERE day BETWEEN $1 AND $2),"
    " (SELECT coalesce(sum(articles), 0) FROM topic_days WHERE day BETWEEN $1 AND $2)"
)
# The $2 topics with most articles dated up to $1, from the all-time totals less the
# articles held until a later day. Holding can lower a topic by any amount, so the topics
# read are those down to the count of the ($2 + number of held topics)-th, ties included,
# and only their keys are looked up (the planner cannot tell how few they are, and
# joined by hashing every topic: 58,000 at 100,000 articles, 29 ms instead of 2).
_MOST_FREQUENT_TOPICS = (
    "WITH held AS (SELECT topic_id, sum(articles) AS n, sum(rank_sum) AS ranks"
    "  FROM topic_days WHERE day > $1 GROUP BY topic_id),"
    " least AS (SELECT coalesce((SELECT articles FROM topic_totals ORDER BY articles DESC"
    "  OFFSET greatest($2 + (SELECT count(*) FROM held) - 1, 0) LIMIT 1), 0) AS n)"
    " SELECT (SELECT key FROM topics WHERE id = c.topic_id) AS key,"
    " c.articles - coalesce(h.n, 0) AS n,"
    " (c.rank_sum - coalesce(h.ranks, 0))::float8 / (c.articles - coalesce(h.n, 0)) AS rank"
    " FROM topic_totals c LEFT JOIN held h ON h.topic_id = c.topic_id, least"
    " WHERE c.articles >= least.n AND c.articles - coalesce(h.n, 0) > 0"
    " ORDER BY n DESC, rank, key LIMIT $2"
)


class PostgresStore:
    """Async access to a newsbot database on PostgreSQL. Open with `PostgresStore.open(url)`."""

    def __init__(self, url: str, pool: asyncpg.Pool) -> None:
        self.url = url
        self.pool = FaultMappingPool(pool, redacted(url))

    @classmethod
    @asynccontextmanager
    async def open(cls, url: str) -> AsyncIterator[PostgresStore]:
        where = redacted(url)
        try:
            pool = await asyncpg.create_pool(url, min_size=1, max_size=POOL_SIZE)
        except (OSError, asyncpg.PostgresError, ValueError) as exc:
            raise StoreError(f"{where}: cannot open the database ({exc})") from exc
        try:
            async with pool.acquire() as db:
                await _migrate(db, where)
            yield cls(url, pool)
        finally:
            await pool.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        async with self.pool.acquire() as db, db.transaction():
            yield db

    @asynccontextmanager
    async def run_once(self, job_id: str) -> AsyncIterator[bool]:
        """Run a job in one process only: a session advisory lock on its id, held for the
        job and released when it ends, or by the server when this process dies."""
        async with self.pool.acquire() as db:
            mine = await db.fetchval("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", job_id)
            try:
                yield bool(mine)
            finally:
                if mine:
                    await db.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", job_id)

    @asynccontextmanager
    async def one_at_a_time(self, job_id: str) -> AsyncIterator[None]:
        """Wait until no other process does this work, then hold it (released as
        `run_once`'s lock is, at the end or with the session)."""
        async with self.pool.acquire() as db:
            await db.execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", job_id)
            try:
                yield
            finally:
                await db.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", job_id)

    async def take(self, key: str, interval: float, early: float) -> tuple[bool, float]:
        """Whether a request of `key` may go now, among all processes and on the server's
        clock, and seconds until the next may (005_pace_take.sql)."""
        row = await self.pool.fetchrow("SELECT * FROM pace_take($1, $2, $3)", key, interval, early)
        assert row is not None
        return bool(row["admitted"]), float(row["wait"])

    async def hold(self, key: str, seconds: float) -> None:
        """No process starts a slot of `key` sooner than `seconds` from now."""
        await self.pool.execute(
            "INSERT INTO pace AS p (key, next_at)"
            " VALUES ($1, clock_timestamp() + make_interval(secs => $2))"
            " ON CONFLICT (key) DO UPDATE SET next_at = greatest(p.next_at, excluded.next_at)",
            key,
            seconds,
        )

    async def schema_version(self) -> int:
        return int(await self.pool.fetchval("SELECT coalesce(max(version), 0) FROM schema"))

    # -- ingest ---------------------------------------------------------------

    async def known_articles(self, sources: Sequence[str]) -> dict[str, tuple[int, str]]:
        rows = await self.pool.fetch(
            "SELECT id, source, content_hash FROM articles WHERE source = any($1)", list(sources)
        )
        return {row["source"]: (row["id"], row["content_hash"]) for row in rows}

    async def sources_by_hash(self, hashes: Sequence[str]) -> dict[str, str]:
        rows = await self.pool.fetch(
            "SELECT source, content_hash FROM articles WHERE content_hash = any($1)",
            list(hashes),
        )
        return {row["content_hash"]: row["source"] for row in rows}

    async def rename_sources(self, renames: Mapping[str, str]) -> None:
        async with self.transaction() as db:
            await db.executemany(
                "UPDATE articles SET source = $1 WHERE source = $2",
                [(new, old) for old, new in renames.items()],
            )

    async def save_articles(self, items: Sequence[PreparedArticle]) -> list[IngestResult]:
        """Insert new articles, update edited ones, skip unchanged ones; one transaction."""
        now = _utc_now()
        results: list[IngestResult] = []
        saved: list[tuple[int, PreparedArticle]] = []
        async with self.transaction() as db:
            await _take_counts_lock(db)
            for item in items:
                result = await _save_one(db, item, now)
                results.append(result)
                if result.outcome in (Outcome.ADDED, Outcome.UPDATED):
                    saved.append((result.article_id, item))
            await _replace_topics(db, saved)
        return results

    async def update_derived(self, items: Sequence[PreparedArticle]) -> None:
        async with self.transaction() as db:
            await _take_counts_lock(db)
            await db.executemany(
                "UPDATE articles SET summary = $1 WHERE id = $2",
                [(_summary(item), item.article.id) for item in items],
            )
            await _replace_topics(db, [(item.article.id, item) for item in items])

    # -- reads ----------------------------------------------------------------

    async def articles_after(self, after_id: int, limit: int) -> list[Article]:
        rows = await self.pool.fetch(
            "SELECT id, title, date, body, source, content_hash, url, author FROM articles"
            " WHERE id > $1 ORDER BY id LIMIT $2",
            after_id,
            limit,
        )
        return [Article(**dict(row)) for row in rows]

    async def latest(self, limit: int, up_to: dt.date) -> list[StoredArticle]:
        rows = await self.pool.fetch(
            f"SELECT {_ARTICLE} FROM articles a WHERE a.date <= $1"
            " ORDER BY a.date DESC, a.id DESC LIMIT $2",
            up_to,
            limit,
        )
        return [_row_article(row) for row in rows]

    async def get_article(
        self, article_id: int, up_to: dt.date | None = None
    ) -> StoredArticle | None:
        if not -(2**63) <= article_id < 2**63:
            return None
        row = await self.pool.fetchrow(
            f"SELECT {_ARTICLE} FROM articles a WHERE a.id = $1 AND a.date <= $2",
            article_id,
            _visible(up_to),
        )
        return _row_article(row) if row else None

    async def count_articles(self) -> int:
        return int(await self.pool.fetchval("SELECT count(*) FROM articles"))

    async def search(
        self, user_query: str, limit: int, offset: int = 0, up_to: dt.date | None = None
    ) -> tuple[list[SearchHit], int]:
        """Ranked hits (ts_rank, titles above bodies; newest first among equals) and the
        total number of matches. Any user text is safe: each word is quoted first.
        Every match is ranked and counted as (id, date, score) alone; titles and bodies
        are read for the page only, so a common word's matches are not carried whole."""
        text = to_tsquery_text(user_query)
        if text is None:
            return [], 0
        rows = await self.pool.fetch(
            "WITH q AS (SELECT to_tsquery('newsbot', $1) AS query),"
            " page AS (SELECT a.id, a.date,"
            f"  ts_rank({_WEIGHTS}, a.search, q.query) AS score, count(*) OVER () AS total"
            "  FROM articles a, q WHERE a.search @@ q.query AND a.date <= $2"
            "  ORDER BY score DESC, a.date DESC, a.id DESC LIMIT $3 OFFSET $4)"
            " SELECT page.id, a.title, page.date, page.total,"
            f" ts_headline('newsbot', a.body, q.query, {_HEADLINE}) AS snippet"
            " FROM page JOIN articles a ON a.id = page.id, q"
            " ORDER BY page.score DESC, page.date DESC, page.id DESC",
            text,
            _visible(up_to),
            limit,
            offset,
        )
        if not rows:  # no match, or a page after the last
            total = await self.pool.fetchval(
                "SELECT count(*) FROM articles"
                " WHERE search @@ to_tsquery('newsbot', $1) AND date <= $2",
                text,
                _visible(up_to),
            )
            return [], int(total)
        hits = [SearchHit(row["id"], row["title"], row["date"], row["snippet"]) for row in rows]
        return hits, int(rows[0]["total"])

    async def newest_date(self, up_to: dt.date) -> dt.date | None:
        value: dt.date | None = await self.pool.fetchval(
            "SELECT max(date) FROM articles WHERE date <= $1", up_to
        )
        return value

    async def articles_between(
        self, start: dt.date, end: dt.date, limit: int, topic_key: str | None = None
    ) -> list[StoredArticle]:
        if topic_key is None:
            sql = (
                f"SELECT {_ARTICLE} FROM articles a WHERE a.date BETWEEN $1 AND $2"
                " ORDER BY a.date DESC, a.id DESC LIMIT $3"
            )
            args: tuple[object, ...] = (start, end, limit)
        else:
            # The topic's rows carry their articles' dates, indexed: its newest `limit`
            # articles are the first rows read, however many articles it has.
            sql = (
                f"SELECT {_ARTICLE} FROM article_topics at JOIN articles a ON a.id = at.article_id"
                " WHERE at.topic_id = (SELECT id FROM topics WHERE key = $3)"
                " AND at.date BETWEEN $1 AND $2 ORDER BY at.date DESC, at.article_id DESC LIMIT $4"
            )
            args = (start, end, topic_key, limit)
        rows = await self.pool.fetch(sql, *args)
        return [_row_article(row) for row in rows]

    async def topic_counts(
        self, start: dt.date, end: dt.date, limit: int | None = None
    ) -> tuple[dict[str, int], int]:
        """How many articles dated start..end carry each topic key (the `limit` most
        frequent, or all; most frequent first, then the most prominent), and how many
        articles: from the counts kept per day, or for the most frequent of all time, from
        the totals kept per topic."""
        async with self.pool.acquire() as db:
            total = await db.fetchval(
                "SELECT coalesce(sum(articles), 0) FROM article_days WHERE day BETWEEN $1 AND $2",
                start,
                end,
            )
            if limit is not None and start == dt.date.min:
                rows = await db.fetch(_MOST_FREQUENT_TOPICS, end, limit)
            else:
                rows = await db.fetch(_FREQUENT_TOPICS, start, end, 1, limit)
        return {row["key"]: int(row["n"]) for row in rows}, int(total)

    async def trending_counts(
        self, start: dt.date, end: dt.date, before: dt.date, min_count: int, top: int
    ) -> TrendCounts:
        """Topics of at least `min_count` articles dated start..end (at least the `top` most
        frequent), with their counts in before..start-1, and both periods' totals."""
        period, period_before = await asyncio.gather(
            self._frequent_topics(start, end, min_count, top),
            self._topic_ids_counted(before, start - dt.timedelta(days=1)),
        )
        return TrendCounts.of_periods(period, period_before)

    async def _frequent_topics(
        self, start: dt.date, end: dt.date, min_count: int, top: int
    ) -> tuple[tuple[list[int], list[str], list[int]], int, int]:
        """The ids, keys and articles of the period's topics of at least `min_count`
        articles, or else of its `top` most frequent; and its articles and topic mentions."""
        async with self.pool.acquire() as db:
            row = await db.fetchrow(_FREQUENT_TOPIC_ARRAYS, start, end, min_count, None)
            if row[3] < top:  # few repeated topics: the most frequent ones, seen once or not
                row = await db.fetchrow(_FREQUENT_TOPIC_ARRAYS, start, end, 1, top)
            totals = await db.fetchrow(_PERIOD_TOTALS, start, end)
        # No topic at all: NULL arrays.
        return (row[0] or [], row[1] or [], row[2] or []), int(totals[0]), int(totals[1])

    async def _topic_ids_counted(self, start: dt.date, end: dt.date) -> tuple[dict[int, int], int]:
        """topic id -> articles dated start..end, and how many articles those days have."""
        async with self.pool.acquire() as db:
            # As two arrays, not a row object per topic (see _FREQUENT_TOPIC_ARRAYS).
            ids, counts = await db.fetchrow(
                "SELECT array_agg(topic_id), array_agg(n) FROM (SELECT topic_id,"
                " sum(articles) AS n FROM topic_days WHERE day BETWEEN $1 AND $2"
                " GROUP BY topic_id) g",
                start,
                end,
            )
            articles = await db.fetchval(
                "SELECT coalesce(sum(articles), 0) FROM article_days WHERE day BETWEEN $1 AND $2",
                start,
                end,
            )
        return dict(zip(ids or [], counts or [], strict=True)), int(articles)

    async def topic_labels(
        self, keys: Sequence[str], up_to: dt.date | None = None
    ) -> dict[str, str]:
        # Each key looked up in the keys' b-tree: with `key = any($1)` the planner took the
        # trigram index, which also serves `=`, and rechecked thousands of topics for 300 keys
        # (`topics month` at 100,000 articles: 31-75 ms instead of 3-7.5).
        rows = await self.pool.fetch(
            "SELECT topics.key, label FROM unnest($1::text[]) AS k (key)"
            f" JOIN topics ON topics.key = k.key WHERE {_SHOWN_TOPIC.format('$2')}",
            [key for key in keys if _storable(key)],
            _visible(up_to),
        )
        return {row["key"]: row["label"] for row in rows}

    async def topics_like(
        self, word: str, limit: int, up_to: dt.date | None = None
    ) -> list[tuple[str, str, int]]:
        """(key, label, articles) of visible topics whose key contains `word`, most used
        first (articles of all time, held ones included)."""
        if len(word) > MAX_PATTERN_CHARS or not _storable(word):
            return []
        rows = await self.pool.fetch(
            "SELECT key, label, articles FROM topics JOIN topic_totals ON topic_id = id"
            f" WHERE key LIKE $1 ESCAPE '\\' AND {_SHOWN_COUNTED_TOPIC.format('$2')}"
            " ORDER BY articles DESC, id LIMIT $3",
            f"%{_like_escape(word)}%",
            _visible(up_to),
            limit,
        )
        return [(row["key"], row["label"], int(row["articles"])) for row in rows]

    async def article_title_matches(
        self, typed: str, limit: int, up_to: dt.date | None = None
    ) -> list[tuple[int, str]]:
        """(id, title) of visible articles for autocomplete: the newest for empty input,
        one article for a number (`12`, `#12`), else title words, the last as a prefix."""
        typed = typed.strip()
        number = typed.lstrip("#")
        visible = _visible(up_to)
        if number.isascii() and number.isdigit() and len(number) <= 18:
            sql = "SELECT id, title FROM articles WHERE id = $1 AND date <= $2"
            args: tuple[object, ...] = (int(number), visible)
        elif not typed:
            sql = "SELECT id, title FROM articles WHERE date <= $1 ORDER BY date DESC, id DESC"
            args = (visible,)
        else:
            words = typed.replace("*", " ").split()
            if not words:  # only stars
                return []
            prefix = len(words[-1]) >= 2 and not typed[-1].isspace()
            # No weight: the titles' own vector has no other. With one, the planner guesses
            # how many titles match instead of reading its statistics, and may check every
            # title newest first (20,000 articles, `gover`: 47 ms instead of 0.2).
            query = to_tsquery_text(" ".join(words) + ("*" if prefix else ""))
            if query is None:
                return []
            sql = (
                f"SELECT id, title FROM articles WHERE {_TITLE_SEARCH} @@ to_tsquery('newsbot', $1)"
                " AND date <= $2 ORDER BY date DESC, id DESC"
            )
            args = (query, visible)
        rows = await self.pool.fetch(sql + f" LIMIT ${len(args) + 1}", *args, limit)
        return [(int(row["id"]), str(row["title"])) for row in rows]

    async def topic_label_matches(
        self, typed: str, limit: int, max_label_chars: int, up_to: dt.date | None = None
    ) -> list[str]:
        """Labels of visible topics containing what was typed: the exact name, then names
        starting with it, then names with a word starting with it, then the rest."""
        typed = " ".join(typed.split())
        if len(typed) > max_label_chars or not _storable(typed):
            return []
        escaped = _like_escape(typed)
        rows = await self.pool.fetch(
            "SELECT label FROM topics JOIN topic_totals ON topic_id = id"
            " WHERE label ILIKE $1 ESCAPE '\\' AND length(label) <= $2"
            f" AND {_SHOWN_COUNTED_TOPIC.format('$3')}"
            " ORDER BY CASE WHEN lower(label) = lower($4) THEN 0"
            "               WHEN label ILIKE $5 ESCAPE '\\' THEN 1"
            "               WHEN label ILIKE $6 ESCAPE '\\' THEN 2 ELSE 3 END,"
            " articles DESC, label LIMIT $7",
            f"%{escaped}%",
            max_label_chars,
            _visible(up_to),
            typed,
            f"{escaped}%",
            f"% {escaped}%",
            limit * 2,
        )
        return list(dict.fromkeys(str(row["label"]) for row in rows))[:limit]

    async def get_meta(self, key: str) -> str | None:
        value: str | None = await self.pool.fetchval("SELECT value FROM meta WHERE key = $1", key)
        return value

    async def set_meta(self, key: str, value: str) -> None:
        await self.pool.execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            key,
            value,
        )

    async def article_topics(self, article_id: int) -> list[str]:
        rows = await self.pool.fetch(
            "SELECT t.label FROM article_topics at JOIN topics t ON t.id = at.topic_id"
            " WHERE at.article_id = $1 ORDER BY at.rank",
            article_id,
        )
        return [row["label"] for row in rows]

    async def stats(self) -> StoreStats:
        row = await self.pool.fetchrow(
            "SELECT count(*), max(date), max(ingested_at), (SELECT count(*) FROM topics)"
            " FROM articles"
        )
        assert row is not None
        return StoreStats(
            articles=int(row[0]),
            topics=int(row[3]),
            newest_date=row[1],
            last_ingest=row[2],
            schema_version=await self.schema_version(),
        )


def _summary(item: PreparedArticle) -> str:
    return json.dumps(list(item.summary), ensure_ascii=False)


async def _save_one(
    db: asyncpg.Connection, item: PreparedArticle, now: dt.datetime
) -> IngestResult:
    """Add, update or skip one article, as the SQLite store decides it."""
    article = item.article
    stored = await db.fetchrow(
        "SELECT id, content_hash FROM articles WHERE source = $1", article.source
    )
    if stored is not None and stored["content_hash"] == article.content_hash:
        return IngestResult(article.source, Outcome.UNCHANGED, stored["id"])
    owner = await db.fetchrow(
        "SELECT id, source FROM articles WHERE content_hash = $1", article.content_hash
    )
    if owner is not None:
        return IngestResult(article.source, Outcome.DUPLICATE, owner["id"], owner["source"])
    values = (
        article.title,
        article.date,
        article.body,
        article.content_hash,
        _summary(item),
        now,
        article.url,
        article.author,
    )
    if stored is not None:
        await db.execute(
            "UPDATE articles SET title = $1, date = $2, body = $3, content_hash = $4,"
            " summary = $5, updated_at = $6, url = $7, author = $8 WHERE id = $9",
            *values,
            stored["id"],
        )
        return IngestResult(article.source, Outcome.UPDATED, stored["id"])
    article_id = await db.fetchval(
        "INSERT INTO articles (title, date, body, content_hash, summary, updated_at, url,"
        " author, ingested_at, source, announce)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $6, $9, $10) ON CONFLICT DO NOTHING"
        " RETURNING id",
        *values,
        article.source,
        article.announce,
    )
    if article_id is None:  # another process stored it meanwhile: decide again
        return await _save_one(db, item, now)
    return IngestResult(article.source, Outcome.ADDED, int(article_id))


async def _replace_topics(
    db: asyncpg.Connection, saved: Sequence[tuple[int, PreparedArticle]]
) -> None:
    """Set the ranked topics of just-saved articles, replacing any they had."""
    await db.execute(
        "DELETE FROM article_topics WHERE article_id = any($1)", [id_ for id_, _ in saved]
    )
    # The first label seen for a key names the topic; later variants merge into it.
    await db.executemany(
        "INSERT INTO topics (key, label) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        [(topic.key, topic.label) for _, item in saved for topic in item.topics],
    )
    # One statement, so the counts' triggers run once for the batch; of two labels with
    # one key, the first (the higher rank) is kept.
    rows = [
        (article_id, rank, topic.key)
        for article_id, item in saved
        for rank, topic in enumerate(item.topics, start=1)
    ]
    await db.execute(
        "INSERT INTO article_topics (article_id, topic_id, rank, date)"
        " SELECT v.article_id, t.id, v.rank, a.date"
        " FROM unnest($1::bigint[], $2::integer[], $3::text[]) AS v (article_id, rank, key)"
        " JOIN topics t ON t.key = v.key JOIN articles a ON a.id = v.article_id"
        " ORDER BY v.article_id, v.rank ON CONFLICT DO NOTHING",
        [row[0] for row in rows],
        [row[1] for row in rows],
        [row[2] for row in rows],
    )


async def _take_counts_lock(db: asyncpg.Connection) -> None:
    """Wait for any other process writing articles: the topic counts' triggers take this
    lock too, and taking it before the first write keeps two writers from deadlocking."""
    await db.execute("SELECT newsbot_counts_lock()")


async def _migrate(db: asyncpg.Connection, where: str) -> None:
    """Apply each pending numbered migration in its own transaction, one process at a time."""
    async with db.transaction():
        await db.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await db.execute("CREATE TABLE IF NOT EXISTS schema (version integer PRIMARY KEY)")
        current = int(await db.fetchval("SELECT coalesce(max(version), 0) FROM schema"))
        migrations = _migrations()
        latest = migrations[-1][0]
        if current > latest:
            raise StoreError(
                f"{where}: database schema version {current} is newer than this newsbot "
                f"understands ({latest}); upgrade newsbot"
            )
        for number, name, sql in migrations:
            if number <= current:
                continue
            try:
                async with db.transaction():
                    await db.execute(sql)
                    await db.execute("INSERT INTO schema (version) VALUES ($1)", number)
            except asyncpg.PostgresError as exc:
                raise StoreError(f"{where}: migration {name} failed: {exc}") from exc
            log.info("applied migration %s to %s", name, where)


async def read_only_stats(url: str) -> StoreStats | None:
    """The archive's facts for `newsbot check`, without migrating or changing anything;
    None when newsbot has not made its tables there yet."""
    where = redacted(url)
    try:
        db = await asyncpg.connect(url)
    except (OSError, asyncpg.PostgresError, ValueError) as exc:
        raise StoreError(f"{where}: cannot open the database ({exc})") from exc
    try:
        if await db.fetchval("SELECT to_regclass('schema')") is None:
            return None
        version = int(await db.fetchval("SELECT coalesce(max(version), 0) FROM schema"))
        row = await db.fetchrow(
            "SELECT count(*), max(date), max(ingested_at), (SELECT count(*) FROM topics)"
            " FROM articles"
        )
    except asyncpg.PostgresError as exc:
        raise StoreError(f"{where}: database error: {exc}") from exc
    finally:
        await db.close()
    return StoreStats(int(row[0]), int(row[3]), row[1], row[2], version)


def latest_schema_version() -> int:
    return _migrations()[-1][0]
