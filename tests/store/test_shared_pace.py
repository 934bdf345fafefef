"""Discord's global limit belongs to the bot's token: processes on one database share it."""

from __future__ import annotations

import asyncio

from bot.delivery import PlatformPace
from bot.ports import Pacing
from bot.store.postgres import PostgresStore

PER_SECOND = 50


async def test_three_processes_reserving_at_once_never_exceed_the_limit_in_any_second(
    postgres_url: str,
) -> None:
    async with (
        PostgresStore.open(postgres_url) as one,
        PostgresStore.open(postgres_url) as two,
        PostgresStore.open(postgres_url) as three,
    ):
        loop = asyncio.get_running_loop()

        async def slot(store: PostgresStore) -> float:
            asked = loop.time()
            return asked + await store.reserve("discord", 1.0 / PER_SECOND)

        starts = sorted(await asyncio.gather(*(slot(store) for store in (one, two, three) * 40)))
        other_key = await one.reserve("slack", 1.0 / PER_SECOND)
    # 120 sends: the 51st starts a second after the first, and so on (give or take the
    # round trips of a loaded machine; three processes pacing alone would be 0.33 s
    # apart); none waits on another platform's slots.
    assert starts[-1] - starts[0] >= (120 - 1) / PER_SECOND - 0.2
    for first, later in zip(starts, starts[PER_SECOND:], strict=False):
        assert later - first >= 1.0 - 0.2
    assert other_key == 0.0


async def test_two_processes_posting_as_fast_as_they_may_keep_to_one_limit_together(
    postgres_url: str,
) -> None:
    # Each process paces itself at 20 a second; without the shared pace the two of them
    # together would post 40 a second.
    pacing = Pacing(per_second=20)
    async with PostgresStore.open(postgres_url) as one, PostgresStore.open(postgres_url) as two:
        loop = asyncio.get_running_loop()
        sent: list[float] = []

        async def post(pace: PlatformPace, channel: str) -> None:
            await pace.wait(channel)
            sent.append(loop.time())

        paces = [PlatformPace(pacing, one, "discord"), PlatformPace(pacing, two, "discord")]
        await asyncio.gather(*(post(paces[n % 2], f"c{n}") for n in range(60)))
    sent.sort()
    assert sent[-1] - sent[0] >= (60 - 1) / 20 - 0.2
    for first, later in zip(sent, sent[20:], strict=False):
        assert later - first >= 1.0 - 0.2
