"""Which database newsbot uses: an SQLite file (the default) or a PostgreSQL server.

The one place that knows both backends; the core gets the ports of bot.store.ports.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import AdminConfig, postgres_url_problem
from bot.store.deliveries import DeliveryStore
from bot.store.feeds import FeedStore
from bot.store.health import Health, check_database
from bot.store.ports import Articles, FeedSources, JobLocks, SharedPace, Subscriptions
from bot.store.sqlite import Store, StoreError

# The PostgreSQL backend (and asyncpg) is imported only when the database is PostgreSQL:
# an SQLite bot, and `newsbot ask` on it, start without it.
if TYPE_CHECKING:
    from bot.store.postgres import PostgresStore


def is_postgres_url(database: str | Path) -> bool:
    return isinstance(database, str) and postgres_url_problem(database) is None


def database_location(config: AdminConfig, env: Mapping[str, str] = os.environ) -> str | Path:
    """Where the database is: `DATABASE_URL`, else the config's `database.url`, else its
    SQLite `database.path`."""
    url = env.get("DATABASE_URL") or None
    if url is not None and (problem := postgres_url_problem(url)):
        raise StoreError(f"DATABASE_URL: {problem}")
    return url or config.database_url or config.database_path


def describe(database: str | Path) -> str:
    """The location for messages, without a password."""
    if isinstance(database, Path):
        return str(database)
    from bot.store.postgres.store import redacted

    return redacted(database)


@asynccontextmanager
async def open_store(database: str | Path) -> AsyncIterator[Articles]:
    """The store at `database`: a postgresql:// URL, or else the path of an SQLite file."""
    if is_postgres_url(database):
        from bot.store.postgres import PostgresStore

        async with PostgresStore.open(str(database)) as postgres:
            yield postgres
    else:
        async with Store.open(Path(database)) as sqlite:
            yield sqlite


def _on_postgres(store: Articles) -> PostgresStore | None:
    """`store` when it is the PostgreSQL one; None for SQLite (without importing asyncpg)."""
    if isinstance(store, Store):
        return None
    from bot.store.postgres import PostgresStore

    return store if isinstance(store, PostgresStore) else None


def subscriptions_of(store: Articles, lease: dt.timedelta | None = None) -> Subscriptions:
    """The subscriptions and delivery ledger kept in the same database as `store`; on
    PostgreSQL a process holds a channel's posts for `lease` (renewed as it sends;
    default DEFAULT_LEASE of bot.store.postgres.deliveries)."""
    if (postgres := _on_postgres(store)) is not None:
        from bot.store.postgres.deliveries import DEFAULT_LEASE, PostgresSubscriptions

        return PostgresSubscriptions(postgres, lease or DEFAULT_LEASE)
    assert isinstance(store, Store), f"no subscriptions for {type(store).__name__}"
    return DeliveryStore(store)


class OneProcess:
    """SQLite: one process has the file, so every job is this process's to run."""

    def run_once(self, job_id: str) -> AbstractAsyncContextManager[bool]:
        return _always()

    def one_at_a_time(self, job_id: str) -> AbstractAsyncContextManager[None]:
        return _alone()


@asynccontextmanager
async def _alone() -> AsyncIterator[None]:
    yield


@asynccontextmanager
async def _always() -> AsyncIterator[bool]:
    yield True


def job_locks_of(store: Articles) -> JobLocks:
    """How jobs that must run once are kept to one process on `store`'s database."""
    postgres = _on_postgres(store)
    return OneProcess() if postgres is None else postgres


def shared_pace_of(store: Articles) -> SharedPace | None:
    """The pace shared with other processes on `store`'s database; None when there are
    none (SQLite), and each process paces itself."""
    return _on_postgres(store)


def feed_sources_of(store: Articles) -> FeedSources:
    """The followed feeds kept in the same database as `store`."""
    if (postgres := _on_postgres(store)) is not None:
        from bot.store.postgres.feeds import PostgresFeeds

        return PostgresFeeds(postgres)
    assert isinstance(store, Store), f"no feeds for {type(store).__name__}"
    return FeedStore(store)


async def database_health(database: str | Path) -> Health:
    """What `newsbot check` reports about the database, changing nothing: facts, and
    problems that would stop `newsbot run`."""
    if not is_postgres_url(database):
        return await asyncio.to_thread(check_database, Path(database))
    from bot.store.postgres.store import latest_schema_version, read_only_stats

    health = Health()
    where = describe(database)
    try:
        stats = await read_only_stats(str(database))
    except StoreError as exc:
        health.problems.append(str(exc))
        return health
    if stats is None:
        health.facts.append(
            f"database: {where} has no newsbot tables yet (run or ingest makes them)"
        )
        return health
    health.facts.append(f"database: {where} (schema version {stats.schema_version})")
    if stats.schema_version > (latest := latest_schema_version()):
        health.problems.append(
            f"database: {where} has schema version {stats.schema_version}, newer than this "
            f"newsbot understands ({latest}); upgrade newsbot"
        )
    newest = stats.newest_date.isoformat() if stats.newest_date else "none"
    health.facts.append(f"articles: {stats.articles}, newest: {newest}")
    if stats.last_ingest:
        health.facts.append(f"last ingest: {stats.last_ingest.isoformat()}")
    return health
