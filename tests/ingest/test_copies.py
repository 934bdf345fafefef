"""Copies of content that is already stored, or already being ingested, are reported as
duplicates without summarising them again; a copy whose original changed in the same
run is stored with its own summary and topics."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from bot.ingest.derive import prepare_article
from bot.ingest.service import ingest_paths
from bot.models import Article, PreparedArticle
from bot.store import Store
from tests.conftest import RUTTE_SEED

OTHER = "date 2024-12-05 Ferries return\nFerries return to the harbour after the storm.\n"


class CountingPrepare:
    def __init__(self) -> None:
        self.sources: list[str] = []

    def __call__(self, article: Article) -> PreparedArticle:
        self.sources.append(Path(article.source).name)
        return prepare_article(article)


async def _ingest(store: Store, folder: Path, prepare: CountingPrepare) -> dict[str, list[str]]:
    report = await ingest_paths(
        store, [folder], prepare, max_bytes=1 << 20, default_date=dt.date(2024, 12, 4)
    )
    return {
        outcome: sorted(Path(r.source).name for r in getattr(report, outcome))
        for outcome in ("added", "updated", "unchanged", "duplicate")
    }


async def _summary_and_topics(store: Store, name: str) -> tuple[tuple[str, ...], list[str]]:
    for article in await store.latest(10, up_to=dt.date(2100, 1, 1)):
        if Path(article.source).name == name:
            return article.summary, await store.article_topics(article.id)
    raise AssertionError(f"{name} is not stored")


async def test_a_copy_in_the_same_run_is_not_summarised_twice(store: Store, tmp_path: Path) -> None:
    for name in ("a.txt", "b.txt"):
        shutil.copy(RUTTE_SEED, tmp_path / name)
    prepare = CountingPrepare()
    outcomes = await _ingest(store, tmp_path, prepare)
    assert outcomes["added"] == ["a.txt"] and outcomes["duplicate"] == ["b.txt"]
    assert prepare.sources == ["a.txt"]


async def test_a_copy_of_stored_content_is_not_summarised(store: Store, tmp_path: Path) -> None:
    shutil.copy(RUTTE_SEED, tmp_path / "a.txt")
    await _ingest(store, tmp_path, CountingPrepare())
    shutil.copy(RUTTE_SEED, tmp_path / "b.txt")
    prepare = CountingPrepare()
    outcomes = await _ingest(store, tmp_path, prepare)
    assert outcomes["duplicate"] == ["b.txt"] and outcomes["unchanged"] == ["a.txt"]
    assert prepare.sources == []


async def test_a_copy_whose_original_changed_meanwhile_gets_its_own_summary(
    store: Store, tmp_path: Path
) -> None:
    shutil.copy(RUTTE_SEED, tmp_path / "a.txt")
    await _ingest(store, tmp_path, CountingPrepare())
    # In one run, a.txt gets new content and b.txt takes over a.txt's old content.
    (tmp_path / "a.txt").write_text(OTHER, encoding="utf-8")
    shutil.copy(RUTTE_SEED, tmp_path / "b.txt")
    outcomes = await _ingest(store, tmp_path, CountingPrepare())
    assert outcomes["updated"] == ["a.txt"] and outcomes["added"] == ["b.txt"]
    summary, topics = await _summary_and_topics(store, "b.txt")
    assert summary and "Mark Rutte" in topics
