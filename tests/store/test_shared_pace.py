"""Discord's global limit belongs to the bot's token: processes on one database share it.
On SQLite the one process keeps the same pace by itself (LocalPace)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from bot.pace import LocalPace, RequestPace
from bot.store.backends import open_store, shared_pace_of
from bot.store.ports import SharedPace
from bot.store.postgres import PostgresStore
from tests.support.postgres import PostgresServer, fresh_database
from tests.support.rates import busiest_second

PER_SECOND = 50


@pytest.fixture(params=["one process", "postgresql"])
async def pace(request: pytest.FixtureRequest) -> AsyncIterator[SharedPace]:
    if request.param == "one process":  # SQLite: nobody to share the pace with
        yield LocalPace()
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    async with fresh_database(server) as url, open_store(url) as store:
        pace = shared_pace_of(store)
        assert pace is not None
        yield pace


async def test_requests_go_a_slot_apart_and_a_hold_pushes_the_next_one_back(
    pace: SharedPace,
) -> None:
    first = await pace.take("discord", 0.1, 0.0)
    too_soon = await pace.take("discord", 0.1, 0.0)
    await pace.hold("discord", 0.5)
    held = await pace.take("discord", 0.1, 0.0)
    await pace.hold("discord", 0.05)  # sooner than the hold already there: changes nothing
    still_held = await pace.take("discord", 0.1, 0.0)
    other = await pace.take("slack", 0.1, 0.0)
    assert first[0] and 0.05 < first[1] <= 0.1001  # the next may go a slot later
    assert not too_soon[0] and 0.05 < too_soon[1] <= 0.1001
    assert not held[0] and 0.4 < held[1] <= 0.5001
    assert not still_held[0] and 0.4 < still_held[1] <= 0.5001
    assert other[0] and other[1] == pytest.approx(0.1, abs=0.01)  # another platform's own


async def test_a_request_may_go_early_by_the_tolerance_and_no_more(pace: SharedPace) -> None:
    assert (await pace.take("discord", 0.1, 0.1)) == (True, 0.0)
    second = await pace.take("discord", 0.1, 0.1)  # due in 0.1 s: within the tolerance
    third = await pace.take("discord", 0.1, 0.1)  # due in 0.2 s: too early
    assert second[0] and 0.05 < second[1] <= 0.1001
    assert not third[0] and 0.05 < third[1] <= 0.1001


async def test_three_processes_sending_as_fast_as_they_may_keep_to_one_limit_together(
    postgres_url: str,
) -> None:
    async with (
        PostgresStore.open(postgres_url) as one,
        PostgresStore.open(postgres_url) as two,
        PostgresStore.open(postgres_url) as three,
    ):
        loop = asyncio.get_running_loop()
        sent: list[float] = []

        async def send(pace: RequestPace) -> None:
            await pace.wait()
            sent.append(loop.time())

        # Each process alone would send 50 a second: 150 a second together.
        paces = [RequestPace(store, "discord", PER_SECOND) for store in (one, two, three)]
        await asyncio.gather(*(send(paces[n % 3]) for n in range(120)))
    assert max(sent) - min(sent) >= (120 - 1) / PER_SECOND - 0.2
    # give or take the database's answers arriving late on a loaded machine
    assert busiest_second(sent) <= PER_SECOND + 2


async def test_a_stalled_process_spreads_its_backlog_instead_of_sending_it_at_once() -> None:
    pace = RequestPace(LocalPace(), "discord", 20)
    loop = asyncio.get_running_loop()
    sent: list[float] = []

    async def send() -> None:
        await pace.wait()
        sent.append(loop.time())

    tasks = [asyncio.create_task(send()) for _ in range(10)]
    await asyncio.sleep(0)  # every send has its slot, 0.05 s apart
    time.sleep(0.3)  # noqa: ASYNC251 (the process stalls past the first six slots)
    await asyncio.gather(*tasks)
    gaps = [later - first for first, later in zip(sorted(sent), sorted(sent)[1:], strict=False)]
    # Sent when they woke, the six late ones would go out together.
    assert sum(1 for gap in gaps if gap < 0.03) <= 1, gaps
