"""kill -9 of a real `newsbot run` (Discord mode, against the out-of-process fake Discord)
during a delivery burst; after a restart each article is in each channel exactly once."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path

from tests.support.burst import start_bot, wait_for, write_burst_setup
from tests.support.fake_discord import DEFAULT_CHANNEL_IDS, FakeDiscordProcess

CHANNELS = ("general", "news", "alerts")
ARTICLES = 30


def _ledger_states(db: Path) -> Counter[str]:
    with sqlite3.connect(db) as conn:
        return Counter(state for (state,) in conn.execute("SELECT state FROM deliveries"))


def test_kill_9_during_a_burst_then_restart_posts_each_article_once_per_channel(
    tmp_path: Path,
) -> None:
    config = write_burst_setup(
        tmp_path,
        [DEFAULT_CHANNEL_IDS[name] for name in CHANNELS],
        ARTICLES,
        f'path = "{tmp_path / "news.db"}"',
    )
    log = tmp_path / "bot.log"
    with FakeDiscordProcess(
        state_file=tmp_path / "fake.json", extra_args=["--message-rate-limit", "5/1"]
    ) as fake:
        bot = start_bot(config, fake.base_url, fake.info["token"], log)
        try:
            wait_for(lambda: len(fake.messages()) >= 8, 60, "the burst to start")
        finally:
            bot.send_signal(signal.SIGKILL)
            bot.wait()
        posted_before = len(fake.messages())
        assert posted_before < ARTICLES * len(CHANNELS), "killed too late to test anything"
        states = _ledger_states(tmp_path / "news.db")
        assert states["claimed"] > 0  # the kill left claimed rows behind

        bot = start_bot(config, fake.base_url, fake.info["token"], log)
        try:
            wait_for(
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
