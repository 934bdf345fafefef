"""A killed `newsbot ingest` leaves no worker process behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.ingest.seed import parse_seed_file
from tests.conftest import REPO, RUTTE_SEED

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")


def _children(parent: int) -> set[int]:
    """Live (not zombie) processes whose parent is `parent`."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[1]) == parent:
            found.add(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_for(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_kill_9_of_an_ingest_leaves_no_worker_running(tmp_path: Path) -> None:
    seed = parse_seed_file(RUTTE_SEED)
    bulk = tmp_path / "bulk.jsonl"
    with bulk.open("w", encoding="utf-8") as out:
        for n in range(4000):  # enough for the worker pool and a few seconds of work
            record = {"title": f"{seed.title} ({n})", "body": f"{seed.body}\nUpdate {n}."}
            out.write(json.dumps(record) + "\n")
    config = tmp_path / "newsbot.toml"
    config.write_text(f'[database]\npath = "{tmp_path / "news.db"}"\n', encoding="utf-8")
    ingest = subprocess.Popen(
        [sys.executable, "-m", "bot", "ingest", "--config", str(config), str(bulk)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: set[int] = set()
    try:
        assert _wait_for(lambda: workers.update(_children(ingest.pid)) or workers, 60), (
            "the ingest never started its worker processes"
        )
        os.kill(ingest.pid, signal.SIGKILL)
        ingest.wait()
        assert _wait_for(lambda: not any(_alive(pid) for pid in workers), 3), (
            f"workers still running 3 s after kill -9 of the ingest: {sorted(workers)}"
        )
    finally:
        ingest.kill()
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
