"""What an operator reads when Intercom misbehaves: the exact message and the scrubbed request.

Every retryable "malformed" error names the action, what was wrong and, in its request, the
verb and the route template the answer came from, never a concrete id. One row per way an
answer can be wrong, for every operation that can meet it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from dsr_resolvers import ResolverError, SubjectRef
from dsr_resolvers.intercom import (
    CursorLoopError,
    IntercomRejectedError,
    IntercomResolver,
    IntercomServerError,
    MalformedResponseError,
    RateLimitedError,
)
from tests.paged_world import intercom_404

TOKEN = "tok_malformed"
CID = "cid-7"
REF = SubjectRef(kind="intercom", value=CID)
BASE = "https://api.intercom.io"
Answer = dict[str, Any] | httpx.Response

CONTACT = {"type": "contact", "id": CID, "email": "a@example.com"}
PART = {"id": "p1", "body": "<p>hi</p>", "author": {"type": "user", "id": CID}}
CONVERSATION = {"id": "9", "source": None, "conversation_parts": {"conversation_parts": [PART]}}


def routed(answers: dict[tuple[str, str], Answer]) -> httpx.MockTransport:
    """Answer by (method, path); anything else is an empty, well-formed answer."""
    defaults: dict[tuple[str, str], Answer] = {
        ("GET", f"/contacts/{CID}"): CONTACT,
        ("POST", "/conversations/search"): {"conversations": [{"id": "9"}]},
        ("GET", "/conversations/9"): CONVERSATION,
        ("POST", "/conversations/redact"): {"id": "9"},
        ("DELETE", f"/contacts/{CID}"): {"id": CID, "deleted": True},
        ("POST", "/contacts/search"): {"data": [{"id": CID, "role": "user"}]},
        ("GET", f"/contacts/{CID}/tags"): {"data": []},
        ("GET", f"/contacts/{CID}/companies"): {"data": []},
        ("GET", f"/contacts/{CID}/notes"): {"data": []},
        ("GET", f"/contacts/{CID}/segments"): {"data": []},
        ("GET", f"/contacts/{CID}/subscriptions"): {"data": []},
        ("POST", "/tickets/search"): {"tickets": []},
        ("POST", "/calls/search"): {"data": []},
        ("GET", "/events"): {"events": []},
        ("GET", "/subscription_types"): {"data": []},
    }

    def handle(request: httpx.Request) -> httpx.Response:
        key = (request.method, request.url.path)
        answer = answers.get(key, defaults.get(key, {}))
        return answer if isinstance(answer, httpx.Response) else httpx.Response(200, json=answer)

    return httpx.MockTransport(handle)


Operation = Callable[[IntercomResolver], Awaitable[object]]
OPERATIONS: dict[str, tuple[dict[str, Any], Operation]] = {
    "export": ({"sections": ["conversations"]}, lambda r: r.export_subject(REF)),
    "export-messages": (
        {"sections": ["conversations"], "export_messages": True},
        lambda r: r.export_subject(REF),
    ),
    "export-events": ({"sections": ["events"]}, lambda r: r.export_subject(REF)),
    "export-all": ({"export_messages": True}, lambda r: r.export_subject(REF)),
    "export-custom": (
        {"sections": [], "custom_attributes": {"plan": "behavioral"}},
        lambda r: r.export_subject(REF),
    ),
    "erase": ({}, lambda r: r.erase_subject(REF)),
    "erase-redact": ({"erasure_policy": "redact_messages"}, lambda r: r.erase_subject(REF)),
    "lookup-email": ({}, lambda r: r.find_contacts(email="a@example.com")),
    "lookup-external": ({}, lambda r: r.find_contacts(external_id="e/1")),
    "verify-redact": ({"erasure_policy": "redact_messages"}, lambda r: r.verify_erasure(REF)),
    "plan-redact": ({"erasure_policy": "redact_messages"}, lambda r: r.plan_erasure(REF)),
    "rectify": ({}, lambda r: r.rectify_subject(REF, {"name": "N"})),
}


def run(operation: str, answers: dict[tuple[str, str], Answer]) -> object:
    options, call = OPERATIONS[operation]
    resolver = IntercomResolver(TOKEN, transport=routed(answers), **options)
    return asyncio.run(call(resolver))  # type: ignore[arg-type]


SEARCH = ("POST", "/conversations/search")
CASES: list[tuple[str, dict[tuple[str, str], Answer], str, str, str, type[Exception]]] = [
    ("export", {("GET", f"/contacts/{CID}"): httpx.Response(200, content=b"<html>")},
     "export", "a body that is not a JSON object", "GET /contacts/{id}", MalformedResponseError),
    ("export", {("GET", f"/contacts/{CID}"): {"id": CID, "email": {"x": 1}}},
     "export", "a value of an unexpected type", "GET /contacts/{id}", MalformedResponseError),
    ("export", {("GET", f"/contacts/{CID}"): {"id": CID, "social_profiles": {"data": "x"}}},
     "export", "a malformed social_profiles list", "GET /contacts/{id}", MalformedResponseError),
    ("export-custom", {("GET", f"/contacts/{CID}"): {"id": CID, "custom_attributes": ["plan"]}},
     "export", "custom attributes that are not an object", "GET /contacts/{id}",
     MalformedResponseError),
    ("export", {SEARCH: {"conversations": [{"state": "open"}]}},
     "export", "an item without an id", "POST /conversations/search", MalformedResponseError),
    ("export", {SEARCH: {"conversations": [{"id": "9", "updated_at": "noon"}]}},
     "export", "a value of an unexpected type", "POST /conversations/search",
     MalformedResponseError),
    ("export", {SEARCH: {"total": 0}},
     "export", "a page without a conversations list", "POST /conversations/search",
     MalformedResponseError),
    ("export", {SEARCH: intercom_404()},
     "export", "404 for a search", "POST /conversations/search", MalformedResponseError),
    ("export", {SEARCH: {"conversations": [], "pages": []}},
     "export", "malformed paging", "POST /conversations/search", MalformedResponseError),
    ("export", {SEARCH: {"conversations": [], "pages": {"next": {"per_page": 1}}}},
     "export", "a next page without a cursor", "POST /conversations/search",
     MalformedResponseError),
    ("export-messages", {("GET", "/conversations/9"): intercom_404()},
     "export", "404 for a listed conversation", "GET /conversations/{id}", MalformedResponseError),
    ("export-messages", {("GET", "/conversations/9"): {"id": "9", "source": "hi"}},
     "export", "a malformed conversation source", "GET /conversations/{id}",
     MalformedResponseError),
    ("export-messages", {("GET", "/conversations/9"): {"id": "9", "conversation_parts": []}},
     "export", "a malformed part list", "GET /conversations/{id}", MalformedResponseError),
    ("export-messages",
     {("GET", "/conversations/9"): {"id": "9", "conversation_parts": {"conversation_parts": [
         {"body": "x", "author": {"type": "lead", "id": CID}}]}}},
     "export", "an item without an id", "GET /conversations/{id}", MalformedResponseError),
    ("export-messages",
     {("GET", "/conversations/9"): {"id": "9", "conversation_parts": {"conversation_parts": [
         {"id": "p", "body": "x", "created_at": "now", "author": {"type": "lead", "id": CID}}]}}},
     "export", "a value of an unexpected type", "GET /conversations/{id}", MalformedResponseError),
    ("export-events", {("GET", "/events"): intercom_404()},
     "export", "404 for the event list", "GET /events", MalformedResponseError),
    ("export-events", {("GET", "/events"): {"events": [{"metadata": 3}]}},
     "export", "event metadata that is not an object", "GET /events", MalformedResponseError),
    ("erase", {("DELETE", f"/contacts/{CID}"): {"id": CID}},
     "erase", "no deletion confirmation", "DELETE /contacts/{id}", MalformedResponseError),
    ("erase", {("DELETE", f"/contacts/{CID}"): {"id": CID, "deleted": "yes"}},
     "erase", "no deletion confirmation", "DELETE /contacts/{id}", MalformedResponseError),
    ("erase-redact", {SEARCH: {"conversations": [{"id": None}]}},
     "erase", "an item without an id", "POST /conversations/search", MalformedResponseError),
    ("erase-redact",
     {SEARCH: {"conversations": [{"id": "9"}], "pages": {"next": {"starting_after": "c"}}}},
     "erase", "a pagination cursor it had already sent", "POST /conversations/search",
     CursorLoopError),
    ("lookup-email", {("POST", "/contacts/search"): {"data": [{"role": "user"}]}},
     "lookup", "a contact without an id", "POST /contacts/search", MalformedResponseError),
    ("lookup-external", {("POST", "/contacts/search"): {"data": [{"id": 7}]}},
     "lookup", "a contact without an id", "POST /contacts/search", MalformedResponseError),
    ("lookup-external", {("POST", "/contacts/search"): {"type": "list", "data": {}}},
     "lookup", "a page without a data list", "POST /contacts/search", MalformedResponseError),
    ("verify-redact", {SEARCH: {"conversations": {}}},
     "verify", "a page without a conversations list", "POST /conversations/search",
     MalformedResponseError),
    ("plan-redact", {("GET", "/conversations/9"): {"id": "9", "source": []}},
     "verify", "a malformed conversation source", "GET /conversations/{id}",
     MalformedResponseError),
    ("rectify", {("PUT", f"/contacts/{CID}"): httpx.Response(200, content=b"[1]")},
     "rectify", "a body that is not a JSON object", "PUT /contacts/{id}", MalformedResponseError),
    ("export", {("GET", f"/contacts/{CID}"): {"id": CID, "social_profiles": "x"}},
     "export", "a malformed social_profiles list", "GET /contacts/{id}", MalformedResponseError),
    ("export", {("GET", f"/contacts/{CID}"): {"id": CID, "social_profiles": {"data": [1]}}},
     "export", "a malformed social_profiles list", "GET /contacts/{id}", MalformedResponseError),
    ("export",
     {("GET", f"/contacts/{CID}"): {"id": CID, "social_profiles": {"data": [{"url": ["x"]}]}}},
     "export", "a value of an unexpected type", "GET /contacts/{id}", MalformedResponseError),
    ("export-custom",
     {("GET", f"/contacts/{CID}"): {"id": CID, "custom_attributes": {"plan": ["a"]}}},
     "export", "a value of an unexpected type", "GET /contacts/{id}", MalformedResponseError),
    ("export-all", {("GET", f"/contacts/{CID}/tags"): intercom_404()},
     "export", "404 for a contact that exists", "GET /contacts/{id}/tags",
     MalformedResponseError),
    ("export-all", {("GET", f"/contacts/{CID}/tags"): {"data": [{"name": "VIP"}]}},
     "export", "an item without an id", "GET /contacts/{id}/tags", MalformedResponseError),
    ("export-all", {("GET", f"/contacts/{CID}/tags"): {"data": [{"id": "t", "name": ["VIP"]}]}},
     "export", "a value of an unexpected type", "GET /contacts/{id}/tags", MalformedResponseError),
    ("export-all", {("GET", f"/contacts/{CID}/companies"): {"data": [{"name": "Acme"}]}},
     "export", "an item without an id", "GET /contacts/{id}/companies", MalformedResponseError),
    ("export-all",
     {("GET", f"/contacts/{CID}/companies"): {"data": [{"id": "c", "name": {"n": 1}}]}},
     "export", "a value of an unexpected type", "GET /contacts/{id}/companies",
     MalformedResponseError),
    ("export-all", {("GET", f"/contacts/{CID}/notes"): {"data": [{"id": "n", "body": ["x"]}]}},
     "export", "a value of an unexpected type", "GET /contacts/{id}/notes", MalformedResponseError),
    ("export-all", {("POST", "/tickets/search"): {"tickets": [{"open": True}]}},
     "export", "an item without an id", "POST /tickets/search", MalformedResponseError),
    ("export-all", {("POST", "/tickets/search"): {"tickets": [{"id": "t", "open": [True]}]}},
     "export", "a value of an unexpected type", "POST /tickets/search", MalformedResponseError),
    ("export-all", {("POST", "/calls/search"): {"type": "list"}},
     "export", "a call search without its list", "POST /calls/search", MalformedResponseError),
    ("export-all", {("POST", "/calls/search"): {"data": [{"id": "c", "phone": ["+1"]}]}},
     "export", "a value of an unexpected type", "POST /calls/search", MalformedResponseError),
    ("export-all", {("POST", "/calls/search"): {"data": [{"id": "c", "ended_at": "soon"}]}},
     "export", "a value of an unexpected type", "POST /calls/search", MalformedResponseError),
    ("export-all", {("POST", "/tickets/search"): {"tickets": [{"id": "t", "ticket_parts": 1}]}},
     "export", "a malformed part list", "POST /tickets/search", MalformedResponseError),
    ("export-all", {("GET", "/events"): {"events": [{"event_name": ["e"]}]}},
     "export", "a value of an unexpected type", "GET /events", MalformedResponseError),
    ("export-messages",
     {("GET", "/conversations/9"): {"id": "9", "source": {
         "body": "x", "author": {"type": "user", "id": CID}}}},
     "export", "an item without an id", "GET /conversations/{id}", MalformedResponseError),
    ("export-messages",
     {("GET", "/conversations/9"): {"id": "9", "source": {
         "id": "s", "subject": ["x"], "body": "x", "author": {"type": "user", "id": CID}}}},
     "export", "a value of an unexpected type", "GET /conversations/{id}", MalformedResponseError),
    ("erase-redact", {("GET", "/conversations/9"): {"id": "9", "conversation_parts": {}}},
     "erase", "a malformed part list", "GET /conversations/{id}", MalformedResponseError),
    ("export-all", {("GET", f"/contacts/{CID}/segments"): {"data": [{"name": "VIP"}]}},
     "export", "an item without an id", "GET /contacts/{id}/segments", MalformedResponseError),
    ("export-all", {("GET", f"/contacts/{CID}/subscriptions"): {"type": "list"}},
     "export", "a page without a data list", "GET /contacts/{id}/subscriptions",
     MalformedResponseError),
    ("export-all", {("GET", "/events"): {"type": "event.summary", "events": {"name": "x"}}},
     "export", "a page without a events list", "GET /events", MalformedResponseError),
    ("export", {SEARCH: {"conversations": [{"id": "9", "conversation_rating": 5}]}},
     "export", "a conversation rating not an object", "POST /conversations/search",
     MalformedResponseError),
    ("export-messages", {("GET", "/conversations/9"): {"id": "9", "conversation_parts": {
         "conversation_parts": [{**PART, "attachments": {"name": "a"}}]}}},
     "export", "a malformed attachment list", "GET /conversations/{id}", MalformedResponseError),
    ("lookup-external", {("POST", "/contacts/search"): {"type": "list"}},
     "lookup", "a page without a data list", "POST /contacts/search", MalformedResponseError),
    ("lookup-external",
     {("POST", "/contacts/search"): {"data": [{"id": "a"}, {"role": "lead"}]}},
     "lookup", "a contact without an id", "POST /contacts/search", MalformedResponseError),
]  # fmt: skip


@pytest.mark.parametrize(
    ("operation", "answers", "action", "what", "route", "kind"),
    CASES,
    ids=[f"{c[0]}:{c[3]}" for c in CASES],
)
def test_a_malformed_answer_names_the_action_the_fault_and_the_route(
    operation: str,
    answers: dict[tuple[str, str], Answer],
    action: str,
    what: str,
    route: str,
    kind: type[Exception],
) -> None:
    with pytest.raises(kind) as info:
        run(operation, answers)
    error = info.value
    assert type(error) is kind
    assert str(error) == f"intercom answered the {action} request with {what}; retry later"
    assert not isinstance(error, ResolverError)
    assert isinstance(error, MalformedResponseError)
    method, path = route.split(" ", 1)
    assert error.request.method == method
    assert str(error.request.url) == BASE + path.replace("{", "%7B").replace("}", "%7D")
    assert "Authorization" not in error.request.headers


@pytest.mark.parametrize(
    ("operation", "action"),
    [
        ("export", "export"),
        ("erase", "erase"),
        ("rectify", "rectify"),
        ("lookup-email", "lookup"),
        ("lookup-external", "lookup"),
        ("verify-redact", "verify"),
        ("plan-redact", "verify"),
    ],
)
@pytest.mark.parametrize("status", [403, 429, 503])
def test_every_operation_names_its_action_in_status_errors(
    operation: str, action: str, status: int
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers={"Retry-After": "2"})

    options, call = OPERATIONS[operation]
    resolver = IntercomResolver(TOKEN, transport=httpx.MockTransport(answer), **options)
    with pytest.raises(Exception) as info:  # noqa: PT011 - the type is asserted per status below
        asyncio.run(call(resolver))  # type: ignore[arg-type]
    error = info.value
    if status == 403:
        assert isinstance(error, IntercomRejectedError)
        assert str(error) == f"intercom rejected the {action} request (status=403)"
        assert (error.status_code, error.action) == (403, action)
        assert "scope" in error.hint
    elif status == 429:
        assert isinstance(error, RateLimitedError)
        assert str(error) == f"intercom rate-limited the {action} request (status=429); retry later"
        assert error.retry_after == 2.0
        assert error.response.headers["Retry-After"] == "2"
    else:
        assert type(error) is IntercomServerError
        assert isinstance(error, httpx.HTTPStatusError)
        assert str(error) == f"intercom failed the {action} request (status=503); retry later"
        assert error.response.status_code == 503
        assert error.request.method in {"GET", "POST", "PUT", "DELETE"}


def test_hints_name_what_to_do_for_each_known_status() -> None:
    hints = {
        status: IntercomRejectedError(status, "erase").hint
        for status in (400, 401, 403, 409, 422, 418)
    }
    assert "bug" in hints[400]
    assert "token" in hints[401]
    assert "scope" in hints[403]
    assert "conflict" in hints[409]
    assert "values" in hints[422]
    assert "API reference" in hints[418]
    assert len(set(hints.values())) == 6
