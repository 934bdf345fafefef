"""The throwaway PostgreSQL that `make test` starts for the PostgreSQL backend's tests."""

from __future__ import annotations

import asyncpg


async def test_each_test_gets_an_empty_database_on_a_postgresql_15_server(
    postgres_url: str,
) -> None:
    db = await asyncpg.connect(postgres_url)
    try:
        version = await db.fetchval("SHOW server_version_num")
        tables = await db.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )
        await db.execute("CREATE TABLE marker (x int)")
    finally:
        await db.close()
    assert int(version) // 10000 == 15
    assert tables == 0
