"""Database faults end in one clear line naming the file and a non-zero exit, for every
command; `newsbot check` looks without creating or changing anything."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.commands import Commands
from bot.delivery import Delivery
from bot.store import Store, StoreError
from bot.store.sqlite import POOLED_READERS
from tests.console.test_cli import newsbot
from tests.delivery.conftest import make_config

COMMANDS = (("ingest",), ("ask", "/news latest"), ("run",), ("check",))


@pytest.fixture
def config_path(write_config: Callable[[str], Path]) -> Path:
    return write_config("")


@pytest.fixture
def database(config_path: Path, tmp_path: Path) -> Path:
    """The configured database, created and filled by a real ingest."""
    assert newsbot(config_path, "ingest").returncode == 0
    return tmp_path / "news.db"


@pytest.fixture
def read_only(database: Path) -> Iterator[Path]:
    """The database made read-only: by its mode, or for root (whom modes do not stop)
    by the immutable attribute."""
    if os.geteuid() != 0:
        database.chmod(0o444)
        yield database
        database.chmod(0o644)
        return
    if not shutil.which("chattr") or subprocess.run(["chattr", "+i", database]).returncode:
        pytest.skip("cannot make a file read-only here")
    try:
        yield database
    finally:
        subprocess.run(["chattr", "-i", database], check=True)


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr and "Event loop is closed" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_a_read_only_database_is_one_line_and_a_failure_for_every_command(
    config_path: Path, read_only: Path, seeds_dir: Path
) -> None:
    (seeds_dir / "new.txt").write_text("date 2024-12-05 Something new\nA new paragraph.\n")
    for args in COMMANDS:
        result = newsbot(config_path, *args, stdin="/news latest\n")
        assert result.returncode != 0, args
        if args == ("check",):
            assert f"problem: {read_only}: the database is read-only" in result.stdout
        else:
            line = one_line(result.stderr)
            assert line.startswith(f"newsbot: {read_only}: the database is read-only"), line


def test_a_database_path_that_cannot_be_opened_is_one_line(
    config_path: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    config_path.write_text(config_path.read_text().replace(str(tmp_path / "news.db"), str(folder)))
    for args in COMMANDS[:3]:
        result = newsbot(config_path, *args, stdin="")
        assert result.returncode == 2
        line = one_line(result.stderr)
        assert line.startswith(f"newsbot: {folder}: cannot open the database file"), line


async def test_a_database_locked_past_the_busy_timeout_is_a_clear_answer(
    database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.store.sqlite.BUSY_TIMEOUT_MS", 100)
    async with Store.open(database) as store:
        other = sqlite3.connect(database, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            with pytest.raises(StoreError, match=r"news.db: the database stayed locked"):
                await store.set_meta("k", "v")
            config = make_config(tmp_path)
            commands = Commands(store, delivery=Delivery(store, config, {}))
            reply = await commands.run_line("/news subscribe")
            assert reply.error
            assert reply.title == "The news database is not available right now"
            assert "locked by another program" in reply.text
        finally:
            other.execute("ROLLBACK")
            other.close()


async def test_a_search_on_a_dropped_full_text_index_is_a_clear_answer(database: Path) -> None:
    with sqlite3.connect(database) as db:
        db.execute("DROP TABLE articles_fts")
    async with Store.open(database) as store:
        commands = Commands(store)
        # More searches than read connections: each one comes back to the pool, usable.
        for _ in range(POOLED_READERS + 1):
            reply = await commands.run_line("/news search nato")
            assert reply.error
            assert reply.title == "The news database is not available right now"
            assert "no such table: articles_fts" in reply.text
        latest = await asyncio.wait_for(commands.run_line("/news latest"), 10)
        assert latest.items


def test_check_opens_read_only_and_never_creates_the_database(
    config_path: Path, tmp_path: Path
) -> None:
    result = newsbot(config_path, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "does not exist yet" in result.stdout
    assert not (tmp_path / "news.db").exists()


def test_check_finds_a_dropped_full_text_index(config_path: Path, database: Path) -> None:
    healthy = newsbot(config_path, "check")
    assert healthy.returncode == 0
    assert "full-text index: consistent with the articles" in healthy.stdout
    with sqlite3.connect(database) as db:
        db.execute("DROP TABLE articles_fts")
    broken = newsbot(config_path, "check")
    assert broken.returncode == 1
    assert "problem: full-text index: no such table: articles_fts" in broken.stdout


def test_check_finds_a_missing_seeds_folder(config_path: Path, seeds_dir: Path) -> None:
    shutil.rmtree(seeds_dir)
    result = newsbot(config_path, "check")
    assert result.returncode == 1
    assert f"problem: seeds.folder: {seeds_dir} does not exist" in result.stdout
