"""What a folder walk reads, and the word it says about every entry it does not read; a
file still being written waits; a problem is logged once until its file changes."""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from pathlib import Path

import pytest

from bot.ingest.derive import prepare_article
from bot.ingest.service import IngestReport, ProblemLog, ingest_paths
from bot.store import Store

GOOD = "date 2024-12-04 Good news\nIt landed.\n"


async def _ingest(store: Store, *paths: Path, settle_seconds: float = 0) -> IngestReport:
    return await ingest_paths(
        store,
        list(paths),
        prepare_article,
        max_bytes=1 << 20,
        default_date=dt.date(2024, 12, 4),
        settle_seconds=settle_seconds,
    )


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


async def test_every_entry_that_is_not_read_gets_one_clear_word(
    store: Store, tmp_path: Path
) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "good.txt").write_text(GOOD)
    (seeds / "dangling.txt").symlink_to(seeds / "gone.txt")
    (seeds / "loop.txt").symlink_to(seeds / "loop.txt")
    (seeds / "x.txt").mkdir()
    os.mkfifo(seeds / "pipe.txt")
    for name in ("a.png", "b.pdf", "c.gif", "d.doc"):
        (seeds / name).write_bytes(b"\x89PNG")
    (seeds / ".a.txt.swp").write_bytes(b"swap")  # hidden: not worth a word
    (tmp_path / "elsewhere").mkdir()
    (seeds / "linked").symlink_to(tmp_path / "elsewhere")
    report = await _ingest(store, seeds)
    assert [Path(r.source).name for r in report.added] == ["good.txt"]
    assert [str(e) for e in report.rejected] == [
        f"{seeds}/dangling.txt: dangling symlink (its target {seeds}/gone.txt does not exist)",
        f"{seeds}/loop.txt: symlink loop",
        f"{seeds}/pipe.txt: not a regular file (a FIFO, socket or device)",
    ]
    assert [str(e) for e in report.skipped] == [
        f"{seeds}/linked: a symlink to a folder, not followed (link the files, or name the folder)",
        f"{seeds}/x.txt: a folder, not a file (the files in it are read like any folder's)",
        f"{seeds}: 4 files that are not a seed file (.txt, .md or no extension) or .jsonl:"
        " a.png, b.pdf, c.gif and 1 more",
    ]


async def test_a_fifo_named_on_the_command_line_is_rejected_not_read(
    store: Store, tmp_path: Path
) -> None:
    os.mkfifo(tmp_path / "pipe")
    report = await _ingest(store, tmp_path / "pipe", tmp_path / "missing.txt")
    assert [str(e) for e in report.rejected] == [
        f"{tmp_path}/pipe: not a regular file (a FIFO, socket or device)",
        f"{tmp_path}/missing.txt: no such file or folder",
    ]


async def test_a_seed_still_being_written_waits_until_it_has_settled(
    store: Store, tmp_path: Path
) -> None:
    seed = tmp_path / "seeds" / "new.txt"
    seed.parent.mkdir()
    seed.write_text("date 2024-12-04 Half written\nThe first paragraph arrived,")
    first = await _ingest(store, seed.parent, settle_seconds=10)
    assert (first.added, first.waiting) == ([], [seed])
    assert "1 waiting" in first.summary_line()
    with seed.open("a") as rest:
        rest.write(" and the rest of it too.\nA second paragraph.\n")
    _age(seed, 11)  # the copy finished a while ago
    second = await _ingest(store, seed.parent, settle_seconds=10)
    assert [r.outcome.value for r in second.added] == ["added"] and second.waiting == []
    [article] = await store.latest(1, up_to=dt.date(2024, 12, 4))
    assert article.body.endswith("A second paragraph.")


async def test_a_file_named_on_the_command_line_is_read_at_once(
    store: Store, tmp_path: Path
) -> None:
    seed = tmp_path / "new.txt"
    seed.write_text(GOOD)
    report = await _ingest(store, seed, settle_seconds=10)
    assert len(report.added) == 1 and report.waiting == []


async def test_a_rejected_file_is_logged_once_until_it_changes(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    bad = seeds / "bad.txt"
    bad.write_text("no date line\nbody\n")
    (seeds / "photo.png").write_bytes(b"\x89PNG")
    problems = ProblemLog()

    async def poll() -> list[str]:
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            problems.log(await _ingest(store, seeds))
        return [record.getMessage() for record in caplog.records]

    expected = [
        f"rejected: {bad}:1: expected 'date YYYY-MM-DD Title', found 'no date line'",
        f"skipped: {seeds}: 1 file that is not a seed file (.txt, .md or no extension) or"
        " .jsonl: photo.png",
    ]
    assert await poll() == expected
    assert await poll() == []  # the next polls say nothing new
    (seeds / "other.txt").write_text(GOOD.replace("Good news", "Other news"))
    assert await poll() == []  # nor when another file arrives in the folder
    bad.write_text("still no date line\nbody\n")
    assert await poll() == [
        f"rejected: {bad}:1: expected 'date YYYY-MM-DD Title', found 'still no date line'"
    ]
    bad.write_text(GOOD)
    assert await poll() == []
    bad.write_text("no date line\nbody\n")  # broken again: said again
    assert await poll() == expected[:1]
