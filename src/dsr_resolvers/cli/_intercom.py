"""What the single-subject commands do, apart from parsing their options.

``dsr intercom lookup|export|erase|verify|rectify|object`` and ``dsr demo`` both call these
``run_*`` functions, so the demo runs exactly the code a real request runs. Each takes a
:class:`Connection`, an :class:`Io` and the :class:`Identifiers` of the person, acts through
:class:`IntercomResolver`, prints, and returns an exit status or raises :class:`CliError`.

A person is addressed by contact id, or by any combination of ``--email``, ``--phone`` and
``--external-id``: one search finds every contact holding any of them (the user and each
lead), and the request reaches all of them, each shown with what it matched on. A contact only
the phone led to is left out of an erasure, a rectification and an objection unless
``--include-phone-only``: phone numbers are reassigned. Results and failures name contact ids,
never an identifier's value.

| command | per contact                       | exit 1 when                                        |
|---------|-----------------------------------|----------------------------------------------------|
| export  | ``export_subject``                | one failed: then nothing is written                |
| erase   | ``plan_erasure`` (``--dry-run``)  | one failed (the others are erased)                 |
|         | or ``erase_subject``              |                                                    |
| verify  | ``verify_erasure``                | one is still held or readable, or a check failed   |
| rectify | ``rectify_subject``               | one failed                                         |
| object  | ``object_to_marketing`` (Art. 21) | one failed (the others are handled)                |

What each outcome is called, here and in ``--json``, is only what Intercom showed:

| Intercom showed                                  | outcome        | said as                      |
|--------------------------------------------------|----------------|------------------------------|
| the contact, then deleted it                     | ``erased``     | erased                       |
| a 404 ``not_found`` for the id                   | ``no_contact`` | no contact with this id      |
| nothing: the id cannot be Intercom's (``../x``)  | ``no_contact`` | the same; no request is sent |
| nothing: the id is an email (``@``)              | none: exit 2   | use --email                  |
| a foreign 404, no DNS name, a refused connection | none: exit 2   | check --base-url / --region  |

Intercom answers 404 both for an id it never held and for one erased earlier, so neither
``erase`` nor ``verify`` claims more than "no contact with this id".
"""

from __future__ import annotations

import asyncio
import contextlib
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
from dsr_resolvers.contract import PiiCategory, Presence, ResolverErasure, SubjectRef
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
    "Identifiers",
    "held_not_exported_by",
    "not_intercom",
    "plan_entry",
    "pointed",
    "run_erase",
    "run_export",
    "run_lookup",
    "run_object",
    "run_rectify",
    "run_verify",
]

_T = TypeVar("_T")
_Said = tuple[dict[str, Any], tuple[str, ...]]

#: The role shown for a contact addressed by id: no request is spent to learn it.
_UNKNOWN_ROLE: Final = "unknown"
#: How the commands name an id that Intercom does not hold.
NO_CONTACT: Final = "no contact with this id"
NOT_VISIBLE: Final = "not visible: erasing unarchives and deletes it if Intercom holds it archived"
#: The order identifier kinds are shown in.
_KINDS: Final[tuple[LookedFor, ...]] = ("email", "phone", "external_id")
_CHECK_HOST: Final = "check --base-url and --region (or INTERCOM_BASE_URL and INTERCOM_REGION)"
_SEARCH_LIMITS: Final = (
    "note: Intercom's search finds no archived contacts and no contacts created in the last few "
    "minutes; address those by contact id."
)
ARCHIVED_UNSEARCHABLE: Final = (
    "Note: Intercom's search never returns archived contacts, so an archived contact with this "
    "email cannot be found by it and is not in this erasure; erase it by its contact id "
    "(dsr intercom erase CONTACT_ID), which reaches archived contacts."
)
_EMPTY_EXPORT: Final = {  # by --export-archived: never "nothing held" for what may be
    True: "Intercom holds no contact with this id, not even archived (deleted, merged into "
    "another contact, or never existed).",
    False: "Intercom shows no contact with this id. It may be archived, and so still held: "
    "archived contacts read as not found; export it with --export-archived. Otherwise it was "
    "deleted, merged into another contact, or never existed.",
}
ERASE_FORMAT: Final = "dsr-resolvers/erase/v1"
PLAN_FORMAT: Final = "dsr-resolvers/erase-plan/v1"
VERIFY_FORMAT: Final = "dsr-resolvers/verify/v1"
RECTIFY_FORMAT: Final = "dsr-resolvers/rectify/v1"
OBJECT_FORMAT: Final = "dsr-resolvers/object/v1"


@dataclass(frozen=True)
class Identifiers:
    """Who a command acts on: a contact by its id, or every holder of the identifiers given.

    Attributes:
        email: ``--email``.
        phone: ``--phone``, as typed.
        external_id: ``--external-id``.
        contact_id: ``CONTACT_ID``: the contact named by its Intercom id, instead.
        include_phone_only: ``--include-phone-only``: act on contacts only the phone led to.
    """

    email: str | None = None
    phone: str | None = None
    external_id: str | None = None
    contact_id: str | None = None
    include_phone_only: bool = False

    @property
    def given(self) -> bool:
        """Whether any identifier to look up was given."""
        return bool(self.kinds)

    @property
    def kinds(self) -> tuple[LookedFor, ...]:
        """The kinds given, in the order shown; never the values."""
        values = zip(_KINDS, (self.email, self.phone, self.external_id), strict=True)
        return tuple(kind for kind, value in values if value is not None)

    @property
    def looked_for(self) -> tuple[LookedFor, ...]:
        """How the person was looked for, as reports say it: the kinds, or by contact id."""
        return self.kinds or ("contact_id",)


def _matched(match: ContactMatch) -> list[str]:
    return [kind for kind in _KINDS if kind in match.matched_on]


def _matched_words(match: ContactMatch) -> str:
    return ", ".join(kind.replace("_", " ") for kind in _matched(match)) or "-"


def _role(match: ContactMatch) -> str | None:
    return None if match.role == _UNKNOWN_ROLE else match.role


def shown_id(contact_id: str) -> str:
    """The id as printed: an implausible one may be a typed email, so it is never echoed."""
    return contact_id if plausible_contact_id(contact_id) else "(not an Intercom id)"


def not_intercom(base_url: str) -> CliError:
    """The usage error for a host whose 404 is not Intercom's (a wrong ``--base-url``)."""
    return CliError(
        f"{base_url} answered 404 with a page that is not Intercom's: it is not Intercom's "
        f"API; {_CHECK_HOST}"
    )


async def pointed(work: Callable[[], Awaitable[_T]], base_url: str) -> _T:
    """Await ``work()``; a host that does not resolve, refuses connections or answers a 404
    that is not Intercom's stops the command with a :class:`CliError` (exit 2)."""
    try:
        return await work()
    except httpx.ConnectError as error:
        cause: BaseException | None = error
        while cause is not None and not isinstance(cause, socket.gaierror | ConnectionRefusedError):
            cause = cause.__cause__ or cause.__context__
        if cause is None:
            raise
        why = "its name does not resolve"
        if isinstance(cause, ConnectionRefusedError):
            why = "it refused the connection"
        raise CliError(f"cannot reach {base_url}: {why}; {_CHECK_HOST}") from error
    except NotIntercomError as error:
        raise not_intercom(base_url) from error


def _run(connection: Connection, work: Callable[[], Awaitable[_T]], label: str = "") -> _T:
    """Run one resolver call to completion, retrying transient failures; one that failed for
    good raises :class:`SubjectFailedError`, a wrong host or a refused token :class:`CliError`."""
    base_url = connection.base_url
    # Handed out through a local: on Python 3.11 asyncio.run formats the main task's result into
    # a message, which for a large export costs as much CPU as the export itself.
    held: list[_T] = []

    async def attempt() -> None:
        held.append(
            await call_with_retries(
                lambda: pointed(work, base_url), policy=connection.retry, base_url=base_url
            )
        )

    label = label or "Waiting for Intercom"
    with contextlib.nullcontext() if connection.trace is None else connection.trace.waiting(label):
        asyncio.run(attempt())
    return held[0]


def each_contact(
    connection: Connection,
    contacts: Iterable[ContactMatch],
    call: Callable[[SubjectRef], Awaitable[_T]],
    label: str,
) -> Iterator[tuple[ContactMatch, _T | SubjectFailedError | None]]:
    """The one loop of every command: each contact's result, in order; an id that cannot be
    Intercom's is never sent (``None``), a failure is yielded and the loop goes on."""
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


def _warn_implausible(io: Io, contact_id: str | None) -> None:
    if contact_id is not None and not plausible_contact_id(contact_id):
        io.status(
            "A CONTACT_ID given does not look like an Intercom contact id (letters, digits, "
            f"- and _ only): {NO_CONTACT}, and no request was sent for it."
        )


def _find(
    connection: Connection, resolver: IntercomResolver, who: Identifiers
) -> tuple[ContactMatch, ...]:
    """Every contact holding any of ``who``'s identifiers, each checked first (exit 2)."""
    option = "--email"
    try:  # the library's message never repeats the value
        email = None if who.email is None else normalize_email(who.email)
        option = "--phone"
        phone = None if who.phone is None else normalize_phone(who.phone).typed
        option = "--external-id"
        external_id = None if who.external_id is None else normalize_external_id(who.external_id)
    except ValueError as error:
        raise CliError(f"{option}: {error}") from error
    try:
        return _run(
            connection,
            lambda: resolver.find_contacts(email=email, phone=phone, external_id=external_id),
        )
    except SubjectFailedError as failure:
        raise CliError(f"lookup failed: {failure.reason}", ExitCode.FAILED) from failure


def _targets(
    connection: Connection,
    io: Io,
    resolver: IntercomResolver,
    who: Identifiers,
    *,
    nothing: str = "",
    leave_out: bool = False,
) -> tuple[tuple[ContactMatch, ...], tuple[ContactMatch, ...]]:
    """``(acted on, left out)``: the contact named, or every holder of the identifiers (each
    shown with what it matched on); ``leave_out`` leaves out those only the phone led to."""
    if (who.contact_id is None) == (not who.given):
        raise CliError(
            "give either a CONTACT_ID or --email, --phone, --external-id (any combination), "
            "not both and not neither"
        )
    if who.contact_id is not None:
        return (ContactMatch(id=_checked_id(who.contact_id), role=_UNKNOWN_ROLE),), ()
    found = _find(connection, resolver, who)
    if len(who.kinds) > 1:  # with one identifier, every contact matched on it
        for match in found:
            io.status(
                f"Contact {match.id} ({_role(match) or '-'}): matched on {_matched_words(match)}."
            )
    if not found:
        _note(io, _SEARCH_LIMITS)
    left_out = tuple(m for m in found if m.phone_only and leave_out and not who.include_phone_only)
    if left_out:
        _note(
            io,
            f"Left out {len(left_out)} contact(s) matched by phone alone "
            f"({', '.join(match.id for match in left_out)}): phone numbers are reassigned, so "
            "they may be someone else now; pass --include-phone-only to include them.",
        )
    if nothing and not found:
        io.status(f"No Intercom contact holds these identifiers: {nothing}")
    return tuple(match for match in found if match not in left_out), left_out


def _write_json(io: Io, document: Mapping[str, Any]) -> None:
    io.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


def _entry(match: ContactMatch, outcome: str, **fields: Any) -> dict[str, Any]:
    """One contact of a ``--json`` document: id (``null`` when implausible), role, outcome."""
    matched = {"matched_on": _matched(match)} if match.matched_on else {}
    return {
        "contact_id": match.id if plausible_contact_id(match.id) else None,
        "role": _role(match),
        "outcome": outcome,
        **matched,
        **fields,
    }


def _row(match: ContactMatch, *cells: str) -> tuple[str, ...]:
    return (shown_id(match.id), _role(match) or "-", *cells)


def _counts(values: Iterable[int | None]) -> tuple[str, ...]:
    return tuple("-" if value is None else str(value) for value in values)


def _said(
    io: Io,
    document: Mapping[str, Any] | None,
    columns: Sequence[str],
    said: Sequence[_Said],
    left_out: Sequence[ContactMatch] = (),
) -> None:
    """The results as a table, or as the ``--json`` ``document`` with its contacts."""
    if document is not None:
        entries = [entry for entry, _ in said] + [_entry(m, "left_out") for m in left_out]
        _write_json(io, {**document, "contacts": entries})
        return
    table = new_table(*columns)
    for _, row in said:
        table.add_row(*row)
    io.out.print(table)


def _failed(io: Io, doing: str, entries: Iterable[Mapping[str, Any]]) -> int:
    """Say why each failed contact failed; exit 1 when one did."""
    failed = [entry for entry in entries if entry["outcome"] == "failed"]
    for entry in failed:
        io.error(f"{doing} contact {entry['contact_id']} failed: {entry['reason']}")
    return ExitCode.FAILED if failed else ExitCode.OK


def run_lookup(
    connection: Connection,
    io: Io,
    who: Identifiers,
    *,
    output_format: LookupFormat = LookupFormat.TABLE,
) -> tuple[ContactMatch, ...]:
    """``dsr intercom lookup``: print, and return, every contact holding any of the identifiers."""
    if not who.given:
        raise CliError("give --email, --phone or --external-id (any combination)")
    matches = _find(connection, connection.resolver(), who)
    if output_format is LookupFormat.JSON:
        contacts = [{"id": m.id, "role": m.role, "matched_on": _matched(m)} for m in matches]
        io.write(json.dumps({"contacts": contacts}, indent=2) + "\n")
    elif not matches:
        io.status("No Intercom contact matches: nothing is held under these identifiers.")
        _note(io, _SEARCH_LIMITS)
    else:
        table = new_table("Contact id", "Role", "Matched on")
        for match in matches:
            table.add_row(match.id, match.role, _matched_words(match))
        io.out.print(table)
        if only := sum(match.phone_only for match in matches):
            _note(
                io,
                f"{only} contact(s) matched by phone alone: erase and rectify leave them out "
                "unless --include-phone-only (phone numbers are reassigned).",
            )
    return matches


def collect_export(
    connection: Connection, resolver: IntercomResolver, contacts: Sequence[ContactMatch]
) -> ExportBundle:
    """Export every contact into one bundle, or fail (exit 1, naming its id) without one."""
    subjects: list[SubjectRecords] = []
    failed: list[str] = []
    reason = ""
    for match, export in each_contact(connection, contacts, resolver.export_subject, "Exporting"):
        if isinstance(export, SubjectFailedError):
            failed.append(match.id)
            reason = export.reason
        elif export is None:
            subjects.append(SubjectRecords(match.id, (), _role(match)))
        else:
            held = export.held_not_exported
            subjects.append(SubjectRecords(match.id, export.records, _role(match), held))
    if failed:
        raise CliError(
            f"export of contact {', '.join(failed)} failed: {reason}; nothing was written, "
            "since a partial export is not a complete answer",
            ExitCode.FAILED,
        )
    return ExportBundle.now(resolver.name, subjects, resolver.covered_surface)


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
    """``dsr intercom export``: write, and return, the Art. 15 export of every contact ``who``
    names; a failed one (exit 1) or bad arguments (exit 2) write nothing."""
    if out is not None and out.exists() and not force:
        raise CliError(f"--out {out} exists: add --force to replace it (written atomically)")
    resolver = connection.resolver(
        export_messages=messages,
        export_archived=archived,
        custom_attributes=custom_attributes,
        processing=processing,
    )
    nothing = "nothing held; the export is empty."
    contacts, _ = _targets(connection, io, resolver, who, nothing=nothing)
    _warn_implausible(io, who.contact_id)
    bundle = collect_export(connection, resolver, contacts)
    for subject in bundle.subjects:
        if not subject.records and plausible_contact_id(subject.contact_id):
            io.status(f"Contact {subject.contact_id}: {_EMPTY_EXPORT[archived]}")
    if any(subject.records for subject in bundle.subjects):
        held = {record.field for subject in bundle.subjects for record in subject.records}
        for name in sorted(custom_attributes or {}):
            if f"contact.custom_attributes.{name}" not in held:
                io.status(
                    f"warning: no exported contact holds the custom attribute {name!r}, so the "
                    "export has nothing for it; check the name (it is case-sensitive) in "
                    "Intercom's settings, under Data > People"
                )
    if phone_only := [match.id for match in contacts if match.phone_only]:
        _note(
            io,
            f"warning: {len(phone_only)} contact(s) in this export matched by phone alone "
            f"({', '.join(phone_only)}): phone numbers are reassigned, so check they are this "
            "person before sending it.",
        )
    beside = export_format is not ExportFormat.JSON  # the covered surface is not in the text
    if export_format is ExportFormat.HTML:
        searched = who.looked_for
        write_access_report(
            io, bundle, out, processing=processing, language=language, searched=searched
        )
    elif out is None:
        io.write(bundle.render(export_format, csv_raw=csv_raw))
        if beside:
            io.status(
                "note: the covered surface is not part of a jsonl or csv stream; write to a file "
                "with --out to get it beside the export, or run 'dsr intercom surface'"
            )
    else:
        text = bundle.render(export_format, csv_raw=csv_raw)
        surface_path = out.with_name(out.name + ".surface.json")
        try:
            write_text_atomically(out, text)
            if beside:
                surface = json.dumps(bundle.surface_json(), ensure_ascii=False, indent=2) + "\n"
                write_text_atomically(surface_path, surface)
        except OSError as error:
            raise CliError(
                f"cannot write {out}: {error.strerror or type(error).__name__}; "
                "check that the directory exists and is writable"
            ) from error
        where = f"{out} (covered surface in {surface_path})" if beside else str(out)
        count = f"{bundle.record_count} record(s) of {len(bundle.subjects)} contact(s)"
        io.status(f"Wrote {count} to {where}.")
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
    """``dsr intercom surface --contact``: the id, and what the contact holds that an export
    with these declared custom attributes leaves out (it exports the contact)."""
    resolver = connection.resolver(custom_attributes=custom_attributes)
    match = ContactMatch(id=_checked_id(contact_id), role=_UNKNOWN_ROLE)
    [subject] = collect_export(connection, resolver, [match]).subjects
    return subject.contact_id, subject.held_not_exported


#: A dry run's outcome, and what the erasure would do, by what a read shows of the contact (an
#: archived one reads like an absent one; the erasure unarchives to reach it).
_PLANNED: Final = {
    Presence.HELD: ("planned", "delete"),
    Presence.NOT_VISIBLE: ("not_visible", NOT_VISIBLE),
    Presence.ABSENT: ("no_contact", NO_CONTACT),
}


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
    """One contact of a dry run's ``--json`` document (``docs/schemas/erase-plan.schema.json``),
    single-subject or bulk alike; ``phone_only`` (a bulk row's phone) makes it ``left_out``, and
    the message counts are ``None`` where not counted."""
    match = ContactMatch(
        id=contact_id,
        role=role or _UNKNOWN_ROLE,
        matched_on=frozenset() if matched is None else matched.matched_on,
    )
    held = presence is Presence.HELD
    if phone_only:
        match = match.model_copy(update={"matched_on": frozenset({"phone"})})
        return _entry(match, "left_out", held=held)
    outcome, would_do = _PLANNED[presence]
    if redactions is not None:
        would_do = f"redact {redactions}{', ' if held else '; '}{would_do}"
    return _entry(
        match,
        outcome,
        held=held,
        conversations=conversations,
        written=written,
        redacted=redacted,
        redactions=redactions,
        would_do=would_do,
        **({} if counts is None else {"counts": dict(counts)}),
    )


def _planned(match: ContactMatch, plan: ErasurePlan | SubjectFailedError | None) -> _Said:
    if plan is None:
        return _entry(match, "no_contact", held=False), _row(match, "", "", "", NO_CONTACT)
    if isinstance(plan, SubjectFailedError):
        failed = _row(match, "", "", "", "could not plan (see below)")
        return _entry(match, "failed", reason=plan.reason), failed
    scan = plan.messages
    counted = (None,) * 3 if scan is None else (scan.conversations, scan.authored, scan.redacted)
    entry = plan_entry(
        match.id,
        plan.presence,
        role=match.role,
        matched=match,
        conversations=counted[0],
        written=counted[1],
        redacted=counted[2],
        redactions=None if scan is None else plan.redactions,
        counts=plan.counts,
    )
    return entry, _row(match, *_counts(counted), entry["would_do"])


def _erased(match: ContactMatch, erasure: ResolverErasure | SubjectFailedError | None) -> _Said:
    if erasure is None:
        unsent = "no request was sent"
        return _entry(match, "no_contact", detail=unsent), _row(match, NO_CONTACT, unsent)
    if isinstance(erasure, SubjectFailedError):
        return _entry(match, "failed", reason=erasure.reason), _row(match, "FAILED", "see below")
    detail = erasure.detail or ""
    if erasure.already_absent:
        return _entry(match, "no_contact", detail=detail), _row(match, NO_CONTACT, detail)
    return _entry(match, "erased", detail=detail), _row(match, "erased", detail)


def _confirm(io: Io, contacts: Sequence[ContactMatch], policy: ErasurePolicy) -> bool:
    if not io.interactive:
        raise CliError(
            "refusing to erase without confirmation: there is no terminal to ask on; "
            "pass --yes to confirm, or --dry-run to see what would be done"
        )
    ids = ", ".join(f"{shown_id(match.id)} ({_role(match) or '-'})" for match in contacts)
    return typer.confirm(
        f"Erase {len(contacts)} Intercom contact(s) under policy {policy}: {ids}? "
        "This cannot be undone",
        default=False,
        err=True,
    )


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
    """``dsr intercom erase`` (Art. 17): 0 when every contact is erased or not held, 1 when one
    failed or the confirmation was declined; an interruption first says what was erased."""
    resolver = connection.resolver(erasure_policy=policy)
    contacts, left_out = _targets(connection, io, resolver, who, leave_out=True)
    if receipt is not None:
        receipt = replace(receipt, looked_for=who.looked_for)
    _warn_implausible(io, who.contact_id)
    if who.email is not None:
        io.status(ARCHIVED_UNSEARCHABLE)
    kind = PLAN_FORMAT if dry_run else ERASE_FORMAT
    document = {"format": kind, "policy": policy} if as_json else None
    if not contacts:
        if not left_out:
            io.status("No Intercom contact holds these identifiers: nothing to erase.")
        if document is not None:
            _said(io, document, (), [], left_out)
        if receipt is not None:
            write_erasure_receipt(connection, io, resolver, [], receipt)
        return ExitCode.OK
    if dry_run:
        plans = each_contact(connection, contacts, resolver.plan_erasure, "Planning")
        said = [_planned(match, plan) for match, plan in plans]
        columns = ("Contact id", "Role", "Convs", "Written", "Redacted", "Would do")
        _said(io, document, columns, said, left_out)
        io.status(f"Dry run under policy {policy}: nothing was changed.")
        return _failed(io, "planning the erasure of", [entry for entry, _ in said])
    if not assume_yes and not _confirm(io, contacts, policy):
        io.status("Aborted: nothing was erased.")
        return ExitCode.FAILED
    results: list[tuple[ContactMatch, ResolverErasure | SubjectFailedError | None]] = []
    try:
        for result in each_contact(connection, contacts, resolver.erase_subject, "Erasing"):
            results.append(result)
    except KeyboardInterrupt:
        done = [m.id for m, r in results if isinstance(r, ResolverErasure) and not r.already_absent]
        left = [shown_id(m.id) for m in contacts[len(results) :]]
        io.error(
            f"interrupted: erased {', '.join(done) or 'none'}; not erased or unknown: "
            f"{', '.join(left) or 'none'} (run the same command again to finish)"
        )
        raise
    said = [_erased(match, erasure) for match, erasure in results]
    _said(io, document, ("Contact id", "Role", "Result", "Detail"), said, left_out)
    if receipt is not None:
        unsent = SubjectFailedError("not an Intercom contact id; no request was sent")
        outcomes = [(match, unsent if erasure is None else erasure) for match, erasure in results]
        write_erasure_receipt(connection, io, resolver, outcomes, receipt)
    return _failed(io, "erasing", [entry for entry, _ in said])


def run_object(
    connection: Connection,
    io: Io,
    who: Identifiers,
    *,
    dry_run: bool = False,
    as_json: bool = False,
) -> int:
    """``dsr intercom object`` (Art. 21): stop direct marketing to each contact, read back (with
    ``dry_run``, only say what would change); 1 when one failed."""
    resolver = connection.resolver()
    nothing = "nothing to object to."
    contacts, left_out = _targets(connection, io, resolver, who, nothing=nothing, leave_out=True)
    act = functools.partial(resolver.object_to_marketing, dry_run=dry_run)
    entries: list[dict[str, Any]] = []
    for match, result in each_contact(connection, contacts, act, "Objecting"):
        if isinstance(result, SubjectFailedError):
            entries.append(_entry(match, "failed", reason=result.reason))
        elif result is None or not result.found:
            _warn_implausible(io, match.id)
            if not as_json:
                io.status(f"Contact {match.id}: Intercom holds {NO_CONTACT}; nothing to change.")
            entries.append(_entry(match, "no_contact", fields=[], subscription_types=[]))
        else:
            if not as_json:
                verb = "would turn off" if dry_run else "turned off"
                io.out.print(
                    f"Contact {match.id}: {verb} {', '.join(result.fields) or 'no field'} and "
                    f"opted out of {len(result.subscription_types)} subscription type(s)"
                    + ("" if dry_run else "; Intercom shows them off")
                    + (" (found archived, archived again)" if result.archived else "")
                    + ".",
                    soft_wrap=True,
                )
            types = list(result.subscription_types)
            outcome = "would_object" if dry_run else "objected"
            entries.append(
                _entry(match, outcome, fields=list(result.fields), subscription_types=types)
            )
    entries += [_entry(match, "left_out", fields=[], subscription_types=[]) for match in left_out]
    if as_json:
        _write_json(io, {"format": OBJECT_FORMAT, "dry_run": dry_run, "contacts": entries})
    return _failed(io, "objecting for", entries)


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
    """``dsr intercom verify``: read back whether each contact is gone (and, under
    ``redact_messages``, what it wrote); 1 when one is still held or readable, or a check failed."""
    if not contact_ids and not who.given:
        raise CliError("give at least one CONTACT_ID, or --email, --phone, --external-id")
    resolver = connection.resolver(erasure_policy=policy)
    found = {m.id: m for m in _targets(connection, io, resolver, who)[0]} if who.given else {}
    ids = [*contact_ids, *(contact_id for contact_id in found if contact_id not in contact_ids)]
    contacts = [
        found.get(contact_id)
        or ContactMatch(id=contact_id, role=(roles or {}).get(contact_id, _UNKNOWN_ROLE))
        for contact_id in dict.fromkeys(map(_checked_id, ids))
    ]
    held: list[str] = []
    said: list[_Said] = []
    for match, check in each_contact(connection, contacts, resolver.verify_erasure, "Verifying"):
        if check is None:
            _warn_implausible(io, match.id)
            said.append((_entry(match, "no_contact", held=False), _row(match, "", "", NO_CONTACT)))
            continue
        if isinstance(check, SubjectFailedError):
            failed = _row(match, "", "", "could not check (see below)")
            said.append((_entry(match, "failed", reason=check.reason), failed))
            continue
        scan = check.messages
        if check.contact_exists:
            outcome, result = "held", "STILL HELD (archived)" if check.archived else "STILL HELD"
            held.append(f"contact {match.id} is still held; run 'dsr intercom erase' for it")
        elif scan is not None and scan.unredacted:
            outcome, result = "messages_readable", f"{NO_CONTACT}; messages READABLE"
            held.append(
                f"contact {match.id} is gone but {scan.unredacted} message(s) it wrote are "
                "still readable; run 'dsr intercom erase --policy redact_messages' for it"
            )
        elif not check.erased:  # e.g. a conversation cut by Intercom's 500-part cap
            cut = scan.incomplete if scan is not None else 0
            outcome, result = "unverified", f"{NO_CONTACT}; NOT VERIFIED"
            held.append(
                f"contact {match.id} is gone but what it wrote cannot all be checked "
                f"({cut} conversation(s) past Intercom's 500-part cap); it is not verified erased"
            )
        else:
            outcome = "no_contact"
            result = NO_CONTACT if scan is None else f"{NO_CONTACT}; nothing it wrote readable"
        counted = (None, None) if scan is None else (scan.conversations, scan.unredacted)
        exists = check.contact_exists
        entry = _entry(match, outcome, held=exists, conversations=counted[0], unredacted=counted[1])
        said.append((entry, _row(match, *_counts(counted), result)))
    # "Result" says whether the contact is held; a narrow table reads at 80 columns.
    columns = ("Contact id", "Role", "Convs", "Readable", "Result")
    _said(io, {"format": VERIFY_FORMAT, "policy": policy} if as_json else None, columns, said)
    status = _failed(io, "verifying", [entry for entry, _ in said])
    for problem in held:
        io.error(problem)
    return ExitCode.FAILED if held else status


def run_rectify(
    connection: Connection,
    io: Io,
    who: Identifiers,
    *,
    changes: Mapping[str, str | None],
    custom_attributes: Mapping[str, PiiCategory] | None = None,
    as_json: bool = False,
) -> int:
    """``dsr intercom rectify`` (Art. 16): correct profile fields and declared custom attributes;
    1 when one failed, 2 (nothing sent) for no change or a field that cannot be corrected."""
    resolver = connection.resolver(custom_attributes=custom_attributes)
    if not changes:
        raise CliError(
            "nothing to correct: give --set FIELD=VALUE or --clear FIELD "
            f"(fields: {', '.join(sorted(resolver.correctable_fields))})"
        )
    try:  # the library's own checks, before any request
        checked = resolver.checked_changes(changes)
    except RectificationError as error:
        raise CliError(f"cannot correct: {error}") from error
    nothing = "nothing was corrected."
    contacts, left_out = _targets(connection, io, resolver, who, nothing=nothing, leave_out=True)
    corrections = each_contact(
        connection, contacts, lambda ref: resolver.rectify_subject(ref, checked), "Correcting"
    )
    entries: list[dict[str, Any]] = []
    for match, result in corrections:
        if result is None:
            _warn_implausible(io, match.id)
            entries.append(_entry(match, "no_contact", fields=[]))
        elif isinstance(result, SubjectFailedError):
            io.error(f"correcting contact {match.id} failed: {result.reason}")
            entries.append(_entry(match, "failed", fields=[], reason=result.reason))
        elif result.already_absent:
            io.status(f"Contact {match.id}: Intercom holds {NO_CONTACT}; nothing was corrected.")
            entries.append(_entry(match, "no_contact", fields=[]))
        else:
            if not as_json:
                said = f"Corrected {', '.join(result.fields)} of contact {match.id}."
                io.out.print(said, soft_wrap=True)
            entries.append(_entry(match, "corrected", fields=list(result.fields)))
    status = ExitCode.FAILED if any(e["outcome"] == "failed" for e in entries) else ExitCode.OK
    if as_json:
        entries += [_entry(match, "left_out", fields=[]) for match in left_out]
        if who.given:
            _write_json(io, {"format": RECTIFY_FORMAT, "contacts": entries})
        else:
            _write_json(io, {"format": RECTIFY_FORMAT, **entries[0]})
    return status
