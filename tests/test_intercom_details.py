"""Details an operator or a record of processing relies on, pinned one by one: the client's
configuration, the exact wording of details and errors, and edge cases of the exporter."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest

from dsr_resolvers import SubjectRef
from dsr_resolvers.intercom import (
    IncompleteConversationError,
    IntercomRedirectError,
    IntercomResolver,
    RateLimitedError,
    RectificationError,
)
from dsr_resolvers.intercom._http import shared_ssl_context
from dsr_resolvers.testing import FakeIntercom
from tests.paged_world import intercom_404

TOKEN = "tok_details"
CID = "cid-1"
REF = SubjectRef(kind="intercom", value=CID)


def answering(body: dict[str, Any] | None = None, status: int = 200) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, json=body or {}))


def no_item() -> httpx.Response:
    """An empty search answer: an erasure lists the contact's conversations and tickets first."""
    return httpx.Response(200, json={"conversations": [], "tickets": [], "pages": {}})


def not_found() -> httpx.MockTransport:
    return httpx.MockTransport(
        lambda request: no_item() if request.url.path.endswith("/search") else intercom_404()
    )


# -- the client each call builds --


def test_each_call_builds_a_client_with_the_shared_tls_context_timeout_and_no_redirects(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[dict[str, Any]] = []
    original = httpx.Client.__init__

    def spy(self: httpx.Client, **kwargs: Any) -> None:
        built.append(kwargs)
        original(self, **kwargs)

    monkeypatch.setattr(httpx.Client, "__init__", spy)

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no network in tests", request=request)

    monkeypatch.setattr(
        httpx.HTTPTransport, "handle_request", lambda self, request: refuse(request)
    )
    resolver = IntercomResolver(TOKEN, timeout=3.5)
    for _ in range(2):
        with pytest.raises(httpx.ConnectError):
            asyncio.run(resolver.erase_subject(REF))
    assert len(built) == 2
    for kwargs in built:
        assert kwargs["verify"] is shared_ssl_context()
        assert kwargs["timeout"] == 3.5
        assert kwargs["follow_redirects"] is False
        assert kwargs["base_url"] == "https://api.intercom.io"


def test_the_timeout_reaches_every_request() -> None:
    seen: list[Any] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return no_item() if request.url.path.endswith("/search") else intercom_404()

    asyncio.run(
        IntercomResolver(TOKEN, transport=httpx.MockTransport(handle), timeout=2.5).erase_subject(
            REF
        )
    )
    # The two searches, then DELETE answers not found, so the archived-contact probe
    # (unarchive) follows.
    assert seen == [{"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}] * 4


def test_a_redirect_is_not_followed_and_is_not_success() -> None:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(302, headers={"Location": "https://elsewhere.example/"})
    )
    with pytest.raises(IntercomRedirectError) as info:
        asyncio.run(IntercomResolver(TOKEN, transport=transport).erase_subject(REF))
    assert str(info.value) == (
        "the erase request was redirected (status=302); the base URL is not the Intercom API "
        "host: check the configured base_url or region"
    )


def test_an_attached_response_points_at_the_scrubbed_request() -> None:
    transport = answering(status=429)
    with pytest.raises(RateLimitedError) as info:
        asyncio.run(IntercomResolver(TOKEN, transport=transport).erase_subject(REF))
    assert info.value.response.request is info.value.request
    assert info.value.request.url.path == "/conversations/search"  # an erasure's first request


def test_httpx_log_line_shows_the_route_template(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="httpx"):
        asyncio.run(IntercomResolver(TOKEN, transport=not_found()).erase_subject(REF))
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert lines == [
        'HTTP Request: POST https://api.intercom.io/conversations/search "HTTP/1.1 200 OK"',
        'HTTP Request: POST https://api.intercom.io/tickets/search "HTTP/1.1 200 OK"',
        'HTTP Request: DELETE https://api.intercom.io/contacts/{id} "HTTP/1.1 404 Not Found"',
        "HTTP Request: POST https://api.intercom.io/contacts/{id}/unarchive"
        ' "HTTP/1.1 404 Not Found"',
    ]


# -- exact wording --


def test_the_wording_of_absence_details() -> None:
    resolver = IntercomResolver(TOKEN, transport=not_found())
    erasure = asyncio.run(resolver.erase_subject(REF))
    assert erasure.detail == (
        "Intercom answered not found for this id, also when asked to unarchive it;"
        " nothing to delete"
    )
    rectification = asyncio.run(resolver.rectify_subject(REF, {"name": "N"}))
    assert rectification.detail == (
        "Intercom answered not found for this id (as it does for an archived contact);"
        " nothing was corrected"
    )
    assert rectification.already_absent is True


def test_the_wording_of_rectification_errors() -> None:
    resolver = IntercomResolver(TOKEN, transport=answering())
    with pytest.raises(RectificationError) as unknown:
        asyncio.run(
            resolver.rectify_subject(REF, {"role": "lead", "email": "a@b.c", "owner_id": "1"})
        )
    assert str(unknown.value) == "intercom can rectify only email, name, phone (not owner_id, role)"
    with pytest.raises(RectificationError) as empty:
        asyncio.run(resolver.rectify_subject(REF, {}))
    assert str(empty.value) == "intercom can rectify only email, name, phone (no change given)"
    with pytest.raises(RectificationError) as typed:
        asyncio.run(resolver.rectify_subject(REF, {"name": 3}))  # type: ignore[dict-item]
    assert str(typed.value) == "rectified values must be text or None"


def test_the_wording_of_a_lookup_without_a_key() -> None:
    with pytest.raises(ValueError, match="at least one") as info:
        asyncio.run(IntercomResolver(TOKEN).find_contacts())
    assert str(info.value) == "give at least one of email, phone and external_id"


def test_the_wording_of_an_incomplete_conversation() -> None:
    parts = {"conversation_parts": [], "total_count": 501}

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/conversations/search":
            return httpx.Response(200, json={"conversations": [{"id": "9"}]})
        if request.url.path == "/conversations/9":
            return httpx.Response(200, json={"id": "9", "conversation_parts": parts})
        return httpx.Response(200, json={"id": CID})

    resolver = IntercomResolver(
        TOKEN, transport=httpx.MockTransport(handle), erasure_policy="redact_messages"
    )
    with pytest.raises(IncompleteConversationError) as info:
        asyncio.run(resolver.erase_subject(REF))
    assert str(info.value) == (
        "intercom shows only the 500 most recent parts of 1 conversation(s) of this subject,"
        " so the erase cannot be complete; handle those conversations (see conversation_ids)"
        " in Intercom's inbox, then run the erase again"
    )
    assert info.value.conversation_ids == ("9",)


# -- exporter edge cases --


def export_of(contact: dict[str, Any], **routes: Any) -> dict[str, str]:
    def handle(request: httpx.Request) -> httpx.Response:
        body = routes.get(request.url.path.replace("/", "_"), contact)
        return httpx.Response(200, json=body)

    resolver = IntercomResolver(TOKEN, transport=httpx.MockTransport(handle), sections=["events"])
    return {r.field: r.value for r in asyncio.run(resolver.export_subject(REF)).records}


def test_empty_objects_and_lists_count_as_empty_fields() -> None:
    fields = export_of(
        {"id": CID, "browser": {}, "os": [], "name": "", "email": None}, _events={"events": []}
    )
    assert fields == {}


def test_event_metadata_is_canonical_json_and_events_without_metadata_do_not_stop_the_rest() -> (
    None
):
    events = [
        {"event_name": "first", "created_at": 1},
        {"event_name": "second", "metadata": {"n": {"b": 1, "a": "Zürich"}}},
    ]
    fields = export_of({"id": CID}, _events={"events": events})
    assert fields["event.0.event_name"] == "first"
    assert fields["event.1.event_name"] == "second"
    assert fields["event.1.metadata.n"] == '{"a": "Zürich", "b": 1}'


def test_a_redacted_message_does_not_hide_the_ones_after_it() -> None:
    fake = FakeIntercom(token=TOKEN)
    contact_id = fake.add_contact(email="a@example.com")
    conversation = fake.add_conversation(
        contact_id, source_body="<p>first</p>", source_author="contact"
    )
    fake.add_part(conversation, author="contact", body="<p>second</p>")
    with httpx.Client(
        base_url="https://api.intercom.io",
        transport=fake,
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as client:
        source_id = client.get(f"/conversations/{conversation}").json()["source"]["id"]
        body = {"type": "source", "conversation_id": conversation, "source_id": source_id}
        client.post("/conversations/redact", json=body).raise_for_status()
    resolver = IntercomResolver(
        TOKEN, transport=fake, sections=["conversations"], export_messages=True
    )
    records = asyncio.run(
        resolver.export_subject(SubjectRef(kind="intercom", value=contact_id))
    ).records
    bodies = [r.value for r in records if r.field.endswith(".body")]
    assert bodies == ["<p>second</p>"]


# -- erasure counts and details count exactly --


def test_redaction_details_count_conversations_redactions_and_earlier_redactions() -> None:
    fake = FakeIntercom(token=TOKEN)
    contact_id = fake.add_contact(email="a@example.com")
    first = fake.add_conversation(contact_id, source_author="admin")
    fake.add_part(first, author="contact", body="<p>one</p>")
    fake.add_part(first, author="contact", body="<p>two</p>")
    second = fake.add_conversation(contact_id, source_author="admin")
    fake.add_part(second, author="contact", body="<p>three</p>")
    fake.add_conversation(contact_id, source_author="admin")
    resolver = IntercomResolver(TOKEN, transport=fake, erasure_policy="redact_messages")
    ref = SubjectRef(kind="intercom", value=contact_id)

    class LoseTheDelete(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "DELETE":
                raise httpx.ConnectError("reset before the delete", request=request)
            return fake.handle_request(request)

    interrupted = IntercomResolver(
        TOKEN, transport=LoseTheDelete(), erasure_policy="redact_messages"
    )
    with pytest.raises(httpx.ConnectError):
        asyncio.run(interrupted.erase_subject(ref))
    done = asyncio.run(resolver.erase_subject(ref))
    assert done.detail == (
        "redacted 0 message(s) the contact wrote in 3 conversation(s) (3 already redacted); "
        "then deleted the Intercom contact; Intercom documents that deleting a user or lead also"
        " removes their conversations, that CSAT ratings and comments stay, and that deleted"
        " data stays recoverable for 7 days"
    )
    assert done.counts == {
        "conversations_scanned": 3,
        "messages_redacted": 0,
        "messages_already_redacted": 3,
        "contacts_deleted": 1,
        "contacts_unarchived": 0,
    }
    again = asyncio.run(resolver.erase_subject(ref))
    assert again.counts["contacts_deleted"] == 0
    assert again.detail == (
        "Intercom answered not found for this id, also when asked to unarchive it; "
        "redacted 0 message(s) the contact wrote in 3 conversation(s) (3 already redacted)"
    )
    fresh = FakeIntercom(token=TOKEN)
    other = fresh.add_contact(email="b@example.com")
    talk = fresh.add_conversation(other, source_body="<p>hi</p>", source_author="contact")
    fresh.add_part(talk, author="contact", body="<p>bye</p>")
    result = asyncio.run(
        IntercomResolver(TOKEN, transport=fresh, erasure_policy="redact_messages").erase_subject(
            SubjectRef(kind="intercom", value=other)
        )
    )
    assert result.counts == {
        "conversations_scanned": 1,
        "messages_redacted": 2,
        "messages_already_redacted": 0,
        "contacts_deleted": 1,
        "contacts_unarchived": 0,
    }
    assert result.detail is not None
    expected = "redacted 2 message(s) the contact wrote in 1 conversation(s) (0 already redacted)"
    assert result.detail.startswith(expected)


def test_blank_bodies_are_not_messages_and_fields_name_their_conversation() -> None:
    fake = FakeIntercom(token=TOKEN)
    contact_id = fake.add_contact(email="a@example.com")
    conversation = fake.add_conversation(
        contact_id, source_body="<p>hello</p>", source_author="contact"
    )
    blank = fake.add_part(conversation, author="contact", body="   ")
    said = fake.add_part(conversation, author="contact", body="<p>said</p>")
    ref = SubjectRef(kind="intercom", value=contact_id)
    exporter = IntercomResolver(
        TOKEN, transport=fake, sections=["conversations"], export_messages=True
    )
    fields = {r.field: r.value for r in asyncio.run(exporter.export_subject(ref)).records}
    assert fields[f"conversation.{conversation}.source.body"] == "<p>hello</p>"
    assert fields[f"conversation.{conversation}.conversation_parts.{said}.body"] == "<p>said</p>"
    assert not any(blank in field for field in fields)
    plan = asyncio.run(
        IntercomResolver(TOKEN, transport=fake, erasure_policy="redact_messages").plan_erasure(ref)
    )
    assert plan.messages is not None
    assert (plan.messages.authored, plan.redactions) == (2, 2)
