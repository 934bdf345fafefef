"""Fan-out bench: one new article to N Discord channels through the real delivery path.

Runs the fake Discord in-process (50 requests/s global, per-route buckets with
X-RateLimit-* headers), the real discord.py client and the DiscordPublisher, and
bot.delivery's claim/send/record ledger on a real SQLite file. Prints posts/s
sustained, the 429 count, and whether every channel got the article exactly once.

    .venv/bin/python bench/fanout.py [--channels 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.adapters.discord.pace import ALONE_PER_SECOND, paced_requests  # noqa: E402
from bot.adapters.discord.publisher import DiscordPublisher  # noqa: E402
from bot.config import parse_config  # noqa: E402
from bot.delivery import Delivery  # noqa: E402
from bot.models import Article, PreparedArticle, SubscriptionSpec  # noqa: E402
from bot.store import Store  # noqa: E402
from tests.support.discord_client import fake_discord_env, make_client, running_client  # noqa: E402
from tests.support.fake_discord import FakeChannel  # noqa: E402

FIRST_CHANNEL_ID = 1_300_000_000_000_000_000


async def bench(channels: int, workdir: Path) -> int:
    config = parse_config(
        workdir / "newsbot.toml",
        {"database": {"path": str(workdir / "news.db")}, "delivery": {"catch_up_limit": 5}},
    )
    async with fake_discord_env() as fake, Store.open(config.database_path) as store:
        guild = fake.guilds[0]
        ids = [FIRST_CHANNEL_ID + n for n in range(channels)]
        guild.channels.extend(
            FakeChannel(cid, f"news-{n}", position=10 + n) for n, cid in enumerate(ids)
        )
        # paced as the bot is, by itself (one process on SQLite)
        client = make_client(http_trace=paced_requests(None))
        async with running_client(client, fake.token, ready_timeout=30) as client:
            delivery = Delivery(store, config, {"discord": DiscordPublisher(client)})
            for cid in ids:
                await delivery.db.add(
                    SubscriptionSpec(f"discord:{cid}"), "command", delivery.clock.now()
                )
            await delivery.deliver_due()  # start-up catch-up pass: nothing new yet
            body = "NATO foreign ministers met in Brussels to discuss support for Ukraine."
            digest = hashlib.sha256(body.encode()).hexdigest()
            article = Article(
                "Fan-out test", dt.date(2024, 12, 4), body, "bench/fanout.txt", digest
            )
            await store.save_articles([PreparedArticle(article, (body,))])
            before_requests = len(fake.requests)
            rate_limited_before = fake.rate_limited_count
            started = time.perf_counter()
            report = await delivery.deliver_due()
            while (await delivery.counts()).claimed:  # anything retried later
                await asyncio.sleep(0.2)
                report.merge(await delivery.deliver_due())
            elapsed = time.perf_counter() - started
        per_channel = Counter(int(m["channel_id"]) for m in fake.all_messages())
        creates = len(fake.requests) - before_requests
        rate_limited = fake.rate_limited_count - rate_limited_before
    exactly_once = all(per_channel[cid] == 1 for cid in ids) and len(per_channel) == channels
    print(f"channels:            {channels}")
    print(f"posts sent:          {report.sent} in {elapsed:.2f} s")
    rate = report.sent / elapsed
    ceiling = fake.rate_limiter.global_limit
    # The bot paces itself under the limit, so the target is most of its own pace.
    target = 0.9 * ALONE_PER_SECOND
    print(f"posts/s sustained:   {rate:.1f}  (target >= {target:.1f}: 90% of the bot's pace)")
    print(f"of the global limit: {rate / ceiling:.1%} of {ceiling} requests/s")
    print(f"REST requests:       {creates}")
    print(f"429 responses:       {rate_limited}  (target: none beyond the first)")
    print(f"retried / failed:    {report.retried} / {report.failed}")
    print(f"each channel once:   {exactly_once}")
    ok = exactly_once and rate >= target and rate_limited <= 1
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(bench(args.channels, Path(tmp)))


if __name__ == "__main__":
    sys.exit(main())
