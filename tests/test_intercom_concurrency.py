"""One resolver shared by several event loops and threads: nothing loop-bound is cached."""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection

import httpx

from dsr_resolvers import SubjectRef
from dsr_resolvers.intercom import IntercomResolver
from tests.paged_world import PagedWorld


class LockedWorld(PagedWorld):
    """The paged world behind a lock, since many threads hit it at once."""

    def __init__(self) -> None:
        super().__init__(page_size=2)
        self.lock = threading.Lock()

    def handle(self, request):  # type: ignore[no-untyped-def]
        with self.lock:
            return super().handle(request)


def test_export_from_two_event_loops_and_many_threads_concurrently() -> None:
    world = LockedWorld()
    for i in range(40):
        world.add(f"c{i}", email=f"p{i}@example.com", conversations=i % 5)
    resolver = IntercomResolver("token", transport=world.transport(), sections=["conversations"])

    async def export_all(ids: list[str]) -> dict[str, int]:
        exports = await asyncio.gather(
            *(resolver.export_subject(SubjectRef(kind="intercom", value=i)) for i in ids)
        )
        return {i: len(e.records) for i, e in zip(ids, exports, strict=True)}

    def in_new_loop(ids: list[str]) -> dict[str, int]:
        return asyncio.run(export_all(ids))

    batches = [[f"c{i}" for i in range(start, 40, 4)] for start in range(4)]
    results: dict[str, int] = {}
    with ThreadPoolExecutor(max_workers=4) as pool:
        for counts in pool.map(in_new_loop, batches):
            results.update(counts)
    assert results == {f"c{i}": 1 + 3 * (i % 5) for i in range(40)}


def test_erase_from_threads_and_loops_reaches_each_contact_exactly_once() -> None:
    world = LockedWorld()
    ids = [f"c{i}" for i in range(30)]
    for contact_id in ids:
        world.add(contact_id)
    resolver = IntercomResolver("token", transport=world.transport(), sections=["conversations"])

    def erase(contact_id: str) -> bool:
        erasure = asyncio.run(resolver.erase_subject(SubjectRef(kind="intercom", value=contact_id)))
        return erasure.already_absent

    with ThreadPoolExecutor(max_workers=6) as pool:
        absent = list(pool.map(erase, ids + ids))
    assert sorted(world.deleted) == sorted(ids)
    assert absent.count(True) == len(ids)
    assert world.contacts == {}


class _Gate:
    """A hook that holds every request until ``size`` of them wait at once, and counts."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.inside = 0
        self.peak = 0
        self.threads: set[str] = set()
        self.lock = threading.Lock()
        self.full = threading.Event()

    def before_request(self, request: httpx.Request) -> None:
        with self.lock:
            self.inside += 1
            self.peak = max(self.peak, self.inside)
            self.threads.add(threading.current_thread().name)
            if self.inside >= self.size:
                self.full.set()
        self.full.wait(timeout=60)
        with self.lock:
            self.inside -= 1

    def after_response(self, response: httpx.Response) -> None:
        pass


def test_calls_of_one_resolver_share_a_bounded_pool_of_threads() -> None:
    world = LockedWorld()
    ids = [f"c{i}" for i in range(80)]
    for contact_id in ids:
        world.add(contact_id)
    gate = _Gate(64)
    resolver = IntercomResolver("token", transport=world.transport(), sections=[], hooks=gate)

    async def export_all() -> None:
        await asyncio.gather(
            *(resolver.export_subject(SubjectRef(kind="intercom", value=i)) for i in ids)
        )
        await asyncio.gather(
            *(resolver.export_subject(SubjectRef(kind="intercom", value=i)) for i in ids)
        )

    asyncio.run(export_all())
    assert gate.full.is_set()
    assert gate.peak == 64  # the 65th call waited for a thread; it did not get one of its own
    assert len(gate.threads) == 64  # the second round ran on the same threads
    assert all(name.startswith("intercom-call") for name in gate.threads)


def _export_in_child(resolver: IntercomResolver, out: Connection) -> None:
    export = asyncio.run(resolver.export_subject(SubjectRef(kind="intercom", value="c1")))
    out.send(export.presence)


def test_a_forked_child_gets_threads_of_its_own() -> None:
    world = LockedWorld()
    world.add("c1")
    resolver = IntercomResolver("token", transport=world.transport(), sections=[])
    asyncio.run(resolver.export_subject(SubjectRef(kind="intercom", value="c1")))  # the pool runs
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads, on 3.12+
        child = context.Process(target=_export_in_child, args=(resolver, sending))
        child.start()
    assert receiving.poll(120), "the child's call never ran (its copy of the pool has no threads)"
    assert receiving.recv() == "held"
    child.join(120)
    assert child.exitcode == 0
