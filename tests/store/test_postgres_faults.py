"""A PostgreSQL server that goes away mid-run: a clear one-line error, no traceback."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import asyncpg
import pytest

from bot.commands import Commands
from bot.store import StoreError
from bot.store.postgres import PostgresStore
from tests.support.postgres import PostgresServer, fresh_database


async def test_a_database_lost_mid_run_makes_commands_say_it_is_not_available(
    postgres_server: PostgresServer,
) -> None:
    async with fresh_database(postgres_server) as url, PostgresStore.open(url) as store:
        commands = Commands(store, timezone=ZoneInfo("UTC"), summary_sentences=3)
        assert not (await commands.run_line("/news latest")).error
        name = url.split("///", 1)[1].split("?", 1)[0]
        admin = await asyncpg.connect(postgres_server.url("postgres"))
        try:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                name,
            )
            reply = await commands.run_line("/news latest")
            assert reply.error
            assert reply.title == "The news database is not available right now"
            assert "postgresql:///" in reply.text and "database error" in reply.text
            with pytest.raises(StoreError, match="database error"):
                await store.search("nato", 5)
        finally:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            await admin.close()
        # Once the server takes connections again, so does the bot.
        assert not (await commands.run_line("/news latest")).error
