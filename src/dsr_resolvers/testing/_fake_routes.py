"""The REST routes FakeIntercom answers, and what each one does to the workspace.

Routing works on the raw, percent-encoded path: it is split on ``/`` first and each segment is
decoded afterwards, so an identifier such as ``a/b``, ``..`` or ``x?y#z`` that the client
encoded arrives as exactly one segment and is never normalised away.

Behaviour choices where Intercom's description is silent (each pinned by a test):

=============================  ================================================================
Topic                          Behaviour
=============================  ================================================================
``per_page``                   values above 150 are capped to 150 (``pages.per_page`` says so);
                               below 1 or not an integer: 400 ``parameter_invalid``
cursors                        opaque random tokens; a cursor resumes after the last item the
                               page returned, so deleting contacts while paging skips nothing;
                               an unknown cursor: 400 ``parameter_invalid``
``pages.next``                 absent on the last page of list and search results; ``null`` on
                               the last page of notes and companies (as in the examples)
search                         fields and operators of Intercom's tables that a GDPR tool needs;
                               string matching is exact (case-sensitive); an unknown field,
                               operator or a group of more than 15 filters or nested deeper than
                               2 levels: 400 ``parameter_invalid``
``PUT /contacts/{id}``         accepts only the keys of ``update_contact_request``; another key,
                               a wrong type, an undefined custom attribute: 400
                               ``parameter_invalid``; user to lead: 400 ``client_error``; an
                               ``external_id`` another user holds: 409 ``conflict``
``GET /conversations/{id}``    at most the 500 most recent parts (Intercom's hard limit), and
                               ``total_count`` counts the parts returned
redaction                      body becomes ``<p><i>This message was deleted</i></p>`` and the
                               attachments go (Intercom does not document them); a part
                               without a body, or a source an admin wrote: 400
                               ``conversation_part_not_redactable``; unknown conversation, part
                               or source: 404 ``conversation_part_or_message_not_found``;
                               redacting a redacted part or source again: 400
                               ``conversation_part_not_redactable`` (as Intercom answers)
``GET /events``                ``event.list``, newest first, only the last 90 days (paged by
                               ``per_page``, ``pages.next`` a URL, absent on the last page);
                               ``summary=true``: ``event.summary``; ``user_id`` and ``email``
                               find users only, ``intercom_user_id`` any contact
archived contacts              answer 404 ``not_found`` everywhere (get, update, delete, search,
                               sub-resources, events) except ``POST /contacts/{id}/unarchive``,
                               which answers ``contact_unarchived``; (un)archiving an active
                               (archived) contact answers the same, unchanged
``/contacts/{id}/segments``,   the contact's segments; the subscription types the contact set a
``/subscriptions``             preference for (``consent_type`` says which way), as described
``POST /contacts/{id}/``       ``opt_out`` lists an opt-out type for the contact and unlists an
``subscriptions``              opt-in one (``opt_in`` the reverse); an unknown type: 404
``GET /subscription_types``    every type of the workspace, ``state`` ``live``
``DELETE`` of a conversation  the conversation (parts, rating, calls) or ticket is gone: later
or a ticket                    reads answer 404 and searches do not list it
``GET /tickets/{id}``          the ticket as ``POST /tickets/search`` lists it; unknown: 404
``DELETE /contacts/{id}``      conversations and tickets stay readable (no API answer confirms
                               Intercom's word that they go), unless the fake was made with
                               ``deletion_removes_conversations=True``: then those whose only
                               contact it was go with it
``POST /calls/search``         the calls of 1 to 20 ``conversation_ids`` (more: 400
                               ``parameter_invalid``), with transcripts; unanswered or unended
                               calls leave ``answered_at`` / ``ended_at`` out
``GET /me``                    a fixed admin of a fixed app named ``FakeIntercom sandbox``,
                               region ``US``
=============================  ================================================================
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar
from urllib.parse import quote, urlencode

from dsr_resolvers.contract._errors import PortableError
from dsr_resolvers.testing._fake_state import (
    ANDROID_IOS_FIELDS,
    EVENT_LISTING_DAYS,
    REDACTED_BODY,
    UPDATABLE_CONTACT_FIELDS,
    ContactRecord,
    ConversationRecord,
    EventRecord,
    TicketRecord,
    Workspace,
)

__all__ = [
    "MAX_PER_PAGE",
    "ROUTES",
    "ApiError",
    "ApiRequest",
    "Context",
    "Reply",
    "Route",
    "match_route",
]

T = TypeVar("T")
JsonObject = dict[str, Any]

MAX_PER_PAGE: Final = 150
_MAX_FILTERS_PER_GROUP: Final = 15
_MAX_GROUP_DEPTH: Final = 2
_MAX_CONVERSATION_PARTS: Final = 500


class ApiError(PortableError, Exception):
    """An error answer: the status and one entry of an Intercom ``error.list``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ApiRequest:
    """A request as the handlers see it, whichever transport carried it."""

    method: str
    segments: tuple[str, ...]
    query: Mapping[str, str]
    json: Any
    body_is_json: bool
    base_url: str


@dataclass
class Reply:
    status: int
    body: Any


@dataclass
class Context:
    """What a handler may touch: the workspace, and whether to repeat the cursor it was given."""

    workspace: Workspace
    repeat_cursor: bool = False
    repeat_cursor_used: bool = False


Handler = Callable[[Context, ApiRequest, dict[str, str]], Reply]


@dataclass(frozen=True)
class Route:
    method: str
    template: tuple[str, ...]
    handler: Handler = field(compare=False)

    @property
    def name(self) -> str:
        return f"{self.method} /{'/'.join(self.template)}"

    def match(self, method: str, segments: tuple[str, ...]) -> dict[str, str] | None:
        if method != self.method or len(segments) != len(self.template):
            return None
        params: dict[str, str] = {}
        for pattern, segment in zip(self.template, segments, strict=True):
            if pattern.startswith("{"):
                if not segment:
                    return None
                params[pattern[1:-1]] = segment
            elif pattern != segment:
                return None
        return params


# -- helpers ---------------------------------------------------------------------------------


def _not_found(message: str = "Resource Not Found") -> ApiError:
    return ApiError(404, "not_found", message)


def _invalid(message: str) -> ApiError:
    return ApiError(400, "parameter_invalid", message)


def _json_object(request: ApiRequest) -> JsonObject:
    if not request.body_is_json:
        raise ApiError(400, "bad_request", "Request body is not valid JSON")
    if not isinstance(request.json, dict):
        raise ApiError(400, "bad_request", "Request body must be a JSON object")
    return request.json


def _per_page(raw: Any, *, default: int) -> int:
    if raw is None:
        return default
    if isinstance(raw, bool):
        raise _invalid("per_page must be an integer")
    if isinstance(raw, str):
        try:
            raw = int(raw)
        except ValueError:
            raise _invalid("per_page must be an integer") from None
    if not isinstance(raw, int):
        raise _invalid("per_page must be an integer")
    if raw < 1:
        raise _invalid("per_page must be at least 1")
    return min(raw, MAX_PER_PAGE)


def _page_number(raw: str | None) -> int:
    if raw is None:
        return 1
    try:
        page = int(raw)
    except ValueError:
        raise _invalid("page must be an integer") from None
    if page < 1:
        raise _invalid("page must be at least 1")
    return page


@dataclass
class _Page:
    items: list[Any]
    page: int
    per_page: int
    total: int
    next_cursor: str | None

    def pages_json(self, *, null_next_on_last_page: bool = False) -> JsonObject:
        """Intercom's ``cursor_pages``; ``next`` is absent (or null) on the last page."""
        out: JsonObject = {
            "type": "pages",
            "page": self.page,
            "per_page": self.per_page,
            "total_pages": math.ceil(self.total / self.per_page),
        }
        if self.next_cursor is not None:
            out["next"] = {"per_page": self.per_page, "starting_after": self.next_cursor}
        elif null_next_on_last_page:
            out["next"] = None
        return out


def _paginate(
    ctx: Context,
    scope: str,
    items: Sequence[T],
    key: Callable[[T], tuple[int, ...]],
    *,
    per_page: int,
    starting_after: str | None = None,
    page: int = 1,
) -> _Page:
    """Cut one page out of ``items`` (sorted ascending by ``key``).

    A cursor remembers the key of the last item it covered, not an offset, so items removed
    between two requests never make the next page skip anything.
    """
    if starting_after is not None:
        if not isinstance(starting_after, str) or starting_after not in ctx.workspace.cursors:
            raise _invalid("starting_after is not a valid cursor")
        cursor_scope, last_key = ctx.workspace.cursors[starting_after]
        if cursor_scope != scope:
            raise _invalid("starting_after is not a valid cursor")
        start = sum(1 for item in items if key(item) <= last_key)
    else:
        start = (page - 1) * per_page
    chunk = list(items[start : start + per_page])
    next_cursor: str | None = None
    if ctx.repeat_cursor:
        ctx.repeat_cursor_used = True
        next_cursor = starting_after or ctx.workspace.new_cursor(scope, ())
    elif start + per_page < len(items) and chunk:
        next_cursor = ctx.workspace.new_cursor(scope, key(chunk[-1]))
    return _Page(
        items=chunk,
        page=start // per_page + 1,
        per_page=per_page,
        total=len(items),
        next_cursor=next_cursor,
    )


def _by_seq(record: Any) -> tuple[int, ...]:
    return (int(record.seq),)


def _newest_first(record: Any) -> tuple[int, ...]:
    return (-int(record.created_at), -int(record.seq))


# -- search queries --------------------------------------------------------------------------

_CONTACT_SCALAR_SEARCH_FIELDS: Final = frozenset(
    {
        "role",
        "name",
        "owner_id",
        "email",
        "phone",
        "external_id",
        "created_at",
        "signed_up_at",
        "updated_at",
        "last_seen_at",
        "last_contacted_at",
        "last_replied_at",
        "last_email_opened_at",
        "last_email_clicked_at",
        "language_override",
        "browser",
        "browser_language",
        "os",
        "unsubscribed_from_emails",
        "marked_email_as_spam",
        "has_hard_bounced",
        *ANDROID_IOS_FIELDS,
    }
)

FieldValues = Callable[[T, str], list[Any] | None]


def _contact_values(contact: ContactRecord, name: str) -> list[Any] | None:
    if name == "id":
        return [contact.id]
    if name == "email_domain":
        return [contact.email.rpartition("@")[2] if "@" in contact.email else ""]
    if name == "avatar":
        return [contact.avatar_url]
    if name == "tag_id":
        return [applied[0] for applied in contact.tag_applications]
    if name in _CONTACT_SCALAR_SEARCH_FIELDS:
        return [contact.attrs.get(name)]
    prefix, _, rest = name.partition(".")
    if prefix == "location" and rest in ("country", "region", "city"):
        return [contact.location.get(rest)]
    if prefix == "custom_attributes" and rest:
        return [contact.custom_attributes.get(rest)]
    return None


def _is_contact_field(name: str) -> bool:
    if name in _CONTACT_SCALAR_SEARCH_FIELDS or name in ("id", "email_domain", "avatar", "tag_id"):
        return True
    prefix, _, rest = name.partition(".")
    return (prefix == "location" and rest in ("country", "region", "city")) or (
        prefix == "custom_attributes" and bool(rest)
    )


_CONVERSATION_FIELDS: Final = frozenset(
    {
        "id",
        "created_at",
        "updated_at",
        "contact_ids",
        "state",
        "open",
        "read",
        "title",
        "admin_assignee_id",
        "team_assignee_id",
        "teammate_ids",
        "source.type",
        "source.id",
        "source.delivered_as",
        "source.subject",
        "source.body",
        "source.author.id",
        "source.author.type",
        "source.author.name",
        "source.author.email",
    }
)


def _conversation_values(conversation: ConversationRecord, name: str) -> list[Any] | None:
    source = conversation.source
    values: dict[str, list[Any]] = {
        "id": [conversation.id],
        "created_at": [conversation.created_at],
        "updated_at": [conversation.updated_at],
        "contact_ids": list(conversation.contact_ids),
        "state": [conversation.state],
        "open": [conversation.state == "open"],
        "read": [True],
        "title": [conversation.title],
        "admin_assignee_id": [conversation.admin_assignee_id],
        "team_assignee_id": [None],
        "teammate_ids": [p.author.id for p in conversation.parts if p.author.type == "admin"],
        "source.type": [source.type],
        "source.id": [source.id],
        "source.delivered_as": [source.delivered_as],
        "source.subject": [source.subject],
        "source.body": [source.body],
        "source.author.id": [source.author.id],
        "source.author.type": [source.author.type],
        "source.author.name": [source.author.name],
        "source.author.email": [source.author.email],
    }
    return values.get(name)


_TICKET_CATEGORY_TERMS: Final = {"Customer": "request", "Back-office": "task", "Tracker": "tracker"}


_TICKET_FIELDS: Final = frozenset(
    {"id", "ticket_id", "contact_ids", "created_at", "updated_at", "open", "state", "title"}
    | {"category", "ticket_type_id"}
)


def _ticket_values(ticket: TicketRecord, name: str) -> list[Any] | None:
    values: dict[str, list[Any]] = {
        "id": [ticket.id],
        "ticket_id": [ticket.ticket_id],
        "contact_ids": list(ticket.contact_ids),
        "created_at": [ticket.created_at],
        "updated_at": [ticket.updated_at],
        "open": [ticket.state != "resolved"],
        "state": [ticket.state],
        "title": [ticket.title],
        "category": [_TICKET_CATEGORY_TERMS[ticket.category]],
        "ticket_type_id": [ticket.type_id],
    }
    return values.get(name)


_SCALAR_OPERATORS: Final = frozenset({"=", "!=", "~", "!~", "^", "$", ">", "<", ">=", "<="})
_LIST_OPERATORS: Final = frozenset({"IN", "NIN"})


def _check_query(node: Any, is_field: Callable[[str], bool], depth: int = 0) -> None:
    if not isinstance(node, dict):
        raise _invalid("a query must be an object")
    operator = node.get("operator")
    if operator in ("AND", "OR"):
        if depth >= _MAX_GROUP_DEPTH:
            raise _invalid("queries may nest at most 2 levels of AND/OR")
        members = node.get("value")
        if not isinstance(members, list):
            raise _invalid("an AND/OR query needs a list of filters")
        if len(members) > _MAX_FILTERS_PER_GROUP:
            raise _invalid("an AND/OR query holds at most 15 filters")
        for member in members:
            _check_query(member, is_field, depth + 1)
        return
    name = node.get("field")
    if not isinstance(name, str) or not is_field(name):
        raise _invalid("the query names a field that cannot be searched")
    if operator not in _SCALAR_OPERATORS | _LIST_OPERATORS:
        raise _invalid("the query uses an unknown operator")
    value = node.get("value")
    if operator in _LIST_OPERATORS:
        if not isinstance(value, list):
            raise _invalid("IN and NIN need a list of values")
    elif isinstance(value, list | dict):
        raise _invalid("this operator needs a single value")


def _same(stored: Any, wanted: Any) -> bool:
    if isinstance(stored, bool) or isinstance(wanted, bool):
        return stored is wanted or (isinstance(wanted, str) and str(stored).lower() == wanted)
    if isinstance(stored, int) and isinstance(wanted, str):
        return wanted.lstrip("-").isdigit() and stored == int(wanted)
    return bool(stored == wanted)


def _number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None


def _leaf_matches(values: list[Any], operator: str, wanted: Any) -> bool:
    if operator == "=":
        return any(_same(v, wanted) for v in values)
    if operator == "!=":
        return not any(_same(v, wanted) for v in values)
    if operator == "IN":
        return any(_same(v, w) for v in values for w in wanted)
    if operator == "NIN":
        return not any(_same(v, w) for v in values for w in wanted)
    if operator in ("~", "!~", "^", "$"):
        strings = [v for v in values if isinstance(v, str)]
        text = str(wanted)
        if operator == "~":
            return any(text in s for s in strings)
        if operator == "!~":
            return not any(text in s for s in strings)
        if operator == "^":
            return any(s.startswith(text) for s in strings)
        return any(s.endswith(text) for s in strings)
    bound = _number(wanted)
    numbers = [n for n in (_number(v) for v in values) if n is not None]
    if bound is None:
        return False
    compare: dict[str, Callable[[int], bool]] = {
        ">": lambda n: n > bound,
        "<": lambda n: n < bound,
        ">=": lambda n: n >= bound,
        "<=": lambda n: n <= bound,
    }
    return any(compare[operator](n) for n in numbers)


def _query_matches(node: JsonObject, record: T, values_of: FieldValues[T]) -> bool:
    operator = node["operator"]
    if operator in ("AND", "OR"):
        results = (_query_matches(member, record, values_of) for member in node["value"])
        return all(results) if operator == "AND" else any(results)
    values = values_of(record, node["field"]) or []
    return _leaf_matches(values, operator, node.get("value"))


def _search(
    ctx: Context,
    request: ApiRequest,
    *,
    scope: str,
    records: Sequence[T],
    values_of: FieldValues[T],
    is_field: Callable[[str], bool],
    default_per_page: int,
) -> _Page:
    body = _json_object(request)
    if "query" not in body:
        raise ApiError(400, "parameter_not_found", "query is required")
    query = body["query"]
    _check_query(query, is_field)
    pagination = body.get("pagination") or {}
    if not isinstance(pagination, dict):
        raise _invalid("pagination must be an object")
    per_page = _per_page(pagination.get("per_page"), default=default_per_page)
    matches = [r for r in records if _query_matches(query, r, values_of)]
    return _paginate(
        ctx,
        scope,
        matches,
        _by_seq,
        per_page=per_page,
        starting_after=pagination.get("starting_after"),
    )


# -- contacts --------------------------------------------------------------------------------


def _contact_or_404(
    ctx: Context, contact_id: str, message: str = "User Not Found"
) -> ContactRecord:
    """The contact, or Intercom's 404: "Contact Not Found" on ``/contacts/{id}`` itself, "User
    Not Found" on its sub-resources (as in the description's examples)."""
    contact = ctx.workspace.contacts.get(contact_id)
    if contact is None:
        raise _not_found(message)
    return contact


def get_contact(ctx: Context, request: ApiRequest, params: dict[str, str]) -> Reply:
    contact = _contact_or_404(ctx, params["id"], "Contact Not Found")
    return Reply(200, ctx.workspace.contact_json(contact))


def delete_contact(ctx: Context, request: ApiRequest, params: dict[str, str]) -> Reply:
    contact = _contact_or_404(ctx, params["id"], "Contact Not Found")
    ctx.workspace.delete_contact(contact.id)
    return Reply(
        200,
        {"type": "contact", "id": contact.id, "external_id": contact.external_id, "deleted": True},
    )


def _check_update_types(body: JsonObject) -> None:
    for key, value in body.items():
        allowed = UPDATABLE_CONTACT_FIELDS.get(key)
        if allowed is None:
            raise _invalid(f"{key} is not an attribute a contact update accepts")
        if value is None:
            if None not in allowed:
                raise _invalid(f"{key} cannot be null")
            continue
        kinds = tuple(kind for kind in allowed if kind is not None)
        if isinstance(value, bool) and bool not in kinds:
            raise _invalid(f"{key} has the wrong type")
        if not isinstance(value, kinds):
            raise _invalid(f"{key} has the wrong type")


def update_contact(ctx: Context, request: ApiRequest, params: dict[str, str]) -> Reply:
    contact = _contact_or_404(ctx, params["id"], "Contact Not Found")
    body = _json_object(request)
    _check_update_types(body)
    workspace = ctx.workspace
    role = body.get("role", contact.role)
    if role not in ("user", "lead"):
        raise _invalid("role must be user or lead")
    if contact.role == "user" and role == "lead":
        raise ApiError(400, "client_error", "Contact with user role can't be converted to a lead")
    customs = body.get("custom_attributes") or {}
    unknown = sorted(set(customs) - workspace.custom_attribute_names)
    if unknown:
        raise _invalid("Custom attribute does not exist: " + ", ".join(unknown))
    external_id = body.get("external_id", contact.external_id)
    if role == "user" and external_id is not None:
        holder = workspace.user_by_external_id(external_id)
        if holder is not None and holder.id != contact.id:
            raise ApiError(
                409,
                "conflict",
                f"A contact matching those details already exists with id={holder.id}",
            )
    for key, value in body.items():
        if key == "avatar":
            contact.avatar_url = value
        elif key == "custom_attributes":
            contact.custom_attributes.update(customs)
        else:
            contact.attrs[key] = value
    contact.attrs["updated_at"] = workspace.now()
    return Reply(200, workspace.contact_json(contact))


def list_contacts(ctx: Context, request: ApiRequest, params: dict[str, str]) -> Reply:
    per_page = _per_page(request.query.get("per_page"), default=50)
    page = _paginate(
        ctx,
        "contacts",
        list(ctx.workspace.contacts.values()),
        _by_seq,
        per_page=per_page,
        starting_after=request.query.get("starting_after"),
    )
    return Reply(
        200,
        {
            "type": "list",
            "data": [ctx.workspace.contact_json(c) for c in page.items],
            "total_count": page.total,
            "pages": page.pages_json(),
        },
    )


def search_contacts(ctx: Context, request: ApiRequest, params: dict[str, str]) -> Reply:
    page = _search(
        ctx,
        request,
        scope="contacts/search",
        records=list(ctx.workspace.contacts.values()),
        values_of=_contact_values,
        is_field=_is_contact_field,
        default_per_page=50,
    )
    return Reply(
        200,
        {
            "type": "list",
            "data": [ctx.workspace.contact_json(c) for c in page.items],
            "total_count": page.total,
            "pages": page.pages_json(),
        },
    )


def find_by_external_id(ctx: Context, request: ApiRequest, params: dict[str, str]) -> Reply:
    contact = ctx.workspace.user_by_external_id(params["external_id"])
    if contact is None:
        raise _not_found("User Not Found")
    return Reply(200, ctx.workspace.contact_json(contact))


def _archive_reply(contact: ContactRecord, *, archived: bool) -> Reply:
    return Reply(
        200,
        {
            "type": "contact",
            "id": contact.id,
            "external_id": contact.external_id,
            "archived": archived,
        },
    )


def archive_contact(ctx: Context, request: ApiRequest, params: dict[str, str]) -> Reply:
    workspace = ctx.workspace
    contact = workspace.archived.get(params["id"])
    if contact is None:
        contact = _contact_or_404(ctx, params["id"], "Contact Not Found")
        workspace.archive(contact.id)
    return _archive_reply(contact, archived=True)


def unarchive_contact(ctx: Context, request: ApiRequest, params: dict[str, str]) -> Reply:
    workspace = ctx.workspace
    if params["id"] in workspace.archived:
        return _archive_reply(workspace.unarchive(params["id"]), archived=False)
    return _archive_reply(_contact_or_404(ctx, params["id"], "Contact Not Found"), archived=False)


def list_segments(ctx: Context, request: ApiRequest, params: dict[str, str]) -> Reply:
    contact = _contact_or_404(ctx, params["id"])
    data = [ctx.workspace.segment_json(s, contact) for s in contact.segment_ids]
    return Reply(200, {"type": "list", "data": data})


def list_subscriptions(ctx: Context, request: ApiRequest, params: dict[str, str]) -> Reply:
    contact = _contact_or_404(ctx, params["id"])
    data = [ctx.workspace.subscription_json(t) for t in contact.subscription_ids]
    return Reply(200, {"type": "list", "data": data})


def set_contact_subscription(ctx: Context, request: ApiRequest, params: dict[str, str]) -> Reply:
    """``POST /contacts/{id}/subscriptions``: the contact opts in to or out of one type.

    An ``opt_out`` type is listed for the contact once it opted out; an ``opt_in`` type while
    it is opted in. So ``opt_out`` lists an opt-out type and unlists an opt-in one, and
    ``opt_in`` the reverse.
    """
    contact = _contact_or_404(ctx, params["id"])
    body = _json_object(request)
    type_id = _id_field(body, "id")
    consent = body.get("consent_type")
    if consent not in ("opt_in", "opt_out"):
        raise _invalid("consent_type must be opt_in or opt_out")
    if type_id not in ctx.workspace.subscription_types:
        raise _not_found("Subscription Type Not Found")
    model = ctx.workspace.subscription_types[type_id][1]
    listed = type_id in contact.subscription_ids
    if (consent == model) and not listed:
        contact.subscription_ids.append(type_id)
    elif consent != model and listed:
        contact.subscription_ids.remove(type_id)
    return Reply(200, ctx.workspace.subscription_json(type_id))


def list_subscription_types(ctx: Context, request: ApiRequest, params: dict[str, str]) -> Reply:
    workspace = ctx.workspace
    data = [workspace.subscription_json(t) for t in workspace.subscription_types]
    return Reply(200, {"type": "list", "data": data})


def list_notes(ctx: Context, request: ApiRequest, params: dict[str, str]) -> Reply:
    contact = _contact_or_404(ctx, params["id"])
    workspace = ctx.workspace
    notes = sorted((workspace.notes[n] for n in contact.note_ids), key=_newest_first)
    page = _paginate(
        ctx,
        f"notes:{contact.id}",
        notes,
        _newest_first,
        per_page=_per_page(request.query.get("per_page"), default=50),
        starting_after=request.query.get("starting_after"),
        page=_page_number(request.query.get("page")),
    )
    return Reply(
        200,
        {
            "type": "list",
            "data": [workspace.note_json(n) for n in page.items],
            "total_count": page.total,
            "pages": page.pages_json(null_next_on_last_page=True),
        },
    )


def list_tags(ctx: Context, request: ApiRequest, params: dict[str, str]) -> Reply:
    contact = _contact_or_404(ctx, params["id"])
    return Reply(
        200,
        {"type": "list", "data": [ctx.workspace.tag_json(t) for t in contact.tag_applications]},
    )


def list_companies(ctx: Context, request: ApiRequest, params: dict[str, str]) -> Reply:
    contact = _contact_or_404(ctx, params["id"])
    workspace = ctx.workspace
    per_page = _per_page(request.query.get("per_page"), default=50)
    page_no = _page_number(request.query.get("page"))
    companies = [workspace.companies[c] for c in contact.company_ids]
    chunk = companies[(page_no - 1) * per_page : page_no * per_page]
    total_pages = math.ceil(len(companies) / per_page)
    next_url = None
    if page_no < total_pages:
        query = urlencode({"page": page_no + 1, "per_page": per_page})
        next_url = f"{request.base_url}/contacts/{quote(contact.id, safe='')}/companies?{query}"
    return Reply(
        200,
        {
            # The schema names this array ``companies``; the API (and the spec's example) say
            # ``data``. We follow the API.
            "type": "list",
            "data": [workspace.company_json(c) for c in chunk],
            "pages": {
                "type": "pages",
                "next": next_url,
                "page": page_no,
                "per_page": per_page,
                "total_pages": total_pages,
            },
            "total_count": len(companies),
        },
    )


# -- conversations and tickets ---------------------------------------------------------------


def search_conversations(ctx: Context, request: ApiRequest, params: dict[str, str]) -> Reply:
    workspace = ctx.workspace
    page = _search(
        ctx,
        request,
        scope="conversations/search",
        records=list(workspace.conversations.values()),
        values_of=_conversation_values,
        is_field=_CONVERSATION_FIELDS.__contains__,
        default_per_page=20,
    )
    return Reply(
        200,
        {
            "type": "conversation.list",
            "conversations": [workspace.conversation_json(c, with_parts=False) for c in page.items],
            "total_count": page.total,
            "pages": page.pages_json(),
        },
    )


def _conversation_reply(workspace: Workspace, conversation: ConversationRecord) -> Reply:
    body = workspace.conversation_json(conversation, with_parts=True)
    parts = body["conversation_parts"]
    if len(parts["conversation_parts"]) > _MAX_CONVERSATION_PARTS:
        parts["conversation_parts"] = parts["conversation_parts"][-_MAX_CONVERSATION_PARTS:]
        parts["total_count"] = _MAX_CONVERSATION_PARTS
    return Reply(200, body)


def get_conversation(ctx: Context, request: ApiRequest, params: dict[str, str]) -> Reply:
    conversation = ctx.workspace.conversations.get(params["id"])
    if conversation is None:
        raise _not_found()
    return _conversation_reply(ctx.workspace, conversation)


def delete_conversation(ctx: Context, request: ApiRequest, params: dict[str, str]) -> Reply:
    """``DELETE /conversations/{id}``: the conversation, its parts, rating and calls go."""
    workspace = ctx.workspace
    conversation = workspace.conversations.pop(params["id"], None)
    if conversation is None:
        raise _not_found()
    for call_id in [c.id for c in workspace.calls.values() if c.conversation_id == params["id"]]:
        del workspace.calls[call_id]
    return Reply(200, {"id": conversation.id, "object": "conversation", "deleted": True})


def get_ticket(ctx: Context, request: ApiRequest, params: dict[str, str]) -> Reply:
    ticket = ctx.workspace.tickets.get(params["id"])
    if ticket is None:
        raise _not_found()
    return Reply(200, ctx.workspace.ticket_json(ticket))


def delete_ticket(ctx: Context, request: ApiRequest, params: dict[str, str]) -> Reply:
    """``DELETE /tickets/{id}``: the ticket and its parts go."""
    ticket = ctx.workspace.tickets.pop(params["id"], None)
    if ticket is None:
        raise _not_found()
    return Reply(200, {"id": ticket.id, "object": "ticket", "deleted": True})


_MAX_CALL_CONVERSATIONS: Final = 20


def search_calls(ctx: Context, request: ApiRequest, params: dict[str, str]) -> Reply:
    """``POST /calls/search``: the calls of 1 to 20 conversations, with their transcripts."""
    body = _json_object(request)
    ids = body.get("conversation_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise _invalid("conversation_ids must be a list of 1 to 20 conversation ids")
    if len(ids) > _MAX_CALL_CONVERSATIONS:
        raise _invalid("conversation_ids holds at most 20 ids")
    wanted = set(ids)
    calls = sorted(
        (c for c in ctx.workspace.calls.values() if c.conversation_id in wanted), key=_by_seq
    )
    return Reply(200, {"type": "list", "data": [ctx.workspace.call_json(c) for c in calls]})


def _id_field(body: JsonObject, name: str) -> str:
    value = body.get(name)
    if value is None:
        raise ApiError(400, "parameter_not_found", f"{name} is required")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _invalid(f"{name} must be a string")
    return str(value)


def redact(ctx: Context, request: ApiRequest, params: dict[str, str]) -> Reply:
    body = _json_object(request)
    kind = body.get("type")
    if kind not in ("conversation_part", "source"):
        raise _invalid("type must be conversation_part or source")
    conversation_id = _id_field(body, "conversation_id")
    target_id = _id_field(
        body, "conversation_part_id" if kind == "conversation_part" else "source_id"
    )
    workspace = ctx.workspace
    missing = ApiError(
        404, "conversation_part_or_message_not_found", "Conversation part or message not found"
    )
    conversation = workspace.conversations.get(conversation_id)
    if conversation is None:
        raise missing
    not_redactable = ApiError(
        400, "conversation_part_not_redactable", "Conversation part is not redactable"
    )
    now = workspace.now()
    if kind == "conversation_part":
        part = next((p for p in conversation.parts if p.id == target_id), None)
        if part is None:
            raise missing
        if not part.body or part.redacted:
            raise not_redactable
        part.body = REDACTED_BODY
        part.redacted = True
        part.attachments.clear()
        part.updated_at = now
    else:
        source = conversation.source
        if source.id != target_id:
            raise missing
        if source.author.type not in ("user", "lead") or source.redacted:
            raise not_redactable
        source.body = REDACTED_BODY
        source.redacted = True
        source.attachments.clear()
    conversation.updated_at = max(conversation.updated_at, now)
    return _conversation_reply(workspace, conversation)


def search_tickets(ctx: Context, request: ApiRequest, params: dict[str, str]) -> Reply:
    workspace = ctx.workspace
    page = _search(
        ctx,
        request,
        scope="tickets/search",
        records=list(workspace.tickets.values()),
        values_of=_ticket_values,
        is_field=_TICKET_FIELDS.__contains__,
        default_per_page=20,
    )
    return Reply(
        200,
        {
            "type": "ticket.list",
            "tickets": [workspace.ticket_json(t) for t in page.items],
            "total_count": page.total,
            "pages": page.pages_json(),
        },
    )


# -- data events -----------------------------------------------------------------------------

_EVENT_IDENTIFIERS: Final = ("intercom_user_id", "user_id", "email")


def list_events(ctx: Context, request: ApiRequest, params: dict[str, str]) -> Reply:
    query = request.query
    if "type" not in query:
        raise ApiError(400, "parameter_not_found", "type is required")
    if query["type"] != "user":
        raise _invalid("type must be user")
    identifier = next((name for name in _EVENT_IDENTIFIERS if name in query), None)
    if identifier is None:
        raise ApiError(400, "parameter_not_found", "intercom_user_id, user_id or email is required")
    workspace = ctx.workspace
    value = query[identifier]
    contact: ContactRecord | None
    if identifier == "intercom_user_id":
        contact = workspace.contacts.get(value)
    elif identifier == "user_id":
        contact = workspace.user_by_external_id(value)
    else:
        contact = next(
            (c for c in workspace.contacts.values() if c.role == "user" and c.email == value), None
        )
    if contact is None:
        raise _not_found("User Not Found")
    events: list[EventRecord] = sorted(
        (e for e in workspace.events.values() if e.contact_id == contact.id), key=_newest_first
    )
    if query.get("summary", "").lower() == "true":
        return Reply(200, workspace.event_summary_json(contact, events))
    oldest_listed = workspace.now() - EVENT_LISTING_DAYS * 86_400
    events = [e for e in events if e.created_at >= oldest_listed]
    per_page = _per_page(query.get("per_page"), default=50)
    page = _paginate(
        ctx,
        f"events:{contact.id}",
        events,
        _newest_first,
        per_page=per_page,
        starting_after=query.get("starting_after"),
    )
    pages: JsonObject = {}
    if page.next_cursor is not None:
        link = urlencode(
            {
                "type": "user",
                identifier: value,
                "per_page": per_page,
                "starting_after": page.next_cursor,
            }
        )
        pages["next"] = f"{request.base_url}/events?{link}"
    return Reply(
        200,
        {
            "type": "event.list",
            "events": [workspace.event_json(e) for e in page.items],
            "pages": pages,
        },
    )


def identify_admin(ctx: Context, request: ApiRequest, params: dict[str, str]) -> Reply:
    """``GET /me``: who the token belongs to; a fixed admin of a fixed sandbox app."""
    return Reply(
        200,
        {
            "type": "admin",
            "id": "1",
            "name": "Sandbox Admin",
            "email": "admin@sandbox.invalid",
            "email_verified": True,
            "app": {
                "type": "app",
                "id_code": "fakeintercom",
                "name": "FakeIntercom sandbox",
                "created_at": 0,
                "identity_verification": False,
                "timezone": "UTC",
                "region": "US",
            },
        },
    )


ROUTES: Final[tuple[Route, ...]] = (
    Route("GET", ("me",), identify_admin),
    Route("GET", ("contacts", "find_by_external_id", "{external_id}"), find_by_external_id),
    Route("GET", ("contacts", "{id}", "notes"), list_notes),
    Route("GET", ("contacts", "{id}", "tags"), list_tags),
    Route("GET", ("contacts", "{id}", "companies"), list_companies),
    Route("GET", ("contacts", "{id}", "segments"), list_segments),
    Route("GET", ("contacts", "{id}", "subscriptions"), list_subscriptions),
    Route("POST", ("contacts", "{id}", "subscriptions"), set_contact_subscription),
    Route("GET", ("subscription_types",), list_subscription_types),
    Route("POST", ("contacts", "{id}", "archive"), archive_contact),
    Route("POST", ("contacts", "{id}", "unarchive"), unarchive_contact),
    Route("POST", ("contacts", "search"), search_contacts),
    Route("GET", ("contacts",), list_contacts),
    Route("GET", ("contacts", "{id}"), get_contact),
    Route("PUT", ("contacts", "{id}"), update_contact),
    Route("DELETE", ("contacts", "{id}"), delete_contact),
    Route("POST", ("conversations", "search"), search_conversations),
    Route("POST", ("conversations", "redact"), redact),
    Route("GET", ("conversations", "{id}"), get_conversation),
    Route("DELETE", ("conversations", "{id}"), delete_conversation),
    Route("POST", ("tickets", "search"), search_tickets),
    Route("GET", ("tickets", "{id}"), get_ticket),
    Route("DELETE", ("tickets", "{id}"), delete_ticket),
    Route("POST", ("calls", "search"), search_calls),
    Route("GET", ("events",), list_events),
)


def match_route(method: str, segments: tuple[str, ...]) -> tuple[Route, dict[str, str]] | None:
    """The route for a request; a literal segment wins over a ``{parameter}`` (table order)."""
    for route in ROUTES:
        params = route.match(method, segments)
        if params is not None:
            return route, params
    return None
