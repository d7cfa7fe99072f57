"""The field tables: which Intercom fields are personal data, and of which category.

These tuples are the single source of truth. The exporter iterates them to build records, and
:func:`build_covered_surface` iterates the very same tuples (for the same configuration) to
declare the covered surface, so the declaration cannot drift from what the code exports.

| section       | record fields                                  | category          |
|---------------|------------------------------------------------|-------------------|
| profile       | ``contact.<field>`` (``CONTACT_FIELDS``)       | per field         |
| profile       | ``contact.social_profiles.{n}.name``/``.url``  | identity          |
| tags          | ``contact.tags.{tag_id}.name``                 | behavioral        |
| companies     | ``contact.companies.{company_id}.name``        | identity          |
| custom        | ``contact.custom_attributes.<declared>``       | as declared       |
| notes         | ``contact.notes.{note_id}.body``/``.created_at`` | communication   |
| conversations | ``conversation.{id}.created_at``/``.updated_at``/``.state`` | behavioral |
| messages      | ``conversation.{id}.source.subject``/``.body`` | communication     |
| messages      | ``conversation.{id}.conversation_parts.{part}.body``/``.created_at`` | comm. |
| tickets       | ``ticket.{id}.<field>`` (``TICKET_FIELDS``)    | behavioral        |
| events        | ``event.{n}.event_name``/``.created_at``/``.metadata.<key>`` | behavioral |
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum, StrEnum
from typing import Any

from dsr_resolvers.contract import (
    CoveredField,
    CoveredSurface,
    PiiCategory,
    SurfaceExclusion,
)

RESOLVER_NAME = "intercom"


class Render(Enum):
    """How a raw JSON value becomes the text of an export record."""

    TEXT = "text"
    TIMESTAMP = "timestamp"
    JSON = "json"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One exported field: where it sits in Intercom's JSON (dotted), and what it is."""

    key: str
    category: PiiCategory
    render: Render = Render.TEXT

    def lookup(self, source: Mapping[str, Any]) -> Any:
        """The raw value at ``key`` in ``source``; ``None`` when any step is missing."""
        value: Any = source
        for step in self.key.split("."):
            if not isinstance(value, Mapping):
                return None
            value = value.get(step)
        return value


class ExportSection(StrEnum):
    """A part of the export that can be switched on or off; each costs its own requests."""

    TAGS = "tags"
    COMPANIES = "companies"
    NOTES = "notes"
    CONVERSATIONS = "conversations"
    MESSAGES = "messages"
    TICKETS = "tickets"
    EVENTS = "events"


DEFAULT_SECTIONS: frozenset[ExportSection] = frozenset(ExportSection) - {ExportSection.MESSAGES}

_I, _C, _L, _T, _B, _M = (
    PiiCategory.IDENTITY,
    PiiCategory.CONTACT,
    PiiCategory.LOCATION,
    PiiCategory.TECHNICAL,
    PiiCategory.BEHAVIORAL,
    PiiCategory.COMMUNICATION,
)
_TS = Render.TIMESTAMP

CONTACT_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("email", _C),
    FieldSpec("name", _I),
    FieldSpec("phone", _C),
    FieldSpec("external_id", _I),
    FieldSpec("role", _I),
    FieldSpec("avatar.image_url", _I),
    FieldSpec("language_override", _I),
    FieldSpec("location.country", _L),
    FieldSpec("location.region", _L),
    FieldSpec("location.city", _L),
    FieldSpec("referrer", _T),
    FieldSpec("browser", _T),
    FieldSpec("browser_version", _T),
    FieldSpec("browser_language", _T),
    FieldSpec("os", _T),
    FieldSpec("android_app_name", _T),
    FieldSpec("android_app_version", _T),
    FieldSpec("android_device", _T),
    FieldSpec("android_os_version", _T),
    FieldSpec("android_sdk_version", _T),
    FieldSpec("android_last_seen_at", _T, _TS),
    FieldSpec("ios_app_name", _T),
    FieldSpec("ios_app_version", _T),
    FieldSpec("ios_device", _T),
    FieldSpec("ios_os_version", _T),
    FieldSpec("ios_sdk_version", _T),
    FieldSpec("ios_last_seen_at", _T, _TS),
    FieldSpec("created_at", _B, _TS),
    FieldSpec("updated_at", _B, _TS),
    FieldSpec("signed_up_at", _B, _TS),
    FieldSpec("last_seen_at", _B, _TS),
    FieldSpec("last_replied_at", _B, _TS),
    FieldSpec("last_contacted_at", _B, _TS),
    FieldSpec("last_email_opened_at", _B, _TS),
    FieldSpec("last_email_clicked_at", _B, _TS),
    FieldSpec("utm_campaign", _B),
    FieldSpec("utm_content", _B),
    FieldSpec("utm_medium", _B),
    FieldSpec("utm_source", _B),
    FieldSpec("utm_term", _B),
    FieldSpec("unsubscribed_from_emails", _B),
    FieldSpec("has_hard_bounced", _B),
    FieldSpec("marked_email_as_spam", _B),
)
SOCIAL_PROFILE_FIELDS = (FieldSpec("name", _I), FieldSpec("url", _I))
TAG_FIELDS = (FieldSpec("name", _B),)
COMPANY_FIELDS = (FieldSpec("name", _I),)
NOTE_FIELDS = (FieldSpec("body", _M), FieldSpec("created_at", _M, _TS))
CONVERSATION_FIELDS = (
    FieldSpec("created_at", _B, _TS),
    FieldSpec("updated_at", _B, _TS),
    FieldSpec("state", _B),
)
SOURCE_FIELDS = (FieldSpec("subject", _M), FieldSpec("body", _M))
PART_FIELDS = (FieldSpec("body", _M), FieldSpec("created_at", _M, _TS))
TICKET_FIELDS = (
    FieldSpec("created_at", _B, _TS),
    FieldSpec("updated_at", _B, _TS),
    FieldSpec("category", _B),
    FieldSpec("open", _B),
    FieldSpec("ticket_state.category", _B),
    FieldSpec("ticket_type.name", _B),
)
EVENT_FIELDS = (FieldSpec("event_name", _B), FieldSpec("created_at", _B, _TS))
EVENT_METADATA = FieldSpec("metadata", _B, Render.JSON)

# Record-field prefixes; ``{...}`` placeholders become ``*`` in the covered surface.
CONTACT_PREFIX = "contact."
SOCIAL_PREFIX = "contact.social_profiles.{n}."
TAG_PREFIX = "contact.tags.{id}."
COMPANY_PREFIX = "contact.companies.{id}."
CUSTOM_PREFIX = "contact.custom_attributes."
NOTE_PREFIX = "contact.notes.{id}."
CONVERSATION_PREFIX = "conversation.{id}."
SOURCE_PREFIX = "conversation.{id}.source."
PART_PREFIX = "conversation.{id}.conversation_parts.{part}."
TICKET_PREFIX = "ticket.{id}."
EVENT_PREFIX = "event.{n}."
EVENT_METADATA_PREFIX = "event.{n}.metadata."

TABLES: tuple[tuple[ExportSection | None, str, tuple[FieldSpec, ...]], ...] = (
    (None, CONTACT_PREFIX, CONTACT_FIELDS),
    (None, SOCIAL_PREFIX, SOCIAL_PROFILE_FIELDS),
    (ExportSection.TAGS, TAG_PREFIX, TAG_FIELDS),
    (ExportSection.COMPANIES, COMPANY_PREFIX, COMPANY_FIELDS),
    (ExportSection.NOTES, NOTE_PREFIX, NOTE_FIELDS),
    (ExportSection.CONVERSATIONS, CONVERSATION_PREFIX, CONVERSATION_FIELDS),
    (ExportSection.MESSAGES, SOURCE_PREFIX, SOURCE_FIELDS),
    (ExportSection.MESSAGES, PART_PREFIX, PART_FIELDS),
    (ExportSection.TICKETS, TICKET_PREFIX, TICKET_FIELDS),
    (ExportSection.EVENTS, EVENT_PREFIX, EVENT_FIELDS),
)
"""Every (section, prefix, fields) table; ``None`` means always exported with the profile."""


def render(spec: FieldSpec, raw: Any) -> str | None:
    """The record text for ``raw``; ``None`` when empty; ``ValueError`` for a wrong type."""
    if raw is None or raw == "" or raw == {} or raw == []:
        return None
    if spec.render is Render.TIMESTAMP:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise ValueError("timestamp is not a number")
        try:
            moment = datetime.fromtimestamp(raw, tz=UTC)
        except (OverflowError, OSError):  # NaN, infinity or beyond year 9999
            raise ValueError("timestamp out of range") from None
        return moment.isoformat().replace("+00:00", "Z")
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, str):
        return raw
    if isinstance(raw, int | float):
        return str(raw)
    if spec.render is Render.JSON and isinstance(raw, dict | list):
        return json.dumps(raw, sort_keys=True, ensure_ascii=False)
    raise ValueError("field is not a scalar")


def glob(prefix: str) -> str:
    """The surface glob for a record-field prefix: every placeholder becomes ``*``."""
    out, depth = [], 0
    for char in prefix:
        if char == "{":
            depth += 1
            if depth == 1:
                out.append("*")
        elif char == "}":
            depth -= 1
        elif depth == 0:
            out.append(char)
    return "".join(out)


def build_covered_surface(
    *,
    sections: frozenset[ExportSection],
    custom_attributes: Mapping[str, PiiCategory],
    erasure_policy: str,
) -> CoveredSurface:
    """The covered surface for one configuration, from the tables the exporter iterates."""
    fields = [
        CoveredField(field=glob(prefix) + spec.key, category=spec.category)
        for section, prefix, specs in TABLES
        if section is None or section in sections
        for spec in specs
    ]
    fields += [
        CoveredField(field=CUSTOM_PREFIX + name, category=category)
        for name, category in sorted(custom_attributes.items())
    ]
    if ExportSection.EVENTS in sections:
        fields.append(
            CoveredField(field=glob(EVENT_METADATA_PREFIX) + "*", category=EVENT_METADATA.category)
        )
    exclusions: list[SurfaceExclusion] = []
    notes: list[str] = []
    if custom_attributes:
        notes.append(
            "Only the declared custom attributes are exported; every other custom attribute "
            "is left out, since which ones hold personal data is the controller's call."
        )
    else:
        exclusions.append(
            SurfaceExclusion(
                field="contact.custom_attributes.*",
                reason="custom attributes are defined by each workspace; none is exported "
                "until the controller declares which hold personal data",
            )
        )
    if ExportSection.MESSAGES in sections:
        notes.append(
            "Messages: only what the contact wrote is exported (a contact-authored conversation "
            "source, and parts whose author is the contact); parts by admins, bots or other "
            "contacts are left out."
        )
    else:
        exclusions += [
            SurfaceExclusion(
                field="conversation.*.conversation_parts.*",
                reason="message bodies are exported only with export_messages=True",
            ),
            SurfaceExclusion(
                field="conversation.*.source.*",
                reason="message bodies are exported only with export_messages=True",
            ),
        ]
    exclusions.append(
        SurfaceExclusion(
            field="contact.segments.*",
            reason="segments are the workspace's own classification rules, not data about the "
            "person beyond the fields exported",
        )
    )
    skipped = sorted(set(ExportSection) - sections - {ExportSection.MESSAGES})
    if skipped:
        notes.append("Export sections switched off: " + ", ".join(skipped) + ".")
    notes += _erasure_notes(erasure_policy)
    notes.append(
        "This surface is a declaration of what the resolver reaches, not a compliance verdict."
    )
    return CoveredSurface(
        resolver=RESOLVER_NAME,
        fields=tuple(fields),
        exclusions=tuple(exclusions),
        notes=tuple(notes),
    )


def _erasure_notes(policy: str) -> list[str]:
    deletion = (
        "Erasure deletes the Intercom contact (DELETE /contacts/{id}), its profile, tags, "
        "notes and events with it; Intercom destroys the data after a 7-day grace period."
    )
    if policy == "redact_messages":
        return [
            "Erasure policy redact_messages: first every message the contact wrote is redacted "
            "(POST /conversations/redact: each contact-authored part with a body, and the "
            "source when the contact wrote it), then the contact is deleted, last.",
            deletion,
            "What stays in Intercom: the conversations themselves (their metadata, and messages "
            "written by admins, bots or other contacts), and tickets.",
        ]
    return [
        "Erasure policy delete_contact: " + deletion,
        "What stays in Intercom: the contact's conversations, including every message the "
        "contact wrote, and tickets. Use erasure_policy='redact_messages' to redact the "
        "messages first.",
    ]
