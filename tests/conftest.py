"""Shared fixtures: a temporary admin config, a real SQLite store, the real seed."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.config import AdminConfig, load_config
from bot.store import Store
from tests.support.postgres import postgres_server, postgres_url  # noqa: F401 (fixtures)

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
RUTTE_SEED = SEEDS / "2024-12-04-rutte-putin-no-interest-in-peace.txt"
SHARED_DATA = REPO.parent / "shared" / "data"

MINIMAL_CONFIG = """\
timezone = "Europe/Brussels"
[database]
path = "{db}"
[seeds]
folder = "{seeds}"
[console]
channels = ["news"]
"""


@pytest.fixture
def seeds_dir(tmp_path: Path) -> Path:
    """A seeds folder holding a copy of the real seed article."""
    folder = tmp_path / "seeds"
    folder.mkdir()
    shutil.copy(RUTTE_SEED, folder / RUTTE_SEED.name)
    return folder


@pytest.fixture
def write_config(tmp_path: Path, seeds_dir: Path) -> Callable[[str], Path]:
    """Write a config file: the minimal one plus `extra` TOML appended."""

    def write(extra: str = "") -> Path:
        path = tmp_path / "newsbot.toml"
        path.write_text(
            MINIMAL_CONFIG.format(db=tmp_path / "news.db", seeds=seeds_dir) + extra,
            encoding="utf-8",
        )
        return path

    return write


@pytest.fixture
def config(write_config: Callable[[str], Path]) -> AdminConfig:
    return load_config(write_config(""))


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with Store.open(tmp_path / "store.db") as opened:
        yield opened
