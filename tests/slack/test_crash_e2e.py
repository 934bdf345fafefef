"""kill -9 of a real `newsbot run` (Slack mode, SLACK_API_URL pointing at FakeSlack) right
after Slack stored a post the bot never heard back about; after a restart each article
is in each channel exactly once (found again by its metadata, not posted twice)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from collections import Counter
from pathlib import Path

from tests.support.fake_slack import FakeSlack

REPO = Path(__file__).resolve().parents[2]
CHANNELS = ("CNEWS0001", "CGENERAL1")
ARTICLES = 6


def _write_setup(tmp_path: Path) -> Path:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for n in range(ARTICLES):
        (seeds / f"story-{n:02d}.txt").write_text(
            f"date 2024-11-{n + 1:02d} Burst story {n:02d}\n"
            f"Story number {n} says something new about the alliance and its plans.\n",
            encoding="utf-8",
        )
    subs = "".join(
        f'[[subscriptions]]\nchannel = "slack:{channel}"\nbackfill = {ARTICLES}\n'
        for channel in CHANNELS
    )
    config = tmp_path / "newsbot.toml"
    config.write_text(
        f'[database]\npath = "{tmp_path / "news.db"}"\n[seeds]\nfolder = "{seeds}"\n'
        f"[delivery]\nposts_per_minute = 60\ncatch_up_limit = {ARTICLES + 1}\n{subs}",
        encoding="utf-8",
    )
    return config


async def _start_bot(config: Path, fake: FakeSlack, log: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
    env.update(
        SLACK_BOT_TOKEN=fake.bot_token,
        SLACK_APP_TOKEN=fake.app_token,
        SLACK_API_URL=fake.api_url,
        PYTHONUNBUFFERED="1",
    )
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            "--config",
            str(config),
            "-v",
            cwd=REPO,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )


def _states(db: Path) -> Counter[str]:
    with sqlite3.connect(db) as conn:
        return Counter(state for (state,) in conn.execute("SELECT state FROM deliveries"))


async def test_kill_9_after_a_post_went_out_unrecorded_then_restart_posts_each_once(
    tmp_path: Path,
) -> None:
    config = _write_setup(tmp_path)
    log = tmp_path / "bot.log"
    async with FakeSlack() as fake:
        fake.hold_after = 3
        bot = await _start_bot(config, fake, log)
        try:
            await fake.wait_for(lambda: fake.held, 60)
        finally:
            bot.kill()
            await bot.wait()
        # Both channels post at once, so the other one may also have reached Slack.
        posted_before = sum(len(fake.messages_in(c)) for c in CHANNELS)
        assert posted_before >= 3
        assert _states(tmp_path / "news.db")["sent"] < posted_before  # one went out unrecorded

        fake.hold_after = None
        bot = await _start_bot(config, fake, log)
        try:
            wanted = Counter({"sent": ARTICLES * len(CHANNELS)})
            for _ in range(600):
                if _states(tmp_path / "news.db") == wanted:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)  # anything still in flight would reach the fake now
        finally:
            bot.terminate()
            await bot.wait()
        assert _states(tmp_path / "news.db") == wanted, log.read_text()[-3000:]
        for channel in CHANNELS:
            titles = Counter(m["blocks"][0]["text"]["text"] for m in fake.messages_in(channel))
            assert len(titles) == ARTICLES, (channel, titles)
            assert set(titles.values()) == {1}, [t for t, n in titles.items() if n > 1]
        assert fake.calls("conversations.history")  # the unrecorded post was looked for
