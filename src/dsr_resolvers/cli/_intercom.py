"""What the single-subject commands do, apart from parsing their options.

``dsr intercom lookup|export|erase|verify|rectify`` and ``dsr demo`` both call these
functions, so the demo runs exactly the code a real request runs, only against the sandbox.
Each ``run_*`` function takes a :class:`Connection` (host, token, retry policy) and an
:class:`Io` (stdout, stderr, whether a person can answer), does the work through
:class:`IntercomResolver`, prints the result, and returns an exit status or raises
:class:`CliError`.

Subjects are addressed by contact id, or by any combination of ``--email``, ``--phone`` and
``--external-id``. Identifiers are looked up first (one search), and every contact holding any
of them (the user and each lead) is then exported, erased or verified: a request must reach
all of them. Each contact shows what it matched on. A contact only the phone led to is listed
but left out of an erasure (and a rectification) unless ``--include-phone-only``: phone
numbers are reassigned. Results and failures name contact ids, never an identifier's value,
which the person typing the command already knows.

| command | per contact                          | exit 1 when                                 |
|---------|--------------------------------------|---------------------------------------------|
| export  | ``export_subject``                   | any contact failed: then nothing is written, |
|         |                                      | since a partial Art. 15 export is not one   |
| erase   | ``plan_erasure`` (dry run) or        | any contact failed (the others are erased)  |
|         | ``erase_subject``                    |                                             |
| verify  | ``verify_erasure``                   | a contact is still held, or a message it    |
|         |                                      | wrote is still readable, or a check failed  |
| rectify | ``rectify_subject``                  | the correction failed                       |
| object  | ``object_to_marketing`` (Art. 21)    | any contact failed (the others are handled)  |

What each outcome is called, here and in ``--json``, is only what Intercom showed:

| Intercom showed                          | outcome             | said as                        |
|------------------------------------------|---------------------|--------------------------------|
| the contact, then deleted it             | ``erased``          | erased                         |
| a 404 ``not_found`` for the id           | ``no_contact``      | no contact with this id        |
| nothing: the id cannot be an Intercom    | ``no_contact``      | no contact with this id; no    |
| id (``../../admin``, spaces)             |                     | request is sent                |
| nothing: the id is an email (``@``)      | (none: exit 2)      | that is an email address; use  |
|                                          |                     | --email                        |
| a 404 that is not Intercom's, no DNS     | (none: exit 2)      | check --base-url / --region    |
| name, a refused connection               |                     |                                |

Intercom answers 404 both for an id it never held and for one erased earlier, so neither
``erase`` nor ``verify`` claims more than "no contact with this id".
"""

from __future__ import annotations

import asyncio
import functools
import json
import socket
import textwrap
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final, TypeVar

import httpx
import typer

from dsr_resolvers._bundle import ExportBundle, ExportFormat, SubjectRecords
from dsr_resolvers._text import (
    normalize_email,
    normalize_external_id,
    normalize_phone,
    plausible_contact_id,
)
from dsr_resolvers.cli._deliverables import (
    ReceiptRequest,
    write_access_report,
    write_erasure_receipt,
)
from dsr_resolvers.cli._errors import CliError, ExitCode, SubjectFailedError
from dsr_resolvers.cli._options import LookupFormat
from dsr_resolvers.cli._output import Io, new_table, write_text_atomically
from dsr_resolvers.cli._retry import call_with_retries
from dsr_resolvers.cli._settings import Connection
from dsr_resolvers.contract import (
    PiiCategory,
    Presence,
    ResolverErasure,
    ResolverRectification,
    SubjectRef,
)
from dsr_resolvers.intercom import (
    ContactMatch,
    ErasurePlan,
    ErasurePolicy,
    IntercomResolver,
    NotIntercomError,
    RectificationError,
)
from dsr_resolvers.report import LookedFor, ProcessingRecord

__all__ = [
    "NO_CONTACT",
    "PLAN_FORMAT",
    "Identifiers",
    "find_contacts",
    "held_not_exported_by",
    "not_intercom",
    "plan_entry",
    "plausible_contact_id",
    "run_erase",
    "run_export",
    "run_lookup",
    "run_object",
    "run_rectify",
    "run_verify",
    "shown_id",
    "unreachable",
]

_T = TypeVar("_T")

#: The role shown for a contact addressed by id: no request is spent to learn it.
_UNKNOWN_ROLE = "unknown"


#: How ``erase``, ``verify`` and ``rectify`` name an id that Intercom does not hold.
NO_CONTACT: Final = "no contact with this id"
NOT_VISIBLE: Final = "not visible: erasing unarchives and deletes it if Intercom holds it archived"
#: The order identifier kinds are shown in.
_KINDS: Final = ("email", "phone", "external_id")


@dataclass(frozen=True)
class Identifiers:
    """The identifiers a command looks a person up by: any combination, or none.

    Attributes:
        email: ``--email``.
        phone: ``--phone``, as typed.
        external_id: ``--external-id``.
        contact_id: The ``CONTACT_ID`` argument.
        include_phone_only: ``--include-phone-only``.
    """

    email: str | None = None
    phone: str | None = None
    external_id: str | None = None
    contact_id: str | None = None
    include_phone_only: bool = False

    @property
    def given(self) -> bool:
        """Whether any identifier was given."""
        return bool(self.kinds)

    @property
    def kinds(self) -> tuple[LookedFor, ...]:
        """The kinds given, in the order shown; never the values."""
        values: dict[LookedFor, str | None] = {
            "email": self.email,
            "phone": self.phone,
            "external_id": self.external_id,
        }
        return tuple(kind for kind, value in values.items() if value is not None)

    def checked(self) -> Identifiers:
        """The identifiers, checked by the library's rules before any request.

        Raises:
            CliError: One is malformed (exit 2), with the library's reason.
        """
        option = "--email"
        try:
            email = None if self.email is None else normalize_email(self.email)
            option = "--phone"
            phone = None if self.phone is None else normalize_phone(self.phone).typed
            option = "--external-id"
            external_id = (
                None if self.external_id is None else normalize_external_id(self.external_id)
            )
        except ValueError as error:  # the library's message never repeats the value
            raise CliError(f"{option}: {error}") from error
        return replace(self, email=email, phone=phone, external_id=external_id)


def matched_on(match: ContactMatch) -> str:
    """What a contact matched on, in words for a table: ``email, phone`` (``-`` for an id)."""
    kinds = [kind.replace("_", " ") for kind in _KINDS if kind in match.matched_on]
    return ", ".join(kinds) or "-"


def _matched_list(match: ContactMatch) -> list[str]:
    return [kind for kind in _KINDS if kind in match.matched_on]


def unreachable(error: httpx.ConnectError, base_url: str) -> CliError | None:
    """A usage error for a host that does not resolve or refuses connections, else ``None``."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            why = "its name does not resolve"
            break
        if isinstance(cause, ConnectionRefusedError):
            why = "it refused the connection"
            break
        cause = cause.__cause__ or cause.__context__
    else:
        return None
    return CliError(
        f"cannot reach {base_url}: {why}; check --base-url and --region "
        "(or INTERCOM_BASE_URL and INTERCOM_REGION)"
    )


def not_intercom(base_url: str) -> CliError:
    """The usage error for a host whose 404 is not Intercom's (a wrong ``--base-url``)."""
    return CliError(
        f"{base_url} answered 404 with a page that is not Intercom's: it is not Intercom's "
        "API; check --base-url and --region (or INTERCOM_BASE_URL and INTERCOM_REGION)"
    )


async def pointed(work: Callable[[], Awaitable[_T]], base_url: str) -> _T:
    """Await ``work()``; a host that cannot be reached or is not Intercom's stops the command.

    Raises:
        CliError: The host does not resolve, refuses connections, or answers a 404 that is not
            Intercom's (exit 2): ``--base-url`` or ``--region`` is wrong.
    """
    try:
        return await work()
    except httpx.ConnectError as error:
        pointer = unreachable(error, base_url)
        if pointer is None:
            raise
        raise pointer from error
    except NotIntercomError as error:
        raise not_intercom(base_url) from error


def _run(connection: Connection, work: Callable[[], Awaitable[_T]], label: str = "") -> _T:
    """Run one resolver call to completion, retrying transient failures.

    The result is handed out through a local rather than returned by ``asyncio.run``: on
    Python 3.11 that formats the main task's result into a message, which for a large export
    costs as much CPU as the export itself.

    Raises:
        CliError: The host is not Intercom's API or cannot be reached, or Intercom refused the
            credentials (exit 2).
        SubjectFailedError: The call failed for good.
    """
    base_url = connection.base_url
    held: list[_T] = []

    async def attempt() -> None:
        held.append(
            await call_with_retries(
                lambda: pointed(work, base_url), policy=connection.retry, base_url=base_url
            )
        )

    if connection.trace is None:
        asyncio.run(attempt())
    else:
        with connection.trace.waiting(label or "Waiting for Intercom"):
            asyncio.run(attempt())
    return held[0]


def each_contact(
    connection: Connection,
    contacts: Iterable[ContactMatch],
    call: Callable[[SubjectRef], Awaitable[_T]],
    label: str,
) -> Iterator[tuple[ContactMatch, _T | SubjectFailedError | None]]:
    """The one loop of export, dry run, erase, verify and rectify: each contact's result.

    An id that cannot be Intercom's is never sent (``None``); a call that failed for good
    yields its :class:`SubjectFailedError`, and the loop goes on with the next contact.
    """
    for match in contacts:
        if not plausible_contact_id(match.id):
            yield match, None
            continue
        ref = SubjectRef(kind=connection.name or "intercom", value=match.id)
        try:
            result: _T | SubjectFailedError = _run(connection, functools.partial(call, ref), label)
        except SubjectFailedError as failure:
            result = failure
        yield match, result


def _role(match: ContactMatch) -> str:
    return "-" if match.role == _UNKNOWN_ROLE else match.role


# -- lookup -------------------------------------------------------------------------------------


def find_contacts(
    connection: Connection, resolver: IntercomResolver, who: Identifiers
) -> tuple[ContactMatch, ...]:
    """Every contact holding any of ``who``'s identifiers (one search), retried like any call.

    Raises:
        CliError: A malformed identifier (exit 2, before any request), the lookup failed
            (exit 1), or Intercom refused the token (exit 2).
    """
    checked = who.checked()
    try:
        return _run(
            connection,
            lambda: resolver.find_contacts(
                email=checked.email, phone=checked.phone, external_id=checked.external_id
            ),
        )
    except SubjectFailedError as failure:
        raise CliError(f"lookup failed: {failure.reason}", ExitCode.FAILED) from failure


def run_lookup(
    connection: Connection,
    io: Io,
    who: Identifiers,
    *,
    output_format: LookupFormat = LookupFormat.TABLE,
) -> tuple[ContactMatch, ...]:
    """``dsr intercom lookup``: print every contact holding any of the identifiers given.

    Returns:
        The contacts found.

    Raises:
        CliError: No identifier or a malformed one (exit 2), or the lookup failed.
    """
    if not who.given:
        raise CliError("give --email, --phone or --external-id (any combination)")
    matches = find_contacts(connection, connection.resolver(), who)
    if output_format is LookupFormat.JSON:
        contacts = [
            {"id": match.id, "role": match.role, "matched_on": _matched_list(match)}
            for match in matches
        ]
        io.write(json.dumps({"contacts": contacts}, indent=2) + "\n")
        return matches
    if not matches:
        io.status("No Intercom contact matches: nothing is held under these identifiers.")
        _note_search_limits(io)
        return matches
    table = new_table("Contact id", "Role", "Matched on")
    for match in matches:
        table.add_row(match.id, match.role, matched_on(match))
    io.out.print(table)
    _note_phone_only(io, matches, acting=False)
    return matches


def _note_search_limits(io: Io) -> None:
    _note(
        io,
        "note: Intercom's search finds no archived contacts and no contacts created in the "
        "last few minutes; address those by contact id.",
    )


def _note_phone_only(io: Io, matches: Sequence[ContactMatch], *, acting: bool) -> None:
    only = [match.id for match in matches if match.phone_only]
    if not only:
        return
    if acting:
        _note(
            io,
            f"Left out {len(only)} contact(s) matched by phone alone ({', '.join(only)}): "
            "phone numbers are reassigned, so they may be someone else now; pass "
            "--include-phone-only to include them.",
        )
    else:
        _note(
            io,
            f"{len(only)} contact(s) matched by phone alone: erase and rectify leave them out "
            "unless --include-phone-only (phone numbers are reassigned).",
        )


def _note(io: Io, text: str) -> None:
    """A status note wrapped to 80 columns, never inside an option or an id."""
    io.status(textwrap.fill(text, 80, break_long_words=False, break_on_hyphens=False))


def _checked_id(contact_id: str) -> str:
    """The id, refused (exit 2, before any request) when empty or an email address."""
    if not contact_id.strip():
        raise CliError("a CONTACT_ID cannot be empty")
    if "@" in contact_id:
        raise CliError("CONTACT_ID: that is an email address; use --email")
    return contact_id


def shown_id(contact_id: str) -> str:
    """The id as printed: an implausible one may be a typed email, so it is never echoed."""
    return contact_id if plausible_contact_id(contact_id) else "(not an Intercom id)"


def _warn_implausible(io: Io, contact_id: str) -> None:
    if not plausible_contact_id(contact_id):
        io.status(
            "A CONTACT_ID given does not look like an Intercom contact id (letters, digits, "
            f"- and _ only): {NO_CONTACT}, and no request was sent for it."
        )


def _targets(
    connection: Connection,
    io: Io,
    resolver: IntercomResolver,
    *,
    contact_id: str | None,
    who: Identifiers,
) -> tuple[ContactMatch, ...]:
    """The contacts a command acts on: the one named, or every holder of the identifiers,
    each shown with what it matched on."""
    if (contact_id is None) == (not who.given):
        raise CliError(
            "give either a CONTACT_ID or --email, --phone, --external-id (any combination), "
            "not both and not neither"
        )
    if contact_id is not None:
        return (ContactMatch(id=_checked_id(contact_id), role=_UNKNOWN_ROLE),)
    found = find_contacts(connection, resolver, who)
    if len(who.kinds) > 1:  # with one identifier, every contact matched on it
        for match in found:
            io.status(f"Contact {match.id} ({_role(match)}): matched on {matched_on(match)}.")
    if not found:
        _note_search_limits(io)
    return found


def _without_phone_only(
    io: Io, contacts: Sequence[ContactMatch], *, include_phone_only: bool
) -> tuple[tuple[ContactMatch, ...], tuple[ContactMatch, ...]]:
    """``(acted on, left out)``: contacts matched by phone alone are left out unless asked."""
    if include_phone_only:
        return tuple(contacts), ()
    _note_phone_only(io, contacts, acting=True)
    kept = tuple(match for match in contacts if not match.phone_only)
    return kept, tuple(match for match in contacts if match.phone_only)


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
    for match, export in each_contact(connection, contacts, resolver.export_subject, "Exporting"):
        if isinstance(export, SubjectFailedError):
            failed.append(match.id)
            reason = export.reason
            continue
        role = None if match.role == _UNKNOWN_ROLE else match.role
        if export is None:
            subjects.append(SubjectRecords(match.id, (), role))
        else:
            subjects.append(
                SubjectRecords(match.id, export.records, role, export.held_not_exported)
            )
    if failed:
        raise CliError(
            f"export of contact {', '.join(failed)} failed: {reason}; nothing was written, "
            "since a partial export is not a complete answer",
            ExitCode.FAILED,
        )
    return ExportBundle.now(resolver.name, subjects, resolver.covered_surface)


ARCHIVED_UNSEARCHABLE: Final = (
    "Note: Intercom's search never returns archived contacts, so an archived contact with this "
    "email cannot be found by it and is not in this erasure; erase it by its contact id "
    "(dsr intercom erase CONTACT_ID), which reaches archived contacts."
)


def _empty_export(archived: bool) -> str:
    """What an empty export of a contact id means: never "nothing held" for what may be."""
    if archived:
        return (
            "Intercom holds no contact with this id, not even archived (deleted, merged into "
            "another contact, or never existed)."
        )
    return (
        "Intercom shows no contact with this id. It may be archived, and so still held: "
        "archived contacts read as not found; export it with --export-archived. Otherwise it "
        "was deleted, merged into another contact, or never existed."
    )


def write_export(
    io: Io,
    bundle: ExportBundle,
    export_format: ExportFormat,
    out: Path | None,
    *,
    csv_raw: bool = False,
    processing: ProcessingRecord | None = None,
    language: str = "en",
    searched: Sequence[LookedFor] | None = None,
) -> None:
    """Write the bundle to ``out`` atomically (and the surface beside it), or to stdout.

    ``html`` writes the access report instead (``processing``, ``language`` and ``searched``,
    how the person was looked for, are for it).

    Raises:
        CliError: The file cannot be written (exit 2).
    """
    if export_format is ExportFormat.HTML:
        write_access_report(
            io, bundle, out, processing=processing, language=language, searched=searched
        )
        return
    text = bundle.render(export_format, csv_raw=csv_raw)
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
        ) from error
    where = str(out)
    if export_format is not ExportFormat.JSON:
        where += f" (covered surface in {surface_path})"
    io.status(
        f"Wrote {bundle.record_count} record(s) of {len(bundle.subjects)} contact(s) to {where}."
    )


def run_export(
    connection: Connection,
    io: Io,
    who: Identifiers,
    *,
    messages: bool = False,
    archived: bool = False,
    custom_attributes: Mapping[str, PiiCategory] | None = None,
    export_format: ExportFormat = ExportFormat.JSON,
    out: Path | None = None,
    csv_raw: bool = False,
    processing: ProcessingRecord | None = None,
    language: str = "en",
    force: bool = False,
) -> ExportBundle:
    """``dsr intercom export``: the Art. 15 export of a contact, or of every holder of the
    identifiers given.

    Returns:
        The bundle written.

    Raises:
        CliError: Bad arguments (exit 2) or a failed export (exit 1); nothing is written then.
    """
    if out is not None and out.exists() and not force:
        raise CliError(f"--out {out} exists: add --force to replace it (written atomically)")
    resolver = connection.resolver(
        export_messages=messages,
        export_archived=archived,
        custom_attributes=custom_attributes,
        processing=processing,
    )
    contact_id = who.contact_id
    contacts = _targets(connection, io, resolver, contact_id=contact_id, who=who)
    if who.given and not contacts:
        io.status("No Intercom contact holds these identifiers: nothing held; the export is empty.")
    if contact_id is not None:
        _warn_implausible(io, contact_id)
    bundle = collect_export(connection, resolver, contacts)
    for subject in bundle.subjects:
        if not subject.records and plausible_contact_id(subject.contact_id):
            io.status(f"Contact {subject.contact_id}: {_empty_export(archived)}")
    _warn_unheld_attributes(io, bundle, custom_attributes or {})
    phone_only = [match.id for match in contacts if match.phone_only]
    if phone_only:
        _note(
            io,
            f"warning: {len(phone_only)} contact(s) in this export matched by phone alone "
            f"({', '.join(phone_only)}): phone numbers are reassigned, so check they are this "
            "person before sending it.",
        )
    write_export(
        io,
        bundle,
        export_format,
        out,
        csv_raw=csv_raw,
        processing=processing,
        language=language,
        searched=who.kinds if who.given else ("contact_id",),
    )
    for subject in bundle.subjects:
        if subject.held_not_exported:  # names only: held, but never declared, so not exported
            io.status(f"warning: contact {subject.contact_id} holds, undeclared and not exported:")
            for name in subject.held_not_exported:
                io.status(f"  {name}")
            io.status("  (declare those holding personal data: --custom-attribute NAME=CATEGORY)")
    return bundle


def held_not_exported_by(
    connection: Connection, contact_id: str, custom_attributes: Mapping[str, PiiCategory]
) -> tuple[str, tuple[str, ...]]:
    """The contact id, and what the contact holds that an export with these declared custom
    attributes leaves out (``dsr intercom surface --contact``): it exports the contact.

    Raises:
        CliError: The export failed (exit 1).
    """
    resolver = connection.resolver(custom_attributes=custom_attributes)
    match = ContactMatch(id=_checked_id(contact_id), role=_UNKNOWN_ROLE)
    [subject] = collect_export(connection, resolver, [match]).subjects
    return subject.contact_id, subject.held_not_exported


def _warn_unheld_attributes(
    io: Io, bundle: ExportBundle, declared: Mapping[str, PiiCategory]
) -> None:
    """Warn about each declared custom attribute that no exported contact holds."""
    if not any(subject.records for subject in bundle.subjects):
        return
    held = {
        record.field
        for subject in bundle.subjects
        for record in subject.records
        if record.field.startswith("contact.custom_attributes.")
    }
    for name in sorted(declared):
        if f"contact.custom_attributes.{name}" not in held:
            io.status(
                f"warning: no exported contact holds the custom attribute {name!r}, so the "
                "export has nothing for it; check the name (it is case-sensitive) in "
                "Intercom's settings, under Data > People"
            )


# -- erase --------------------------------------------------------------------------------------

ERASE_FORMAT: Final = "dsr-resolvers/erase/v1"
PLAN_FORMAT: Final = "dsr-resolvers/erase-plan/v1"
VERIFY_FORMAT: Final = "dsr-resolvers/verify/v1"
RECTIFY_FORMAT: Final = "dsr-resolvers/rectify/v1"


def _write_json(io: Io, document: Mapping[str, Any]) -> None:
    io.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


def _entry(match: ContactMatch, outcome: str, **fields: Any) -> dict[str, Any]:
    """One contact of a ``--json`` document: id (``null`` when implausible), role, outcome."""
    plausible = plausible_contact_id(match.id)
    role = None if match.role == _UNKNOWN_ROLE else match.role
    matched = {"matched_on": _matched_list(match)} if match.matched_on else {}
    return {
        "contact_id": match.id if plausible else None,
        "role": role,
        "outcome": outcome,
        **matched,
        **fields,
    }


def plan_erasures(
    connection: Connection, resolver: IntercomResolver, contacts: Sequence[ContactMatch]
) -> list[tuple[ContactMatch, ErasurePlan | SubjectFailedError | None]]:
    """The dry run: what erasing each contact would do, read-only (``None``: no such id)."""
    return list(each_contact(connection, contacts, resolver.plan_erasure, "Planning"))


def _plan_action(plan: ErasurePlan) -> str:
    return _would_do(plan.presence, plan.redactions if plan.messages is not None else None)


_PLANNED: Final = {
    Presence.HELD: "planned",
    Presence.NOT_VISIBLE: "not_visible",
    Presence.ABSENT: "no_contact",
}


def _would_do(presence: Presence, redactions: int | None) -> str:
    redact = f"redact {redactions}" if redactions is not None else ""
    if presence is Presence.HELD:
        return f"{redact}, delete" if redact else "delete"
    # An archived contact reads like an absent one; the erasure unarchives to reach it.
    gone = NO_CONTACT if presence is Presence.ABSENT else NOT_VISIBLE
    return f"{redact}; {gone}" if redact else gone


def plan_entry(
    contact_id: str,
    presence: Presence,
    *,
    role: str | None = None,
    matched: ContactMatch | None = None,
    phone_only: bool = False,
    conversations: int | None = None,
    written: int | None = None,
    redacted: int | None = None,
    redactions: int | None = None,
    counts: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """One contact of a dry run's ``--json`` document, single-subject or bulk alike.

    Args:
        contact_id: The contact (``null`` in the document when it cannot be an Intercom id).
        presence: ``held``, ``not_visible`` (archived or absent: no read tells) or ``absent``.
        role: ``user`` or ``lead`` when a lookup said so.
        matched: The lookup's match, whose ``matched_on`` the entry shows.
        phone_only: Only a phone number led to it: ``left_out`` (a bulk row's phone).
        conversations: Conversations it is in (``redact_messages`` only).
        written: Messages it wrote in them (``None`` when not counted).
        redacted: Of those, already redacted (``None`` when not counted).
        redactions: Messages the erasure would redact (``redact_messages`` only).
        counts: The plan's counts by name, as the resolver documents them (for instance
            ``conversations_to_delete`` and ``tickets_to_delete`` under
            ``delete_conversations``).

    Returns:
        The entry, as ``docs/schemas/erase-plan.schema.json`` describes a contact.
    """
    match = ContactMatch(
        id=contact_id,
        role=role or _UNKNOWN_ROLE,
        matched_on=frozenset() if matched is None else matched.matched_on,
    )
    if phone_only:
        match = match.model_copy(update={"matched_on": frozenset({"phone"})})
        return _entry(match, "left_out", held=presence is Presence.HELD)
    return _entry(
        match,
        _PLANNED[presence],
        held=presence is Presence.HELD,
        conversations=conversations,
        written=written,
        redacted=redacted,
        redactions=redactions,
        would_do=_would_do(presence, redactions),
        **({} if counts is None else {"counts": dict(counts)}),
    )


def show_plans(
    io: Io, plans: Sequence[tuple[ContactMatch, ErasurePlan | SubjectFailedError | None]]
) -> None:
    """Print the dry run as a table."""
    # Whether the contact is held shows in "Would do"; a narrow table reads at 80 columns.
    table = new_table("Contact id", "Role", "Convs", "Written", "Redacted", "Would do")
    for match, plan in plans:
        if plan is None:
            table.add_row(shown_id(match.id), _role(match), "", "", "", NO_CONTACT)
        elif isinstance(plan, SubjectFailedError):
            table.add_row(match.id, _role(match), "", "", "", "could not plan (see below)")
        else:
            scan = plan.messages
            table.add_row(
                match.id,
                _role(match),
                "-" if scan is None else str(scan.conversations),
                "-" if scan is None else str(scan.authored),
                "-" if scan is None else str(scan.redacted),
                _plan_action(plan),
            )
    io.out.print(table)


def _plans_json(
    policy: ErasurePolicy,
    plans: Sequence[tuple[ContactMatch, ErasurePlan | SubjectFailedError | None]],
) -> dict[str, Any]:
    contacts: list[dict[str, Any]] = []
    for match, plan in plans:
        if plan is None:
            contacts.append(_entry(match, "no_contact", held=False))
        elif isinstance(plan, SubjectFailedError):
            contacts.append(_entry(match, "failed", reason=plan.reason))
        else:
            scan = plan.messages
            contacts.append(
                plan_entry(
                    match.id,
                    plan.presence,
                    role=match.role,
                    matched=match,
                    conversations=None if scan is None else scan.conversations,
                    written=None if scan is None else scan.authored,
                    redacted=None if scan is None else scan.redacted,
                    redactions=plan.redactions if scan is not None else None,
                    counts=plan.counts,
                )
            )
    return {"format": PLAN_FORMAT, "policy": policy, "contacts": contacts}


def _confirm(io: Io, contacts: Sequence[ContactMatch], policy: ErasurePolicy) -> bool:
    if not io.interactive:
        raise CliError(
            "refusing to erase without confirmation: there is no terminal to ask on; "
            "pass --yes to confirm, or --dry-run to see what would be done"
        )
    ids = ", ".join(f"{shown_id(match.id)} ({_role(match)})" for match in contacts)
    return typer.confirm(
        f"Erase {len(contacts)} Intercom contact(s) under policy {policy}: {ids}? "
        "This cannot be undone",
        default=False,
        err=True,
    )


def _erase_each(
    connection: Connection,
    io: Io,
    resolver: IntercomResolver,
    contacts: Sequence[ContactMatch],
) -> list[tuple[ContactMatch, str, str, ResolverErasure | SubjectFailedError]]:
    """(contact, outcome, detail, raw result) for each contact, in order; says what was done
    if stopped."""
    results: list[tuple[ContactMatch, str, str, ResolverErasure | SubjectFailedError]] = []
    try:
        for match, erasure in each_contact(connection, contacts, resolver.erase_subject, "Erasing"):
            if erasure is None:
                # Nothing was asked of Intercom, so nothing is claimed: a receipt shows it failed.
                unsent = SubjectFailedError("not an Intercom contact id; no request was sent")
                results.append((match, "no_contact", "no request was sent", unsent))
            elif isinstance(erasure, SubjectFailedError):
                results.append((match, "failed", erasure.reason, erasure))
            else:
                outcome = "no_contact" if erasure.already_absent else "erased"
                results.append((match, outcome, erasure.detail or "", erasure))
    except KeyboardInterrupt:
        done = [m.id for m, outcome, _, _ in results if outcome == "erased"]
        left = [shown_id(m.id) for m in contacts[len(results) :]]
        io.error(
            f"interrupted: erased {', '.join(done) or 'none'}; not erased or unknown: "
            f"{', '.join(left) or 'none'} (run the same command again to finish)"
        )
        raise
    return results


def run_erase(
    connection: Connection,
    io: Io,
    who: Identifiers,
    *,
    policy: ErasurePolicy = "delete_contact",
    dry_run: bool = False,
    assume_yes: bool = False,
    as_json: bool = False,
    receipt: ReceiptRequest | None = None,
) -> int:
    """``dsr intercom erase``: erase a contact, or every holder of an email (Art. 17).

    Returns:
        0 when every contact is erased (or Intercom holds no contact with its id), 1 when
        some failed or the confirmation was declined.

    Raises:
        CliError: Bad arguments, no terminal to confirm on and no ``assume_yes`` (exit 2), or
            the lookup failed.
        KeyboardInterrupt: After saying which contacts were erased and which not.
    """
    resolver = connection.resolver(erasure_policy=policy)
    contact_id, include_phone_only = who.contact_id, who.include_phone_only
    found = _targets(connection, io, resolver, contact_id=contact_id, who=who)
    contacts, left_out = _without_phone_only(io, found, include_phone_only=include_phone_only)
    left_entries = [_entry(match, "left_out") for match in left_out]
    if receipt is not None:
        receipt = replace(receipt, looked_for=who.kinds if who.given else ("contact_id",))
    if contact_id is not None:
        _warn_implausible(io, contact_id)
    if who.email is not None:
        io.status(ARCHIVED_UNSEARCHABLE)
    if not contacts:
        if not left_out:
            io.status("No Intercom contact holds these identifiers: nothing to erase.")
        if as_json:
            kind = PLAN_FORMAT if dry_run else ERASE_FORMAT
            _write_json(io, {"format": kind, "policy": policy, "contacts": left_entries})
        if receipt is not None:
            write_erasure_receipt(connection, io, resolver, [], receipt)
        return ExitCode.OK
    if dry_run:
        plans = plan_erasures(connection, resolver, contacts)
        if as_json:
            plan_document = _plans_json(policy, plans)
            plan_document["contacts"] += left_entries
            _write_json(io, plan_document)
        else:
            show_plans(io, plans)
        io.status(f"Dry run under policy {policy}: nothing was changed.")
        return _report_failures(io, "planning the erasure of", plans)
    if not assume_yes and not _confirm(io, contacts, policy):
        io.status("Aborted: nothing was erased.")
        return ExitCode.FAILED
    results = _erase_each(connection, io, resolver, contacts)
    if as_json:
        entries = [
            _entry(
                m, outcome, **({"reason": detail} if outcome == "failed" else {"detail": detail})
            )
            for m, outcome, detail, _ in results
        ]
        _write_json(
            io, {"format": ERASE_FORMAT, "policy": policy, "contacts": entries + left_entries}
        )
    else:
        table = new_table("Contact id", "Role", "Result", "Detail")
        for match, outcome, detail, _ in results:
            shown = {"erased": "erased", "no_contact": NO_CONTACT, "failed": "FAILED"}[outcome]
            table.add_row(
                shown_id(match.id),
                _role(match),
                shown,
                "see below" if outcome == "failed" else detail,
            )
        io.out.print(table)
    if receipt is not None:
        outcomes = [(match, raw) for match, _, _, raw in results]
        write_erasure_receipt(connection, io, resolver, outcomes, receipt)
    failures = [(m, raw) for m, outcome, _, raw in results if outcome == "failed"]
    return _report_failures(io, "erasing", failures)


def _report_failures(io: Io, doing: str, outcomes: Sequence[tuple[ContactMatch, object]]) -> int:
    failed = False
    for match, outcome in outcomes:
        if isinstance(outcome, SubjectFailedError):
            failed = True
            io.error(f"{doing} contact {match.id} failed: {outcome.reason}")
    return ExitCode.FAILED if failed else ExitCode.OK


# -- object -------------------------------------------------------------------------------------

OBJECT_FORMAT: Final = "dsr-resolvers/object/v1"


def run_object(
    connection: Connection,
    io: Io,
    who: Identifiers,
    *,
    dry_run: bool = False,
    as_json: bool = False,
) -> int:
    """``dsr intercom object``: stop direct marketing to a contact, or to every contact the
    identifiers find (Art. 21), read back; with ``dry_run``, only say what would change.

    A contact only the phone led to is left out unless ``include_phone_only``: numbers are
    reassigned, and an objection acts on the contact's consent.

    Returns:
        0 when every contact was handled (or holds nothing), 1 when one failed.

    Raises:
        CliError: Bad arguments or a failed lookup (exit 2 or 1).
    """
    contact_id, include_phone_only = who.contact_id, who.include_phone_only
    resolver = connection.resolver()
    found = _targets(connection, io, resolver, contact_id=contact_id, who=who)
    contacts, left_out = _without_phone_only(io, found, include_phone_only=include_phone_only)
    if who.given and not contacts and not left_out:
        io.status("No Intercom contact holds these identifiers: nothing to object to.")
    entries: list[dict[str, Any]] = []
    outcomes: list[tuple[ContactMatch, object]] = []
    act = functools.partial(resolver.object_to_marketing, dry_run=dry_run)
    for match, result in each_contact(connection, contacts, act, "Objecting"):
        outcomes.append((match, result))
        if isinstance(result, SubjectFailedError):
            entries.append(_entry(match, "failed", reason=result.reason))
            continue
        if result is None or not result.found:
            if result is None:
                _warn_implausible(io, match.id)
            entries.append(_entry(match, "no_contact", fields=[], subscription_types=[]))
            if not as_json:
                io.status(f"Contact {match.id}: Intercom holds {NO_CONTACT}; nothing to change.")
            continue
        changed = {
            "fields": list(result.fields),
            "subscription_types": list(result.subscription_types),
        }
        entries.append(_entry(match, "would_object" if dry_run else "objected", **changed))
        if not as_json:
            verb = "would turn off" if dry_run else "turned off"
            io.out.print(
                f"Contact {match.id}: {verb} {', '.join(result.fields) or 'no field'} and opted"
                f" out of {len(result.subscription_types)} subscription type(s)"
                + ("" if dry_run else "; Intercom shows them off")
                + (" (found archived, archived again)" if result.archived else "")
                + ".",
                soft_wrap=True,
            )
    entries += [_entry(match, "left_out", fields=[], subscription_types=[]) for match in left_out]
    if as_json:
        _write_json(io, {"format": OBJECT_FORMAT, "dry_run": dry_run, "contacts": entries})
    return _report_failures(io, "objecting for", outcomes)


# -- verify -------------------------------------------------------------------------------------


def run_verify(
    connection: Connection,
    io: Io,
    who: Identifiers,
    *,
    contact_ids: Sequence[str],
    policy: ErasurePolicy = "delete_contact",
    roles: Mapping[str, str] | None = None,
    as_json: bool = False,
) -> int:
    """``dsr intercom verify``: read back whether each contact is gone.

    Intercom answers 404 alike for a contact erased earlier and for an id it never held, so a
    contact that is gone is reported as "no contact with this id", never as "erased".

    Returns:
        0 when no contact is held (and, under ``redact_messages``, nothing they wrote is
        readable), 1 when one is still held or a check failed.
    """
    if not contact_ids and not who.given:
        raise CliError("give at least one CONTACT_ID, or --email, --phone, --external-id")
    resolver = connection.resolver(erasure_policy=policy)
    found: dict[str, ContactMatch] = {}
    if who.given:
        found = {m.id: m for m in _targets(connection, io, resolver, contact_id=None, who=who)}
    contact_ids = [*contact_ids, *(i for i in found if i not in contact_ids)]
    # "Result" says whether the contact is held; a narrow table reads at 80 columns.
    table = new_table("Contact id", "Role", "Convs", "Readable", "Result")
    entries: list[dict[str, Any]] = []
    outcomes: list[tuple[ContactMatch, object]] = []
    held: list[str] = []
    contacts = [
        found.get(contact_id)
        or ContactMatch(id=contact_id, role=(roles or {}).get(contact_id, _UNKNOWN_ROLE))
        for contact_id in dict.fromkeys(map(_checked_id, contact_ids))
    ]
    for match, check in each_contact(connection, contacts, resolver.verify_erasure, "Verifying"):
        contact_id = match.id
        if check is None:
            _warn_implausible(io, contact_id)
            table.add_row(shown_id(contact_id), _role(match), "", "", NO_CONTACT)
            entries.append(_entry(match, "no_contact", held=False))
            continue
        if isinstance(check, SubjectFailedError):
            table.add_row(contact_id, _role(match), "", "", "could not check (see below)")
            entries.append(_entry(match, "failed", reason=check.reason))
            outcomes.append((match, check))
            continue
        scan = check.messages
        if check.contact_exists:
            outcome, result = "held", "STILL HELD (archived)" if check.archived else "STILL HELD"
            held.append(f"contact {contact_id} is still held; run 'dsr intercom erase' for it")
        elif scan is not None and scan.unredacted:
            outcome, result = "messages_readable", f"{NO_CONTACT}; messages READABLE"
            held.append(
                f"contact {contact_id} is gone but {scan.unredacted} message(s) it wrote are "
                "still readable; run 'dsr intercom erase --policy redact_messages' for it"
            )
        elif not check.erased:  # e.g. a conversation cut by Intercom's 500-part cap
            cut = scan.incomplete if scan is not None else 0
            outcome, result = "unverified", f"{NO_CONTACT}; NOT VERIFIED"
            held.append(
                f"contact {contact_id} is gone but what it wrote cannot all be checked "
                f"({cut} conversation(s) past Intercom's 500-part cap); it is not verified erased"
            )
        else:
            outcome = "no_contact"
            result = NO_CONTACT if scan is None else f"{NO_CONTACT}; nothing it wrote readable"
        table.add_row(
            contact_id,
            _role(match),
            "-" if scan is None else str(scan.conversations),
            "-" if scan is None else str(scan.unredacted),
            result,
        )
        entries.append(
            _entry(
                match,
                outcome,
                held=check.contact_exists,
                conversations=None if scan is None else scan.conversations,
                unredacted=None if scan is None else scan.unredacted,
            )
        )
    if as_json:
        _write_json(io, {"format": VERIFY_FORMAT, "policy": policy, "contacts": entries})
    else:
        io.out.print(table)
    status = _report_failures(io, "verifying", outcomes)
    for problem in held:
        io.error(problem)
    return ExitCode.FAILED if held else status


# -- rectify ------------------------------------------------------------------------------------


def run_rectify(
    connection: Connection,
    io: Io,
    who: Identifiers,
    *,
    changes: Mapping[str, str | None],
    custom_attributes: Mapping[str, PiiCategory] | None = None,
    as_json: bool = False,
) -> int:
    """``dsr intercom rectify``: correct profile fields and declared custom attributes of a
    contact (Art. 16).

    Returns:
        0 when corrected (or when Intercom holds no such contact), 1 when one failed.

    Raises:
        CliError: No change, or a field that cannot be corrected (exit 2); nothing is sent.
    """
    contact_id, include_phone_only = who.contact_id, who.include_phone_only
    resolver = connection.resolver(custom_attributes=custom_attributes)
    if not changes:
        raise CliError(
            "nothing to correct: give --set FIELD=VALUE or --clear FIELD "
            f"(fields: {', '.join(sorted(resolver.correctable_fields))})"
        )
    try:  # the library's own checks, before any request
        changes = resolver.checked_changes(changes)
    except RectificationError as error:
        raise CliError(f"cannot correct: {error}") from error
    found = _targets(connection, io, resolver, contact_id=contact_id, who=who)
    contacts, left_out = _without_phone_only(io, found, include_phone_only=include_phone_only)
    entries: list[dict[str, Any]] = []
    status: int = ExitCode.OK
    corrections = each_contact(
        connection, contacts, lambda ref: resolver.rectify_subject(ref, changes), "Correcting"
    )
    for match, result in corrections:
        outcome, fields = _rectified(io, match, result, as_json=as_json)
        entries.append(_entry(match, outcome, **fields))
        if outcome == "failed":
            status = ExitCode.FAILED
    if who.given and not contacts and not left_out:
        io.status("No Intercom contact holds these identifiers: nothing was corrected.")
    if as_json:
        entries += [_entry(match, "left_out", fields=[]) for match in left_out]
        if who.given:
            _write_json(io, {"format": RECTIFY_FORMAT, "contacts": entries})
        else:
            _write_json(io, {"format": RECTIFY_FORMAT, **entries[0]})
    return status


def _rectified(
    io: Io,
    match: ContactMatch,
    result: ResolverRectification | SubjectFailedError | None,
    *,
    as_json: bool,
) -> tuple[str, dict[str, Any]]:
    """One contact's correction, said: its outcome and the fields of its ``--json`` entry."""
    contact_id = match.id
    if result is None:
        _warn_implausible(io, contact_id)
        return "no_contact", {"fields": []}
    if isinstance(result, SubjectFailedError):
        io.error(f"correcting contact {contact_id} failed: {result.reason}")
        return "failed", {"fields": [], "reason": result.reason}
    if result.already_absent:
        io.status(f"Contact {contact_id}: Intercom holds {NO_CONTACT}; nothing was corrected.")
        return "no_contact", {"fields": []}
    if not as_json:
        io.out.print(
            f"Corrected {', '.join(result.fields)} of contact {contact_id}.", soft_wrap=True
        )
    return "corrected", {"fields": list(result.fields)}
