"""One resolver shared by several event loops and threads: nothing loop-bound is cached."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

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
