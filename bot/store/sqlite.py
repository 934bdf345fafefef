"""The SQLite store: one file, WAL, numbered migrations, a single writer.

Writes go through one connection guarded by a lock (SQLite allows one writer
at a time anyway; queuing them here avoids SQLITE_BUSY between our own tasks).
Reads use a small pool of other connections, which WAL lets run beside a write and
beside each other, so a member's quick command never waits for another's slow search.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, closing, contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, Self, TypeVar

import aiosqlite

from bot.models import (
    Article,
    IngestResult,
    Outcome,
    PreparedArticle,
    SearchHit,
    StoredArticle,
    StoreStats,
    TopicLabel,
    TrendCounts,
)
from bot.store.fts import search_terms, to_fts_query

log = logging.getLogger(__name__)
_T = TypeVar("_T")

BUSY_TIMEOUT_MS = 5000
# Read connections for commands, beside the writer and the background reader: each is a
# thread with its own page cache, and a third slow query at once is rare on one bot.
POOLED_READERS = 2
# Search rows fetched beyond each edge of a page, so that equal scores at an edge can be
# put newest first without sorting every match.
SEARCH_MARGIN = 8
# A prefix term (`s*`) is expanded again for each page row looked up by rowid, at about
# the cost of counting its matches; past this many matches the page's snippets cost less
# computed while ranking.
PREFIX_LOOKUP_MATCHES = 20_000
# Longer LIKE patterns are refused by SQLite (50,000 bytes); no name is anywhere near.
MAX_PATTERN_CHARS = 1000


class StoreError(Exception):
    """The database cannot be used (unopenable, read-only, locked, damaged, migration
    failed); the message says why in one line and names the file."""


# SQLite's result code names (exc.sqlite_errorname, without extended suffixes) -> why.
_FAULTS = {
    "SQLITE_READONLY": "the database is read-only; newsbot must be able to write the file "
    "and its folder (check their permissions, or whether the disk is mounted read-only)",
    "SQLITE_BUSY": f"the database stayed locked by another program for more than "
    f"{BUSY_TIMEOUT_MS // 1000} seconds; try again when it is done",
    "SQLITE_LOCKED": "the database is locked; try again in a moment",
    "SQLITE_CANTOPEN": "cannot open the database file (check that its folder exists and "
    "can be written)",
    "SQLITE_CORRUPT": "the database file is damaged; run newsbot check",
    "SQLITE_NOTADB": "the file is not an SQLite database",
    "SQLITE_FULL": "the disk is full",
    "SQLITE_IOERR": "the disk could not be read or written",
    "SQLITE_PERM": "no permission to use the database file",
}


def fault_message(path: Path | str, exc: sqlite3.Error) -> str:
    """One line for an SQLite fault on the database at `path`."""
    name = (getattr(exc, "sqlite_errorname", "") or "").split("_", 2)
    why = _FAULTS.get("_".join(name[:2]))
    return f"{path}: {why} ({exc})" if why else f"{path}: database error: {exc}"


def _is_fault(exc: BaseException) -> bool:
    """A fault of the database or its disk, not a mistake in our SQL (those keep their
    traceback): operational errors, and damaged or foreign files."""
    return isinstance(exc, sqlite3.OperationalError) or type(exc) is sqlite3.DatabaseError


class _MappedCursor(sqlite3.Cursor):
    """Raises StoreError for database faults, wherever a statement runs or rows are read."""

    def _mapped(self, call: Callable[..., _T], *args: Any) -> _T:
        try:
            return call(*args)
        except sqlite3.Error as exc:
            if _is_fault(exc):
                connection = self.connection
                path = getattr(connection, "database_path", "the database")
                raise StoreError(fault_message(path, exc)) from exc
            raise

    def execute(self, *args: Any) -> Self:
        return self._mapped(super().execute, *args)

    def executemany(self, *args: Any) -> Self:
        return self._mapped(super().executemany, *args)

    def executescript(self, *args: Any) -> sqlite3.Cursor:
        return self._mapped(super().executescript, *args)

    def fetchone(self) -> Any:
        return self._mapped(super().fetchone)

    def fetchmany(self, *args: Any) -> list[Any]:
        return self._mapped(super().fetchmany, *args)

    def fetchall(self) -> list[Any]:
        return self._mapped(super().fetchall)


class _MappedConnection(sqlite3.Connection):
    """The store's SQLite connections: every cursor maps database faults to StoreError,
    once, here, so no sqlite3 error about the file reaches a user as a traceback."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self.database_path = str(database)

    def cursor(self, factory: Any = _MappedCursor) -> Any:
        return super().cursor(factory)

    def execute(self, *args: Any) -> Any:
        return self.cursor().execute(*args)

    def executemany(self, *args: Any) -> Any:
        return self.cursor().executemany(*args)

    def executescript(self, *args: Any) -> Any:
        return self.cursor().executescript(*args)


def _migrations() -> list[tuple[int, str, str]]:
    folder = resources.files("bot.store").joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            found.append((number, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def latest_schema_version() -> int:
    """The schema version this newsbot's migrations build."""
    return max((number for number, _, _ in _migrations()), default=0)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _visible(up_to: dt.date | None) -> str:
    """The last article date members may see, for `date <= ?`: an article dated in the
    future is held until its day (commands pass their today). None sees everything."""
    return (up_to or dt.date.max).isoformat()


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _row_article(row: sqlite3.Row) -> StoredArticle:
    return StoredArticle(
        id=row["id"],
        title=row["title"],
        date=dt.date.fromisoformat(row["date"]),
        body=row["body"],
        source=row["source"],
        summary=tuple(json.loads(row["summary"])),
        ingested_at=dt.datetime.fromisoformat(row["ingested_at"]),
        url=row["url"],
        author=row["author"],
    )


class Store:
    """Async access to the newsbot database. Open with `async with Store.open(path)`."""

    def __init__(
        self,
        path: Path,
        writer: aiosqlite.Connection,
        reader: aiosqlite.Connection,
        pooled: Sequence[aiosqlite.Connection] = (),
    ):
        self.path = path
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()
        self._idle: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        for connection in pooled or (reader,):
            self._idle.put_nowait(connection)

    @classmethod
    @asynccontextmanager
    async def open(cls, path: Path) -> AsyncIterator[Store]:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _probe(path)
            writer = await _connect(path)
        except OSError as exc:
            raise StoreError(f"{path}: cannot open the database ({exc})") from exc
        readers: list[aiosqlite.Connection] = []
        try:
            await _migrate(writer, path)
            for _ in range(1 + POOLED_READERS):
                readers.append(await _connect(path))
            store = cls(path, writer, readers[0], readers[1:])
            yield store
        finally:
            for reader in readers:
                await reader.close()
            await writer.close()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction on the single writer connection."""
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                # A fault such as a full disk may already have rolled it back.
                if self._writer.in_transaction:
                    await self._writer.execute("ROLLBACK")
                raise
            await self._writer.execute("COMMIT")

    @property
    def reader(self) -> aiosqlite.Connection:
        """The read connection for background work (delivery), apart from the commands' pool."""
        return self._reader

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[aiosqlite.Connection]:
        """An idle pooled read connection, held for the block (waits when all are busy)."""
        connection = await self._idle.get()
        try:
            yield connection
        finally:
            self._idle.put_nowait(connection)

    @asynccontextmanager
    async def _query(self, sql: str, params: Sequence[object] = ()) -> AsyncIterator[_Fetched]:
        """The rows of one statement on a pooled read connection, read in one hop."""
        async with self._reading() as db:
            rows = await _on_thread(db, lambda conn: conn.execute(sql, params).fetchall())
        yield _Fetched(rows)

    async def schema_version(self) -> int:
        async with self._query("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    # -- ingest ---------------------------------------------------------------

    async def known_articles(self, sources: Sequence[str]) -> dict[str, tuple[int, str]]:
        """source -> (article id, content hash) for the sources already stored."""
        async with self._reading() as db:
            rows = await _rows_in(db, "source", sources)
        return {row["source"]: (row["id"], row["content_hash"]) for row in rows}

    async def sources_by_hash(self, hashes: Sequence[str]) -> dict[str, str]:
        """content hash -> source of the stored article with that content."""
        async with self._reading() as db:
            rows = await _rows_in(db, "content_hash", hashes)
        return {row["content_hash"]: row["source"] for row in rows}

    async def rename_sources(self, renames: Mapping[str, str]) -> None:
        """Give stored articles new source names (old -> new), keeping their ids."""
        async with self.write() as db:
            await db.executemany(
                "UPDATE articles SET source = ? WHERE source = ?",
                [(new, old) for old, new in renames.items()],
            )

    async def save_articles(self, items: Sequence[PreparedArticle]) -> list[IngestResult]:
        """Insert new articles, update edited ones, skip unchanged ones; one transaction.

        Each statement is a round trip to the connection's thread, and per-row trips
        dominated ingest, so the outcomes are decided here first and the rows written with
        a few ``executemany`` calls.  New articles get their ids here (after the largest id,
        as SQLite would give them): the write lock and the transaction keep them free.
        """
        now = _utc_now().isoformat()
        results: list[IngestResult] = []
        saved: list[tuple[int, PreparedArticle]] = []
        # Consecutive writes of one kind, in input order: an edit can free a content hash
        # that a later new article takes, so an UPDATE must not be reordered after it.
        writes: list[tuple[str, list[tuple[object, ...]]]] = []
        async with self.write() as db:
            sources = [item.article.source for item in items]
            hashes = [item.article.content_hash for item in items]
            # source -> (id, hash) and hash -> (id, source), kept current as the batch is decided
            by_source = {
                row["source"]: (row["id"], row["content_hash"])
                for row in await _rows_in(db, "source", sources)
            }
            by_hash = {
                row["content_hash"]: (row["id"], row["source"])
                for row in await _rows_in(db, "content_hash", hashes)
            }
            async with db.execute("SELECT coalesce(max(id), 0) FROM articles") as cursor:
                row = await cursor.fetchone()
            last_id = int(row[0]) if row else 0
            for item in items:
                article = item.article
                stored = by_source.get(article.source)
                if stored is not None and stored[1] == article.content_hash:
                    results.append(IngestResult(article.source, Outcome.UNCHANGED, stored[0]))
                    continue
                owner = by_hash.get(article.content_hash)
                if owner is not None:
                    results.append(
                        IngestResult(article.source, Outcome.DUPLICATE, owner[0], owner[1])
                    )
                    continue
                values: tuple[object, ...] = (
                    article.title,
                    article.date.isoformat(),
                    article.body,
                    article.content_hash,
                    json.dumps(list(item.summary), ensure_ascii=False),
                    now,
                    article.url,
                    article.author,
                )
                if stored is not None:
                    article_id = stored[0]
                    by_hash.pop(stored[1], None)  # its old content is no longer stored
                    sql, values = _UPDATE_ARTICLE, (*values, article_id)
                    outcome = Outcome.UPDATED
                else:
                    last_id += 1
                    article_id = last_id
                    sql, values = (
                        _INSERT_ARTICLE,
                        (*values, now, article.source, int(article.announce), article_id),
                    )
                    outcome = Outcome.ADDED
                if writes and writes[-1][0] == sql:
                    writes[-1][1].append(values)
                else:
                    writes.append((sql, [values]))
                by_source[article.source] = (article_id, article.content_hash)
                by_hash[article.content_hash] = (article_id, article.source)
                saved.append((article_id, item))
                results.append(IngestResult(article.source, outcome, article_id))
            for sql, rows in writes:
                await db.executemany(sql, rows)
            await replace_topics(db, [(article_id, item.topics) for article_id, item in saved])
        return results

    async def update_derived(self, items: Sequence[PreparedArticle]) -> None:
        """Replace the summaries and topics of stored articles (``item.article.id``)."""
        async with self.write() as db:
            await db.executemany(
                "UPDATE articles SET summary = ? WHERE id = ?",
                [
                    (json.dumps(list(item.summary), ensure_ascii=False), item.article.id)
                    for item in items
                ],
            )
            await replace_topics(db, [(item.article.id, item.topics) for item in items])

    # -- reads ----------------------------------------------------------------

    async def articles_after(self, after_id: int, limit: int) -> list[Article]:
        """Stored articles with an id above ``after_id``, in id order: for paging the archive."""
        async with self._query(
            "SELECT id, title, date, body, source, content_hash, url, author FROM articles"
            " WHERE id > ? ORDER BY id LIMIT ?",
            (after_id, limit),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            Article(
                title=row["title"],
                date=dt.date.fromisoformat(row["date"]),
                body=row["body"],
                source=row["source"],
                content_hash=row["content_hash"],
                id=row["id"],
                url=row["url"],
                author=row["author"],
            )
            for row in rows
        ]

    async def latest(self, limit: int, up_to: dt.date) -> list[StoredArticle]:
        """The newest articles dated up to `up_to`: future-dated ones wait for their day."""
        async with self._query(
            "SELECT * FROM articles WHERE date <= ? ORDER BY date DESC, id DESC LIMIT ?",
            (up_to.isoformat(), limit),
        ) as cursor:
            return [_row_article(row) async for row in cursor]

    async def get_article(
        self, article_id: int, up_to: dt.date | None = None
    ) -> StoredArticle | None:
        async with self._query(
            "SELECT * FROM articles WHERE id = ? AND date <= ?", (article_id, _visible(up_to))
        ) as cursor:
            row = await cursor.fetchone()
        return _row_article(row) if row else None

    async def count_articles(self) -> int:
        async with self._query("SELECT count(*) FROM articles") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def search(
        self, user_query: str, limit: int, offset: int = 0, up_to: dt.date | None = None
    ) -> tuple[list[SearchHit], int]:
        """Ranked hits (bm25, title weighted above body; newest first among equals) and the
        total number of matches.

        Any user text is safe: it is turned into quoted FTS5 terms first. The full-text
        index counts and ranks the matches by itself and hands over the ids and scores of
        the page and a few neighbours (to see ties); titles, dates and snippets are then
        read for the page alone, all in one hop to the connection's thread. Articles dated
        after `up_to` are left out (checked per match only when there are any).
        """
        fts_query = to_fts_query(user_query)
        if fts_query is None:
            return [], 0
        prefix = any(term.prefix for term in search_terms(user_query))
        visible = _visible(up_to)
        async with self._reading() as db:
            page, total = await _on_thread(
                db, lambda conn: _search_page(conn, fts_query, prefix, limit, offset, visible)
            )
        hits = [
            SearchHit(
                id=row["id"],
                title=row["title"],
                date=dt.date.fromisoformat(row["date"]),
                snippet=row["snippet"],
            )
            for row in page
        ]
        return hits, total

    async def newest_date(self, up_to: dt.date) -> dt.date | None:
        """The newest article date not after `up_to` (future-dated articles are held)."""
        async with self._query(
            "SELECT max(date) FROM articles WHERE date <= ?", (up_to.isoformat(),)
        ) as cursor:
            row = await cursor.fetchone()
        return dt.date.fromisoformat(row[0]) if row and row[0] else None

    async def articles_between(
        self, start: dt.date, end: dt.date, limit: int, topic_key: str | None = None
    ) -> list[StoredArticle]:
        """Articles dated start..end inclusive, newest first, optionally of one topic."""
        if topic_key is None:
            sql = "SELECT a.* FROM articles a WHERE a.date BETWEEN ?1 AND ?2"  # ?3 unused
            params: tuple[object, ...] = (start.isoformat(), end.isoformat(), None)
        else:
            # The topic's day counts say from which day on its newest `limit` articles
            # lie, so a topic in thousands of articles reads only about `limit` of them.
            async with self._query(
                _NEWEST_DAYS_OF_TOPIC, (topic_key, *_days(start, end), limit)
            ) as cursor:
                row = await cursor.fetchone()
            if row is not None:
                start = max(start, dt.date.fromisoformat(row[0]))
            # Walk those days' articles when they are fewer than the topic's (a big topic),
            # else the topic's articles; SQLite on its own always takes the topic's.
            by_day = row is not None and row[1] < row[2]
            sql = _TOPIC_ARTICLES_BY_DAY if by_day else _TOPIC_ARTICLES
            params = (start.isoformat(), end.isoformat(), topic_key)
        async with self._query(
            sql + " ORDER BY a.date DESC, a.id DESC LIMIT ?4", (*params, limit)
        ) as cursor:
            return [_row_article(row) async for row in cursor]

    async def topic_counts(
        self, start: dt.date, end: dt.date, limit: int | None = None
    ) -> tuple[dict[str, int], int]:
        """How many articles dated start..end carry each topic key (the `limit` most
        frequent, or all), and how many articles.

        The dict is ordered by frequency, then by how prominent the topic is in its articles.
        Read from the counts kept per day (``topic_days``), or for the most frequent of
        all time, from the totals kept per topic.
        """
        async with self._reading() as db:
            async with db.execute(
                "SELECT coalesce(sum(articles), 0) FROM article_days WHERE day BETWEEN ? AND ?",
                _days(start, end),
            ) as cursor:
                row = await cursor.fetchone()
            total = int(row[0]) if row else 0
            if limit is not None and start == dt.date.min:
                return await _most_frequent_topics(db, end, limit), total
            async with db.execute(
                # Grouped first, so only one row per topic is joined to its key.
                "SELECT t.key, g.n FROM (SELECT topic_id, sum(articles) AS n,"
                " sum(rank_sum) AS ranks FROM topic_days WHERE day BETWEEN ? AND ?"
                " GROUP BY topic_id) g JOIN topics t ON t.id = g.topic_id"
                # Most frequent first; among equals, the ones articles rank as their main topic.
                " ORDER BY g.n DESC, g.ranks * 1.0 / g.n, t.key LIMIT ?",
                (*_days(start, end), -1 if limit is None else limit),
            ) as cursor:
                return {row[0]: int(row[1]) for row in await cursor.fetchall()}, total

    async def trending_counts(
        self, start: dt.date, end: dt.date, before: dt.date, min_count: int, top: int
    ) -> TrendCounts:
        """Topics of at least `min_count` articles dated start..end (at least the `top` most
        frequent), with their counts in before..start-1, and both periods' totals.

        A month has tens of thousands of topic-day rows, most of topics seen once; summing
        them is the cost. So only the repeated topics are joined to their keys, and the
        period before is summed at the same time on a second read connection.
        """
        period, period_before = await asyncio.gather(
            self._frequent_topics(start, end, min_count, top),
            self._topic_ids_counted(before, start - dt.timedelta(days=1)),
        )
        return TrendCounts.of_periods(period, period_before)

    async def _frequent_topics(
        self, start: dt.date, end: dt.date, min_count: int, top: int
    ) -> tuple[tuple[list[str], list[str], list[int]], int, int]:
        """The ids (as text), keys and articles of the period's topics of at least
        `min_count` articles, or else of its `top` most frequent; and its articles and
        topic mentions."""
        async with self._reading() as db:
            async with db.execute(_FREQUENT_TOPICS, (*_days(start, end), min_count, -1)) as cursor:
                row = await cursor.fetchone()
            assert row is not None
            if row[3] < top:  # few repeated topics: the most frequent ones, seen once or not
                async with db.execute(_FREQUENT_TOPICS, (*_days(start, end), 1, top)) as cursor:
                    row = await cursor.fetchone()
                assert row is not None
        ids, keys, counts = (json.loads(column) for column in row[:3])
        return (ids, keys, counts), int(row[4]), int(row[5])

    async def _topic_ids_counted(self, start: dt.date, end: dt.date) -> tuple[dict[str, int], int]:
        """topic id (as text) -> articles dated start..end, and how many articles those
        days have."""
        # Thousands of rows: handed over as one JSON object, which costs a third of making
        # a row object and two integers of each.
        async with self._query(
            "SELECT (SELECT json_group_object(topic_id, n) FROM (SELECT topic_id,"
            " sum(articles) AS n FROM topic_days WHERE day BETWEEN ?1 AND ?2"
            " GROUP BY topic_id)),"
            " (SELECT total(articles) FROM article_days WHERE day BETWEEN ?1 AND ?2)",
            _days(start, end),
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        return json.loads(row[0]), int(row[1])

    async def topic_labels(
        self, keys: Sequence[str], up_to: dt.date | None = None
    ) -> dict[str, str]:
        """key -> label of the topics that have an article dated up to `up_to`."""
        labels: dict[str, str] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            async with self._query(
                f"SELECT key, label FROM topics WHERE key IN ({marks}) AND {_SHOWN_TOPIC}",
                (*chunk, _visible(up_to), _visible(up_to)),
            ) as cursor:
                # fetchall: one hop to the connection's thread, not one per 64 rows
                labels.update({row[0]: row[1] for row in await cursor.fetchall()})
        return labels

    async def topics_like(
        self, word: str, limit: int, up_to: dt.date | None = None
    ) -> list[tuple[str, str, int]]:
        """(key, label, articles) of topics whose key contains `word` and that have an
        article dated up to `up_to`, most used first."""
        if len(word) > MAX_PATTERN_CHARS:
            return []  # no topic is that long, and SQLite refuses such LIKE patterns
        pattern = f"%{_like_escape(word)}%"
        # From three characters on, the trigram index narrows the keys to read (LIKE still
        # decides); FTS5 reads a NUL as a string's end, and no key holds one.
        indexed = len(word) >= 3 and "\x00" not in word
        async with self._query(
            "SELECT key, label, articles FROM topics"
            f" WHERE key LIKE ? ESCAPE '\\' AND {_SHOWN_TOPIC}"
            + (
                " AND id IN (SELECT rowid FROM topic_keys WHERE topic_keys MATCH ?)"
                if indexed
                else " AND ? IS NULL"
            )
            + " ORDER BY articles DESC, id LIMIT ?",
            (
                pattern,
                _visible(up_to),
                _visible(up_to),
                '"' + word.replace('"', '""') + '"' if indexed else None,
                limit,
            ),
        ) as cursor:
            return [(row[0], row[1], int(row[2])) async for row in cursor]

    async def article_title_matches(
        self, typed: str, limit: int, up_to: dt.date | None = None
    ) -> list[tuple[int, str]]:
        """(id, title) of articles dated up to `up_to` matching what a member has typed so
        far, for autocomplete.

        Empty input lists the newest; a number (`12`, `#12`) finds that article; words
        are matched against titles, the last one as a prefix while it is being typed.
        """
        typed = typed.strip()
        number = typed.lstrip("#")
        visible = _visible(up_to)
        if number.isascii() and number.isdigit() and len(number) <= 18:
            sql = "SELECT id, title FROM articles WHERE id = ? AND date <= ?"
            params: tuple[object, ...] = (int(number), visible)
        elif not typed:
            sql = (
                "SELECT id, title FROM articles WHERE date <= ? ORDER BY date DESC, id DESC LIMIT ?"
            )
            params = (visible, limit)
        else:
            words = typed.replace("*", " ").split()
            if not words:  # only stars
                return []
            # One letter matches too much to help (and is slow on a big archive).
            prefix = len(words[-1]) >= 2 and not typed[-1].isspace()
            query = to_fts_query(" ".join(f"title:{w}" for w in words) + ("*" if prefix else ""))
            if query is None:
                return []
            sql = (
                "SELECT a.id, a.title FROM articles_fts JOIN articles a"
                " ON a.id = articles_fts.rowid WHERE articles_fts MATCH ? AND a.date <= ?"
                " ORDER BY a.date DESC, a.id DESC LIMIT ?"
            )
            params = (query, visible, limit)
        async with self._query(sql, params) as cursor:
            return [(int(row[0]), str(row[1])) async for row in cursor]

    async def topic_label_matches(
        self, typed: str, limit: int, max_label_chars: int, up_to: dt.date | None = None
    ) -> list[str]:
        """Labels of topics with an article dated up to `up_to` containing what was typed:
        the exact name, then names starting with it, then names with a word starting with
        it, then the rest; ties go to the topic with more articles. Each label once."""
        typed = " ".join(typed.split())
        # No label holds a NUL (labels are cleaned), and FTS5 reads one as a string's end.
        if len(typed) > max_label_chars or "\x00" in typed:
            return []
        escaped = _like_escape(typed)
        # From three characters on, the trigram index narrows the labels to read; LIKE
        # still decides (the index also folds the case of letters beyond ASCII).
        indexed = (
            " AND id IN (SELECT rowid FROM topic_labels WHERE topic_labels MATCH ?)"
            if len(typed) >= 3
            else " AND ? IS NULL"
        )
        async with self._query(
            "SELECT label FROM topics"
            f" WHERE label LIKE ? ESCAPE '\\' AND length(label) <= ? AND {_SHOWN_TOPIC}"
            + indexed
            + " ORDER BY CASE WHEN lower(label) = lower(?) THEN 0"
            "               WHEN label LIKE ? ESCAPE '\\' THEN 1"
            "               WHEN label LIKE ? ESCAPE '\\' THEN 2 ELSE 3 END,"
            " articles DESC, label"
            " LIMIT ?",
            (
                f"%{escaped}%",
                max_label_chars,
                _visible(up_to),
                _visible(up_to),
                '"' + typed.replace('"', '""') + '"' if len(typed) >= 3 else None,
                typed,
                f"{escaped}%",
                f"% {escaped}%",
                limit * 2,
            ),
        ) as cursor:
            labels = [str(row[0]) async for row in cursor]
        # Two keys can carry the same label; a choice list shows it once.
        return list(dict.fromkeys(labels))[:limit]

    async def get_meta(self, key: str) -> str | None:
        """A value from the small key/value table for adapters' bookkeeping."""
        async with self._query("SELECT value FROM meta WHERE key = ?", (key,)) as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else None

    async def set_meta(self, key: str, value: str) -> None:
        async with self.write() as db:
            await db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    async def article_topics(self, article_id: int) -> list[str]:
        """The article's topic labels, main topic first."""
        async with self._query(
            "SELECT t.label FROM article_topics at JOIN topics t ON t.id = at.topic_id"
            " WHERE at.article_id = ? ORDER BY at.rank",
            (article_id,),
        ) as cursor:
            return [row[0] async for row in cursor]

    async def stats(self) -> StoreStats:
        async with self._query(
            "SELECT count(*), max(date), max(ingested_at),"
            " (SELECT count(*) FROM topics) FROM articles"
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        return StoreStats(
            articles=int(row[0]),
            topics=int(row[3]),
            newest_date=dt.date.fromisoformat(row[1]) if row[1] else None,
            last_ingest=dt.datetime.fromisoformat(row[2]) if row[2] else None,
            schema_version=await self.schema_version(),
        )


# Matched words are wrapped in models.MATCH_START / MATCH_END (control characters no
# article holds); ReplyItem.matched turns them into typed spans.
_SNIPPET = "snippet(articles_fts, 1, char(2), char(3), '…', 24)"
# A topic members may see: one of its articles is dated up to the day given (twice, for
# the two `?`). Whether any article is dated later is asked once; only then is each
# topic's day counts sought (a seek a topic, ~4 µs each, most of the time of autocomplete
# and topic lookups that weigh hundreds of candidates). A topic whose articles were all
# edited away keeps its row with no articles.
_SHOWN_TOPIC = (
    "topics.articles > 0 AND (NOT EXISTS (SELECT 1 FROM articles WHERE date > ?)"
    " OR EXISTS (SELECT 1 FROM topic_days d WHERE d.topic_id = topics.id AND d.day <= ?))"
)
# Matches members may see: articles dated after the day given are held until then. There
# are few or none, so whether there are any is asked once and the per-match check skipped.
_SHOWN_MATCH = (
    "(NOT EXISTS (SELECT 1 FROM articles WHERE date > :visible)"
    " OR rowid NOT IN (SELECT id FROM articles WHERE date > :visible))"
)
_SEARCH_COUNT = (
    f"SELECT count(*) FROM articles_fts WHERE articles_fts MATCH :query AND {_SHOWN_MATCH}"
)


def _ranked(columns: str) -> str:
    """Matches ranked inside FTS5 with bm25 (title weighted 5:1), a window of them.
    (``ORDER BY rank`` is slower for common words.)"""
    return (
        f"SELECT rowid AS id, bm25(articles_fts, 5.0, 1.0) AS score{columns} FROM articles_fts"
        f" WHERE articles_fts MATCH :query AND {_SHOWN_MATCH}"
        " ORDER BY score LIMIT :wanted OFFSET :start"
    )


# Ids and scores only: SQLite computes the other columns of a sorted select (a snippet,
# say) for every row that enters the top rows on its way, not just for the page.
_SEARCH_RANKED = _ranked("")
# With what a hit shows, when looking the page up again would cost more (see
# PREFIX_LOOKUP_MATCHES).
_SEARCH_RANKED_HITS = _ranked(
    f", title, (SELECT date FROM articles WHERE id = articles_fts.rowid) AS date,"
    f" {_SNIPPET} AS snippet"
)
# The page's articles (ids in a JSON list), each one sought by rowid in the full-text
# index for its snippet.
_SEARCH_PAGE = (
    f"SELECT a.id, a.title, a.date, {_SNIPPET} AS snippet"
    " FROM json_each(:ids) AS page CROSS JOIN articles a ON a.id = page.value"
    " CROSS JOIN articles_fts ON articles_fts.rowid = page.value"
    " WHERE articles_fts MATCH :query"
)
# Every match joined and sorted, in the same order: only when scores tie across a page edge.
_SEARCH_ALL = (
    f"SELECT a.id, a.title, a.date, {_SNIPPET} AS snippet"
    " FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid"
    " WHERE articles_fts MATCH ? AND a.date <= ?"
    " ORDER BY bm25(articles_fts, 5.0, 1.0), a.date DESC, a.id DESC LIMIT ? OFFSET ?"
)


def _search_page(
    db: sqlite3.Connection, fts_query: str, prefix: bool, limit: int, offset: int, visible: str
) -> tuple[list[sqlite3.Row], int]:
    """One page of a search (id, title, date, snippet) and the number of matches, read from
    one snapshot of the database."""
    # A few rows on each side of the page: equal scores (common with one common word)
    # are ordered newest first among them, which needs their whole group in hand.
    start = max(0, offset - SEARCH_MARGIN)
    wanted = offset - start + limit + SEARCH_MARGIN
    params = {"query": fts_query, "visible": visible, "wanted": wanted, "start": start}
    with _snapshot(db):
        total = int(db.execute(_SEARCH_COUNT, params).fetchone()[0])
        if total <= offset:  # no match, or a page after the last
            return [], total
        with_hits = prefix and total > PREFIX_LOOKUP_MATCHES
        window = db.execute(_SEARCH_RANKED_HITS if with_hits else _SEARCH_RANKED, params)
        ranked: list[sqlite3.Row] = sorted(window, key=lambda row: float(row["score"]))
        first, last = offset - start, min(len(ranked), offset - start + limit) - 1
        low, high = _tied_span([row["score"] for row in ranked], first, last)
        if (start > 0 and low == 0) or (len(ranked) == wanted and high == len(ranked) - 1):
            # Equal scores reach past the rows fetched: every match is joined and sorted.
            return db.execute(_SEARCH_ALL, (fts_query, visible, limit, offset)).fetchall(), total
        scores = {row["id"]: row["score"] for row in ranked[low : high + 1]}
        found = ranked[low : high + 1]
        if not with_hits:  # looked up by id: titles, dates and snippets
            ids = json.dumps(list(scores))
            found = db.execute(_SEARCH_PAGE, {"query": fts_query, "ids": ids}).fetchall()
    found.sort(key=lambda row: (scores[row["id"]], -_ordinal(row["date"]), -row["id"]))
    return found[first - low : last - low + 1], total


def _tied_span(scores: Sequence[float], first: int, last: int) -> tuple[int, int]:
    """Positions `first` to `last` of sorted `scores`, widened to every score equal to the
    one at either edge: the rows whose order among equals decides which make the page."""
    low, high = first, last
    while low > 0 and scores[low - 1] == scores[first]:
        low -= 1
    while high < len(scores) - 1 and scores[high + 1] == scores[last]:
        high += 1
    return low, high


def _ordinal(iso_date: str) -> int:
    return dt.date.fromisoformat(iso_date).toordinal()


# The first day of a window from which on a topic has `limit` articles (no row: fewer),
# how many articles those days have, and how many the topic has.
_NEWEST_DAYS_OF_TOPIC = (
    "WITH first AS (SELECT day FROM (SELECT d.day,"
    "  sum(d.articles) OVER (ORDER BY d.day DESC) AS running"
    "  FROM topic_days d JOIN topics t ON t.id = d.topic_id"
    "  WHERE t.key = ?1 AND d.day BETWEEN ?2 AND ?3) WHERE running >= ?4 LIMIT 1)"
    " SELECT day, (SELECT sum(articles) FROM article_days WHERE day BETWEEN first.day AND ?3),"
    " (SELECT articles FROM topics WHERE key = ?1) FROM first"
)
# A topic's articles in a window (?1..?2, topic key ?3), from the topic's side ...
_TOPIC_ARTICLES = (
    "SELECT a.* FROM articles a JOIN article_topics at ON at.article_id = a.id"
    " JOIN topics t ON t.id = at.topic_id WHERE a.date BETWEEN ?1 AND ?2 AND t.key = ?3"
)
# ... or from the days' side (CROSS JOIN keeps articles, by date, as the outer loop).
_TOPIC_ARTICLES_BY_DAY = (
    "SELECT a.* FROM articles a CROSS JOIN article_topics at ON at.article_id = a.id"
    " AND at.topic_id = (SELECT id FROM topics WHERE key = ?3) WHERE a.date BETWEEN ?1 AND ?2"
)


# A period's topics of at least ?3 articles (?1..?2 days; ?4 topics, -1 all), grouped before
# the join so that only those are joined to their keys, in topic_counts' order: their ids
# (as text, as the period before's JSON object names them), keys and articles, and how
# many; then the period's articles and topic mentions (every topic's count summed).
# Thousands of topics are handed over as three JSON arrays: no row object, nor an object
# that outlives the call, for each (such objects made the garbage collector run a full
# pass every few calls). The arrays keep the subquery's order: SQLite never merges a
# subquery with an ORDER BY into an aggregate reading it.
_FREQUENT_TOPICS = (
    "SELECT json_group_array(cast(id AS TEXT)), json_group_array(key), json_group_array(n),"
    " count(*),"
    " (SELECT total(articles) FROM article_days WHERE day BETWEEN ?1 AND ?2),"
    " (SELECT total(articles) FROM topic_days WHERE day BETWEEN ?1 AND ?2)"
    " FROM (SELECT t.id, t.key, g.n FROM (SELECT topic_id, sum(articles) AS n,"
    "  sum(rank_sum) AS ranks FROM topic_days WHERE day BETWEEN ?1 AND ?2"
    "  GROUP BY topic_id HAVING n >= ?3) g JOIN topics t ON t.id = g.topic_id"
    "  ORDER BY g.n DESC, g.ranks * 1.0 / g.n, t.key LIMIT ?4)"
)


def _days(start: dt.date, end: dt.date) -> tuple[str, str]:
    return start.isoformat(), end.isoformat()


async def _most_frequent_topics(
    db: aiosqlite.Connection, end: dt.date, limit: int
) -> dict[str, int]:
    """The `limit` topics with most articles dated up to `end`, from the all-time totals.

    Articles dated after `end` (held until their day) are taken off their topics' totals.
    That can lower a topic by any amount, so all topics are read down to the count of the
    (`limit` + number of such topics)-th, ties included; no topic below it can rank.
    """
    held: dict[int, tuple[int, int]] = {}
    # Summed here: grouping in SQL makes SQLite walk every topic's days in topic order.
    async with db.execute(
        "SELECT topic_id, articles, rank_sum FROM topic_days WHERE day > ?", (end.isoformat(),)
    ) as cursor:
        for topic_id, articles, rank_sum in await cursor.fetchall():
            before = held.get(topic_id, (0, 0))
            held[topic_id] = (before[0] + articles, before[1] + rank_sum)
    async with db.execute(
        "SELECT id, key, articles, rank_sum FROM topics WHERE articles >= coalesce("
        " (SELECT articles FROM topics ORDER BY articles DESC LIMIT 1 OFFSET ?), 0)"
        " AND articles > 0",
        (limit + len(held) - 1,),
    ) as cursor:
        rows = await cursor.fetchall()
    ranked: list[tuple[int, float, str]] = []
    for topic_id, key, articles, rank_sum in rows:
        held_articles, held_ranks = held.get(topic_id, (0, 0))
        count = articles - held_articles
        if count > 0:
            ranked.append((count, (rank_sum - held_ranks) / count, key))
    ranked.sort(key=lambda item: (-item[0], item[1], item[2]))
    return {key: count for count, _, key in ranked[:limit]}


_INSERT_ARTICLE = (
    "INSERT INTO articles (title, date, body, content_hash, summary, updated_at, url, author,"
    " ingested_at, source, announce, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPDATE_ARTICLE = (
    "UPDATE articles SET title = ?, date = ?, body = ?, content_hash = ?, summary = ?,"
    " updated_at = ?, url = ?, author = ? WHERE id = ?"
)


async def _rows_in(
    db: aiosqlite.Connection, column: str, values: Sequence[str]
) -> list[sqlite3.Row]:
    """Articles whose `column` is one of `values`, in chunks under SQLite's variable limit."""
    rows: list[sqlite3.Row] = []
    for start in range(0, len(values), 500):
        chunk = values[start : start + 500]
        marks = ",".join("?" * len(chunk))
        async with db.execute(
            f"SELECT id, source, content_hash FROM articles WHERE {column} IN ({marks})", chunk
        ) as cursor:
            rows.extend(await cursor.fetchall())
    return rows


async def replace_topics(
    db: aiosqlite.Connection, saved: Sequence[tuple[int, Sequence[TopicLabel]]]
) -> None:
    """Set the ranked topics of just-saved articles, replacing any they had, and add them
    to the topic counts (migration 009: once for the batch, not per row)."""
    await db.executemany(
        "DELETE FROM article_topics WHERE article_id = ?",
        [(article_id,) for article_id, _ in saved],
    )
    # The first label seen for a key names the topic; later variants merge into it.
    await db.executemany(
        "INSERT INTO topics (key, label) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
        [(topic.key, topic.label) for _, topics in saved for topic in topics],
    )
    await db.executemany(
        "INSERT OR IGNORE INTO article_topics (article_id, topic_id, rank)"
        " SELECT ?, id, ? FROM topics WHERE key = ?",
        [
            (article_id, rank, topic.key)
            for article_id, topics in saved
            for rank, topic in enumerate(topics, start=1)
        ],
    )
    # Every topic row of these articles is new: their old ones were deleted (and uncounted
    # by migration 006's trigger) above.
    ids = json.dumps([article_id for article_id, _ in saved])
    await db.execute(_COUNT_TOPIC_DAYS, (ids,))
    await db.execute(_COUNT_TOPICS, (ids,))


_OF_ARTICLES = "article_id IN (SELECT value FROM json_each(?))"
_COUNT_TOPIC_DAYS = (
    "INSERT INTO topic_days (day, topic_id, articles, rank_sum)"
    " SELECT a.date, at.topic_id, count(*), sum(at.rank)"
    " FROM article_topics at JOIN articles a ON a.id = at.article_id"
    f" WHERE at.{_OF_ARTICLES} GROUP BY a.date, at.topic_id"
    " ON CONFLICT (day, topic_id) DO UPDATE"
    " SET articles = articles + excluded.articles, rank_sum = rank_sum + excluded.rank_sum"
)
_COUNT_TOPICS = (
    "UPDATE topics SET articles = topics.articles + added.articles,"
    " rank_sum = topics.rank_sum + added.rank_sum"
    " FROM (SELECT topic_id, count(*) AS articles, sum(rank) AS rank_sum FROM article_topics"
    f" WHERE {_OF_ARTICLES} GROUP BY topic_id) AS added"
    " WHERE topics.id = added.topic_id"
)


class _Fetched:
    """A statement's rows, read like aiosqlite's cursor (`fetchone`, `fetchall`, `async
    for`) but fetched in the one hop that ran it: the cursor takes a hop for the statement,
    each fetch and its closing, and on a busy machine each hop can wait for a CPU (a
    quick command such as `/news article` made three or four)."""

    def __init__(self, rows: list[sqlite3.Row]) -> None:
        self._rows = iter(rows)

    async def fetchone(self) -> sqlite3.Row | None:
        return next(self._rows, None)

    async def fetchall(self) -> list[sqlite3.Row]:
        return list(self._rows)

    def __aiter__(self) -> _Fetched:
        return self

    async def __anext__(self) -> sqlite3.Row:
        try:
            return next(self._rows)
        except StopIteration:
            raise StopAsyncIteration from None


async def _on_thread(db: aiosqlite.Connection, work: Callable[[sqlite3.Connection], _T]) -> _T:
    """Run `work` with the sqlite3 connection on its own thread, in one hop there and back.

    aiosqlite's public calls take a hop for each statement and each fetch, and on a busy
    machine every hop can wait for a CPU; `_execute` is how those calls reach the thread."""
    result: _T = await db._execute(lambda: work(db._conn))  # type: ignore[no-untyped-call]
    return result


@contextmanager
def _snapshot(db: sqlite3.Connection) -> Iterator[None]:
    """One read transaction: the statements in it see the same database (WAL keeps it)."""
    db.execute("BEGIN")
    try:
        yield
    finally:
        if db.in_transaction:  # a fault may have ended it already
            db.execute("COMMIT")


def _probe(path: Path) -> None:
    """Open the file once without aiosqlite: when opening fails in aiosqlite's thread, the
    thread outlives the event loop and ends in a 'RuntimeError: Event loop is closed'
    traceback after our one-line message."""
    try:
        with closing(sqlite3.connect(path, factory=_MappedConnection)) as db:
            db.execute("PRAGMA schema_version").fetchone()
    except sqlite3.Error as exc:  # opening itself fails before a cursor exists
        raise StoreError(fault_message(path, exc)) from exc


async def _connect(path: Path) -> aiosqlite.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a migration and
    # its user_version bump share one explicit transaction.
    db = await aiosqlite.connect(path, isolation_level=None, factory=_MappedConnection)
    try:
        db.row_factory = sqlite3.Row
        await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await db.execute("PRAGMA foreign_keys = ON")
        await db.execute("PRAGMA journal_mode = WAL")
        await db.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        await db.close()
        raise
    return db


async def _migrate(db: aiosqlite.Connection, path: Path) -> None:
    """Apply each pending numbered migration in its own transaction."""
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    current = int(row[0]) if row else 0
    migrations = _migrations()
    latest = migrations[-1][0] if migrations else 0
    if current > latest:
        raise StoreError(
            f"{path}: database schema version {current} is newer than this newsbot "
            f"understands ({latest}); upgrade newsbot"
        )
    for number, name, sql in migrations:
        if number <= current:
            continue
        try:
            await db.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")
        except StoreError as exc:
            if db.in_transaction:
                await db.execute("ROLLBACK")
            raise StoreError(f"migration {name} failed: {exc}") from exc
        log.info("applied migration %s to %s", name, path)
