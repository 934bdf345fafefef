"""kill -9 of a real `newsbot run` (Discord mode, against the out-of-process fake Discord)
during a delivery burst; after a restart each article is in each channel exactly once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests.support.fake_discord import DEFAULT_CHANNEL_IDS, FakeDiscordProcess

REPO = Path(__file__).resolve().parents[2]
CHANNELS = ("general", "news", "alerts")
ARTICLES = 30


def _write_setup(tmp_path: Path) -> Path:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for n in range(ARTICLES):
        (seeds / f"story-{n:02d}.txt").write_text(
            f" date 2024-11-{n % 28 + 1:02d} Burst story {n:02d}\n"
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
        f'timezone = "Europe/Brussels"\n[database]\npath = "{tmp_path / "news.db"}"\n'
        f'[seeds]\nfolder = "{seeds}"\n[delivery]\nposts_per_minute = 60\n'
        f"catch_up_limit = {ARTICLES + 1}\n{subs}",
        encoding="utf-8",
    )
    return config


def _start_bot(config: Path, fake_url: str, token: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DISCORD_TOKEN": token, "PYTHONUNBUFFERED": "1"}
    env.pop("DISCORD_GUILD_ID", None)
    cmd = [sys.executable, "-m", "tests.support.discord_client", "--fake-url", fake_url]
    cmd += ["-m", "bot", "run", "--config", str(config), "-v"]
    with log.open("ab") as out:
        return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)


def _wait_for(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _ledger_states(db: Path) -> Counter[str]:
    with sqlite3.connect(db) as conn:
        return Counter(state for (state,) in conn.execute("SELECT state FROM deliveries"))


def test_kill_9_during_a_burst_then_restart_posts_each_article_once_per_channel(
    tmp_path: Path,
) -> None:
    config = _write_setup(tmp_path)
    log = tmp_path / "bot.log"
    with FakeDiscordProcess(
        state_file=tmp_path / "fake.json", extra_args=["--message-rate-limit", "5/1"]
    ) as fake:
        bot = _start_bot(config, fake.base_url, fake.info["token"], log)
        try:
            _wait_for(lambda: len(fake.messages()) >= 8, 60, "the burst to start")
        finally:
            bot.send_signal(signal.SIGKILL)
            bot.wait()
        posted_before = len(fake.messages())
        assert posted_before < ARTICLES * len(CHANNELS), "killed too late to test anything"
        states = _ledger_states(tmp_path / "news.db")
        assert states["claimed"] > 0  # the kill left claimed rows behind

        bot = _start_bot(config, fake.base_url, fake.info["token"], log)
        try:
            _wait_for(
                lambda: (
                    _ledger_states(tmp_path / "news.db")
                    == Counter({"sent": ARTICLES * len(CHANNELS)})
                ),
                90,
                "every delivery to be recorded as sent",
            )
            time.sleep(0.5)  # anything still in flight would show up at the fake now
        finally:
            bot.send_signal(signal.SIGTERM)
            try:
                bot.wait(timeout=10)
            except subprocess.TimeoutExpired:
                bot.kill()
                bot.wait()
        messages = fake.messages()
        creates = [
            r
            for r in fake.request("GET", "/_fake/requests")
            if r["method"] == "POST" and r["path"].endswith("/messages")
        ]
    print(
        f"posted before kill: {posted_before}, claimed at kill: {states['claimed']}, "
        f"message creates: {len(creates)}, messages: {len(messages)}"
    )
    per_channel: dict[str, Counter[str]] = {}
    for message in messages:
        title = message["embeds"][0]["title"]
        per_channel.setdefault(message["channel_id"], Counter())[title] += 1
    for name in CHANNELS:
        titles = per_channel[str(DEFAULT_CHANNEL_IDS[name])]
        assert len(titles) == ARTICLES, (name, len(titles), log.read_text()[-3000:])
        assert set(titles.values()) == {1}, [t for t, c in titles.items() if c > 1]
