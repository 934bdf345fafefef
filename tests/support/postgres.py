"""The throwaway PostgreSQL 15 server of the tests, started by pytest itself.

`make test` is the only setup CI has (a fresh clone, as root), so the session starts its
own server (bench/pgserver.py, shared with the benchmarks) and stops it when the session
ends. Each test gets a database of its own.

Outside CI the PostgreSQL tests skip, saying why, when the server programs are missing;
with CI=true they fail instead, so a machine without them can never pass quietly.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest

from bench import pgserver
from bench.pgserver import PostgresServer, missing_reason, throwaway_server

__all__ = ["PostgresServer", "fresh_database", "postgres_server", "postgres_url"]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    reason = missing_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the PostgreSQL tests: {reason}")
        pytest.skip(reason)
    with throwaway_server(pgserver.SMALL) as server:
        yield server


_numbers = itertools.count(1)


@asynccontextmanager
async def fresh_database(server: PostgresServer) -> AsyncIterator[str]:
    """The URL of a new, empty database on `server`, dropped afterwards."""
    async with pgserver.fresh_database(server, f"test_{os.getpid()}_{next(_numbers)}") as url:
        yield url


@pytest.fixture
async def postgres_url(postgres_server: PostgresServer) -> AsyncIterator[str]:
    """The URL of a new, empty database, dropped after the test."""
    async with fresh_database(postgres_server) as url:
        yield url
