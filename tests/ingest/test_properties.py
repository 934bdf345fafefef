"""Property tests: whatever JSON Lines records and seed files hold (any bytes, any unicode,
lone surrogates, control characters), ingest never fails, never loses a good record and
never stores an unsafe character."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.ingest.derive import prepare_article
from bot.ingest.service import IngestReport, ingest_paths
from bot.store import Store

TODAY = dt.date(2024, 12, 4)
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Any text at all: every code point, including surrogates and controls.
ANY_TEXT = st.text(st.characters(codec=None, categories=None), max_size=60)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=8,
)
# A good record: some words around whatever else, a short enough title, no id.
GOOD_TEXT = st.builds(lambda junk, n: f"Word{n} {junk} end", ANY_TEXT, st.integers(0, 10**6))
GOOD_RECORD = st.fixed_dictionaries({"title": GOOD_TEXT, "body": GOOD_TEXT})
BAD_LINE = (
    st.binary(max_size=80)
    .filter(lambda raw: b"\n" not in raw and b"\r" not in raw)
    .map(lambda raw: raw.decode("latin-1"))
    | JSON_VALUES.map(json.dumps)
    | st.fixed_dictionaries(
        {"title": JSON_VALUES, "body": JSON_VALUES, "date": JSON_VALUES, "id": JSON_VALUES}
    ).map(json.dumps)
)
LINES = st.lists(st.tuples(st.booleans(), GOOD_RECORD, BAD_LINE), min_size=1, max_size=12)


def _ingest(paths: list[Path], folder: Path) -> IngestReport:
    async def run() -> IngestReport:
        async with Store.open(folder / "news.db") as store:
            return await ingest_paths(
                store, paths, prepare_article, max_bytes=1 << 20, default_date=TODAY
            )

    return asyncio.run(run())


def _assert_safe(report: IngestReport, folder: Path) -> None:
    async def stored() -> list[str]:
        async with Store.open(folder / "news.db") as store:
            articles = await store.latest(1000, up_to=dt.date(9999, 12, 31))
        return [text for a in articles for text in (a.title, a.body, *a.summary)]

    for text in asyncio.run(stored()):
        assert not UNSAFE.search(text), text
    for error in report.rejected:
        assert "unexpected" not in error.reason, error


@SETTINGS
@given(LINES)
def test_any_json_lines_lose_no_good_record(lines: list[tuple[bool, dict[str, str], str]]) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        bulk = folder / "bulk.jsonl"
        chosen = [json.dumps(good) if use_good else bad for use_good, good, bad in lines]
        bulk.write_bytes("\n".join(chosen).encode("utf-8", "surrogatepass") + b"\n")
        report = _ingest([bulk], folder)
        kept = {r.source for r in report.added + report.duplicate}
        good_lines = {f"{bulk}#{n}" for n, (use_good, _, _) in enumerate(lines, 1) if use_good}
        assert good_lines <= kept
        _assert_safe(report, folder)


SEED_BYTES = (
    st.binary(max_size=300)
    | ANY_TEXT.map(lambda text: text.encode("utf-8", "surrogatepass"))
    | st.tuples(st.dates(), ANY_TEXT, ANY_TEXT).map(
        lambda parts: f"date {parts[0]} {parts[1]}\n{parts[2]}".encode("utf-8", "surrogatepass")
    )
)


@SETTINGS
@given(st.lists(SEED_BYTES, max_size=6))
def test_any_seed_files_never_stop_a_good_one(contents: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        seeds = folder / "seeds"
        seeds.mkdir()
        for n, data in enumerate(contents):
            (seeds / f"{n}.txt").write_bytes(data)
        (seeds / "good.txt").write_text("date 2024-12-04 Good news\nIt landed.\n")
        report = _ingest([seeds], folder)
        assert any(Path(r.source).name == "good.txt" for r in report.added)
        assert len(report.added + report.duplicate + report.rejected) == len(contents) + 1
        _assert_safe(report, folder)


# A folder entry: (name stem, kind) where kind says what the entry is.
ENTRY_KINDS = st.sampled_from(
    ["seed", "bad seed", "picture", "dangling", "loop", "to file", "to folder", "fifo", "folder"]
)
SUFFIXES = st.sampled_from([".txt", ".md", "", ".jsonl", ".png", ".TXT"])
ENTRIES = st.lists(
    st.tuples(st.from_regex(r"[a-z]{1,6}", fullmatch=True), SUFFIXES, ENTRY_KINDS),
    max_size=10,
    unique_by=lambda entry: entry[0] + entry[1].lower(),
)


def _make(seeds: Path, stem: str, suffix: str, kind: str, n: int) -> None:
    path = seeds / f"{stem}{suffix}"
    if kind == "seed":
        path.write_text(f"date 2024-12-04 Story {n}\nBody of story {n}.\n")
    elif kind == "bad seed":
        path.write_text("no date line\n")
    elif kind == "picture":
        path.write_bytes(b"\x89PNG\r\n\x1a\n")
    elif kind == "dangling":
        path.symlink_to(seeds / f"{stem}-gone")
    elif kind == "loop":
        path.symlink_to(path)
    elif kind == "to file":
        target = seeds.parent / f"{stem}-target.txt"
        target.write_text(f"date 2024-12-04 Linked {n}\nBody of linked story {n}.\n")
        path.symlink_to(target)
    elif kind == "to folder":
        path.symlink_to(seeds.parent)
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()
        (path / "inner.txt").write_text(f"date 2024-12-04 Inner {n}\nBody of inner story {n}.\n")


@settings(SETTINGS, max_examples=25)
@given(ENTRIES)
def test_a_folder_walk_reads_every_good_file_and_names_everything_else(
    entries: list[tuple[str, str, str]],
) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        seeds = folder / "seeds"
        seeds.mkdir()
        for n, (stem, suffix, kind) in enumerate(entries):
            _make(seeds, stem, suffix, kind, n)
        report = _ingest([seeds], folder)
        read = {Path(r.source).name for r in report.added + report.duplicate}
        said = " ".join(str(problem) for problem in report.rejected + report.skipped)
        others = 0  # files that are not inputs: counted in one line for the folder
        for stem, suffix, kind in entries:
            entry = f"{stem}{suffix}"
            is_input = suffix.lower() in {".txt", ".md", "", ".jsonl"}
            if not is_input and kind not in ("folder", "to folder"):
                others += 1
                continue
            # A link is read, and named, as its target.
            named = f"{stem}-target.txt" if kind == "to file" and is_input else entry
            if kind == "folder":
                assert "inner.txt" in read
            elif kind in ("seed", "to file") and is_input and suffix != ".jsonl":
                assert named in read, (entry, kind, report)
            else:
                assert named in said, (entry, kind, said)
        counted = re.search(r"(\d+) files? that (?:is|are) not a seed file", said)
        assert (int(counted[1]) if counted else 0) == others, said
        _assert_safe(report, folder)
