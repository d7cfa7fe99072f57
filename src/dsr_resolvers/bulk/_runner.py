"""The bulk runner: erase or export every subject of an input, resumably, at the full rate.

``run_bulk`` works through the journal's unfinished subjects with a pool of asyncio workers.
Each worker handles one subject at a time, so the subjects in flight are never more than the
concurrency, and neither is the number of requests a killed run can leave in doubt.

What happens to one subject:

1. the journal records the attempt (``running``, attempts + 1) *before* anything is sent;
2. an email address is resolved to every contact holding it (``find_contact_ids``): one
   address can be a user and several leads, and erasure must reach them all;
3. each contact is erased (a 404 is ``already_absent``, a success) or exported; for an
   address with several contacts, those done are journalled as they go, so a kill between
   two of them loses nothing;
4. an export is written to ``<key>.json`` in the output directory, atomically;
5. the journal records the outcome (``done``), or the failure (``failed``).

What a failure leads to, following the contract (retry everything but ``ResolverError``):

| failure                                 | what the runner does                                |
|-----------------------------------------|-----------------------------------------------------|
| ``ResolverError`` (401, 403, other 4xx) | recorded, subject ``failed``, the run goes on       |
| 429                                     | retried once the limiter's pause is over; does not  |
|                                         | use up attempts, bounded by ``max_rate_limited``    |
| 5xx, transport errors, malformed 2xx,   | retried after an exponential backoff with full      |
| anything else                           | jitter, up to ``max_attempts`` per subject and run  |
| cancellation, SIGKILL                   | nothing more is written: ``running`` rows are       |
|                                         | retried by the next run                             |

Failures are recorded by exception type and HTTP status, never by message.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from dsr_resolvers._bundle import BUNDLE_FORMAT, ExportBundle, SubjectRecords, export_file_name
from dsr_resolvers.bulk._files import write_json_atomically
from dsr_resolvers.bulk._inputs import Subject, SubjectKind, SubjectList
from dsr_resolvers.bulk._journal import Journal, JournalEntry
from dsr_resolvers.bulk._limiter import RateLimiter
from dsr_resolvers.bulk._report import (
    BulkOperation,
    BulkProgress,
    BulkSummary,
    ContactOutcome,
    FailureInfo,
    SubjectResult,
    SubjectState,
)
from dsr_resolvers.bulk._threads import default_executor_with
from dsr_resolvers.contract import (
    AttestingResolver,
    Resolver,
    ResolverError,
    ResolverExport,
    SubjectRef,
)

__all__ = [
    "AUTO_CONCURRENCY_MAX",
    "EXPORT_FORMAT",
    "EmailLookupResolver",
    "ProgressCallback",
    "RetryPolicy",
    "run_bulk",
]

_log = logging.getLogger("dsr_resolvers.bulk")

AUTO_CONCURRENCY_MAX: Final = 64
"""The most workers ``concurrency="auto"`` will use."""

_AUTO_WITHOUT_LIMITER: Final = 16
_RATE_WINDOW_SECONDS: Final = 10.0
EXPORT_FORMAT: Final = BUNDLE_FORMAT
"""The ``format`` field of every export file."""

ProgressCallback = Callable[[BulkProgress], None]
"""Called on the event loop after each subject finishes (and once at the start)."""


@runtime_checkable
class EmailLookupResolver(Resolver, Protocol):
    """A resolver that can name every contact holding an email address."""

    async def find_contact_ids(self, *, email: str) -> tuple[str, ...]:
        """The ids of every contact (user or lead) whose email is ``email``; may be empty."""
        ...


class RetryPolicy(BaseModel):
    """How often, and after how long, a subject is tried again after a transient failure.

    Attributes:
        max_attempts: Attempts per subject and run, 429s not counted.
        backoff_initial: Upper bound of the first backoff, in seconds.
        backoff_max: Upper bound of any backoff, in seconds.
        max_rate_limited: 429 answers tolerated per subject and run before it fails.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_attempts: int = Field(default=5, ge=1)
    backoff_initial: float = Field(default=0.5, ge=0)
    backoff_max: float = Field(default=30.0, ge=0)
    max_rate_limited: int = Field(default=20, ge=0)

    def backoff(self, failures: int, rng: random.Random | None = None) -> float:
        """The pause after the ``failures``-th failure: uniform in ``[0, min(max, initial·2ⁿ⁻¹)]``.

        Full jitter spreads the retries of workers that failed together (a 5xx burst) so
        they do not come back together.
        """
        ceiling = min(self.backoff_max, self.backoff_initial * 2 ** max(0, failures - 1))
        return (rng or random).uniform(0.0, ceiling)


async def run_bulk(
    resolver: Resolver,
    operation: BulkOperation | str,
    subjects: SubjectList | Iterable[Subject],
    journal: Journal,
    *,
    limiter: RateLimiter | None = None,
    concurrency: int | Literal["auto"] = "auto",
    retry: RetryPolicy | None = None,
    out_dir: str | Path | None = None,
    progress: ProgressCallback | None = None,
    retry_failed: bool = True,
) -> BulkSummary:
    """Erase or export every subject, skipping those the journal has already finished.

    Args:
        resolver: Does the work, e.g. ``IntercomResolver(token, hooks=limiter)``. Email
            subjects need an :class:`EmailLookupResolver`.
        operation: ``"erase"`` or ``"export"``.
        subjects: The input, e.g. from :func:`read_subjects`.
        journal: Where states are recorded; the same journal resumes a killed run.
        limiter: The limiter the resolver was built with: ``concurrency="auto"`` sizes
            itself from it, and 429 retries rely on its pause.
        concurrency: Subjects worked on at once, or ``"auto"``: enough to keep the rate the
            limiter allows at the latency it measures (at most 64).
        retry: The retry policy; the defaults suit Intercom.
        out_dir: Export only: the directory receiving one file per subject, named by input line;
            created (0700) if missing.
        progress: Called with a :class:`BulkProgress` after each subject.
        retry_failed: Whether subjects that failed in an earlier run are tried again.

    Returns:
        The counts of this run.

    Raises:
        ValueError: A missing or unexpected ``out_dir``, a bad concurrency, or email
            subjects for a resolver that cannot look addresses up. Raised before anything
            is written or sent.
        JournalError: The journal records another operation.
    """
    operation = BulkOperation(operation)
    subject_list = subjects if isinstance(subjects, SubjectList) else SubjectList(tuple(subjects))
    target = _output_directory(operation, out_dir)
    if concurrency != "auto" and (not isinstance(concurrency, int) or concurrency < 1):
        raise ValueError("concurrency must be a positive integer or 'auto'")
    if any(s.kind is SubjectKind.EMAIL for s in subject_list) and not isinstance(
        resolver, EmailLookupResolver
    ):
        raise ValueError(
            "the input names email addresses but the resolver cannot look them up "
            "(it has no find_contact_ids)"
        )
    if target is not None:
        target.mkdir(mode=0o700, parents=True, exist_ok=True)

    entries = journal.register(operation, subject_list)
    runnable = {SubjectState.PENDING, SubjectState.RUNNING}
    if retry_failed:
        runnable.add(SubjectState.FAILED)
    work = deque(entry for entry in entries if entry.state in runnable)
    run = _Run(
        resolver=resolver,
        operation=operation,
        journal=journal,
        limiter=limiter,
        retry=retry or RetryPolicy(),
        out_dir=target,
        progress=progress,
        stats=_Stats(
            total=len(entries),
            skipped=sum(1 for entry in entries if entry.state is SubjectState.DONE),
            runnable=len(work),
        ),
    )
    if concurrency == "auto":
        ceiling = AUTO_CONCURRENCY_MAX if limiter is not None else _AUTO_WITHOUT_LIMITER
    else:
        ceiling = concurrency
    workers = max(1, min(ceiling, len(work)))
    gate = _Gate(run.auto_capacity(workers) if concurrency == "auto" else workers)
    with default_executor_with(workers + 4) as executor:
        run.executor = executor
        run.report_progress()
        tasks = [
            asyncio.create_task(run.worker(work, gate, auto=concurrency == "auto", cap=workers))
            for _ in range(workers)
        ]
        everything = asyncio.gather(*tasks)
        # Once the shield is cancelled it no longer retrieves the gather's outcome; do it here.
        everything.add_done_callback(lambda done: done.cancelled() or done.exception())
        try:
            # Shielded: a cancelled gather would wait for its workers, and their calls wait
            # for requests queued in the limiter; so the limiter is released first, below.
            await asyncio.shield(everything)
        except BaseException:
            for task in tasks:
                task.cancel()
            # One turn of the loop lets each resolver call see its cancellation and refuse
            # any further request before the limiter releases the threads queued in it.
            await asyncio.sleep(0)
            if limiter is not None:
                # Worker threads queued in the limiter would otherwise send their requests
                # after the run has stopped, for nobody to record.
                limiter.abort_waiting()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
    return run.summary(duplicates=subject_list.duplicates)


def _output_directory(operation: BulkOperation, out_dir: str | Path | None) -> Path | None:
    if operation is BulkOperation.EXPORT and out_dir is None:
        raise ValueError("a bulk export needs out_dir, the directory for the export files")
    if operation is BulkOperation.ERASE and out_dir is not None:
        raise ValueError("a bulk erase writes no files; out_dir is for exports")
    return None if out_dir is None else Path(out_dir)


class _Gate:
    """A semaphore whose capacity can change while workers wait on it."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._active = 0
        self._changed = asyncio.Condition()

    async def acquire(self) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self._active < self._capacity)
            self._active += 1

    async def release(self, capacity: int | None = None) -> None:
        async with self._changed:
            self._active -= 1
            if capacity is not None:
                self._capacity = capacity
            self._changed.notify_all()


@dataclass
class _Stats:
    total: int
    skipped: int
    runnable: int
    done: int = 0
    failed: int = 0
    not_found: int = 0
    retries: int = 0
    rate_limited: int = 0
    in_flight: int = 0
    started: float = field(default_factory=time.monotonic)
    finishes: deque[float] = field(default_factory=deque)


@dataclass
class _Run:
    resolver: Resolver
    operation: BulkOperation
    journal: Journal
    limiter: RateLimiter | None
    retry: RetryPolicy
    out_dir: Path | None
    progress: ProgressCallback | None
    stats: _Stats
    executor: Executor | None = None
    rng: random.Random = field(default_factory=random.Random)

    # -- scheduling ------------------------------------------------------------------------

    def auto_capacity(self, cap: int) -> int:
        if self.limiter is None:
            return cap
        return max(1, min(cap, self.limiter.suggested_concurrency()))

    async def worker(self, work: deque[JournalEntry], gate: _Gate, *, auto: bool, cap: int) -> None:
        while work:
            await gate.acquire()
            capacity: int | None = None
            try:
                if not work:
                    return
                await self.handle(work.popleft())
            finally:
                if auto:
                    capacity = self.auto_capacity(cap)
                await gate.release(capacity)

    # -- one subject -----------------------------------------------------------------------

    async def handle(self, entry: JournalEntry) -> None:
        contacts = {c.contact_id: c for c in entry.contacts}
        failures = throttled = 0
        self.stats.in_flight += 1
        try:
            while True:
                self.journal.mark_running(entry.key)
                try:
                    result, export_file = await self.attempt(entry, contacts)
                except ResolverError as exc:
                    self.fail(entry, FailureInfo.of(exc))
                    return
                except Exception as exc:  # the contract: retry everything but ResolverError
                    info = FailureInfo.of(exc)
                    if info.status == 429:
                        throttled += 1
                        self.stats.rate_limited += 1
                        exhausted = throttled > self.retry.max_rate_limited
                        delay = self.rate_limited_delay(exc, throttled)
                    else:
                        failures += 1
                        exhausted = failures >= self.retry.max_attempts
                        delay = self.retry.backoff(failures, self.rng)
                    if exhausted:
                        self.fail(entry, info)
                        return
                    self.journal.record_retry(entry.key, info)
                    self.stats.retries += 1
                    await asyncio.sleep(delay)
                    continue
                self.journal.mark_done(
                    entry.key, result, list(contacts.values()), export_file=export_file
                )
                self.stats.done += 1
                if result == "not_found":
                    self.stats.not_found += 1
                return
        finally:
            self.stats.in_flight -= 1
            self.stats.finishes.append(time.monotonic())
            self.report_progress()

    def rate_limited_delay(self, exc: Exception, throttled: int) -> float:
        if self.limiter is not None:
            # The limiter saw the same 429 and holds every worker until the reset.
            return 0.0
        retry_after = getattr(exc, "retry_after", None)
        if isinstance(retry_after, int | float) and retry_after >= 0:
            return float(retry_after)
        return self.retry.backoff(throttled, self.rng)

    def fail(self, entry: JournalEntry, info: FailureInfo) -> None:
        self.journal.mark_failed(entry.key, info)
        self.stats.failed += 1
        _log.warning(
            "bulk %s: input line %d failed (%s, status=%s)",
            self.operation.value,
            entry.subject.line,
            info.type,
            info.status,
        )

    async def attempt(
        self, entry: JournalEntry, contacts: dict[str, ContactOutcome]
    ) -> tuple[SubjectResult, str | None]:
        subject = entry.subject
        if subject.kind is SubjectKind.EMAIL:
            lookup = self.resolver
            assert isinstance(lookup, EmailLookupResolver)  # checked before the run started
            contact_ids = await lookup.find_contact_ids(email=subject.value)
        else:
            contact_ids = (subject.value,)
        if self.operation is BulkOperation.ERASE:
            return await self.erase(entry, contact_ids, contacts), None
        return await self.export(entry, contact_ids, contacts)

    async def erase(
        self,
        entry: JournalEntry,
        contact_ids: tuple[str, ...],
        contacts: dict[str, ContactOutcome],
    ) -> SubjectResult:
        todo = [cid for cid in dict.fromkeys(contact_ids) if cid not in contacts]
        for number, contact_id in enumerate(todo, start=1):
            erasure = await self.resolver.erase_subject(self.ref(contact_id))
            contacts[contact_id] = ContactOutcome(
                contact_id=contact_id,
                result="already_absent" if erasure.already_absent else "deleted",
            )
            if number < len(todo):
                self.journal.record_contacts(entry.key, list(contacts.values()))
        if not contacts:
            return "not_found"
        if any(c.result == "deleted" for c in contacts.values()):
            return "erased"
        return "already_absent"

    async def export(
        self,
        entry: JournalEntry,
        contact_ids: tuple[str, ...],
        contacts: dict[str, ContactOutcome],
    ) -> tuple[SubjectResult, str]:
        exports: list[tuple[str, ResolverExport]] = []
        for contact_id in dict.fromkeys(contact_ids):
            exports.append((contact_id, await self.resolver.export_subject(self.ref(contact_id))))
        contacts.clear()
        for contact_id, export in exports:
            contacts[contact_id] = ContactOutcome(
                contact_id=contact_id,
                result="exported" if export.records else "not_found",
                records=len(export.records),
            )
        result: SubjectResult = (
            "exported" if any(c.result == "exported" for c in contacts.values()) else "not_found"
        )
        # One file format for single and bulk exports: dsr_resolvers._bundle.
        name = export_file_name(entry.subject.line, entry.key)
        surface = (
            self.resolver.covered_surface if isinstance(self.resolver, AttestingResolver) else None
        )
        payload = ExportBundle.now(
            self.resolver.name,
            [SubjectRecords(contact_id, export.records) for contact_id, export in exports],
            surface,
            input={"line": entry.subject.line, "key": entry.key},
        ).document()
        assert self.out_dir is not None  # checked before the run started
        await asyncio.get_running_loop().run_in_executor(
            self.executor, write_json_atomically, self.out_dir / name, payload
        )
        return result, name

    def ref(self, contact_id: str) -> SubjectRef:
        return SubjectRef(kind=self.resolver.name, value=contact_id)

    # -- reporting -------------------------------------------------------------------------

    def report_progress(self) -> None:
        if self.progress is None:
            return
        stats = self.stats
        now = time.monotonic()
        while stats.finishes and stats.finishes[0] < now - _RATE_WINDOW_SECONDS:
            stats.finishes.popleft()
        elapsed = now - stats.started
        span = min(elapsed, _RATE_WINDOW_SECONDS)
        rate = len(stats.finishes) / span if span > 0 else 0.0
        left = max(0, stats.runnable - stats.done - stats.failed)
        self.progress(
            BulkProgress(
                total=stats.total,
                done=stats.skipped + stats.done,
                failed=stats.failed,
                skipped=stats.skipped,
                in_flight=stats.in_flight,
                retries=stats.retries,
                rate_limited=stats.rate_limited,
                rate=rate,
                elapsed_seconds=elapsed,
                eta_seconds=left / rate if rate > 0 else (0.0 if left == 0 else None),
            )
        )

    def summary(self, *, duplicates: int) -> BulkSummary:
        stats = self.stats
        elapsed = time.monotonic() - stats.started
        finished = stats.done + stats.failed
        return BulkSummary(
            operation=self.operation,
            total=stats.total,
            duplicates=duplicates,
            skipped=stats.skipped,
            done=stats.done,
            failed=stats.failed,
            not_found=stats.not_found,
            retries=stats.retries,
            rate_limited=stats.rate_limited,
            elapsed_seconds=elapsed,
            rate=finished / elapsed if elapsed > 0 else 0.0,
        )
