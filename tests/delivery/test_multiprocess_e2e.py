"""Three real `newsbot run` processes (Discord mode, against the out-of-process fake
Discord) on one PostgreSQL database; the one posting is killed with SIGKILL mid-burst.
Every article arrives in every channel exactly once, and together the processes stay
under Discord's global limit of 50 requests a second."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import asyncpg

from tests.support.fake_discord import DEFAULT_CHANNEL_IDS, FakeDiscordProcess

REPO = Path(__file__).resolve().parents[2]
CHANNELS = ("general", "news", "alerts")
ARTICLES = 40
LEASE_SECONDS = 5


def _write_setup(tmp_path: Path, url: str) -> Path:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for n in range(ARTICLES):
        (seeds / f"story-{n:02d}.txt").write_text(
            f" date 2024-11-{n % 28 + 1:02d} Shared story {n:02d}\n"
            f"Story number {n} says something new about the alliance and its plans number {n}.\n",
            encoding="utf-8",
        )
    subs = "".join(
        f'[[subscriptions]]\nchannel = "discord:{DEFAULT_CHANNEL_IDS[name]}"\n'
        f"backfill = {ARTICLES}\n"
        for name in CHANNELS
    )
    config = tmp_path / "newsbot.toml"
    config.write_text(
        f'timezone = "Europe/Brussels"\n[database]\nurl = "{url}"\n'
        f'[seeds]\nfolder = "{seeds}"\n[delivery]\nposts_per_minute = 60\n'
        f"catch_up_limit = {ARTICLES + 1}\nlease_seconds = {LEASE_SECONDS}\n{subs}",
        encoding="utf-8",
    )
    return config


def _start_bot(config: Path, fake_url: str, token: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DISCORD_TOKEN": token, "PYTHONUNBUFFERED": "1"}
    env.pop("DISCORD_GUILD_ID", None)
    env.pop("DATABASE_URL", None)
    cmd = [sys.executable, "-m", "tests.support.discord_client", "--fake-url", fake_url]
    cmd += ["-m", "bot", "run", "--config", str(config), "-v"]
    with log.open("ab") as out:
        return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)


def _wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _query(url: str, sql: str) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        db = await asyncpg.connect(url)
        try:
            return list(await db.fetch(sql))
        finally:
            await db.close()

    return asyncio.run(run())


def _sent(url: str) -> int:
    return int(_query(url, "SELECT count(*) FROM deliveries WHERE state = 'sent'")[0][0])


def test_three_processes_share_the_posts_and_a_killed_ones_are_taken_over_once(
    tmp_path: Path, postgres_url: str
) -> None:
    config = _write_setup(tmp_path, postgres_url)
    log = tmp_path / "bots.log"
    wanted = ARTICLES * len(CHANNELS)
    with FakeDiscordProcess(
        state_file=tmp_path / "fake.json", extra_args=["--message-rate-limit", "5/1"]
    ) as fake:
        bots = [_start_bot(config, fake.base_url, fake.info["token"], log) for _ in range(3)]
        try:
            _wait_for(lambda: len(fake.messages()) >= 10, 90, "the burst to start")
            owners = {
                int(row["owner"].split(":")[1])
                for row in _query(postgres_url, "SELECT owner FROM channel_leases")
            }
            killed = [bot for bot in bots if bot.pid in owners]
            assert killed, (owners, [bot.pid for bot in bots])
            for bot in killed:
                bot.send_signal(signal.SIGKILL)
                bot.wait()
            posted_at_kill = len(fake.messages())
            assert posted_at_kill < wanted, "killed too late to test anything"
            _wait_for(lambda: _sent(postgres_url) == wanted, 120, "every post to be sent")
            time.sleep(0.5)  # anything still in flight would show up at the fake now
        finally:
            for bot in bots:
                if bot.poll() is None:
                    bot.send_signal(signal.SIGTERM)
                    try:
                        bot.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        bot.kill()
                        bot.wait()
        messages = fake.messages()
        requests = fake.request("GET", "/_fake/requests")
    print(f"posted at the kill: {posted_at_kill}, messages: {len(messages)}")
    per_channel: dict[str, Counter[str]] = {}
    for message in messages:
        per_channel.setdefault(message["channel_id"], Counter())[message["embeds"][0]["title"]] += 1
    for name in CHANNELS:
        titles = per_channel[str(DEFAULT_CHANNEL_IDS[name])]
        assert len(titles) == ARTICLES, (name, len(titles), log.read_text()[-3000:])
        assert set(titles.values()) == {1}, [t for t, c in titles.items() if c > 1]
    times = sorted(r["at"] for r in requests)
    busiest = max(sum(1 for t in times[i:] if t - start < 1.0) for i, start in enumerate(times))
    assert busiest <= 50
    assert not [r for r in requests if r["status"] == 429 and "global" in str(r)]
