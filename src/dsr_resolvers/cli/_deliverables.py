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
| ``--receipts DIR``                     | ``bulk erase``, | ``<key>.json`` per subject the    |
|                                        | ``bulk status`` | journal records finished, unless |
|                                        |               | already there                      |

A receipt is written even when a contact failed (its status then says ``incomplete``) and when
no contact held the email (no contacts: nothing was held). Bulk receipts record the journal's
contact outcomes without a read-back (``unverified``): reading 50,000 contacts back is a run of
its own, ``dsr intercom verify``. Bulk receipts come from the journal, whichever run finished
the subject: a run interrupted (even by SIGKILL) leaves its receipts to the rerun or to
``bulk status --receipts DIR``. A bulk receipt's ``requested_at`` is the journal's creation
(the first run's start), its ``completed_at`` when the journal recorded the subject done.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from dsr_resolvers._bundle import ExportBundle
from dsr_resolvers._files import make_private_directory
from dsr_resolvers.bulk import ContactOutcome, Journal, SubjectKind, SubjectOutcome
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
    """``language`` when the report ships it.

    Raises:
        CliError: Not a shipped language (exit 2).
    """
    if language not in LANGUAGES:
        raise CliError(f"--language takes one of {', '.join(LANGUAGES)}")
    return language


def load_processing_record(path: Path | None) -> ProcessingRecord | None:
    """The record of processing named by ``--processing-record`` or ``DSR_PROCESSING_RECORD``.

    Raises:
        CliError: The file cannot be read, or is invalid (every problem with its line; exit 2).
    """
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
        reason = getattr(error, "strerror", None) or type(error).__name__
        raise CliError(f"cannot read the processing record {path}: {reason}") from error


# -- the access report -------------------------------------------------------------------------


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


# -- single erasures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptRequest:
    """Where ``dsr intercom erase`` writes its receipt, and what it records.

    Attributes:
        json_path: The receipt (JSON); ``None`` when only HTML is asked for.
        html_path: The receipt as HTML.
        reference: The caller's reference for the request (never an email).
        language: The HTML's language.
        requested_at: When the command started.
        looked_for: How the person was looked for (identifier kinds, never values).
    """

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
        """The request the options make, or ``None`` when no receipt is asked for.

        Raises:
            CliError: A receipt with ``--dry-run``, an email as the reference, or an unknown
                language (exit 2).
        """
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


def _read_back(
    connection: Connection,
    resolver: IntercomResolver,
    io: Io,
    contact_id: str,
    erasure: ResolverErasure,
) -> ReadBack | None:
    """Verify the contact's erasure, reading back each conversation and ticket it found."""
    ref = SubjectRef(kind=resolver.name, value=contact_id)

    async def verify() -> ReadBack:
        check = await call_with_retries(
            lambda: resolver.verify_erasure(ref, found=erasure.found),
            policy=connection.retry,
            base_url=connection.base_url,
        )
        return ReadBack.of(check)

    try:
        return asyncio.run(verify())
    except SubjectFailedError as failure:
        io.error(f"reading back contact {contact_id} failed: {failure.reason}")
        return None


def write_erasure_receipt(
    connection: Connection,
    io: Io,
    resolver: IntercomResolver,
    outcomes: Sequence[tuple[ContactMatch, object]],
    request: ReceiptRequest,
) -> ErasureReceipt:
    """Read every erased contact back, then write the receipt where ``request`` says.

    Args:
        connection: The workspace.
        io: Where to print.
        resolver: The resolver that erased (its policy and covered surface are recorded).
        outcomes: Each contact with its ``ResolverErasure`` or ``SubjectFailedError``.
        request: Where to write, and the reference to record.

    Returns:
        The receipt written.
    """
    entries: list[ContactErasure] = []
    for match, outcome in outcomes:
        if isinstance(outcome, ResolverErasure):
            read_back = _read_back(connection, resolver, io, match.id, outcome)
            entries.append(ContactErasure.of(match.id, outcome, read_back))
        else:
            reason = outcome.reason if isinstance(outcome, SubjectFailedError) else "unknown"
            entries.append(
                ContactErasure(contact_id=match.id, outcome="failed", detail=f"failed: {reason}")
            )
    receipt = ErasureReceipt(
        subject_reference=request.reference,
        resolver=resolver.name,
        requested_at=request.requested_at,
        completed_at=datetime.now(UTC),
        policy=resolver.erasure_policy,
        contacts=tuple(entries),
        looked_for=request.looked_for,
        surface_sha256=surface_digest(resolver.covered_surface),
    )
    written = []
    if request.json_path is not None:
        _write(request.json_path, receipt.to_json(), "erasure receipt")
        written.append(str(request.json_path))
    if request.html_path is not None:
        html = render_erasure_receipt(receipt, language=request.language)
        _write(request.html_path, html, "erasure receipt")
        written.append(str(request.html_path))
    io.status(
        f"Wrote the erasure receipt ({receipt.status}):" + "".join(f"\n  {w}" for w in written)
    )
    return receipt


# -- bulk erasures -----------------------------------------------------------------------------


@dataclass
class BulkReceipts:
    """Receipts for every subject a ``bulk erase`` journal records finished, one JSON file each.

    Whichever run finished a subject (this one, or an earlier one that was interrupted or
    killed), its receipt is written once: a subject whose ``<key>.json`` is already in the
    directory is left alone. So a rerun, or ``bulk status --receipts DIR``, writes exactly the
    missing ones.
    """

    directory: Path
    policy: str
    resolver: str
    surface_sha256: str

    @classmethod
    def start(cls, directory: Path, resolver: IntercomResolver) -> BulkReceipts:
        """Create ``directory`` (owner-only) for the receipts of ``resolver``'s erasures.

        Raises:
            CliError: ``directory`` cannot be created (exit 2).
        """
        try:
            make_private_directory(directory)
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise CliError(f"cannot create the receipts directory {directory}: {reason}") from None
        return cls(
            directory=directory,
            policy=resolver.erasure_policy,
            resolver=resolver.name,
            surface_sha256=surface_digest(resolver.covered_surface),
        )

    def missing(self, journal: Journal) -> int:
        """How many finished subjects have no receipt in the directory yet."""
        return sum(1 for subject, _ in journal.finished() if not self._path(subject).exists())

    def write(self, io: Io, journal: Journal) -> int:
        """Write the receipt of each finished subject that has none yet; returns how many.

        Reads the journal a page at a time, so memory stays flat however long the run was.
        ``requested_at`` is the journal's creation (the first run's start), ``completed_at``
        when the journal recorded the subject done.
        """
        requested = journal.created_at
        written = kept = 0
        for subject, finished_at in journal.finished():
            path = self._path(subject)
            if path.exists():
                kept += 1
                continue
            # Over several workspaces, one folder each, and each receipt names its workspace.
            receipt = ErasureReceipt(
                subject_reference=subject.key,
                resolver=subject.workspace or self.resolver,
                requested_at=requested,
                completed_at=finished_at,
                policy=self.policy,
                contacts=tuple(_bulk_contact(contact) for contact in subject.contacts),
                looked_for=_looked_for(subject.kind),
                surface_sha256=self.surface_sha256,
            )
            make_private_directory(path.parent)
            _write(path, receipt.to_json(), "erasure receipt")
            written += 1
        io.status(
            f"Erasure receipts: {written} written in {self.directory}"
            + (f" ({kept} already there)" if kept else "")
            + "; one per subject the journal records finished, whichever run finished it, named"
            " by its journal key; not read back: run 'dsr intercom verify' for that."
        )
        return written

    def _path(self, subject: SubjectOutcome) -> Path:
        return self.directory / (subject.workspace or "") / f"{subject.key}.json"


NO_CONTACT_DETAIL: Final = (
    "no contact with this id (deleted, merged into another contact, or never existed)"
)


def _looked_for(kind: SubjectKind) -> tuple[LookedFor, ...] | None:
    """How a journalled subject was looked for; a row of several kinds is not journalled
    kind by kind, so its receipt records none rather than guess."""
    single: dict[SubjectKind, LookedFor] = {
        SubjectKind.CONTACT_ID: "contact_id",
        SubjectKind.EMAIL: "email",
        SubjectKind.PHONE: "phone",
        SubjectKind.EXTERNAL_ID: "external_id",
    }
    return (single[kind],) if kind in single else None


def _bulk_contact(contact: ContactOutcome) -> ContactErasure:
    """A journalled contact as a receipt entry: erased or absent only when the journal says so."""
    if contact.result == "deleted":
        return ContactErasure(contact_id=contact.contact_id, outcome="erased", found=contact.found)
    if contact.result == "already_absent":  # Intercom answered not found for the id
        return ContactErasure(
            contact_id=contact.contact_id,
            outcome="no_contact",
            detail=NO_CONTACT_DETAIL,
            found=contact.found,
        )
    if contact.result == "left_out":
        return ContactErasure(
            contact_id=contact.contact_id,
            outcome="failed",
            detail="matched by phone alone and left out, not erased (phone numbers are "
            "reassigned); --include-phone-only erases such contacts",
        )
    return ContactErasure(
        contact_id=contact.contact_id,
        outcome="failed",
        detail=f"the journal records this contact as {contact.result}, not erased",
    )
