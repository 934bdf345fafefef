"""The `newsbot` command line: run, ingest, check, ask.

Secrets are loaded from `.env` here and only here; everything else receives
its configuration as arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import gc
import logging
import os
import sys
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dotenv import load_dotenv

from bot.adapters.console.chat import respond, run_chat
from bot.adapters.console.publisher import ConsolePublisher
from bot.adapters.console.render import render
from bot.commands import Commands
from bot.config import (
    AdminConfig,
    ConfigError,
    Settings,
    SettingsError,
    load_config,
    postgres_url_problem,
    resolve_config_path,
    seeds_folder_problem,
    settings_problems,
)
from bot.delivery import Delivery
from bot.feeds.service import FeedService
from bot.ingest.derive import derivation_signature, prepare_article
from bot.ingest.discover import SETTLE_SECONDS
from bot.ingest.seed import IngestError, parse_date
from bot.ingest.service import IngestReport, ProblemLog, ingest_paths, refresh_derived
from bot.ports import Publisher
from bot.store import StoreError
from bot.store.backends import (
    database_health,
    database_location,
    describe,
    job_locks_of,
    open_store,
    shared_pace_of,
)
from bot.store.ports import Articles

if TYPE_CHECKING:
    from bot.scheduler import NewsScheduler

log = logging.getLogger("newsbot")


def make_commands(store: Articles, config: AdminConfig, **services: Any) -> Commands:
    return Commands(
        store, timezone=config.tz, summary_sentences=config.summary_sentences, **services
    )


def _progress_bar(done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} articles")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


async def ingest_configured(
    store: Articles,
    config: AdminConfig,
    paths: Sequence[Path] | None = None,
    default_date: dt.date | None = None,
    show_progress: bool = False,
    settle_seconds: float = 0,
) -> IngestReport:
    """Ingest `paths` (default: the seeds folder) with the configured limits, after
    refreshing stored summaries and topics made by an older text pipeline."""
    today = dt.datetime.now(config.tz).date()
    prepare = functools.partial(prepare_article, summary_sentences=config.summary_sentences)
    refreshed = await refresh_derived(
        store, prepare, derivation_signature(config.summary_sentences)
    )
    report = await ingest_paths(
        store,
        list(paths) if paths else [config.seeds_folder],
        prepare,
        max_bytes=config.seeds_max_file_bytes,
        default_date=default_date or today,
        progress=_progress_bar if show_progress else None,
        settle_seconds=settle_seconds,
    )
    report.refreshed = refreshed
    return report


async def poll_seeds(
    store: Articles, config: AdminConfig, problems: ProblemLog, settle_seconds: float = 0
) -> IngestReport:
    """Ingest the seeds folder for the bot, logging each problem once until its file changes.
    The scheduler's polls pass a settle interval: a file that just appeared may still be
    being copied."""
    report = await ingest_configured(store, config, settle_seconds=settle_seconds)
    problems.log(report)
    return report


async def cmd_ingest(config: AdminConfig, args: argparse.Namespace) -> int:
    default_date = parse_date(args.date, "--date", None) if args.date else None
    async with open_store(database_location(config)) as store:
        report = await ingest_configured(
            store,
            config,
            [Path(p) for p in args.paths],
            default_date,
            show_progress=sys.stderr.isatty(),
        )
    for error in report.rejected:
        print(f"rejected: {error}")
    for note in report.skipped:
        print(f"skipped: {note}")
    for result in report.duplicate:
        print(f"duplicate: {result.source} has the same content as {result.duplicate_of}")
    print(report.summary_line())
    # Non-zero only when nothing at all could be read: a bad file among good ones
    # is reported above, not treated as a failed run.
    return 0 if report.readable else 1


async def cmd_check(config: AdminConfig, args: argparse.Namespace) -> int:
    """Validate the config and the environment, and look at the database and the seeds
    folder, changing nothing: exit 1 when anything would stop `newsbot run`."""
    health = await database_health(database_location(config))
    print(f"config: {config.path} is valid")
    settings_wrong = settings_problems()
    if not settings_wrong:
        platforms = ", ".join(Settings.from_env().platforms) or "none (console only)"
        print(f"chat platforms from the environment: {platforms}")
    print(f"timezone: {config.timezone}")
    for fact in health.facts:
        print(fact)
    print(f"seeds folder: {config.seeds_folder}")
    print(f"console channels: {', '.join('#' + c for c in config.console_channels)}")
    print(f"subscriptions in the config: {len(config.subscriptions)}")
    print(f"feeds in the config: {len(config.feeds)}")
    problems = list(health.problems) + settings_wrong
    if problem := seeds_folder_problem(config):
        problems.append(problem)
    for problem in problems:
        print(f"problem: {problem}")
    return 1 if problems else 0


async def cmd_ask(config: AdminConfig, args: argparse.Namespace) -> int:
    async with open_store(database_location(config)) as store:
        await poll_seeds(store, config, ProblemLog())
        reply = await respond(make_commands(store, config), " ".join(args.line))
    print(render(reply))
    return 1 if reply.error else 0


def start_platforms(
    commands: Commands,
    settings: Settings,
    config: AdminConfig,
    delivery: Delivery,
    scheduler: NewsScheduler,
) -> list[Coroutine[Any, Any, None]]:
    """A runner for every platform whose secrets are set; each hands its publisher to
    delivery once connected. Platform libraries are imported only when used."""

    async def ready(publisher: Publisher) -> None:
        delivery.attach(publisher)
        scheduler.wake()

    runners: list[Coroutine[Any, Any, None]] = []
    for platform in settings.platforms:
        delivery.expect(platform)
    if "discord" in settings.platforms:
        from bot.adapters.discord.app import run_discord

        # Discord's global limit is the token's: processes on one database share its pace.
        pace = shared_pace_of(delivery.store)
        runners.append(run_discord(commands, settings, on_ready=ready, pace=pace))
    if "slack" in settings.platforms:
        from bot.adapters.slack.app import run_slack

        runners.append(run_slack(commands, settings, config, on_ready=ready))
    return runners


def settle_heap() -> None:
    """Start-up is done: what it built (modules, platform libraries, config) lives as long as
    the bot, so the cyclic garbage collector stops scanning it. A full collection, which
    commands that make many objects (topics, digests) set off now and then, then costs
    what is left since, not the whole process: 0.2-0.9 ms instead of 14-22 ms added to one
    member's command on this 2-core machine."""
    gc.collect()
    gc.freeze()


async def run_all(runners: Sequence[Coroutine[Any, Any, None]]) -> None:
    """Run the platforms side by side; when one stops with an error, stop them all and
    report that error (a rejected token, say) as if it ran alone."""
    try:
        async with asyncio.TaskGroup() as group:
            for runner in runners:
                group.create_task(runner)
    except ExceptionGroup as failed:
        raise failed.exceptions[0] from None


async def cmd_run(config: AdminConfig, args: argparse.Namespace) -> int:
    # Imported here, not at the top: `ask` and `ingest` start faster without the HTTP
    # client and the scheduler they never use.
    from bot.adapters.http import AiohttpFetcher
    from bot.scheduler import NewsScheduler

    settings = Settings.from_env()
    async with open_store(database_location(config)) as store:
        problems = ProblemLog()
        locks = job_locks_of(store)
        delivery = Delivery(store, config, {"console": ConsolePublisher(config.console_channels)})
        ingest = functools.partial(poll_seeds, store, config, problems, SETTLE_SECONDS)
        fetcher = AiohttpFetcher(
            contact=config.fetch_contact,
            timeout_seconds=config.fetch_timeout_seconds,
            max_bytes=config.fetch_max_bytes,
        )
        prepare = functools.partial(prepare_article, summary_sentences=config.summary_sentences)
        feeds = FeedService(store, config, fetcher, prepare)
        # Processes sharing a database start one after another: each brings the archive
        # and the config's subscriptions and feeds up to date, the next finds them so.
        async with locks.one_at_a_time("startup"):
            report = await poll_seeds(store, config, problems)
            log.info("seeds: %s", report.summary_line())
            await delivery.sync_config(config.subscriptions)
            await feeds.sync_config(config.feeds)
        async with (
            fetcher,
            NewsScheduler(delivery, config, ingest, feeds=feeds, locks=locks) as scheduler,
        ):
            source = (
                f"Seeds folder: {config.seeds_folder} "
                f"(polled every {config.seeds_poll_interval_seconds} s)"
            )
            commands = make_commands(
                store,
                config,
                delivery=delivery,
                jobs=scheduler.job_states,
                sources=lambda: [source],
                feeds=feeds,
            )
            platforms = start_platforms(commands, settings, config, delivery, scheduler)
            settle_heap()
            if platforms:
                await run_all(platforms)
            else:
                await run_chat(commands)
    return 0


async def cmd_migrate(config: AdminConfig, args: argparse.Namespace) -> int:
    if problem := postgres_url_problem(args.to):
        raise StoreError(f"--to: {problem}")
    from bot.store.postgres.copy import copy_archive

    copied = await copy_archive(config.database_path, args.to)
    for table, rows in copied.items():
        print(f"{table}: {rows} rows copied, the same as in {config.database_path}")
    print(f"done: set database.url to {describe(args.to)} in the config (or DATABASE_URL)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    # The shared options are accepted before or after the subcommand. SUPPRESS
    # keeps a subcommand's parser from resetting a value given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="admin config file (default: $NEWSBOT_CONFIG or config/newsbot.toml)",
    )
    common.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log more detail"
    )
    parser = argparse.ArgumentParser(
        prog="newsbot",
        description="A news bot for Discord, Slack and the console.",
        parents=[common],
    )
    sub = parser.add_subparsers(dest="subcommand", required=True, metavar="COMMAND")
    sub.add_parser(
        "run", parents=[common], help="run the bot (the console chat when no token is set)"
    )
    ingest = sub.add_parser(
        "ingest", parents=[common], help="add or update articles from seed files and JSON Lines"
    )
    ingest.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or folders (default: the seeds folder)"
    )
    ingest.add_argument(
        "--date", metavar="YYYY-MM-DD", help="date for JSON Lines records without one"
    )
    sub.add_parser("check", parents=[common], help="validate the config and the database")
    ask = sub.add_parser("ask", parents=[common], help='answer one command, e.g. "/news latest"')
    ask.add_argument("line", nargs="+", help="the command line, e.g. /news search NATO")
    migrate = sub.add_parser(
        "migrate", parents=[common], help="copy the SQLite database into an empty PostgreSQL one"
    )
    migrate.add_argument(
        "--to", required=True, metavar="URL", help="postgresql://user@host/database"
    )
    return parser


HANDLERS = {
    "run": cmd_run,
    "ingest": cmd_ingest,
    "check": cmd_check,
    "ask": cmd_ask,
    "migrate": cmd_migrate,
}


def _reads_seeds(args: argparse.Namespace) -> bool:
    """run and ask ingest the seeds folder, and so does ingest without paths."""
    return args.subcommand in ("run", "ask") or (args.subcommand == "ingest" and not args.paths)


def main(argv: Sequence[str] | None = None) -> int:
    load_dotenv()
    args = build_parser().parse_args(argv)
    # Defaults are applied here, not with set_defaults: parents share their actions, so
    # set_defaults would also undo the SUPPRESS that lets `--config` come first.
    args.config = getattr(args, "config", None)
    args.verbose = getattr(args, "verbose", False)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        config = load_config(resolve_config_path(args.config))
        if _reads_seeds(args) and (problem := seeds_folder_problem(config)):
            raise ConfigError(config.path, [problem])
        code = asyncio.run(HANDLERS[args.subcommand](config, args))
        sys.stdout.flush()  # here, so a closed pipe is noticed while it can be handled
        return code
    except (ConfigError, SettingsError, StoreError, IngestError) as problem:
        print(f"newsbot: {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader left (`newsbot ask ... | head -1`): what is still buffered goes
        # nowhere instead of raising again when Python flushes at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a shell reports a command a closed pipe stopped


if __name__ == "__main__":
    sys.exit(main())
