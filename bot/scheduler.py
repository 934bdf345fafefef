"""The background jobs, built from the config and the database at start-up.

Jobs (stable ids, coalesce, one instance at a time, a misfire grace):
  ingest          poll the seeds folder every seeds.poll_interval_seconds
  deliver         claim and send what became due (first run at start: the catch-up)
  digest:<id>     one per digest subscription, on its cron line in the config timezone
  feed:<id>       one per feed, every poll interval; first runs spread over the interval
                  (or FEED_SPREAD_SECONDS at most) so feeds do not all fire at once

Whoever starts the scheduler stops it: use `async with NewsScheduler(...)` inside
the running loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import AdminConfig, cron_trigger
from bot.delivery import Delivery
from bot.feeds.service import FeedService
from bot.models import JobState
from bot.store import StoreError
from bot.store.backends import OneProcess
from bot.store.ports import JobLocks

log = logging.getLogger(__name__)

DELIVER_INTERVAL_SECONDS = 10
MISFIRE_GRACE_SECONDS = 300
STOP_GRACE_SECONDS = 10
FEED_SPREAD_SECONDS = 300
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS}

Ingest = Callable[[], Awaitable[object]]


class NewsScheduler:
    def __init__(
        self,
        delivery: Delivery,
        config: AdminConfig,
        ingest: Ingest | None = None,
        deliver_interval_seconds: float = DELIVER_INTERVAL_SECONDS,
        feeds: FeedService | None = None,
        locks: JobLocks | None = None,
    ) -> None:
        self.delivery = delivery
        # Polls and digests run in one process at a time; delivery is shared by channel.
        self.locks: JobLocks = locks or OneProcess()
        self.feeds = feeds
        self.config = config
        self.ingest = ingest
        self.deliver_interval = deliver_interval_seconds
        self.scheduler: Any = None
        self._running: set[asyncio.Future[object]] = set()
        # job id -> (when, what) of its last failure, for /news status
        self.errors: dict[str, tuple[dt.datetime, str]] = {}

    async def start(self) -> None:
        """Start in the running loop; the deliver job runs at once to catch up."""
        self.scheduler = AsyncIOScheduler(timezone=self.config.tz, job_defaults=JOB_DEFAULTS)
        now = dt.datetime.now(dt.UTC)
        if self.ingest is not None:
            self.scheduler.add_job(
                self._ingest,
                IntervalTrigger(seconds=self.config.seeds_poll_interval_seconds),
                id="ingest",
                name="poll the seeds folder",
                replace_existing=True,
            )
        self.scheduler.add_job(
            self._deliver,
            IntervalTrigger(seconds=self.deliver_interval),
            id="deliver",
            name="deliver due items",
            next_run_time=now,
            replace_existing=True,
        )
        self.scheduler.start()
        await self.rebuild_digests(catch_up=True)
        self.delivery.on_change = self.rebuild_digests
        if self.feeds is not None:
            await self.rebuild_feeds()
            self.feeds.on_change = self.rebuild_feeds

    async def rebuild_digests(self, catch_up: bool = False) -> None:
        """One job per digest subscription; removed subscriptions lose theirs."""
        if self.scheduler is None:
            return
        wanted: dict[str, int] = {}
        now = self.delivery.clock.now()
        for sub in await self.delivery.subscriptions():
            if sub.spec.mode != "digest":
                continue
            job_id = f"digest:{sub.id}"
            wanted[job_id] = sub.id
            kwargs: dict[str, Any] = {}
            if catch_up and not sub.paused_reason and self.delivery.missed_digest(sub, now):
                kwargs["next_run_time"] = dt.datetime.now(dt.UTC)  # once, for the missed one
            existing = self.scheduler.get_job(job_id)
            if existing is not None and existing.kwargs.get("schedule") == sub.spec.schedule:
                continue
            self.scheduler.add_job(
                self._digest,
                cron_trigger(sub.spec.schedule, self.config.tz),
                id=job_id,
                name=f"digest for {sub.channel}",
                kwargs={"subscription_id": sub.id, "schedule": sub.spec.schedule},
                replace_existing=True,
                **kwargs,
            )
        for job in self.scheduler.get_jobs():
            if job.id.startswith("digest:") and job.id not in wanted:
                job.remove()

    async def rebuild_feeds(self) -> None:
        """One polling job per feed, a removed feed losing its job. The first polls of the
        feeds that get a job now are spread over their interval (at most
        FEED_SPREAD_SECONDS): all of them at start-up, so they do not fire at once; one
        added by command polls at once."""
        if self.scheduler is None or self.feeds is None:
            return
        wanted = {f"feed:{feed.id}": feed for feed in await self.feeds.feeds()}
        changed = [
            (job_id, feed)
            for job_id, feed in wanted.items()
            if (job := self.scheduler.get_job(job_id)) is None
            or job.kwargs.get("seconds") != feed.spec.poll_interval_seconds
        ]
        now = dt.datetime.now(dt.UTC)
        for index, (job_id, feed) in enumerate(changed):
            seconds = feed.spec.poll_interval_seconds
            spread = min(seconds, FEED_SPREAD_SECONDS) * index / len(changed)
            self.scheduler.add_job(
                self._poll,
                IntervalTrigger(seconds=seconds),
                id=job_id,
                name=f"poll the feed {feed.name}",
                kwargs={"feed_id": feed.id, "seconds": seconds},
                next_run_time=now + dt.timedelta(seconds=spread),
                replace_existing=True,
            )
        for job in self.scheduler.get_jobs():
            if job.id.startswith("feed:") and job.id not in wanted:
                job.remove()

    async def _poll(self, feed_id: int, seconds: int) -> None:
        assert self.feeds is not None
        await self._finish_once(f"feed:{feed_id}", functools.partial(self.feeds.poll, feed_id))

    async def _ingest(self) -> None:
        assert self.ingest is not None
        await self._finish_once("ingest", self.ingest)

    async def _deliver(self) -> None:
        await self._finish("deliver", self.delivery.deliver_due())

    async def _digest(self, subscription_id: int, schedule: str) -> None:
        await self._finish_once(
            f"digest:{subscription_id}",
            functools.partial(self.delivery.run_digest, subscription_id),
        )

    async def _finish_once(self, job_id: str, work: Callable[[], Awaitable[object]]) -> None:
        """Run a job unless another process on the same database is running it now."""

        async def once() -> object:
            async with self.locks.run_once(job_id) as mine:
                if mine:
                    return await work()
                log.debug("job %s is running in another process; skipped here", job_id)
                return None

        await self._finish(job_id, once())

    async def _finish(self, job_id: str, work: Awaitable[object]) -> None:
        """Run a job's work as a task that stop() lets finish instead of cancelling it.

        A failure is kept for /news status and logged; the job runs again at its next
        time (a fault such as a locked database often clears by itself)."""
        task = asyncio.ensure_future(work)
        self._running.add(task)
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            # The scheduler is shutting down and cancels its job; the work itself goes
            # on under stop(), which waits for it.
            if task.done():
                raise
        except StoreError as exc:
            self._failed(job_id, str(exc))
            log.error("job %s failed: %s", job_id, exc)
        except Exception as exc:
            self._failed(job_id, f"{type(exc).__name__}: {exc}")
            log.exception("job %s failed", job_id)
        finally:
            if task.done():
                self._running.discard(task)

    def _failed(self, job_id: str, message: str) -> None:
        self.errors[job_id] = (dt.datetime.now(dt.UTC), message)

    def wake(self, job_id: str = "deliver") -> None:
        """Run a job now (e.g. deliver once a platform connects) instead of at its next tick."""
        if self.scheduler is not None and (job := self.scheduler.get_job(job_id)) is not None:
            job.modify(next_run_time=dt.datetime.now(dt.UTC))

    def next_runs(self) -> list[tuple[str, str, dt.datetime | None]]:
        """(job id, name, next run time) of every job, for /news status."""
        if self.scheduler is None:
            return []
        return [(job.id, job.name, job.next_run_time) for job in self.scheduler.get_jobs()]

    def job_states(self) -> list[JobState]:
        """Every job with its next run and its last failure, for /news status."""
        states = []
        for job_id, name, when in self.next_runs():
            at, error = self.errors.get(job_id, (None, ""))
            states.append(JobState(job_id, name, when, error, at))
        return states

    async def stop(self) -> None:
        """Stop the jobs; work already running (a delivery burst) gets a moment to finish."""
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.delivery.on_change = None
        if self.feeds is not None:
            self.feeds.on_change = None
        self.scheduler = None
        if self._running:
            _, unfinished = await asyncio.wait(self._running, timeout=STOP_GRACE_SECONDS)
            for task in unfinished:  # the ledger re-sends these safely after a restart
                task.cancel()
            self._running.clear()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
