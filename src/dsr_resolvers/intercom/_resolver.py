"""IntercomResolver: answer a data-subject request for one Intercom contact.

A subject is addressed by its Intercom contact id (``SubjectRef(kind="intercom", value=id)``);
:meth:`IntercomResolver.find_contact_ids` turns an email, phone or external id into those ids.

| right    | method                | what it does                                             |
|----------|-----------------------|----------------------------------------------------------|
| Art. 15  | ``export_subject``    | every enabled section (see ``_export.py`` for requests)   |
| Art. 17  | ``erase_subject``     | the configured erasure policy (see ``_erase.py``)         |
| Art. 16  | ``rectify_subject``   | ``PUT /contacts/{id}``: profile fields, declared custom   |
|          |                       | attributes                                                |
| Art. 21  | ``object_to_marketing`` | unsubscribe and opt out of every subscription type (see |
|          |                       | ``_objection.py``), read back                             |
| lookup   | ``find_contacts``     | one ``POST /contacts/search`` by email, phone and/or      |
|          |                       | external id (users and leads), every page                 |
|          | ``find_subjects``     | the same, as the contract's ``LookupResolver``            |
| audit    | ``plan_erasure`` / ``verify_erasure`` | read-only dry run and read-back           |
| check    | ``probe``             | one request to a named route (``dsr intercom check``)     |

It satisfies every protocol of the contract: ``AttestingResolver``, ``RectifyingResolver``,
``ObjectingResolver``, ``LookupResolver``, ``PlanningResolver``, ``VerifyingResolver``,
``LedgeredResolver``, ``ConcurrentResolver`` and ``ConfiguredResolver``.

Each call builds a fresh ``httpx.Client`` and runs it in a thread of the resolver's own pool
(never the event loop's default executor, which a caller's loop sizes and owns): at most
``_CALL_THREADS`` calls of one resolver run at once, more wait their turn, and a thread that
finished a call serves the next (starting a thread per call held the event loop about a
millisecond each time). Besides that pool the instance holds only configuration, so any
number of event loops and threads may share one resolver.
Inside a call, conversation reads and redactions keep up to ``max_in_flight`` requests on the
wire (``_inflight.py``). Cancelling the awaiting task stops the call: no request starts after
the cancellation arrived, and ``CancelledError`` is raised once the worker threads are done.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import ipaddress
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeVar, get_args
from urllib.parse import urlsplit

import httpx

from dsr_resolvers._text import (
    PhoneNumber,
    normalize_email,
    normalize_external_id,
    normalize_phone,
    phone_key,
)
from dsr_resolvers.contract import (
    CoveredSurface,
    ErasureLedger,
    ItemIds,
    Operation,
    PiiCategory,
    ResolverErasure,
    ResolverError,
    ResolverExport,
    ResolverRectification,
    SubjectMatch,
    SubjectRef,
)
from dsr_resolvers.intercom import _erase, _paging
from dsr_resolvers.intercom import _routes as routes
from dsr_resolvers.intercom._export import ExportConfig, export_contact
from dsr_resolvers.intercom._fields import (
    DEFAULT_SECTIONS,
    RESOLVER_NAME,
    ExportSection,
    build_covered_surface,
)
from dsr_resolvers.intercom._http import CallStopped, IntercomCall, RequestHooks, Route
from dsr_resolvers.intercom._objection import MarketingObjection, object_to_marketing
from dsr_resolvers.intercom._results import (
    ContactMatch,
    ErasurePlan,
    ErasurePolicy,
    ErasureVerification,
    IdentifierKind,
)
from dsr_resolvers.report import ProcessingRecord

__all__ = ["CORRECTABLE_FIELDS", "REGIONS", "IntercomResolver", "RectificationError"]

REGIONS: Final[dict[str, str]] = {
    "us": "https://api.intercom.io",
    "eu": "https://api.eu.intercom.io",
    "au": "https://api.au.intercom.io",
}

CORRECTABLE_FIELDS: Final = frozenset({"email", "name", "phone"})
"""Profile fields ``rectify_subject`` corrects (``PUT /contacts/{id}``)."""

_CUSTOM = "custom_attributes."
Region = Literal["us", "eu", "au"]
_T = TypeVar("_T")
_CALL_THREADS: Final = 64
"""How many calls of one resolver run at once (a bulk run's ``concurrency="auto"`` peak)."""
_GLOB_CHARACTERS = frozenset("*?[]")


class RectificationError(ResolverError, ValueError):
    """A rectification named a field this resolver does not correct; nothing was sent."""


class IntercomResolver:
    """Exports, erases and rectifies one Intercom contact.

    Args:
        access_token: An Intercom access token. Never shown by ``repr``, ``str``, errors or logs.
        base_url: The API host; defaults to the host of ``region``.
        region: ``"us"`` (default), ``"eu"`` or ``"au"``: a shortcut for the regional hosts.
            Give either ``region`` or ``base_url``, not both.
        transport: An httpx transport to send requests through (a test fake, a proxy);
            the resolver borrows it and never closes it.
        timeout: Seconds allowed for each request's connect, read and write.
        api_version: The ``Intercom-Version`` header; this library is built against 2.14.
        hooks: Instrumentation called around every request, e.g. a shared rate limiter.
        erasure_policy: ``"delete_contact"`` (default) deletes the contact;
            ``"redact_messages"`` first redacts every message the contact wrote;
            ``"delete_conversations"`` first deletes every conversation and ticket only the
            contact is in and redacts its messages in conversations shared with others.
        export_messages: Also export the messages the contact wrote (one
            ``GET /conversations/{id}`` per conversation).
        custom_attributes: The contact custom attributes that hold personal data, with their
            categories; only these are exported, and they join the covered surface. The
            names of the others a contact holds are listed in the export's
            ``held_not_exported``.
        conversation_attributes: The same for conversations' custom attributes.
        ticket_attributes: The same for tickets' own attributes (beyond the title and
            description, always exported).
        sections: The export sections to fetch (default: all but messages); a section not
            enabled costs no request.
        export_archived: Let ``export_subject`` unarchive an archived contact, export it and
            archive it again. Off by default, since unarchiving changes the workspace; the
            covered surface then declares archived contacts as left out. Erasure and
            verification always reach archived contacts.
        max_in_flight: How many requests one call keeps on the wire at once while it reads
            conversations or redacts messages; ``1`` sends them one after another. Every
            request still passes ``hooks``, so a shared rate limiter paces them all.
        processing: The controller's record of processing: every exported record then
            carries the ``legal_basis``, ``purpose`` and ``retention_reason`` it states.
        name: The resolver's name (default ``"intercom"``): the ``kind`` of the refs it
            accepts and the ``resolver`` of its results. A saga engine that reaches several
            Intercom workspaces registers one resolver per workspace, each under its own
            name (``"intercom-eu"``, ``"intercom-us"``).

    Raises:
        ValueError: A token that is empty or cannot be sent in a header, an unknown region,
            both ``region`` and ``base_url``, a base URL that is not https (plain http is
            allowed to loopback hosts only), an unknown policy, section or category, a
            custom attribute name with glob characters, ``max_in_flight`` below 1, or a
            name that is empty or not printable.

    Example:
        >>> resolver = IntercomResolver("token", region="eu")
        >>> resolver
        IntercomResolver(base_url='https://api.eu.intercom.io', api_version='2.14', erasure_policy='delete_contact')
    """  # noqa: E501

    def __init__(
        self,
        access_token: str,
        *,
        base_url: str | None = None,
        region: Region | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
        api_version: str = "2.14",
        hooks: RequestHooks | None = None,
        erasure_policy: ErasurePolicy = "delete_contact",
        export_messages: bool = False,
        custom_attributes: Mapping[str, PiiCategory | str] | None = None,
        conversation_attributes: Mapping[str, PiiCategory | str] | None = None,
        ticket_attributes: Mapping[str, PiiCategory | str] | None = None,
        sections: Iterable[ExportSection | str] | None = None,
        export_archived: bool = False,
        max_in_flight: int = 8,
        processing: ProcessingRecord | None = None,
        name: str = RESOLVER_NAME,
    ) -> None:
        if not isinstance(name, str) or not name or not name.isprintable() or name != name.strip():
            raise ValueError("the resolver name must be non-empty printable text")
        if not _sendable_token(access_token):
            # Never echo the token: the message says what is wrong with it, not what it is.
            raise ValueError(_UNSENDABLE_CREDENTIAL)
        if region is not None and base_url is not None:
            raise ValueError("give either region or base_url, not both")
        if region is not None and region not in REGIONS:
            raise ValueError(f"unknown Intercom region {region!r}; use one of us, eu, au")
        if timeout <= 0:
            raise ValueError("timeout must be a positive number of seconds")
        if isinstance(max_in_flight, bool) or not isinstance(max_in_flight, int):
            raise ValueError("max_in_flight must be a whole number of requests")
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        if erasure_policy not in get_args(ErasurePolicy):
            raise ValueError(
                f"unknown erasure policy {erasure_policy!r}; use "
                + ", ".join(get_args(ErasurePolicy))
            )
        self._token: Final = access_token
        self._base_url: Final = _checked_base_url(base_url or REGIONS[region or "us"])
        self._max_in_flight: Final = max_in_flight
        self._transport: Final = transport
        self._timeout: Final = timeout
        self._api_version: Final = api_version
        self._hooks: Final = hooks
        self._policy: Final[ErasurePolicy] = erasure_policy
        self._export: Final = ExportConfig(
            sections=_sections(sections, export_messages=export_messages),
            custom_attributes=_declared_attributes(custom_attributes or {}),
            archived=export_archived,
            conversation_attributes=_declared_attributes(conversation_attributes or {}),
            ticket_attributes=_declared_attributes(ticket_attributes or {}),
        )
        self._processing: Final = processing
        self._name: Final = name
        self._calls = _CallThreads()

    def __repr__(self) -> str:
        named = "" if self._name == RESOLVER_NAME else f"name={self._name!r}, "
        return (
            f"{type(self).__name__}({named}base_url={self._base_url!r}, "
            f"api_version={self._api_version!r}, erasure_policy={self._policy!r})"
        )

    @property
    def name(self) -> str:
        """The name given at construction, ``"intercom"`` by default: saga engines key their
        audit trails on it, and one workspace's resolver is told from another's by it."""
        return self._name

    @property
    def base_url(self) -> str:
        """The API host requests go to."""
        return self._base_url

    @property
    def max_in_flight(self) -> int:
        """How many requests one call keeps on the wire at once (1: one after another)."""
        return self._max_in_flight

    @property
    def erasure_policy(self) -> ErasurePolicy:
        """What ``erase_subject`` does: ``delete_contact``, ``redact_messages`` or
        ``delete_conversations``."""
        return self._policy

    @property
    def sections(self) -> frozenset[ExportSection]:
        """The export sections this resolver fetches."""
        return self._export.sections

    def requests_in_flight(self, operation: Operation) -> int:
        """Requests one call keeps in flight: ``max_in_flight`` where it reads or redacts
        conversations (a ``redact_messages`` or ``delete_conversations`` erasure, an export
        with messages), else 1."""
        if operation == "object":
            return 1
        if operation == "erase":
            fans_out = self._policy != "delete_contact"
        else:
            fans_out = ExportSection.MESSAGES in self._export.sections
        return self._max_in_flight if fans_out else 1

    def options_for(self, operation: Operation) -> dict[str, str]:
        """What decides ``operation``'s outcome, as a bulk journal records it: the erasure
        policy, or the export sections (and archived contacts, custom attributes when set);
        nothing for an objection, which has no settings."""
        if operation == "object":
            return {}
        if operation == "erase":
            return {"erasure_policy": self._policy}
        options = {"sections": ",".join(sorted(self._export.sections))}
        if self._export.archived:
            options["archived"] = "yes"
        if self._export.custom_attributes:
            options["custom_attributes"] = ",".join(
                f"{name}={category.value}"
                for name, category in sorted(self._export.custom_attributes.items())
            )
        return options

    @property
    def correctable_fields(self) -> frozenset[str]:
        """The fields ``rectify_subject`` accepts: the profile fields, and each declared custom
        attribute as ``custom_attributes.<name>``."""
        return CORRECTABLE_FIELDS | {_CUSTOM + name for name in self._export.custom_attributes}

    @property
    def covered_surface(self) -> CoveredSurface:
        """What export and erasure reach, derived from the exporter's own field tables."""
        return build_covered_surface(
            sections=self._export.sections,
            custom_attributes=self._export.custom_attributes,
            erasure_policy=self._policy,
            export_archived=self._export.archived,
            conversation_attributes=self._export.conversation_attributes,
            ticket_attributes=self._export.ticket_attributes,
        )

    async def export_subject(self, ref: SubjectRef) -> ResolverExport:
        """Export everything the enabled sections hold about the contact (Art. 15).

        Args:
            ref: ``SubjectRef(kind="intercom", value=<contact id>)``.

        Returns:
            Every record held; empty only when Intercom answers its not-found for the contact.
            ``presence`` tells the two empty cases apart: ``not_visible`` without
            ``export_archived`` (an archived contact answers not found too: it may be held),
            ``absent`` with it (not even archived).
            ``held_not_exported`` names the custom attributes the contact, its conversations
            and tickets hold that were not declared (names only).

        Raises:
            IncompleteConversationError: With messages: a conversation Intercom shows only
                the 500 most recent parts of (``conversation_ids`` names them).
            NotIntercomError: A 404 that is not Intercom's (check ``base_url``).
            ResolverError: A wrong ref kind, or Intercom refused (401, 403, other 4xx).
            httpx.HTTPStatusError: 429 (as ``RateLimitedError``) or 5xx: retry.
            MalformedResponseError: An unexpected 2xx body or a repeating cursor: retry.
            httpx.TransportError: A connection fault or timeout: retry.
        """
        contact_id = self._contact_id(ref)
        found = await self._run(
            "export", lambda call: export_contact(call, contact_id, self._export)
        )
        records = found.records
        if self._processing is not None:
            records = self._processing.annotate(records)
        return ResolverExport(
            resolver=self.name,
            records=records,
            held_not_exported=found.undeclared,
            presence=found.presence,
        )

    async def erase_subject(self, ref: SubjectRef) -> ResolverErasure:
        """Erase the contact under the configured policy (Art. 17); idempotent.

        Under ``redact_messages`` and ``delete_conversations`` the contact is deleted last,
        so calling again after any failure completes the erasure. A contact Intercom answers
        not found for is unarchived first (archived contacts answer so); ``detail`` says when
        it was. Every policy first lists the contact's conversations and tickets: their ids
        are the result's ``found``, for :meth:`verify_erasure` to read back.

        Args:
            ref: ``SubjectRef(kind="intercom", value=<contact id>)``.

        Returns:
            The outcome; ``already_absent=True`` when Intercom had no such contact, archived
            or not. ``detail`` says what was done and holds no personal data.

        Raises:
            IncompleteConversationError: Under ``redact_messages`` (``delete_conversations``:
                in a conversation shared with others), a conversation Intercom shows only the
                500 most recent parts of; the contact is not deleted.
            NotIntercomError: A 404 that is not Intercom's (check ``base_url``).
            ResolverError: A wrong ref kind, or Intercom refused (401, 403, other 4xx).
            httpx.HTTPStatusError: 429 (as ``RateLimitedError``) or 5xx: retry.
            MalformedResponseError: An unexpected 2xx body: retry.
            httpx.TransportError: A connection fault or timeout: retry.
        """
        contact_id = self._contact_id(ref)
        return await self._erase(contact_id, None)

    async def erase_with_ledger(self, ref: SubjectRef, ledger: ErasureLedger) -> ResolverErasure:
        """:meth:`erase_subject`, announcing each conversation and ticket deletion
        (``delete_conversations``) to ``ledger`` before it is sent (the contract's
        ``LedgeredResolver``): a bulk journal keeps them, so a run killed at any step resumes
        without repeating or skipping a deletion. The other policies delete nothing but the
        contact, and announce nothing."""
        contact_id = self._contact_id(ref)
        return await self._erase(contact_id, ledger)

    async def _erase(self, contact_id: str, ledger: ErasureLedger | None) -> ResolverErasure:
        def erase(call: IntercomCall) -> ResolverErasure:
            if self._policy == "delete_conversations":
                return _erase.delete_conversations(call, contact_id, ledger)
            if self._policy == "redact_messages":
                return _erase.redact_then_delete(call, contact_id)
            return _erase.delete_contact(call, contact_id)

        erasure = await self._run("erase", erase)
        return erasure.model_copy(update={"resolver": self.name})

    async def rectify_subject(
        self, ref: SubjectRef, changes: Mapping[str, str | None]
    ) -> ResolverRectification:
        """Correct profile fields and declared custom attributes (Art. 16) with
        ``PUT /contacts/{id}``.

        Args:
            ref: ``SubjectRef(kind="intercom", value=<contact id>)``.
            changes: New values by field name (see ``correctable_fields``): ``email``,
                ``name``, ``phone``, or ``custom_attributes.<declared name>``; ``None``
                clears.

        Returns:
            The names of the fields corrected, or ``already_absent=True`` when Intercom holds
            no such contact (nothing was held, so nothing needed correcting).

        Raises:
            RectificationError: No change, a field name that is not correctable (a custom
                attribute that was not declared included), or an attempt to clear ``email``
                (Intercom allows clearing name and phone only);
                raised before any request.
            ResolverError: Intercom refused the values (e.g. 422) or the token (401, 403).
            httpx.HTTPStatusError: 429 (as ``RateLimitedError``) or 5xx: retry.
            MalformedResponseError: An unexpected 2xx body: retry.
            httpx.TransportError: A connection fault or timeout: retry.
        """
        contact_id = self._contact_id(ref)
        checked = self.checked_changes(changes)
        fields = tuple(checked)
        body: dict[str, object] = {n: checked[n] for n in fields if not n.startswith(_CUSTOM)}
        custom = {n.removeprefix(_CUSTOM): checked[n] for n in fields if n.startswith(_CUSTOM)}
        if custom:
            body["custom_attributes"] = custom

        def rectify(call: IntercomCall) -> ResolverRectification:
            updated = call.request(
                *routes.UPDATE_CONTACT, path_params={"id": contact_id}, json_body=body
            )
            if updated is None:
                return ResolverRectification(
                    resolver=self.name,
                    already_absent=True,
                    detail="Intercom answered not found for this id (as it does for an archived"
                    " contact); nothing was corrected",
                )
            return ResolverRectification(
                resolver=self.name,
                fields=fields,
                detail=f"updated {len(fields)} field(s) of the Intercom contact",
            )

        return await self._run("rectify", rectify)

    async def object_to_marketing(
        self, ref: SubjectRef, *, dry_run: bool = False
    ) -> MarketingObjection:
        """Act on an objection to direct marketing (Art. 21(2)-(3)), then read it back.

        Sets ``unsubscribed_from_emails`` and opts the contact out of every live subscription
        type that still reaches it (``POST /contacts/{id}/subscriptions``, ``opt_out``). An
        archived contact is unarchived, changed and archived again, as erasure reaches it.

        Args:
            ref: ``SubjectRef(kind="intercom", value=<contact id>)``.
            dry_run: Only read: say what would change, send nothing (and do not unarchive).

        Returns:
            The field names and subscription type ids changed (no values);
            ``already_absent=True`` when Intercom has no such contact, archived or not.

        Raises:
            ObjectionNotConfirmedError: Intercom accepted the changes but does not show them
                when read back.
            ResolverError: A wrong ref kind, or Intercom refused (401, 403, other 4xx).
            httpx.HTTPStatusError: 429 (as ``RateLimitedError``) or 5xx: retry.
            MalformedResponseError: An unexpected 2xx body: retry.
            httpx.TransportError: A connection fault or timeout: retry.
        """
        contact_id = self._contact_id(ref)
        return await self._run(
            "object", lambda call: object_to_marketing(call, contact_id, dry_run=dry_run)
        )

    def checked_changes(self, changes: Mapping[str, str | None]) -> dict[str, str | None]:
        """What :meth:`rectify_subject` would send for ``changes``, checked without a request.

        Args:
            changes: New values by field name (see ``correctable_fields``); ``None`` clears.

        Returns:
            The changes, fields sorted, an email as :func:`normalize_email` returns it.

        Raises:
            RectificationError: No change, a field that is not correctable, a value that is not
                text, clearing ``email``, an email that is not an address, or a phone that is
                not a phone number. The message never repeats a value.
        """
        correctable = self.correctable_fields
        unknown = sorted(set(changes) - correctable)
        if unknown or not changes:
            # Names only: an undeclared attribute's name is the caller's, never a value.
            raise RectificationError(
                "intercom can rectify only "
                + ", ".join(sorted(correctable))
                + (f" (not {', '.join(unknown)})" if unknown else " (no change given)")
                + (
                    "; declare a custom attribute to correct it"
                    if any(name.startswith(_CUSTOM) for name in unknown)
                    else ""
                )
            )
        body = {name: changes[name] for name in sorted(changes)}
        for value in body.values():
            if value is not None and not isinstance(value, str):
                raise RectificationError("rectified values must be text or None")
        if "email" in body:
            if body["email"] is None:
                raise RectificationError(
                    "intercom cannot clear a contact's email (only name and phone); give a new"
                    " address, or erase the subject"
                )
            try:
                body["email"] = normalize_email(body["email"])
            except ValueError as error:
                raise RectificationError(f"email: {error}") from error
        phone = body.get("phone")
        if phone is not None and (
            not _PHONE.fullmatch(phone.strip()) or sum(c.isdigit() for c in phone) < 5
        ):
            raise RectificationError(
                "phone: not a phone number (digits, with + ( ) - . and spaces only)"
            )
        return body

    async def find_contacts(
        self,
        *,
        email: str | None = None,
        phone: str | None = None,
        external_id: str | None = None,
    ) -> tuple[ContactMatch, ...]:
        """Every contact (users and leads) holding any of these identifiers.

        One person may be several contacts (a user and one or more leads share an email, a
        lead holds the phone): an erasure must reach every id returned. All identifiers go
        into one ``POST /contacts/search`` query (an ``OR`` of at most five filters, within
        Intercom's 15 a group), read to its last page.

        Archived contacts and contacts created in the last few minutes are not found: Intercom's
        search does not return them.

        Args:
            email: Searched as given and lower-cased (how Intercom treats letter case is
                undocumented); surrounding whitespace is stripped.
            phone: As people type it (spaces, ``-``, ``.``, parentheses, a leading ``+`` or
                ``00``); searched as typed and in its compact (E.164) form.
            external_id: Searched for users and leads alike (not the users-only
                ``find_by_external_id`` route); surrounding whitespace is stripped.

        Returns:
            The matches in Intercom's order, each contact once, each saying in ``matched_on``
            which of the identifiers it holds (read from the contact's own fields; a contact
            whose fields confirm none of them is attributed to the phone when one was
            searched, since how Intercom normalises stored phones is undocumented, else to
            every identifier searched). Empty when none.

        Raises:
            ValueError: No identifier, or one that is malformed (see ``_text.py``: an email
                without ``local@domain``, a phone with a letter or fewer than 6 digits, a
                control character anywhere); raised before any request.
            ResolverError: Intercom refused (401, 403, other 4xx).
            httpx.HTTPStatusError: 429 (as ``RateLimitedError``) or 5xx: retry.
            MalformedResponseError: An unexpected 2xx body or a repeating cursor: retry.
            httpx.TransportError: A connection fault or timeout: retry.
        """
        wanted = _Wanted.of(email=email, phone=phone, external_id=external_id)

        def search(call: IntercomCall) -> tuple[ContactMatch, ...]:
            found = _paging.search(call, routes.CONTACT_SEARCH.path, wanted.query, "data")
            return _dedupe(wanted.match(call, contact) for contact in found)

        return await self._run("lookup", search)

    async def find_contact_ids(
        self,
        *,
        email: str | None = None,
        phone: str | None = None,
        external_id: str | None = None,
    ) -> tuple[str, ...]:
        """The ids of :meth:`find_contacts`: every contact to reach for this person."""
        matches = await self.find_contacts(email=email, phone=phone, external_id=external_id)
        return tuple(match.id for match in matches)

    async def find_subjects(
        self,
        *,
        email: str | None = None,
        phone: str | None = None,
        external_id: str | None = None,
    ) -> tuple[SubjectMatch, ...]:
        """:meth:`find_contacts` as the contract's ``LookupResolver``: a ref per contact, with
        what it matched on.

        Raises:
            ValueError: As :meth:`find_contacts`.
        """
        matches = await self.find_contacts(email=email, phone=phone, external_id=external_id)
        return tuple(
            SubjectMatch(ref=SubjectRef(kind=self.name, value=m.id), matched_on=m.matched_on)
            for m in matches
        )

    async def plan_erasure(self, ref: SubjectRef) -> ErasurePlan:
        """What ``erase_subject`` would do, read-only: the dry run.

        Under ``redact_messages`` this reads every conversation of the contact. A contact
        Intercom answers not found for is ``not_visible``: absent, or archived (which the
        erasure unarchives and deletes); no read can tell which.
        """
        contact_id = self._contact_id(ref)
        return await self._run(
            "verify", lambda call: _erase.plan_erasure(call, contact_id, self._policy)
        )

    async def verify_erasure(
        self, ref: SubjectRef, *, found: ItemIds | None = None
    ) -> ErasureVerification:
        """Read back whether the contact still exists and, under ``redact_messages``,
        whether any message it wrote is still unredacted. No personal data in the result.

        Conversation search by ``contact_ids`` is how messages are found; once the contact
        is deleted Intercom may no longer find them. So give ``found`` (the erasure's
        ``ResolverErasure.found``): each conversation (``GET /conversations/{id}``) and
        ticket (``GET /tickets/{id}``) is read again. It is ``gone`` only on Intercom's own
        not-found; ``kept`` when it is shared with others and shows nothing of the contact
        unredacted; else ``remaining``, with its id (a conversation Intercom still shows
        after its contact was deleted is never hidden), and ``erased`` is ``False``.

        Raises:
            ValueError: ``found`` names a kind other than ``conversation`` and ``ticket``,
                before any request.
        """
        contact_id = self._contact_id(ref)
        unknown = set(found or {}) - set(_erase.ITEM_KINDS)
        if unknown:
            raise ValueError("found names kinds intercom does not hold; use conversation, ticket")
        return await self._run(
            "verify",
            lambda call: _erase.verify_erasure(call, contact_id, self._policy, found),
        )

    async def probe(
        self,
        route: Route,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        json_body: object = None,
    ) -> dict[str, object] | None:
        """Send one request to one of this plugin's routes (``_routes.py``), as any call does.

        For diagnostics such as ``dsr intercom check``: the same client, headers, hooks and
        error taxonomy as every other call, so a probe sees what a real run would see.

        Returns:
            The JSON object answered, or ``None`` for Intercom's own 404 (not found).

        Raises:
            CredentialsRefusedError: 401 or 403.
            NotIntercomError: A 404 that is not Intercom's (check ``base_url``).
        """
        return await self._run(
            "check",
            lambda call: call.request(
                route.method,
                route.path,
                path_params=path_params,
                params=params,
                json_body=json_body,
            ),
        )

    # -- plumbing --------------------------------------------------------------------------------

    async def _run(self, action: str, work: Callable[[IntercomCall], _T]) -> _T:
        """Run ``work`` with a fresh client in a thread of the resolver's pool; cancellation
        stops it.

        When the awaiting task is cancelled, the call is halted (no request starts after
        that), and ``CancelledError`` is re-raised only once the worker thread has returned,
        so that nothing of this call reaches Intercom after the caller saw the cancellation.
        Until then the thread's result travels as with ``loop.run_in_executor``: no extra
        task, callback or wake-up, so a call that finished is not lost to a cancellation
        arriving a moment later (a bulk run records what it finished). A call still waiting
        for a thread when it is cancelled never starts. The context's variables travel along.
        """
        stop = threading.Event()
        began = threading.Lock()  # taken by whichever comes first: the thread or the cancel
        returned = threading.Event()

        def in_thread() -> _T:
            if not began.acquire(blocking=False):  # cancelled before the thread started
                raise CallStopped(f"the {action} call was cancelled before it started")
            try:
                with IntercomCall(
                    action=action,
                    base_url=self._base_url,
                    token=self._token,
                    api_version=self._api_version,
                    timeout=self._timeout,
                    transport=self._transport,
                    hooks=self._hooks,
                    max_in_flight=self._max_in_flight,
                    stop=stop,
                ) as call:
                    return work(call)
            finally:
                returned.set()

        running = asyncio.get_running_loop().run_in_executor(
            self._calls.pool(), contextvars.copy_context().run, in_thread
        )
        try:
            return await running
        except asyncio.CancelledError:
            stop.set()
            if not began.acquire(blocking=False):  # the thread runs: wait until it returned
                await _returned(returned)
            raise

    def _contact_id(self, ref: SubjectRef) -> str:
        if ref.kind != self.name:
            raise ResolverError(
                f"this resolver resolves refs of kind {self.name!r} only (got kind={ref.kind!r})"
            )
        return ref.value


class _CallThreads:
    """The resolver's pool of call threads, made again in a forked child (whose copy of the
    parent's pool has no threads left to serve it)."""

    def __init__(self) -> None:
        self._pid = -1
        self._pool: ThreadPoolExecutor | None = None

    def pool(self) -> ThreadPoolExecutor:
        if self._pool is None or self._pid != os.getpid():
            self._pool = ThreadPoolExecutor(_CALL_THREADS, thread_name_prefix="intercom-call")
            self._pid = os.getpid()
        return self._pool


@dataclass(frozen=True)
class _Wanted:
    """The identifiers of one lookup, checked, and the one search query that finds them."""

    email: str | None
    phone: PhoneNumber | None
    external_id: str | None

    @classmethod
    def of(cls, *, email: str | None, phone: str | None, external_id: str | None) -> _Wanted:
        if email is None and phone is None and external_id is None:
            raise ValueError("give at least one of email, phone and external_id")
        return cls(
            email=None if email is None else normalize_email(email),
            phone=None if phone is None else normalize_phone(phone),
            external_id=None if external_id is None else normalize_external_id(external_id),
        )

    @property
    def query(self) -> dict[str, Any]:
        """One filter, or one ``OR`` group of at most five (Intercom allows 15 a group)."""
        pairs: list[tuple[str, str]] = []
        if self.email is not None:
            pairs += [("email", self.email), ("email", self.email.lower())]
        if self.phone is not None:
            pairs += [("phone", spelling) for spelling in self.phone.spellings]
        if self.external_id is not None:
            pairs.append(("external_id", self.external_id))
        filters = [
            {"field": name, "operator": "=", "value": value} for name, value in dict.fromkeys(pairs)
        ]
        return filters[0] if len(filters) == 1 else {"operator": "OR", "value": filters}

    def match(self, call: IntercomCall, contact: object) -> ContactMatch:
        """The contact as a match, with the identifiers its own fields show it holds."""
        found = _match(call, routes.CONTACT_SEARCH, contact)
        assert isinstance(contact, dict)  # checked by _match
        held: set[IdentifierKind] = set()
        stored_email = contact.get("email")
        if (
            self.email is not None
            and isinstance(stored_email, str)
            and stored_email.lower() == self.email.lower()
        ):
            held.add("email")
        stored_phone = contact.get("phone")
        if (
            self.phone is not None
            and isinstance(stored_phone, str)
            and phone_key(stored_phone) == self.phone.compact
        ):
            held.add("phone")
        if self.external_id is not None and contact.get("external_id") == self.external_id:
            held.add("external_id")
        if not held:
            # Intercom found it by a form its fields do not show (its phone normalisation is
            # undocumented): never let such a contact pass for more than a phone match.
            held = {"phone"} if self.phone is not None else set(self.searched)
        return found.model_copy(update={"matched_on": frozenset(held)})

    @property
    def searched(self) -> frozenset[IdentifierKind]:
        """The kinds of identifier this lookup searches."""
        kinds: set[IdentifierKind] = set()
        if self.email is not None:
            kinds.add("email")
        if self.phone is not None:
            kinds.add("phone")
        if self.external_id is not None:
            kinds.add("external_id")
        return frozenset(kinds)


async def _returned(returned: threading.Event) -> None:
    """Wait for a stopped call's thread, however often this task is cancelled meanwhile.

    Polled: the thread signals nothing to the event loop, so its normal return costs
    nothing extra; a stopped call finishes within its requests' timeout.
    """
    while not returned.is_set():
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(0.005)


#: A phone number as people write one: digits with + ( ) - . and spaces (and five digits).
_PHONE: Final = re.compile(r"\+?[\d ().-]+")

_UNSENDABLE_CREDENTIAL = (
    "the Intercom access token is empty, has surrounding whitespace, or holds a character a "
    "header cannot carry (a control character or one outside latin-1)"
)


def _sendable_token(token: str) -> bool:
    """Whether ``token`` can go into an ``Authorization`` header as it is."""
    return (
        bool(token)
        and token == token.strip()
        and token.isprintable()
        and all(ord(character) < 256 for character in token)
    )


def _checked_base_url(base_url: str) -> str:
    """The base URL without a trailing slash; https, or plain http to a loopback host."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("base_url must be an http(s) URL such as https://api.eu.intercom.io")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError(
            "base_url uses plain http to a host that is not loopback; the token would travel "
            "unencrypted: use https"
        )
    return base_url.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _sections(
    sections: Iterable[ExportSection | str] | None, *, export_messages: bool
) -> frozenset[ExportSection]:
    try:
        chosen = DEFAULT_SECTIONS if sections is None else frozenset(map(ExportSection, sections))
    except ValueError:
        names = ", ".join(s.value for s in ExportSection)
        raise ValueError(f"unknown export section; use some of {names}") from None
    if export_messages:
        chosen |= {ExportSection.MESSAGES}
    if ExportSection.MESSAGES in chosen and ExportSection.CONVERSATIONS not in chosen:
        raise ValueError("exporting messages needs the conversations section")
    return chosen


def _declared_attributes(declared: Mapping[str, PiiCategory | str]) -> dict[str, PiiCategory]:
    out: dict[str, PiiCategory] = {}
    for name, category in declared.items():
        if not name or _GLOB_CHARACTERS & set(name):
            raise ValueError("custom attribute names must be non-empty and free of * ? [ ]")
        try:
            out[name] = PiiCategory(category)
        except ValueError:
            raise ValueError(f"unknown category {category!r} for a custom attribute") from None
    return out


def _match(call: IntercomCall, where: Route, contact: object) -> ContactMatch:
    if not isinstance(contact, dict) or not isinstance(contact.get("id"), str):
        raise call.malformed(*where, "a contact without an id")
    role = contact.get("role")
    return ContactMatch(id=contact["id"], role=role if isinstance(role, str) else "unknown")


def _dedupe(matches: Iterable[ContactMatch]) -> tuple[ContactMatch, ...]:
    seen: dict[str, ContactMatch] = {}
    for match in matches:
        seen.setdefault(match.id, match)
    return tuple(seen.values())
