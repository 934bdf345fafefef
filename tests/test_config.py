"""Admin config validation: every problem at once, with its key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import (
    ConfigError,
    Settings,
    SettingsError,
    load_config,
    parse_config,
    resolve_config_path,
    seeds_folder_problem,
)

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config" / "newsbot.toml"


def load_text(tmp_path: Path, text: str | bytes):
    path = tmp_path / "newsbot.toml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return load_config(path)


def problems_of(tmp_path: Path, text: str | bytes) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_text(tmp_path, text)
    return caught.value.problems


def test_shipped_config_is_valid() -> None:
    config = load_config(REPO_CONFIG)
    assert config.timezone == "Europe/Brussels"
    assert config.summary_sentences == 3
    assert config.subscriptions[0].channel == "console:news"


def test_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    config = load_text(tmp_path, "")
    assert (config.timezone, config.database_path, config.seeds_folder) == (
        "UTC",
        Path("data/newsbot.db"),
        Path("seeds"),
    )
    assert config.seeds_max_file_bytes == 1_048_576


def test_every_problem_is_reported_at_once_with_its_key_path(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path,
        """
timezone = "Mars/Olympus"
colour = "blue"
[seeds]
folder = 7
max_file_bytes = 0
poll_intervall_seconds = 5
[summary]
sentences = 11
[delivery]
time = "25:00"
[[subscriptions]]
channel = "irc:news"
mode = "weekly"
[[subscriptions]]
channel = "console:sports"
[[subscriptions]]
channel = "console:news"
mode = "digest"
[[subscriptions]]
channel = "console:news"
mode = "digest"
schedule = "every morning"
""",
    )
    assert problems == [
        "timezone: unknown timezone 'Mars/Olympus' (use an IANA name such as 'Europe/Brussels')",
        "colour: unknown key",
        "seeds.folder: must be a string, got 7",
        "seeds.max_file_bytes: must be between 1 and 1073741824",
        "seeds.poll_intervall_seconds: unknown key (did you mean 'poll_interval_seconds'?)",
        "summary.sentences: must be between 1 and 10",
        "delivery.time: must be a local time HH:MM, got '25:00'",
        "subscriptions[0].channel: 'irc:news' must be 'console:<name>', 'discord:<channel id>' "
        "or 'slack:<channel id>'",
        "subscriptions[0].mode: must be one of instant, digest, got 'weekly'",
        "subscriptions[1].channel: console channel 'sports' is not listed in console.channels "
        "(news)",
        "subscriptions[2].schedule: required for digest mode (a cron line like '0 8 * * *')",
        "subscriptions[3].schedule: invalid cron line 'every morning' (Wrong number of fields; "
        "got 2, expected 5); use five fields like '0 8 * * *'",
    ]


def test_booleans_are_not_numbers(tmp_path: Path) -> None:
    assert problems_of(tmp_path, "[summary]\nsentences = true\n") == [
        "summary.sentences: must be an integer, got True"
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"timezone = \n", "malformed TOML"),
        (b"[seeds\nfolder='x'\n", "malformed TOML"),
        (b"timezone = '\xff'\n", "not UTF-8 text (byte 12)"),
    ],
)
def test_malformed_file_is_named_with_the_reason(
    tmp_path: Path, content: bytes, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_text(tmp_path, content)
    assert str(caught.value).startswith(f"{tmp_path / 'newsbot.toml'}: ")
    assert message in caught.value.problems[0]


def test_missing_file_says_how_to_fix_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing.toml: config file not found; pass --config"):
        load_config(tmp_path / "missing.toml")


def test_config_path_flag_beats_environment_beats_default() -> None:
    env = {"NEWSBOT_CONFIG": "from-env.toml"}
    assert resolve_config_path("flag.toml", env) == Path("flag.toml")
    assert resolve_config_path(None, env) == Path("from-env.toml")
    assert resolve_config_path(None, {}) == Path("config/newsbot.toml")


def test_settings_come_from_the_environment_only() -> None:
    settings = Settings.from_env({"DISCORD_TOKEN": " abc ", "DISCORD_GUILD_ID": "42"})
    assert (settings.discord_token, settings.discord_guild_id) == ("abc", 42)
    assert Settings.from_env({}).discord_token is None
    with pytest.raises(SettingsError, match="DISCORD_GUILD_ID must be a numeric guild id"):
        Settings.from_env({"DISCORD_GUILD_ID": "my-server"})


def test_discord_shards_come_from_the_environment() -> None:
    settings = Settings.from_env({"DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": " 2, 3"})
    assert (settings.discord_shard_count, settings.discord_shard_ids) == (4, (2, 3))
    all_shards = Settings.from_env({"DISCORD_SHARD_COUNT": "2"})
    assert (all_shards.discord_shard_count, all_shards.discord_shard_ids) == (2, None)
    assert Settings.from_env({}).discord_shard_count is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DISCORD_SHARD_COUNT": "0"}, "DISCORD_SHARD_COUNT must be a whole number >= 1, got '0'"),
        ({"DISCORD_SHARD_COUNT": "two"}, "DISCORD_SHARD_COUNT must be a whole number"),
        ({"DISCORD_SHARD_IDS": "0"}, "DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT"),
        (
            {"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "0,2"},
            "DISCORD_SHARD_IDS must be shard numbers from 0 to 1 .* got '2'",
        ),
        ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "0,,1"}, "DISCORD_SHARD_IDS .* got ''"),
        ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "1,1"}, "more than once: '1,1'"),
    ],
)
def test_bad_discord_shards_are_refused_naming_the_variable(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message) as caught:
        Settings.from_env(env)
    assert "\n" not in str(caught.value)


def test_config_that_would_break_run_is_refused_by_check(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path,
        """
[seeds]
poll_interval_seconds = 100000000000000
[console]
channels = ["news", "world", "news"]
[[subscriptions]]
channel = "console:news"
mode = "digest"
schedule = "0 8 30 2 *"
[[subscriptions]]
channel = "discord:general"
[[subscriptions]]
channel = "console:world"
topics = ["", " "]
""",
    )
    assert problems == [
        "seeds.poll_interval_seconds: must be between 1 and 604800",
        "console.channels: 'news' is listed more than once",
        "subscriptions[0].schedule: cron line '0 8 30 2 *' never fires (no time matches it in "
        "the next 5 years; '0 8 30 2 *' asks for February 30)",
        "subscriptions[1].channel: 'discord:general': a discord channel is a channel id, a number",
        "subscriptions[2].topics: an empty entry (a blank name, or two commas in a row)",
    ]


def test_a_missing_seeds_folder_is_reported_by_name(tmp_path: Path) -> None:
    config = parse_config(tmp_path / "newsbot.toml", {"seeds": {"folder": str(tmp_path / "sedes")}})
    assert seeds_folder_problem(config) == (
        f"seeds.folder: {tmp_path / 'sedes'} does not exist (create it, or correct "
        f"seeds.folder in {tmp_path / 'newsbot.toml'})"
    )
    (tmp_path / "sedes").mkdir()
    assert seeds_folder_problem(config) is None
