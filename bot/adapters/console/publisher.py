"""Console "channels": scheduled posts printed to the terminal as `[#news] ...`."""

from __future__ import annotations

import itertools
import sys
from typing import TextIO

from bot.adapters.console.render import render
from bot.models import Reply
from bot.ports import ChannelUnavailable, Pacing


class ConsolePublisher:
    """The Publisher for `console:<name>` channels: prints each post, prefixed."""

    platform = "console"
    pacing = Pacing()  # a terminal takes any pace
    # A terminal keeps no record to look a post up in: after a crash a post may show twice.
    deduplicates = False

    def __init__(self, channels: tuple[str, ...], out: TextIO | None = None) -> None:
        self.channels = set(channels)
        self._out = out
        self._ids = itertools.count(1)

    async def publish(self, channel_id: str, post: Reply, idempotency_key: str) -> str:
        if channel_id not in self.channels:
            raise ChannelUnavailable(f"no console channel #{channel_id}")
        out = self._out or sys.stdout
        lines = render(post).split("\n")
        text = "\n".join([f"[#{channel_id}] {lines[0]}", *lines[1:]])
        print(text, file=out, flush=True)
        return f"console-{next(self._ids)}"

    async def find_post(self, channel_id: str, idempotency_key: str) -> str | None:
        return None
