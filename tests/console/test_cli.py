"""The console bot as a user runs it: `newsbot ask`, piped commands, ingest and check."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def newsbot(
    config: Path, *args: str, stdin: str = "", env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`newsbot` with the given settings; none from this environment's Discord, Slack or
    database variables."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DISCORD_", "NEWSBOT_", "SLACK_", "DATABASE_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**base, **(env or {})},
        timeout=60,
    )


@pytest.fixture
def config_path(write_config: Callable[[str], Path]) -> Path:
    return write_config("")


def test_latest_shows_the_rutte_article_with_its_date(config_path: Path) -> None:
    result = newsbot(config_path, "ask", "/news latest")
    assert result.returncode == 0, result.stderr
    assert "2024-12-04  Rutte: Putin Shows No Interest in Peace" in result.stdout
    assert "Traceback" not in result.stderr


def test_search_finds_air_defense_with_a_marked_snippet(config_path: Path) -> None:
    result = newsbot(config_path, "ask", "/news search air defense")
    assert "Rutte: Putin Shows No Interest" in result.stdout
    assert "[air] [defense] systems" in result.stdout
    assert "1 result · page 1 of 1" in result.stdout


def test_piped_commands_each_get_a_reply(config_path: Path) -> None:
    script = (
        "/news help\n"
        "/news article 1\n"
        "/news article 1 2\n"
        "/news bogus\n"
        "/news latest lots\n"
        '/news search "unbalanced AND (NEAR\n'
        "/news summary 1 2\n"
        "/news topics all\n"
        "/news topic putin\n"
    )
    result = newsbot(config_path, "run", stdin=script)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr + out
    assert "/news search <query> [page]" in out  # help lists commands with usage
    assert "page 1 of 2" in out and "page 2 of 2" in out
    assert "Error: Unknown command 'bogus'\n  Try /news help" in out
    assert "Error: count must be a whole number, got 'lots'\n  Usage: /news latest [count]" in out
    assert "No results for" in out
    assert "• NATO Secretary General Mark Rutte emphasized" in out
    assert "Mark Rutte" in out.split("Topics in all news", 1)[1]
    assert "Topic: Vladimir Putin" in out


def test_ingest_reports_each_outcome_and_is_idempotent(
    config_path: Path, seeds_dir: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("date 2024-02-30 Impossible\nbody\n")
    first = newsbot(config_path, "ingest", str(seeds_dir), str(bad))
    assert first.returncode == 0
    assert f"rejected: {bad}:1: impossible date 2024-02-30" in first.stdout
    assert "1 added, 0 updated, 0 unchanged, 0 duplicate, 1 rejected" in first.stdout
    again = newsbot(config_path, "ingest")
    assert "0 added, 0 updated, 1 unchanged" in again.stdout


def test_ingest_fails_only_when_nothing_could_be_read(config_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01binary")
    result = newsbot(config_path, "ingest", str(bad), str(tmp_path / "missing"))
    assert result.returncode == 1
    assert f"rejected: {tmp_path / 'missing'}: no such file or folder" in result.stdout


def test_check_summarises_config_and_database(config_path: Path) -> None:
    newsbot(config_path, "ingest")
    result = newsbot(config_path, "check")
    assert result.returncode == 0
    assert f"config: {config_path} is valid" in result.stdout
    assert "articles: 1" in result.stdout


def test_bad_config_is_one_clear_error_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('timezone = "Nowhere/City"\n[summary]\nsentences = 0\n')
    result = newsbot(path, "check")
    assert result.returncode == 2
    assert f"{path}: 2 problems in the config" in result.stderr
    assert "timezone: unknown timezone 'Nowhere/City'" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_from_environment_variable(config_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCORD_")}
    env["NEWSBOT_CONFIG"] = str(config_path)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "/news latest 1"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )
    assert "Rutte" in result.stdout


def test_console_channel_shows_the_backfilled_post_and_exits_cleanly(
    write_config: Callable[[str], Path],
) -> None:
    config = write_config('[[subscriptions]]\nchannel = "console:news"\nbackfill = 1\n')
    result = newsbot(config, "run", stdin="/news latest 1\n")
    assert result.returncode == 0, result.stderr
    assert "[#news] Rutte: Putin Shows No Interest in Peace" in result.stdout
    assert "• NATO Secretary General Mark Rutte emphasized" in result.stdout
    # Stopping while the delivery job runs must not log a cancelled job as an error.
    assert "Traceback" not in result.stderr
    assert "ERROR" not in result.stderr


def test_ask_exits_non_zero_when_the_answer_is_an_error(config_path: Path) -> None:
    result = newsbot(config_path, "ask", "/news article 999")
    assert result.returncode == 1
    assert result.stdout.startswith("Error: No article #999")
    assert newsbot(config_path, "ask", "/news latest").returncode == 0


def test_ask_on_sqlite_starts_without_the_chat_network_and_postgresql_libraries(
    config_path: Path,
) -> None:
    # Start-up is mostly imports: `ask` answers without what only `run` or PostgreSQL use.
    script = (
        "import sys\n"
        "from bot.__main__ import main\n"
        f"code = main(['--config', {str(config_path)!r}, 'ask', '/news latest'])\n"
        "heavy = ('aiohttp', 'asyncpg', 'discord', 'slack_bolt', 'apscheduler', 'feedparser')\n"
        "print('loaded:', sorted(m for m in heavy if m in sys.modules), code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert result.stdout.splitlines()[-1] == "loaded: [] 0", result.stdout + result.stderr


def test_ask_into_a_pipe_closed_early_ends_without_a_traceback(config_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "NEWSBOT_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "--config", str(config_path), "ask", "/news help"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
        env=env,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like `| head -1` once it has its line
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr


def test_a_missing_seeds_folder_stops_run_with_one_line(
    write_config: Callable[[str], Path], tmp_path: Path
) -> None:
    config = write_config("").read_text().replace(str(tmp_path / "seeds"), str(tmp_path / "sedes"))
    path = tmp_path / "typo.toml"
    path.write_text(config)
    for args in (("run",), ("ask", "/news latest"), ("ingest",)):
        result = newsbot(path, *args)
        assert result.returncode == 2
        assert result.stderr.strip() == (
            f"newsbot: {path}: seeds.folder: {tmp_path / 'sedes'} does not exist "
            f"(create it, or correct seeds.folder in {path})"
        )


def test_check_names_every_environment_setting_that_would_stop_run(config_path: Path) -> None:
    result = newsbot(
        config_path,
        "check",
        env={
            "DISCORD_TOKEN": "token",
            "DISCORD_SHARD_COUNT": "2",
            "DISCORD_SHARD_IDS": "0,2",
            "SLACK_BOT_TOKEN": "xapp-1-swapped",
            "SLACK_APP_TOKEN": "xoxb-swapped",
        },
    )
    assert result.returncode == 1
    assert "problem: DISCORD_SHARD_IDS must be shard numbers from 0 to 1" in result.stdout
    assert "problem: SLACK_BOT_TOKEN must be the Bot User OAuth Token" in result.stdout
    assert "chat platforms" not in result.stdout
    assert "Traceback" not in result.stderr


def test_check_shows_the_chat_platforms_the_environment_sets_up(config_path: Path) -> None:
    result = newsbot(
        config_path,
        "check",
        env={"DISCORD_TOKEN": "token", "DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "0,1"},
    )
    assert result.returncode == 0, result.stdout
    assert "chat platforms from the environment: discord" in result.stdout
    assert "problem" not in result.stdout


def test_check_refuses_a_database_url_that_is_not_postgresql_naming_it(
    config_path: Path,
) -> None:
    result = newsbot(config_path, "check", env={"DATABASE_URL": "mysql://db/news"})
    assert result.returncode == 2
    assert "DATABASE_URL: must be a postgresql:// address" in result.stderr
    assert "Traceback" not in result.stderr
