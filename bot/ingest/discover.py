"""Which files an ingest reads, and a word about each entry it cannot or will not read.

Folders are walked for seed files (`.txt`, `.md` or no extension) and `.jsonl` files.
Hidden entries (editor swap files, `.git`) are passed over in silence; anything else
that is not read is said once: a file that cannot be read (a dangling symlink, a
symlink loop, a FIFO) is rejected, and the files of a folder that are not inputs are
named in one line per folder, so a folder of pictures does not flood the report.
A file named on the command line is read whatever its extension.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.ingest.clean import safe_name
from bot.ingest.seed import IngestError, source_name

# The running bot reads a seeds folder file once it has not changed for this long: a copy
# in progress changes it all the time, and no file is read half-written.
SETTLE_SECONDS = 10
SEED_SUFFIXES = frozenset({".txt", ".md", ""})
INPUT_SUFFIXES = SEED_SUFFIXES | {".jsonl"}
NAMES_SHOWN = 3
MISSING = "no such file or folder"


@dataclass
class Found:
    files: list[Path] = field(default_factory=list)
    # Inputs that cannot be read at all.
    rejected: list[IngestError] = field(default_factory=list)
    # Entries that are not inputs, worth a word (one per folder for other files).
    skipped: list[IngestError] = field(default_factory=list)
    # Files in a folder that changed within the settle interval: maybe still being written.
    waiting: list[Path] = field(default_factory=list)


def discover(paths: Iterable[Path], settle_seconds: float = 0) -> Found:
    """The files to read under `paths`, in order, each once.

    A file in a folder that changed less than `settle_seconds` ago is left waiting (the
    running bot polls with a settle interval, so a file still being copied is read only
    once complete); a file named itself is read at once.
    """
    found = Found()
    for path in paths:
        if path.is_dir():
            _walk(path, found, settle_seconds)
        elif isinstance(status := _status(path), str):
            found.rejected.append(IngestError(safe_name(str(path)), status))
        else:
            found.files.append(path)
    # The same file named twice (a folder and a file in it, two links to it) is read once.
    unique: dict[str, Path] = {}
    for path in found.files:
        unique.setdefault(source_name(path), path)
    found.files = list(unique.values())
    return found


def _walk(folder: Path, found: Found, settle_seconds: float) -> None:
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as exc:
        found.rejected.append(IngestError(safe_name(str(folder)), f"cannot list: {exc.strerror}"))
        return
    others: list[str] = []
    for entry in entries:
        path = Path(entry.path)
        suffix = path.suffix.lower()
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            if suffix in INPUT_SUFFIXES - {""}:
                note = "a folder, not a file (the files in it are read like any folder's)"
                found.skipped.append(IngestError(safe_name(entry.path), note))
            _walk(path, found, settle_seconds)
        elif entry.is_symlink() and path.is_dir():
            note = "a symlink to a folder, not followed (link the files, or name the folder)"
            found.skipped.append(IngestError(safe_name(entry.path), note))
        elif suffix not in INPUT_SUFFIXES:
            others.append(safe_name(entry.name))
        elif (status := _status(path)) == MISSING:
            continue  # removed since the folder was listed (a temporary file)
        elif isinstance(status, str):
            found.rejected.append(IngestError(safe_name(entry.path), status))
        elif abs(time.time() - status.st_mtime) < settle_seconds:
            found.waiting.append(path)
        else:
            found.files.append(path)
    if others:
        found.skipped.append(IngestError(safe_name(str(folder)), _not_inputs(others)))


def _status(path: Path) -> os.stat_result | str:
    """The status of the regular file `path`, or why it is not one to read."""
    try:
        status = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            return f"dangling symlink (its target {safe_name(os.readlink(path))} does not exist)"
        return MISSING
    except OSError as exc:
        return "symlink loop" if exc.errno == errno.ELOOP else f"cannot read: {exc.strerror}"
    if stat.S_ISREG(status.st_mode):
        return status
    return "not a regular file (a FIFO, socket or device)"


def _not_inputs(names: list[str]) -> str:
    shown = ", ".join(names[:NAMES_SHOWN])
    more = f" and {len(names) - NAMES_SHOWN:,} more" if len(names) > NAMES_SHOWN else ""
    count = "1 file that is not" if len(names) == 1 else f"{len(names):,} files that are not"
    return f"{count} a seed file (.txt, .md or no extension) or .jsonl: {shown}{more}"
