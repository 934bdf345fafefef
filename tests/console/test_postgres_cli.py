"""The console bot on PostgreSQL: `database.url` or `DATABASE_URL` instead of the SQLite file."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import asyncpg

REPO = Path(__file__).resolve().parents[2]


def newsbot(
    config: Path, *args: str, stdin: str = "", database_url: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "NEWSBOT_"))}
    env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )


def test_database_url_in_the_config_keeps_the_archive_on_postgresql(
    write_config: Callable[[str], Path], postgres_url: str, tmp_path: Path
) -> None:
    config = write_config("")
    text = config.read_text(encoding="utf-8").replace(
        "[database]\n", f'[database]\nurl = "{postgres_url}"\n'
    )
    config.write_text(text, encoding="utf-8")
    result = newsbot(config, "ask", "/news search air defense")
    assert result.returncode == 0, result.stderr
    assert "Rutte: Putin Shows No Interest" in result.stdout
    assert "[air]" in result.stdout and "[defense]" in result.stdout
    assert not (tmp_path / "news.db").exists()  # nothing went to the SQLite file
    checked = newsbot(config, "check")
    assert "database: postgresql:///" in checked.stdout
    assert "articles: 1," in checked.stdout


def test_database_url_from_the_environment_wins_and_a_bad_one_is_named(
    write_config: Callable[[str], Path], postgres_url: str, tmp_path: Path
) -> None:
    config = write_config("")
    result = newsbot(config, "ask", "/news latest", database_url=postgres_url)
    assert "2024-12-04  Rutte: Putin Shows No Interest in Peace" in result.stdout
    assert not (tmp_path / "news.db").exists()
    bad = newsbot(config, "ask", "/news latest", database_url="mysql://x/y")
    assert bad.returncode == 2
    assert "DATABASE_URL: must be a postgresql:// address" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_a_database_url_that_is_not_postgresql_is_refused_with_its_key(
    write_config: Callable[[str], Path],
) -> None:
    config = write_config("")
    text = config.read_text(encoding="utf-8").replace(
        "[database]\n", '[database]\nurl = "sqlite:///news.db"\n'
    )
    config.write_text(text, encoding="utf-8")
    result = newsbot(config, "check")
    assert result.returncode == 2
    assert "database.url: must be a postgresql:// address" in result.stderr


def test_a_running_bot_on_postgresql_posts_the_backfill_once_across_two_runs(
    write_config: Callable[[str], Path], postgres_url: str
) -> None:
    config = write_config('[[subscriptions]]\nchannel = "console:news"\nbackfill = 1\n')
    first = newsbot(config, "run", stdin="/news latest 1\n", database_url=postgres_url)
    assert first.returncode == 0, first.stderr
    assert "[#news] Rutte: Putin Shows No Interest in Peace" in first.stdout
    assert "Traceback" not in first.stderr and "ERROR" not in first.stderr
    again = newsbot(config, "run", stdin="/news status\n", database_url=postgres_url)
    assert again.returncode == 0, again.stderr
    assert "[#news]" not in again.stdout  # the ledger on PostgreSQL says it was sent
    assert "deliveries pending: 0 (0 due now), sent: 1, failed: 0" in again.stdout


def test_check_on_an_empty_postgresql_database_changes_nothing(
    write_config: Callable[[str], Path], postgres_url: str
) -> None:
    config = write_config("")
    checked = newsbot(config, "check", database_url=postgres_url)
    assert checked.returncode == 0, checked.stderr
    assert "has no newsbot tables yet (run or ingest makes them)" in checked.stdout

    async def tables() -> int:
        db = await asyncpg.connect(postgres_url)
        try:
            return int(
                await db.fetchval(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
                )
            )
        finally:
            await db.close()

    assert asyncio.run(tables()) == 0
