"""Requests in flight within one call: a small thread pool over the call's one client.

A contact in 1,000 conversations costs 1,000 conversation reads (and under ``redact_messages``
as many redactions again). At 100 ms a request, one at a time is minutes; the rate ceiling
allows seconds. :func:`for_each_in_order` hands each item to ``work`` on up to
``call.max_in_flight`` threads, and hands the results to ``collect`` in the items' own order,
so the output is byte for byte what one at a time gives.

| situation                         | what happens                                             |
|-----------------------------------|----------------------------------------------------------|
| ``max_in_flight == 1``            | no thread: ``work`` runs inline, item after item          |
| a ``work`` raises                 | the call is halted (no new request starts), running work |
|                                   | settles, then the first error raised is raised           |
| ``collect`` or the items raise    | the same: halt, settle, raise                            |
| the call is cancelled             | requests refuse to start (``CallStopped``); running work |
|                                   | settles before this returns                              |
| all items done                    | returns once every result was collected                  |

The pool is owned by this function call and shut down before it returns, so no thread of a
call outlives it. Items are read ahead at most ``4 * max_in_flight`` deep, so memory stays
bounded whatever the number of conversations; the items iterator (a paged search) is pulled
in the calling thread only. The request count in flight is bounded by ``IntercomCall`` itself.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from dsr_resolvers.intercom._http import CallStopped, IntercomCall

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")

_READ_AHEAD = 4
"""Items submitted ahead per worker: enough that a slow head does not idle the others."""


def for_each_in_order(
    call: IntercomCall,
    items: Iterable[_Item],
    work: Callable[[_Item], _Result],
    collect: Callable[[_Result], None],
) -> None:
    """Run ``work`` on every item, up to ``call.max_in_flight`` at once; ``collect`` in order.

    ``collect`` runs in the calling thread only, so it needs no lock.

    Raises:
        Exception: The first exception ``work``, ``collect`` or ``items`` raised, once every
            running ``work`` has returned; ``CallStopped`` when the call was cancelled.
    """
    if call.max_in_flight == 1:
        for item in items:
            collect(work(item))
        return
    failures: list[BaseException] = []
    lock = threading.Lock()

    def guarded(item: _Item) -> _Result:
        try:
            return work(item)
        except BaseException as error:
            with lock:
                if not isinstance(error, CallStopped):
                    failures.append(error)
            call.halt()
            raise

    window: deque[Future[_Result]] = deque()
    depth = _READ_AHEAD * call.max_in_flight
    pool = ThreadPoolExecutor(call.max_in_flight, thread_name_prefix=f"intercom-{call.action}")
    try:
        source = iter(items)
        exhausted = False
        while True:
            while not exhausted and len(window) < depth and not call.stopped:
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                window.append(pool.submit(guarded, item))
            if not window:
                if call.stopped:  # cancelled before anything was submitted
                    raise CallStopped(f"the {call.action} call was stopped")
                return
            collect(window.popleft().result())
    except BaseException as error:
        call.halt()
        pool.shutdown(wait=True, cancel_futures=True)
        with lock:
            first = failures[0] if failures else error
        if first is error:
            raise
        raise first from None
    finally:
        pool.shutdown(wait=True)
