"""`newsbot check` on the database: without creating it, without changing it.

The database is opened read-only for the facts and SQLite's quick check. The FTS5
integrity check is an INSERT, which a read-only connection refuses, so it runs in a
transaction that is rolled back, on a read-write connection that cannot create the
file (`mode=rw`); that same transaction tells whether the file can be written. When
it cannot, the index is checked as far as reading allows: it exists and answers.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from bot.store.sqlite import BUSY_TIMEOUT_MS, fault_message, latest_schema_version

FTS_TABLE = "articles_fts"


@dataclass
class Health:
    facts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _open(path: Path, mode: str) -> sqlite3.Connection:
    uri = f"{path.resolve().as_uri()}?mode={mode}"
    return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)


def check_database(path: Path) -> Health:
    """Facts about the database at `path` and every problem found, each one line."""
    health = Health()
    if not path.exists():
        folder = next((p for p in path.parents if p.exists()), Path("."))
        health.facts.append(f"database: {path} does not exist yet (run or ingest creates it)")
        if not folder.is_dir() or not _writable(folder):
            health.problems.append(
                f"database: {folder} cannot be written, so {path} cannot be made"
            )
        return health
    try:
        with closing(_open(path, "ro")) as db:
            _read_facts(db, path, health)
        with closing(_open(path, "rw")) as db:
            _check_writable_index(db, path, health)
    except sqlite3.Error as exc:
        health.problems.append(fault_message(path, exc))
    return health


def _writable(folder: Path) -> bool:
    probe = folder / ".newsbot-check"
    try:
        probe.touch()
        probe.unlink()
    except OSError:
        return False
    return True


def _read_facts(db: sqlite3.Connection, path: Path, health: Health) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    articles, newest, last = db.execute(
        "SELECT count(*), max(date), max(ingested_at) FROM articles"
    ).fetchone()
    health.facts.append(f"database: {path} (schema version {version})")
    if version > (latest := latest_schema_version()):
        health.problems.append(
            f"database: {path} has schema version {version}, newer than this newsbot "
            f"understands ({latest}); upgrade newsbot"
        )
    health.facts.append(f"articles: {articles}, newest: {newest or 'none'}")
    if last:
        health.facts.append(f"last ingest: {last}")
    found = [row[0] for row in db.execute("PRAGMA quick_check")]
    if found != ["ok"]:
        health.problems.append(f"database: {path} fails SQLite's quick check: {found[0]}")


def _check_writable_index(db: sqlite3.Connection, path: Path, health: Health) -> None:
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        health.problems.append(fault_message(path, exc))
        _check_index_by_reading(db, health)
        return
    try:
        db.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rank) VALUES ('integrity-check', 1)")
        health.facts.append("full-text index: consistent with the articles")
    except sqlite3.OperationalError as exc:
        if "readonly" in str(exc):
            health.problems.append(fault_message(path, exc))
            _check_index_by_reading(db, health)
        else:
            health.problems.append(f"full-text index: {exc} (its articles cannot be searched)")
    except sqlite3.DatabaseError as exc:  # SQLITE_CORRUPT_VTAB: index and articles differ
        health.problems.append(f"full-text index: {exc}")
    finally:
        db.execute("ROLLBACK")


def _check_index_by_reading(db: sqlite3.Connection, health: Health) -> None:
    try:
        db.execute(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH 'a' LIMIT 1").fetchall()
    except sqlite3.Error as exc:
        health.problems.append(f"full-text index: {exc} (its articles cannot be searched)")
    else:
        health.facts.append("full-text index: present (a full check needs write access)")
