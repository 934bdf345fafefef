"""The embedded default: a chat in the terminal, no token and no network."""

from __future__ import annotations

import asyncio
import logging
import sys
import uuid
from typing import TextIO

from bot.adapters.console.render import render
from bot.commands import Commands
from bot.models import Reply

log = logging.getLogger(__name__)

QUIT_WORDS = {"quit", "exit", "/quit", "/exit"}


async def respond(commands: Commands, line: str) -> Reply:
    """One command line in, its reply out; an unexpected failure gets a reference."""
    try:
        return await commands.run_line(line)
    except Exception:
        reference = uuid.uuid4().hex[:8]
        log.exception("command %r failed (reference %s)", line[:200], reference)
        return Reply(f"something went wrong on our side (reference {reference}).", error=True)


async def answer(commands: Commands, line: str) -> str:
    """One command line in, rendered reply out."""
    return render(await respond(commands, line))


async def run_chat(commands: Commands, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> None:
    """Read `/news ...` lines until end of input or `quit`, printing each reply."""
    interactive = stdin.isatty()
    if interactive:
        print("newsbot console: type /news help, or quit to leave.", file=out, flush=True)
    while True:
        if interactive:
            print("> ", end="", file=out, flush=True)
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            break
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.lower() in QUIT_WORDS:
            break
        print(await answer(commands, line), file=out, flush=True)
        if not interactive:
            print(file=out, flush=True)
