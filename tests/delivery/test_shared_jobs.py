"""Jobs that must run once among bot processes sharing a PostgreSQL database."""

from __future__ import annotations

from bot.scheduler import NewsScheduler
from bot.store.postgres import PostgresStore

from .conftest import MakeDelivery


async def test_a_poll_another_process_is_running_is_skipped_here_and_runs_after_it(
    make_delivery: MakeDelivery, postgres_url: str
) -> None:
    delivery = make_delivery()
    runs: list[str] = []

    async def ingest() -> None:
        runs.append("ingest")

    async with (
        PostgresStore.open(postgres_url) as here,
        PostgresStore.open(postgres_url) as elsewhere,
    ):
        scheduler = NewsScheduler(delivery, delivery.config, ingest, locks=here)
        async with elsewhere.run_once("ingest") as running_there:
            assert running_there
            await scheduler._ingest()
        assert runs == []
        await scheduler._ingest()
        assert runs == ["ingest"]
