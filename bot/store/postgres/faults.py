"""Database faults become StoreError, as on SQLite: one line naming the database, so a
command answers "not available" and a job shows the error in /news status, instead of
a traceback. Mistakes in our own SQL are not faults and keep their traceback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from bot.store.sqlite import StoreError

# SQLSTATE classes of a server that is gone, full, shutting down, refusing or broken:
# connection exception, auth, no such database, object state, resources, operator
# intervention, system and internal errors.
FAULT_CLASSES = frozenset({"08", "28", "3D", "55", "53", "57", "58", "XX"})


def is_fault(exc: BaseException) -> bool:
    # InternalClientError: a connection the server cut off mid-statement can be left in
    # a state asyncpg refuses to use.
    if isinstance(
        exc, OSError | TimeoutError | asyncpg.InterfaceError | asyncpg.InternalClientError
    ):
        return True
    state = getattr(exc, "sqlstate", None)
    return isinstance(exc, asyncpg.PostgresError) and str(state)[:2] in FAULT_CLASSES


class FaultMappingPool:
    """The asyncpg pool's calls, with database faults raised as StoreError."""

    def __init__(self, pool: asyncpg.Pool, where: str) -> None:
        self.raw = pool
        self.where = where

    def _mapped(self, exc: BaseException) -> BaseException:
        if is_fault(exc):
            return StoreError(f"{self.where}: database error: {exc or type(exc).__name__}")
        return exc

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[Any]:
        """A connection for a block; faults anywhere in the block are mapped."""
        try:
            async with self.raw.acquire() as db:
                yield db
        except Exception as exc:
            mapped = self._mapped(exc)
            if mapped is exc:
                raise
            raise mapped from exc

    async def fetch(self, sql: str, *args: object) -> list[Any]:
        async with self.acquire() as db:
            return list(await db.fetch(sql, *args))

    async def fetchrow(self, sql: str, *args: object) -> Any:
        async with self.acquire() as db:
            return await db.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: object) -> Any:
        async with self.acquire() as db:
            return await db.fetchval(sql, *args)

    async def execute(self, sql: str, *args: object) -> str:
        async with self.acquire() as db:
            return str(await db.execute(sql, *args))
