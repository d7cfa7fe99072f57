"""The bulk runner: erase, export or object for every subject of an input, resumably, at the
full rate.

``run_bulk`` works through the journal's unfinished subjects with a pool of asyncio workers.
Each worker handles one subject at a time, so the subjects in flight are never more than the
concurrency, and neither is the number of requests a killed run can leave in doubt.

What happens to one subject, each journal write committed before the next step:

1. the journal records the attempt (``running``, attempts + 1) *before* anything is sent;
2. a subject's email, phone and external id are resolved to every subject holding any of
   them (one ``find_subjects``, :func:`subject_contacts`), and the ids are journalled
   (``found``) *before* the first change: a kill after that loses no id. A contact only the
   phone led to is journalled ``left_out`` and not erased (numbers are reassigned) unless
   ``include_phone_only``;
3. erase: each contact is journalled as ``requested``, then erased. The answer makes it
   ``deleted``, or ``already_absent`` for a 404, unless this journal had already requested it
   (a kill or a lost answer in between): then the 404 is the echo of its own deletion and the
   contact is recorded as ``deleted``. Export: each contact is exported. Object (Art. 21):
   each contact is journalled as ``requested``, then ``object_to_marketing`` is sent; the
   answer makes it ``objected``, ``already_objected`` (nothing was left to turn off) or
   ``already_absent``. An objection is idempotent, so a resumed run sends a ``requested`` one
   again, and records it ``objected`` even when nothing is left to change (its own earlier
   request did it); a contact already recorded is never sent again;
4. an export is written to ``<key>.json`` in the output directory, atomically;
5. the journal records the outcome (``done``), or the failure (``failed``).

What a failure leads to, following the contract (retry everything but ``ResolverError``):

| failure                                 | what the runner does                                |
|-----------------------------------------|-----------------------------------------------------|
| 401 or 403 (the credentials, not the    | the run stops: no new subject starts, subjects in   |
| subject)                                | flight stop before their next request (through the  |
|                                         | limiter), and all stay ``pending``                  |
|                                         | (``stopped="refused"``)                             |
| writing the journal or an export file   | the run stops the same way (``local_failure``); the |
| fails (disk full, permission)           | subject stays ``pending`` (or ``running``)          |
| other ``ResolverError`` (404 aside,     | recorded, subject ``failed``, the run goes on       |
| 409, 422, ...)                          |                                                     |
| 429                                     | retried once the limiter's pause is over; does not  |
|                                         | use up attempts, bounded by ``max_rate_limited``    |
| 5xx, transport errors, malformed 2xx,   | retried after an exponential backoff with full      |
| anything else                           | jitter, up to ``max_attempts`` per subject and run  |
| cancellation, SIGKILL                   | nothing more is sent; ``running`` rows, with the    |
|                                         | contacts recorded so far, are retried by the next   |
|                                         | run                                                 |

Failures are recorded by exception type and HTTP status, never by message; "the credentials"
and "a rate limit" are told by type (the contract's ``CredentialsError`` and
``ThrottledError``), never by a status number.

What the runner needs of a resolver besides ``Resolver`` it asks through the contract's
protocols, never by an attribute's name: ``LookupResolver`` for email inputs,
``ObjectingResolver`` for a bulk objection (checked before anything is written or sent),
``ConcurrentResolver`` for the requests one subject keeps in flight, ``ConfiguredResolver``
for the options a journal records, ``AttestingResolver`` for the surface an export declares.

Concurrency: ``concurrency="auto"`` asks the limiter how many *requests* should be in flight to
sit on the rate ceiling, and divides by the requests one subject keeps in flight
(``requests_in_flight`` of a ``ConcurrentResolver``, else 1): subjects x in-flight per subject
stays at the ceiling without overshooting it.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import random
import re
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from dsr_resolvers._bundle import BUNDLE_FORMAT, ExportBundle, SubjectRecords, export_file_name
from dsr_resolvers._files import make_private_directory, write_json_atomically
from dsr_resolvers.bulk._inputs import Subject, SubjectList
from dsr_resolvers.bulk._journal import Journal, JournalEntry, JournalError
from dsr_resolvers.bulk._limiter import _WATCH, RateLimiter, SentCounter, bounded_retry_after
from dsr_resolvers.bulk._report import (
    INTERRUPTED,
    BulkOperation,
    BulkProgress,
    BulkSummary,
    ContactOutcome,
    ContactResult,
    FailureInfo,
    StopReason,
    SubjectResult,
    SubjectState,
)
from dsr_resolvers.contract import (
    AttestingResolver,
    ConcurrentResolver,
    ConfiguredResolver,
    CredentialsError,
    ItemIds,
    LedgeredResolver,
    LookupResolver,
    ObjectingResolver,
    Operation,
    Presence,
    Resolver,
    ResolverError,
    ResolverExport,
    SubjectRef,
    ThrottledError,
)

__all__ = [
    "AUTO_CONCURRENCY_MAX",
    "EXPORT_FORMAT",
    "ProgressCallback",
    "RetryPolicy",
    "retrying",
    "run_bulk",
    "run_options",
]

_log = logging.getLogger("dsr_resolvers.bulk")
_T = TypeVar("_T")

AUTO_CONCURRENCY_MAX: Final = 64
"""The most workers ``concurrency="auto"`` will use."""

_AUTO_WITHOUT_LIMITER: Final = 16
_WORKSPACE_NAME: Final = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}")
_FILE_WRITERS: Final = 4
_RATE_WINDOW_SECONDS: Final = 10.0
EXPORT_FORMAT: Final = BUNDLE_FORMAT
"""The ``format`` field of every export file."""

ProgressCallback = Callable[[BulkProgress], None]
"""Called on the event loop after each subject finishes (and once at the start)."""


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

    def rate_limited_pause(
        self, error: BaseException, throttled: int, rng: random.Random | None = None
    ) -> float:
        """The pause after the ``throttled``-th 429: its ``Retry-After`` clamped to
        ``backoff_max``, or, when it names none (absent, negative, non-finite), the default
        pause: the backoff's ceiling with half of it jittered, so never none."""
        stated = error.retry_after if isinstance(error, ThrottledError) else None
        retry_after = bounded_retry_after(stated, most=self.backoff_max)
        if retry_after is not None:
            return retry_after
        ceiling = min(self.backoff_max, self.backoff_initial * 2.0 ** max(0, throttled - 1))
        return ceiling / 2 + self.backoff(throttled, rng) / 2


async def retrying(
    work: Callable[[], Awaitable[_T]],
    policy: RetryPolicy,
    *,
    before: Callable[[], None] | None = None,
    on_retry: Callable[[BaseException, FailureInfo], None] | None = None,
    paced: bool = False,
    rng: random.Random | None = None,
    fatal: tuple[type[BaseException], ...] = (),
) -> _T:
    """Await ``work()``, retrying what the contract says may pass: the one retry loop.

    Used by the bulk runner (per subject), its dry run and the single-subject commands.

    Args:
        work: Makes a fresh awaitable for each try.
        policy: Tries and pauses: 429s are bounded by ``max_rate_limited`` and paused for
            their ``Retry-After`` (clamped to ``backoff_max``), everything else by
            ``max_attempts`` with full-jitter backoff.
        before: Called before each try (the runner journals the attempt).
        on_retry: Called with the failure before each pause; may raise to give up.
        paced: A rate limiter pauses everyone after a 429 already: retry at once.
        rng: The jitter's random source.
        fatal: Exception types never retried, besides ``ResolverError``.

    Returns:
        What ``work`` returned.

    Raises:
        ResolverError: At once: a retry cannot fix it.
        Exception: The last failure, once the policy's tries are spent.
    """
    failures = throttled = 0
    while True:
        if before is not None:
            before()
        try:
            return await work()
        except ResolverError:
            raise
        except Exception as error:
            if isinstance(error, fatal):
                raise
            info = FailureInfo.of(error)
            if isinstance(error, ThrottledError):
                throttled += 1
                if throttled > policy.max_rate_limited:
                    raise
                pause = 0.0 if paced else policy.rate_limited_pause(error, throttled, rng)
            else:
                failures += 1
                if failures >= policy.max_attempts:
                    raise
                pause = policy.backoff(failures, rng)
            if on_retry is not None:
                on_retry(error, info)
        await asyncio.sleep(pause)


async def run_bulk(
    resolver: Resolver | Sequence[Resolver],
    operation: BulkOperation | str,
    subjects: Iterable[Subject],
    journal: Journal,
    *,
    limiter: RateLimiter | Mapping[str, RateLimiter] | None = None,
    concurrency: int | Literal["auto"] = "auto",
    retry: RetryPolicy | None = None,
    out_dir: str | Path | None = None,
    progress: ProgressCallback | None = None,
    retry_failed: bool = True,
    options: Mapping[str, str] | None = None,
    include_phone_only: bool = False,
) -> BulkSummary:
    """Erase or export every subject, skipping those the journal has already finished.

    Args:
        resolver: Does the work, e.g. ``IntercomResolver(token, hooks=limiter)``. Email
            subjects need a ``LookupResolver``. Several resolvers (a list, each
            with its own ``name``, e.g. one per Intercom workspace) make a run over several
            workspaces: every subject is worked on in each, side by side, each at its own
            rate; the journal keeps one row per subject and workspace (by resolver name).
        operation: ``"erase"``, ``"export"`` or ``"object"`` (Art. 21; needs an
            ``ObjectingResolver``).
        subjects: The input, e.g. from :func:`read_subjects` (streamed, read twice) or
            :func:`parse_subjects`.
        journal: Where states are recorded; the same journal resumes a killed run.
        limiter: The limiter the resolver was built with: ``concurrency="auto"`` sizes
            itself from it, 429 retries rely on its pause, and a stopping run stops it so
            that subjects in flight send nothing more. A *cancelled* run leaves it stopped
            (worker threads may still be finishing a call): ``limiter.resume()`` to reuse it.
            With several resolvers, a mapping from resolver name to that resolver's own
            limiter: one workspace's pause or stop never holds up another.
        concurrency: Subjects worked on at once (per workspace), or ``"auto"``: enough to
            keep the rate the limiter allows at the latency it measures (at most 64).
        retry: The retry policy; the defaults suit Intercom.
        out_dir: Export only: the directory receiving one file per subject, named by input line
            (and, over several workspaces, one subdirectory per workspace); created (0700) if
            missing.
        progress: Called with a :class:`BulkProgress` after each subject (over several
            workspaces: their sums).
        retry_failed: Whether subjects that failed in an earlier run are tried again.
        options: What decides the outcome besides the input, recorded in the journal and
            checked on resume; defaults to :func:`run_options` of the resolver (over several
            workspaces: of the first, without its name).
        include_phone_only: Erase (or object for) also the contacts only a row's phone
            number led to
            (recorded as ``include_phone_only`` in the journal's options); without it they
            are journalled ``left_out``, since phone numbers are reassigned.

    Returns:
        The counts of this run; ``stopped`` says whether it stopped early (a refused token, a
        local write failure), leaving the rest ``pending`` for a rerun. Over several
        workspaces, ``workspaces`` holds one summary each: a token refused in one workspace
        stops that workspace's share only.

    Raises:
        ValueError: A missing or unexpected ``out_dir``, a bad concurrency, email subjects
            for a resolver that cannot look them up, an objection for a resolver that is not
            an ``ObjectingResolver``, or several resolvers without distinct
            names or without a limiter each. Raised before anything is written or sent.
        JournalError: The journal records another operation, other options or another
            input, or cannot be written when the run starts.
    """
    operation = BulkOperation(operation)
    shares = _shares(resolver, limiter)
    source = subjects if iter(subjects) is not subjects else tuple(subjects)
    target = _output_directory(operation, out_dir)
    if concurrency != "auto" and (not isinstance(concurrency, int) or concurrency < 1):
        raise ValueError("concurrency must be a positive integer or 'auto'")
    if operation is BulkOperation.OBJECT and not all(
        isinstance(r, ObjectingResolver) for _, r, _ in shares
    ):
        raise ValueError(
            "a bulk objection needs a resolver that acts on objections (an ObjectingResolver)"
        )
    if not all(isinstance(r, LookupResolver) for _, r, _ in shares) and any(
        s.search for s in source
    ):
        raise ValueError(
            "the input names email addresses, phones or external ids but the resolver cannot"
            " look them up (it is not a LookupResolver)"
        )
    if target is not None:
        for name, _, _ in shares:
            make_private_directory(target / name)

    if options is not None:
        chosen = dict(options)
    else:
        chosen = run_options(shares[0][1], operation)
        if shares[0][0]:
            del chosen["resolver"]  # each workspace's resolver has its own name
    if include_phone_only:
        chosen["include_phone_only"] = "yes"
    registration = journal.register(
        operation, source, options=chosen, workspaces=[name for name, _, _ in shares]
    )
    states = {SubjectState.PENDING, SubjectState.RUNNING}
    if retry_failed:
        states.add(SubjectState.FAILED)
    runs: list[tuple[_Run, int]] = []
    # The run's own threads for its file writes: the caller's loop and its default
    # executor stay as they were (a resolver runs its calls in threads of its own).
    files = ThreadPoolExecutor(max_workers=_FILE_WRITERS, thread_name_prefix="dsr-bulk")
    for name, share_resolver, share_limiter in shares:
        counts = journal.counts(name)
        runnable = sum(counts.get(state, 0) for state in states)
        skipped = counts.get(SubjectState.DONE, 0)
        run = _Run(
            resolver=share_resolver,
            operation=operation,
            journal=journal,
            limiter=share_limiter,
            retry=retry or RetryPolicy(),
            out_dir=None if target is None else target / name,
            progress=progress,
            work=journal.entries(source, states, name),
            stats=_Stats(total=registration.total, skipped=skipped, runnable=runnable),
            workspace=name or None,
            files=files,
            include_phone_only=include_phone_only,
        )
        if concurrency == "auto":
            ceiling = AUTO_CONCURRENCY_MAX if share_limiter is not None else _AUTO_WITHOUT_LIMITER
        else:
            ceiling = concurrency
        runs.append((run, max(1, min(ceiling, runnable))))
    if len(runs) > 1 and progress is not None:
        _Progress(progress, [run for run, _ in runs])
    with files:
        await asyncio.gather(
            *(_drive(run, workers, auto=concurrency == "auto") for run, workers in runs)
        )
    dropped = subjects.duplicates if isinstance(subjects, SubjectList) else 0
    duplicates = registration.duplicates + dropped
    summaries = [run.summary(duplicates=duplicates) for run, _ in runs]
    return summaries[0] if not shares[0][0] else _combined(summaries)


async def _drive(run: _Run, workers: int, *, auto: bool) -> None:
    """Work through one run's (one workspace's) subjects with ``workers`` workers."""
    gate = _Gate(run.auto_capacity(workers) if auto else workers)
    limiter = run.limiter
    run.report_progress()
    tasks = [asyncio.create_task(run.worker(gate, auto=auto, cap=workers)) for _ in range(workers)]
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
            # Worker threads still inside a resolver call (or queued in the limiter)
            # would otherwise send their next requests after the run has stopped, for
            # nobody to record. The limiter stays stopped: those threads may outlive us.
            limiter.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    if run.stopped is not None and limiter is not None:
        limiter.resume()  # every worker is back: nothing of this run is left to send


def _shares(
    resolver: Resolver | Sequence[Resolver],
    limiter: RateLimiter | Mapping[str, RateLimiter] | None,
) -> list[tuple[str, Resolver, RateLimiter | None]]:
    """(workspace, resolver, limiter) for each workspace; ``""`` for a single resolver."""
    if not isinstance(resolver, Sequence):
        if isinstance(limiter, Mapping):
            raise ValueError("a single resolver takes a single limiter, not a mapping")
        return [("", resolver, limiter)]
    names = [r.name for r in resolver]
    if not names or len(set(names)) != len(names) or not all(map(_WORKSPACE_NAME.fullmatch, names)):
        raise ValueError(
            "a run over several workspaces needs resolvers with distinct names of letters, "
            "digits, '.', '_' and '-' (not starting with '.'): they name its rows and folders"
        )
    if isinstance(limiter, RateLimiter):
        raise ValueError(
            "a run over several workspaces needs one limiter per workspace (a mapping from "
            "resolver name to limiter), since each workspace has its own rate limit"
        )
    limiters = dict(limiter or {})
    unknown = set(limiters) - set(names)
    if unknown:
        raise ValueError("a limiter is named for a resolver the run was not given")
    return [(r.name, r, limiters.get(r.name)) for r in resolver]


def _combined(summaries: Sequence[BulkSummary]) -> BulkSummary:
    """One summary of a run over several workspaces: sums, the first stop, and each one."""
    elapsed = max(s.elapsed_seconds for s in summaries)
    finished = sum(s.done + s.failed for s in summaries)
    stopped = next((s for s in summaries if s.stopped is not None), None)
    counts = (
        "total",
        "skipped",
        "done",
        "failed",
        "not_found",
        "objected",
        "already_objected",
        "retries",
        "rate_limited",
    )
    return BulkSummary(
        operation=summaries[0].operation,
        duplicates=summaries[0].duplicates,
        **_sums(summaries, (*counts, "pending")),
        elapsed_seconds=elapsed,
        rate=finished / elapsed if elapsed > 0 else 0.0,
        stopped=None if stopped is None else stopped.stopped,
        stop_cause=None if stopped is None else stopped.stop_cause,
        stop_detail=None if stopped is None else stopped.stop_detail,
        workspaces=tuple(summaries),
    )


def _sums(models: Sequence[BaseModel], names: Sequence[str]) -> dict[str, int]:
    """The sum of each named count over ``models`` (one workspace's summary or progress each)."""
    dumps = [model.model_dump(include=set(names)) for model in models]
    return {name: sum(dump[name] for dump in dumps) for name in names}


class _Progress:
    """Sums the progress of several workspaces' runs into one callback."""

    def __init__(self, callback: ProgressCallback, runs: Sequence[_Run]) -> None:
        self._callback = callback
        self._latest: dict[int, BulkProgress] = {}
        self._runs = len(runs)
        for index, run in enumerate(runs):
            run.progress = lambda p, i=index: self._report(i, p)

    def _report(self, index: int, progress: BulkProgress) -> None:
        self._latest[index] = progress
        if len(self._latest) < self._runs:
            return  # each workspace reports once as it starts: sums only once all have
        every = list(self._latest.values())
        left = sum(p.total - p.done - p.failed for p in every)
        rate = sum(p.rate for p in every)
        counts = ("total", "done", "failed", "skipped", "in_flight", "retries", "rate_limited")
        self._callback(
            BulkProgress(
                **_sums(every, counts),
                rate=rate,
                elapsed_seconds=max(p.elapsed_seconds for p in every),
                eta_seconds=left / rate if rate > 0 else (0.0 if left == 0 else None),
            )
        )


async def subject_contacts(
    resolver: Resolver, subject: Subject
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The ids a subject names, ``(reached, phone_only)``, in one lookup.

    ``reached``: the contact id the row gives, and every subject the email or external id
    leads to (a subject holding the phone too among them). ``phone_only``: the subjects only
    the phone number leads to (``matched_on == {"phone"}``), which an erasure leaves out
    unless asked: phone numbers are reassigned.
    """
    reached = [] if subject.contact_id is None else [subject.contact_id]
    phone_only: list[str] = []
    if subject.search:
        assert isinstance(resolver, LookupResolver)  # checked before a run or plan starts
        for match in await resolver.find_subjects(**subject.search):
            (phone_only if match.matched_on == {"phone"} else reached).append(match.ref.value)
    reached = list(dict.fromkeys(reached))
    return tuple(reached), tuple(i for i in dict.fromkeys(phone_only) if i not in reached)


def run_options(resolver: Resolver, operation: BulkOperation | str) -> dict[str, str]:
    """What decides a run's outcome besides its input, as the journal records it.

    The resolver's name, and what a ``ConfiguredResolver`` names for the operation (Intercom:
    its ``erasure_policy``, or its export ``sections``).
    """
    options: dict[str, str] = {"resolver": resolver.name}
    if isinstance(resolver, ConfiguredResolver):
        options |= resolver.options_for(_operation(BulkOperation(operation)))
    return options


def _operation(operation: BulkOperation) -> Operation:
    return operation.value


def _output_directory(operation: BulkOperation, out_dir: str | Path | None) -> Path | None:
    if operation is BulkOperation.EXPORT and out_dir is None:
        raise ValueError("a bulk export needs out_dir, the directory for the export files")
    if operation is not BulkOperation.EXPORT and out_dir is not None:
        raise ValueError(f"a bulk {operation.value} writes no files; out_dir is for exports")
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


class _StoppedError(Exception):
    """The run is stopping: the subject is left as it is, for a rerun."""


class _LocalFailureError(Exception):
    """Writing the journal or an export file failed: the run must stop."""

    def __init__(self, info: FailureInfo, detail: str) -> None:
        super().__init__(detail)
        self.info = info
        self.detail = detail


@dataclass
class _Stats:
    total: int
    skipped: int
    runnable: int
    done: int = 0
    failed: int = 0
    pending: int = 0
    not_found: int = 0
    objected: int = 0
    already_objected: int = 0
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
    work: Iterator[JournalEntry]
    stats: _Stats
    files: Executor
    include_phone_only: bool = False
    rng: random.Random = field(default_factory=random.Random)
    stopped: StopReason | None = None
    stop_cause: FailureInfo | None = None
    stop_detail: str | None = None
    workspace: str | None = None

    # -- scheduling ------------------------------------------------------------------------

    @property
    def in_flight_per_subject(self) -> int:
        """Requests one subject keeps in flight, as a ``ConcurrentResolver`` states it for this
        operation (Intercom: ``max_in_flight`` only where it fans out over conversations);
        1 for any other resolver."""
        if not isinstance(self.resolver, ConcurrentResolver):
            return 1
        return max(1, self.resolver.requests_in_flight(_operation(self.operation)))

    def auto_capacity(self, cap: int) -> int:
        if self.limiter is None:
            return cap
        requests = self.limiter.suggested_concurrency()
        return max(1, min(cap, requests // self.in_flight_per_subject))

    async def worker(self, gate: _Gate, *, auto: bool, cap: int) -> None:
        while self.stopped is None:
            await gate.acquire()
            capacity: int | None = None
            try:
                entry = None if self.stopped is not None else next(self.work, None)
                if entry is None:
                    return
                await self.handle(entry)
            except JournalError as error:  # reading the next page of work failed
                self.stop("local_failure", FailureInfo.of(error), str(error))
            finally:
                if auto:
                    capacity = self.auto_capacity(cap)
                await gate.release(capacity)

    def stop(self, reason: StopReason, info: FailureInfo, detail: str | None = None) -> None:
        """Stop the run: no new subject, and (through the limiter) no further request."""
        if self.stopped is None:
            self.stopped, self.stop_cause, self.stop_detail = reason, info, detail
            _log.warning(
                "bulk %s%s stopped: %s (%s)",
                self.operation.value,
                "" if self.workspace is None else f" in workspace {self.workspace}",
                reason,
                info.type,
            )
        if self.limiter is not None:
            self.limiter.stop()

    # -- one subject -----------------------------------------------------------------------

    async def handle(self, entry: JournalEntry) -> None:
        contacts = {c.contact_id: c for c in entry.contacts}
        self.stats.in_flight += 1
        try:
            await self.attempts(entry, contacts)
        except _LocalFailureError as failure:
            self.stop("local_failure", failure.info, failure.detail)
            self.leave_pending(entry, None)
        finally:
            self.stats.in_flight -= 1
            now = time.monotonic()
            finishes = self.stats.finishes
            finishes.append(now)
            while finishes[0] < now - _RATE_WINDOW_SECONDS:  # a rate window's worth, no more
                finishes.popleft()
            self.report_progress()

    async def attempts(self, entry: JournalEntry, contacts: dict[str, ContactOutcome]) -> None:
        # Requests the limiter lets through in each try (the resolver's threads run in a copy
        # of this context): a subject waiting for its slot, in a 429 pause, has none.
        wire = SentCounter()
        watch = wire.watching()
        try:
            await self.tries(entry, contacts, wire)
        finally:
            _WATCH.reset(watch)

    async def tries(
        self, entry: JournalEntry, contacts: dict[str, ContactOutcome], wire: SentCounter
    ) -> None:
        def before() -> None:
            if self.stopped is not None:
                raise _StoppedError
            wire.sent = 0
            self.write(self.journal.mark_running, entry.key)

        def on_retry(error: BaseException, info: FailureInfo) -> None:
            if self.stopped is not None:  # the limiter refused the request: it was not sent
                raise _StoppedError
            self.stats.rate_limited += isinstance(error, ThrottledError)
            self.write(self.journal.record_retry, entry.key, info)
            self.stats.retries += 1
            if isinstance(error, ThrottledError):  # refused unprocessed: nothing in doubt
                wire.sent = 0

        try:
            result, export_file = await retrying(
                lambda: self.attempt(entry, contacts),
                self.retry,
                before=before,
                on_retry=on_retry,
                paced=self.limiter is not None,
                rng=self.rng,
                fatal=(_LocalFailureError, _StoppedError),
            )
        except _StoppedError:
            self.leave_pending(entry, None)
            return
        except asyncio.CancelledError:
            # Cancelled mid-subject: a request sent in this try may or may not have reached
            # Intercom. The row goes back to pending, so a rerun resumes it, marked so it can
            # be counted in doubt; a try still waiting for its first slot is only pending.
            # Without a limiter nothing counts the requests: every such subject is in doubt.
            on_the_wire = wire.sent > 0 or self.limiter is None
            self.leave_pending(entry, INTERRUPTED if on_the_wire else None)
            raise
        except _LocalFailureError:
            raise
        except ResolverError as exc:
            info = FailureInfo.of(exc)
            if isinstance(exc, CredentialsError):
                self.stop("refused", info)
                self.leave_pending(entry, info)
            else:
                self.fail(entry, info)
            return
        except Exception as exc:  # out of retries
            if self.stopped is not None:
                self.leave_pending(entry, None)
                return
            info = FailureInfo.of(exc)
            self.stats.rate_limited += isinstance(exc, ThrottledError)
            self.fail(entry, info)
            return
        self.write(
            self.journal.mark_done,
            entry.key,
            result,
            list(contacts.values()),
            export_file=export_file,
        )
        self.stats.done += 1
        if result == "not_found":
            self.stats.not_found += 1
        elif result == "objected":
            self.stats.objected += 1
        elif result == "already_objected":
            self.stats.already_objected += 1

    def write(self, method: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        """A journal write; its failure stops the run (the journal is the run's memory)."""
        try:
            method(*args, **kwargs)
        except JournalError as error:
            raise _LocalFailureError(FailureInfo.of(error), str(error)) from None

    def leave_pending(self, entry: JournalEntry, info: FailureInfo | None) -> None:
        self.stats.pending += 1
        # On a failing journal the row stays "running", which a rerun resumes just the same.
        with contextlib.suppress(JournalError):
            self.journal.mark_pending(entry.key, info)

    def fail(self, entry: JournalEntry, info: FailureInfo) -> None:
        self.write(self.journal.mark_failed, entry.key, info)
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
        contact_ids, phone_only = await subject_contacts(self.resolver, entry.subject)
        if self.operation is BulkOperation.EXPORT:
            return await self.export(entry, contact_ids + phone_only, contacts)
        if self.include_phone_only:
            contact_ids, phone_only = contact_ids + phone_only, ()
        self.found(entry, contact_ids, phone_only, contacts)
        if self.operation is BulkOperation.OBJECT:
            return await self.object(entry, contacts), None
        return await self.erase(entry, contacts), None

    def found(
        self,
        entry: JournalEntry,
        contact_ids: tuple[str, ...],
        phone_only: tuple[str, ...],
        contacts: dict[str, ContactOutcome],
    ) -> None:
        """Journal every id the lookup resolved to (intent), before the first change."""
        new = [cid for cid in dict.fromkeys(contact_ids) if cid not in contacts]
        for contact_id in new:
            contacts[contact_id] = ContactOutcome(contact_id=contact_id, result="found")
        for contact_id in phone_only:
            contacts.setdefault(
                contact_id, ContactOutcome(contact_id=contact_id, result="left_out")
            )
        if (new or phone_only) and entry.subject.search:
            self.record(entry, contacts)

    async def object(
        self, entry: JournalEntry, contacts: dict[str, ContactOutcome]
    ) -> SubjectResult:
        assert isinstance(self.resolver, ObjectingResolver)  # checked before the run started
        finished = ("objected", "already_objected", "already_absent", "left_out")
        for contact_id, known in list(contacts.items()):
            if known.result in finished:
                continue
            requested_before = known.result == "requested"
            if not requested_before:
                contacts[contact_id] = ContactOutcome(contact_id=contact_id, result="requested")
                self.record(entry, contacts)
            objection = await self.resolver.object_to_marketing(self.ref(contact_id))
            result: ContactResult = "objected"
            if objection.already_absent:
                result = "already_absent"
            elif not objection.changed and not requested_before:
                result = "already_objected"
            contacts[contact_id] = ContactOutcome(contact_id=contact_id, result=result)
        reached = {c.result for c in contacts.values()}
        if "objected" in reached:
            return "objected"
        if "already_objected" in reached:
            return "already_objected"
        if reached == {"left_out"}:
            return "left_out"
        return "not_found"

    async def erase(
        self, entry: JournalEntry, contacts: dict[str, ContactOutcome]
    ) -> SubjectResult:
        for contact_id, known in list(contacts.items()):
            if known.result in ("deleted", "already_absent", "left_out"):
                continue
            requested_before = known.result == "requested"
            if not requested_before:
                contacts[contact_id] = known.model_copy(update={"result": "requested"})
                self.record(entry, contacts)
            try:
                if isinstance(self.resolver, LedgeredResolver):
                    ledger = _ContactLedger(self, entry, contacts, contact_id)
                    erasure = await self.resolver.erase_with_ledger(self.ref(contact_id), ledger)
                else:
                    erasure = await self.resolver.erase_subject(self.ref(contact_id))
            except ResolverError:
                if not requested_before:  # a definite "no" (409, 422): the contact stays,
                    # but what its erasure announced (and may have deleted) stays announced
                    announced = contacts[contact_id].found
                    contacts[contact_id] = known.model_copy(update={"found": announced})
                    self.record(entry, contacts)
                raise
            gone_before_us = erasure.already_absent and not requested_before
            contacts[contact_id] = ContactOutcome(
                contact_id=contact_id,
                result="already_absent" if gone_before_us else "deleted",
                found={kind: ids for kind, ids in erasure.found.items() if ids},
            )
        if not contacts:
            return "not_found"
        if any(c.result == "deleted" for c in contacts.values()):
            return "erased"
        if all(c.result == "left_out" for c in contacts.values()):
            return "left_out"
        return "already_absent"

    def record(self, entry: JournalEntry, contacts: dict[str, ContactOutcome]) -> None:
        self.write(self.journal.record_contacts, entry.key, list(contacts.values()))

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
                result=(
                    "exported"
                    if export.records
                    else "not_visible"  # no read shows it, yet it may be held (archived)
                    if export.presence is Presence.NOT_VISIBLE
                    else "not_found"
                ),
                records=len(export.records),
            )
        reached = {c.result for c in contacts.values()}
        result: SubjectResult = "not_found"
        if "exported" in reached:
            result = "exported"
        elif "not_visible" in reached:
            result = "not_visible"
        # One file format for single and bulk exports: dsr_resolvers._bundle.
        name = export_file_name(entry.subject.line, entry.key)
        surface = (
            self.resolver.covered_surface if isinstance(self.resolver, AttestingResolver) else None
        )
        payload = ExportBundle.now(
            self.resolver.name,
            [
                SubjectRecords(contact_id, export.records, None, export.held_not_exported)
                for contact_id, export in exports
            ],
            surface,
            input={"line": entry.subject.line, "key": entry.key},
        ).document()
        assert self.out_dir is not None  # checked before the run started
        try:
            await asyncio.get_running_loop().run_in_executor(
                self.files, write_json_atomically, self.out_dir / name, payload
            )
        except OSError as error:
            code = errno.errorcode.get(error.errno or 0, type(error).__name__)
            raise _LocalFailureError(
                FailureInfo(type=type(error).__name__),
                f"cannot write an export file in {self.out_dir}: "
                f"{error.strerror or type(error).__name__} ({code})",
            ) from None
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
        left = max(0, stats.runnable - stats.done - stats.failed - stats.pending)
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
            objected=stats.objected,
            already_objected=stats.already_objected,
            retries=stats.retries,
            rate_limited=stats.rate_limited,
            elapsed_seconds=elapsed,
            rate=finished / elapsed if elapsed > 0 else 0.0,
            pending=max(0, stats.runnable - finished),
            stopped=self.stopped,
            stop_cause=self.stop_cause,
            stop_detail=self.stop_detail,
            workspace=self.workspace,
        )


class _ContactLedger:
    """The contract's ``ErasureLedger`` for one contact, kept in its journal row: each
    announced deletion is committed before the resolver sends it. Called from the
    resolver's worker threads, hence the lock (the journal has its own)."""

    def __init__(
        self, run: _Run, entry: JournalEntry, contacts: dict[str, ContactOutcome], contact_id: str
    ) -> None:
        self._run = run
        self._entry = entry
        self._contacts = contacts
        self._contact_id = contact_id
        self._lock = threading.Lock()

    def intended(self) -> ItemIds:
        with self._lock:
            return dict(self._contacts[self._contact_id].found)

    def intend(self, kind: str, item_id: str) -> None:
        with self._lock:
            known = self._contacts[self._contact_id]
            found = dict(known.found)
            found[kind] = (*found.get(kind, ()), item_id)
            self._contacts[self._contact_id] = known.model_copy(update={"found": found})
            self._run.record(self._entry, self._contacts)
