"""The Art. 15 exporter: every enabled section of one contact, as export records.

Requests, in order, each only when its section is enabled and Intercom says there is
something to fetch (the contact's own ``tags``, ``companies`` and ``notes`` counts):

| section       | request                                               | count            |
|---------------|-------------------------------------------------------|------------------|
| profile       | ``GET /contacts/{id}``                                | 1 (always)       |
| tags          | ``GET /contacts/{id}/tags``                           | 0 or 1           |
| companies     | ``GET /contacts/{id}/companies``                      | 0 or 1 per page  |
| notes         | ``GET /contacts/{id}/notes``                          | 0 or 1 per page  |
| segments      | ``GET /contacts/{id}/segments``                       | 1                |
| subscriptions | ``GET /contacts/{id}/subscriptions``                  | 1                |
| conversations | ``POST /conversations/search`` (150 a page); ratings  | max(1, ceil(N/150)) |
| messages      | ``GET /conversations/{id}``; attachments with them    | N                |
| tickets       | ``POST /tickets/search`` (150 a page); parts, attributes | max(1, ceil(T/150)) |
| calls         | ``POST /calls/search``, 20 conversation ids each       | ceil(N/20)       |
| events        | ``GET /events?type=user&intercom_user_id={id}``        | 1 per page       |
| event_summaries | ``GET /events?...&summary=true``                    | 1                |

Intercom's not-found for the contact ends the export empty, with no other request, unless
``export_archived`` is on: then ``POST /contacts/{id}/unarchive`` is tried, and a contact found
archived is exported and archived again (``POST /contacts/{id}/archive``) in a ``finally``.
A 404 on anything after the contact means it vanished mid-export: that raises (retryable)
rather than return a part. Custom attributes the contact, its conversations and tickets hold
but the controller did not declare are named (never valued) in ``ContactExport.undeclared``.
A conversation cut by Intercom's 500-part cap raises
``IncompleteConversationError`` once every conversation has been read.
The conversation reads of the messages section keep up to ``max_in_flight`` requests in
flight (``_inflight.py``); records come out in the order of one request at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from dsr_resolvers.contract import ExportRecord, PiiCategory, Presence
from dsr_resolvers.intercom import _archive, _paging
from dsr_resolvers.intercom import _routes as routes
from dsr_resolvers.intercom._fields import (
    ATTACHMENT_FIELDS,
    CALL_FIELDS,
    CALL_PREFIX,
    COMPANY_FIELDS,
    COMPANY_PREFIX,
    CONTACT_FIELDS,
    CONTACT_PREFIX,
    CONVERSATION_CUSTOM_PREFIX,
    CONVERSATION_FIELDS,
    CONVERSATION_PREFIX,
    CONVERSATION_TAG_PREFIX,
    CUSTOM_PREFIX,
    EMAIL_HEADER_FIELDS,
    EMAIL_HEADER_PREFIX,
    EVENT_FIELDS,
    EVENT_METADATA,
    EVENT_METADATA_PREFIX,
    EVENT_PREFIX,
    EVENT_SUMMARY_FIELDS,
    EVENT_SUMMARY_PREFIX,
    NOTE_FIELDS,
    NOTE_PREFIX,
    PART_ATTACHMENT_PREFIX,
    PART_FIELDS,
    PART_PREFIX,
    RATING_FIELDS,
    RATING_PREFIX,
    RESOLVER_NAME,
    SEGMENT_FIELDS,
    SEGMENT_PREFIX,
    SOCIAL_PREFIX,
    SOCIAL_PROFILE_FIELDS,
    SOURCE_ATTACHMENT_PREFIX,
    SOURCE_FIELDS,
    SOURCE_PREFIX,
    SUBSCRIPTION_FIELDS,
    SUBSCRIPTION_PREFIX,
    TAG_FIELDS,
    TAG_PREFIX,
    TICKET_ATTRIBUTE_PREFIX,
    TICKET_FIELDS,
    TICKET_PART_ATTACHMENT_PREFIX,
    TICKET_PART_FIELDS,
    TICKET_PART_PREFIX,
    TICKET_PREFIX,
    TRANSCRIPT_FIELDS,
    TRANSCRIPT_PREFIX,
    UNATTRIBUTED_TRANSCRIPT_PREFIX,
    ExportSection,
    FieldSpec,
    glob,
    render,
)
from dsr_resolvers.intercom._http import IntercomCall, Route
from dsr_resolvers.intercom._inflight import for_each_in_order
from dsr_resolvers.intercom._messages import (
    IncompleteConversationError,
    authored_messages,
    is_incomplete,
    parts_of,
    written_by,
)
from dsr_resolvers.intercom._paging import item_id

CALLS_PER_SEARCH = 20
"""``POST /calls/search`` takes at most 20 conversation ids."""

_DEFAULT_TICKET_ATTRIBUTES = frozenset({"_default_title_", "_default_description_"})


@dataclass(frozen=True, slots=True)
class ExportConfig:
    """What one resolver exports: the enabled sections, the declared custom attributes of
    contacts, conversations and tickets, and whether an archived contact is unarchived to be
    exported."""

    sections: frozenset[ExportSection]
    custom_attributes: Mapping[str, PiiCategory]
    archived: bool = False
    conversation_attributes: Mapping[str, PiiCategory] = field(default_factory=dict)
    ticket_attributes: Mapping[str, PiiCategory] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ContactExport:
    """The records of one contact, and the names (globs, never values) of the custom
    attributes it holds that were not declared, so not exported."""

    records: tuple[ExportRecord, ...] = ()
    undeclared: tuple[str, ...] = ()
    presence: Presence = Presence.HELD


class _Records:
    """Collects records, turning a wrongly typed value into a retryable error."""

    def __init__(self, call: IntercomCall) -> None:
        self.call = call
        self.records: list[ExportRecord] = []
        self.undeclared: set[str] = set()

    def merge(self, other: _Records) -> None:
        self.records.extend(other.records)
        self.undeclared |= other.undeclared

    def declared(
        self,
        where: Route,
        prefix: str,
        attributes: object,
        declared: Mapping[str, PiiCategory],
        skip: frozenset[str] = frozenset(),
        **ids: str,
    ) -> None:
        """The declared attributes of ``attributes`` as records; the names of the others
        (as surface globs) into ``undeclared``."""
        if attributes is None:
            return
        if not isinstance(attributes, Mapping):
            raise self.call.malformed(*where, "custom attributes that are not an object")
        for name, category in sorted(declared.items()):
            spec = FieldSpec(name, category)
            self.one(where, prefix.format(**ids) + name, spec, attributes.get(name))
        self.undeclared.update(
            glob(prefix) + str(name)
            for name, value in attributes.items()
            if name not in declared and name not in skip and value not in (None, "", [], {})
        )

    def add(
        self,
        where: Route,
        prefix: str,
        specs: Iterable[FieldSpec],
        source: Mapping[str, Any],
        **ids: str,
    ) -> None:
        for spec in specs:
            self.one(where, prefix.format(**ids) + spec.key, spec, spec.lookup(source))

    def one(self, where: Route, field: str, spec: FieldSpec, raw: Any) -> None:
        try:
            value = render(spec, raw)
        except ValueError:
            raise self.call.malformed(*where, "a value of an unexpected type") from None
        if value is not None:
            self.records.append(
                ExportRecord(source=RESOLVER_NAME, field=field, category=spec.category, value=value)
            )


def export_contact(call: IntercomCall, contact_id: str, config: ExportConfig) -> ContactExport:
    """Every record of the contact; empty when Intercom has no such contact."""
    contact = call.request(*routes.CONTACT, path_params={"id": contact_id})
    if contact is not None:
        return _export_found(call, contact_id, contact, config)
    if not config.archived:
        # Intercom answers an archived contact not found too: it may be held out of sight.
        return ContactExport(presence=Presence.NOT_VISIBLE)
    if not _archive.unarchive(call, contact_id):
        return ContactExport(presence=Presence.ABSENT)
    try:
        contact = call.request(*routes.CONTACT, path_params={"id": contact_id})
        if contact is None:
            raise call.malformed(*routes.CONTACT, "404 for a contact it had just unarchived")
        return _export_found(call, contact_id, contact, config)
    finally:
        _archive.archive(call, contact_id)


def _export_found(
    call: IntercomCall, contact_id: str, contact: Mapping[str, Any], config: ExportConfig
) -> ContactExport:
    ids = {"id": contact_id}
    out = _Records(call)
    out.add(routes.CONTACT, CONTACT_PREFIX, CONTACT_FIELDS, contact)
    for n, profile in enumerate(_sub_list(call, contact, "social_profiles")):
        out.add(routes.CONTACT, SOCIAL_PREFIX, SOCIAL_PROFILE_FIELDS, profile, n=str(n))
    attributes = contact.get("custom_attributes")
    out.declared(routes.CONTACT, CUSTOM_PREFIX, attributes, config.custom_attributes)

    sections = config.sections
    if ExportSection.TAGS in sections and _announced(contact, "tags"):
        for tag in _required(call, routes.TAGS, "data", ids):
            out.add(routes.TAGS, TAG_PREFIX, TAG_FIELDS, tag, id=item_id(call, routes.TAGS, tag))
    if ExportSection.COMPANIES in sections and _announced(contact, "companies"):
        # The spec names the list "companies"; Intercom (and its own examples) send "data".
        for company in _required(call, routes.COMPANIES, ("data", "companies"), ids):
            company_id = item_id(call, routes.COMPANIES, company)
            out.add(routes.COMPANIES, COMPANY_PREFIX, COMPANY_FIELDS, company, id=company_id)
    if ExportSection.NOTES in sections and _announced(contact, "notes"):
        for note in _required(call, routes.NOTES, "data", ids):
            out.add(
                routes.NOTES, NOTE_PREFIX, NOTE_FIELDS, note, id=item_id(call, routes.NOTES, note)
            )
    if ExportSection.SEGMENTS in sections:
        for segment in _required(call, routes.SEGMENTS, "data", ids):
            segment_id = item_id(call, routes.SEGMENTS, segment)
            out.add(routes.SEGMENTS, SEGMENT_PREFIX, SEGMENT_FIELDS, segment, id=segment_id)
    if ExportSection.SUBSCRIPTIONS in sections:
        for kind in _required(call, routes.SUBSCRIPTIONS, "data", ids):
            kind_id = item_id(call, routes.SUBSCRIPTIONS, kind)
            where = routes.SUBSCRIPTIONS
            out.add(where, SUBSCRIPTION_PREFIX, SUBSCRIPTION_FIELDS, kind, id=kind_id)
    conversation_ids: list[str] = []
    if ExportSection.CONVERSATIONS in sections or ExportSection.CALLS in sections:
        conversation_ids = _conversations(call, out, contact, config)
    if ExportSection.TICKETS in sections:
        query = {"field": "contact_ids", "operator": "=", "value": contact_id}
        for ticket in _paging.search(call, routes.TICKET_SEARCH.path, query, "tickets"):
            _ticket(call, out, contact_id, ticket, config)
    if ExportSection.CALLS in sections:
        _calls(call, out, contact_id, conversation_ids, messages=ExportSection.MESSAGES in sections)
    if ExportSection.EVENTS in sections:
        _events(call, out, contact_id)
    if ExportSection.EVENT_SUMMARIES in sections:
        _event_summaries(call, out, contact_id)
    return ContactExport(tuple(out.records), tuple(sorted(out.undeclared)))


def _conversations(
    call: IntercomCall, out: _Records, contact: Mapping[str, Any], config: ExportConfig
) -> list[str]:
    """Export the contact's conversations (when that section is on); their ids, in order."""
    contact_id = str(contact.get("id"))
    query = {"field": "contact_ids", "operator": "=", "value": contact_id}
    found = _paging.search(call, routes.CONVERSATION_SEARCH.path, query, "conversations")
    if ExportSection.CONVERSATIONS not in config.sections:  # only the calls want them
        return [item_id(call, routes.CONVERSATION_SEARCH, listed) for listed in found]
    cut: list[str] = []
    ids: list[str] = []
    email = contact.get("email")
    own = frozenset({email.strip().lower()}) if isinstance(email, str) and email.strip() else None

    # With messages, one conversation read each: kept in flight together, collected in order.
    def one(listed: dict[str, Any]) -> tuple[_Records, str, str | None]:
        part = _Records(call)
        cut_id = _conversation(call, part, contact_id, listed, config, own)
        return part, item_id(call, routes.CONVERSATION_SEARCH, listed), cut_id

    def collect(result: tuple[_Records, str, str | None]) -> None:
        out.merge(result[0])
        ids.append(result[1])
        if result[2] is not None:
            cut.append(result[2])

    if ExportSection.MESSAGES in config.sections:
        for_each_in_order(call, found, one, collect)
    else:
        for listed in found:
            collect(one(listed))
    if cut:
        raise IncompleteConversationError(call.action, tuple(cut))
    return ids


def _conversation(
    call: IntercomCall,
    out: _Records,
    contact_id: str,
    listed: dict[str, Any],
    config: ExportConfig,
    own_addresses: frozenset[str] | None,
) -> str | None:
    """One listed conversation: its metadata, tags, declared attributes and the contact's
    rating, then (with messages) what the contact wrote and the address headers holding the
    contact's own address; the conversation's id when Intercom's 500-part cap cut it."""
    conversation_id = item_id(call, routes.CONVERSATION_SEARCH, listed)
    where = routes.CONVERSATION_SEARCH
    out.add(where, CONVERSATION_PREFIX, CONVERSATION_FIELDS, listed, id=conversation_id)
    tags = listed.get("tags")
    if tags is not None:
        tag_list = tags.get("tags") if isinstance(tags, Mapping) else None
        if not isinstance(tag_list, list) or not all(isinstance(t, Mapping) for t in tag_list):
            raise call.malformed(*where, "a malformed conversation tag list")
        for tag in tag_list:
            tag_id = item_id(call, where, tag)
            out.add(where, CONVERSATION_TAG_PREFIX, TAG_FIELDS, tag, id=conversation_id, tag=tag_id)
    attributes = listed.get("custom_attributes")
    declared = config.conversation_attributes
    out.declared(where, CONVERSATION_CUSTOM_PREFIX, attributes, declared, id=conversation_id)
    rating = listed.get("conversation_rating")
    if rating is not None and _rated_by(call, rating, contact_id):
        out.add(where, RATING_PREFIX, RATING_FIELDS, rating, id=conversation_id)
    if ExportSection.MESSAGES not in config.sections:
        return None
    full = call.request(*routes.CONVERSATION, path_params={"id": conversation_id})
    if full is None:
        raise call.malformed(*routes.CONVERSATION, "404 for a listed conversation")
    _messages(call, out, conversation_id, full, contact_id)
    if own_addresses:
        _own_addresses(call, out, conversation_id, full, own_addresses)
    return conversation_id if is_incomplete(call, full) else None


def _own_addresses(
    call: IntercomCall,
    out: _Records,
    conversation_id: str,
    conversation: Mapping[str, Any],
    own: frozenset[str],
) -> None:
    """The address headers of the conversation's emails that hold the contact's own address;
    everyone else's addresses stay out (Art. 15(4))."""
    where = routes.CONVERSATION
    for part in parts_of(call, conversation):
        metadata = part.get("email_message_metadata")
        if metadata is None:
            continue
        headers = metadata.get("email_address_headers") if isinstance(metadata, Mapping) else 0
        if headers is None:
            continue
        if not isinstance(headers, list) or not all(isinstance(h, Mapping) for h in headers):
            raise call.malformed(*where, "malformed email metadata")
        part_id = item_id(call, where, part)
        for n, header in enumerate(headers):
            address = header.get("email_address")
            if isinstance(address, str) and address.strip().lower() in own:
                ids = {"id": conversation_id, "part": part_id, "n": str(n)}
                out.add(where, EMAIL_HEADER_PREFIX, EMAIL_HEADER_FIELDS, header, **ids)


def _ticket(
    call: IntercomCall,
    out: _Records,
    contact_id: str,
    ticket: Mapping[str, Any],
    config: ExportConfig,
) -> None:
    """One ticket: its fields, declared attributes and the parts the contact wrote (all in the
    search answer: no request of its own)."""
    where = routes.TICKET_SEARCH
    ticket_id = item_id(call, where, ticket)
    out.add(where, TICKET_PREFIX, TICKET_FIELDS, ticket, id=ticket_id)
    attributes = ticket.get("ticket_attributes")
    declared = config.ticket_attributes
    skip = _DEFAULT_TICKET_ATTRIBUTES
    out.declared(where, TICKET_ATTRIBUTE_PREFIX, attributes, declared, skip, id=ticket_id)
    for part in parts_of(call, ticket, "ticket_parts", where):
        body = part.get("body")
        if not written_by(part, contact_id) or part.get("redacted") is True:
            continue
        if not (isinstance(body, str) and body.strip()) and not part.get("attachments"):
            continue
        ids = {"id": ticket_id, "part": item_id(call, where, part)}
        out.add(where, TICKET_PART_PREFIX, TICKET_PART_FIELDS, part, **ids)
        for n, attachment in enumerate(_attachments(call, where, part)):
            out.add(
                where, TICKET_PART_ATTACHMENT_PREFIX, ATTACHMENT_FIELDS, attachment, **ids, n=str(n)
            )


def _calls(
    call: IntercomCall,
    out: _Records,
    contact_id: str,
    conversation_ids: list[str],
    *,
    messages: bool,
) -> None:
    """The calls in the contact's conversations, 20 conversations a request; with messages, the
    transcript turns that are the contact's, and those attributed to no one (marked so)."""
    where = routes.CALL_SEARCH
    for start in range(0, len(conversation_ids), CALLS_PER_SEARCH):
        batch = conversation_ids[start : start + CALLS_PER_SEARCH]
        found = call.request(*where, json_body={"conversation_ids": batch})
        if found is None:
            raise call.malformed(*where, "404 for a call search")
        data = found.get("data")
        if not isinstance(data, list) or not all(isinstance(c, Mapping) for c in data):
            raise call.malformed(*where, "a call search without its list")
        for one in data:
            if one.get("contact_id") not in (None, contact_id):  # another person's call
                continue
            call_id = item_id(call, where, one)
            transcript = one.get("transcript") or []
            if not isinstance(transcript, list) or not all(
                isinstance(t, Mapping) for t in transcript
            ):
                raise call.malformed(*where, "a malformed call transcript")
            view = {
                **one,
                "has_recording": bool(one.get("recording_url") or one.get("fin_recording_url")),
                "has_transcript": bool(
                    transcript or one.get("transcription_url") or one.get("fin_transcription_url")
                ),
            }
            out.add(where, CALL_PREFIX, CALL_FIELDS, view, id=call_id)
            if messages:
                _transcript(out, call_id, transcript, contact_id)


def _transcript(
    out: _Records, call_id: str, transcript: list[Mapping[str, Any]], contact_id: str
) -> None:
    for n, turn in enumerate(transcript):
        speaker_type = turn.get("speaker_type")
        if speaker_type is None:
            prefix = UNATTRIBUTED_TRANSCRIPT_PREFIX
        elif speaker_type == "user" and turn.get("speaker_id") == contact_id:
            prefix = TRANSCRIPT_PREFIX
        else:  # said by a teammate or someone else: not the contact's
            continue
        view = {**turn, "speaker_label": turn.get("speaker_label", turn.get("speaker"))}
        out.add(routes.CALL_SEARCH, prefix, TRANSCRIPT_FIELDS, view, id=call_id, n=str(n))


def _attachments(call: IntercomCall, where: Route, message: Mapping[str, Any]) -> list[Any]:
    files = message.get("attachments") or []
    if not isinstance(files, list) or not all(isinstance(f, Mapping) for f in files):
        raise call.malformed(*where, "a malformed attachment list")
    return files


def _rated_by(call: IntercomCall, rating: object, contact_id: str) -> bool:
    """Whether a conversation's rating is the contact's (or names no contact at all)."""
    if not isinstance(rating, Mapping):
        raise call.malformed(*routes.CONVERSATION_SEARCH, "a conversation rating not an object")
    rater = rating.get("contact")
    return not isinstance(rater, Mapping) or rater.get("id") in (None, contact_id)


def _messages(
    call: IntercomCall,
    out: _Records,
    conversation_id: str,
    conversation: Mapping[str, Any],
    contact_id: str,
) -> None:
    for message in authored_messages(call, conversation, contact_id):
        if message.redacted:  # what Intercom shows now is its placeholder, not the person's
            continue
        if message.kind == "source":
            ids = {"id": conversation_id}
            prefix, files_prefix, specs = SOURCE_PREFIX, SOURCE_ATTACHMENT_PREFIX, SOURCE_FIELDS
        else:
            ids = {"id": conversation_id, "part": message.id}
            prefix, files_prefix, specs = PART_PREFIX, PART_ATTACHMENT_PREFIX, PART_FIELDS
        out.add(routes.CONVERSATION, prefix, specs, message.message, **ids)
        for n, attachment in enumerate(_attachments(call, routes.CONVERSATION, message.message)):
            where = routes.CONVERSATION
            out.add(where, files_prefix, ATTACHMENT_FIELDS, attachment, **ids, n=str(n))


def _events(call: IntercomCall, out: _Records, contact_id: str) -> None:
    params = {"type": "user", "intercom_user_id": contact_id}
    events = _paging.listing(call, routes.EVENTS.path, "events", path_params={}, params=params)
    if events is None:
        raise call.malformed(*routes.EVENTS, "404 for the event list")
    for n, event in enumerate(events):
        out.add(routes.EVENTS, EVENT_PREFIX, EVENT_FIELDS, event, n=str(n))
        metadata = event.get("metadata")
        if metadata is None:
            continue
        if not isinstance(metadata, Mapping):
            raise call.malformed(*routes.EVENTS, "event metadata that is not an object")
        for key in sorted(metadata):
            field = EVENT_METADATA_PREFIX.format(n=n) + str(key)
            out.one(routes.EVENTS, field, EVENT_METADATA, metadata[key])


def _event_summaries(call: IntercomCall, out: _Records, contact_id: str) -> None:
    params = {"type": "user", "intercom_user_id": contact_id, "summary": "true"}
    summary = call.request(*routes.EVENTS, params=params)
    if summary is None:
        raise call.malformed(*routes.EVENTS, "404 for the event summary")
    items = summary.get("events")
    if not isinstance(items, list):
        raise call.malformed(*routes.EVENTS, "an event summary without its list")
    # The description marks summary items nullable: a null item holds nothing to export.
    for n, item in enumerate(i for i in items if i is not None):
        if not isinstance(item, Mapping):
            raise call.malformed(*routes.EVENTS, "an event summary item not an object")
        out.add(routes.EVENTS, EVENT_SUMMARY_PREFIX, EVENT_SUMMARY_FIELDS, item, n=str(n))


def _announced(contact: Mapping[str, Any], key: str) -> bool:
    """Whether the contact's own summary says the sub-list may hold anything.

    The contact object carries ``{key: {"total_count": n, "data": [...]}}``; a list Intercom
    reports as empty is not fetched. When the summary is missing or odd, fetch to be sure.
    """
    summary = contact.get(key)
    if not isinstance(summary, Mapping):
        return True
    total, data = summary.get("total_count"), summary.get("data")
    if isinstance(total, int) and not isinstance(total, bool) and total == 0:
        return bool(data) or summary.get("has_more") is True
    return True


def _required(
    call: IntercomCall, where: Route, key: str | tuple[str, ...], ids: Mapping[str, str]
) -> Iterator[dict[str, Any]]:
    items = _paging.listing(call, where.path, key, path_params=ids)
    if items is None:
        raise call.malformed(*where, "404 for a contact that exists")
    return items


def _sub_list(call: IntercomCall, contact: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    container = contact.get(key)
    if container is None:
        return []
    data = container.get("data") if isinstance(container, Mapping) else None
    if not isinstance(data, list) or not all(isinstance(i, Mapping) for i in data):
        raise call.malformed(*routes.CONTACT, f"a malformed {key} list")
    return data
