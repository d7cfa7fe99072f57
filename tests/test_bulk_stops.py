"""Runs that must stop do: a refused token, a journal that cannot be written, a rate-limit
header that would hang the run. Each stops with nothing more sent and everything resumable."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from dsr_resolvers.bulk import (
    FailureInfo,
    Journal,
    JournalError,
    RateLimiter,
    RetryPolicy,
    SubjectState,
    journal_key,
    parse_subjects,
    run_bulk,
)
from dsr_resolvers.intercom import IntercomResolver
from dsr_resolvers.testing import FakeIntercom

TOKEN = "test-token"
DELETE = "DELETE /contacts/{id}"
KEY = journal_key(secret=TOKEN)


class Revoking(httpx.BaseTransport):
    """Forwards to the fake; after ``deletes`` DELETEs the token is revoked (401 from then on)."""

    def __init__(self, inner: FakeIntercom, deletes: int) -> None:
        self.inner = inner
        self.left = deletes
        self.lock = threading.Lock()
        self.refused = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            revoked = self.left <= 0
            if request.method == "DELETE" and not revoked:
                self.left -= 1
            if revoked:
                self.refused += 1
                request.headers["Authorization"] = "Bearer revoked"
        return self.inner.handle_request(request)


def seeded(count: int, **kwargs: Any) -> tuple[FakeIntercom, list[str]]:
    fake = FakeIntercom(TOKEN, **kwargs)
    return fake, [fake.add_contact(email=f"person{i}@example.com") for i in range(count)]


async def until(condition: Callable[[], bool]) -> None:
    """Yield to the run until ``condition`` holds (at most about 20 s)."""
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the run never reached the expected state")


def deletes(fake: FakeIntercom) -> Counter[str]:
    return Counter(r.segments[1] for r in fake.requests if r.route == DELETE and r.status == 200)


@pytest.mark.parametrize("revoke_after", [0, 25])
async def test_a_refused_token_stops_the_run_and_a_corrected_one_resumes(
    tmp_path: Path, revoke_after: int
) -> None:
    fake, ids = seeded(120, latency=0.005)
    lines = [*ids[:100], *(f"person{i}@example.com" for i in range(100, 120))]
    concurrency = 8
    revoking = Revoking(fake, revoke_after)
    with Journal(tmp_path / "run.journal", key=KEY) as journal:
        limiter = RateLimiter()
        stopped = await run_bulk(
            IntercomResolver(TOKEN, transport=revoking, hooks=limiter),
            "erase",
            parse_subjects(lines),
            journal,
            limiter=limiter,
            concurrency=concurrency,
        )
        # One refusal stops the run: at most one refused request per subject in flight.
        assert stopped.stopped == "refused"
        assert stopped.stop_cause == FailureInfo(type="CredentialsRefusedError", status=401)
        assert 1 <= revoking.refused <= concurrency
        assert stopped.failed == 0
        assert not stopped.ok
        assert stopped.done <= revoke_after
        counts = journal.counts()
        assert SubjectState.FAILED not in counts
        assert SubjectState.RUNNING not in counts
        assert counts[SubjectState.PENDING] == stopped.pending == 120 - stopped.done

        # The operator fixes the token and reruns with the same journal: it resumes.
        limiter = RateLimiter()
        resumed = await run_bulk(
            IntercomResolver(TOKEN, transport=fake, hooks=limiter),
            "erase",
            parse_subjects(lines),
            journal,
            limiter=limiter,
            concurrency=concurrency,
        )
        report = journal.report()
    assert resumed.ok
    assert resumed.skipped == stopped.done
    assert fake.contact_ids() == ()
    assert deletes(fake) == Counter(ids)
    assert all(s.result == "erased" for s in report.subjects)


class StopWatchingLimiter(RateLimiter):
    """A limiter that tells the test when the run has stopped it."""

    def __init__(self) -> None:
        super().__init__()
        self.stopped = threading.Event()

    def stop(self) -> None:
        super().stop()
        self.stopped.set()


class RevokedMidDelete(httpx.BaseTransport):
    """Revokes the token at ``other``'s DELETE, while another subject's DELETE is in flight.

    The first other DELETE is held until ``other``'s is refused and the run has stopped the
    limiter, then answered; ``other``'s DELETE is held until that one has arrived. Every request
    that arrives after the revocation is refused (401).
    """

    def __init__(self, inner: FakeIntercom, other: str, stopped: threading.Event) -> None:
        self.inner = inner
        self.other = other
        self.stopped = stopped
        self.in_flight = threading.Event()
        self.lock = threading.Lock()
        self.revoked = False
        self.refused = 0
        self.waits_ran_out = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        target = request.url.path.rsplit("/", 1)[-1]
        with self.lock:
            revoked = self.revoked
            held = request.method == "DELETE" and target != self.other
            held = held and not revoked and not self.in_flight.is_set()
        if request.method == "DELETE" and target == self.other:
            self.waits_ran_out += not self.in_flight.wait(60)  # a guard, not a measure
            with self.lock:
                self.revoked = revoked = True
        if held:
            self.in_flight.set()
            self.waits_ran_out += not self.stopped.wait(60)  # a guard, not a measure
        if revoked:
            with self.lock:
                self.refused += 1
            request.headers["Authorization"] = "Bearer revoked"
        return self.inner.handle_request(request)


async def test_subjects_in_flight_stop_before_their_next_request(tmp_path: Path) -> None:
    fake = FakeIntercom(TOKEN)
    shared = [fake.add_contact(email="many@example.com", role="lead") for _ in range(6)]
    other = fake.add_contact(email="other@example.com")
    # The address with six contacts has a DELETE in flight when the other subject's DELETE is
    # refused; once that one is answered it must send nothing more.
    limiter = StopWatchingLimiter()
    revoking = RevokedMidDelete(fake, other, limiter.stopped)
    with Journal(tmp_path / "run.journal", key=KEY) as journal:
        summary = await run_bulk(
            IntercomResolver(TOKEN, transport=revoking, hooks=limiter),
            "erase",
            parse_subjects(["many@example.com", other]),
            journal,
            limiter=limiter,
            concurrency=2,
        )
        (many, _) = journal.report().subjects
    assert revoking.waits_ran_out == 0
    assert summary.stopped == "refused"
    assert revoking.refused == 1  # the other subject's DELETE, and nothing after it
    # The refusal reaches the fake first; the DELETE held in flight is answered after it.
    assert [r.status for r in fake.requests if r.route == DELETE] == [401, 200]
    assert many.state is SubjectState.PENDING
    # Every contact of the address is named, whether deleted or still to do.
    assert {c.contact_id for c in many.contacts} == set(shared)
    assert len(fake.contact_ids()) == 6


class FailingJournal(Journal):
    """A journal whose disk fills up after ``writes`` more writes."""

    writes = 1_000_000

    def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        if self.writes <= 0:
            raise JournalError(f"the disk holding {self.path} is full; free space and rerun")
        self.writes -= 1
        super()._write(sql, params)


async def test_a_journal_that_cannot_be_written_stops_the_run(tmp_path: Path) -> None:
    fake, ids = seeded(30)
    with FailingJournal(tmp_path / "run.journal", key=KEY) as journal:
        journal.writes = 7  # a few subjects in, the disk is full
        summary = await run_bulk(
            IntercomResolver(TOKEN, transport=fake), "erase", parse_subjects(ids), journal,
            concurrency=1,
        )  # fmt: skip
        sent = fake.count("DELETE /contacts/{id}")  # each erasure lists, then deletes
        assert summary.stopped == "local_failure"
        assert summary.stop_detail is not None
        assert "full" in summary.stop_detail
        assert sent <= 4  # nothing after the failed write
        journal.writes = 1_000_000
        resumed = await run_bulk(
            IntercomResolver(TOKEN, transport=fake), "erase", parse_subjects(ids), journal
        )
    assert resumed.ok
    assert fake.contact_ids() == ()


@pytest.mark.parametrize(
    "headers",
    [
        {"Retry-After": "100000"},
        {"Retry-After": "inf"},
        {"Retry-After": "1e12"},
        {"Retry-After": "nan"},
        {"X-RateLimit-Limit": "1666", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1e15"},
        {"X-RateLimit-Limit": "1666", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "inf"},
    ],
)
async def test_absurd_rate_limit_headers_never_hang_or_fail_the_run(
    tmp_path: Path, headers: dict[str, str]
) -> None:
    fake, ids = seeded(4, rate_window=1.0)
    fake.fail_next(429, times=2, route=DELETE, headers=headers)
    limiter = RateLimiter(window=1.0)
    with Journal(tmp_path / "run.journal", key=KEY) as journal:
        summary = await asyncio.wait_for(
            run_bulk(
                IntercomResolver(TOKEN, transport=fake, hooks=limiter),
                "erase",
                parse_subjects(ids),
                journal,
                limiter=limiter,
                concurrency=2,
            ),
            timeout=20,
        )
    assert summary.ok
    assert fake.contact_ids() == ()


async def test_absurd_retry_after_without_a_limiter_is_clamped_not_failed(tmp_path: Path) -> None:
    fake, ids = seeded(2)
    fake.fail_next(429, times=2, route=DELETE, headers={"Retry-After": "1e12"})
    with Journal(tmp_path / "run.journal", key=KEY) as journal:
        summary = await asyncio.wait_for(
            run_bulk(
                IntercomResolver(TOKEN, transport=fake),
                "erase",
                parse_subjects(ids),
                journal,
                retry=RetryPolicy(backoff_max=0.05),
            ),
            timeout=20,
        )
    assert summary.ok
    assert summary.rate_limited == 2


class Held(httpx.BaseTransport):
    """Forwards to the fake, each DELETE once ``together`` of them have arrived and ``release``
    is set: requests stay on the wire exactly as long as a test needs."""

    def __init__(self, inner: FakeIntercom, together: int = 1) -> None:
        self.inner = inner
        self.arrived = threading.Barrier(together, timeout=60)  # a guard, not a measure
        self.release = threading.Event()
        self.release.set()
        self.on_the_wire = threading.Event()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE":
            self.on_the_wire.set()
            self.arrived.wait()
            self.release.wait(60)  # a guard, not a measure
        return self.inner.handle_request(request)


async def interrupted_when(
    transport: httpx.BaseTransport,
    ids: list[str],
    journal: Journal,
    ready: Callable[[RateLimiter], bool],
) -> None:
    """Start a paced erasure of ``ids``, cancel it once ``ready(limiter)``, await the cancel."""
    limiter = RateLimiter()
    task = asyncio.create_task(
        run_bulk(
            IntercomResolver(TOKEN, transport=transport, hooks=limiter),
            "erase",
            parse_subjects(ids),
            journal,
            limiter=limiter,
            concurrency=len(ids),
        )
    )
    await until(lambda: ready(limiter))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_subjects_waiting_in_a_429_pause_are_not_in_doubt_when_interrupted(
    tmp_path: Path,
) -> None:
    fake, ids = seeded(5)
    fake.fail_next(429, times=5, route=DELETE, headers={"Retry-After": "10"})
    together = Held(fake, together=5)  # all five DELETEs leave before the first 429 is back
    with Journal(tmp_path / "run.journal", key=KEY) as journal:
        # Every subject's DELETE was answered 429: all five now wait out the 10-s pause.
        await interrupted_when(
            together, ids, journal, lambda _: sum(journal.failures().values()) == 5
        )
        assert journal.counts() == {SubjectState.PENDING: 5}
        assert FailureInfo(type="Interrupted") not in journal.failures()
    assert fake.count(DELETE) == 5


async def test_a_subject_with_a_request_on_the_wire_is_in_doubt_when_interrupted(
    tmp_path: Path,
) -> None:
    fake, ids = seeded(1)
    held = Held(fake)
    held.release.clear()  # the DELETE stays on the wire until the run is cancelled
    with Journal(tmp_path / "run.journal", key=KEY) as journal:
        try:
            await interrupted_when(held, ids, journal, lambda _: held.on_the_wire.is_set())
        finally:
            held.release.set()
        assert journal.failures() == {FailureInfo(type="Interrupted"): 1}


async def test_a_negative_retry_after_without_a_limiter_still_pauses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, ids = seeded(1)
    fake.fail_next(429, times=3, route=DELETE, headers={"Retry-After": "-5"})
    pauses: list[float] = []
    real_sleep = asyncio.sleep

    async def recorded(seconds: float) -> None:
        pauses.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", recorded)
    with Journal(tmp_path / "run.journal", key=KEY) as journal:
        summary = await run_bulk(
            IntercomResolver(TOKEN, transport=fake),
            "erase",
            parse_subjects(ids),
            journal,
            retry=RetryPolicy(backoff_initial=0.01),
        )
    assert summary.ok
    waits = [p for p in pauses if p > 0]
    # The default pause, never none: at least half the backoff's ceiling (0.01 s, doubling).
    assert len(waits) == 3
    assert waits[0] >= 0.005
    assert waits[1] >= 0.01
    assert waits[2] >= 0.02
