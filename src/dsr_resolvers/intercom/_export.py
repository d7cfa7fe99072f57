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
| tickets       | ``POST /tickets/search`` (150 a page)                 | max(1, ceil(T/150)) |
| events        | ``GET /events?type=user&intercom_user_id={id}``        | 1 per page       |
| event_summaries | ``GET /events?...&summary=true``                    | 1                |

Intercom's not-found for the contact ends the export empty, with no other request, unless
``export_archived`` is on: then ``POST /contacts/{id}/unarchive`` is tried, and a contact found
archived is exported and archived again (``POST /contacts/{id}/archive``) in a ``finally``.
A 404 on anything after the contact means it vanished mid-export: that raises (retryable)
rather than return a part. A conversation cut by Intercom's 500-part cap raises
``IncompleteConversationError`` once every conversation has been read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from dsr_resolvers.contract import ExportRecord, PiiCategory
from dsr_resolvers.intercom import _archive, _paging
from dsr_resolvers.intercom import _routes as routes
from dsr_resolvers.intercom._fields import (
    ATTACHMENT_FIELDS,
    COMPANY_FIELDS,
    COMPANY_PREFIX,
    CONTACT_FIELDS,
    CONTACT_PREFIX,
    CONVERSATION_FIELDS,
    CONVERSATION_PREFIX,
    CUSTOM_PREFIX,
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
    TICKET_FIELDS,
    TICKET_PREFIX,
    ExportSection,
    FieldSpec,
    render,
)
from dsr_resolvers.intercom._http import IntercomCall, Route
from dsr_resolvers.intercom._messages import (
    IncompleteConversationError,
    authored_messages,
    is_incomplete,
)
from dsr_resolvers.intercom._paging import item_id


@dataclass(frozen=True, slots=True)
class ExportConfig:
    """What one resolver exports: the enabled sections and the declared custom attributes,
    and whether an archived contact is unarchived to be exported."""

    sections: frozenset[ExportSection]
    custom_attributes: Mapping[str, PiiCategory]
    archived: bool = False


class _Records:
    """Collects records, turning a wrongly typed value into a retryable error."""

    def __init__(self, call: IntercomCall) -> None:
        self.call = call
        self.records: list[ExportRecord] = []

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


def export_contact(
    call: IntercomCall, contact_id: str, config: ExportConfig
) -> tuple[ExportRecord, ...]:
    """Every record of the contact, or ``()`` when Intercom has no such contact."""
    contact = call.request(*routes.CONTACT, path_params={"id": contact_id})
    if contact is not None:
        return _export_found(call, contact_id, contact, config)
    if not config.archived or not _archive.unarchive(call, contact_id):
        return ()
    try:
        contact = call.request(*routes.CONTACT, path_params={"id": contact_id})
        if contact is None:
            raise call.malformed(*routes.CONTACT, "404 for a contact it had just unarchived")
        return _export_found(call, contact_id, contact, config)
    finally:
        _archive.archive(call, contact_id)


def _export_found(
    call: IntercomCall, contact_id: str, contact: Mapping[str, Any], config: ExportConfig
) -> tuple[ExportRecord, ...]:
    ids = {"id": contact_id}
    out = _Records(call)
    out.add(routes.CONTACT, CONTACT_PREFIX, CONTACT_FIELDS, contact)
    for n, profile in enumerate(_sub_list(call, contact, "social_profiles")):
        out.add(routes.CONTACT, SOCIAL_PREFIX, SOCIAL_PROFILE_FIELDS, profile, n=str(n))
    _custom_attributes(out, contact, config.custom_attributes)

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
    if ExportSection.CONVERSATIONS in sections:
        _conversations(call, out, contact_id, messages=ExportSection.MESSAGES in sections)
    if ExportSection.TICKETS in sections:
        query = {"field": "contact_ids", "operator": "=", "value": contact_id}
        for ticket in _paging.search(call, routes.TICKET_SEARCH.path, query, "tickets"):
            ticket_id = item_id(call, routes.TICKET_SEARCH, ticket)
            out.add(routes.TICKET_SEARCH, TICKET_PREFIX, TICKET_FIELDS, ticket, id=ticket_id)
    if ExportSection.EVENTS in sections:
        _events(call, out, contact_id)
    if ExportSection.EVENT_SUMMARIES in sections:
        _event_summaries(call, out, contact_id)
    return tuple(out.records)


def _conversations(call: IntercomCall, out: _Records, contact_id: str, *, messages: bool) -> None:
    query = {"field": "contact_ids", "operator": "=", "value": contact_id}
    cut: list[str] = []
    for listed in _paging.search(call, routes.CONVERSATION_SEARCH.path, query, "conversations"):
        conversation_id = item_id(call, routes.CONVERSATION_SEARCH, listed)
        where = routes.CONVERSATION_SEARCH
        out.add(where, CONVERSATION_PREFIX, CONVERSATION_FIELDS, listed, id=conversation_id)
        rating = listed.get("conversation_rating")
        if rating is not None and _rated_by(call, rating, contact_id):
            out.add(where, RATING_PREFIX, RATING_FIELDS, rating, id=conversation_id)
        if not messages:
            continue
        full = call.request(*routes.CONVERSATION, path_params={"id": conversation_id})
        if full is None:
            raise call.malformed(*routes.CONVERSATION, "404 for a listed conversation")
        if is_incomplete(call, full):
            cut.append(conversation_id)
        _messages(call, out, conversation_id, full, contact_id)
    if cut:
        raise IncompleteConversationError(call.action, tuple(cut))


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
        files = message.message.get("attachments") or []
        if not isinstance(files, list) or not all(isinstance(f, Mapping) for f in files):
            raise call.malformed(*routes.CONVERSATION, "a malformed attachment list")
        for n, attachment in enumerate(files):
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


def _custom_attributes(
    out: _Records, contact: Mapping[str, Any], declared: Mapping[str, PiiCategory]
) -> None:
    if not declared:
        return
    attributes = contact.get("custom_attributes") or {}
    if not isinstance(attributes, Mapping):
        raise out.call.malformed(*routes.CONTACT, "custom attributes that are not an object")
    for name, category in sorted(declared.items()):
        spec = FieldSpec(name, category)
        out.one(routes.CONTACT, CUSTOM_PREFIX + name, spec, attributes.get(name))


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
