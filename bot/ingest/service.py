"""Ingest seed files and JSON Lines into the store, idempotently.

Inputs are read in batches: parse, ask the store which are unchanged, derive
summaries and topics only for new or edited articles that are not copies of stored
or earlier content (on every core when the batch is big), then write the batch in
one transaction. A bad file is reported
and skipped; it never stops the others.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import itertools
import logging
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

from bot.ingest.clean import safe_name
from bot.ingest.discover import discover
from bot.ingest.seed import (
    IngestError,
    RejectedInput,
    parse_jsonl_file,
    parse_seed_file,
    source_name,
    unexpected_error,
)
from bot.ingest.workers import worker_pool
from bot.models import Article, IngestResult, Outcome, PreparedArticle
from bot.store.ports import Articles

log = logging.getLogger(__name__)

BATCH_SIZE = 256
# Below this many articles to derive, a process pool costs more than it saves.
PARALLEL_THRESHOLD = 64
# Batches queued on the worker processes ahead of the writer.
PREPARE_AHEAD = 2

Prepare = Callable[[Article], PreparedArticle]
Progress = Callable[[int, int], None]


@dataclass
class IngestReport:
    """What an ingest run did, for the CLI, `/news status` and the logs."""

    added: list[IngestResult] = field(default_factory=list)
    updated: list[IngestResult] = field(default_factory=list)
    unchanged: list[IngestResult] = field(default_factory=list)
    duplicate: list[IngestResult] = field(default_factory=list)
    rejected: list[IngestError] = field(default_factory=list)
    # Folder entries that are not inputs (see bot.ingest.discover), and files left for a
    # later poll because they changed within the settle interval.
    skipped: list[IngestError] = field(default_factory=list)
    waiting: list[Path] = field(default_factory=list)
    # Stored articles whose summaries and topics were recomputed for a newer text pipeline.
    refreshed: int = 0

    def record(self, result: IngestResult) -> None:
        getattr(self, result.outcome.value).append(result)

    @property
    def readable(self) -> int:
        return len(self.added) + len(self.updated) + len(self.unchanged) + len(self.duplicate)

    def summary_line(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.duplicate)} duplicate, "
            f"{len(self.rejected)} rejected"
        ) + "".join(
            f", {count} {what}"
            for count, what in ((len(self.waiting), "waiting"), (self.refreshed, "refreshed"))
            if count
        )


class ProblemLog:
    """Logs each rejected or skipped input once, until its file changes.

    The running bot polls the seeds folder (and feeds) every few minutes and its log is the
    console chat: a bad file or entry would otherwise be reported again on every poll.
    Each `scope` (the seeds folder, a feed) is remembered on its own.
    """

    def __init__(self) -> None:
        self._shown: dict[str, set[tuple[str, tuple[int, int] | None]]] = {}

    def log(self, report: IngestReport, scope: str = "") -> None:
        shown = self._shown.get(scope, set())
        current: set[tuple[str, tuple[int, int] | None]] = set()
        # A rejected file is said again once edited; a note on a folder's entries only once
        # it says something else (not whenever a file is added to the folder).
        problems = [(f"rejected: {p}", _version(p.source)) for p in report.rejected]
        for key in problems + [(f"skipped: {p}", None) for p in report.skipped]:
            if key not in shown and key not in current:
                log.warning("%s", key[0])
            current.add(key)
        self._shown[scope] = current  # a file fixed and broken again is reported again


def _version(source: str) -> tuple[int, int] | None:
    """Size and modification time of the file a source name names, if it is one."""
    try:
        status = os.stat(source)
    except (OSError, ValueError):
        return None
    return status.st_size, status.st_mtime_ns


def count_inputs(files: Sequence[Path]) -> int:
    """Number of articles the files hold, roughly (one per seed file, one per JSON line)."""
    total = 0
    for path in files:
        if path.suffix.lower() == ".jsonl":
            try:
                with path.open("rb") as handle:
                    total += sum(1 for line in handle if line.strip())
            except OSError:
                total += 1
        else:
            total += 1
    return total


def _parse_all(
    files: Sequence[Path], max_bytes: int, default_date: dt.date, typed: dict[str, str]
) -> Iterator[Article | IngestError]:
    """Every article or rejection of `files`; `typed` gets the name each article had before
    names were resolved (the path as typed), where that differs."""
    for path in files:
        resolved, as_typed = source_name(path), safe_name(str(path))
        try:
            if path.suffix.lower() == ".jsonl":
                for item in parse_jsonl_file(path, default_date, max_bytes):
                    if isinstance(item, RejectedInput):
                        yield item.error
                        continue
                    if resolved != as_typed:
                        typed[item.source] = as_typed + item.source.removeprefix(resolved)
                    yield item
            else:
                article = parse_seed_file(path, max_bytes)
                if resolved != as_typed:
                    typed[article.source] = as_typed
                yield article
        except IngestError as error:
            yield error
        except Exception as exc:  # a bug must not cost the other files
            yield unexpected_error(source_name(path), exc)


def _batches(items: Iterator[Article | IngestError]) -> Iterator[list[Article | IngestError]]:
    batch: list[Article | IngestError] = []
    for item in items:
        batch.append(item)
        if len(batch) >= BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def _prepare_chunk(prepare: Prepare, articles: list[Article]) -> list[PreparedArticle]:
    return [prepare(article) for article in articles]


async def _prepare(
    prepare: Prepare,
    articles: list[Article],
    executor: Executor | None,
    copies: Sequence[Article] = (),
) -> list[PreparedArticle]:
    """Derive summaries and topics off the event loop, on every core for big batches.

    ``copies`` repeat content stored or derived before them: nothing is derived for them,
    and they come last, after the articles whose content they repeat."""
    if executor is None or len(articles) < PARALLEL_THRESHOLD:
        prepared = await asyncio.to_thread(_prepare_chunk, prepare, articles)
    else:
        loop = asyncio.get_running_loop()
        step = max(1, len(articles) // ((os.cpu_count() or 1) * 2))
        chunks = [articles[start : start + step] for start in range(0, len(articles), step)]
        done = await asyncio.gather(
            *(loop.run_in_executor(executor, _prepare_chunk, prepare, chunk) for chunk in chunks)
        )
        prepared = [item for chunk in done for item in chunk]
    return prepared + [PreparedArticle(article) for article in copies]


DERIVED_WITH_KEY = "derived_with"


async def refresh_derived(store: Articles, prepare: Prepare, signature: str) -> int:
    """Recompute the stored summaries and topics if they were derived differently (an older
    text pipeline, another summary length); return how many articles were refreshed.

    Page by page, each page in its own transaction, and the signature is only recorded at
    the end: an interrupted refresh starts again next time and loses nothing.
    """
    if await store.get_meta(DERIVED_WITH_KEY) == signature:
        return 0
    refreshed = after_id = 0
    executor: Executor | None = None
    try:
        while articles := await store.articles_after(after_id, BATCH_SIZE):
            if executor is None and len(articles) >= PARALLEL_THRESHOLD:
                executor = worker_pool()
            await store.update_derived(await _prepare(prepare, articles, executor))
            refreshed += len(articles)
            after_id = articles[-1].id
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)
    await store.set_meta(DERIVED_WITH_KEY, signature)
    if refreshed:
        log.info("refreshed the summaries and topics of %d articles (%s)", refreshed, signature)
    return refreshed


async def ingest_paths(
    store: Articles,
    paths: Sequence[Path],
    prepare: Prepare,
    *,
    max_bytes: int,
    default_date: dt.date,
    progress: Progress | None = None,
    settle_seconds: float = 0,
) -> IngestReport:
    """Ingest every article under `paths`; see the module docstring. Files in a folder that
    changed less than `settle_seconds` ago wait for a later call (bot.ingest.discover).

    A pipeline: while batch N is written, the next batches are being prepared on the
    worker processes (up to PREPARE_AHEAD of them, so the workers never wait for the
    writer), and the one after is parsed here.
    """
    found = discover(paths, settle_seconds)
    files = found.files
    total = count_inputs(files) if progress else 0
    typed: dict[str, str] = {}
    inputs = itertools.chain(found.rejected, _parse_all(files, max_bytes, default_date, typed))
    report = await ingest_articles(
        store, inputs, prepare, progress=progress, total=total, typed_names=typed
    )
    report.skipped.extend(found.skipped)
    report.waiting.extend(found.waiting)
    return report


async def ingest_articles(
    store: Articles,
    items: Iterable[Article | IngestError],
    prepare: Prepare,
    *,
    progress: Progress | None = None,
    total: int = 0,
    typed_names: Mapping[str, str] | None = None,
) -> IngestReport:
    """Ingest parsed articles (and record the inputs that could not be parsed): the one
    path every source takes, seed files and feeds alike. The caller reports the rejected
    ones (ProblemLog). `typed_names` maps a source to the older name it may be stored under
    (see _known_articles); it may fill up as `items` are read."""
    report = IngestReport()
    done = 0
    executor: Executor | None = None
    preparing: deque[tuple[int, asyncio.Task[list[PreparedArticle]]]] = deque()
    saving: asyncio.Task[list[IngestResult]] | None = None
    saving_size = 0
    # Articles whose content is already stored or being derived in this run are copies: the
    # store reports them as duplicates, so nothing is derived for them.  (Should the original
    # change before a copy is written, the copy is stored and derived then.)
    seen_hashes: set[str] = set()
    copies: dict[str, Article] = {}

    async def derive_stored_copies(results: list[IngestResult]) -> None:
        stored = [
            dataclasses.replace(copy, id=result.article_id)
            for result in results
            if (copy := copies.pop(result.source, None)) is not None
            and result.outcome in (Outcome.ADDED, Outcome.UPDATED)
        ]
        if stored:
            await store.update_derived(await _prepare(prepare, stored, None))

    async def save_next() -> None:
        """Wait for the write under way, then start writing the oldest prepared batch."""
        nonlocal saving, saving_size, done
        if saving is not None:
            results = await saving
            await derive_stored_copies(results)
            for result in results:
                report.record(result)
            done += saving_size
            if progress:
                progress(done, max(total, done))
            saving = None
        if preparing:
            saving_size, task = preparing.popleft()
            saving = asyncio.create_task(store.save_articles(await task))

    try:
        for batch in _batches(iter(items)):
            articles = [item for item in batch if isinstance(item, Article)]
            report.rejected.extend(item for item in batch if isinstance(item, IngestError))
            known = await _known_articles(store, articles, typed_names or {})
            owners = await store.sources_by_hash([article.content_hash for article in articles])
            changed: list[Article] = []
            batch_copies: list[Article] = []
            for article in articles:
                stored = known.get(article.source)
                owner = owners.get(article.content_hash, article.source)
                if stored is not None and stored[1] == article.content_hash:
                    report.record(IngestResult(article.source, Outcome.UNCHANGED, stored[0]))
                elif owner != article.source or article.content_hash in seen_hashes:
                    batch_copies.append(article)
                    copies[article.source] = article
                else:
                    changed.append(article)
                    seen_hashes.add(article.content_hash)
            if len(changed) >= PARALLEL_THRESHOLD and executor is None:
                executor = worker_pool()
            task = asyncio.create_task(_prepare(prepare, changed, executor, batch_copies))
            preparing.append((len(batch), task))
            if len(preparing) > PREPARE_AHEAD:
                await save_next()
        while preparing or saving is not None:
            await save_next()
    finally:
        for _, task in preparing:
            task.cancel()
        if saving is not None:
            saving.cancel()
        if executor is not None:
            executor.shutdown(cancel_futures=True)
    return report


async def _known_articles(
    store: Articles, articles: Sequence[Article], typed: Mapping[str, str]
) -> dict[str, tuple[int, str]]:
    """source -> (id, content hash) of the stored ones. One stored under its path as typed
    (before names were resolved) is renamed to its resolved name first, keeping its id."""
    known = await store.known_articles([article.source for article in articles])
    legacy = {
        typed[article.source]: article.source
        for article in articles
        if article.source not in known and article.source in typed
    }
    if legacy and (found := await store.known_articles(list(legacy))):
        await store.rename_sources({old: legacy[old] for old in found})
        known.update({legacy[old]: stored for old, stored in found.items()})
    return known
