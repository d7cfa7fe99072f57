"""The one seeding API of FakeIntercom: how a test puts people and their data in the workspace.

FakeIntercom inherits these methods; nothing else seeds the workspace, so a seeding argument
is declared, checked and documented once. Each method takes the fake's lock, so seeding is
safe while requests are being answered from other threads.

| method                    | what it adds                                                  |
|---------------------------|---------------------------------------------------------------|
| ``add_contact``           | a user or lead (every contact field of the 2.14 schema)        |
| ``add_admin``             | a teammate, to author notes and parts                          |
| ``define_custom_attribute`` | a contact custom attribute ``PUT /contacts/{id}`` may set    |
| ``tag_contact``, ``add_company_to_contact``, ``add_note``, ``add_segment`` | as named |
| ``add_subscription_type`` | a workspace subscription type (``GET /subscription_types``)    |
| ``set_subscription``      | a contact's preference for a subscription type                 |
| ``add_conversation``, ``add_part``, ``rate_conversation`` | a conversation, its parts, a rating |
| ``add_call``              | a phone call in a conversation, with its transcript            |
| ``add_ticket``, ``add_ticket_part`` | a ticket (with its attributes) and its parts         |
| ``add_event``             | a data event                                                   |
| ``archive_contact``       | archive a contact, as ``POST /contacts/{id}/archive`` does     |
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from dsr_resolvers.testing._fake_state import (
    ANDROID_IOS_FIELDS,
    TICKET_STATE_LABELS,
    AuthorRecord,
    CallRecord,
    CompanyRecord,
    ContactRecord,
    ConversationRecord,
    EventRecord,
    NoteRecord,
    PartRecord,
    SourceRecord,
    TicketPartRecord,
    TicketRecord,
    Workspace,
    attachment_json,
)

__all__ = ["Seeding"]

_UTM_FIELDS = ("utm_campaign", "utm_content", "utm_medium", "utm_source", "utm_term")
_EMAIL_HEADER_TYPES = frozenset({"from", "to", "cc", "bcc", "reply_to"})


class Seeding:
    """The seeding methods of FakeIntercom (see the module table)."""

    _lock: threading.RLock
    _workspace: Workspace

    def add_contact(
        self,
        id: str | None = None,
        *,
        email: str = "",
        name: str | None = None,
        phone: str | None = None,
        role: Literal["user", "lead"] = "user",
        external_id: str | None = None,
        custom_attributes: Mapping[str, Any] | None = None,
        location: Mapping[str, str | None] | None = None,
        browser: str | None = None,
        browser_version: str | None = None,
        browser_language: str | None = None,
        os: str | None = None,
        social_profiles: Sequence[Mapping[str, str]] = (),
        language_override: str | None = None,
        avatar: str | None = None,
        owner_id: int | None = None,
        created_at: int | None = None,
        updated_at: int | None = None,
        signed_up_at: int | None = None,
        last_seen_at: int | None = None,
        last_replied_at: int | None = None,
        last_contacted_at: int | None = None,
        last_email_opened_at: int | None = None,
        last_email_clicked_at: int | None = None,
        unsubscribed_from_emails: bool = False,
        has_hard_bounced: bool = False,
        marked_email_as_spam: bool = False,
        device: Mapping[str, str | int | None] | None = None,
        utm: Mapping[str, str] | None = None,
        referrer: str | None = None,
    ) -> str:
        """Add a user or lead and return its id.

        Args:
            id: The contact id; generated (24 hex characters, from the seed) when None.
            email: The email address; several contacts may share one. Empty means none.
            device: ``android_*`` / ``ios_*`` fields of the contact schema, by name.
            utm: ``utm_campaign``, ``utm_content``, ``utm_medium``, ``utm_source``,
                ``utm_term`` by name.
            location: ``country``, ``region``, ``city``, ``country_code``,
                ``continent_code``.
            social_profiles: Mappings with ``name`` and ``url``.
            avatar: The avatar image URL.

        Every other argument is the contact field of the same name. Timestamps default to the
        clock's now (``signed_up_at`` only for users).

        Returns:
            The contact id.

        Raises:
            ValueError: On a taken id, a user ``external_id`` another user holds, or an
                unknown field name in ``device``, ``utm`` or ``location``.
        """
        with self._lock:
            ws = self._workspace
            if role not in ("user", "lead"):
                raise ValueError("role must be 'user' or 'lead'")
            if id is None:
                id = ws.new_hex_id()
                while id in ws.contacts:
                    id = ws.new_hex_id()
            elif id in ws.contacts or id in ws.archived:
                raise ValueError("a contact with this id already exists")
            if external_id is not None and role == "user" and ws.user_by_external_id(external_id):
                raise ValueError("a user with this external_id already exists")
            created = ws.now() if created_at is None else created_at
            attrs: dict[str, Any] = {
                "external_id": external_id,
                "role": role,
                "email": email,
                "phone": phone,
                "name": name,
                "owner_id": owner_id,
                "has_hard_bounced": has_hard_bounced,
                "marked_email_as_spam": marked_email_as_spam,
                "unsubscribed_from_emails": unsubscribed_from_emails,
                "created_at": created,
                "updated_at": created if updated_at is None else updated_at,
                "signed_up_at": (created if role == "user" else None)
                if signed_up_at is None
                else signed_up_at,
                "last_seen_at": last_seen_at,
                "last_replied_at": last_replied_at,
                "last_contacted_at": last_contacted_at,
                "last_email_opened_at": last_email_opened_at,
                "last_email_clicked_at": last_email_clicked_at,
                "language_override": language_override,
                "browser": browser,
                "browser_version": browser_version,
                "browser_language": browser_language,
                "os": os,
                "referrer": referrer,
            }
            for key, value in (device or {}).items():
                if key not in ANDROID_IOS_FIELDS:
                    raise ValueError(f"unknown device field {key!r}")
                attrs[key] = value
            for key, value in (utm or {}).items():
                if key not in _UTM_FIELDS:
                    raise ValueError(f"unknown utm field {key!r}")
                attrs[key] = value
            place: dict[str, str | None] = dict.fromkeys(
                ("country", "region", "city", "country_code", "continent_code")
            )
            for key, value in (location or {}).items():
                if key not in place:
                    raise ValueError(f"unknown location field {key!r}")
                place[key] = value
            profiles = []
            for profile in social_profiles:
                if set(profile) - {"name", "url"}:
                    raise ValueError("a social profile has 'name' and 'url' only")
                profiles.append({"name": profile["name"], "url": profile["url"]})
            customs = dict(custom_attributes or {})
            ws.custom_attribute_names.update(customs)
            ws.contacts[id] = ContactRecord(
                seq=ws.next_seq(),
                id=id,
                attrs=attrs,
                avatar_url=avatar,
                location=place,
                social_profiles=profiles,
                custom_attributes=customs,
            )
            return id

    def add_admin(self, *, name: str, email: str) -> str:
        """Add a teammate (an author for notes and parts) and return its id."""
        with self._lock:
            return self._workspace.add_admin(name=name, email=email).id

    def define_custom_attribute(self, name: str) -> None:
        """Declare a contact custom attribute, so ``PUT /contacts/{id}`` may set it.

        Attributes given to :meth:`add_contact` are declared already.
        """
        with self._lock:
            self._workspace.custom_attribute_names.add(name)

    def tag_contact(self, contact_id: str, name: str, *, admin_id: str | None = None) -> str:
        """Tag a contact (creating the tag on first use) and return the tag id."""
        with self._lock:
            ws = self._workspace
            contact = ws.require_contact(contact_id)
            tag_id = ws.tag_id(name)
            if all(applied[0] != tag_id for applied in contact.tag_applications):
                applied_by = admin_id or ws.default_admin.id
                contact.tag_applications.append((tag_id, ws.now(), applied_by))
            return tag_id

    def add_company_to_contact(
        self, contact_id: str, *, name: str, company_id: str | None = None
    ) -> str:
        """Attach a company (created on first use of its name) and return its Intercom id."""
        with self._lock:
            ws = self._workspace
            contact = ws.require_contact(contact_id)
            company = next((c for c in ws.companies.values() if c.name == name), None)
            if company is None:
                company = CompanyRecord(
                    seq=ws.next_seq(),
                    id=ws.new_hex_id(),
                    company_id=company_id or str(len(ws.companies) + 1),
                    name=name,
                    created_at=ws.now(),
                )
                ws.companies[company.id] = company
            if company.id not in contact.company_ids:
                contact.company_ids.append(company.id)
            return company.id

    def add_note(
        self,
        contact_id: str,
        *,
        body: str,
        admin_id: str | None = None,
        created_at: int | None = None,
    ) -> str:
        """Add an admin's note about a contact and return the note id."""
        with self._lock:
            ws = self._workspace
            contact = ws.require_contact(contact_id)
            note = NoteRecord(
                seq=ws.next_seq(),
                id=ws.new_numeric_id("note"),
                contact_id=contact_id,
                admin_id=admin_id or ws.default_admin.id,
                body=body,
                created_at=ws.now() if created_at is None else created_at,
            )
            ws.notes[note.id] = note
            contact.note_ids.append(note.id)
            return note.id

    def add_conversation(
        self,
        contact_id: str,
        *,
        id: str | None = None,
        state: Literal["open", "closed", "snoozed"] = "open",
        created_at: int | None = None,
        updated_at: int | None = None,
        source_body: str = "<p>Hi</p>",
        source_author: Literal["contact", "admin"] = "contact",
        source_type: str = "conversation",
        subject: str = "",
        title: str | None = None,
        source_attachments: Sequence[Mapping[str, Any]] = (),
        source_url: str | None = None,
        tags: Sequence[str] = (),
        custom_attributes: Mapping[str, Any] | None = None,
    ) -> str:
        """Start a conversation with a contact and return its id (numeric, as Intercom's).

        ``source_author="contact"`` makes the contact the author of the opening message (its
        ``author.type`` is the contact's role); ``"admin"`` makes it an outbound message.
        ``source_attachments`` are files on the opening message: mappings with ``name``,
        ``url``, ``content_type`` and ``filesize`` (``width``, ``height`` optional).
        ``source_url`` is the page the conversation started from; ``tags`` are tag names
        (created on first use); ``custom_attributes`` the conversation's own attributes.
        """
        with self._lock:
            ws = self._workspace
            contact = ws.require_contact(contact_id)
            if state not in ("open", "closed", "snoozed"):
                raise ValueError("state must be 'open', 'closed' or 'snoozed'")
            if id is None:
                id = ws.new_numeric_id("conversation")
            elif id in ws.conversations:
                raise ValueError("a conversation with this id already exists")
            if source_author == "contact":
                author = ws.contact_author(contact)
                delivered_as = "customer_initiated"
            elif source_author == "admin":
                author = ws.admin_author(ws.default_admin)
                delivered_as = "admin_initiated"
            else:
                raise ValueError("source_author must be 'contact' or 'admin'")
            created = ws.now() if created_at is None else created_at
            ws.conversations[id] = ConversationRecord(
                seq=ws.next_seq(),
                id=id,
                contact_ids=[contact.id],
                contact_external_ids={contact.id: contact.external_id},
                state=state,
                created_at=created,
                updated_at=created if updated_at is None else updated_at,
                title=title,
                source=SourceRecord(
                    id=ws.new_numeric_id("source"),
                    type=source_type,
                    delivered_as=delivered_as,
                    subject=subject,
                    body=source_body,
                    author=author,
                    attachments=[attachment_json(a) for a in source_attachments],
                    url=source_url,
                ),
                admin_assignee_id=None,
                tag_ids=list(dict.fromkeys(ws.tag_id(name) for name in tags)),
                custom_attributes=dict(custom_attributes or {}),
            )
            return id

    def add_part(
        self,
        conversation_id: str,
        *,
        author: str = "contact",
        body: str | None = "<p>Thanks!</p>",
        part_type: str = "comment",
        created_at: int | None = None,
        attachments: Sequence[Mapping[str, Any]] = (),
        email_headers: Sequence[Mapping[str, str | None]] = (),
    ) -> str:
        """Append a part to a conversation and return its id.

        Args:
            conversation_id: The conversation.
            author: ``"contact"`` (the conversation's contact), ``"admin"`` (the default
                teammate), ``"bot"``, an admin id from :meth:`add_admin`, or another contact's
                id (who then joins the conversation's contacts).
            body: The HTML body; None for a part without one (an assignment, a state change).
            part_type: ``comment``, ``note``, ``assignment``, ``close``, ...
            created_at: Defaults to the clock's now.
            attachments: Files on the part, as for ``add_conversation``'s
                ``source_attachments``.
            email_headers: For a part that came by email, its address headers
                (``email_message_metadata``): mappings with ``type`` (``from``, ``to``,
                ``cc``, ...), ``email_address`` and optionally ``name``.
        """
        with self._lock:
            ws = self._workspace
            conversation = ws.conversations[conversation_id]
            part_author = self._author(conversation, author)
            headers = []
            for header in email_headers:
                if set(header) - {"type", "email_address", "name"} or (
                    header.get("type") not in _EMAIL_HEADER_TYPES
                ):
                    raise ValueError("an email header has type, email_address and name only")
                headers.append(
                    {
                        "type": header["type"],
                        "email_address": header["email_address"],
                        "name": header.get("name"),
                    }
                )
            created = ws.now() if created_at is None else created_at
            part = PartRecord(
                seq=ws.next_seq(),
                id=ws.new_numeric_id("part"),
                part_type=part_type,
                body=body,
                created_at=created,
                updated_at=created,
                author=part_author,
                attachments=[attachment_json(a) for a in attachments],
                email_headers=headers,
            )
            conversation.parts.append(part)
            conversation.updated_at = max(conversation.updated_at, created)
            if part_type == "assignment" and part_author.type == "admin":
                conversation.admin_assignee_id = int(part_author.id)
            return part.id

    def _author(self, thread: ConversationRecord | TicketRecord, author: str) -> AuthorRecord:
        """The author a seeding call names; another contact joins the thread's contacts."""
        ws = self._workspace
        if author == "contact":
            record = ws.contacts.get(thread.contact_ids[0])
            if record is None:
                raise ValueError("the conversation's contact has been deleted")
            return ws.contact_author(record)
        if author == "admin":
            return ws.admin_author(ws.default_admin)
        if author == "bot":
            return ws.admin_author(ws.default_bot)
        if author in ws.admins:
            return ws.admin_author(ws.admins[author])
        if author in ws.contacts:
            other = ws.contacts[author]
            if other.id not in thread.contact_ids:
                thread.contact_ids.append(other.id)
                thread.contact_external_ids[other.id] = other.external_id
            return ws.contact_author(other)
        raise ValueError("author must be 'contact', 'admin', 'bot', an admin id or a contact id")

    def rate_conversation(
        self,
        conversation_id: str,
        rating: int,
        *,
        remark: str | None = None,
        created_at: int | None = None,
    ) -> None:
        """Record the contact's CSAT rating (1 to 5) and optional remark on a conversation.

        The rating stays when the contact is deleted, as Intercom's help centre says.
        """
        with self._lock:
            ws = self._workspace
            conversation = ws.conversations[conversation_id]
            if not 1 <= rating <= 5:
                raise ValueError("rating must be between 1 and 5")
            created = ws.now() if created_at is None else created_at
            conversation.rating = {
                "rating": rating,
                "remark": remark,
                "created_at": created,
                "updated_at": created,
                "contact_id": conversation.contact_ids[0],
            }

    def add_call(
        self,
        conversation_id: str,
        *,
        state: str = "completed",
        direction: Literal["inbound", "outbound"] = "inbound",
        phone: str | None = None,
        initiated_at: int | None = None,
        answered_at: int | None = None,
        ended_at: int | None = None,
        recording: bool = False,
        transcript: Sequence[Mapping[str, Any]] = (),
        contact_id: str | None = None,
    ) -> str:
        """Record a phone call in a conversation and return its id (``POST /calls/search``).

        Args:
            conversation_id: The conversation the call belongs to.
            state: The call's state (``completed``, ``missed``, ...).
            direction: ``inbound`` or ``outbound``.
            phone: The phone number, in E.164.
            initiated_at: Defaults to the clock's now; ``answered_at``, ``ended_at`` unset.
            recording: Whether a recording exists (``recording_url`` is set).
            transcript: The turns, as Intercom's reference describes them: ``start_time``,
                ``end_time``, ``speaker_label``, ``content`` and, where Intercom attributed
                the turn, ``speaker_type`` (``admin``, ``user``) and ``speaker_id``.
            contact_id: The contact on the call; defaults to the conversation's first contact.
        """
        with self._lock:
            ws = self._workspace
            conversation = ws.conversations[conversation_id]
            turns = []
            for turn in transcript:
                allowed = {
                    "start_time",
                    "end_time",
                    "speaker_label",
                    "speaker",
                    "content",
                    "speaker_type",
                    "speaker_id",
                }
                if set(turn) - allowed or "content" not in turn:
                    raise ValueError(
                        "a transcript turn has content and the fields of the reference"
                    )
                label = turn.get("speaker_label", turn.get("speaker"))
                turns.append({**turn, "speaker_label": label, "speaker": label})
            call_id = ws.new_numeric_id("call")
            base = f"https://api.intercom.io/calls/{call_id}"
            ws.calls[call_id] = CallRecord(
                seq=ws.next_seq(),
                id=call_id,
                conversation_id=conversation_id,
                contact_id=contact_id or conversation.contact_ids[0],
                state=state,
                direction=direction,
                phone=phone,
                initiated_at=ws.now() if initiated_at is None else initiated_at,
                answered_at=answered_at,
                ended_at=ended_at,
                recording_url=f"{base}/recording" if recording else None,
                transcription_url=f"{base}/transcript" if turns else None,
                transcript=turns,
            )
            return call_id

    def add_segment(self, contact_id: str, name: str) -> str:
        """Put a contact in a segment (created on first use of its name); return its id."""
        with self._lock:
            ws = self._workspace
            contact = ws.require_contact(contact_id)
            segment_id = next((sid for sid, sname in ws.segments.items() if sname == name), None)
            if segment_id is None:
                segment_id = ws.new_hex_id()
                ws.segments[segment_id] = name
            if segment_id not in contact.segment_ids:
                contact.segment_ids.append(segment_id)
            return segment_id

    def add_subscription_type(
        self, name: str, consent_type: Literal["opt_in", "opt_out"] = "opt_out"
    ) -> str:
        """Add a subscription type to the workspace (or find it by name); return its id.

        ``opt_out`` types reach every contact until the contact opts out; ``opt_in`` types
        reach only contacts who opted in.
        """
        with self._lock:
            return self._workspace.subscription_type(name, consent_type)

    def set_subscription(
        self,
        contact_id: str,
        name: str,
        consent_type: Literal["opt_in", "opt_out"] = "opt_in",
    ) -> str:
        """Record the contact's explicit preference for a subscription type; return its id.

        An ``opt_in`` type listed for a contact means the contact opted in; an ``opt_out``
        type, that the contact opted out (``GET /contacts/{id}/subscriptions``).
        """
        with self._lock:
            ws = self._workspace
            contact = ws.require_contact(contact_id)
            type_id = ws.subscription_type(name, consent_type)
            if type_id not in contact.subscription_ids:
                contact.subscription_ids.append(type_id)
            return type_id

    def archive_contact(self, contact_id: str) -> None:
        """Archive a contact, as ``POST /contacts/{id}/archive`` does.

        It keeps all its data but answers 404 on every route and in search, until
        ``POST /contacts/{id}/unarchive``.

        Raises:
            KeyError: No such (unarchived) contact.
        """
        with self._lock:
            self._workspace.archive(contact_id)

    def add_ticket(
        self,
        contact_id: str,
        *,
        title: str = "Help needed",
        description: str | None = None,
        state: Literal["submitted", "in_progress", "waiting_on_customer", "resolved"] = "submitted",
        category: Literal["Customer", "Back-office", "Tracker"] = "Customer",
        ticket_type: str = "Support request",
        created_at: int | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> str:
        """Open a ticket for a contact and return its id.

        ``attributes`` are the ticket type's own attributes beyond title and description.
        """
        with self._lock:
            ws = self._workspace
            contact = ws.require_contact(contact_id)
            if state not in TICKET_STATE_LABELS:
                raise ValueError(f"state must be one of {sorted(TICKET_STATE_LABELS)}")
            if category not in ("Customer", "Back-office", "Tracker"):
                raise ValueError("category must be 'Customer', 'Back-office' or 'Tracker'")
            if attributes and {"_default_title_", "_default_description_"} & set(attributes):
                raise ValueError("give the title and description by their own arguments")
            created = ws.now() if created_at is None else created_at
            ticket = TicketRecord(
                seq=ws.next_seq(),
                id=ws.new_numeric_id("ticket"),
                ticket_id=str(len(ws.tickets) + 1),
                contact_ids=[contact.id],
                contact_external_ids={contact.id: contact.external_id},
                title=title,
                description=description,
                state=state,
                category=category,
                type_id="1",
                type_name=ticket_type,
                created_at=created,
                updated_at=created,
                attributes=dict(attributes or {}),
            )
            ws.tickets[ticket.id] = ticket
            return ticket.id

    def add_ticket_part(
        self,
        ticket_id: str,
        *,
        author: str = "contact",
        body: str | None = "<p>Any news?</p>",
        part_type: str = "comment",
        created_at: int | None = None,
        attachments: Sequence[Mapping[str, Any]] = (),
    ) -> str:
        """Append a part (a comment) to a ticket and return its id; ``author`` as in
        :meth:`add_part`."""
        with self._lock:
            ws = self._workspace
            ticket = ws.tickets[ticket_id]
            created = ws.now() if created_at is None else created_at
            part = TicketPartRecord(
                id=ws.new_numeric_id("part"),
                part_type=part_type,
                body=body,
                created_at=created,
                author=self._author(ticket, author),
                attachments=[attachment_json(a) for a in attachments],
            )
            ticket.parts.append(part)
            ticket.updated_at = max(ticket.updated_at, created)
            return part.id

    def add_event(
        self,
        contact_id: str,
        event_name: str,
        *,
        created_at: int | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> str:
        """Record a data event for a contact and return its id."""
        with self._lock:
            ws = self._workspace
            ws.require_contact(contact_id)
            event = EventRecord(
                seq=ws.next_seq(),
                id=ws.new_hex_id(),
                contact_id=contact_id,
                event_name=event_name,
                created_at=ws.now() if created_at is None else created_at,
                metadata=dict(metadata or {}),
            )
            ws.events[event.id] = event
            return event.id
