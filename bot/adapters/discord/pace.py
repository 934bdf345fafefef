"""Discord's global limit, kept on every request the client sends with the bot's token.

The limit (50 requests a second) belongs to the token, so all of the bot's processes share
one pace (bot.pace). An aiohttp trace hook waits for it before each attempt discord.py
makes, its own retries after a 429 included, which a wrapper around our calls would miss.
Interaction replies travel without the token and are not bound by the global limit.
A global 429 holds the pace for every process for the Retry-After Discord gave.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace

import aiohttp

from bot.adapters.discord.publisher import PLATFORM
from bot.pace import LocalPace, RequestPace
from bot.store.ports import SharedPace

log = logging.getLogger(__name__)

# Discord's 50 a second less room for the time between the pace's answer and the request
# reaching Discord: a second can hold rate x (1 + spread of that time) + 2 requests (one
# early, bot.pace.EARLY_SLOTS, and one at the window's edge). Alone, the process answers
# itself as it sends; shared, the answer comes from the database a round trip earlier,
# which on a loaded 2-core machine spread over up to about 0.12 s (peaks of 47-49 a second
# at 42), so 40 leaves room for a spread of 0.2 s.
ALONE_PER_SECOND = 45.0
SHARED_PER_SECOND = 40.0


def paced_requests(shared: SharedPace | None) -> aiohttp.TraceConfig:
    """A trace config for discord.Client(http_trace=...) keeping the global limit, with
    the bot's other processes when they share a pace."""
    if shared is None:
        pace = RequestPace(LocalPace(), PLATFORM, ALONE_PER_SECOND)
    else:
        pace = RequestPace(shared, PLATFORM, SHARED_PER_SECOND)

    async def before(
        _session: aiohttp.ClientSession,
        _context: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        if params.headers.get("Authorization", "").startswith("Bot "):
            await pace.wait()

    async def after(
        _session: aiohttp.ClientSession,
        _context: SimpleNamespace,
        params: aiohttp.TraceRequestEndParams,
    ) -> None:
        response = params.response
        if response.status != 429 or response.headers.get("X-RateLimit-Global") != "true":
            return
        seconds = float(response.headers.get("Retry-After") or 1.0)
        log.warning("discord: global rate limit hit; every process waits %.1f s", seconds)
        await pace.hold(seconds)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(before)
    trace.on_request_end.append(after)
    return trace
