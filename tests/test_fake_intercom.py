"""FakeIntercom in transport mode: every route, auth, rate limits, faults, the request log."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsr_resolvers.testing import FakeIntercom, RecordedRequest

BASE = "https://api.intercom.io"
AUTH = {"Authorization": "Bearer test-token", "Intercom-Version": "2.14"}
REDACTED = "<p><i>This message was deleted</i></p>"
CONTACT_KEYS = {
    "type",
    "id",
    "workspace_id",
    "external_id",
    "role",
    "email",
    "email_domain",
    "phone",
    "name",
    "avatar",
    "owner_id",
    "social_profiles",
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
    "location",
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
    "custom_attributes",
    "tags",
    "notes",
    "companies",
    "opted_out_subscription_types",
    "opted_in_subscription_types",
    "utm_campaign",
    "utm_content",
    "utm_medium",
    "utm_source",
    "utm_term",
    "referrer",
    "enabled_push_messaging",
}


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> FakeIntercom:
    return FakeIntercom(clock=clock)


@pytest.fixture
def client(fake: FakeIntercom) -> Iterator[httpx.Client]:
    with httpx.Client(transport=fake, base_url=BASE, headers=AUTH) as http:
        yield http


def encode_all(segment: str) -> str:
    """Percent-encode every byte, dots included, so no client or URL parser can reinterpret it."""
    return "".join(f"%{byte:02X}" for byte in segment.encode("utf-8"))


def search(
    field: str, value: Any, *, operator: str = "=", per_page: int | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"query": {"field": field, "operator": operator, "value": value}}
    if per_page is not None:
        body["pagination"] = {"per_page": per_page}
    return body


def search_all(
    client: httpx.Client, path: str, query: dict[str, Any], per_page: int, key: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Follow ``pages.next`` to the end; returns the items and every page body."""
    items: list[dict[str, Any]] = []
    bodies: list[dict[str, Any]] = []
    pagination: dict[str, Any] = {"per_page": per_page}
    for _ in range(500):
        response = client.post(path, json={"query": query, "pagination": pagination})
        assert response.status_code == 200, response.text
        body = response.json()
        bodies.append(body)
        items.extend(body[key])
        following = body["pages"].get("next")
        if following is None:
            return items, bodies
        pagination = {"per_page": per_page, "starting_after": following["starting_after"]}
    raise AssertionError("paging never ended")


def error_code(response: httpx.Response) -> str:
    body = response.json()
    assert body["type"] == "error.list"
    assert isinstance(body["request_id"], str)
    (error,) = body["errors"]
    return str(error["code"])


# -- contacts --------------------------------------------------------------------------------


def test_get_contact_returns_every_field_of_the_contact_schema(
    fake: FakeIntercom, client: httpx.Client
) -> None:
    cid = fake.add_contact(
        email="ada@example.com",
        name="Ada",
        phone="+1 555 0100",
        external_id="ext-1",
        custom_attributes={"plan": "pro"},
        location={"country": "France", "city": "Paris"},
        browser="firefox",
        os="Linux",
        social_profiles=[{"name": "GitHub", "url": "https://github.com/ada"}],
        avatar="https://img.example/ada.png",
        device={"ios_device": "iPhone"},
        utm={"utm_source": "ads"},
    )
    fake.tag_contact(cid, "VIP")
    note = fake.add_note(cid, body="<p>n</p>")
    company = fake.add_company_to_contact(cid, name="Acme")

    contact = client.get(f"/contacts/{cid}").json()

    assert set(contact) == CONTACT_KEYS
    assert contact["type"] == "contact"
    assert contact["id"] == cid
    assert contact["role"] == "user"
    assert contact["email_domain"] == "example.com"
    assert contact["avatar"] == {"type": "avatar", "image_url": "https://img.example/ada.png"}
    assert contact["location"]["country"] == "France"
    assert contact["location"]["type"] == "location"
    assert contact["social_profiles"]["data"][0]["name"] == "GitHub"
    assert contact["custom_attributes"] == {"plan": "pro"}
    assert contact["ios_device"] == "iPhone"
    assert contact["utm_source"] == "ads"
    assert contact["notes"]["data"] == [{"type": "note", "id": note, "url": f"/notes/{note}"}]
    assert contact["companies"]["data"][0]["id"] == company
    assert contact["tags"]["total_count"] == 1
    assert contact["tags"]["url"] == f"/contacts/{cid}/tags"
    assert fake.contact(cid) == contact


def test_ids_are_24_hex_characters_and_follow_the_seed() -> None:
    first, second, other = FakeIntercom(seed=7), FakeIntercom(seed=7), FakeIntercom(seed=8)
    ids = [first.add_contact(email=f"{n}@x.example") for n in range(5)]
    assert ids == [second.add_contact(email=f"{n}@x.example") for n in range(5)]
    assert ids != [other.add_contact(email=f"{n}@x.example") for n in range(5)]
    assert all(len(i) == 24 and int(i, 16) >= 0 for i in ids)
    assert first.contact_ids() == tuple(ids)


def test_request_ids_follow_the_seed() -> None:
    def request_ids(seed: int) -> list[str]:
        fake = FakeIntercom(seed=seed)
        with httpx.Client(transport=fake, base_url=BASE, headers=AUTH) as http:
            return [http.get(f"/contacts/missing{n}").json()["request_id"] for n in range(3)]

    assert request_ids(1) == request_ids(1)
    assert request_ids(1) != request_ids(2)


def test_add_contact_refuses_inconsistent_seeds(fake: FakeIntercom) -> None:
    fake.add_contact("fixed", external_id="e1")
    with pytest.raises(ValueError, match="already exists"):
        fake.add_contact("fixed")
    with pytest.raises(ValueError, match="external_id"):
        fake.add_contact(external_id="e1")
    with pytest.raises(ValueError, match="device"):
        fake.add_contact(device={"windows_phone": "x"})
    with pytest.raises(ValueError, match="role"):
        fake.add_contact(role="visitor")  # type: ignore[arg-type]
    fake.add_contact(role="lead", external_id="e1")  # leads may share an external_id


def test_unknown_contact_is_404_not_found(client: httpx.Client) -> None:
    for method in ("GET", "DELETE"):
        response = client.request(method, "/contacts/000000000000000000000000")
        assert response.status_code == 404
        assert error_code(response) == "not_found"
        assert response.json()["errors"][0]["message"] == "Contact Not Found"
    assert client.get("/contacts/000000000000000000000000/tags").json()["errors"][0] == {
        "code": "not_found",
        "message": "User Not Found",
    }


def test_delete_answers_contact_deleted_and_keeps_conversations(
    fake: FakeIntercom, client: httpx.Client
) -> None:
    cid = fake.add_contact(email="gone@example.com", external_id="ext-9")
    conversation = fake.add_conversation(cid)
    ticket = fake.add_ticket(cid)
    fake.add_note(cid, body="<p>x</p>")
    fake.add_event(cid, "login")

    response = client.delete(f"/contacts/{cid}")

    assert response.status_code == 200
    assert response.json() == {
        "type": "contact",
        "id": cid,
        "external_id": "ext-9",
        "deleted": True,
    }
    assert client.get(f"/contacts/{cid}").status_code == 404
    assert client.delete(f"/contacts/{cid}").status_code == 404
    assert client.get(f"/contacts/{cid}/notes").status_code == 404
    assert (
        client.get("/events", params={"type": "user", "intercom_user_id": cid}).status_code == 404
    )
    assert fake.contact(cid) is None
    assert cid not in fake.contact_ids()
    assert fake.conversation_ids(cid) == (conversation,)
    found = client.post("/conversations/search", json=search("contact_ids", cid)).json()
    assert [c["id"] for c in found["conversations"]] == [conversation]
    assert found["conversations"][0]["contacts"]["contacts"][0]["external_id"] == "ext-9"
    tickets = client.post("/tickets/search", json=search("contact_ids", cid)).json()
    assert [t["id"] for t in tickets["tickets"]] == [ticket]
    assert fake.event_names(cid) == ()


def test_put_updates_the_given_fields(
    fake: FakeIntercom, client: httpx.Client, clock: Clock
) -> None:
    cid = fake.add_contact(
        email="old@example.com", name="Old", custom_attributes={"a": "1", "b": 2}
    )
    clock.now += 60

    response = client.put(
        f"/contacts/{cid}",
        json={
            "email": "new@example.org",
            "name": None,
            "phone": "+33 1",
            "avatar": "https://img.example/n.png",
            "custom_attributes": {"a": "2"},
            "unsubscribed_from_emails": True,
            "owner_id": 12,
        },
    )

    assert response.status_code == 200
    contact = response.json()
    assert contact["email"] == "new@example.org"
    assert contact["email_domain"] == "example.org"
    assert contact["name"] is None
    assert contact["phone"] == "+33 1"
    assert contact["avatar"]["image_url"] == "https://img.example/n.png"
    assert contact["custom_attributes"] == {"a": "2", "b": 2}
    assert contact["unsubscribed_from_emails"] is True
    assert contact["owner_id"] == 12
    assert contact["updated_at"] == int(clock.now)
    assert fake.contact(cid) == contact


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"full_name": "x"}, 400, "parameter_invalid"),
        ({"email": None}, 400, "parameter_invalid"),
        ({"name": 5}, 400, "parameter_invalid"),
        ({"unsubscribed_from_emails": "yes"}, 400, "parameter_invalid"),
        ({"owner_id": True}, 400, "parameter_invalid"),
        ({"custom_attributes": {"undeclared": 1}}, 400, "parameter_invalid"),
        ({"role": "lead"}, 400, "client_error"),
        ({"role": "admin"}, 400, "parameter_invalid"),
        ({"external_id": "taken"}, 409, "conflict"),
    ],
)
def test_put_rejects_what_intercom_rejects(
    fake: FakeIntercom, client: httpx.Client, body: dict[str, Any], status: int, code: str
) -> None:
    fake.add_contact(external_id="taken")
    cid = fake.add_contact(email="me@example.com", name="Me")
    before = fake.contact(cid)

    response = client.put(f"/contacts/{cid}", json=body)

    assert response.status_code == status
    assert error_code(response) == code
    assert fake.contact(cid) == before


def test_put_turns_a_lead_into_a_user_and_accepts_declared_attributes(
    fake: FakeIntercom, client: httpx.Client
) -> None:
    lead = fake.add_contact(role="lead")
    fake.define_custom_attribute("tier")
    response = client.put(
        f"/contacts/{lead}", json={"role": "user", "custom_attributes": {"tier": "g"}}
    )
    assert response.status_code == 200
    assert response.json()["role"] == "user"
    assert client.put("/contacts/nope", json={"name": "x"}).status_code == 404
    assert error_code(client.put(f"/contacts/{lead}", content=b"{not json")) == "bad_request"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(total=st.integers(0, 40), per_page=st.integers(1, 200))
def test_list_contacts_pages_through_everyone_once(total: int, per_page: int) -> None:
    fake = FakeIntercom(rate_limit=None)
    ids = [fake.add_contact(email=f"p{n}@example.com") for n in range(total)]
    seen: list[str] = []
    with httpx.Client(transport=fake, base_url=BASE, headers=AUTH) as http:
        params: dict[str, Any] = {"per_page": per_page}
        for page_number in range(1, 100):
            body = http.get("/contacts", params=params).json()
            assert body["type"] == "list"
            assert body["total_count"] == total
            assert body["pages"]["per_page"] == min(per_page, 150)
            assert body["pages"]["page"] == page_number
            seen.extend(c["id"] for c in body["data"])
            if "next" not in body["pages"]:
                break
            cursor = body["pages"]["next"]["starting_after"]
            assert cursor not in ids
            params = {"per_page": per_page, "starting_after": cursor}
    assert seen == ids


def test_deleting_while_paging_skips_no_one(fake: FakeIntercom, client: httpx.Client) -> None:
    ids = [fake.add_contact(email=f"p{n}@example.com") for n in range(10)]
    first = client.get("/contacts", params={"per_page": 4}).json()
    for contact in first["data"]:
        client.delete(f"/contacts/{contact['id']}")
    cursor = first["pages"]["next"]["starting_after"]
    rest = client.get("/contacts", params={"per_page": 10, "starting_after": cursor}).json()
    assert [c["id"] for c in rest["data"]] == ids[4:]


@pytest.mark.parametrize(
    "params", [{"per_page": 0}, {"per_page": "ten"}, {"starting_after": "bogus"}]
)
def test_bad_paging_parameters_are_400(client: httpx.Client, params: dict[str, Any]) -> None:
    response = client.get("/contacts", params=params)
    assert response.status_code == 400
    assert error_code(response) == "parameter_invalid"


def test_cursors_are_opaque_and_scoped(fake: FakeIntercom, client: httpx.Client) -> None:
    cid = fake.add_contact(email="a@example.com")
    for _ in range(3):
        fake.add_conversation(cid)
    body = client.post("/conversations/search", json=search("contact_ids", cid, per_page=1)).json()
    cursor = body["pages"]["next"]["starting_after"]
    assert len(cursor) >= 16
    assert cursor not in {cid, *fake.conversation_ids(cid)}
    assert not cursor.isdigit()
    wrong_scope = client.get("/contacts", params={"starting_after": cursor})
    assert wrong_scope.status_code == 400


def test_search_contacts_by_email_finds_every_holder(
    fake: FakeIntercom, client: httpx.Client
) -> None:
    user = fake.add_contact(email="shared@example.com", role="user", external_id="u1")
    lead = fake.add_contact(email="shared@example.com", role="lead")
    fake.add_contact(email="other@example.com")

    by_email = client.post("/contacts/search", json=search("email", "shared@example.com")).json()
    assert by_email["type"] == "list"
    assert {c["id"] for c in by_email["data"]} == {user, lead}
    assert by_email["total_count"] == 2
    assert "next" not in by_email["pages"]

    both = {
        "operator": "AND",
        "value": [
            {"field": "email", "operator": "=", "value": "shared@example.com"},
            {"field": "role", "operator": "=", "value": "lead"},
        ],
    }
    assert [
        c["id"] for c in client.post("/contacts/search", json={"query": both}).json()["data"]
    ] == [lead]
    either = {
        "operator": "OR",
        "value": [
            {"field": "external_id", "operator": "=", "value": "u1"},
            {"field": "id", "operator": "=", "value": lead},
        ],
    }
    found = client.post("/contacts/search", json={"query": either}).json()["data"]
    assert {c["id"] for c in found} == {user, lead}
    listed = client.post("/contacts/search", json=search("id", [user, "zzz"], operator="IN")).json()
    assert [c["id"] for c in listed["data"]] == [user]
    case = client.post("/contacts/search", json=search("email", "SHARED@example.com")).json()
    assert case["total_count"] == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "parameter_not_found"),
        ({"query": {"field": "shoe_size", "operator": "=", "value": 1}}, "parameter_invalid"),
        ({"query": {"field": "email", "operator": "LIKE", "value": "a"}}, "parameter_invalid"),
        ({"query": {"field": "email", "operator": "IN", "value": "a"}}, "parameter_invalid"),
        (
            {
                "query": {
                    "operator": "AND",
                    "value": [
                        {"field": "email", "operator": "=", "value": str(n)} for n in range(16)
                    ],
                }
            },
            "parameter_invalid",
        ),
        (
            {
                "query": {
                    "operator": "AND",
                    "value": [
                        {
                            "operator": "OR",
                            "value": [
                                {
                                    "operator": "AND",
                                    "value": [{"field": "email", "operator": "=", "value": "a"}],
                                }
                            ],
                        }
                    ],
                }
            },
            "parameter_invalid",
        ),
        (
            {"query": {"field": "email", "operator": "=", "value": "a"}, "pagination": 5},
            "parameter_invalid",
        ),
    ],
)
def test_search_rejects_malformed_queries(
    client: httpx.Client, body: dict[str, Any], code: str
) -> None:
    response = client.post("/contacts/search", json=body)
    assert response.status_code == 400
    assert error_code(response) == code


def test_search_caps_per_page_at_150(fake: FakeIntercom, client: httpx.Client) -> None:
    for n in range(160):
        fake.add_contact(email="many@example.com", role="lead", name=str(n))
    body = client.post(
        "/contacts/search", json=search("email", "many@example.com", per_page=1000)
    ).json()
    assert len(body["data"]) == 150
    assert body["pages"]["per_page"] == 150
    assert body["pages"]["total_pages"] == 2
    items, _ = search_all(
        client, "/contacts/search", {"field": "role", "operator": "=", "value": "lead"}, 150, "data"
    )
    assert len({c["id"] for c in items}) == 160


def test_find_by_external_id_finds_users_only(fake: FakeIntercom, client: httpx.Client) -> None:
    user = fake.add_contact(external_id="a/b?c")
    fake.add_contact(role="lead", external_id="lead-ext")
    found = client.get(f"/contacts/find_by_external_id/{encode_all('a/b?c')}")
    assert found.status_code == 200
    assert found.json()["id"] == user
    for missing in ("lead-ext", "nobody"):
        response = client.get(f"/contacts/find_by_external_id/{missing}")
        assert response.status_code == 404
        assert error_code(response) == "not_found"


def test_notes_are_newest_first_and_paged(fake: FakeIntercom, client: httpx.Client) -> None:
    cid = fake.add_contact()
    notes = [fake.add_note(cid, body=f"<p>{n}</p>", created_at=1000 + n) for n in range(5)]
    first = client.get(f"/contacts/{cid}/notes", params={"per_page": 2}).json()
    assert first["type"] == "list"
    assert first["total_count"] == 5
    assert [n["id"] for n in first["data"]] == notes[::-1][:2]
    assert first["data"][0]["author"]["type"] == "admin"
    assert first["data"][0]["contact"] == {"type": "contact", "id": cid}
    assert first["pages"]["total_pages"] == 3
    by_page = client.get(f"/contacts/{cid}/notes", params={"per_page": 2, "page": 3}).json()
    assert [n["id"] for n in by_page["data"]] == [notes[0]]
    assert by_page["pages"]["next"] is None
    cursor = first["pages"]["next"]["starting_after"]
    by_cursor = client.get(
        f"/contacts/{cid}/notes", params={"per_page": 2, "starting_after": cursor}
    ).json()
    assert [n["id"] for n in by_cursor["data"]] == notes[::-1][2:4]
    assert client.get(f"/contacts/{cid}/notes", params={"page": 0}).status_code == 400


def test_tags_list_names_and_who_applied_them(fake: FakeIntercom, client: httpx.Client) -> None:
    cid = fake.add_contact()
    vip = fake.tag_contact(cid, "VIP")
    assert fake.tag_contact(cid, "VIP") == vip
    fake.tag_contact(cid, "beta")
    body = client.get(f"/contacts/{cid}/tags").json()
    assert body["type"] == "list"
    assert (body["data"][0]["id"], body["data"][0]["name"]) == (vip, "VIP")
    assert [t["name"] for t in body["data"]] == ["VIP", "beta"]
    assert body["data"][0]["applied_by"]["type"] == "admin"
    assert client.get("/contacts/nope/tags").status_code == 404


def test_companies_are_paged_with_followable_links(
    fake: FakeIntercom, client: httpx.Client
) -> None:
    cid = fake.add_contact()
    other = fake.add_contact()
    companies = [fake.add_company_to_contact(cid, name=f"Co {n}") for n in range(3)]
    fake.add_company_to_contact(other, name="Co 0")
    first = client.get(f"/contacts/{cid}/companies", params={"per_page": 2}).json()
    assert first["type"] == "list"
    assert first["total_count"] == 3
    assert [c["id"] for c in first["data"]] == companies[:2]
    assert first["data"][0]["user_count"] == 2
    assert first["pages"]["next"].startswith(f"{BASE}/contacts/{cid}/companies?")
    second = client.get(first["pages"]["next"]).json()
    assert [c["id"] for c in second["data"]] == companies[2:]
    assert second["pages"]["next"] is None
    assert client.get("/contacts/nope/companies").status_code == 404


# -- conversations ---------------------------------------------------------------------------


def test_conversation_search_shape(fake: FakeIntercom, client: httpx.Client) -> None:
    lead = fake.add_contact(role="lead", name="Lee", email="lee@example.com")
    conversation = fake.add_conversation(lead, source_body="<p>Hello</p>", title="T")
    fake.add_part(conversation, author="admin")

    body = client.post("/conversations/search", json=search("contact_ids", lead)).json()

    assert body["type"] == "conversation.list"
    assert body["total_count"] == 1
    assert body["pages"]["per_page"] == 20
    assert "next" not in body["pages"]
    (found,) = body["conversations"]
    assert "conversation_parts" not in found
    assert found["source"]["author"] == {
        "type": "lead",
        "id": lead,
        "name": "Lee",
        "email": "lee@example.com",
    }
    assert found["source"]["body"] == "<p>Hello</p>"
    assert found["source"]["redacted"] is False
    assert found["contacts"] == {
        "type": "contact.list",
        "contacts": [{"type": "contact", "id": lead, "external_id": None}],
    }


@settings(max_examples=25, deadline=None)
@given(total=st.integers(0, 45), per_page=st.one_of(st.none(), st.integers(1, 400)))
def test_conversation_search_pages_stably(total: int, per_page: int | None) -> None:
    fake = FakeIntercom(rate_limit=None)
    cid = fake.add_contact()
    noise = fake.add_contact()
    expected = []
    for n in range(total):
        expected.append(fake.add_conversation(cid, created_at=2000 - n))
        fake.add_conversation(noise)
    effective = 20 if per_page is None else min(per_page, 150)
    with httpx.Client(transport=fake, base_url=BASE, headers=AUTH) as http:
        query = {"field": "contact_ids", "operator": "=", "value": cid}
        items, bodies = search_all(
            http, "/conversations/search", query, per_page or 20, "conversations"
        )
    assert [c["id"] for c in items] == expected
    assert all(b["total_count"] == total for b in bodies)
    assert all(b["pages"]["per_page"] == effective for b in bodies)
    assert len(bodies) == max(1, -(-total // effective))


def test_get_conversation_returns_parts_with_authors(
    fake: FakeIntercom, client: httpx.Client
) -> None:
    user = fake.add_contact(name="U", email="u@example.com")
    other = fake.add_contact(role="lead", name="L")
    conversation = fake.add_conversation(user)
    parts = [
        fake.add_part(conversation, author="contact", body="<p>1</p>"),
        fake.add_part(conversation, author="admin", body=None, part_type="assignment"),
        fake.add_part(conversation, author="bot", body="<p>bot</p>"),
        fake.add_part(conversation, author=other, body="<p>me too</p>"),
    ]

    body = client.get(f"/conversations/{conversation}").json()

    assert body["type"] == "conversation"
    listed = body["conversation_parts"]
    assert listed["type"] == "conversation_part.list"
    assert listed["total_count"] == 4
    assert [p["id"] for p in listed["conversation_parts"]] == parts
    authors = [(p["author"]["type"], p["author"]["id"]) for p in listed["conversation_parts"]]
    assert authors[0] == ("user", user)
    assert authors[1][0] == "admin"
    assert authors[2][0] == "bot"
    assert authors[3] == ("lead", other)
    assert listed["conversation_parts"][1]["body"] is None
    assert all(p["redacted"] is False for p in listed["conversation_parts"])
    assert {c["id"] for c in body["contacts"]["contacts"]} == {user, other}
    assert fake.conversation_ids(other) == (conversation,)
    assert fake.conversation(conversation) == body


def test_get_conversation_caps_parts_at_the_500_most_recent(
    fake: FakeIntercom, client: httpx.Client
) -> None:
    conversation = fake.add_conversation(fake.add_contact())
    parts = [fake.add_part(conversation, author="admin", body=f"<p>{n}</p>") for n in range(505)]
    listed = client.get(f"/conversations/{conversation}").json()["conversation_parts"]
    assert [p["id"] for p in listed["conversation_parts"]] == parts[5:]
    assert listed["total_count"] == 500


def test_unknown_conversation_is_404(client: httpx.Client) -> None:
    response = client.get("/conversations/424242")
    assert response.status_code == 404
    assert response.json()["errors"] == [{"code": "not_found", "message": "Resource Not Found"}]


def test_add_part_rejects_unknown_authors(fake: FakeIntercom) -> None:
    conversation = fake.add_conversation(fake.add_contact())
    with pytest.raises(ValueError, match="author"):
        fake.add_part(conversation, author="stranger")
    with pytest.raises(KeyError):
        fake.conversation("nope")


# -- redaction -------------------------------------------------------------------------------


def _redact_part(conversation: str, part: str) -> dict[str, str]:
    return {
        "type": "conversation_part",
        "conversation_id": conversation,
        "conversation_part_id": part,
    }


def test_redacting_a_part_replaces_its_body_and_a_second_time_answers_400(
    fake: FakeIntercom, client: httpx.Client
) -> None:
    cid = fake.add_contact()
    conversation = fake.add_conversation(cid)
    part = fake.add_part(conversation, body="<p>my card is 4111</p>")
    keep = fake.add_part(conversation, author="admin", body="<p>ok</p>")

    response = client.post("/conversations/redact", json=_redact_part(conversation, part))
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "conversation"
    by_id = {p["id"]: p for p in body["conversation_parts"]["conversation_parts"]}
    assert by_id[part]["body"] == REDACTED
    assert by_id[part]["redacted"] is True
    assert by_id[keep]["body"] == "<p>ok</p>"
    assert by_id[keep]["redacted"] is False

    again = client.post("/conversations/redact", json=_redact_part(conversation, part))
    assert again.status_code == 400  # as Intercom answers a part already redacted
    assert again.json()["errors"][0]["code"] == "conversation_part_not_redactable"
    source_id = fake.conversation(conversation)["source"]["id"]
    source = {"type": "source", "conversation_id": conversation, "source_id": source_id}
    assert client.post("/conversations/redact", json=source).status_code == 200
    assert client.post("/conversations/redact", json=source).status_code == 400


def test_redacting_the_source_written_by_a_contact(
    fake: FakeIntercom, client: httpx.Client
) -> None:
    cid = fake.add_contact()
    conversation = fake.add_conversation(cid, source_body="<p>secret</p>")
    source_id = fake.conversation(conversation)["source"]["id"]
    client.delete(f"/contacts/{cid}")  # conversations outlive their contact

    response = client.post(
        "/conversations/redact",
        json={"type": "source", "conversation_id": conversation, "source_id": source_id},
    )

    assert response.status_code == 200
    assert response.json()["source"]["body"] == REDACTED
    assert fake.conversation(conversation)["source"]["redacted"] is True
    searched = client.post("/conversations/search", json=search("contact_ids", cid)).json()
    assert searched["conversations"][0]["source"]["redacted"] is True


def test_what_cannot_be_redacted(fake: FakeIntercom, client: httpx.Client) -> None:
    cid = fake.add_contact()
    outbound = fake.add_conversation(cid, source_author="admin")
    source_id = fake.conversation(outbound)["source"]["id"]
    assignment = fake.add_part(outbound, author="admin", body=None, part_type="assignment")
    empty = fake.add_part(outbound, author="admin", body="")

    for body in (
        {"type": "source", "conversation_id": outbound, "source_id": source_id},
        _redact_part(outbound, assignment),
        _redact_part(outbound, empty),
    ):
        response = client.post("/conversations/redact", json=body)
        assert response.status_code == 400
        assert error_code(response) == "conversation_part_not_redactable"
    assert fake.conversation(outbound)["source"]["redacted"] is False


@pytest.mark.parametrize(
    "body",
    [
        {"type": "conversation_part", "conversation_id": "999999", "conversation_part_id": "1"},
        {
            "type": "conversation_part",
            "conversation_id": "{conversation}",
            "conversation_part_id": "1",
        },
        {"type": "source", "conversation_id": "{conversation}", "source_id": "1"},
    ],
)
def test_redacting_what_does_not_exist_is_404(
    fake: FakeIntercom, client: httpx.Client, body: dict[str, str]
) -> None:
    conversation = fake.add_conversation(fake.add_contact())
    filled = {k: v.format(conversation=conversation) for k, v in body.items()}
    response = client.post("/conversations/redact", json=filled)
    assert response.status_code == 404
    assert error_code(response) == "conversation_part_or_message_not_found"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"type": "message", "conversation_id": "1", "source_id": "2"}, "parameter_invalid"),
        ({"type": "source", "source_id": "2"}, "parameter_not_found"),
        ({"type": "conversation_part", "conversation_id": "1"}, "parameter_not_found"),
        ({"type": "source", "conversation_id": ["1"], "source_id": "2"}, "parameter_invalid"),
    ],
)
def test_malformed_redactions_are_400(
    client: httpx.Client, body: dict[str, Any], code: str
) -> None:
    response = client.post("/conversations/redact", json=body)
    assert response.status_code == 400
    assert error_code(response) == code


# -- tickets and events ----------------------------------------------------------------------


def test_ticket_search_by_contact(fake: FakeIntercom, client: httpx.Client) -> None:
    cid = fake.add_contact()
    tickets = [fake.add_ticket(cid, title=f"T{n}") for n in range(3)]
    fake.add_ticket(fake.add_contact())
    items, bodies = search_all(
        client,
        "/tickets/search",
        {"field": "contact_ids", "operator": "=", "value": cid},
        2,
        "tickets",
    )
    assert [t["id"] for t in items] == tickets
    assert bodies[0]["type"] == "ticket.list"
    assert items[0]["ticket_attributes"]["_default_title_"] == "T0"
    assert items[0]["contacts"]["contacts"][0]["id"] == cid
    assert fake.ticket(tickets[0]) == items[0]
    assert fake.ticket_ids(cid) == tuple(tickets)


def test_events_list_newest_first_with_followable_pages(
    fake: FakeIntercom, client: httpx.Client
) -> None:
    cid = fake.add_contact(email="ev@example.com", external_id="ev-1")
    for n in range(5):
        fake.add_event(cid, f"e{n}", created_at=1_700_000_000 - 1000 + n, metadata={"n": str(n)})
    fake.add_event(fake.add_contact(), "noise")

    names: list[str] = []
    url: str | None = f"/events?type=user&intercom_user_id={cid}&per_page=2"
    for _ in range(10):
        if url is None:
            break
        body = client.get(url).json()
        assert body["type"] == "event.list"
        names.extend(e["event_name"] for e in body["events"])
        url = body["pages"].get("next")
    assert names == ["e4", "e3", "e2", "e1", "e0"]
    event = client.get("/events", params={"type": "user", "user_id": "ev-1"}).json()["events"][0]
    assert event["intercom_user_id"] == cid
    assert event["user_id"] == "ev-1"
    assert event["email"] == "ev@example.com"
    assert event["metadata"] == {"n": "4"}
    by_email = client.get("/events", params={"type": "user", "email": "ev@example.com"})
    assert len(by_email.json()["events"]) == 5


def test_event_summary_and_identifier_rules(fake: FakeIntercom, client: httpx.Client) -> None:
    lead = fake.add_contact(role="lead", email="lead@example.com")
    fake.add_event(lead, "viewed", created_at=0)
    fake.add_event(lead, "viewed", created_at=86_400)

    summary = client.get(
        "/events", params={"type": "user", "intercom_user_id": lead, "summary": "true"}
    ).json()
    assert summary["type"] == "event.summary"
    assert summary["events"] == [
        {
            "name": "viewed",
            "first": "1970-01-01T00:00:00.000+00:00",
            "last": "1970-01-02T00:00:00.000+00:00",
            "count": 2,
        }
    ]
    by_email = client.get("/events", params={"type": "user", "email": "lead@example.com"})
    assert by_email.status_code == 404  # email and user_id find users only
    assert (
        error_code(client.get("/events", params={"intercom_user_id": lead}))
        == "parameter_not_found"
    )
    assert error_code(client.get("/events", params={"type": "user"})) == "parameter_not_found"
    assert error_code(
        client.get("/events", params={"type": "company", "intercom_user_id": lead})
    ) == ("parameter_invalid")


# -- auth, versions, unknown routes ----------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic test-token"},
        {"Authorization": "test-token"},
    ],
)
def test_requests_without_the_token_are_401(fake: FakeIntercom, headers: dict[str, str]) -> None:
    cid = fake.add_contact()
    with httpx.Client(transport=fake, base_url=BASE, headers=headers) as http:
        response = http.delete(f"/contacts/{cid}")
    assert response.status_code == 401
    assert response.json()["errors"] == [
        {"code": "unauthorized", "message": "Access Token Invalid"}
    ]
    assert "X-RateLimit-Limit" not in response.headers
    assert fake.contact(cid) is not None
    (recorded,) = fake.requests
    assert recorded.authorized is False
    assert recorded.status == 401


def test_the_token_is_never_recorded(fake: FakeIntercom) -> None:
    secret = "tok-7f3a9c1e"
    fake = FakeIntercom(secret)
    with httpx.Client(transport=fake, base_url=BASE) as http:
        assert (
            http.get("/contacts", headers={"Authorization": f"bearer {secret}"}).status_code == 200
        )
        http.get("/contacts", headers={"Authorization": "Bearer other-secret"})
    assert secret not in repr(fake.requests)
    assert "other-secret" not in repr(fake.requests)
    assert secret not in repr(fake)


def test_intercom_version_is_recorded_and_checked(fake: FakeIntercom, client: httpx.Client) -> None:
    client.get("/contacts")
    client.get("/contacts", headers={"Intercom-Version": "Unstable"})
    bad = client.get("/contacts", headers={"Intercom-Version": "9.9"})
    assert bad.status_code == 400
    assert error_code(bad) == "intercom_version_invalid"
    with httpx.Client(
        transport=fake, base_url=BASE, headers={"Authorization": "Bearer test-token"}
    ) as http:
        http.get("/contacts")
    assert [r.intercom_version for r in fake.requests] == ["2.14", "Unstable", "9.9", None]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/contacts/"),
        ("PATCH", "/contacts/abc"),
        ("GET", "/contacts/abc/segments/1"),
        ("GET", "/admins"),
        ("GET", "/conversations/search"),
        ("POST", "/contacts/abc"),
    ],
)
def test_unknown_routes_are_404(
    fake: FakeIntercom, client: httpx.Client, method: str, path: str
) -> None:
    response = client.request(method, path)
    assert response.status_code in (404,)
    # An unknown path names the route, never a missing object: no client may read it as absence.
    known = path == "/conversations/search"
    assert error_code(response) == ("not_found" if known else "route_not_found")
    expected = "UNKNOWN" if not known else "GET /conversations/{id}"
    assert fake.requests[-1].route == expected


# -- hostile identifiers ---------------------------------------------------------------------

HOSTILE_IDS = ["a/b", "..", ".", "x?y#z", "%41", "ü", "a b", "+", "%2F", "/", "\\", "'; DROP"]


@pytest.mark.parametrize("hostile", HOSTILE_IDS)
def test_hostile_ids_arrive_as_one_segment(
    fake: FakeIntercom, client: httpx.Client, hostile: str
) -> None:
    fake.add_contact(hostile, email="h@example.com")
    decoy = fake.add_contact("contacts", email="decoy@example.com")
    fake.add_note(hostile, body="<p>h</p>")

    got = client.get(f"/contacts/{encode_all(hostile)}")
    notes = client.get(f"/contacts/{encode_all(hostile)}/notes")

    assert got.status_code == 200
    assert got.json()["id"] == hostile
    assert notes.json()["total_count"] == 1
    recorded = fake.requests[0]
    assert recorded.segments == ("contacts", hostile)
    assert recorded.route == "GET /contacts/{id}"
    assert recorded.raw_path == f"/contacts/{encode_all(hostile)}"
    assert client.delete(f"/contacts/{encode_all(hostile)}").json()["id"] == hostile
    assert fake.contact(decoy) is not None
    assert client.get(f"/contacts/{encode_all(hostile)}").status_code == 404


def test_an_unencoded_slash_is_two_segments(fake: FakeIntercom, client: httpx.Client) -> None:
    fake.add_contact("a/b")
    response = client.get("/contacts/a/b")
    assert response.status_code == 404
    assert fake.requests[-1].route == "UNKNOWN"


# -- rate limiting ---------------------------------------------------------------------------


def test_rate_limit_windows_follow_the_clock() -> None:
    clock = Clock(1_000_005.0)
    fake = FakeIntercom(rate_limit=3, rate_window=10.0, clock=clock)
    with httpx.Client(transport=fake, base_url=BASE, headers=AUTH) as http:
        answers = [http.get("/contacts") for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
        assert {a.headers["X-RateLimit-Limit"] for a in answers} == {"3"}
        assert {a.headers["X-RateLimit-Reset"] for a in answers} == {"1000010"}
        assert error_code(answers[3]) == "rate_limit_exceeded"
        clock.now = 1_000_010.0
        fresh = http.get("/contacts")
        assert fresh.status_code == 200
        assert fresh.headers["X-RateLimit-Remaining"] == "2"
        assert fresh.headers["X-RateLimit-Reset"] == "1000020"
    assert fake.count() == 5
    assert fake.requests[3].status == 429


def test_rate_limit_can_be_switched_off(fake: FakeIntercom) -> None:
    fake = FakeIntercom(rate_limit=None)
    with httpx.Client(transport=fake, base_url=BASE, headers=AUTH) as http:
        response = http.get("/contacts")
    assert response.status_code == 200
    assert "X-RateLimit-Remaining" not in response.headers


def test_the_default_rate_limit_is_intercoms(client: httpx.Client) -> None:
    response = client.get("/contacts")
    assert response.headers["X-RateLimit-Limit"] == "1666"
    assert int(response.headers["X-RateLimit-Reset"]) % 10 == 0


# -- faults ----------------------------------------------------------------------------------


def test_fail_next_answers_with_an_error_list(fake: FakeIntercom, client: httpx.Client) -> None:
    cid = fake.add_contact()
    fake.fail_next(503, times=2, route="DELETE /contacts/{id}", headers={"Retry-After": "1"})
    fake.fail_next(500)

    assert client.get(f"/contacts/{cid}").status_code == 500
    first = client.delete(f"/contacts/{cid}")
    assert first.status_code == 503
    assert first.headers["Retry-After"] == "1"
    assert first.headers["X-RateLimit-Limit"] == "1666"
    assert error_code(first) == "server_error"
    assert client.delete(f"/contacts/{cid}").status_code == 503
    assert fake.contact(cid) is not None
    assert client.delete(f"/contacts/{cid}").status_code == 200
    assert fake.count("DELETE /contacts/{id}") == 3
    assert [r.fault for r in fake.requests] == ["fail", "fail", "fail", None]


def test_fail_route_persists_until_cleared(fake: FakeIntercom, client: httpx.Client) -> None:
    fake.fail_route("GET /contacts", 502)
    assert [client.get("/contacts").status_code for _ in range(3)] == [502, 502, 502]
    assert client.post("/contacts/search", json=search("email", "x")).status_code == 200
    fake.fail_next(429)
    assert client.get("/contacts").status_code == 429  # one-shot faults come first
    fake.clear_faults()
    assert client.get("/contacts").status_code == 200


def test_reset_next_drops_the_connection_before_processing(
    fake: FakeIntercom, client: httpx.Client
) -> None:
    cid = fake.add_contact()
    fake.reset_next(route="DELETE /contacts/{id}")
    with pytest.raises(httpx.ReadError):
        client.delete(f"/contacts/{cid}")
    assert fake.contact(cid) is not None
    assert fake.requests[-1].status == 0
    assert fake.requests[-1].fault == "reset"
    assert client.delete(f"/contacts/{cid}").status_code == 200


def test_reset_after_processing_applies_the_change(
    fake: FakeIntercom, client: httpx.Client
) -> None:
    cid = fake.add_contact()
    conversation = fake.add_conversation(cid)
    part = fake.add_part(conversation)
    fake.reset_next(route="POST /conversations/redact", after_processing=True)
    with pytest.raises(httpx.ReadError):
        client.post("/conversations/redact", json=_redact_part(conversation, part))
    assert fake.conversation(conversation)["conversation_parts"]["conversation_parts"][0][
        "redacted"
    ]
    fake.reset_next(after_processing=True)
    with pytest.raises(httpx.ReadError):
        client.delete(f"/contacts/{cid}")
    assert fake.contact(cid) is None
    assert client.delete(f"/contacts/{cid}").status_code == 404


def test_timeout_next_raises_read_timeout_unprocessed(
    fake: FakeIntercom, client: httpx.Client
) -> None:
    cid = fake.add_contact()
    fake.timeout_next(times=2)
    for _ in range(2):
        with pytest.raises(httpx.ReadTimeout):
            client.delete(f"/contacts/{cid}")
    assert fake.contact(cid) is not None
    assert [r.fault for r in fake.requests] == ["timeout", "timeout"]


def test_malformed_next_is_200_without_json(fake: FakeIntercom, client: httpx.Client) -> None:
    cid = fake.add_contact()
    fake.malformed_next(route="GET /contacts/{id}")
    client.get("/contacts")
    response = client.get(f"/contacts/{cid}")
    assert response.status_code == 200
    with pytest.raises(ValueError, match=r"."):
        response.json()
    assert client.get(f"/contacts/{cid}").json()["id"] == cid


def test_repeat_cursor_on_the_first_page_leads_back_to_it(
    fake: FakeIntercom, client: httpx.Client
) -> None:
    cid = fake.add_contact()
    for _ in range(3):
        fake.add_conversation(cid)
    fake.repeat_cursor_next()
    client.get(f"/contacts/{cid}")  # not paged: does not use the fault up
    first = client.post("/conversations/search", json=search("contact_ids", cid, per_page=2)).json()
    cursor = first["pages"]["next"]["starting_after"]
    again = client.post(
        "/conversations/search",
        json={
            **search("contact_ids", cid),
            "pagination": {"per_page": 2, "starting_after": cursor},
        },
    ).json()
    assert [c["id"] for c in again["conversations"]] == [c["id"] for c in first["conversations"]]
    assert fake.requests[-2].fault == "repeat_cursor"
    assert fake.requests[-1].fault is None


def test_repeat_cursor_on_a_later_page_returns_the_same_cursor(
    fake: FakeIntercom, client: httpx.Client
) -> None:
    for _ in range(5):
        fake.add_contact()
    first = client.get("/contacts", params={"per_page": 2}).json()
    cursor = first["pages"]["next"]["starting_after"]
    fake.repeat_cursor_next(times=2, route=None)
    for _ in range(2):
        page = client.get("/contacts", params={"per_page": 2, "starting_after": cursor}).json()
        assert page["pages"]["next"]["starting_after"] == cursor
    last = client.get("/contacts", params={"per_page": 2, "starting_after": cursor}).json()
    assert last["pages"]["next"]["starting_after"] != cursor


def test_faults_need_a_positive_count(fake: FakeIntercom) -> None:
    with pytest.raises(ValueError, match="times"):
        fake.fail_next(times=0)


# -- the log, threads, async, latency --------------------------------------------------------


def test_the_log_records_each_request(fake: FakeIntercom, client: httpx.Client) -> None:
    body = search("email", "a@example.com")
    client.post("/contacts/search", json=body)
    client.get("/events", params={"type": "user", "email": "a b@example.com"})
    search_request, events = fake.requests

    assert isinstance(search_request, RecordedRequest)
    assert search_request.method == "POST"
    assert search_request.route == "POST /contacts/search"
    assert search_request.path == "/contacts/search"
    assert search_request.json == body
    assert search_request.authorized is True
    assert search_request.status == 200
    assert events.query == {"type": "user", "email": "a b@example.com"}
    assert events.json is None
    assert events.status == 404
    assert fake.count() == 2
    assert fake.count("GET /events") == 1
    assert fake.count("GET /contacts/{id}") == 0
    fake.clear_log()
    assert fake.count() == 0
    assert fake.requests == []


def test_the_transport_can_be_shared_by_threads(fake: FakeIntercom) -> None:
    fake = FakeIntercom(rate_limit=None)
    cid = fake.add_contact()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with httpx.Client(transport=fake, base_url=BASE, headers=AUTH) as http:
                for _ in range(50):
                    assert http.get(f"/contacts/{cid}").status_code == 200
                    http.put(f"/contacts/{cid}", json={"name": "x"})
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert fake.count("GET /contacts/{id}") == 400
    assert fake.count() == 800


def test_async_clients_use_the_same_fake(fake: FakeIntercom) -> None:
    cid = fake.add_contact()

    async def run() -> list[int]:
        async with httpx.AsyncClient(transport=fake, base_url=BASE, headers=AUTH) as http:
            fake.timeout_next()
            with pytest.raises(httpx.ReadTimeout):
                await http.get(f"/contacts/{cid}")
            answers = await asyncio.gather(*(http.get(f"/contacts/{cid}") for _ in range(5)))
            return [a.status_code for a in answers]

    assert asyncio.run(run()) == [200] * 5
    assert fake.count() == 6


def test_latency_delays_every_request(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)  # the fake's latency, without the wait
    fake = FakeIntercom(latency=0.05)
    with httpx.Client(transport=fake, base_url=BASE, headers=AUTH) as http:
        http.get("/contacts")
        http.get("/contacts")
    assert slept == [0.05, 0.05]

    async def twice() -> None:
        async with httpx.AsyncClient(transport=fake, base_url=BASE, headers=AUTH) as http:
            await http.get("/contacts")
            await http.get("/contacts")

    waited: list[float] = []

    async def no_wait(seconds: float) -> None:
        waited.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", no_wait)
    asyncio.run(twice())
    assert waited == [0.05, 0.05]


def test_rate_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="rate_limit"):
        FakeIntercom(rate_limit=0)
    with pytest.raises(ValueError, match="rate_window"):
        FakeIntercom(rate_window=0)


def test_faults_can_be_given_when_the_fake_is_built() -> None:
    from dsr_resolvers.testing import InjectedFault

    fake = FakeIntercom(
        token="t",
        faults=[
            InjectedFault("fail", times=2, route="DELETE /contacts/{id}", status=429),
            InjectedFault("malformed", route="GET /contacts/{id}"),
            InjectedFault("fail", times=None, route="POST /tickets/search", status=500),
        ],
    )
    cid = fake.add_contact(email="a@example.com")
    auth = {"Authorization": "Bearer t"}
    with httpx.Client(transport=fake, base_url="https://api.intercom.io", headers=auth) as client:
        assert [client.delete(f"/contacts/{cid}").status_code for _ in range(3)] == [429, 429, 200]
        malformed = client.get(f"/contacts/{cid}")
        assert malformed.status_code == 200
        with pytest.raises(ValueError, match="Expecting value"):
            malformed.json()
        assert client.get(f"/contacts/{cid}").status_code == 404
        search = {"query": {"field": "contact_ids", "operator": "=", "value": cid}}
        assert {client.post("/tickets/search", json=search).status_code for _ in range(3)} == {500}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "reset", "times": None},
        {"kind": "fail", "times": 0},
        {"kind": "timeout", "after_processing": True},
    ],
)
def test_an_impossible_injected_fault_is_refused(kwargs: dict[str, Any]) -> None:
    from dsr_resolvers.testing import InjectedFault

    with pytest.raises(ValueError, match=r"\w"):
        InjectedFault(**kwargs)


def test_wait_for_wakes_as_requests_arrive_and_are_answered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    go, answer, returned = threading.Event(), threading.Event(), threading.Event()
    monkeypatch.setattr(time, "sleep", lambda _: answer.wait(60))  # latency ends on our word
    fake = FakeIntercom(latency=1.0)
    cid = fake.add_contact()
    assert not fake.wait_for(1, timeout=0)  # nothing sent yet: the bound passes, False
    seen: list[tuple[int, int]] = []

    def answered() -> bool:  # checked under the fake's lock, first at once, then at each change
        seen.append((fake.in_flight, fake.count()))
        go.set()
        if seen[-1] == (1, 0):  # arrived, not answered: let it be answered
            answer.set()
        return fake.count() >= 1

    def send() -> None:
        go.wait(60)
        with httpx.Client(transport=fake, base_url=BASE, headers=AUTH) as http:
            http.get(f"/contacts/{cid}")
            # A bound, not a measure: were the answer to wake no one, the waiter would sleep
            # on and this second request would be what wakes it.
            returned.wait(30)
            http.get(f"/contacts/{cid}")

    sender = threading.Thread(target=send)
    sender.start()
    assert fake.wait_for(answered, timeout=60)
    returned.set()
    sender.join(timeout=60)  # a guard, not a measure
    assert seen == [(0, 0), (1, 0), (0, 1)]  # woken as it arrived, then as it was answered
    assert fake.wait_for(2, route="GET /contacts/{id}", timeout=0)  # already true
    assert not fake.wait_for(1, route="DELETE /contacts/{id}", timeout=0)


def test_wait_for_refuses_a_route_with_a_function_and_a_negative_timeout() -> None:
    fake = FakeIntercom()
    with pytest.raises(ValueError, match="route"):
        fake.wait_for(lambda: True, route="GET /contacts")
    with pytest.raises(ValueError, match="timeout"):
        fake.wait_for(0, timeout=-1)


async def test_a_request_is_in_flight_from_arrival_to_answer_in_transport_mode() -> None:
    fake = FakeIntercom(latency=3600.0)  # the request stays in flight until it is cancelled
    async with httpx.AsyncClient(transport=fake, base_url=BASE, headers=AUTH) as http:
        asking = asyncio.create_task(http.get("/contacts"))
        for _ in range(1000):  # a few turns of the loop bring the request to the fake
            if fake.in_flight:
                break
            await asyncio.sleep(0)
        assert fake.in_flight == 1
        assert fake.count() == 0  # received, not yet answered, so not yet recorded
        asking.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asking
    assert fake.in_flight == 0
    assert fake.open_connections == 0  # never served: no connections at all
    fake.latency = 0.0
    with httpx.Client(transport=fake, base_url=BASE, headers=AUTH) as http:
        http.get("/contacts")
    assert (fake.in_flight, fake.count()) == (0, 1)
