"""What the single-subject commands do, apart from parsing their options.

``dsr intercom lookup|export|erase|verify|rectify`` and ``dsr demo`` both call these
functions, so the demo runs exactly the code a real request runs, only against the sandbox.
Each ``run_*`` function takes a :class:`Connection` (host, token, retry policy) and an
:class:`Io` (stdout, stderr, whether a person can answer), does the work through
:class:`IntercomResolver`, prints the result, and returns an exit status or raises
:class:`CliError`.

Subjects are addressed by contact id or by email. An email is looked up first, and every
contact holding it (the user and each lead) is then exported, erased or verified: an erasure
request by email must reach all of them. Results and failures name contact ids, never the
email, which the person typing the command already knows.

| command | per contact                          | exit 1 when                                 |
|---------|--------------------------------------|---------------------------------------------|
| export  | ``export_subject``                   | any contact failed: then nothing is written, |
|         |                                      | since a partial Art. 15 export is not one   |
| erase   | ``plan_erasure`` (dry run) or        | any contact failed (the others are erased)  |
|         | ``erase_subject``                    |                                             |
| verify  | ``verify_erasure``                   | a contact is still held, or a message it    |
|         |                                      | wrote is still readable, or a check failed  |
| rectify | ``rectify_subject``                  | the correction failed                       |
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

import typer

from dsr_resolvers.cli._bundle import ExportBundle, ExportFormat, SubjectRecords
from dsr_resolvers.cli._deliverables import (
    ReceiptRequest,
    write_access_report,
    write_erasure_receipt,
)
from dsr_resolvers.cli._errors import CliError, ExitCode, SubjectFailedError
from dsr_resolvers.cli._output import Io, new_table, write_text_atomically
from dsr_resolvers.cli._retry import call_with_retries
from dsr_resolvers.cli._settings import Connection
from dsr_resolvers.contract import PiiCategory, SubjectRef
from dsr_resolvers.intercom import (
    ContactMatch,
    ErasurePlan,
    ErasurePolicy,
    IntercomResolver,
)
from dsr_resolvers.report import ProcessingRecord

__all__ = [
    "LookupFormat",
    "Policy",
    "find_contacts",
    "run_erase",
    "run_export",
    "run_lookup",
    "run_rectify",
    "run_verify",
]

_T = TypeVar("_T")

#: The role shown for a contact addressed by id: no request is spent to learn it.
_UNKNOWN_ROLE = "unknown"


class Policy(StrEnum):
    """The erasure policies, spelt as options are (``--policy redact-messages``)."""

    DELETE_CONTACT = "delete-contact"
    REDACT_MESSAGES = "redact-messages"

    @property
    def resolver_policy(self) -> ErasurePolicy:
        """The resolver's name for this policy."""
        return "redact_messages" if self is Policy.REDACT_MESSAGES else "delete_contact"


class LookupFormat(StrEnum):
    """How ``dsr intercom lookup`` prints the contacts it found."""

    TABLE = "table"
    JSON = "json"


def _run(connection: Connection, work: Callable[[], Awaitable[_T]]) -> _T:
    """Run one resolver call to completion, retrying transient failures."""

    async def attempt() -> _T:
        return await call_with_retries(work, policy=connection.retry, base_url=connection.base_url)

    return asyncio.run(attempt())


def _ref(contact_id: str) -> SubjectRef:
    return SubjectRef(kind="intercom", value=contact_id)


def _on(
    method: Callable[[SubjectRef], Awaitable[_T]], contact_id: str
) -> Callable[[], Awaitable[_T]]:
    """A retryable call of ``method`` for one contact."""
    return lambda: method(_ref(contact_id))


def _role(match: ContactMatch) -> str:
    return "-" if match.role == _UNKNOWN_ROLE else match.role


# -- lookup -------------------------------------------------------------------------------------


def find_contacts(
    connection: Connection,
    resolver: IntercomResolver,
    *,
    email: str | None = None,
    external_id: str | None = None,
) -> tuple[ContactMatch, ...]:
    """Every contact holding ``email`` (or ``external_id``), retried like any call.

    Raises:
        CliError: The lookup failed (exit 1), or Intercom refused the token (exit 2).
    """
    try:
        return _run(
            connection, lambda: resolver.find_contacts(email=email, external_id=external_id)
        )
    except SubjectFailedError as failure:
        raise CliError(f"lookup failed: {failure.reason}", ExitCode.FAILED) from None


def run_lookup(
    connection: Connection,
    io: Io,
    *,
    email: str | None,
    external_id: str | None,
    output_format: LookupFormat = LookupFormat.TABLE,
) -> tuple[ContactMatch, ...]:
    """``dsr intercom lookup``: print every contact with this email or external id.

    Args:
        connection: The workspace.
        io: Where to print.
        email: Look contacts up by email (users and leads).
        external_id: Look the user up by its external id.
        output_format: A table, or JSON ``{"contacts": [{"id", "role"}]}``.

    Returns:
        The contacts found.

    Raises:
        CliError: Not exactly one of ``email`` and ``external_id`` (exit 2), or the lookup
            failed.
    """
    if (email is None) == (external_id is None):
        raise CliError("give exactly one of --email and --external-id")
    if not (email or external_id):
        raise CliError("the value to look up is empty")
    matches = find_contacts(connection, connection.resolver(), email=email, external_id=external_id)
    if output_format is LookupFormat.JSON:
        contacts = [{"id": match.id, "role": match.role} for match in matches]
        io.write(json.dumps({"contacts": contacts}, indent=2) + "\n")
        return matches
    if not matches:
        io.status("No Intercom contact matches: nothing is held under this identifier.")
        return matches
    table = new_table("Contact id", "Role")
    for match in matches:
        table.add_row(match.id, match.role)
    io.out.print(table)
    return matches


def _checked_id(contact_id: str) -> str:
    if not contact_id.strip() or len(contact_id) > 255 or contact_id != contact_id.strip():
        raise CliError("a CONTACT_ID is 1 to 255 characters, without surrounding spaces")
    return contact_id


def _targets(
    connection: Connection,
    resolver: IntercomResolver,
    *,
    contact_id: str | None,
    email: str | None,
) -> tuple[ContactMatch, ...]:
    """The contacts a command acts on: the one named, or every holder of the email."""
    if (contact_id is None) == (email is None):
        raise CliError("give either a CONTACT_ID or --email, not both and not neither")
    if contact_id is not None:
        return (ContactMatch(id=_checked_id(contact_id), role=_UNKNOWN_ROLE),)
    if not email or "@" not in email:
        raise CliError("--email must be an email address")
    return find_contacts(connection, resolver, email=email)


# -- export -------------------------------------------------------------------------------------


def collect_export(
    connection: Connection, resolver: IntercomResolver, contacts: Sequence[ContactMatch]
) -> ExportBundle:
    """Export every contact into one bundle, or fail without a partial one.

    Raises:
        CliError: A contact's export failed (exit 1); the message names its id.
    """
    subjects: list[SubjectRecords] = []
    failed: list[str] = []
    reason = ""
    for match in contacts:
        try:
            export = _run(connection, _on(resolver.export_subject, match.id))
        except SubjectFailedError as failure:
            failed.append(match.id)
            reason = failure.reason
            continue
        role = None if match.role == _UNKNOWN_ROLE else match.role
        subjects.append(SubjectRecords(match.id, export.records, role))
    if failed:
        raise CliError(
            f"export of contact {', '.join(failed)} failed: {reason}; nothing was written, "
            "since a partial export is not a complete answer",
            ExitCode.FAILED,
        )
    return ExportBundle.now(resolver.name, subjects, resolver.covered_surface)


def write_export(
    io: Io,
    bundle: ExportBundle,
    export_format: ExportFormat,
    out: Path | None,
    *,
    processing: ProcessingRecord | None = None,
    language: str = "en",
) -> None:
    """Write the bundle to ``out`` atomically (and the surface beside it), or to stdout.

    ``html`` writes the access report instead (``processing`` and ``language`` are for it).

    Raises:
        CliError: The file cannot be written (exit 2).
    """
    if export_format is ExportFormat.HTML:
        write_access_report(io, bundle, out, processing=processing, language=language)
        return
    text = bundle.render(export_format)
    if out is None:
        io.write(text)
        if export_format is not ExportFormat.JSON:
            io.status(
                "note: the covered surface is not part of a jsonl or csv stream; write to a file "
                "with --out to get it beside the export, or run 'dsr intercom surface'"
            )
        return
    surface_path = out.with_name(out.name + ".surface.json")
    try:
        write_text_atomically(out, text)
        if export_format is not ExportFormat.JSON:
            surface = json.dumps(bundle.surface_json(), ensure_ascii=False, indent=2) + "\n"
            write_text_atomically(surface_path, surface)
    except OSError as error:
        raise CliError(
            f"cannot write {out}: {error.strerror or type(error).__name__}; "
            "check that the directory exists and is writable"
        ) from None
    where = str(out)
    if export_format is not ExportFormat.JSON:
        where += f" (covered surface in {surface_path})"
    io.status(
        f"Wrote {bundle.record_count} record(s) of {len(bundle.subjects)} contact(s) to {where}."
    )


def run_export(
    connection: Connection,
    io: Io,
    *,
    contact_id: str | None,
    email: str | None,
    messages: bool = False,
    custom_attributes: Mapping[str, PiiCategory] | None = None,
    export_format: ExportFormat = ExportFormat.JSON,
    out: Path | None = None,
    processing: ProcessingRecord | None = None,
    language: str = "en",
) -> ExportBundle:
    """``dsr intercom export``: the Art. 15 export of a contact, or of every holder of an email.

    Args:
        connection: The workspace.
        io: Where to print.
        contact_id: The contact to export.
        email: Export every contact with this email into one bundle instead.
        messages: Also export the messages the contacts wrote.
        custom_attributes: Custom attributes to export, with their categories.
        export_format: ``json`` (with the covered surface), ``jsonl``, ``csv``, or ``html``
            (the access report).
        out: The file to write; stdout when ``None``.
        processing: The record of processing: fills legal basis, purpose and retention.
        language: The access report's language (``en``, ``de``).

    Returns:
        The bundle written.

    Raises:
        CliError: Bad arguments (exit 2) or a failed export (exit 1); nothing is written then.
    """
    resolver = connection.resolver(
        export_messages=messages, custom_attributes=custom_attributes, processing=processing
    )
    contacts = _targets(connection, resolver, contact_id=contact_id, email=email)
    if email is not None and not contacts:
        io.status("No Intercom contact has this email: nothing is held, the export is empty.")
    bundle = collect_export(connection, resolver, contacts)
    for subject in bundle.subjects:
        if not subject.records:
            io.status(f"Contact {subject.contact_id}: Intercom holds no such contact.")
    write_export(io, bundle, export_format, out, processing=processing, language=language)
    return bundle


# -- erase --------------------------------------------------------------------------------------


def plan_erasures(
    connection: Connection, resolver: IntercomResolver, contacts: Sequence[ContactMatch]
) -> list[tuple[ContactMatch, ErasurePlan | SubjectFailedError]]:
    """The dry run: what erasing each contact would do, read-only."""
    plans: list[tuple[ContactMatch, ErasurePlan | SubjectFailedError]] = []
    for match in contacts:
        try:
            plan = _run(connection, _on(resolver.plan_erasure, match.id))
        except SubjectFailedError as failure:
            plans.append((match, failure))
        else:
            plans.append((match, plan))
    return plans


def _plan_action(plan: ErasurePlan) -> str:
    redact = f"redact {plan.redactions}" if plan.messages is not None else ""
    if not plan.contact_exists:
        return f"{redact}; contact gone" if redact else "nothing: contact gone"
    return f"{redact}, then delete contact" if redact else "delete contact"


def show_plans(
    io: Io, plans: Sequence[tuple[ContactMatch, ErasurePlan | SubjectFailedError]]
) -> None:
    """Print the dry run as a table."""
    table = new_table("Contact id", "Role", "Held", "Convs", "Written", "Redacted", "Would do")
    for match, plan in plans:
        if isinstance(plan, SubjectFailedError):
            table.add_row(match.id, _role(match), "?", "", "", "", "could not plan (see below)")
            continue
        scan = plan.messages
        table.add_row(
            match.id,
            _role(match),
            "yes" if plan.contact_exists else "no",
            "-" if scan is None else str(scan.conversations),
            "-" if scan is None else str(scan.authored),
            "-" if scan is None else str(scan.redacted),
            _plan_action(plan),
        )
    io.out.print(table)


def _confirm(io: Io, contacts: Sequence[ContactMatch], policy: Policy) -> bool:
    if not io.interactive:
        raise CliError(
            "refusing to erase without confirmation: there is no terminal to ask on; "
            "pass --yes to confirm, or --dry-run to see what would be done"
        )
    ids = ", ".join(f"{match.id} ({_role(match)})" for match in contacts)
    return typer.confirm(
        f"Erase {len(contacts)} Intercom contact(s) under policy {policy.value}: {ids}? "
        "This cannot be undone",
        default=False,
        err=True,
    )


def run_erase(
    connection: Connection,
    io: Io,
    *,
    contact_id: str | None,
    email: str | None,
    policy: Policy = Policy.DELETE_CONTACT,
    dry_run: bool = False,
    assume_yes: bool = False,
    receipt: ReceiptRequest | None = None,
) -> int:
    """``dsr intercom erase``: erase a contact, or every holder of an email (Art. 17).

    Args:
        connection: The workspace.
        io: Where to print, and whether a person can confirm.
        contact_id: The contact to erase.
        email: Erase every contact with this email (the user and each lead) instead.
        policy: ``delete-contact`` or ``redact-messages``.
        dry_run: Only show what would be done (``plan_erasure``); change nothing.
        assume_yes: Do not ask for confirmation.
        receipt: Where to write an erasure receipt (after reading each contact back).

    Returns:
        0 when every contact is erased (or was already gone), 1 when some failed or the
        confirmation was declined.

    Raises:
        CliError: Bad arguments, no terminal to confirm on and no ``assume_yes`` (exit 2), or
            the lookup failed.
    """
    resolver = connection.resolver(erasure_policy=policy.resolver_policy)
    contacts = _targets(connection, resolver, contact_id=contact_id, email=email)
    if not contacts:
        io.status("No Intercom contact has this email: nothing to erase.")
        if receipt is not None:
            write_erasure_receipt(connection, io, resolver, [], receipt)
        return ExitCode.OK
    if dry_run:
        plans = plan_erasures(connection, resolver, contacts)
        show_plans(io, plans)
        io.status(f"Dry run under policy {policy.value}: nothing was changed.")
        return _report_failures(io, "planning the erasure of", plans)
    if not assume_yes and not _confirm(io, contacts, policy):
        io.status("Aborted: nothing was erased.")
        return ExitCode.FAILED
    table = new_table("Contact id", "Role", "Result", "Detail")
    outcomes: list[tuple[ContactMatch, object]] = []
    for match in contacts:
        try:
            erasure = _run(connection, _on(resolver.erase_subject, match.id))
        except SubjectFailedError as failure:
            table.add_row(match.id, _role(match), "FAILED", "see below")
            outcomes.append((match, failure))
            continue
        result = "already absent" if erasure.already_absent else "erased"
        table.add_row(match.id, _role(match), result, erasure.detail or "")
        outcomes.append((match, erasure))
    io.out.print(table)
    if receipt is not None:
        write_erasure_receipt(connection, io, resolver, outcomes, receipt)
    return _report_failures(io, "erasing", outcomes)


def _report_failures(io: Io, doing: str, outcomes: Sequence[tuple[ContactMatch, object]]) -> int:
    failed = False
    for match, outcome in outcomes:
        if isinstance(outcome, SubjectFailedError):
            failed = True
            io.error(f"{doing} contact {match.id} failed: {outcome.reason}")
    return ExitCode.FAILED if failed else ExitCode.OK


# -- verify -------------------------------------------------------------------------------------


def run_verify(
    connection: Connection,
    io: Io,
    *,
    contact_ids: Sequence[str],
    policy: Policy = Policy.DELETE_CONTACT,
    roles: Mapping[str, str] | None = None,
) -> int:
    """``dsr intercom verify``: read back whether each contact is gone.

    Args:
        connection: The workspace.
        io: Where to print.
        contact_ids: The contacts to check.
        policy: Under ``redact-messages`` also look for messages still readable.
        roles: Roles to show, by contact id, when known.

    Returns:
        0 when every contact is erased, 1 when one is still held or a check failed.
    """
    if not contact_ids:
        raise CliError("give at least one CONTACT_ID")
    resolver = connection.resolver(erasure_policy=policy.resolver_policy)
    table = new_table("Contact id", "Role", "Held", "Conversations", "Unredacted", "Erased")
    outcomes: list[tuple[ContactMatch, object]] = []
    held: list[str] = []
    for contact_id in dict.fromkeys(map(_checked_id, contact_ids)):
        match = ContactMatch(id=contact_id, role=(roles or {}).get(contact_id, _UNKNOWN_ROLE))
        try:
            check = _run(connection, _on(resolver.verify_erasure, contact_id))
        except SubjectFailedError as failure:
            table.add_row(contact_id, _role(match), "?", "", "", "could not check (see below)")
            outcomes.append((match, failure))
            continue
        scan = check.messages
        table.add_row(
            contact_id,
            _role(match),
            "yes" if check.contact_exists else "no",
            "-" if scan is None else str(scan.conversations),
            "not checked" if scan is None else str(scan.unredacted),
            "yes" if check.erased else "NO",
        )
        if check.contact_exists:
            held.append(f"contact {contact_id} is still held; run 'dsr intercom erase' for it")
        elif not check.erased and scan is not None:
            held.append(
                f"contact {contact_id} is deleted but {scan.unredacted} message(s) it wrote are "
                "still readable; run 'dsr intercom erase --policy redact-messages' for it"
            )
    io.out.print(table)
    status = _report_failures(io, "verifying", outcomes)
    for problem in held:
        io.error(problem)
    return ExitCode.FAILED if held else status


# -- rectify ------------------------------------------------------------------------------------


def run_rectify(
    connection: Connection, io: Io, *, contact_id: str, changes: Mapping[str, str | None]
) -> int:
    """``dsr intercom rectify``: correct profile fields of a contact (Art. 16).

    Args:
        connection: The workspace.
        io: Where to print.
        contact_id: The contact to correct.
        changes: New values by field name; ``None`` clears the field.

    Returns:
        0 when corrected (or when Intercom holds no such contact), 1 when it failed.

    Raises:
        CliError: No change, or a field that cannot be corrected (exit 2); nothing is sent.
    """
    contact_id = _checked_id(contact_id)
    resolver = connection.resolver()
    if not changes:
        raise CliError(
            "nothing to correct: give --set FIELD=VALUE or --clear FIELD "
            f"(fields: {', '.join(sorted(resolver.correctable_fields))})"
        )
    unknown = sorted(set(changes) - resolver.correctable_fields)
    if unknown:
        raise CliError(
            f"cannot correct {', '.join(unknown)}: the correctable fields are "
            f"{', '.join(sorted(resolver.correctable_fields))}"
        )
    try:
        result = _run(connection, lambda: resolver.rectify_subject(_ref(contact_id), changes))
    except SubjectFailedError as failure:
        io.error(f"correcting contact {contact_id} failed: {failure.reason}")
        return ExitCode.FAILED
    if result.already_absent:
        io.status(f"Contact {contact_id}: Intercom holds no such contact; nothing was corrected.")
        return ExitCode.OK
    io.out.print(f"Corrected {', '.join(result.fields)} of contact {contact_id}.", soft_wrap=True)
    return ExitCode.OK
