"""run_bulk against FakeIntercom in-process: outcomes, retries, failures, progress, threads."""

from __future__ import annotations

import asyncio
import functools
import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from dsr_resolvers import ResolverErasure, ResolverExport, SubjectRef
from dsr_resolvers.bulk import (
    BulkProgress,
    ContactOutcome,
    FailureInfo,
    Journal,
    JournalError,
    RateLimiter,
    RequestAbortedError,
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
FAST = RetryPolicy(backoff_initial=0.001, backoff_max=0.005)


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "run.journal", key=journal_key(secret=TOKEN)) as opened:
        yield opened


def resolver(fake: FakeIntercom, limiter: RateLimiter | None = None) -> IntercomResolver:
    return IntercomResolver(TOKEN, transport=fake, hooks=limiter)


def seeded(
    count: int, *, rate_limit: int = 1666, rate_window: float = 10.0, latency: float = 0.0
) -> tuple[FakeIntercom, list[str]]:
    fake = FakeIntercom(TOKEN, rate_limit=rate_limit, rate_window=rate_window, latency=latency)
    return fake, [fake.add_contact(email=f"person{i}@example.com") for i in range(count)]


async def test_erase_by_id_and_by_email_reaches_every_contact(journal: Journal) -> None:
    fake, ids = seeded(5)
    user = fake.add_contact(email="shared@example.com", role="user")
    lead_a = fake.add_contact(email="shared@example.com", role="lead")
    lead_b = fake.add_contact(email="shared@example.com", role="lead")
    keep = fake.add_contact(email="bystander@example.com")
    lines = [*ids, "shared@example.com", "nobody@example.com", "gone-already", ids[0]]
    limiter = RateLimiter()

    summary = await run_bulk(
        resolver(fake, limiter), "erase", parse_subjects(lines), journal, limiter=limiter
    )

    assert fake.contact_ids() == (keep,)
    assert (summary.total, summary.duplicates, summary.done, summary.failed) == (8, 1, 8, 0)
    assert summary.not_found == 1
    assert summary.ok
    by_line = {s.line: s for s in journal.report().subjects}
    shared = by_line[6]
    assert shared.result == "erased"
    assert {c.contact_id for c in shared.contacts} == {user, lead_a, lead_b}
    assert all(c.result == "deleted" for c in shared.contacts)
    assert by_line[7].result == "not_found"
    assert by_line[7].contacts == ()
    assert by_line[8].result == "already_absent"
    assert by_line[8].contacts == (
        ContactOutcome(contact_id="gone-already", result="already_absent"),
    )
    assert fake.count(DELETE) == 5 + 3 + 1


async def test_a_second_run_skips_everything_done(journal: Journal) -> None:
    fake, ids = seeded(6)
    await run_bulk(resolver(fake), "erase", parse_subjects(ids), journal, concurrency=3)
    before = fake.count()
    again = await run_bulk(resolver(fake), "erase", parse_subjects(ids), journal, concurrency=3)
    assert fake.count() == before
    assert (again.skipped, again.done, again.ok) == (6, 0, True)


async def test_an_empty_input_is_a_successful_no_op(journal: Journal) -> None:
    fake = FakeIntercom(TOKEN)
    seen: list[BulkProgress] = []
    summary = await run_bulk(
        resolver(fake), "erase", parse_subjects(["# nothing"]), journal, progress=seen.append
    )
    assert (summary.total, summary.ok) == (0, True)
    assert seen[-1].eta_seconds == 0.0
    assert fake.count() == 0


async def test_5xx_then_success_is_retried_with_backoff(journal: Journal) -> None:
    fake, ids = seeded(4)
    fake.fail_next(503, times=2, route=DELETE)
    summary = await run_bulk(
        resolver(fake), "erase", parse_subjects(ids), journal, concurrency=1, retry=FAST
    )
    assert (summary.done, summary.failed, summary.retries) == (4, 0, 2)
    first = journal.report().subjects[0]
    assert first.attempts == 3
    assert first.error is None
    assert fake.contact_ids() == ()


@pytest.mark.parametrize(
    "fault",
    ["reset_before", "reset_after", "timeout", "malformed"],
)
async def test_transport_faults_are_retried(journal: Journal, fault: str) -> None:
    fake, ids = seeded(3)
    if fault == "reset_before":
        fake.reset_next(route=DELETE)
    elif fault == "reset_after":
        fake.reset_next(route=DELETE, after_processing=True)
    elif fault == "timeout":
        fake.timeout_next(route=DELETE)
    else:
        fake.malformed_next(route=DELETE)
    summary = await run_bulk(
        resolver(fake), "erase", parse_subjects(ids), journal, concurrency=1, retry=FAST
    )
    assert (summary.done, summary.failed, summary.retries) == (3, 0, 1)
    assert fake.contact_ids() == ()
    first = journal.report().subjects[0]
    # A reset after the deletion was made: the retry finds the contact gone. This journal had
    # asked for the deletion, so the 404 is its own deletion's echo: "erased", not "was gone".
    assert first.result == "erased"
    assert [c.result for c in first.contacts] == ["deleted"]


async def test_non_retryable_failure_is_recorded_and_the_run_goes_on(journal: Journal) -> None:
    fake, ids = seeded(5)
    fake.fail_next(409, route=DELETE)
    summary = await run_bulk(
        resolver(fake), "erase", parse_subjects(ids), journal, concurrency=1, retry=FAST
    )
    assert (summary.done, summary.failed, summary.retries, summary.ok) == (4, 1, 0, False)
    failed = journal.report().subjects[0]
    assert failed.state is SubjectState.FAILED
    assert failed.error == FailureInfo(type="IntercomRejectedError", status=409)
    assert failed.attempts == 1
    assert fake.contact_ids() == (ids[0],)

    # Once the operator has fixed the cause, a rerun tries the failed subject again...
    rerun = await run_bulk(resolver(fake), "erase", parse_subjects(ids), journal, retry=FAST)
    assert (rerun.skipped, rerun.done, rerun.ok) == (4, 1, True)
    assert fake.contact_ids() == ()


async def test_failed_subjects_can_be_left_alone_on_rerun(journal: Journal) -> None:
    fake, ids = seeded(2)
    fake.fail_next(409, route=DELETE)
    await run_bulk(resolver(fake), "erase", parse_subjects(ids), journal, concurrency=1)
    rerun = await run_bulk(
        resolver(fake), "erase", parse_subjects(ids), journal, retry_failed=False
    )
    assert (rerun.skipped, rerun.done, rerun.failed, rerun.ok) == (1, 0, 0, False)
    assert fake.count(DELETE) == 2


async def test_attempts_are_bounded(journal: Journal) -> None:
    fake, ids = seeded(3)
    fake.fail_route(DELETE, 502)
    policy = RetryPolicy(max_attempts=4, backoff_initial=0.001, backoff_max=0.002)
    summary = await run_bulk(
        resolver(fake), "erase", parse_subjects(ids), journal, concurrency=3, retry=policy
    )
    assert (summary.done, summary.failed, summary.retries) == (0, 3, 9)
    assert fake.count(DELETE) == 3 * 4
    for subject in journal.report().subjects:
        assert subject.state is SubjectState.FAILED
        assert subject.attempts == 4
        assert subject.error == FailureInfo(type="IntercomServerError", status=502)


async def test_429_storm_pauses_everyone_and_recovers_without_failures(journal: Journal) -> None:
    fake, ids = seeded(40, rate_window=1.0, latency=0.05)
    fake.fail_next(429, times=6, route=DELETE)
    # An optimistic assumption lets six requests go at once: all six meet the storm in flight.
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    limiter = RateLimiter(window=1.0, assumed_limit=10_000, sleep=sleep)
    summary = await run_bulk(
        resolver(fake, limiter),
        "erase",
        parse_subjects(ids),
        journal,
        limiter=limiter,
        concurrency=6,
        retry=RetryPolicy(max_attempts=1),
    )
    assert (summary.done, summary.failed) == (40, 0)
    assert summary.rate_limited == 6
    assert limiter.stats.rate_limited == 6
    assert fake.contact_ids() == ()
    # Everyone waited for the fake's next window (at most 1 s away) once, nobody hammered it.
    assert sum(1 for r in fake.requests if r.status == 429) == 6
    assert waits
    assert max(waits) <= 1.0 + 0.05  # the window, plus the limiter's guard past the reset


async def test_a_real_rate_limit_is_not_tripped(journal: Journal) -> None:
    fake, ids = seeded(60, rate_limit=30, rate_window=1.0)
    limiter = RateLimiter(window=1.0, assumed_limit=10)
    summary = await run_bulk(
        resolver(fake, limiter), "erase", parse_subjects(ids), journal, limiter=limiter
    )
    assert (summary.done, summary.failed) == (60, 0)
    assert sum(1 for r in fake.requests if r.status == 429) == 0


async def test_a_cancelled_run_sends_nothing_more(journal: Journal) -> None:
    # Time stands still for the fake and the limiter: once the window's calls are spent, the
    # other workers wait in the limiter for a reset that never comes, unless the run stops.
    frozen = 1_700_000_000.0
    fake = FakeIntercom(TOKEN, rate_limit=3, clock=lambda: frozen)
    ids = [fake.add_contact(email=f"person{i}@example.com") for i in range(20)]
    limiter = RateLimiter(assumed_limit=3, clock=lambda: frozen)
    answered = asyncio.Event()
    wire = _Wire(
        fake,
        on_answer=functools.partial(asyncio.get_running_loop().call_soon_threadsafe, answered.set),
    )
    task = asyncio.create_task(
        run_bulk(
            IntercomResolver(TOKEN, transport=wire, hooks=limiter),
            "erase",
            parse_subjects(ids),
            journal,
            limiter=limiter,
            concurrency=5,
        )
    )
    await answered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=60)  # a guard: without the stop it never ends
    sent = fake.count()
    # Every thread of the run is back: nothing is on the wire, and the stopped limiter
    # refuses whatever a late thread would still try.
    with pytest.raises(RequestAbortedError):
        limiter.before_request(httpx.Request("DELETE", "https://api.intercom.io/contacts/x"))
    assert limiter.stats.requests == sent
    assert sent <= 3  # within the window the fake allows
    assert all(r.status != 429 for r in fake.requests)
    assert journal.counts().get(SubjectState.DONE, 0) <= sent


async def test_429_without_limiter_waits_retry_after_and_is_bounded(
    journal: Journal, tmp_path: Path
) -> None:
    fake, ids = seeded(2)
    fake.fail_next(429, times=2, route=DELETE, headers={"Retry-After": "0"})
    summary = await run_bulk(resolver(fake), "erase", parse_subjects(ids), journal, concurrency=1)
    assert (summary.done, summary.rate_limited, summary.retries) == (2, 2, 2)

    fake.fail_next(429, times=3, route=DELETE, headers={"Retry-After": "0"})
    more = parse_subjects([fake.add_contact(email="x@example.com")])
    with Journal(tmp_path / "more.journal", key=journal_key(secret=TOKEN)) as other:
        summary = await run_bulk(
            resolver(fake), "erase", more, other, retry=RetryPolicy(max_rate_limited=2)
        )
        outcome = other.outcome(other.key_of(more.subjects[0]))
    assert (summary.failed, summary.rate_limited) == (1, 3)
    assert outcome is not None
    assert outcome.error == FailureInfo(type="RateLimitedError", status=429)


async def test_progress_reports_counts_rate_and_eta(journal: Journal) -> None:
    fake, ids = seeded(30, latency=0.005)
    seen: list[BulkProgress] = []
    summary = await run_bulk(
        resolver(fake),
        "erase",
        parse_subjects(ids),
        journal,
        concurrency=4,
        progress=seen.append,
    )
    assert seen[0].done == 0
    assert seen[0].total == 30
    assert seen[-1].done == seen[-1].finished == 30
    assert seen[-1].eta_seconds == 0.0
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    assert all(p.in_flight <= 4 for p in seen)
    assert any(p.rate > 0 and p.eta_seconds is not None and p.eta_seconds > 0 for p in seen)
    assert summary.rate > 0


async def test_export_writes_one_private_file_per_subject_named_by_key(
    journal: Journal, tmp_path: Path
) -> None:
    fake = FakeIntercom(TOKEN)
    ada = fake.add_contact(email="ada@example.com", name="Ada Lovelace")
    lead = fake.add_contact(email="ada@example.com", role="lead", name="Ada L.")
    grace = fake.add_contact(email="grace@example.com", name="Grace Hopper")
    out = tmp_path / "exports"
    lines = ["ada@example.com", grace, "nobody@example.com", "missing-id"]

    summary = await run_bulk(
        resolver(fake), "export", parse_subjects(lines), journal, out_dir=out, concurrency=2
    )

    # The unknown address held nothing; the unknown id may be an archived contact.
    assert (summary.done, summary.not_found) == (4, 1)
    report = journal.report()
    assert [s.result for s in report.subjects[2:]] == ["not_found", "not_visible"]
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted(f"line-{s.line:06d}-{s.key[:12]}.json" for s in report.subjects)
    assert all("@" not in name and "ada" not in name for name in files)
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in out.iterdir())
    assert out.stat().st_mode & 0o777 == 0o700
    first = report.subjects[0]
    assert first.result == "exported"
    assert first.export_file == f"line-000001-{first.key[:12]}.json"
    assert [c.contact_id for c in first.contacts] == [ada, lead]
    document = (out / first.export_file).read_text()
    assert "Ada Lovelace" in document
    assert "Ada L." in document
    parsed = json.loads(document)
    assert parsed["format"] == "dsr-resolvers/export/v1"  # the single-subject format
    assert parsed["input"] == {"line": 1, "key": first.key}
    assert [c["contact_id"] for c in parsed["subjects"]] == [ada, lead]
    nobody = json.loads((out / str(report.subjects[2].export_file)).read_text())
    assert nobody["subjects"] == []
    assert fake.contact_ids() == (ada, lead, grace)  # an export changes nothing


async def test_a_journal_for_erase_cannot_run_an_export(journal: Journal, tmp_path: Path) -> None:
    fake, ids = seeded(1)
    await run_bulk(resolver(fake), "erase", parse_subjects(ids), journal)
    with pytest.raises(JournalError, match="bulk erase"):
        await run_bulk(resolver(fake), "export", parse_subjects(ids), journal, out_dir=tmp_path)


@pytest.mark.parametrize(
    ("operation", "kwargs", "message"),
    [
        ("export", {}, "needs out_dir"),
        ("erase", {"out_dir": "somewhere"}, "writes no files"),
        ("erase", {"concurrency": 0}, "concurrency"),
        ("erase", {"concurrency": "lots"}, "concurrency"),
    ],
)
async def test_bad_arguments_fail_before_anything_is_written(
    journal: Journal, operation: str, kwargs: dict[str, object], message: str
) -> None:
    fake, ids = seeded(1)
    with pytest.raises(ValueError, match=message):
        await run_bulk(resolver(fake), operation, parse_subjects(ids), journal, **kwargs)  # type: ignore[arg-type]
    assert journal.operation is None
    assert fake.count() == 0


class IdOnlyResolver:
    """A resolver without email lookup, whose erasures run in threads of its own (as a
    resolver's must: the bulk run leaves the loop's default executor alone), counted.

    Each erasure waits until ``together`` erasures run at once, so a peak of ``together`` is
    reached by construction, not by luck; fewer threads would never fill the barrier.
    """

    def __init__(self, together: int = 1) -> None:
        self.barrier = threading.Barrier(together, timeout=60)
        self.threads = ThreadPoolExecutor(max_workers=64)
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0

    @property
    def name(self) -> str:
        return "intercom"

    async def export_subject(self, ref: SubjectRef) -> ResolverExport:
        return ResolverExport(resolver=self.name)

    async def erase_subject(self, ref: SubjectRef) -> ResolverErasure:
        def work() -> ResolverErasure:
            with self.lock:
                self.running += 1
                self.peak = max(self.peak, self.running)
            self.barrier.wait()
            with self.lock:
                self.running -= 1
            return ResolverErasure(resolver=self.name)

        return await asyncio.get_running_loop().run_in_executor(self.threads, work)


async def test_email_subjects_need_a_resolver_that_can_look_them_up(journal: Journal) -> None:
    with pytest.raises(ValueError, match="LookupResolver"):
        await run_bulk(IdOnlyResolver(), "erase", parse_subjects(["a@example.com"]), journal)
    assert journal.operation is None


class _CountingExecutor(ThreadPoolExecutor):
    def __init__(self) -> None:
        super().__init__(max_workers=2, thread_name_prefix="caller")
        self.submitted = 0

    def submit(self, *args: Any, **kwargs: Any) -> Any:
        self.submitted += 1
        return super().submit(*args, **kwargs)


class _Meeting(httpx.BaseTransport):
    """Holds the first ``parties`` requests until all of them are in flight at once."""

    def __init__(self, inner: httpx.BaseTransport, parties: int) -> None:
        self.inner = inner
        self.barrier = threading.Barrier(parties, timeout=30)
        self.lock = threading.Lock()
        self.waiting = parties

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            meet, self.waiting = self.waiting > 0, self.waiting - 1
        if meet:
            self.barrier.wait()  # broken (and the test failed) if calls were capped below
        return self.inner.handle_request(request)


async def test_a_bulk_run_uses_its_own_threads_and_leaves_the_callers_loop_as_it_was(
    journal: Journal, tmp_path: Path
) -> None:
    loop = asyncio.get_running_loop()
    callers = _CountingExecutor()
    loop.set_default_executor(callers)
    fake, ids = seeded(60)
    meeting = _Meeting(fake, parties=16)  # more than the caller's executor has threads
    work = IntercomResolver(TOKEN, transport=meeting)

    erased = await run_bulk(work, "erase", parse_subjects(ids[:30]), journal, concurrency=16)
    with Journal(tmp_path / "export.journal", key=journal_key(secret=TOKEN)) as second:
        exported = await run_bulk(
            work, "export", parse_subjects(ids[30:]), second, out_dir=tmp_path / "out"
        )

    assert (erased.done, exported.done) == (30, 30)
    assert not meeting.barrier.broken
    assert callers.submitted == 0
    name = await loop.run_in_executor(None, lambda: threading.current_thread().name)
    assert name.startswith("caller")  # still the caller's default executor
    callers.shutdown()


async def test_auto_concurrency_without_a_limiter_uses_a_fixed_pool(journal: Journal) -> None:
    work = IdOnlyResolver(together=16)
    summary = await run_bulk(work, "erase", parse_subjects([f"id-{i}" for i in range(64)]), journal)
    assert summary.done == 64
    assert work.peak == 16


async def test_progress_callback_errors_stop_the_run_resumably(journal: Journal) -> None:
    fake, ids = seeded(5)
    calls = 0

    def broken(progress: BulkProgress) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("the progress bar broke")

    with pytest.raises(RuntimeError, match="progress bar"):
        await run_bulk(
            resolver(fake), "erase", parse_subjects(ids), journal, concurrency=1, progress=broken
        )
    summary = await run_bulk(resolver(fake), "erase", parse_subjects(ids), journal)
    assert summary.ok
    assert fake.contact_ids() == ()


def test_backoff_is_full_jitter_and_capped() -> None:
    policy = RetryPolicy(backoff_initial=1.0, backoff_max=5.0)
    rng = random.Random(7)
    for failures, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (10, 5.0)]:
        delays = [policy.backoff(failures, rng) for _ in range(200)]
        assert min(delays) >= 0
        assert max(delays) <= ceiling
        assert max(delays) > ceiling * 0.8


async def test_httpx_errors_are_described_by_type_and_status_only() -> None:
    request = httpx.Request("GET", "https://api.intercom.io/contacts/secret-id")
    response = httpx.Response(500, request=request)
    error = httpx.HTTPStatusError("boom secret-id", request=request, response=response)
    assert FailureInfo.of(error) == FailureInfo(type="HTTPStatusError", status=500)
    assert FailureInfo.of(httpx.ConnectError("x", request=request)).status is None


class _Wire(httpx.BaseTransport):
    """Forwards to the fake; holds every request until ``wanted`` are in flight at once (then
    lets all go), and calls ``on_answer`` after each answer."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        wanted: int = 1,
        on_answer: Callable[[], object] = lambda: None,
    ) -> None:
        self.inner = inner
        self.wanted = wanted
        self.on_answer = on_answer
        self.cond = threading.Condition()
        self.now = 0
        self.opened = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.cond:
            self.now += 1
            if self.now >= self.wanted:
                self.opened = True
                self.cond.notify_all()
            self.cond.wait_for(lambda: self.opened, timeout=60)  # a guard, not a measure
        try:
            return self.inner.handle_request(request)
        finally:
            with self.cond:
                self.now -= 1
            self.on_answer()


def test_auto_concurrency_divides_by_in_flight_only_where_a_subject_fans_out(
    tmp_path: Path,
) -> None:
    """A plain DELETE is one request at a time, so ``max_in_flight`` must not shrink the
    number of subjects worked on at once (it left three quarters of the ceiling unused)."""
    fake = FakeIntercom(TOKEN)  # with the X-RateLimit headers Intercom sends
    ids = [fake.add_contact(email=f"p{n}@example.com") for n in range(120)]
    seen = _Wire(fake, wanted=16)
    resolver = IntercomResolver(TOKEN, transport=seen, max_in_flight=8)
    with Journal(tmp_path / "auto.sqlite", key=journal_key(secret=TOKEN)) as journal:
        summary = asyncio.run(
            run_bulk(resolver, "erase", parse_subjects(ids), journal, limiter=RateLimiter())
        )
    assert summary.done == 120
    # Sized from the limiter (up to AUTO_CONCURRENCY_MAX subjects): divided by max_in_flight
    # it kept 8 DELETEs in flight; the first requests wait until 16 are on the wire at once,
    # which a run of fewer workers never reaches.
    assert seen.opened
