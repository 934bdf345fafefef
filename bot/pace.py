"""A platform-wide request limit that every process of one bot keeps together.

Discord allows a bot 50 requests a second, counted per token over any second, whatever
process sends them. The adapter asks `RequestPace.wait()` right before each request it
sends (retries included) and reports a refusal for the whole bot with `hold`. A request
goes only once the pace says so at that moment, so a process that was stalled sends its
backlog one slot at a time rather than at once. The pace is a `SharedPace`: the
database's when processes share one (PostgreSQL), else `LocalPace`, this process's own.
"""

from __future__ import annotations

import asyncio

from bot.store.ports import SharedPace

# A request may go this many slots before it is due: one that went late (a slow answer, a
# busy event loop) lets the next catch up instead of the pace losing the time, and no
# second holds more than this many requests over the rate.
EARLY_SLOTS = 1.0


class LocalPace:
    """The pace of one process, on its own clock (SQLite: no other process shares the bot)."""

    def __init__(self) -> None:
        self._next_at: dict[str, float] = {}

    async def take(self, key: str, interval: float, early: float) -> tuple[bool, float]:
        now = asyncio.get_running_loop().time()
        due = self._next_at.get(key, now)
        admitted = due - early <= now
        if admitted:
            due = self._next_at[key] = max(due, now) + interval
        return admitted, max(due - early - now, 0.0)

    async def hold(self, key: str, seconds: float) -> None:
        now = asyncio.get_running_loop().time()
        self._next_at[key] = max(self._next_at.get(key, now), now + seconds)


class RequestPace:
    """At most `per_second` requests a second of `key`, evenly spaced, across processes."""

    def __init__(self, pace: SharedPace, key: str, per_second: float) -> None:
        self.pace = pace
        self.key = key
        self.interval = 1.0 / per_second
        # One request of this process asks at a time, when the last answer said the next
        # may go; the others queue here, not at the database.
        self._turn = asyncio.Lock()
        self._next_try = 0.0

    async def wait(self) -> None:
        """Return when this process may send one request."""
        loop = asyncio.get_running_loop()
        async with self._turn:
            admitted = False
            while not admitted:
                await asyncio.sleep(self._next_try - loop.time())
                admitted, wait = await self.pace.take(
                    self.key, self.interval, EARLY_SLOTS * self.interval
                )
                self._next_try = loop.time() + wait

    async def hold(self, seconds: float) -> None:
        """The platform refused a request for the whole bot: no process sends another
        sooner than `seconds` from now (requests already on their way still arrive)."""
        await self.pace.hold(self.key, seconds)
