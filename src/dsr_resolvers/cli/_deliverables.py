"""The CLI side of the deliverables: the HTML access report and the erasure receipts.

The library (:mod:`dsr_resolvers.report`) renders and models; this module reads the options,
reads back what Intercom holds after an erasure, and writes the files:

| option                                 | command       | writes                             |
|----------------------------------------|---------------|------------------------------------|
| ``--processing-record FILE`` /         | ``export``    | fills legal basis, purpose and     |
| ``DSR_PROCESSING_RECORD``              |               | retention on every record          |
| ``--format html``                      | ``export``    | one access report for every        |
|                                        |               | contact of the request             |
| ``--receipt FILE.json``                | ``erase``     | the receipt, after a read-back     |
| ``--receipt-html FILE``                | ``erase``     | the receipt as HTML                |
| ``--receipts DIR``                     | ``bulk erase``, | ``<reference>.json`` (else        |
|                                        | ``bulk status`` | ``<key>.json``) per subject the  |
|                                        |               | journal records finished, unless   |
|                                        |               | already there                      |

A bulk receipt's file name and ``subject_reference`` are the row's ``reference`` column when
it has one, else the row's 64-character journal key:

| the reference                                    | the file                                 |
|--------------------------------------------------|------------------------------------------|
| unique in its workspace                          | ``<reference>.json``, a space as ``_``   |
| shared with another row (letter case and ``_``/  | ``<reference>~<first 12 of the key>.json``|
| space ignored, as file systems may), 64 hex      | (``~`` is never in a reference, so no    |
| digits (a key's shape), or a Windows device name | name can collide)                        |
| absent                                           | ``<key>.json``                           |

A receipt is written even when a contact failed (its status then says ``incomplete``) and when
no contact held the email (no contacts: nothing was held). Bulk receipts come from the journal
alone, whichever run finished the subject (one killed leaves them to the rerun or to ``bulk
status --receipts DIR``), without a read-back (``unverified``: reading 50,000 contacts back is
``dsr intercom verify``'s run); ``requested_at`` is the journal's creation, ``completed_at``
when it recorded the subject done.
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Literal, cast, get_args

from dsr_resolvers._bundle import ExportBundle
from dsr_resolvers._files import make_private_directory
from dsr_resolvers.bulk import ContactOutcome, Journal, SubjectOutcome
from dsr_resolvers.cli._errors import CliError, SubjectFailedError
from dsr_resolvers.cli._options import PROCESSING_RECORD_ENV
from dsr_resolvers.cli._output import Io, check_destination, write_text_atomically
from dsr_resolvers.cli._retry import call_with_retries
from dsr_resolvers.cli._settings import Connection
from dsr_resolvers.contract import ResolverErasure, ResolverExport, SubjectRef
from dsr_resolvers.intercom import ContactMatch, IntercomResolver
from dsr_resolvers.report import (
    LANGUAGES,
    ContactErasure,
    ErasureReceipt,
    LookedFor,
    ProcessingRecord,
    ProcessingRecordError,
    ReadBack,
    render_access_report,
    render_erasure_receipt,
    surface_digest,
)

__all__ = [
    "BulkReceipts",
    "ReceiptRequest",
    "check_language",
    "load_processing_record",
    "write_access_report",
    "write_erasure_receipt",
]


def _write(path: Path, text: str, what: str) -> None:
    try:
        write_text_atomically(path, text)
    except OSError as error:
        raise CliError(
            f"cannot write the {what} {path}: {error.strerror or type(error).__name__}; "
            "check that the directory exists and is writable"
        ) from error


def check_language(language: str) -> str:
    """``language`` when the report ships it, else a :class:`CliError` (exit 2)."""
    if language not in LANGUAGES:
        raise CliError(f"--language takes one of {', '.join(LANGUAGES)}")
    return language


def load_processing_record(path: Path | None) -> ProcessingRecord | None:
    """The record of processing named by ``--processing-record`` or ``DSR_PROCESSING_RECORD``;
    a :class:`CliError` (exit 2) names every problem of an invalid one, with its line."""
    if path is None:
        named = os.environ.get(PROCESSING_RECORD_ENV, "").strip()
        if not named:
            return None
        path = Path(named)
    try:
        return ProcessingRecord.from_toml(path)
    except ProcessingRecordError as error:
        raise CliError(
            f"invalid processing record: {len(error.problems)} problem(s), one a line below",
            details=error.problems,
        ) from error
    except (OSError, UnicodeDecodeError) as error:
        reason = (error.strerror if isinstance(error, OSError) else None) or type(error).__name__
        raise CliError(f"cannot read the processing record {path}: {reason}") from error


def write_access_report(
    io: Io,
    bundle: ExportBundle,
    out: Path | None,
    *,
    processing: ProcessingRecord | None,
    language: str = "en",
    searched: Sequence[LookedFor] | None = None,
) -> None:
    """Render the bundle as one HTML access report and write it to ``out`` (or stdout);
    ``searched`` says how the person was looked for (kinds, never values)."""
    if bundle.covered_surface is None:
        # The report must say what it does not cover; without the surface it cannot.
        raise CliError("this export declares no covered surface, so no access report is written")
    exports = {
        subject.contact_id: ResolverExport(
            resolver=bundle.resolver,
            records=subject.records,
            held_not_exported=subject.held_not_exported,
        )
        for subject in bundle.subjects
    }
    html = render_access_report(
        exports,
        bundle.covered_surface,
        processing,
        language=check_language(language),
        produced_at=bundle.generated_at,
        searched=searched,
    )
    if out is None:
        io.write(html)
        return
    _write(out, html, "access report")
    io.status(
        f"Wrote the access report ({bundle.record_count} record(s) of {len(bundle.subjects)} "
        f"contact(s)):\n  {out}"
    )
    if processing is None:
        io.status("note: without --processing-record, the report lacks the Art. 15(1) information")


@dataclass(frozen=True)
class ReceiptRequest:
    """Where ``dsr intercom erase`` writes its receipt (JSON, HTML or both), and what it
    records: the caller's reference (never an email), the HTML's language, when the command
    started, and how the person was looked for (identifier kinds, never values)."""

    json_path: Path | None
    html_path: Path | None = None
    reference: str | None = None
    language: str = "en"
    requested_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    looked_for: tuple[LookedFor, ...] | None = None

    @classmethod
    def from_options(
        cls,
        json_path: Path | None,
        html_path: Path | None,
        *,
        reference: str | None,
        language: str,
        dry_run: bool,
    ) -> ReceiptRequest | None:
        """The request the options make, or ``None`` when no receipt is asked for; a receipt
        with ``--dry-run``, an email as the reference or an unknown language exit 2."""
        if json_path is None and html_path is None:
            if reference is not None:
                raise CliError("--reference is recorded in a receipt: add --receipt FILE.json")
            return None
        if dry_run:
            raise CliError("--dry-run erases nothing, so there is no receipt to write")
        check_destination(json_path, "--receipt")
        check_destination(html_path, "--receipt-html")
        if reference is not None and ("@" in reference or not reference.strip()):
            raise CliError("--reference must be your own request reference, not an email")
        return cls(json_path, html_path, reference, check_language(language))


def _entry(
    connection: Connection, resolver: IntercomResolver, io: Io, match: ContactMatch, outcome: object
) -> ContactErasure:
    """A contact's receipt entry; an erased one is read back first (each item it found)."""
    if not isinstance(outcome, ResolverErasure):
        reason = outcome.reason if isinstance(outcome, SubjectFailedError) else "unknown"
        return ContactErasure(contact_id=match.id, outcome="failed", detail=f"failed: {reason}")
    ref = SubjectRef(kind=resolver.name, value=match.id)
    erasure = outcome

    async def verify() -> ReadBack:
        check = await call_with_retries(
            lambda: resolver.verify_erasure(ref, found=erasure.found),
            policy=connection.retry,
            base_url=connection.base_url,
        )
        return ReadBack.of(check)

    try:
        read_back: ReadBack | None = asyncio.run(verify())
    except SubjectFailedError as failure:
        io.error(f"reading back contact {match.id} failed: {failure.reason}")
        read_back = None
    return ContactErasure.of(match.id, outcome, read_back)


def write_erasure_receipt(
    connection: Connection,
    io: Io,
    resolver: IntercomResolver,
    outcomes: Sequence[tuple[ContactMatch, object]],
    request: ReceiptRequest,
) -> ErasureReceipt:
    """Read every erased contact back, then write the receipt where ``request`` says.

    ``outcomes`` holds each contact with its ``ResolverErasure`` or ``SubjectFailedError``;
    the resolver's policy and covered surface are recorded. Returns the receipt written.
    """
    contacts = tuple(_entry(connection, resolver, io, *outcome) for outcome in outcomes)
    receipt = ErasureReceipt(
        subject_reference=request.reference,
        resolver=resolver.name,
        requested_at=request.requested_at,
        completed_at=datetime.now(UTC),
        policy=resolver.erasure_policy,
        contacts=contacts,
        looked_for=request.looked_for,
        surface_sha256=surface_digest(resolver.covered_surface),
    )
    html = functools.partial(render_erasure_receipt, receipt, language=request.language)
    written = ""
    for path, render in ((request.json_path, receipt.to_json), (request.html_path, html)):
        if path is not None:
            _write(path, render(), "erasure receipt")
            written += f"\n  {path}"
    io.status(f"Wrote the erasure receipt ({receipt.status}):{written}")
    return receipt


_KEY_SHAPED: Final = re.compile(r"[0-9a-f]{64}")
_DEVICE_NAMES: Final = frozenset(
    {"con", "prn", "aux", "nul"} | {f"{port}{n}" for port in ("com", "lpt") for n in range(10)}
)
_Outcome = Literal["erased", "no_contact", "failed"]
_JOURNALLED: Final[dict[str, tuple[_Outcome, str]]] = {  # a contact's result: outcome, detail
    "deleted": ("erased", ""),
    "already_absent": (  # Intercom answered not found for the id
        "no_contact",
        "no contact with this id (deleted, merged into another contact, or never existed)",
    ),
    "left_out": (
        "failed",
        "matched by phone alone and left out, not erased (phone numbers are reassigned); "
        "--include-phone-only erases such contacts",
    ),
}


@dataclass
class BulkReceipts:
    """Receipts for every subject a ``bulk erase`` journal records finished, one JSON file each.

    Whichever run finished a subject (this one, or an earlier one that was interrupted or
    killed), its receipt is written once: a subject whose receipt is already in the directory
    is left alone. So a rerun, or ``bulk status --receipts DIR``, writes exactly the missing
    ones, reading the journal a page at a time.
    """

    directory: Path
    policy: str
    resolver: str
    surface_sha256: str

    @classmethod
    def start(cls, directory: Path, resolver: IntercomResolver) -> BulkReceipts:
        """Create ``directory`` (owner-only) for the receipts of ``resolver``'s erasures."""
        try:
            make_private_directory(directory)
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise CliError(f"cannot create the receipts directory {directory}: {reason}") from None
        digest = surface_digest(resolver.covered_surface)
        return cls(directory, resolver.erasure_policy, resolver.name, digest)

    def missing(self, journal: Journal) -> int:
        """How many finished subjects have no receipt in the directory yet."""
        return sum(not path.exists() for _, _, path in self._finished(journal))

    def write(self, io: Io, journal: Journal) -> int:
        """Write the receipt of each finished subject that has none yet; returns how many."""
        written = kept = 0
        for subject, finished_at, path in self._finished(journal):
            if path.exists():
                kept += 1
                continue
            # Over several workspaces, one folder each, and each receipt names its workspace.
            receipt = ErasureReceipt(
                subject_reference=subject.reference or subject.key,
                resolver=subject.workspace or self.resolver,
                requested_at=journal.created_at,
                completed_at=finished_at,
                policy=self.policy,
                contacts=tuple(_bulk_contact(contact) for contact in subject.contacts),
                looked_for=_looked_for(subject),
                surface_sha256=self.surface_sha256,
            )
            make_private_directory(path.parent)
            _write(path, receipt.to_json(), "erasure receipt")
            written += 1
        io.status(
            f"Erasure receipts: {written} written in {self.directory}"
            + (f" ({kept} already there)" if kept else "")
            + "; one per subject the journal records finished, whichever run finished it, named"
            " by the row's reference, else its journal key; not read back: run"
            " 'dsr intercom verify' for that."
        )
        return written

    def _finished(self, journal: Journal) -> Iterator[tuple[SubjectOutcome, datetime, Path]]:
        shared = journal.shared_references()
        for subject, finished_at in journal.finished():
            folder = self.directory / (subject.workspace or "")
            yield subject, finished_at, folder / _receipt_name(subject, shared)


def _receipt_name(subject: SubjectOutcome, shared: frozenset[tuple[str, str]]) -> str:
    """The file name of a bulk receipt: one safe path segment, never another row's.

    A reference holds only letters, digits, space, ``.``, ``_`` and ``-`` and starts with a
    letter or digit (``Subject`` refuses others), so with its spaces as ``_`` it is a single
    path segment; ``~`` separates the key's prefix where it is not unique.
    """
    if subject.reference is None:
        return f"{subject.key}.json"
    name = subject.reference.replace(" ", "_")
    folded = name.lower()
    if (
        (subject.workspace or "", folded) in shared
        or _KEY_SHAPED.fullmatch(folded)
        or folded.split(".")[0] in _DEVICE_NAMES
    ):
        return f"{name}~{subject.key[:12]}.json"
    return f"{name}.json"


def _looked_for(subject: SubjectOutcome) -> tuple[LookedFor, ...] | None:
    """How a journalled subject was looked for: every kind of identifier its row carried."""
    kinds = (cast(LookedFor, kind.value) for kind in subject.kinds)
    return tuple(kind for kind in kinds if kind in get_args(LookedFor)) or None


def _bulk_contact(contact: ContactOutcome) -> ContactErasure:
    """A journalled contact as a receipt entry: erased or absent only when the journal says so."""
    unknown: tuple[_Outcome, str] = (
        "failed",
        f"the journal records this contact as {contact.result}, not erased",
    )
    outcome, detail = _JOURNALLED.get(contact.result, unknown)
    found = {} if outcome == "failed" else contact.found
    return ContactErasure(
        contact_id=contact.contact_id, outcome=outcome, detail=detail or None, found=found
    )
