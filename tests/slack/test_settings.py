"""Slack's secrets and config keys are checked at start-up with messages that say what to fix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, SettingsError, load_config


def test_both_slack_tokens_start_slack_beside_discord() -> None:
    settings = Settings.from_env(
        {"DISCORD_TOKEN": "d", "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}
    )
    assert settings.platforms == ["discord", "slack"]
    assert settings.slack_api_url == "https://slack.com/api/"
    assert Settings.from_env({}).platforms == []


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN is not set"),
        ({"SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xapp-1", "SLACK_APP_TOKEN": "xoxb-1"}, "starting with xoxb-"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxp-1"}, "starting with xapp-"),
    ],
)
def test_a_missing_or_swapped_slack_token_is_named(env: dict[str, str], problem: str) -> None:
    with pytest.raises(SettingsError, match=problem):
        Settings.from_env(env)


def test_slack_admin_keys_are_validated(write_config: Callable[[str], Path]) -> None:
    good = load_config(
        write_config('[slack]\nadmin_users = ["U0123ABCD"]\nadmin_group = "S0123ABCD"\n')
    )
    assert good.slack_admin_users == ("U0123ABCD",) and good.slack_admin_group == "S0123ABCD"
    with pytest.raises(ConfigError) as bad:
        load_config(write_config('[slack]\nadmin_users = ["bob"]\nadmin_grop = "S1"\n'))
    problems = bad.value.problems
    assert any(p.startswith("slack.admin_users: 'bob' is not a Slack user id") for p in problems)
    assert any("slack.admin_grop: unknown key (did you mean 'admin_group'?)" in p for p in problems)
