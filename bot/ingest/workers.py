"""The worker processes that derive summaries and topics for big batches.

Each worker ends when the process that started it ends, even when that one is killed
with kill -9 and never gets to shut the pool down: otherwise the workers run on for
minutes, holding the database files open. A worker watches for its parent to change
(the orphan is re-parented) from a thread. That works on every POSIX system, whichever
thread started the worker, and closes the race of a parent dying before the watch starts.
Linux's PR_SET_PDEATHSIG would act a little sooner, but it fires when the *thread* that
forked the worker ends, and the pool may start workers from a thread that ends first.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

# How soon an orphaned worker notices; the check is one system call.
PARENT_CHECK_SECONDS = 0.2


def worker_pool() -> ProcessPoolExecutor:
    """One worker per core, each ending with this process."""
    return ProcessPoolExecutor(
        max_workers=os.cpu_count() or 1, initializer=_exit_with_parent, initargs=(os.getpid(),)
    )


def _exit_with_parent(parent: int) -> None:
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="exit with parent", daemon=True).start()
