"""Every answer FakeIntercom gives, success and error alike, is one Intercom's OpenAPI allows.

The requests the scenarios send are checked too when they are meant to be valid, and the
oracle itself is checked to reject what it should, so a passing run means something.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsr_resolvers.sandbox import DemoWorkspace, seed_demo, seed_random
from dsr_resolvers.testing import FakeIntercom
from tests.openapi_spec import (
    SpecViolationError,
    load_spec,
    validate_exchange,
    validate_request,
    validate_response,
    validate_schema,
)

BASE = "https://api.intercom.io"
AUTH = {"Authorization": "Bearer test-token", "Intercom-Version": "2.14"}


@dataclass
class World:
    fake: FakeIntercom
    demo: DemoWorkspace
    http: httpx.Client

    def parts(self, conversation_id: str) -> list[dict[str, Any]]:
        listed = self.fake.conversation(conversation_id)["conversation_parts"]
        parts: list[dict[str, Any]] = listed["conversation_parts"]
        return parts

    def source_id(self, conversation_id: str) -> str:
        return str(self.fake.conversation(conversation_id)["source"]["id"])


@pytest.fixture
def world() -> Iterator[World]:
    fake = FakeIntercom()
    demo = seed_demo(fake)
    for n in range(3):
        fake.add_note(demo.user_id, body=f"<p>extra {n}</p>")
        fake.add_company_to_contact(demo.user_id, name=f"Extra {n}")
    with httpx.Client(transport=fake, base_url=BASE, headers=AUTH) as http:
        yield World(fake, demo, http)


def _query(field: str, value: Any, **pagination: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"query": {"field": field, "operator": "=", "value": value}}
    if pagination:
        body["pagination"] = pagination
    return body


def _second_page(w: World, path: str, body: dict[str, Any]) -> httpx.Response:
    first = w.http.post(path, json=body).json()
    cursor = first["pages"]["next"]["starting_after"]
    return w.http.post(path, json={**body, "pagination": {"per_page": 1, "starting_after": cursor}})


def _by_any_identifier(w: World) -> dict[str, Any]:
    """(email) OR (phone OR external id): two levels, as Intercom allows.

    The description's ``value`` is a list of filters or a list of groups, never both.
    """
    return {
        "query": {
            "operator": "OR",
            "value": [
                {
                    "operator": "OR",
                    "value": [{"field": "email", "operator": "=", "value": "nobody@example.com"}],
                },
                {
                    "operator": "OR",
                    "value": [
                        {"field": "phone", "operator": "=", "value": "+15550100999"},
                        {"field": "external_id", "operator": "=", "value": "lead-ext-9"},
                    ],
                },
            ],
        }
    }


def test_search_finds_users_and_leads_by_phone_and_external_id(world: World) -> None:
    by_phone = world.fake.add_contact(phone="+15550100999", role="lead")
    by_external_id = world.fake.add_contact(external_id="lead-ext-9", role="lead")
    user = world.fake.add_contact(phone="+15550100999", external_id="lead-ext-9", role="user")
    answer = world.http.post("/contacts/search", json=_by_any_identifier(world))
    validate_exchange(answer)
    found = [(c["id"], c["role"]) for c in answer.json()["data"]]
    assert found == [(by_phone, "lead"), (by_external_id, "lead"), (user, "user")]


def _rate_limited(w: World) -> httpx.Response:
    w.fake.rate_limit = 1
    w.http.get("/contacts")
    return w.http.get(f"/contacts/{w.demo.user_id}")


def _unauthorized(w: World) -> httpx.Response:
    return w.http.get(f"/contacts/{w.demo.user_id}", headers={"Authorization": "Bearer bad"})


def _failing(status: int) -> Callable[[World], httpx.Response]:
    def run(w: World) -> httpx.Response:
        w.fake.fail_next(status)
        return w.http.delete(f"/contacts/{w.demo.user_id}")

    return run


def _repeated_cursor(w: World) -> httpx.Response:
    w.fake.repeat_cursor_next()
    return w.http.post("/conversations/search", json=_query("contact_ids", w.demo.user_id))


def _redact_part(w: World) -> httpx.Response:
    conversation = w.demo.user_conversation_ids[0]
    part = next(p for p in w.parts(conversation) if p["body"] and p["author"]["type"] == "user")
    return w.http.post(
        "/conversations/redact",
        json={
            "type": "conversation_part",
            "conversation_id": conversation,
            "conversation_part_id": part["id"],
        },
    )


def _redact_source(w: World) -> httpx.Response:
    conversation = w.demo.user_conversation_ids[0]
    return w.http.post(
        "/conversations/redact",
        json={
            "type": "source",
            "conversation_id": conversation,
            "source_id": w.source_id(conversation),
        },
    )


def _redact_admin_source(w: World) -> httpx.Response:
    conversation = w.demo.admin_started_conversation_id
    return w.http.post(
        "/conversations/redact",
        json={
            "type": "source",
            "conversation_id": conversation,
            "source_id": w.source_id(conversation),
        },
    )


def _redact_missing(w: World) -> httpx.Response:
    return w.http.post(
        "/conversations/redact",
        json={"type": "conversation_part", "conversation_id": "9999", "conversation_part_id": "1"},
    )


def _get_after_erasure(w: World) -> httpx.Response:
    w.http.delete(f"/contacts/{w.demo.user_id}")
    return w.http.get(f"/conversations/{w.demo.user_conversation_ids[0]}")


def _archived_lead(w: World) -> str:
    if w.fake.contact(w.demo.lead_id) is not None:
        w.fake.archive_contact(w.demo.lead_id)
    return w.demo.lead_id


def _get_archived(w: World) -> httpx.Response:
    _archived_lead(w)
    return w.http.get(f"/contacts/{w.demo.lead_id}")


def _unarchive(w: World) -> httpx.Response:
    _archived_lead(w)
    return w.http.post(f"/contacts/{w.demo.lead_id}/unarchive")


def _redact_part_twice(w: World) -> httpx.Response:
    _redact_part(w)
    return _redact_part(w)


def _search_calls(w: World) -> httpx.Response:
    ids = [*w.demo.user_conversation_ids, *w.demo.lead_conversation_ids]
    return w.http.post("/calls/search", json={"conversation_ids": ids})


def _opt_out(w: World) -> httpx.Response:
    listed = w.http.get("/subscription_types").json()["data"]
    body = {"id": listed[0]["id"], "consent_type": "opt_out"}
    return w.http.post(f"/contacts/{w.demo.user_id}/subscriptions", json=body)


Scenario = Callable[[World], httpx.Response]

# (name, the request is one the description allows, scenario)
SCENARIOS: list[tuple[str, bool, Scenario]] = [
    ("get user", True, lambda w: w.http.get(f"/contacts/{w.demo.user_id}")),
    ("get lead", True, lambda w: w.http.get(f"/contacts/{w.demo.lead_id}")),
    ("get lead without email", True, lambda w: w.http.get(f"/contacts/{w.demo.anonymous_lead_id}")),
    ("get unknown contact 404", True, lambda w: w.http.get("/contacts/000000000000000000000000")),
    ("get contact 401", True, _unauthorized),
    ("get contact 429", True, _rate_limited),
    ("delete 503", True, _failing(503)),
    ("delete 500", True, _failing(500)),
    ("delete 403", True, _failing(403)),
    (
        "bad version 400",
        False,
        lambda w: w.http.get("/contacts", headers={"Intercom-Version": "9"}),
    ),
    (
        "put contact",
        True,
        lambda w: w.http.put(
            f"/contacts/{w.demo.user_id}",
            json={"name": "S. R.", "email": "sr@example.com", "avatar": None, "phone": None},
        ),
    ),
    (
        "put unknown field 400",
        True,
        lambda w: w.http.put(f"/contacts/{w.demo.user_id}", json={"shoe": 1}),
    ),
    (
        "put user to lead 400",
        True,
        lambda w: w.http.put(f"/contacts/{w.demo.user_id}", json={"role": "lead"}),
    ),
    (
        "put external id conflict 409",
        True,
        lambda w: w.http.put(f"/contacts/{w.demo.bystander_id}", json={"external_id": "cust-1001"}),
    ),
    ("put unknown contact 404", True, lambda w: w.http.put("/contacts/nobody", json={"name": "x"})),
    ("delete contact", True, lambda w: w.http.delete(f"/contacts/{w.demo.user_id}")),
    ("delete lead", True, lambda w: w.http.delete(f"/contacts/{w.demo.lead_id}")),
    ("delete unknown 404", True, lambda w: w.http.delete("/contacts/nobody")),
    ("list contacts first page", True, lambda w: w.http.get("/contacts", params={"per_page": 2})),
    ("list contacts all", True, lambda w: w.http.get("/contacts")),
    (
        "list contacts bad per_page 400",
        True,
        lambda w: w.http.get("/contacts", params={"per_page": 0}),
    ),
    (
        "search contacts by email",
        True,
        lambda w: w.http.post("/contacts/search", json=_query("email", w.demo.shared_email)),
    ),
    (
        "search contacts page 2",
        True,
        lambda w: _second_page(w, "/contacts/search", _query("role", "user", per_page=1)),
    ),
    (
        "search contacts AND",
        True,
        lambda w: w.http.post(
            "/contacts/search",
            json={
                "query": {
                    "operator": "AND",
                    "value": [
                        {"field": "email", "operator": "=", "value": w.demo.shared_email},
                        {"field": "role", "operator": "=", "value": "lead"},
                    ],
                }
            },
        ),
    ),
    (
        "search contacts by phone and external id, nested OR",
        True,
        lambda w: w.http.post("/contacts/search", json=_by_any_identifier(w)),
    ),
    (
        "search contacts nested three levels 400",
        True,
        lambda w: w.http.post(
            "/contacts/search",
            json={"query": {"operator": "OR", "value": [_by_any_identifier(w)["query"]]}},
        ),
    ),
    ("search contacts no query 400", False, lambda w: w.http.post("/contacts/search", json={})),
    (
        "search contacts unknown field 400",
        True,
        lambda w: w.http.post("/contacts/search", json=_query("shoe", 1)),
    ),
    (
        "find by external id",
        True,
        lambda w: w.http.get(f"/contacts/find_by_external_id/{w.demo.user_external_id}"),
    ),
    ("find by external id 404", True, lambda w: w.http.get("/contacts/find_by_external_id/nobody")),
    (
        "notes",
        True,
        lambda w: w.http.get(f"/contacts/{w.demo.user_id}/notes", params={"per_page": 2}),
    ),
    (
        "notes last page",
        True,
        lambda w: w.http.get(
            f"/contacts/{w.demo.user_id}/notes", params={"per_page": 2, "page": 3}
        ),
    ),
    ("notes 404", True, lambda w: w.http.get("/contacts/nobody/notes")),
    ("tags", True, lambda w: w.http.get(f"/contacts/{w.demo.user_id}/tags")),
    ("tags empty", True, lambda w: w.http.get(f"/contacts/{w.demo.anonymous_lead_id}/tags")),
    ("tags 404", True, lambda w: w.http.get("/contacts/nobody/tags")),
    (
        "companies",
        True,
        lambda w: w.http.get(f"/contacts/{w.demo.user_id}/companies", params={"per_page": 2}),
    ),
    ("companies 404", True, lambda w: w.http.get("/contacts/nobody/companies")),
    ("segments", True, lambda w: w.http.get(f"/contacts/{w.demo.user_id}/segments")),
    ("segments 404", True, lambda w: w.http.get("/contacts/nobody/segments")),
    ("subscriptions", True, lambda w: w.http.get(f"/contacts/{w.demo.user_id}/subscriptions")),
    ("subscriptions 404", True, lambda w: w.http.get("/contacts/nobody/subscriptions")),
    ("archive", True, lambda w: w.http.post(f"/contacts/{w.demo.lead_id}/archive")),
    ("get archived 404", True, _get_archived),
    ("unarchive", True, _unarchive),
    ("unarchive active", True, lambda w: w.http.post(f"/contacts/{w.demo.user_id}/unarchive")),
    ("unarchive 404", True, lambda w: w.http.post("/contacts/nobody/unarchive")),
    (
        "search conversations first page",
        True,
        lambda w: w.http.post(
            "/conversations/search", json=_query("contact_ids", w.demo.user_id, per_page=1)
        ),
    ),
    (
        "search conversations page 2",
        True,
        lambda w: _second_page(
            w, "/conversations/search", _query("contact_ids", w.demo.user_id, per_page=1)
        ),
    ),
    (
        "search conversations bad cursor 400",
        True,
        lambda w: w.http.post(
            "/conversations/search",
            json={
                **_query("contact_ids", "x"),
                "pagination": {"per_page": 5, "starting_after": "nope"},
            },
        ),
    ),
    ("search conversations repeated cursor", True, _repeated_cursor),
    (
        "get conversation",
        True,
        lambda w: w.http.get(f"/conversations/{w.demo.user_conversation_ids[0]}"),
    ),
    (
        "get lead conversation",
        True,
        lambda w: w.http.get(f"/conversations/{w.demo.lead_conversation_ids[0]}"),
    ),
    ("get conversation after erasure", True, _get_after_erasure),
    ("get conversation 404", True, lambda w: w.http.get("/conversations/424242")),
    ("redact part", True, _redact_part),
    ("redact source", True, _redact_source),
    ("redact admin source 400", True, _redact_admin_source),
    ("redact unknown 404", True, _redact_missing),
    ("redact twice 400", True, _redact_part_twice),
    ("search calls", True, _search_calls),
    (
        "search calls of 21 conversations 400",
        False,
        lambda w: w.http.post(
            "/calls/search", json={"conversation_ids": [str(n) for n in range(21)]}
        ),
    ),
    ("subscription types", True, lambda w: w.http.get("/subscription_types")),
    ("opt out of a subscription type", True, _opt_out),
    (
        "opt out of an unknown type 404",
        True,
        lambda w: w.http.post(
            f"/contacts/{w.demo.user_id}/subscriptions", json={"id": "0", "consent_type": "opt_out"}
        ),
    ),
    (
        "delete conversation",
        True,
        lambda w: w.http.delete(f"/conversations/{w.demo.user_conversation_ids[0]}"),
    ),
    ("delete ticket", True, lambda w: w.http.delete(f"/tickets/{w.demo.ticket_id}")),
    ("delete ticket 404", True, lambda w: w.http.delete("/tickets/424242")),
    (
        "redact bad type 400",
        False,
        lambda w: w.http.post("/conversations/redact", json={"type": "message"}),
    ),
    (
        "search tickets",
        True,
        lambda w: w.http.post("/tickets/search", json=_query("contact_ids", w.demo.user_id)),
    ),
    (
        "search tickets empty",
        True,
        lambda w: w.http.post("/tickets/search", json=_query("contact_ids", "nobody")),
    ),
    (
        "events list",
        True,
        lambda w: w.http.get(
            "/events", params={"type": "user", "intercom_user_id": w.demo.user_id, "per_page": 2}
        ),
    ),
    (
        "events by user_id",
        True,
        lambda w: w.http.get(
            "/events", params={"type": "user", "user_id": w.demo.user_external_id}
        ),
    ),
    (
        "events summary",
        True,
        lambda w: w.http.get(
            "/events", params={"type": "user", "email": w.demo.shared_email, "summary": "true"}
        ),
    ),
    (
        "events 404",
        True,
        lambda w: w.http.get("/events", params={"type": "user", "intercom_user_id": "nobody"}),
    ),
    ("events no identifier 400", False, lambda w: w.http.get("/events", params={"type": "user"})),
    ("unknown route 404", False, lambda w: w.http.get("/admins/activity")),
]


@pytest.mark.parametrize(
    ("request_is_valid", "scenario"),
    [pytest.param(valid, run, id=name) for name, valid, run in SCENARIOS],
)
def test_every_answer_matches_the_description(
    world: World, request_is_valid: bool, scenario: Scenario
) -> None:
    response = scenario(world)
    if response.request.url.path != "/admins/activity":
        validate_response(response.request, response)
    else:  # no operation to look up: the body must still be an error.list
        validate_schema(response.json(), "error")
    if request_is_valid:
        validate_request(response.request)
    else:
        with pytest.raises(SpecViolationError):
            validate_request(response.request)


def test_scenarios_cover_every_route() -> None:
    fake = FakeIntercom()
    demo = seed_demo(fake)
    with httpx.Client(transport=fake, base_url=BASE, headers=AUTH) as http:
        w = World(fake, demo, http)
        for _, _, scenario in SCENARIOS:
            scenario(w)
            fake.rate_limit = None
    routes = {r.route for r in fake.requests}
    assert routes >= {
        "GET /contacts/{id}",
        "PUT /contacts/{id}",
        "DELETE /contacts/{id}",
        "GET /contacts",
        "POST /contacts/search",
        "GET /contacts/find_by_external_id/{external_id}",
        "GET /contacts/{id}/notes",
        "GET /contacts/{id}/tags",
        "GET /contacts/{id}/companies",
        "GET /contacts/{id}/segments",
        "GET /contacts/{id}/subscriptions",
        "POST /contacts/{id}/archive",
        "POST /contacts/{id}/unarchive",
        "POST /conversations/search",
        "GET /conversations/{id}",
        "POST /conversations/redact",
        "POST /tickets/search",
        "GET /events",
        "POST /calls/search",
        "GET /subscription_types",
        "POST /contacts/{id}/subscriptions",
        "DELETE /conversations/{id}",
        "DELETE /tickets/{id}",
        "UNKNOWN",
    }
    assert {r.status for r in fake.requests} >= {200, 400, 401, 403, 404, 409, 429, 500, 503}


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_random_worlds_render_valid_json(seed: int) -> None:
    fake = FakeIntercom(seed=seed, rate_limit=None)
    contact_ids = seed_random(fake, seed, contacts=6)
    with httpx.Client(transport=fake, base_url=BASE, headers=AUTH) as http:
        for contact_id in contact_ids:
            validate_exchange(http.get(f"/contacts/{contact_id}"))
            found = http.post("/conversations/search", json=_query("contact_ids", contact_id))
            validate_exchange(found)
            for conversation in found.json()["conversations"]:
                validate_exchange(http.get(f"/conversations/{conversation['id']}"))
            ids = [c["id"] for c in found.json()["conversations"]][:20]
            if ids:
                validate_exchange(http.post("/calls/search", json={"conversation_ids": ids}))
            validate_exchange(http.post("/tickets/search", json=_query("contact_ids", contact_id)))
            validate_exchange(http.get(f"/contacts/{contact_id}/notes"))
            validate_exchange(
                http.get("/events", params={"type": "user", "intercom_user_id": contact_id})
            )


# -- the oracle bites ------------------------------------------------------------------------


def _exchange(
    method: str, path: str, status: int, body: Any, *, json_body: Any = None
) -> tuple[httpx.Request, httpx.Response]:
    request = httpx.Request(method, f"{BASE}{path}", headers=AUTH, json=json_body)
    content = body if isinstance(body, bytes) else None
    response = httpx.Response(
        status,
        headers={"Content-Type": "application/json"},
        content=content,
        json=None if content is not None else body,
        request=request,
    )
    return request, response


@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [
        ("GET", "/contacts/abc", 200, {"type": "contact", "id": "abc", "email": None}),
        ("GET", "/contacts/abc", 200, {"type": "contact", "created_at": "yesterday"}),
        ("GET", "/contacts/abc", 404, {"type": "error.list", "request_id": "x"}),
        ("GET", "/contacts/abc", 404, {"type": "error.list", "errors": [{"message": "no code"}]}),
        ("GET", "/contacts/abc", 200, b'{"type": "contact", "id": '),
        ("GET", "/conversations/1", 200, {"type": "conversation", "state": "archived"}),
        ("GET", "/contacts/abc", 302, {}),
        ("GET", "/events?type=user&intercom_user_id=a", 200, {"type": "event.summary"}),
        ("GET", "/contacts/abc/companies", 200, {"type": "list", "data": [{"type": "person"}]}),
        (
            "GET",
            "/contacts/abc/notes",
            200,
            {"type": "list", "pages": {"type": "pages", "next": 3}},
        ),
    ],
)
def test_the_oracle_rejects_wrong_answers(method: str, path: str, status: int, body: Any) -> None:
    request, response = _exchange(method, path, status, body)
    with pytest.raises(SpecViolationError):
        validate_response(request, response)


@pytest.mark.parametrize(
    ("method", "path", "json_body"),
    [
        (
            "POST",
            "/contacts/search",
            {"query": {"field": "email", "operator": "LIKE", "value": "a"}},
        ),
        ("POST", "/contacts/search", {"pagination": {"per_page": 5}}),
        ("POST", "/conversations/redact", {"type": "source", "conversation_id": "1"}),
        ("GET", "/events?type=user", None),
        ("GET", "/events?type=user&email=a&user_id=b", None),
        ("GET", "/contacts/abc", None),
    ],
)
def test_the_oracle_rejects_wrong_requests(method: str, path: str, json_body: Any) -> None:
    request = httpx.Request(method, f"{BASE}{path}", headers=AUTH, json=json_body)
    if path == "/contacts/abc":  # no bearer token at all
        request.headers.pop("Authorization")
    with pytest.raises(SpecViolationError):
        validate_request(request)


def test_the_description_is_parsed_once() -> None:
    assert load_spec() is load_spec()
    assert load_spec()["info"]["version"] == "2.14"
