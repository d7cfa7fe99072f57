"""Every way Intercom pages a list, and every way a page can be wrong, at the transport."""

from __future__ import annotations

import email.utils
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from dsr_resolvers import PiiCategory, SubjectRef
from dsr_resolvers.intercom import (
    CursorLoopError,
    IntercomResolver,
    MalformedResponseError,
    RectificationError,
)
from dsr_resolvers.intercom._errors import retry_after_seconds
from tests.paged_world import intercom_404

TOKEN = "tok_paging"
CID = "c-1"
REF = SubjectRef(kind="intercom", value=CID)
Handler = Callable[[httpx.Request], httpx.Response]


def contact(**summaries: Any) -> dict[str, Any]:
    return {"type": "contact", "id": CID, "email": "a@example.com", **summaries}


def world(
    routes: dict[str, Callable[[httpx.Request], Any]],
) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport answering ``routes`` (path -> JSON body or Response); records requests."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        searching = request.url.path.endswith("/search")
        assert request.method == ("POST" if searching else "GET"), request.method
        answer = routes[request.url.path](request)
        return answer if isinstance(answer, httpx.Response) else httpx.Response(200, json=answer)

    return httpx.MockTransport(handle), seen


def query(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.url.query.decode()).items()}


def export(transport: httpx.MockTransport, **options: Any) -> dict[str, str]:
    resolver = IntercomResolver(TOKEN, transport=transport, **options)
    import asyncio

    records = asyncio.run(resolver.export_subject(REF)).records
    return {r.field: r.value for r in records}


# -- cursor-paged GET lists (notes) --


def notes_pages(request: httpx.Request) -> dict[str, Any]:
    cursor = query(request).get("starting_after")
    if cursor is None:
        return {
            "data": [{"id": "n1", "body": "first"}],
            "pages": {"next": {"starting_after": "k1"}},
        }
    if cursor == "k1":
        return {
            "data": [{"id": "n2", "body": "second"}],
            "pages": {"next": {"starting_after": "k2"}},
        }
    return {"data": [{"id": "n3", "body": "third"}], "pages": {"next": None}}


def test_notes_follow_cursor_pages_to_the_end() -> None:
    transport, seen = world(
        {f"/contacts/{CID}": lambda r: contact(), f"/contacts/{CID}/notes": notes_pages}
    )
    fields = export(transport, sections=["notes"])
    assert [fields[f"contact.notes.n{i}.body"] for i in (1, 2, 3)] == ["first", "second", "third"]
    cursors = [query(r).get("starting_after") for r in seen if r.url.path.endswith("/notes")]
    assert cursors == [None, "k1", "k2"]


def test_a_list_cursor_that_repeats_raises() -> None:
    calls = 0

    def looping(request: httpx.Request) -> Any:
        nonlocal calls
        calls += 1
        if calls > 5:  # a resolver that does not notice would loop forever: fail, don't hang
            return httpx.Response(418)
        cursor = "odd" if calls % 2 else "even"  # a cycle, not a cursor repeated at once
        return {"data": [{"id": "n", "body": "x"}], "pages": {"next": {"starting_after": cursor}}}

    transport, seen = world(
        {f"/contacts/{CID}": lambda r: contact(), f"/contacts/{CID}/notes": looping}
    )
    with pytest.raises(CursorLoopError):
        export(transport, sections=["notes"])
    assert len([r for r in seen if r.url.path.endswith("/notes")]) == 3


def test_a_404_in_the_middle_of_a_list_raises() -> None:
    def vanishing(request: httpx.Request) -> Any:
        if "starting_after" in query(request):
            return intercom_404()
        return {"data": [{"id": "n1", "body": "x"}], "pages": {"next": {"starting_after": "k"}}}

    transport, _ = world(
        {f"/contacts/{CID}": lambda r: contact(), f"/contacts/{CID}/notes": vanishing}
    )
    with pytest.raises(MalformedResponseError, match="middle of paging"):
        export(transport, sections=["notes"])


def test_a_404_on_a_sub_list_of_an_existing_contact_raises() -> None:
    transport, _ = world(
        {
            f"/contacts/{CID}": lambda r: contact(),
            f"/contacts/{CID}/tags": lambda r: intercom_404(),
        }
    )
    with pytest.raises(MalformedResponseError):
        export(transport, sections=["tags"])


@pytest.mark.parametrize(
    ("page", "what"),
    [
        ({"data": [], "pages": "next"}, "malformed paging"),
        ({"data": [], "pages": {"next": {"starting_after": ""}}}, "a next page without a cursor"),
        ({"data": [], "pages": {"next": {"starting_after": 3}}}, "a next page without a cursor"),
        ({"data": [], "pages": {"next": 7}}, "malformed paging"),
        (
            {"data": [], "pages": {"next": "https://api.intercom.io/contacts/c-1/notes"}},
            "a next page URL without a query",
        ),
        ({"data": {"id": "n"}}, "a page without a data list"),
        ({"data": ["n"]}, "a page without a data list"),
        ({"data": [{"body": "no id"}]}, "an item without an id"),
        ({"data": [{"id": True, "body": "x"}]}, "an item without an id"),
        ({"data": [{"id": "n", "body": {"html": "x"}}]}, "a value of an unexpected type"),
    ],
)
@pytest.mark.parametrize("on_page", [1, 2])
def test_a_malformed_list_page_raises(page: dict[str, Any], what: str, on_page: int) -> None:
    def notes(request: httpx.Request) -> dict[str, Any]:
        if on_page == 2 and "starting_after" not in query(request):
            return {
                "data": [{"id": "n0", "body": "fine"}],
                "pages": {"next": {"starting_after": "k"}},
            }
        return page

    transport, _ = world({f"/contacts/{CID}": lambda r: contact(), f"/contacts/{CID}/notes": notes})
    with pytest.raises(MalformedResponseError) as info:
        export(transport, sections=["notes"])
    assert str(info.value) == f"intercom answered the export request with {what}; retry later"
    assert info.value.request.method == "GET"
    assert info.value.request.url.path == "/contacts/{id}/notes"


@pytest.mark.parametrize(
    ("pages", "what"),
    [
        (
            {"next": "https://api.intercom.io/conversations/search?x=1"},
            "a next page without a cursor",
        ),
        ({"next": {"starting_after": ""}}, "a next page without a cursor"),
        ("next", "malformed paging"),
    ],
)
def test_a_malformed_search_cursor_raises(pages: Any, what: str) -> None:
    search = {"conversations": [], "pages": pages}
    transport, _ = world(
        {f"/contacts/{CID}": lambda r: contact(), "/conversations/search": lambda r: search}
    )
    with pytest.raises(MalformedResponseError) as info:
        export(transport, sections=["conversations"])
    assert str(info.value) == f"intercom answered the export request with {what}; retry later"
    assert (info.value.request.method, info.value.request.url.path) == (
        "POST",
        "/conversations/search",
    )


def test_a_404_in_the_middle_of_a_list_names_the_list() -> None:
    def vanishing(request: httpx.Request) -> Any:
        if "starting_after" in query(request):
            return intercom_404()
        return {"data": [{"id": "n1", "body": "x"}], "pages": {"next": {"starting_after": "k"}}}

    transport, _ = world(
        {f"/contacts/{CID}": lambda r: contact(), f"/contacts/{CID}/notes": vanishing}
    )
    with pytest.raises(MalformedResponseError) as info:
        export(transport, sections=["notes"])
    assert (
        str(info.value)
        == "intercom answered the export request with 404 in the middle of paging; retry later"
    )
    assert (info.value.request.method, info.value.request.url.path) == (
        "GET",
        "/contacts/{id}/notes",
    )


def test_a_repeated_list_cursor_names_the_list() -> None:
    def looping(request: httpx.Request) -> dict[str, Any]:
        return {"data": [{"id": "n", "body": "x"}], "pages": {"next": {"starting_after": "same"}}}

    transport, _ = world(
        {f"/contacts/{CID}": lambda r: contact(), f"/contacts/{CID}/notes": looping}
    )
    with pytest.raises(CursorLoopError) as info:
        export(transport, sections=["notes"])
    assert str(info.value) == (
        "intercom answered the export request with "
        "a pagination cursor it had already sent; retry later"
    )
    assert (info.value.request.method, info.value.request.url.path) == (
        "GET",
        "/contacts/{id}/notes",
    )


def test_blank_values_in_a_next_page_url_are_kept() -> None:
    def companies(request: httpx.Request) -> dict[str, Any]:
        if "page" in query(request) or request.url.query.decode().startswith("page"):
            return {"data": [{"id": "co2", "name": "Second"}]}
        return {
            "data": [{"id": "co1", "name": "First"}],
            "pages": {"next": "https://x/y?page=2&filter="},
        }

    transport, seen = world(
        {f"/contacts/{CID}": lambda r: contact(), f"/contacts/{CID}/companies": companies}
    )
    export(transport, sections=["companies"])
    assert seen[-1].url.query == b"page=2&filter="


def test_numeric_item_ids_are_accepted() -> None:
    page = {"data": [{"id": 17, "body": "x"}], "pages": None}
    transport, _ = world(
        {f"/contacts/{CID}": lambda r: contact(), f"/contacts/{CID}/notes": lambda r: page}
    )
    assert export(transport, sections=["notes"])["contact.notes.17.body"] == "x"


# -- link-paged lists (companies, events) --


def test_a_next_page_url_is_followed_by_its_query_only_never_its_host() -> None:
    def companies(request: httpx.Request) -> dict[str, Any]:
        if query(request).get("page") == "2":
            return {
                "data": [{"id": "co2", "name": "Second"}],
                "pages": {"page": 2, "total_pages": 2},
            }
        nxt = "https://evil.example/steal?page=2"
        return {"data": [{"id": "co1", "name": "First"}], "pages": {"page": 1, "next": nxt}}

    transport, seen = world(
        {f"/contacts/{CID}": lambda r: contact(), f"/contacts/{CID}/companies": companies}
    )
    fields = export(transport, sections=["companies"])
    assert fields["contact.companies.co1.name"] == "First"
    assert fields["contact.companies.co2.name"] == "Second"
    assert {r.url.host for r in seen} == {"api.intercom.io"}
    assert [r.url.path for r in seen][-1] == f"/contacts/{CID}/companies"


def test_page_numbers_without_a_link_are_followed_until_the_last_page() -> None:
    def companies(request: httpx.Request) -> dict[str, Any]:
        number = int(query(request).get("page", "1"))
        return {
            "companies": [{"id": f"co{number}", "name": f"C{number}"}],
            "pages": {"page": number, "total_pages": 3},
        }

    transport, seen = world(
        {f"/contacts/{CID}": lambda r: contact(), f"/contacts/{CID}/companies": companies}
    )
    fields = export(transport, sections=["companies"])
    assert [fields[f"contact.companies.co{i}.name"] for i in (1, 2, 3)] == ["C1", "C2", "C3"]
    assert len(seen) == 4


def test_events_page_through_links_and_render_metadata() -> None:
    def events(request: httpx.Request) -> dict[str, Any]:
        assert query(request)["type"] == "user"
        assert query(request)["intercom_user_id"] == CID
        if "per_page" in query(request):
            return {
                "events": [{"event_name": "later", "created_at": 0, "metadata": {"n": {"x": 1}}}]
            }
        first = {
            "event_name": "ordered",
            "created_at": 1_700_000_000,
            "metadata": {"order": "42", "qty": 2},
        }
        return {
            "events": [first],
            "pages": {
                "next": f"https://api.intercom.io/events?intercom_user_id={CID}&type=user&per_page=1"
            },
        }

    transport, _ = world({f"/contacts/{CID}": lambda r: contact(), "/events": events})
    fields = export(transport, sections=["events"])
    assert fields["event.0.event_name"] == "ordered"
    assert fields["event.0.created_at"] == "2023-11-14T22:13:20Z"
    assert (fields["event.0.metadata.order"], fields["event.0.metadata.qty"]) == ("42", "2")
    assert fields["event.1.event_name"] == "later"
    assert fields["event.1.created_at"] == "1970-01-01T00:00:00Z"
    assert fields["event.1.metadata.n"] == '{"x": 1}'


@pytest.mark.parametrize(
    "answer",
    [
        {"events": [{"event_name": "e", "metadata": ["not", "an", "object"]}]},
        {"events": "none"},
    ],
)
def test_malformed_events_raise(answer: dict[str, Any]) -> None:
    transport, _ = world({f"/contacts/{CID}": lambda r: contact(), "/events": lambda r: answer})
    with pytest.raises(MalformedResponseError):
        export(transport, sections=["events"])


def test_a_404_for_the_event_list_raises() -> None:
    transport, _ = world(
        {f"/contacts/{CID}": lambda r: contact(), "/events": lambda r: intercom_404()}
    )
    with pytest.raises(MalformedResponseError, match="event list"):
        export(transport, sections=["events"])


# -- search paging (tickets) --


def test_tickets_are_searched_on_every_page() -> None:
    def tickets(request: httpx.Request) -> dict[str, Any]:
        body = json.loads(request.content)
        assert body["query"] == {"field": "contact_ids", "operator": "=", "value": CID}
        assert body["pagination"]["per_page"] == 150
        if body["pagination"].get("starting_after") == "t":
            return {
                "tickets": [{"id": "t2", "open": False, "ticket_state": {"category": "resolved"}}]
            }
        return {"tickets": [{"id": "t1", "open": True}], "pages": {"next": {"starting_after": "t"}}}

    transport, seen = world({f"/contacts/{CID}": lambda r: contact(), "/tickets/search": tickets})
    fields = export(transport, sections=["tickets"])
    assert (fields["ticket.t1.open"], fields["ticket.t2.open"]) == ("true", "false")
    assert fields["ticket.t2.ticket_state.category"] == "resolved"
    assert len(seen) == 3


# -- when sub-lists are fetched --


@pytest.mark.parametrize(
    ("summary", "fetched"),
    [
        (None, True),
        ("odd", True),
        ({"total_count": 0, "data": [], "has_more": False}, False),
        ({"total_count": 0, "data": [{"id": "t"}]}, True),
        ({"total_count": 0, "data": [], "has_more": True}, True),
        ({"total_count": 2, "data": []}, True),
        ({"data": []}, True),
        ({"total_count": False, "data": []}, True),
    ],
)
def test_a_sub_list_is_fetched_unless_the_contact_says_it_is_empty(
    summary: Any, fetched: bool
) -> None:
    summaries = {} if summary is None else {"tags": summary}
    tags = {"type": "list", "data": [{"id": "t", "name": "VIP"}]}
    transport, seen = world(
        {
            f"/contacts/{CID}": lambda r: contact(**summaries),
            f"/contacts/{CID}/tags": lambda r: tags,
        }
    )
    export(transport, sections=["tags"])
    assert any(r.url.path.endswith("/tags") for r in seen) is fetched


def test_custom_attributes_that_are_not_an_object_raise() -> None:
    transport, _ = world({f"/contacts/{CID}": lambda r: contact(custom_attributes=["plan"])})
    with pytest.raises(MalformedResponseError):
        export(transport, sections=[], custom_attributes={"plan": PiiCategory.BEHAVIORAL})


def test_social_profiles_that_are_not_a_list_raise() -> None:
    transport, _ = world({f"/contacts/{CID}": lambda r: contact(social_profiles={"data": "x"})})
    with pytest.raises(MalformedResponseError):
        export(transport, sections=[])


# -- lookup shapes --


def lookup(handler: Handler, **kwargs: str) -> Any:
    import asyncio

    resolver = IntercomResolver(TOKEN, transport=httpx.MockTransport(handler))
    return asyncio.run(resolver.find_contacts(**kwargs))


def test_lookup_by_external_id_reads_a_data_list_even_without_a_type() -> None:
    answer = {"data": [{"id": "a", "role": "user"}]}
    matches = lookup(lambda r: httpx.Response(200, json=answer), external_id="x")
    assert [(m.id, m.role) for m in matches] == [("a", "user")]


def test_lookup_by_external_id_accepts_a_list_answer_and_dedupes() -> None:
    answer = {
        "type": "list",
        "data": [{"id": "a", "role": "user"}, {"id": "b"}, {"id": "a", "role": "user"}],
    }
    matches = lookup(lambda r: httpx.Response(200, json=answer), external_id="x")
    assert [(m.id, m.role) for m in matches] == [("a", "user"), ("b", "unknown")]


@pytest.mark.parametrize(
    "answer",
    [{"type": "list", "data": "a"}, {"type": "contact"}, {"type": "contact", "id": 5}],
)
def test_a_malformed_lookup_answer_raises(answer: dict[str, Any]) -> None:
    with pytest.raises(MalformedResponseError):
        lookup(lambda r: httpx.Response(200, json=answer), external_id="x")


def test_lookup_by_email_sends_the_documented_search() -> None:
    bodies: list[Any] = []

    def handle(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200, json={"data": [{"id": "a", "role": "lead"}]})

    assert [m.id for m in lookup(handle, email="a@example.com")] == ["a"]
    assert bodies == [
        {
            "query": {"field": "email", "operator": "=", "value": "a@example.com"},
            "pagination": {"per_page": 150},
        }
    ]


# -- rectification values --


def test_rectify_sends_null_to_clear_and_refuses_non_text() -> None:
    import asyncio

    sent: list[Any] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json={"type": "contact", "id": CID})

    resolver = IntercomResolver(TOKEN, transport=httpx.MockTransport(handle))
    result = asyncio.run(resolver.rectify_subject(REF, {"phone": None, "name": "N"}))
    assert sent == [{"name": "N", "phone": None}]
    assert result.fields == ("name", "phone")
    assert result.detail == "updated 2 field(s) of the Intercom contact"
    with pytest.raises(RectificationError, match="text or None"):
        asyncio.run(resolver.rectify_subject(REF, {"name": 5}))  # type: ignore[dict-item]
    assert len(sent) == 1


# -- Retry-After --


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "-4"}, None),  # negative: no wait named, the default pause
        ({"retry-after": email.utils.formatdate(999_990, usegmt=True)}, 0.0),
        ({"retry-after": email.utils.formatdate(1_000_030, usegmt=True)}, 30.0),
        ({"retry-after": "soon", "x-ratelimit-reset": "1000010"}, 10.0),
        ({"x-ratelimit-reset": "999990"}, 0.0),
        ({"x-ratelimit-reset": "later"}, None),
        ({"x-ratelimit-reset": "inf"}, None),
        ({}, None),
    ],
)
def test_retry_after_reads_either_header(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_seconds(httpx.Headers(headers), now=1_000_000.0) == expected


# -- httpx's own log line --


def test_other_httpx_log_records_pass_untouched(caplog: pytest.LogCaptureFixture) -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(204))
    with caplog.at_level(logging.INFO, logger="httpx"), httpx.Client(transport=transport) as client:
        client.get("https://elsewhere.example/contacts/visible-id")
    assert "https://elsewhere.example/contacts/visible-id" in caplog.text
