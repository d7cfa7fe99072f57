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
| segments      | ``contact.segments.{segment_id}.name``         | behavioral        |
| subscriptions | ``contact.subscriptions.{type_id}.name``/``.consent_type`` | behavioral |
| conversations | ``conversation.{id}.created_at``/``.updated_at``/``.state`` | behavioral |
| conversations | ``conversation.{id}.title`` (comm.), ``.source.url`` (technical) | per field |
| conversations | ``conversation.{id}.tags.{tag_id}.name``           | behavioral        |
| conversations | ``conversation.{id}.custom_attributes.<declared>`` | as declared       |
| conversations | ``conversation.{id}.rating.rating``/``.created_at`` (remark: comm.) | behav. |
| messages      | ``conversation.{id}.source.subject``/``.body`` | communication     |
| messages      | ``conversation.{id}.conversation_parts.{part}.body``/``.created_at`` | comm. |
| messages      | ``...source.attachments.{n}.<name, url, content_type, filesize>`` (and  | comm. |
|               | the same under ``conversation_parts.{part}``)  |                   |
| messages      | ``...conversation_parts.{part}.email_headers.{n}.<type, email_address, | cont. |
|               | name>``: only headers holding the contact's own address |           |
| tickets       | ``ticket.{id}.<field>`` (``TICKET_FIELDS``); title, description: comm. | behav. |
| tickets       | ``ticket.{id}.ticket_attributes.<declared>``   | as declared       |
| tickets       | ``ticket.{id}.ticket_parts.{part}.body``/``.created_at`` and their | comm. |
|               | ``attachments.{n}.*`` (parts the contact wrote) |                   |
| calls         | ``call.{id}.<state, direction, initiated_at, answered_at, ended_at, | behav. |
|               | has_recording, has_transcript>``; ``call.{id}.phone``: contact |       |
| calls+messages | ``call.{id}.transcript.{n}.*`` (the contact's turns) and      | comm.  |
|               | ``call.{id}.unattributed_transcript.{n}.*`` (turns attributed to no one) | |
| events        | ``event.{n}.event_name``/``.created_at``/``.metadata.<key>`` | behavioral |
| event_summaries | ``event_summary.{n}.name``/``.count``/``.first``/``.last`` | behavioral |

Default sections: every one but ``messages``. ``calls`` costs one request per 20
conversations. Each of ``segments``, ``subscriptions`` and
``event_summaries`` costs one request and holds data found nowhere else (Intercom lists data
events of the last 90 days only; the summary still counts older ones), so an Art. 15 export
is incomplete without them. ``messages`` costs one request per conversation, so it is asked for.
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
    DATETIME = "datetime"
    """Intercom's ``datetime`` schema: a Unix timestamp or an ISO 8601 string."""
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
    SEGMENTS = "segments"
    SUBSCRIPTIONS = "subscriptions"
    EVENT_SUMMARIES = "event_summaries"
    CALLS = "calls"


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
_DT = Render.DATETIME

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
SEGMENT_FIELDS = (FieldSpec("name", _B),)
SUBSCRIPTION_FIELDS = (FieldSpec("default_translation.name", _B), FieldSpec("consent_type", _B))
CONVERSATION_FIELDS = (
    FieldSpec("created_at", _B, _TS),
    FieldSpec("updated_at", _B, _TS),
    FieldSpec("state", _B),
    FieldSpec("title", _M),
    FieldSpec("source.url", _T),
)
EMAIL_HEADER_FIELDS = (
    FieldSpec("type", _C),
    FieldSpec("email_address", _C),
    FieldSpec("name", _I),
)
RATING_FIELDS = (
    FieldSpec("rating", _B),
    FieldSpec("remark", _M),
    FieldSpec("created_at", _B, _TS),
)
SOURCE_FIELDS = (FieldSpec("subject", _M), FieldSpec("body", _M))
PART_FIELDS = (FieldSpec("body", _M), FieldSpec("created_at", _M, _TS))
ATTACHMENT_FIELDS = (
    FieldSpec("name", _M),
    FieldSpec("url", _M),
    FieldSpec("content_type", _M),
    FieldSpec("filesize", _M),
)
TICKET_FIELDS = (
    FieldSpec("created_at", _B, _TS),
    FieldSpec("updated_at", _B, _TS),
    FieldSpec("category", _B),
    FieldSpec("open", _B),
    FieldSpec("ticket_state.category", _B),
    FieldSpec("ticket_type.name", _B),
    FieldSpec("ticket_attributes._default_title_", _M),
    FieldSpec("ticket_attributes._default_description_", _M),
)
TICKET_PART_FIELDS = PART_FIELDS
CALL_FIELDS = (
    FieldSpec("state", _B),
    FieldSpec("direction", _B),
    FieldSpec("initiated_at", _B, _DT),
    FieldSpec("answered_at", _B, _DT),
    FieldSpec("ended_at", _B, _DT),
    FieldSpec("phone", _C),
    FieldSpec("has_recording", _B),
    FieldSpec("has_transcript", _B),
)
"""``has_recording`` and ``has_transcript`` are derived: whether the call carries a recording
(``recording_url``, ``fin_recording_url``) or a transcript (its URLs or turns)."""
TRANSCRIPT_FIELDS = (
    FieldSpec("start_time", _M),
    FieldSpec("end_time", _M),
    FieldSpec("speaker_label", _M),
    FieldSpec("content", _M),
)
EVENT_FIELDS = (FieldSpec("event_name", _B), FieldSpec("created_at", _B, _TS))
EVENT_METADATA = FieldSpec("metadata", _B, Render.JSON)
EVENT_SUMMARY_FIELDS = (
    FieldSpec("name", _B),
    FieldSpec("count", _B),
    FieldSpec("first", _B),
    FieldSpec("last", _B),
)

# Record-field prefixes; ``{...}`` placeholders become ``*`` in the covered surface.
CONTACT_PREFIX = "contact."
SOCIAL_PREFIX = "contact.social_profiles.{n}."
TAG_PREFIX = "contact.tags.{id}."
COMPANY_PREFIX = "contact.companies.{id}."
CUSTOM_PREFIX = "contact.custom_attributes."
NOTE_PREFIX = "contact.notes.{id}."
SEGMENT_PREFIX = "contact.segments.{id}."
SUBSCRIPTION_PREFIX = "contact.subscriptions.{id}."
CONVERSATION_PREFIX = "conversation.{id}."
RATING_PREFIX = "conversation.{id}.rating."
CONVERSATION_TAG_PREFIX = "conversation.{id}.tags.{tag}."
CONVERSATION_CUSTOM_PREFIX = "conversation.{id}.custom_attributes."
SOURCE_PREFIX = "conversation.{id}.source."
SOURCE_ATTACHMENT_PREFIX = "conversation.{id}.source.attachments.{n}."
PART_PREFIX = "conversation.{id}.conversation_parts.{part}."
PART_ATTACHMENT_PREFIX = "conversation.{id}.conversation_parts.{part}.attachments.{n}."
EMAIL_HEADER_PREFIX = "conversation.{id}.conversation_parts.{part}.email_headers.{n}."
"""A part's ``email_message_metadata.email_address_headers``, under a shorter name."""
TICKET_PREFIX = "ticket.{id}."
TICKET_ATTRIBUTE_PREFIX = "ticket.{id}.ticket_attributes."
TICKET_PART_PREFIX = "ticket.{id}.ticket_parts.{part}."
TICKET_PART_ATTACHMENT_PREFIX = "ticket.{id}.ticket_parts.{part}.attachments.{n}."
CALL_PREFIX = "call.{id}."
TRANSCRIPT_PREFIX = "call.{id}.transcript.{n}."
UNATTRIBUTED_TRANSCRIPT_PREFIX = "call.{id}.unattributed_transcript.{n}."
EVENT_PREFIX = "event.{n}."
EVENT_METADATA_PREFIX = "event.{n}.metadata."
EVENT_SUMMARY_PREFIX = "event_summary.{n}."

_S = ExportSection
TABLES: tuple[tuple[frozenset[ExportSection], str, tuple[FieldSpec, ...]], ...] = (
    (frozenset(), CONTACT_PREFIX, CONTACT_FIELDS),
    (frozenset(), SOCIAL_PREFIX, SOCIAL_PROFILE_FIELDS),
    (frozenset({_S.TAGS}), TAG_PREFIX, TAG_FIELDS),
    (frozenset({_S.COMPANIES}), COMPANY_PREFIX, COMPANY_FIELDS),
    (frozenset({_S.NOTES}), NOTE_PREFIX, NOTE_FIELDS),
    (frozenset({_S.SEGMENTS}), SEGMENT_PREFIX, SEGMENT_FIELDS),
    (frozenset({_S.SUBSCRIPTIONS}), SUBSCRIPTION_PREFIX, SUBSCRIPTION_FIELDS),
    (frozenset({_S.CONVERSATIONS}), CONVERSATION_PREFIX, CONVERSATION_FIELDS),
    (frozenset({_S.CONVERSATIONS}), CONVERSATION_TAG_PREFIX, TAG_FIELDS),
    (frozenset({_S.CONVERSATIONS}), RATING_PREFIX, RATING_FIELDS),
    (frozenset({_S.MESSAGES}), SOURCE_PREFIX, SOURCE_FIELDS),
    (frozenset({_S.MESSAGES}), SOURCE_ATTACHMENT_PREFIX, ATTACHMENT_FIELDS),
    (frozenset({_S.MESSAGES}), PART_PREFIX, PART_FIELDS),
    (frozenset({_S.MESSAGES}), PART_ATTACHMENT_PREFIX, ATTACHMENT_FIELDS),
    (frozenset({_S.MESSAGES}), EMAIL_HEADER_PREFIX, EMAIL_HEADER_FIELDS),
    (frozenset({_S.TICKETS}), TICKET_PREFIX, TICKET_FIELDS),
    (frozenset({_S.TICKETS}), TICKET_PART_PREFIX, TICKET_PART_FIELDS),
    (frozenset({_S.TICKETS}), TICKET_PART_ATTACHMENT_PREFIX, ATTACHMENT_FIELDS),
    (frozenset({_S.CALLS}), CALL_PREFIX, CALL_FIELDS),
    (frozenset({_S.CALLS, _S.MESSAGES}), TRANSCRIPT_PREFIX, TRANSCRIPT_FIELDS),
    (frozenset({_S.CALLS, _S.MESSAGES}), UNATTRIBUTED_TRANSCRIPT_PREFIX, TRANSCRIPT_FIELDS),
    (frozenset({_S.EVENTS}), EVENT_PREFIX, EVENT_FIELDS),
    (frozenset({_S.EVENT_SUMMARIES}), EVENT_SUMMARY_PREFIX, EVENT_SUMMARY_FIELDS),
)
"""Every (sections, prefix, fields) table: exported when every section named is enabled
(none: always, with the profile)."""

KEPT_BY_INTERCOM = frozenset(
    {
        CONVERSATION_PREFIX,
        CONVERSATION_TAG_PREFIX,
        CONVERSATION_CUSTOM_PREFIX,
        RATING_PREFIX,
        SOURCE_ATTACHMENT_PREFIX,
        PART_ATTACHMENT_PREFIX,
        EMAIL_HEADER_PREFIX,
        TICKET_PREFIX,
        TICKET_ATTRIBUTE_PREFIX,
        TICKET_PART_PREFIX,
        TICKET_PART_ATTACHMENT_PREFIX,
        CALL_PREFIX,
        TRANSCRIPT_PREFIX,
        UNATTRIBUTED_TRANSCRIPT_PREFIX,
    }
)
"""Tables whose data erasure does not remove as far as the API shows: conversations (their
tags, attributes and the address headers of their emails), their ratings (Intercom keeps CSAT
ratings and comments) and attachments (undocumented), tickets with their parts, calls."""

REDACTED = frozenset({SOURCE_PREFIX, PART_PREFIX})
"""Tables only the ``redact_messages`` and ``delete_conversations`` policies remove: the
messages the contact wrote."""


UNREACHABLE: tuple[SurfaceExclusion, ...] = (
    SurfaceExclusion(
        field="visitor.*",
        reason="visitors (anonymous website visitors) are not contacts: no API finds them by "
        "email or contact id",
        retention="Intercom removes a visitor not seen for 9 months",
    ),
    SurfaceExclusion(
        field="reporting.*",
        reason="reporting exports hold aggregated conversation data no per-person API reads; "
        "Intercom says deleted conversations still appear there",
    ),
    SurfaceExclusion(
        field="outbound_message.*",
        reason="outbound messages (emails, posts, chats) the contact never answered open no "
        "conversation, and no API lists them per contact",
    ),
    SurfaceExclusion(
        field="admin_activity_log.*",
        reason="admin activity logs record what teammates did; no API reads them per contact",
    ),
    SurfaceExclusion(
        field="fin_agent_input.*",
        reason="what was sent to the Fin agent API is not readable back per contact",
    ),
    SurfaceExclusion(
        field="custom_object.*",
        reason="custom object instances are defined by each workspace and not listed per "
        "contact; a reference to one in a custom attribute is exported only when declared",
    ),
)
"""Places Intercom holds data about people that no per-person API call reaches."""


def erased_by(prefix: str, erasure_policy: str) -> bool:
    """Whether the erasure policy removes the data of the table at ``prefix``."""
    if prefix in REDACTED:
        return erasure_policy in ("redact_messages", "delete_conversations")
    return prefix not in KEPT_BY_INTERCOM


def render(spec: FieldSpec, raw: Any) -> str | None:
    """The record text for ``raw``; ``None`` when empty; ``ValueError`` for a wrong type."""
    if raw is None or raw == "" or raw == {} or raw == []:
        return None
    if spec.render is Render.DATETIME and isinstance(raw, str):
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            raise ValueError("datetime is not ISO 8601") from None
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        return moment.isoformat().replace("+00:00", "Z")
    if spec.render in (Render.TIMESTAMP, Render.DATETIME):
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
    export_archived: bool = False,
    conversation_attributes: Mapping[str, PiiCategory] | None = None,
    ticket_attributes: Mapping[str, PiiCategory] | None = None,
) -> CoveredSurface:
    """The covered surface for one configuration, from the tables the exporter iterates."""
    conversation_attributes = conversation_attributes or {}
    ticket_attributes = ticket_attributes or {}
    fields = [
        CoveredField(
            field=glob(prefix) + spec.key,
            category=spec.category,
            erased=erased_by(prefix, erasure_policy),
        )
        for needs, prefix, specs in TABLES
        if needs <= sections
        for spec in specs
    ]
    fields += [
        CoveredField(field=CUSTOM_PREFIX + name, category=category)
        for name, category in sorted(custom_attributes.items())
    ]
    if ExportSection.CONVERSATIONS in sections:
        fields += [
            CoveredField(
                field=glob(CONVERSATION_CUSTOM_PREFIX) + name, category=category, erased=False
            )
            for name, category in sorted(conversation_attributes.items())
        ]
    if ExportSection.TICKETS in sections:
        fields += [
            CoveredField(
                field=glob(TICKET_ATTRIBUTE_PREFIX) + name, category=category, erased=False
            )
            for name, category in sorted(ticket_attributes.items())
        ]
    if ExportSection.EVENTS in sections:
        fields.append(
            CoveredField(field=glob(EVENT_METADATA_PREFIX) + "*", category=EVENT_METADATA.category)
        )
    exclusions: list[SurfaceExclusion] = []
    notes: list[str] = []
    declared = (
        ("contact.custom_attributes.*", custom_attributes, True),
        (
            glob(CONVERSATION_CUSTOM_PREFIX) + "*",
            conversation_attributes,
            ExportSection.CONVERSATIONS in sections,
        ),
        # Not the default title and description (``_default_*``), which are exported.
        (
            glob(TICKET_ATTRIBUTE_PREFIX) + "[!_]*",
            ticket_attributes,
            ExportSection.TICKETS in sections,
        ),
    )
    for where, names, reached in declared:
        if reached and not names:
            exclusions.append(
                SurfaceExclusion(
                    field=where,
                    reason="custom attributes are defined by each workspace; none is exported "
                    "until the controller declares which hold personal data",
                )
            )
    notes.append(
        "Only declared custom attributes (of contacts, conversations and tickets) are "
        "exported, since which ones hold personal data is the controller's call; an export "
        "names (never shows) the ones it holds but left out."
    )
    if ExportSection.MESSAGES in sections:
        notes.append(
            "Messages: only what the contact wrote is exported (a contact-authored conversation "
            "source, and parts whose author is the contact); parts by admins, bots or other "
            "contacts are left out."
        )
        notes.append(
            "Attachments: name, URL, content type and size of the files on messages the "
            "contact wrote are exported, not the files themselves (fetch them from the URL). "
            "Redaction replaces a message; whether Intercom still serves its files is not "
            "documented."
        )
    else:
        exclusions += [
            SurfaceExclusion(
                field=field, reason="message bodies are exported only with export_messages=True"
            )
            for field in (
                "conversation.*.conversation_parts.*",
                "conversation.*.source.subject",
                "conversation.*.source.body",
                "conversation.*.source.attachments.*",
            )
        ]
        if ExportSection.CALLS in sections:
            exclusions.append(
                SurfaceExclusion(
                    field="call.*.transcript.*",
                    reason="call transcripts are exported only with export_messages=True",
                )
            )
    if ExportSection.CALLS in sections and ExportSection.MESSAGES in sections:
        notes.append(
            "Call transcripts: only the turns Intercom attributes to the contact "
            "(speaker_type user and the contact's id) are exported as theirs; a turn Intercom "
            "attributes to no one (older calls, Fin voice calls) is exported under "
            "unattributed_transcript, since it may be the contact's; turns attributed to "
            "others are left out."
        )
    if ExportSection.MESSAGES in sections:
        notes.append(
            "Email metadata: of the address headers of a conversation's emails, only those "
            "holding the contact's own email address are exported (Art. 15(4): never other "
            "people's addresses)."
        )
    exclusions += list(UNREACHABLE)
    if ExportSection.EVENTS in sections and ExportSection.EVENT_SUMMARIES not in sections:
        notes.append(
            "Data events: Intercom lists only the last 90 days; older events are counted only "
            "by the event_summaries section, which is switched off."
        )
    skipped = sorted(set(ExportSection) - sections - {ExportSection.MESSAGES})
    if skipped:
        notes.append("Export sections switched off: " + ", ".join(skipped) + ".")
    notes += _reach_notes(export_archived=export_archived)
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


def _reach_notes(*, export_archived: bool) -> list[str]:
    """Where the person's data can be that a call by contact id or email does not reach."""
    archived = (
        "Archived contacts: export unarchives an archived contact, exports it and archives it "
        "again (export_archived=True)."
        if export_archived
        else "Archived contacts are left out of export: Intercom answers not found for them, and "
        "only unarchiving (a change to the workspace) reaches them; enable it with "
        "export_archived=True. Erasure and verification do unarchive to reach them."
    )
    return [
        archived,
        "Lookup by email cannot find archived contacts (Intercom's search does not return "
        "them) nor contacts created in the last few minutes (Intercom's search index lags); "
        "address those by contact id.",
    ]


def _erasure_notes(policy: str) -> list[str]:
    deletion = (
        "the Intercom contact is deleted (DELETE /contacts/{id}), an archived one after "
        "unarchiving it. Intercom documents that deleting a user or lead removes its data and "
        "its conversations, that CSAT ratings and comments stay, and that deleted data stays "
        "recoverable for 7 days."
    )
    if policy == "delete_conversations":
        return [
            "Erasure policy delete_conversations: first every conversation and every ticket "
            "whose only contact is the person is deleted by id (DELETE /conversations/{id}, "
            "DELETE /tickets/{id}, each confirmed by Intercom's deleted: true): with them go "
            "their parts, ratings, attributes, uploads and calls. In conversations shared with "
            "other contacts the messages the person wrote are redacted instead "
            "(POST /conversations/redact).",
            "Then, last, " + deletion,
            "What stays in Intercom, as far as the API shows: conversations and tickets shared "
            "with other contacts (their title, tags, attributes, ratings, and the person's "
            "ticket comments: no API redacts a ticket part). A shared conversation of more "
            "than 500 parts stops the erasure before the deletion.",
        ]
    if policy == "redact_messages":
        return [
            "Erasure policy redact_messages: first every message the contact wrote is redacted "
            "(POST /conversations/redact: each contact-authored part with a body, and the "
            "source when the contact wrote it).",
            "Then, last, " + deletion,
            "What stays in Intercom, as far as the API shows: conversation ratings with their "
            "remark (no API redacts them), tickets with their title and description, and the "
            "conversations' messages by admins, bots or other contacts. A conversation of more "
            "than 500 parts stops the erasure before the deletion: its older parts cannot be "
            "redacted through the API.",
        ]
    return [
        "Erasure policy delete_contact: " + deletion,
        "This policy does not itself touch conversations: their removal rests on Intercom's "
        "documented behaviour, which the API cannot confirm. Use "
        "erasure_policy='redact_messages' to redact the messages the contact wrote first.",
        "What stays in Intercom, as far as the API shows: conversation ratings with their "
        "remark (Intercom says CSAT ratings and comments stay), and tickets with their title "
        "and description.",
    ]
