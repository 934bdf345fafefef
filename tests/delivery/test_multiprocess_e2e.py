"""Three real `newsbot run` processes (Discord mode, against the out-of-process fake
Discord) on one PostgreSQL database post 2,000 items to 200 channels; one of them is
killed with SIGKILL mid-burst. Every article arrives in every channel exactly once, and
together the processes stay under Discord's global limit of 50 requests a second."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import asyncpg

from tests.support.burst import start_bot, wait_for, write_burst_setup
from tests.support.fake_discord import BULK_CHANNEL_BASE, FakeDiscordProcess
from tests.support.rates import busiest_second

CHANNELS = 200
CHANNEL_IDS = [str(BULK_CHANNEL_BASE + n) for n in range(CHANNELS)]
ARTICLES = 10
LEASE_SECONDS = 5
GLOBAL_LIMIT = 50  # Discord's requests a second per bot token


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


def _lease_counts(url: str) -> Counter[int]:
    rows = _query(url, "SELECT owner FROM channel_leases")
    return Counter(int(row["owner"].split(":")[1]) for row in rows)


def test_three_processes_post_2000_items_once_each_under_the_global_limit_despite_a_kill(
    tmp_path: Path, postgres_url: str
) -> None:
    config = write_burst_setup(
        tmp_path,
        CHANNEL_IDS,
        ARTICLES,
        f'url = "{postgres_url}"',
        f"lease_seconds = {LEASE_SECONDS}\n",
    )
    log = tmp_path / "bots.log"
    wanted = ARTICLES * CHANNELS
    started = time.monotonic()
    fake_args = ["--message-rate-limit", "5/1", "--extra-channels", str(CHANNELS)]
    # No state file: the fake would write all its messages out after every request, and
    # the time that takes holds up its event loop and bunches the times it records.
    with FakeDiscordProcess(extra_args=fake_args) as fake:
        bots = [start_bot(config, fake.base_url, fake.info["token"], log) for _ in range(3)]
        try:
            wait_for(lambda: len(fake.messages()) >= wanted // 4, 90, "the burst to start")
            leases = _lease_counts(postgres_url)
            victim = max(bots, key=lambda bot: leases[bot.pid])
            assert leases[victim.pid], (leases, [bot.pid for bot in bots])
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            posted_at_kill = len(fake.messages())
            assert posted_at_kill < wanted, "killed too late to test anything"
            wait_for(lambda: _sent(postgres_url) == wanted, 150, "every post to be sent")
            time.sleep(0.5)  # anything still in flight would show up at the fake now
            survivors = [bot for bot in bots if bot is not victim]
            assert all(bot.poll() is None for bot in survivors), log.read_text()[-3000:]
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
    posts = [r["at"] for r in requests if r["method"] == "POST" and r["path"].endswith("/messages")]
    peak_posts = busiest_second(posts)
    peak_requests = busiest_second(r["at"] for r in requests)
    global_429s = sum(1 for r in requests if r["global_limited"])
    print(
        f"posted at the kill: {posted_at_kill}, messages: {len(messages)}, "
        f"peak message posts/s: {peak_posts}, peak requests/s: {peak_requests}, "
        f"global 429s: {global_429s}, "
        f"posts/s from first to last: {len(posts) / (max(posts) - min(posts)):.1f}, "
        f"took {time.monotonic() - started:.1f} s"
    )
    per_channel: dict[str, Counter[str]] = {}
    for message in messages:
        per_channel.setdefault(message["channel_id"], Counter())[message["embeds"][0]["title"]] += 1
    for channel_id in CHANNEL_IDS:
        titles = per_channel.get(channel_id, Counter())
        assert len(titles) == ARTICLES, (channel_id, len(titles), log.read_text()[-3000:])
        assert set(titles.values()) == {1}, [t for t, c in titles.items() if c > 1]
    assert len(messages) == wanted
    # Every request of the bot's token counts (no interactions here): posts, channel
    # look-ups, log-ins and discord.py's own retries.
    assert peak_requests <= GLOBAL_LIMIT and global_429s == 0, (peak_requests, global_429s)
