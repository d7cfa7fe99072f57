"""Enough worker threads for the requests a bulk run keeps in flight.

``IntercomResolver`` runs each blocking HTTP call in ``asyncio.to_thread``, which uses the
event loop's *default executor*: ``min(32, cpus + 4)`` threads unless someone installed a
bigger one. At Intercom's 100-300 ms latency, using a 10,000-a-minute limit needs 20-50 calls
in flight, so on a 2-CPU machine the default (6 threads) would silently cap a run at a tenth
of its rate. A bulk run therefore makes sure the loop's default executor has at least as many
threads as the run has workers, for as long as the run lasts.

| the loop's default executor     | what happens                                                 |
|---------------------------------|--------------------------------------------------------------|
| a ThreadPoolExecutor big enough | used as it is                                                |
| a smaller one                   | replaced for the run, restored afterwards (the run's pool is |
|                                 | shut down without waiting; calls still running finish)       |
| none yet (created lazily)       | the run's pool is installed and stays: the loop's own        |
|                                 | shutdown (``asyncio.run`` does it) closes it                 |

Telling the size of the current executor needs ``loop._default_executor``, an implementation
detail of CPython's event loop; on a loop without it the run's pool is always installed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager

__all__ = ["default_executor_with"]


@contextmanager
def default_executor_with(workers: int) -> Iterator[Executor]:
    """Make the running loop's default executor have at least ``workers`` threads.

    Args:
        workers: The number of blocking calls that must be able to run at once.

    Yields:
        The executor now in place, for the run's own blocking work (file writes).
    """
    loop = asyncio.get_running_loop()
    current = getattr(loop, "_default_executor", None)
    if isinstance(current, ThreadPoolExecutor) and _size(current) >= workers:
        yield current
        return
    ours = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dsr-bulk")
    loop.set_default_executor(ours)
    try:
        yield ours
    finally:
        if isinstance(current, ThreadPoolExecutor):
            loop.set_default_executor(current)
            ours.shutdown(wait=False)


def _size(executor: ThreadPoolExecutor) -> int:
    size = getattr(executor, "_max_workers", 0)
    return size if isinstance(size, int) else 0
