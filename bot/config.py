"""The admin config (one TOML file) and the secrets (environment only).

Every problem in the file is collected and reported at once, each with its key
path, so an admin fixes them in one pass. Unknown keys are errors: a typo must
not silently fall back to a default.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import tomllib
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.models import FeedSpec, SubscriptionSpec

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

DEFAULT_CONFIG_PATH = Path("config/newsbot.toml")
CONFIG_ENV_VAR = "NEWSBOT_CONFIG"

# What follows the platform in a channel key: a console channel's name, a Discord channel
# id (a number), a Slack channel id (capitals and digits, such as C0123456789).
CHANNEL_IDS = {
    "console": (re.compile(r"[a-z0-9_-]{1,32}"), "1-32 lowercase letters, digits, - or _"),
    "discord": (re.compile(r"[0-9]{1,20}", re.ASCII), "a channel id, a number"),
    "slack": (re.compile(r"[A-Z0-9]{1,20}", re.ASCII), "a channel id such as C0123456789"),
}
SUBSCRIPTION_MODES = ("instant", "digest")
MAX_BACKFILL = 100
MAX_TERM_CHARS = 100  # one topic or keyword of a subscription
# A digest's cron line must fire within this many years (`0 8 30 2 *` never does).
CRON_HORIZON_YEARS = 5
FEED_POLL_DEFAULT_SECONDS = 900
# Polling a feed more often than every five minutes is impolite and rarely finds more.
FEED_POLL_MIN_SECONDS = 300
FEED_POLL_MAX_SECONDS = 7 * 86400
FEED_NAME_PATTERN = re.compile(r"^[\w][\w .&'-]{0,63}$")


class ConfigError(Exception):
    """The config file is missing, unreadable or invalid; `problems` lists each one."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        if len(problems) == 1:
            super().__init__(f"{path}: {problems[0]}")
        else:
            lines = "\n".join(f"  - {problem}" for problem in problems)
            super().__init__(f"{path}: {len(problems)} problems in the config:\n{lines}")


class SettingsError(Exception):
    """An environment variable (or `.env` entry) has an unusable value."""


@dataclass(frozen=True)
class AdminConfig:
    """Everything the admin sets in `config/newsbot.toml`. Relative paths are
    resolved against the directory the bot runs in."""

    path: Path
    timezone: str = "UTC"
    database_path: Path = Path("data/newsbot.db")
    # A postgresql:// URL: the database is on that server instead of the SQLite file.
    database_url: str | None = None
    seeds_folder: Path = Path("seeds")
    seeds_poll_interval_seconds: int = 300
    seeds_max_file_bytes: int = 1_048_576
    summary_sentences: int = 3
    console_channels: tuple[str, ...] = ("news",)
    delivery_time: str = "09:00"
    delivery_posts_per_minute: int = 5
    delivery_catch_up_limit: int = 5
    # PostgreSQL: how long a process holds a channel's posts before another may take over.
    delivery_lease_seconds: int = 120
    slack_admin_users: tuple[str, ...] = ()
    slack_admin_group: str = ""
    subscriptions: tuple[SubscriptionSpec, ...] = field(default_factory=tuple)
    feeds: tuple[FeedSpec, ...] = field(default_factory=tuple)
    fetch_contact: str = ""
    fetch_timeout_seconds: int = 20
    fetch_max_bytes: int = 5_000_000

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Settings:
    """Secrets and deployment switches, read from the environment (and `.env`)."""

    discord_token: str | None = None
    discord_guild_id: int | None = None
    # Sharding: the total number of shards, and the ones this process connects (None: all).
    discord_shard_count: int | None = None
    discord_shard_ids: tuple[int, ...] | None = None
    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    # Another Slack Web API, such as GovSlack's https://slack-gov.com/api/ (or a test fake).
    slack_api_url: str = "https://slack.com/api/"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        guild = _discord_guild(env)
        bot_token, app_token = _slack_tokens(env)
        api_url = env.get("SLACK_API_URL", "").strip() or cls.slack_api_url
        shard_count, shard_ids = _discord_shards(env)
        return cls(
            discord_token=env.get("DISCORD_TOKEN", "").strip() or None,
            discord_guild_id=guild,
            discord_shard_count=shard_count,
            discord_shard_ids=shard_ids,
            slack_bot_token=bot_token,
            slack_app_token=app_token,
            slack_api_url=api_url if api_url.endswith("/") else api_url + "/",
        )

    @property
    def platforms(self) -> list[str]:
        """The platforms whose secrets are set, in the order they start."""
        found = ["discord"] if self.discord_token else []
        return found + (["slack"] if self.slack_bot_token else [])


def settings_problems(env: Mapping[str, str] | None = None) -> list[str]:
    """What `Settings.from_env` would refuse, for every variable at once (`newsbot check`)."""
    env = os.environ if env is None else env
    problems = []
    for read in (_discord_guild, _slack_tokens, _discord_shards):
        try:
            read(env)
        except SettingsError as exc:
            problems.append(str(exc))
    return problems


_NUMBER = re.compile(r"[0-9]{1,9}")  # ASCII digits only: int() would take "²" and fail


def _discord_guild(env: Mapping[str, str]) -> int | None:
    guild = env.get("DISCORD_GUILD_ID", "").strip()
    if guild and not guild.isdigit():
        raise SettingsError(f"DISCORD_GUILD_ID must be a numeric guild id, got {guild!r}")
    return int(guild) if guild else None


def _discord_shards(env: Mapping[str, str]) -> tuple[int | None, tuple[int, ...] | None]:
    """DISCORD_SHARD_COUNT and DISCORD_SHARD_IDS (comma-separated, each below the count)."""
    count_text = env.get("DISCORD_SHARD_COUNT", "").strip()
    ids_text = env.get("DISCORD_SHARD_IDS", "").strip()
    if not count_text:
        if ids_text:
            raise SettingsError("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT, the total number")
        return None, None
    if not _NUMBER.fullmatch(count_text) or int(count_text) < 1:
        raise SettingsError(f"DISCORD_SHARD_COUNT must be a whole number >= 1, got {count_text!r}")
    count = int(count_text)
    if not ids_text:
        return count, None
    parts = [part.strip() for part in ids_text.split(",")]
    wrong = [part for part in parts if not _NUMBER.fullmatch(part) or int(part) >= count]
    if wrong:
        raise SettingsError(
            f"DISCORD_SHARD_IDS must be shard numbers from 0 to {count - 1} "
            f"(DISCORD_SHARD_COUNT is {count}), separated by commas; got {wrong[0]!r}"
        )
    ids = tuple(int(part) for part in parts)
    if len(set(ids)) != len(ids):
        raise SettingsError(f"DISCORD_SHARD_IDS lists a shard more than once: {ids_text!r}")
    return count, ids


def _slack_tokens(env: Mapping[str, str]) -> tuple[str | None, str | None]:
    """SLACK_BOT_TOKEN and SLACK_APP_TOKEN: both or neither, each of its kind (a swapped
    pair is a common slip)."""
    bot_token = env.get("SLACK_BOT_TOKEN", "").strip() or None
    app_token = env.get("SLACK_APP_TOKEN", "").strip() or None
    if bool(bot_token) != bool(app_token):
        missing = "SLACK_APP_TOKEN" if bot_token else "SLACK_BOT_TOKEN"
        raise SettingsError(
            f"{missing} is not set: Slack needs both SLACK_BOT_TOKEN and SLACK_APP_TOKEN"
        )
    if bot_token and not bot_token.startswith("xoxb-"):
        raise SettingsError("SLACK_BOT_TOKEN must be the Bot User OAuth Token, starting with xoxb-")
    if app_token and not app_token.startswith("xapp-"):
        raise SettingsError("SLACK_APP_TOKEN must be an app-level token, starting with xapp-")
    return bot_token, app_token


def resolve_config_path(cli_value: str | None, env: Mapping[str, str] | None = None) -> Path:
    """`--config` wins over `NEWSBOT_CONFIG`, which wins over the default path."""
    env = os.environ if env is None else env
    if cli_value:
        return Path(cli_value)
    if env.get(CONFIG_ENV_VAR):
        return Path(env[CONFIG_ENV_VAR])
    return DEFAULT_CONFIG_PATH


# The schema: section -> key -> (type, validator). Validators return an error
# message or None. Kept as data so unknown-key detection and docs stay in step.
_Validator = Any


def _timezone(value: str) -> str | None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"unknown timezone {value!r} (use an IANA name such as 'Europe/Brussels')"
    return None


def _clock_time(value: str) -> str | None:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", value)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        return f"must be a local time HH:MM, got {value!r}"
    return None


def _slack_users(value: list[str]) -> str | None:
    wrong = [item for item in value if not re.fullmatch(r"[UW][A-Z0-9]{2,20}", item)]
    if wrong:
        return f"{wrong[0]!r} is not a Slack user id (like U0123ABCD: profile, ⋮, Copy member ID)"
    return None


def _slack_group(value: str) -> str | None:
    if not re.fullmatch(r"S[A-Z0-9]{2,20}", value):
        return f"{value!r} is not a Slack user group id (like S0123ABCD)"
    return None


def _range(low: int, high: int) -> _Validator:
    def check(value: int) -> str | None:
        return None if low <= value <= high else f"must be between {low} and {high}"

    return check


def _channel_name(value: str) -> str | None:
    pattern, rule = CHANNEL_IDS["console"]
    if not pattern.fullmatch(value):
        return f"console channel {value!r} must be {rule}"
    return None


def _not_empty(value: str) -> str | None:
    return None if value.strip() else "must not be empty"


def postgres_url_problem(url: str) -> str | None:
    """Why `url` does not name a PostgreSQL database, or None."""
    if not url.startswith(("postgresql://", "postgres://")):
        return "must be a postgresql:// address, such as postgresql://newsbot@db.example/news"
    return None


def _web_address(value: str) -> str | None:
    return feed_url_problem(value)


def feed_url_problem(url: str) -> str | None:
    """Why `url` cannot be fetched as a feed (an absolute http or https address), or None."""
    scheme, _, rest = url.partition("://")
    if scheme.lower() not in ("http", "https") or not rest.split("/", 1)[0]:
        return f"must be an http:// or https:// address, got {url!r}"
    return None


def _contact(value: str) -> str | None:
    if value.startswith("mailto:") or not _web_address(value):
        return None
    return f"must be a web address or mailto: where publishers can reach you, got {value!r}"


_TOP_LEVEL: dict[str, tuple[type, _Validator]] = {"timezone": (str, _timezone)}
_SECTIONS: dict[str, dict[str, tuple[type, _Validator]]] = {
    "database": {"path": (str, _not_empty), "url": (str, postgres_url_problem)},
    "seeds": {
        "folder": (str, _not_empty),
        "poll_interval_seconds": (int, _range(1, 7 * 86400)),
        "max_file_bytes": (int, _range(1, 1 << 30)),
    },
    "summary": {"sentences": (int, _range(1, 10))},
    "console": {"channels": (list, None)},
    "delivery": {
        "time": (str, _clock_time),
        "posts_per_minute": (int, _range(1, 60)),
        "catch_up_limit": (int, _range(1, 100)),
        "lease_seconds": (int, _range(5, 3600)),
    },
    "slack": {"admin_users": (list, _slack_users), "admin_group": (str, _slack_group)},
    "fetch": {
        "contact": (str, _contact),
        "timeout_seconds": (int, _range(1, 300)),
        "max_bytes": (int, _range(10_000, 100_000_000)),
    },
}
_SUBSCRIPTION_KEYS: dict[str, tuple[type, _Validator]] = {
    "channel": (str, None),
    "mode": (str, None),
    "schedule": (str, None),
    "topics": (list, None),
    "keywords": (list, None),
    "exclude": (list, None),
    "backfill": (int, None),
    "on_this_day": (bool, None),
}


_FEED_KEYS: dict[str, tuple[type, _Validator]] = {
    "name": (str, None),
    "url": (str, _web_address),
    "poll_interval_seconds": (int, _range(FEED_POLL_MIN_SECONDS, FEED_POLL_MAX_SECONDS)),
    "topics": (list, None),
    "full_text": (bool, None),
}


def feed_name_problem(name: str) -> str | None:
    if not FEED_NAME_PATTERN.match(name):
        return (
            f"{name!r} must be 1-64 letters, digits, spaces or . & ' - _, starting with a "
            "letter or digit"
        )
    return None


def _validate_feed(index: int, raw: Any, problems: list[str]) -> FeedSpec | None:
    where = f"feeds[{index}]."
    before = len(problems)
    values = _table_values("feeds", index, raw, _FEED_KEYS, problems)
    if values is None:
        return None
    for key in ("name", "url"):
        if key not in raw:
            problems.append(f"{where}{key}: required")
    if "name" in values and (message := feed_name_problem(values["name"])):
        problems.append(f"{where}name: {message}")
    if len(problems) > before:
        return None
    return FeedSpec(**values)


def _validate_feeds(raw: Any, problems: list[str]) -> list[FeedSpec]:
    if not isinstance(raw, list):
        problems.append("feeds: must be an array of tables ([[feeds]])")
        return []
    feeds: list[FeedSpec] = []
    names: dict[str, int] = {}
    for index, item in enumerate(raw):
        feed = _validate_feed(index, item, problems)
        if feed is None:
            continue
        if (first := names.setdefault(feed.name.casefold(), index)) != index:
            problems.append(
                f"feeds[{index}].name: {feed.name!r} is already the name of feeds[{first}]"
            )
            continue
        feeds.append(feed)
    return feeds


def cron_trigger(expression: str, tz: dt.tzinfo) -> CronTrigger:
    """A digest's cron line in `tz` as APScheduler reads it (ValueError when malformed).
    APScheduler is imported when a cron line is first read, so `newsbot ask` starts
    without it."""
    from apscheduler.triggers.cron import CronTrigger

    return CronTrigger.from_crontab(expression, timezone=tz)


def cron_problem(expression: str, tz: dt.tzinfo) -> str | None:
    """Why a digest's cron line cannot run in `tz`: malformed, or never fires."""
    try:
        trigger = cron_trigger(expression, tz)
    except ValueError as exc:
        return f"invalid cron line {expression!r} ({exc}); use five fields like '0 8 * * *'"
    now = dt.datetime.now(tz)
    fires = trigger.get_next_fire_time(None, now)
    if fires is None or fires > now + dt.timedelta(days=366 * CRON_HORIZON_YEARS):
        return (
            f"cron line {expression!r} never fires (no time matches it in the next "
            f"{CRON_HORIZON_YEARS} years; '0 8 30 2 *' asks for February 30)"
        )
    return None


def channel_problem(channel: str) -> str | None:
    platform, sep, channel_id = channel.partition(":")
    if not sep or platform not in CHANNEL_IDS:
        return (
            f"{channel[:60]!r} must be 'console:<name>', 'discord:<channel id>' "
            "or 'slack:<channel id>'"
        )
    pattern, rule = CHANNEL_IDS[platform]
    if not pattern.fullmatch(channel_id):
        return f"{channel[:60]!r}: a {platform} channel is {rule}"
    return None


def split_terms(values: tuple[str, ...]) -> list[str]:
    """Topics or keywords as given (a list, or comma-separated), each stripped."""
    return [part.strip() for value in values for part in value.split(",")]


def _terms_problem(key: str, values: tuple[str, ...]) -> str | None:
    for term in split_terms(values):
        if not term:
            return f"{key}: an empty entry (a blank name, or two commas in a row)"
        if len(term) > MAX_TERM_CHARS:
            return f"{key}: {term[:40]!r}... is longer than {MAX_TERM_CHARS} characters"
        if key == "topics" and not any(ch.isalnum() for ch in term):
            return f"{key}: {term!r} is not a topic name"
    return None


def subscription_problems(spec: SubscriptionSpec, tz: dt.tzinfo) -> list[str]:
    """Every reason `spec` cannot run, each as 'key: why'. The one validator for
    subscriptions from the config file and from /news subscribe."""
    problems = []
    if message := channel_problem(spec.channel):
        problems.append(f"channel: {message}")
    if spec.mode not in SUBSCRIPTION_MODES:
        modes = ", ".join(SUBSCRIPTION_MODES)
        problems.append(f"mode: must be one of {modes}, got {spec.mode[:40]!r}")
    if spec.mode == "digest" and not spec.schedule:
        problems.append("schedule: required for digest mode (a cron line like '0 8 * * *')")
    if spec.mode == "instant" and spec.schedule:
        problems.append("schedule: only digest subscriptions take a schedule")
    if spec.schedule and (message := cron_problem(spec.schedule, tz)):
        problems.append(f"schedule: {message}")
    if not 0 <= spec.backfill <= MAX_BACKFILL:
        problems.append(f"backfill: must be between 0 and {MAX_BACKFILL}")
    for key in ("topics", "keywords", "exclude"):
        if message := _terms_problem(key, getattr(spec, key)):
            problems.append(message)
    return problems


def _unknown(key: str, known: list[str], where: str) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{where}{key}: unknown key{hint}"


def _type_name(kind: type) -> str:
    return {str: "a string", int: "an integer", list: "a list", bool: "true or false"}[kind]


def _check_value(
    path: str, value: Any, kind: type, validator: _Validator, problems: list[str]
) -> bool:
    # bool is a subclass of int in Python; a TOML `true` is not a number.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        problems.append(f"{path}: must be {_type_name(kind)}, got {value!r}")
        return False
    if isinstance(value, list) and not all(isinstance(item, str) for item in value):
        problems.append(f"{path}: must be a list of strings")
        return False
    if validator is not None and (message := validator(value)):
        problems.append(f"{path}: {message}")
        return False
    return True


def _table_values(
    name: str, index: int, raw: Any, schema: dict[str, tuple[type, _Validator]], problems: list[str]
) -> dict[str, Any] | None:
    """The valid keys of table `index` of the array `[[name]]`, each checked against
    `schema`; None when it is not a table at all."""
    where = f"{name}[{index}]."
    if not isinstance(raw, dict):
        problems.append(f"{name}[{index}]: must be a table ([[{name}]])")
        return None
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in schema:
            problems.append(_unknown(key, list(schema), where))
            continue
        kind, validator = schema[key]
        if _check_value(where + key, value, kind, validator, problems):
            values[key] = tuple(value) if kind is list else value
    return values


def _validate_subscription(
    index: int, raw: Any, tz: dt.tzinfo, problems: list[str]
) -> SubscriptionSpec | None:
    where = f"subscriptions[{index}]."
    values = _table_values("subscriptions", index, raw, _SUBSCRIPTION_KEYS, problems)
    if values is None:
        return None
    if "channel" not in raw:
        problems.append(f"{where}channel: required (for example 'console:news')")
    if "channel" not in values:
        return None
    spec = SubscriptionSpec(**values)
    found = subscription_problems(spec, tz)
    problems.extend(where + problem for problem in found)
    return None if found else spec


def parse_config(path: Path, raw: dict[str, Any]) -> AdminConfig:
    """Validate a parsed TOML document; raise ConfigError listing every problem."""
    problems: list[str] = []
    values: dict[str, Any] = {}
    known = [*_TOP_LEVEL, *_SECTIONS, "subscriptions", "feeds"]
    for key, value in raw.items():
        if key in _TOP_LEVEL:
            kind, validator = _TOP_LEVEL[key]
            if _check_value(key, value, kind, validator, problems):
                values[key] = value
        elif key in _SECTIONS:
            if not isinstance(value, dict):
                problems.append(f"{key}: must be a table ([{key}])")
                continue
            schema = _SECTIONS[key]
            for sub_key, sub_value in value.items():
                if sub_key not in schema:
                    problems.append(_unknown(sub_key, list(schema), f"{key}."))
                    continue
                kind, validator = schema[sub_key]
                path_name = f"{key}.{sub_key}"
                if _check_value(path_name, sub_value, kind, validator, problems):
                    values[f"{key}_{sub_key}"] = sub_value
        elif key not in ("subscriptions", "feeds"):
            problems.append(_unknown(key, known, ""))

    channels = values.get("console_channels", ["news"])
    for channel in channels:
        if message := _channel_name(channel):
            problems.append(f"console.channels: {message}")
    for channel in sorted({c for c in channels if channels.count(c) > 1}):
        problems.append(f"console.channels: {channel!r} is listed more than once")
    tz = zoneinfo.ZoneInfo(values.get("timezone", "UTC"))

    subscriptions: list[SubscriptionSpec] = []
    raw_subscriptions = raw.get("subscriptions", [])
    if not isinstance(raw_subscriptions, list):
        problems.append("subscriptions: must be an array of tables ([[subscriptions]])")
        raw_subscriptions = []
    for index, item in enumerate(raw_subscriptions):
        subscription = _validate_subscription(index, item, tz, problems)
        if subscription is None:
            continue
        if subscription.channel.startswith("console:"):
            name = subscription.channel.split(":", 1)[1]
            if name not in channels:
                problems.append(
                    f"subscriptions[{index}].channel: console channel {name!r} is not "
                    f"listed in console.channels ({', '.join(channels)})"
                )
                continue
        subscriptions.append(subscription)

    feeds = _validate_feeds(raw.get("feeds", []), problems)

    if problems:
        raise ConfigError(path, problems)
    return AdminConfig(
        path=path,
        timezone=values.get("timezone", "UTC"),
        database_path=Path(values.get("database_path", "data/newsbot.db")),
        database_url=values.get("database_url"),
        seeds_folder=Path(values.get("seeds_folder", "seeds")),
        seeds_poll_interval_seconds=values.get("seeds_poll_interval_seconds", 300),
        seeds_max_file_bytes=values.get("seeds_max_file_bytes", 1_048_576),
        summary_sentences=values.get("summary_sentences", 3),
        console_channels=tuple(channels),
        delivery_time=values.get("delivery_time", "09:00"),
        delivery_posts_per_minute=values.get("delivery_posts_per_minute", 5),
        delivery_catch_up_limit=values.get("delivery_catch_up_limit", 5),
        delivery_lease_seconds=values.get("delivery_lease_seconds", 120),
        slack_admin_users=tuple(values.get("slack_admin_users", ())),
        slack_admin_group=values.get("slack_admin_group", ""),
        subscriptions=tuple(subscriptions),
        feeds=tuple(feeds),
        fetch_contact=values.get("fetch_contact", ""),
        fetch_timeout_seconds=values.get("fetch_timeout_seconds", 20),
        fetch_max_bytes=values.get("fetch_max_bytes", 5_000_000),
    )


def seeds_folder_problem(config: AdminConfig) -> str | None:
    """Why the seeds folder cannot be read. A folder the config names that does not exist
    is most likely a typo, so it is reported rather than created."""
    folder = config.seeds_folder
    if not folder.exists():
        return (
            f"seeds.folder: {folder} does not exist (create it, or correct seeds.folder "
            f"in {config.path})"
        )
    if not folder.is_dir():
        return f"seeds.folder: {folder} is not a folder"
    if not os.access(folder, os.R_OK | os.X_OK):
        return f"seeds.folder: {folder} cannot be read (check its permissions)"
    return None


def load_config(path: Path) -> AdminConfig:
    """Read and validate the admin config at `path`."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            path, ["config file not found; pass --config PATH or set NEWSBOT_CONFIG"]
        ) from None
    except OSError as exc:
        raise ConfigError(path, [f"cannot read the config file: {exc.strerror}"]) from exc
    try:
        raw = tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ConfigError(path, [f"not UTF-8 text (byte {exc.start})"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [f"malformed TOML: {exc}"]) from exc
    return parse_config(path, raw)
