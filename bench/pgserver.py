"""A throwaway PostgreSQL 15 server, for the tests and the benchmarks alike.

The server is started from the PostgreSQL 15 programs in a temporary folder, listening
only on a unix socket there, and stopped and removed afterwards. PostgreSQL refuses to
run as root, so as root it runs as the unprivileged `nobody`. Each caller passes the
settings it wants (the tests small ones, the benchmarks ones for a large archive).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

BIN = Path(os.environ.get("NEWSBOT_PG_BIN", "/usr/lib/postgresql/15/bin"))
PORT = 5432  # only names the socket file: the server listens on no TCP port

# The tests' server: a few hundred rows, on a machine shared with other work, and data
# that may be lost (fsync off).
SMALL = {
    "shared_buffers": "16MB",
    "max_connections": "60",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_wal_size": "64MB",
}
# A server set up for a 100,000-article archive (bench/scale.py), chosen before any run:
# durable like newsbot's SQLite file (WAL with synchronous=NORMAL: fsync on, a crash may
# lose the last commits but never corrupts), memory for the archive's hot pages and for
# sorting a million article-topic rows, no checkpoint forced in the middle of an ingest,
# SSD page costs, and no JIT compilation (it costs more than the bot's short queries gain).
SCALE = {
    "shared_buffers": "512MB",
    "effective_cache_size": "4GB",
    "work_mem": "32MB",
    "maintenance_work_mem": "256MB",
    "synchronous_commit": "off",
    "max_wal_size": "4GB",
    "checkpoint_timeout": "30min",
    "random_page_cost": "1.1",
    "jit": "off",
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
def throwaway_server(settings: Mapping[str, str]) -> Iterator[PostgresServer]:
    """A new PostgreSQL server in a temporary folder with these `postgres -c` settings
    (it never listens on TCP), stopped and removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="newsbot-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "nobody")
    options = " ".join(
        f"-c {key}={value}" for key, value in {**settings, "listen_addresses": "''"}.items()
    )
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


@asynccontextmanager
async def fresh_database(server: PostgresServer, name: str) -> AsyncIterator[str]:
    """The URL of a new, empty database `name` on `server`, dropped afterwards."""
    import asyncpg

    admin = await asyncpg.connect(server.url("postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 STRATEGY file_copy')
        yield server.url(name)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
