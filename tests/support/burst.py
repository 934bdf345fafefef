"""A real `newsbot run` posting a burst of seed articles to the fake Discord: the setup
the crash and multi-process tests share."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def write_burst_setup(
    tmp_path: Path, channel_ids: Iterable[str], articles: int, database: str, delivery: str = ""
) -> Path:
    """Seed files and a config subscribing each Discord channel with the whole backfill.

    `database` is the config's `[database]` line (a path or a url); `delivery` adds keys
    to `[delivery]`, whose pace is set so the burst is not held back per channel.
    """
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for n in range(articles):
        (seeds / f"story-{n:02d}.txt").write_text(
            f" date 2024-11-{n % 28 + 1:02d} Burst story {n:02d}\n"
            f"Story number {n} says something new about the alliance and its plans number {n}.\n",
            encoding="utf-8",
        )
    subs = "".join(
        f'[[subscriptions]]\nchannel = "discord:{channel_id}"\nbackfill = {articles}\n'
        for channel_id in channel_ids
    )
    config = tmp_path / "newsbot.toml"
    config.write_text(
        f'timezone = "Europe/Brussels"\n[database]\n{database}\n'
        f'[seeds]\nfolder = "{seeds}"\n[delivery]\nposts_per_minute = 60\n'
        f"catch_up_limit = {articles + 1}\n{delivery}{subs}",
        encoding="utf-8",
    )
    return config


def start_bot(config: Path, fake_url: str, token: str, log: Path) -> subprocess.Popen[bytes]:
    """`newsbot run` with discord.py pointed at the fake, its output appended to `log`."""
    env = {**os.environ, "DISCORD_TOKEN": token, "PYTHONUNBUFFERED": "1"}
    env.pop("DISCORD_GUILD_ID", None)
    env.pop("DATABASE_URL", None)
    cmd = [sys.executable, "-m", "tests.support.discord_client", "--fake-url", fake_url]
    cmd += ["-m", "bot", "run", "--config", str(config), "-v"]
    with log.open("ab") as out:
        return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
