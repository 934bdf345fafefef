"""Point the unmodified discord.py client at ``FakeDiscord``.

Why: discord.py hard-codes ``https://discord.com/api/v10`` (``Route.BASE``) and
``wss://gateway.discord.gg/`` (``DiscordWebSocket.DEFAULT_GATEWAY``); swapping those two class
attributes is all it takes to run a real client end to end against 127.0.0.1.

In-process::

    async with fake_discord_env() as fake, running_client(make_client(), fake.token) as client:
        ...

Out of process (e.g. a bot the test will ``kill -9``)::

    python -m tests.support.discord_client --fake-url http://127.0.0.1:PORT -m bot run

or set ``NEWSBOT_FAKE_DISCORD_URL`` and call ``patch_from_env()`` at start-up.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import runpy
import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from tests.support.fake_discord import API_VERSION, FakeDiscord

FAKE_URL_ENV = "NEWSBOT_FAKE_DISCORD_URL"


def _endpoints(base_url: str) -> tuple[str, yarl.URL]:
    base = yarl.URL(base_url.rstrip("/"))
    api = f"{base}/api/v{API_VERSION}"
    gateway = base.with_scheme("wss" if base.scheme == "https" else "ws").with_path("/")
    return api, gateway


def apply_patch(base_url: str) -> None:
    """Redirect discord.py to the fake for the rest of the process (no restore)."""
    api, gateway = _endpoints(base_url)
    Route.BASE = api
    DiscordWebSocket.DEFAULT_GATEWAY = gateway


@contextlib.contextmanager
def patch_discord(base_url: str) -> Iterator[None]:
    """Redirect discord.py's REST base and default gateway to the fake, then restore them.

    The patch is process-global (class attributes), so only one fake at a time per process.
    """
    old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    apply_patch(base_url)
    try:
        yield
    finally:
        Route.BASE = old_base
        DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


def patch_from_env() -> bool:
    """Apply the patch if ``NEWSBOT_FAKE_DISCORD_URL`` is set; returns whether it did."""
    url = os.environ.get(FAKE_URL_ENV)
    if not url:
        return False
    apply_patch(url)
    return True


@contextlib.asynccontextmanager
async def fake_discord_env(**fake_options: Any) -> AsyncIterator[FakeDiscord]:
    """Start a ``FakeDiscord`` in the running loop and patch discord.py to use it."""
    async with FakeDiscord(**fake_options) as fake:
        with patch_discord(fake.base_url):
            yield fake


def make_client(
    *,
    client_class: type[discord.Client] = discord.Client,
    intents: discord.Intents | None = None,
    **options: Any,
) -> discord.Client:
    """A client tuned for tests: ``guild_ready_timeout`` is tiny so ``on_ready`` fires fast."""
    options.setdefault("guild_ready_timeout", 0.05)
    return client_class(intents=intents or discord.Intents.default(), **options)


@contextlib.asynccontextmanager
async def running_client(
    client: discord.Client, token: str, *, ready_timeout: float = 5.0
) -> AsyncIterator[discord.Client]:
    """Run ``client.start(token)`` in the background until it is ready; close it on exit.

    A login/connect failure is raised here instead of leaving the test waiting for readiness.
    """
    task = asyncio.create_task(client.start(token), name="discord-client")
    ready = asyncio.create_task(client.wait_until_ready())
    try:
        done, _ = await asyncio.wait(
            {task, ready}, timeout=ready_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if task in done:
            task.result()  # raises the start-up error
            raise RuntimeError("discord client stopped before becoming ready")
        if ready not in done:
            raise TimeoutError(f"discord client not ready within {ready_timeout}s")
        yield client
    finally:
        ready.cancel()
        await client.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=5.0)


def main(argv: Sequence[str] | None = None) -> None:
    """Run a module (like ``python -m``) with discord.py patched to use the fake."""
    parser = argparse.ArgumentParser(description="Run a module against a fake Discord.")
    parser.add_argument("--fake-url", default=os.environ.get(FAKE_URL_ENV))
    parser.add_argument("-m", dest="module", required=True)
    parser.add_argument("args", nargs=argparse.REMAINDER)
    ns = parser.parse_args(argv)
    if not ns.fake_url:
        parser.error(f"--fake-url or {FAKE_URL_ENV} is required")
    apply_patch(ns.fake_url)
    os.environ[FAKE_URL_ENV] = ns.fake_url
    args = ns.args[1:] if ns.args[:1] == ["--"] else ns.args
    sys.argv = [ns.module, *args]
    runpy.run_module(ns.module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
