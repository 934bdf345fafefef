"""A throwaway PostgreSQL 15 server for the tests, started by pytest itself.

`make test` is the only setup CI has (a fresh clone, as root), so the session starts its
own server from the PostgreSQL 15 programs in a temporary folder, listening only on a unix
socket there, and stops it when the session ends. PostgreSQL refuses to run as root, so
as root it runs as the unprivileged `nobody`. Each test gets a database of its own.

Outside CI the PostgreSQL tests skip, saying why, when the server programs are missing;
with CI=true they fail instead, so a machine without them can never pass quietly.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

BIN = Path(os.environ.get("NEWSBOT_PG_BIN", "/usr/lib/postgresql/15/bin"))
PORT = 5432  # only names the socket file: the server listens on no TCP port
# Small: the tests hold a few hundred rows, on a machine shared with other work.
SETTINGS = {
    "listen_addresses": "''",
    "shared_buffers": "16MB",
    "max_connections": "60",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_wal_size": "64MB",
}


@dataclass(frozen=True)
class PostgresServer:
    socket_dir: Path

    def url(self, database: str) -> str:
        """A postgresql:// URL for `database` on this server's socket, as root or not."""
        return f"postgresql:///{database}?host={self.socket_dir}&port={PORT}&user=postgres"


def _as_owner(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "nobody", "--", *argv]


def _run(argv: list[str]) -> None:
    done = subprocess.run(_as_owner(argv), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr}")


def missing_reason() -> str | None:
    """Why no server can be started here, or None."""
    for program in ("initdb", "pg_ctl", "postgres"):
        if not (BIN / program).exists():
            return f"PostgreSQL server program {BIN / program} not found (install postgresql-15)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root and runuser is missing, so PostgreSQL cannot be started"
    return None


@contextmanager
def throwaway_server() -> Iterator[PostgresServer]:
    """A new PostgreSQL server in a temporary folder, stopped and removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="newsbot-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "nobody")
    options = " ".join(f"-c {key}={value}" for key, value in SETTINGS.items())
    try:
        _run(
            [
                str(BIN / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]
        )
        _run(
            [
                str(BIN / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(folder / "server.log"),
                "-w",
                "-o",
                f"{options} -k {folder} -p {PORT}",
                "start",
            ]
        )
        yield PostgresServer(folder)
    finally:
        if (data / "postmaster.pid").exists():
            _run([str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    reason = missing_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the PostgreSQL tests: {reason}")
        pytest.skip(reason)
    with throwaway_server() as server:
        yield server


_numbers = itertools.count(1)


@asynccontextmanager
async def fresh_database(server: PostgresServer) -> AsyncIterator[str]:
    """The URL of a new, empty database on `server`, dropped afterwards."""
    import asyncpg

    name = f"test_{os.getpid()}_{next(_numbers)}"
    admin = await asyncpg.connect(server.url("postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 STRATEGY file_copy')
        yield server.url(name)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def postgres_url(postgres_server: PostgresServer) -> AsyncIterator[str]:
    """The URL of a new, empty database, dropped after the test."""
    async with fresh_database(postgres_server) as url:
        yield url
