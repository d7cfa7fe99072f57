"""What a bulk run tells its caller: live progress, a final summary, a per-subject report.

A compliance run ends in two artefacts: a summary a human reads ("4,998 erased, 2 failed"),
and a machine-readable report an audit trail keeps. Both hold identifiers only (the
journal's keyed hash of each input line, Intercom contact ids, line numbers), never an email
address or a token, so either can be attached to a ticket.

| value              | when                         | holds                                        |
|--------------------|------------------------------|----------------------------------------------|
| ``BulkProgress``   | after each subject, at start | counts, subjects a second, ETA               |
| ``BulkSummary``    | returned by ``run_bulk``     | counts of this run and of the journal        |
| ``BulkReport``     | ``Journal.report()``         | one ``SubjectOutcome`` per distinct subject  |

Subject results, and the contact results they are made of:

| operation | subject ``result``    | meaning                                                   |
|-----------|-----------------------|-----------------------------------------------------------|
| erase     | ``erased``            | at least one contact deleted by this journal's runs (a    |
|           |                       | 404 after this journal asked for the deletion counts too) |
| erase     | ``already_absent``    | every contact was gone before this journal asked (404)    |
| erase     | ``not_found``         | the email address matched no contact: nothing held        |
| erase     | ``left_out``          | only contacts the phone number alone led to were found;   |
|           |                       | left out (numbers are reassigned): ``include_phone_only`` |
| export    | ``exported``          | every contact exported into the subject's file            |
| export    | ``not_found``         | no contact (an unknown address, or a 404 on the id even   |
|           |                       | to unarchive it, with ``export_archived``)                |
| export    | ``not_visible``       | a 404 on the id without ``export_archived``: the contact  |
|           |                       | may be archived, so held: rerun with ``export_archived``  |
| object    | ``objected``          | at least one contact's marketing turned off by this       |
|           |                       | journal's runs, and read back                             |
| object    | ``already_objected``  | every contact reached showed marketing off already        |
| object    | ``not_found``         | no contact: the identifiers matched none, or the id is    |
|           |                       | unknown even to unarchive it                              |
| object    | ``left_out``          | as for erase: only phone-only contacts were found         |

Contact results: ``found`` (looked up, nothing sent yet) and ``requested`` (the erasure was
sent, its answer not yet recorded: in doubt) appear only on subjects not yet ``done``; they are
what lets a resumed run, and a reader of the report, name every contact a subject had.
``left_out``: found by the row's phone number alone and not erased (no ``include_phone_only``).
``requested`` is also an objection sent and not yet recorded; a resumed run sends it again
(an objection is idempotent) and, since its own earlier request may be what turned marketing
off, records the contact ``objected``, never ``already_objected``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Final, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field

from dsr_resolvers._files import write_atomically
from dsr_resolvers.bulk._inputs import SubjectKind
from dsr_resolvers.contract import ResolverError

__all__ = [
    "BulkOperation",
    "BulkProgress",
    "BulkReport",
    "BulkSummary",
    "ContactOutcome",
    "FailureInfo",
    "RunSettings",
    "StopReason",
    "SubjectOutcome",
    "SubjectResult",
    "SubjectState",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BulkOperation(StrEnum):
    """What a bulk run does to each subject."""

    ERASE = "erase"
    EXPORT = "export"
    OBJECT = "object"


class SubjectState(StrEnum):
    """Where one subject stands in the journal.

    ``running`` survives only a run that was killed: the next run retries it.
    """

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


SubjectResult = Literal[
    "erased",
    "already_absent",
    "not_found",
    "not_visible",
    "exported",
    "left_out",
    "objected",
    "already_objected",
]
ContactResult = Literal[
    "found",
    "requested",
    "deleted",
    "already_absent",
    "exported",
    "not_found",
    "not_visible",
    "left_out",
    "objected",
    "already_objected",
]
StopReason = Literal["refused", "local_failure"]
"""Why a run stopped before its input was worked through (see :class:`BulkSummary`)."""


class ContactOutcome(_Frozen):
    """What happened to one Intercom contact of a subject.

    Attributes:
        contact_id: The Intercom contact id.
        result: ``deleted`` / ``already_absent`` (erase), ``exported`` / ``not_found``
            (export), ``objected`` / ``already_objected`` / ``already_absent`` (object);
            ``found`` / ``requested`` while the subject is unfinished.
        records: How many export records the contact yielded (export only).
        found: Ids by kind (Intercom: ``conversation``, ``ticket``) of the items the erasure
            found (``ResolverErasure.found``, for a read-back); while the subject is
            unfinished, the deletions a ``LedgeredResolver`` announced before sending them, so
            a resumed run neither repeats nor loses one. Ids only, kept out of ``repr``, and
            left out of the JSON when empty.
    """

    contact_id: str = Field(repr=False)
    result: ContactResult
    records: int | None = None
    found: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, repr=False, exclude_if=lambda found: not found
    )


class FailureInfo(_Frozen):
    """Why an attempt failed: the exception's type and the HTTP status, nothing else.

    Attributes:
        type: The exception class name, e.g. ``IntercomRejectedError`` or ``ConnectTimeout``.
        status: The HTTP status when there was a response.
    """

    type: str
    status: int | None = None

    @classmethod
    def of(cls, exc: BaseException) -> FailureInfo:
        """Describe ``exc`` by type and status only; its message is never read."""
        status = None
        if isinstance(exc, ResolverError):
            status = exc.status_code
        elif isinstance(exc, httpx.HTTPStatusError):
            status = exc.response.status_code
        return cls(type=type(exc).__name__, status=status)


INTERRUPTED: Final = FailureInfo(type="Interrupted")
"""The mark of a subject a cancelled run put back to ``pending`` mid-work: a request of it may
or may not have reached Intercom, so it is in doubt until a rerun finishes it."""


class RunSettings(_Frozen):
    """What a journal was asked to do; a rerun that differs in any of it is refused.

    Attributes:
        operation: ``erase``, ``export`` or ``object``.
        options: The erasure policy or the export options, as text.
        input_lines: Subject lines of the input, duplicates included.
        input_subjects: Distinct subjects of the input.
    """

    operation: BulkOperation
    options: dict[str, str]
    input_lines: int
    input_subjects: int


class SubjectOutcome(_Frozen):
    """One distinct subject of the input, as the journal knows it.

    Attributes:
        key: The keyed hash of the normalised input line (see ``journal_key``).
        line: The 1-based number of the first input line naming the subject.
        kind: The row's one kind of identifier, or ``person`` for a row of several.
        kinds: Every kind of identifier the row carried (never the values): how the
            person was looked for.
        reference: The DPO's own reference for the row (a ``reference`` column), if any.
        state: ``pending``, ``running``, ``done`` or ``failed``.
        attempts: Attempts made over all runs of this journal.
        result: The subject's result once ``done``.
        contacts: What happened to each contact reached, in the order reached.
        error: The last failure, when the subject failed or was retried.
        export_file: The export file's name inside the output directory (export only).
        workspace: The workspace the row is for, in a run over several workspaces.
    """

    key: str = Field(repr=False)
    line: int
    kind: SubjectKind
    kinds: tuple[SubjectKind, ...] = ()
    reference: str | None = Field(default=None, repr=False)
    state: SubjectState
    attempts: int = 0
    result: SubjectResult | None = None
    contacts: tuple[ContactOutcome, ...] = ()
    error: FailureInfo | None = None
    export_file: str | None = Field(default=None, repr=False)
    workspace: str | None = None


class BulkProgress(_Frozen):
    """A snapshot of a running bulk operation, for a progress bar.

    Attributes:
        total: Distinct subjects in the input.
        done: Subjects finished successfully, including earlier runs of the journal.
        failed: Subjects that failed for good in this run.
        skipped: Subjects already finished by an earlier run (included in ``done``).
        in_flight: Subjects being worked on right now.
        retries: Extra attempts made so far in this run.
        rate_limited: 429 answers seen so far in this run.
        rate: Subjects finished a second, over the last few seconds.
        elapsed_seconds: Time since this run started.
        eta_seconds: Estimated time to finish, ``None`` until a rate is known.
    """

    total: int
    done: int
    failed: int
    skipped: int
    in_flight: int
    retries: int
    rate_limited: int
    rate: float
    elapsed_seconds: float
    eta_seconds: float | None

    @property
    def finished(self) -> int:
        """Subjects no longer waiting: done plus failed."""
        return self.done + self.failed


class BulkSummary(_Frozen):
    """What one bulk run did.

    Attributes:
        operation: ``erase``, ``export`` or ``object``.
        total: Distinct subjects in the input.
        duplicates: Input lines dropped because they named a subject seen before.
        skipped: Subjects already finished by an earlier run of the journal, not touched.
        done: Subjects finished successfully in this run (``not_found`` included).
        failed: Subjects that failed in this run (non-retryable, or out of attempts).
        not_found: Subjects of this run for which Intercom held nothing.
        objected: Object: subjects of this run whose marketing was turned off.
        already_objected: Object: subjects of this run whose marketing was off already.
        retries: Extra attempts made in this run.
        rate_limited: 429 answers seen in this run.
        elapsed_seconds: Wall time of this run.
        rate: Subjects finished a second in this run.
        pending: Subjects left unfinished by this run (``pending`` or ``running``): a stop, or
            ``retry_failed=False``; a rerun with the same journal resumes them.
        stopped: Why the run stopped early, or ``None``: ``refused`` (Intercom answered 401 or
            403: the credentials, not the subject), ``local_failure`` (an export file or the
            journal could not be written).
        stop_cause: What stopped it, by exception type and status only.
        stop_detail: For a local failure, what could not be written and why (a path and an
            error name, never data).
        workspace: The workspace this summary is for (one of ``workspaces``).
        workspaces: In a run over several workspaces, one summary per workspace, in the
            order given; the counts above are their sums, and ``stopped`` the first stop
            among them (one workspace's refused token stops its share only).
    """

    operation: BulkOperation
    total: int
    duplicates: int
    skipped: int
    done: int
    failed: int
    not_found: int
    retries: int
    rate_limited: int
    elapsed_seconds: float
    rate: float
    pending: int = 0
    objected: int = 0
    already_objected: int = 0
    stopped: StopReason | None = None
    stop_cause: FailureInfo | None = None
    stop_detail: str | None = None
    workspace: str | None = None
    workspaces: tuple[BulkSummary, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether every subject of the input is now finished successfully."""
        return self.stopped is None and self.failed == 0 and self.skipped + self.done == self.total


class BulkReport(_Frozen):
    """The machine-readable outcome of a journal: every subject, identifiers only.

    Attributes:
        operation: ``erase``, ``export`` or ``object``.
        generated_at: When the report was made (UTC).
        counts: Subjects by state.
        subjects: One outcome per distinct subject, in input order.
        options: The erasure policy or export options the journal was run with.
        workspaces: Subjects by state in each workspace, for a journal of several
            workspaces (``subjects`` are then grouped by workspace).
    """

    operation: BulkOperation
    generated_at: datetime
    counts: dict[SubjectState, int]
    subjects: tuple[SubjectOutcome, ...]
    options: dict[str, str] = {}
    workspaces: dict[str, dict[SubjectState, int]] = {}

    def write(self, path: str | Path) -> None:
        """Write the report as JSON, atomically, readable by the owner only.

        Args:
            path: The file to create or replace.
        """
        head = self.model_dump(mode="json", exclude={"subjects"})
        write_atomically(Path(path), report_chunks(head, iter(self.subjects)))


def report_chunks(head: dict[str, object], subjects: Iterator[SubjectOutcome]) -> Iterator[bytes]:
    """The report's JSON, a subject at a time, so that writing it needs no list of them all."""
    yield json.dumps(head, ensure_ascii=False, sort_keys=True)[:-1].encode()
    yield b', "subjects": ['
    for number, subject in enumerate(subjects):
        yield (b",\n" if number else b"\n") + subject.model_dump_json().encode()
    yield b"\n]}\n"
