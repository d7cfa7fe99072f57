"""The in-memory workspace behind FakeIntercom: its records and their API JSON.

A fake that answers from state rather than from canned responses lets a test erase a contact
and then watch the next export find nothing, the way Intercom behaves. This module holds that
state and renders it in the shapes of Intercom's OpenAPI description (version 2.14); it knows
nothing about HTTP.

What the workspace promises:

=========================  ====================================================================
Record                     Lifetime
=========================  ====================================================================
contact                    until ``DELETE /contacts/{id}``; its notes, tag applications,
                           company links, segments, subscription preferences and data events
                           go with it. An archived contact keeps all of it but is hidden from
                           every route except ``POST /contacts/{id}/unarchive``
data event                 listed only while younger than 90 days (``EVENT_LISTING_DAYS``);
                           ``summary=true`` counts it for as long as the contact exists
conversation, ticket       until ``DELETE /conversations/{id}`` / ``/tickets/{id}``: deleting a
                           contact leaves them (and the contact id in
                           their ``contacts`` list) in place, as Intercom does, so a search by
                           ``contact_ids`` still finds them after the contact is gone
conversation part, source  with its conversation; redaction replaces the body with
                           ``REDACTED_BODY``, sets ``redacted: true`` and drops the attachments
conversation rating        with its conversation, remark included: deleting the contact leaves
                           it (Intercom's help centre: CSAT ratings and comments stay)
call                       with its conversation: ``DELETE /conversations/{id}`` removes it
ticket part                with its ticket: ``DELETE /tickets/{id}`` removes it
=========================  ====================================================================

Identifiers are drawn from a random generator seeded by the caller, so two workspaces built
with the same seed and the same calls have the same ids. Timestamps come from the injected
clock.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

__all__ = [
    "ANDROID_IOS_FIELDS",
    "EVENT_LISTING_DAYS",
    "REDACTED_BODY",
    "TICKET_STATE_LABELS",
    "UPDATABLE_CONTACT_FIELDS",
    "AdminRecord",
    "AuthorRecord",
    "CallRecord",
    "CompanyRecord",
    "ContactRecord",
    "ConversationRecord",
    "EventRecord",
    "NoteRecord",
    "PartRecord",
    "SourceRecord",
    "TicketPartRecord",
    "TicketRecord",
    "Workspace",
    "attachment_json",
]

JsonObject = dict[str, Any]

#: What Intercom puts in place of a redacted body (the OpenAPI example of
#: ``POST /conversations/redact``).
REDACTED_BODY: Final = "<p><i>This message was deleted</i></p>"

#: Device fields of the contact schema, settable through ``add_contact(device=...)``.
ANDROID_IOS_FIELDS: Final = (
    "android_app_name",
    "android_app_version",
    "android_device",
    "android_os_version",
    "android_sdk_version",
    "android_last_seen_at",
    "ios_app_name",
    "ios_app_version",
    "ios_device",
    "ios_os_version",
    "ios_sdk_version",
    "ios_last_seen_at",
)

#: How far back ``GET /events`` lists data events (Intercom: the last 90 days).
EVENT_LISTING_DAYS: Final = 90

_UTM_FIELDS: Final = ("utm_campaign", "utm_content", "utm_medium", "utm_source", "utm_term")

#: Body keys that ``PUT /contacts/{id}`` accepts (``update_contact_request``) and the JSON types
#: each admits (``None`` marks a nullable field).
UPDATABLE_CONTACT_FIELDS: Final[Mapping[str, tuple[type | None, ...]]] = {
    "role": (str,),
    "external_id": (str,),
    "email": (str,),
    "phone": (str, None),
    "name": (str, None),
    "avatar": (str, None),
    "signed_up_at": (int, None),
    "last_seen_at": (int, None),
    "owner_id": (int, None),
    "unsubscribed_from_emails": (bool, None),
    "custom_attributes": (dict, None),
}

TICKET_STATE_LABELS: Final = {
    "submitted": "Submitted",
    "in_progress": "In progress",
    "waiting_on_customer": "Waiting on you",
    "resolved": "Resolved",
}


@dataclass
class AdminRecord:
    """A teammate (``type`` "admin") or an automation (``type`` "bot")."""

    id: str
    name: str
    email: str
    type: str = "admin"


@dataclass
class AuthorRecord:
    """Who wrote a source or part, frozen at the time of writing (as Intercom keeps it)."""

    type: str
    id: str
    name: str | None
    email: str | None

    def to_json(self) -> JsonObject:
        out: JsonObject = {"type": self.type, "id": self.id, "name": self.name}
        if self.email:
            out["email"] = self.email
        return out


@dataclass
class ContactRecord:
    """A user or lead. ``attrs`` holds the scalar fields of the contact schema by name."""

    seq: int
    id: str
    attrs: dict[str, Any]
    avatar_url: str | None
    location: dict[str, str | None]
    social_profiles: list[dict[str, str]]
    custom_attributes: dict[str, Any]
    tag_applications: list[tuple[str, int, str]] = field(default_factory=list)
    note_ids: list[str] = field(default_factory=list)
    company_ids: list[str] = field(default_factory=list)
    segment_ids: list[str] = field(default_factory=list)
    subscription_ids: list[str] = field(default_factory=list)

    @property
    def role(self) -> str:
        return str(self.attrs["role"])

    @property
    def email(self) -> str:
        return str(self.attrs["email"])

    @property
    def external_id(self) -> str | None:
        value = self.attrs.get("external_id")
        return None if value is None else str(value)


@dataclass
class NoteRecord:
    seq: int
    id: str
    contact_id: str
    admin_id: str
    body: str
    created_at: int


@dataclass
class CompanyRecord:
    seq: int
    id: str
    company_id: str
    name: str
    created_at: int
    custom_attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class SourceRecord:
    id: str
    type: str
    delivered_as: str
    subject: str
    body: str
    author: AuthorRecord
    redacted: bool = False
    attachments: list[dict[str, Any]] = field(default_factory=list)
    url: str | None = None


@dataclass
class PartRecord:
    seq: int
    id: str
    part_type: str
    body: str | None
    created_at: int
    updated_at: int
    author: AuthorRecord
    redacted: bool = False
    attachments: list[dict[str, Any]] = field(default_factory=list)
    email_headers: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ConversationRecord:
    seq: int
    id: str
    contact_ids: list[str]
    contact_external_ids: dict[str, str | None]
    state: str
    created_at: int
    updated_at: int
    title: str | None
    source: SourceRecord
    admin_assignee_id: int | None
    parts: list[PartRecord] = field(default_factory=list)
    rating: dict[str, Any] | None = None
    tag_ids: list[str] = field(default_factory=list)
    custom_attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class TicketPartRecord:
    id: str
    part_type: str
    body: str | None
    created_at: int
    author: AuthorRecord
    attachments: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class CallRecord:
    seq: int
    id: str
    conversation_id: str
    contact_id: str
    state: str
    direction: str
    phone: str | None
    initiated_at: int
    answered_at: int | None
    ended_at: int | None
    recording_url: str | None
    transcription_url: str | None
    transcript: list[dict[str, Any]]


@dataclass
class TicketRecord:
    seq: int
    id: str
    ticket_id: str
    contact_ids: list[str]
    contact_external_ids: dict[str, str | None]
    title: str
    description: str | None
    state: str
    category: str
    type_id: str
    type_name: str
    created_at: int
    updated_at: int
    attributes: dict[str, Any] = field(default_factory=dict)
    parts: list[TicketPartRecord] = field(default_factory=list)


@dataclass
class EventRecord:
    seq: int
    id: str
    contact_id: str
    event_name: str
    created_at: int
    metadata: dict[str, str]


def _iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


class Workspace:
    """All records of one fake workspace. Not thread-safe: FakeIntercom holds the lock."""

    def __init__(self, *, seed: int, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._ids = random.Random(f"{seed}:ids")  # noqa: S311 - test data, not secrets
        self._cursor_rng = random.Random(f"{seed}:cursors")  # noqa: S311
        self._seq = 0
        self._numeric = {
            kind: self._ids.randrange(start, start * 10)
            for kind, start in (
                ("conversation", 100),
                ("part", 1000),
                ("source", 100_000_000),
                ("note", 10),
                ("tag", 10),
                ("ticket", 100),
                ("event", 1000),
                ("admin", 991_000_000),
            )
        }
        self.workspace_id = "".join(
            self._ids.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8)
        )
        self._numeric["call"] = 7_000  # after the draws above: older seeds keep their ids
        self.contacts: dict[str, ContactRecord] = {}
        self.archived: dict[str, ContactRecord] = {}
        self.segments: dict[str, str] = {}  # segment id -> name
        self.subscription_types: dict[str, tuple[str, str]] = {}  # id -> (name, consent type)
        self.notes: dict[str, NoteRecord] = {}
        self.tags: dict[str, str] = {}  # tag id -> name
        self.companies: dict[str, CompanyRecord] = {}
        self.conversations: dict[str, ConversationRecord] = {}
        self.tickets: dict[str, TicketRecord] = {}
        self.events: dict[str, EventRecord] = {}
        self.calls: dict[str, CallRecord] = {}
        self.admins: dict[str, AdminRecord] = {}
        self.custom_attribute_names: set[str] = set()
        self.cursors: dict[str, tuple[str, tuple[int, ...]]] = {}
        self.deletion_removes_conversations = False
        self.default_admin = self.add_admin(name="Ada Support", email="ada@workspace.example")
        self.default_bot = self.add_admin(name="Fin", email="fin@workspace.example", kind="bot")

    # -- identifiers and time ---------------------------------------------------------------

    def now(self) -> int:
        return int(self._clock())

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def new_numeric_id(self, kind: str) -> str:
        self._numeric[kind] += 1
        return str(self._numeric[kind])

    def new_hex_id(self) -> str:
        return f"{self._ids.getrandbits(96):024x}"

    def new_cursor(self, scope: str, last_key: tuple[int, ...]) -> str:
        """An opaque cursor: random bytes that only this workspace can map back to a position."""
        token = base64.urlsafe_b64encode(self._cursor_rng.randbytes(24)).decode("ascii")
        self.cursors[token] = (scope, last_key)
        return token

    # -- lookups the seeding API (``_fake_seed``) and the routes share --------------------------

    def add_admin(self, *, name: str, email: str, kind: str = "admin") -> AdminRecord:
        admin = AdminRecord(id=self.new_numeric_id("admin"), name=name, email=email, type=kind)
        self.admins[admin.id] = admin
        return admin

    def user_by_external_id(self, external_id: str) -> ContactRecord | None:
        for contact in self.contacts.values():
            if contact.role == "user" and contact.external_id == external_id:
                return contact
        return None

    def require_contact(self, contact_id: str) -> ContactRecord:
        try:
            return self.contacts[contact_id]
        except KeyError:
            raise KeyError("no such contact") from None

    def tag_id(self, name: str) -> str:
        """The id of the tag named ``name``, created on first use."""
        tag_id = next((tid for tid, tname in self.tags.items() if tname == name), None)
        if tag_id is None:
            tag_id = self.new_numeric_id("tag")
            self.tags[tag_id] = name
        return tag_id

    def subscription_type(self, name: str, consent_type: str) -> str:
        """The id of the subscription type named ``name``, created on first use."""
        if consent_type not in ("opt_in", "opt_out"):
            raise ValueError("consent_type must be 'opt_in' or 'opt_out'")
        type_id = next((t for t, (n, _) in self.subscription_types.items() if n == name), None)
        if type_id is None:
            type_id = str(len(self.subscription_types) + 90)
            self.subscription_types[type_id] = (name, consent_type)
        elif self.subscription_types[type_id][1] != consent_type:
            raise ValueError("a subscription type of this name has another consent type")
        return type_id

    def contact_author(self, contact: ContactRecord) -> AuthorRecord:
        return AuthorRecord(
            type=contact.role,
            id=contact.id,
            name=contact.attrs.get("name"),
            email=contact.email or None,
        )

    def admin_author(self, admin: AdminRecord) -> AuthorRecord:
        return AuthorRecord(type=admin.type, id=admin.id, name=admin.name, email=admin.email)

    def archive(self, contact_id: str) -> ContactRecord:
        contact = self.contacts.pop(contact_id)
        self.archived[contact_id] = contact
        return contact

    def unarchive(self, contact_id: str) -> ContactRecord:
        contact = self.archived.pop(contact_id)
        # Back in its place by creation order, as if it had never left.
        self.contacts[contact_id] = contact
        self.contacts = dict(sorted(self.contacts.items(), key=lambda kv: kv[1].seq))
        return contact

    def delete_contact(self, contact_id: str) -> ContactRecord:
        """Remove a contact and what Intercom removes with it; conversations and tickets stay
        unless ``deletion_removes_conversations``: then those it alone was in go too."""
        contact = self.contacts.pop(contact_id)
        if self.deletion_removes_conversations:
            alone = [contact_id]
            for conversation_id in [
                c.id for c in self.conversations.values() if c.contact_ids == alone
            ]:
                del self.conversations[conversation_id]
                for call_id in [
                    c.id for c in self.calls.values() if c.conversation_id == conversation_id
                ]:
                    del self.calls[call_id]
            for ticket_id in [t.id for t in self.tickets.values() if t.contact_ids == alone]:
                del self.tickets[ticket_id]
        for note_id in contact.note_ids:
            self.notes.pop(note_id, None)
        for event_id in [e.id for e in self.events.values() if e.contact_id == contact_id]:
            del self.events[event_id]
        return contact

    # -- rendering --------------------------------------------------------------------------

    def contact_json(self, contact: ContactRecord) -> JsonObject:
        a = contact.attrs
        path = f"/contacts/{contact.id}"
        email = contact.email
        out: JsonObject = {
            "type": "contact",
            "id": contact.id,
            "workspace_id": self.workspace_id,
            "external_id": a.get("external_id"),
            "role": contact.role,
            "email": email,
            "email_domain": email.rpartition("@")[2] if "@" in email else "",
            "phone": a.get("phone"),
            "name": a.get("name"),
            "avatar": (
                None
                if contact.avatar_url is None
                else {"type": "avatar", "image_url": contact.avatar_url}
            ),
            "owner_id": a.get("owner_id"),
            "social_profiles": {
                "type": "list",
                "data": [{"type": "social_profile", **p} for p in contact.social_profiles],
            },
        }
        for key in (
            "has_hard_bounced",
            "marked_email_as_spam",
            "unsubscribed_from_emails",
            "created_at",
            "updated_at",
            "signed_up_at",
            "last_seen_at",
            "last_replied_at",
            "last_contacted_at",
            "last_email_opened_at",
            "last_email_clicked_at",
            "language_override",
            "browser",
            "browser_version",
            "browser_language",
            "os",
        ):
            out[key] = a.get(key)
        out["location"] = {"type": "location", **contact.location}
        for key in ANDROID_IOS_FIELDS:
            out[key] = a.get(key)
        out["custom_attributes"] = dict(contact.custom_attributes)
        tag_refs = [
            {"type": "tag", "id": t[0], "url": f"/tags/{t[0]}"} for t in contact.tag_applications
        ]
        note_refs = [{"type": "note", "id": n, "url": f"/notes/{n}"} for n in contact.note_ids]
        company_refs = [
            {"type": "company", "id": c, "url": f"/companies/{c}"} for c in contact.company_ids
        ]
        out["tags"] = _reference_list(tag_refs, f"{path}/tags")
        out["notes"] = _reference_list(note_refs, f"{path}/notes")
        out["companies"] = _reference_list(company_refs, f"{path}/companies")
        for consent, key in (
            ("opt_out", "opted_out_subscription_types"),
            ("opt_in", "opted_in_subscription_types"),
        ):
            refs = [
                {"type": "subscription", "id": t, "url": f"/subscriptions/{t}"}
                for t in contact.subscription_ids
                if self.subscription_types[t][1] == consent
            ]
            out[key] = _reference_list(refs, f"{path}/subscriptions")
        for key in (*_UTM_FIELDS, "referrer", "enabled_push_messaging"):
            out[key] = a.get(key)
        return out

    def note_json(self, note: NoteRecord) -> JsonObject:
        return {
            "type": "note",
            "id": note.id,
            "created_at": note.created_at,
            "contact": {"type": "contact", "id": note.contact_id},
            "author": self.admin_json(self.admins[note.admin_id]),
            "body": note.body,
        }

    def admin_json(self, admin: AdminRecord) -> JsonObject:
        return {
            "type": admin.type,
            "id": admin.id,
            "name": admin.name,
            "email": admin.email,
            "away_mode_enabled": False,
            "away_mode_reassign": False,
        }

    def tag_json(self, application: tuple[str, int, str]) -> JsonObject:
        tag_id, applied_at, admin_id = application
        return {
            "type": "tag",
            "id": tag_id,
            "name": self.tags[tag_id],
            "applied_at": applied_at,
            "applied_by": {"type": "admin", "id": admin_id},
        }

    def company_json(self, company: CompanyRecord) -> JsonObject:
        users = sum(1 for c in self.contacts.values() if company.id in c.company_ids)
        return {
            "type": "company",
            "company_id": company.company_id,
            "id": company.id,
            "app_id": self.workspace_id,
            "name": company.name,
            "remote_created_at": company.created_at,
            "created_at": company.created_at,
            "updated_at": company.created_at,
            "monthly_spend": 0,
            "session_count": 0,
            "user_count": users,
            "tags": {"type": "tag.list", "tags": []},
            "segments": {"type": "segment.list", "segments": []},
            "plan": {},
            "custom_attributes": dict(company.custom_attributes),
        }

    def _contact_refs(self, ids: list[str], snapshots: Mapping[str, str | None]) -> JsonObject:
        refs = []
        for contact_id in ids:
            live = self.contacts.get(contact_id)
            external_id = live.external_id if live is not None else snapshots.get(contact_id)
            refs.append({"type": "contact", "id": contact_id, "external_id": external_id})
        return {"type": "contact.list", "contacts": refs}

    def conversation_json(
        self, conversation: ConversationRecord, *, with_parts: bool
    ) -> JsonObject:
        src = conversation.source
        first_reply = next(
            (p for p in conversation.parts if p.author.type in ("user", "lead") and p.body),
            None,
        )
        out: JsonObject = {
            "type": "conversation",
            "id": conversation.id,
            "title": conversation.title,
            "created_at": conversation.created_at,
            "updated_at": conversation.updated_at,
            "waiting_since": None,
            "snoozed_until": None,
            "source": {
                "type": src.type,
                "id": src.id,
                "delivered_as": src.delivered_as,
                "subject": src.subject,
                "body": src.body,
                "author": src.author.to_json(),
                "attachments": [dict(a) for a in src.attachments],
                "url": src.url,
                "redacted": src.redacted,
            },
            "contacts": self._contact_refs(
                conversation.contact_ids, conversation.contact_external_ids
            ),
            "first_contact_reply": (
                None
                if first_reply is None
                else {"created_at": first_reply.created_at, "type": "conversation", "url": None}
            ),
            "admin_assignee_id": conversation.admin_assignee_id,
            "team_assignee_id": None,
            "open": conversation.state == "open",
            "state": conversation.state,
            "read": True,
            "tags": {
                "type": "tag.list",
                "tags": [
                    {"type": "tag", "id": tag_id, "name": self.tags[tag_id]}
                    for tag_id in conversation.tag_ids
                ],
            },
            "priority": "not_priority",
            "sla_applied": None,
            "statistics": None,
            "conversation_rating": self._rating_json(conversation),
            "teammates": {
                "type": "admin.list",
                "teammates": [
                    {"type": "admin", "id": admin_id}
                    for admin_id in dict.fromkeys(
                        p.author.id for p in conversation.parts if p.author.type == "admin"
                    )
                ],
            },
            "custom_attributes": dict(conversation.custom_attributes),
            "linked_objects": {"type": "list", "data": [], "total_count": 0, "has_more": False},
            "ai_agent": None,
            "ai_agent_participated": any(p.author.type == "bot" for p in conversation.parts),
        }
        if with_parts:
            out["conversation_parts"] = {
                "type": "conversation_part.list",
                "conversation_parts": [self.part_json(p) for p in conversation.parts],
                "total_count": len(conversation.parts),
            }
        return out

    def _rating_json(self, conversation: ConversationRecord) -> JsonObject | None:
        rating = conversation.rating
        if rating is None:
            return None
        contact_id = rating["contact_id"]
        live = self.contacts.get(contact_id) or self.archived.get(contact_id)
        external_id = (
            live.external_id
            if live is not None
            else conversation.contact_external_ids.get(contact_id)
        )
        out: JsonObject = {
            "rating": rating["rating"],
            "remark": rating["remark"] or "",
            "created_at": rating["created_at"],
            "updated_at": rating["updated_at"],
            "contact": {"type": "contact", "id": contact_id, "external_id": external_id},
            "teammate": {"type": "admin", "id": self.default_admin.id},
        }
        return out

    def segment_json(self, segment_id: str, contact: ContactRecord) -> JsonObject:
        return {
            "type": "segment",
            "id": segment_id,
            "name": self.segments[segment_id],
            "created_at": contact.attrs["created_at"],
            "updated_at": contact.attrs["created_at"],
            "person_type": "user" if contact.role == "user" else "contact",
        }

    def subscription_json(self, type_id: str) -> JsonObject:
        name, consent_type = self.subscription_types[type_id]
        translation = {"name": name, "description": f"{name} from the workspace", "locale": "en"}
        return {
            "type": "subscription",
            "id": type_id,
            "state": "live",
            "consent_type": consent_type,
            "default_translation": translation,
            "translations": [translation],
            "content_types": ["email"],
        }

    def part_json(self, part: PartRecord) -> JsonObject:
        return {
            "type": "conversation_part",
            "id": part.id,
            "part_type": part.part_type,
            "body": part.body,
            "created_at": part.created_at,
            "updated_at": part.updated_at,
            "notified_at": part.created_at,
            "assigned_to": None,
            "author": part.author.to_json(),
            "attachments": [dict(a) for a in part.attachments],
            "external_id": None,
            "redacted": part.redacted,
            "metadata": {},
            "email_message_metadata": (
                {"email_address_headers": [dict(h) for h in part.email_headers]}
                if part.email_headers
                else None
            ),
            "app_package_code": None,
        }

    def ticket_json(self, ticket: TicketRecord) -> JsonObject:
        label = TICKET_STATE_LABELS[ticket.state]
        return {
            "type": "ticket",
            "id": ticket.id,
            "ticket_id": ticket.ticket_id,
            "category": ticket.category,
            "ticket_attributes": {
                "_default_title_": ticket.title,
                "_default_description_": ticket.description,
                **ticket.attributes,
            },
            "ticket_state": {
                "type": "ticket_state",
                "id": str(list(TICKET_STATE_LABELS).index(ticket.state) + 1),
                "category": ticket.state,
                "internal_label": label,
                "external_label": label,
            },
            "ticket_type": {
                "type": "ticket_type",
                "id": ticket.type_id,
                "name": ticket.type_name,
                "icon": "\N{TICKET}",
                "workspace_id": self.workspace_id,
                "archived": False,
                "category": ticket.category,
                "created_at": ticket.created_at,
                "updated_at": ticket.created_at,
            },
            "contacts": self._contact_refs(ticket.contact_ids, ticket.contact_external_ids),
            "admin_assignee_id": "0",
            "team_assignee_id": "0",
            "created_at": ticket.created_at,
            "updated_at": ticket.updated_at,
            "open": ticket.state != "resolved",
            "linked_objects": {"type": "list", "data": [], "total_count": 0, "has_more": False},
            "ticket_parts": {
                "type": "ticket_part.list",
                "ticket_parts": [
                    {
                        "type": "ticket_part",
                        "id": part.id,
                        "part_type": part.part_type,
                        "body": part.body,
                        "created_at": part.created_at,
                        "updated_at": part.created_at,
                        "author": _ticket_author(part.author),
                        "attachments": [dict(a) for a in part.attachments],
                        "redacted": False,
                    }
                    for part in ticket.parts
                ],
                "total_count": len(ticket.parts),
            },
            "is_shared": False,
        }

    def call_json(self, call: CallRecord) -> JsonObject:
        """A call with its transcript, as ``POST /calls/search`` lists it; times never seen
        (not answered, not ended) are left out, since the description's ``datetime`` is
        not nullable."""
        out: JsonObject = {
            "type": "call",
            "id": call.id,
            "conversation_id": call.conversation_id,
            "admin_id": self.default_admin.id,
            "contact_id": call.contact_id,
            "state": call.state,
            "initiated_at": call.initiated_at,
            "answered_at": call.answered_at,
            "ended_at": call.ended_at,
            "created_at": call.initiated_at,
            "updated_at": call.ended_at or call.initiated_at,
            "recording_url": call.recording_url,
            "transcription_url": call.transcription_url,
            "call_type": "phone",
            "direction": call.direction,
            "ended_reason": None,
            "phone": call.phone,
            "fin_recording_url": None,
            "fin_transcription_url": None,
            "transcript": [dict(turn) for turn in call.transcript],
            "transcript_status": "completed" if call.transcript else None,
        }
        return {
            key: value
            for key, value in out.items()
            if value is not None or key not in ("answered_at", "ended_at")
        }

    def event_json(self, event: EventRecord) -> JsonObject:
        contact = self.contacts.get(event.contact_id)
        out: JsonObject = {
            "type": "event",
            "id": event.id,
            "event_name": event.event_name,
            "created_at": event.created_at,
            "intercom_user_id": event.contact_id,
        }
        if contact is not None and contact.external_id is not None:
            out["user_id"] = contact.external_id
        if contact is not None and contact.email:
            out["email"] = contact.email
        out["metadata"] = dict(event.metadata)
        return out

    def event_summary_json(
        self, contact: ContactRecord, events: Sequence[EventRecord]
    ) -> JsonObject:
        by_name: dict[str, list[int]] = {}
        for event in events:
            by_name.setdefault(event.event_name, []).append(event.created_at)
        out: JsonObject = {"type": "event.summary", "intercom_user_id": contact.id}
        if contact.email:
            out["email"] = contact.email
        if contact.external_id is not None:
            out["user_id"] = contact.external_id
        out["events"] = [
            {"name": name, "first": _iso(min(times)), "last": _iso(max(times)), "count": len(times)}
            for name, times in by_name.items()
        ]
        return out


def attachment_json(attachment: Mapping[str, Any]) -> JsonObject:
    """A ``part_attachment``: ``name``, ``url``, ``content_type`` and ``filesize`` required."""
    unknown = set(attachment) - {"name", "url", "content_type", "filesize", "width", "height"}
    if unknown or not {"name", "url", "content_type", "filesize"} <= set(attachment):
        raise ValueError("an attachment has name, url, content_type, filesize (width, height)")
    return {"type": "upload", **attachment}


def _ticket_author(author: AuthorRecord) -> JsonObject:
    """A ``ticket_part_author``: a contact shows as ``user``, whatever its role."""
    out = author.to_json()
    if out["type"] not in ("admin", "bot", "team"):
        out["type"] = "user"
    return out


def _reference_list(refs: list[JsonObject], url: str) -> JsonObject:
    """The short reference lists embedded in a contact: Intercom shows at most 10."""
    return {
        "type": "list",
        "data": refs[:10],
        "url": url,
        "total_count": len(refs),
        "has_more": len(refs) > 10,
    }
