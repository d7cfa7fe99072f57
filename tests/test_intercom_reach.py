"""Every place Intercom holds the person (issue 17): conversations' own data, email metadata,
tickets, calls and their transcripts, attributes held but not declared, exclusions with
reasons, redaction Intercom already did, objection to marketing and custom-attribute
rectification. All through FakeIntercom, every exchange checked against the OpenAPI file."""

from __future__ import annotations

import pickle
from typing import Any

import httpx
import pytest

from dsr_resolvers import SubjectRef
from dsr_resolvers.intercom import (
    IntercomRejectedError,
    IntercomResolver,
    MarketingObjection,
    ObjectionNotConfirmedError,
    RectificationError,
)
from dsr_resolvers.testing import FakeIntercom
from tests.openapi_spec import Validating

TOKEN = "tok_reach_SECRET"
PHOTO = {
    "name": "me.png",
    "url": "https://files.example/me.png",
    "content_type": "image/png",
    "filesize": 100,
}


def ref(contact_id: str) -> SubjectRef:
    return SubjectRef(kind="intercom", value=contact_id)


def resolver(transport: httpx.BaseTransport, **options: Any) -> IntercomResolver:
    return IntercomResolver(TOKEN, transport=Validating(transport), **options)


def fields(export: Any) -> dict[str, str]:
    return {r.field: r.value for r in export.records}


# -- conversations ---------------------------------------------------------------------------


async def test_conversations_export_title_tags_url_and_declared_attributes_only() -> None:
    fake = FakeIntercom(token=TOKEN)
    ada = fake.add_contact(
        email="ada@example.com", custom_attributes={"plan": "gold-tier-7", "score": 7}
    )
    conversation = fake.add_conversation(
        ada,
        title="Engines",
        source_url="https://example.com/pricing",
        tags=["billing", "vip"],
        custom_attributes={"topic": "refund", "mood": "annoyed", "empty": ""},
    )
    subject = resolver(fake, conversation_attributes={"topic": "behavioral"})

    export = await subject.export_subject(ref(ada))

    got = fields(export)
    assert got[f"conversation.{conversation}.title"] == "Engines"
    assert got[f"conversation.{conversation}.source.url"] == "https://example.com/pricing"
    tags = sorted(v for f, v in got.items() if f.startswith(f"conversation.{conversation}.tags."))
    assert tags == ["billing", "vip"]
    assert got[f"conversation.{conversation}.custom_attributes.topic"] == "refund"
    assert not any(f.endswith(".mood") for f in got)
    # Held but not declared: named (as globs), never shown; empty values are not held.
    assert export.held_not_exported == (
        "contact.custom_attributes.plan",
        "contact.custom_attributes.score",
        "conversation.*.custom_attributes.mood",
    )
    assert "annoyed" not in repr(export)
    assert "gold-tier-7" not in str(export.held_not_exported)


async def test_email_metadata_exports_only_the_persons_own_addresses() -> None:
    fake = FakeIntercom(token=TOKEN)
    ada = fake.add_contact(email="Ada@Example.com")
    conversation = fake.add_conversation(ada)
    part = fake.add_part(
        conversation,
        author="admin",
        email_headers=[
            {"type": "from", "email_address": "support@workspace.example", "name": "Support"},
            {"type": "to", "email_address": "ada@example.com", "name": "Ada"},
            {"type": "cc", "email_address": "bob@example.org", "name": "Bob"},
        ],
    )

    export = await resolver(fake, export_messages=True).export_subject(ref(ada))

    headers = {f: v for f, v in fields(export).items() if ".email_headers." in f}
    prefix = f"conversation.{conversation}.conversation_parts.{part}.email_headers.1."
    assert headers == {
        prefix + "type": "to",
        prefix + "email_address": "ada@example.com",
        prefix + "name": "Ada",
    }
    values = {r.value for r in export.records}
    assert not values & {"bob@example.org", "support@workspace.example", "Bob"}  # Art. 15(4)


# -- tickets ---------------------------------------------------------------------------------


async def test_tickets_export_the_persons_parts_and_declared_attributes_in_one_request() -> None:
    fake = FakeIntercom(token=TOKEN)
    ada = fake.add_contact(email="ada@example.com")
    ticket = fake.add_ticket(ada, attributes={"serial": "AE-1", "internal_cost": 12})
    mine = fake.add_ticket_part(ticket, body="<p>See photo</p>", attachments=[PHOTO])
    fake.add_ticket_part(ticket, author="admin", body="<p>Admin reply</p>")
    subject = resolver(fake, sections=["tickets"], ticket_attributes={"serial": "identity"})

    export = await subject.export_subject(ref(ada))

    got = fields(export)
    assert got[f"ticket.{ticket}.ticket_parts.{mine}.body"] == "<p>See photo</p>"
    assert got[f"ticket.{ticket}.ticket_parts.{mine}.attachments.0.name"] == "me.png"
    assert "<p>Admin reply</p>" not in got.values()
    assert got[f"ticket.{ticket}.ticket_attributes.serial"] == "AE-1"
    assert export.held_not_exported == ("ticket.*.ticket_attributes.internal_cost",)
    assert [r.route for r in fake.requests] == ["GET /contacts/{id}", "POST /tickets/search"]


# -- calls -----------------------------------------------------------------------------------


async def test_calls_are_searched_twenty_conversations_a_request() -> None:
    fake = FakeIntercom(token=TOKEN)
    ada = fake.add_contact(email="ada@example.com")
    conversations = [fake.add_conversation(ada) for _ in range(21)]
    last_call = fake.add_call(conversations[-1], phone="+442079460000", answered_at=100)
    subject = resolver(fake, sections=["calls"])

    export = await subject.export_subject(ref(ada))

    searches = [r for r in fake.requests if r.route == "POST /calls/search"]
    assert [len(r.json["conversation_ids"]) for r in searches] == [20, 1]
    got = fields(export)
    assert got[f"call.{last_call}.phone"] == "+442079460000"
    assert got[f"call.{last_call}.direction"] == "inbound"
    assert got[f"call.{last_call}.answered_at"] == "1970-01-01T00:01:40Z"
    assert got[f"call.{last_call}.has_recording"] == "false"
    assert f"call.{last_call}.ended_at" not in got  # never ended: Intercom sends no time


async def test_no_conversation_costs_no_call_search() -> None:
    fake = FakeIntercom(token=TOKEN)
    ada = fake.add_contact(email="ada@example.com")
    await resolver(fake, sections=["conversations", "calls"]).export_subject(ref(ada))
    assert fake.count("POST /calls/search") == 0


async def test_a_transcript_gives_the_persons_turns_and_marks_unattributed_ones() -> None:
    fake = FakeIntercom(token=TOKEN)
    ada = fake.add_contact(email="ada@example.com")
    bob = fake.add_contact(email="bob@example.com")
    conversation = fake.add_conversation(ada)
    attributed = fake.add_call(
        conversation,
        transcript=[
            {
                "speaker_label": "Teammate 1",
                "speaker_type": "admin",
                "speaker_id": "9",
                "start_time": 0,
                "end_time": 2,
                "content": "How can I help?",
            },
            {
                "speaker_label": "Customer 1",
                "speaker_type": "user",
                "speaker_id": ada,
                "start_time": 2,
                "end_time": 5,
                "content": "My engine broke",
            },
            {
                "speaker_label": "Customer 2",
                "speaker_type": "user",
                "speaker_id": bob,
                "start_time": 5,
                "end_time": 6,
                "content": "Mine too",
            },
        ],
    )
    unattributed = fake.add_call(
        conversation,
        transcript=[
            {
                "speaker_label": "Speaker 1",
                "start_time": "0.0",
                "end_time": "1.5",
                "content": "Hello",
            },
            {
                "speaker_label": "Speaker 2",
                "start_time": "1.5",
                "end_time": "3.0",
                "content": "Calling about the engine",
            },
        ],
    )
    others = fake.add_call(conversation, contact_id=bob)

    plain = fields(await resolver(fake).export_subject(ref(ada)))
    assert not any(".transcript." in f or "unattributed_transcript" in f for f in plain)
    assert plain[f"call.{attributed}.has_transcript"] == "true"
    assert f"call.{others}.state" not in plain  # another person's call in the conversation

    got = fields(await resolver(fake, export_messages=True).export_subject(ref(ada)))
    said = {f: v for f, v in got.items() if f.endswith(".content")}
    assert said == {
        f"call.{attributed}.transcript.1.content": "My engine broke",
        f"call.{unattributed}.unattributed_transcript.0.content": "Hello",
        f"call.{unattributed}.unattributed_transcript.1.content": "Calling about the engine",
    }
    assert got[f"call.{unattributed}.unattributed_transcript.1.start_time"] == "1.5"


# -- cost ------------------------------------------------------------------------------------


async def test_a_default_export_of_a_contact_with_three_conversations_costs_eleven_requests() -> (
    None
):
    fake = FakeIntercom(token=TOKEN)
    ada = fake.add_contact(email="ada@example.com")
    fake.tag_contact(ada, "vip")
    fake.add_company_to_contact(ada, name="Engines Ltd")
    fake.add_note(ada, body="<p>note</p>")
    for _ in range(3):
        fake.add_call(fake.add_conversation(ada))
    fake.add_ticket(ada)

    await resolver(fake).export_subject(ref(ada))

    # 10 before calls were exported (a contact with tags, a company and a note), plus one
    # calls search for up to 20 conversations: the 11 docs/performance.md gives.
    assert len(fake.requests) == 11
    assert fake.count("POST /calls/search") == 1


# -- surface ---------------------------------------------------------------------------------


def test_the_surface_names_each_unreachable_place_with_its_reason() -> None:
    surface = IntercomResolver(TOKEN).covered_surface
    by_field = {e.field: e for e in surface.exclusions}
    for place in (
        "visitor.*",
        "reporting.*",
        "outbound_message.*",
        "admin_activity_log.*",
        "fin_agent_input.*",
        "custom_object.*",
    ):
        assert by_field[place].reason
    assert by_field["visitor.*"].retention == "Intercom removes a visitor not seen for 9 months"
    assert "deleted conversations still appear" in by_field["reporting.*"].reason
    assert "conversation.*.custom_attributes.*" in by_field  # none declared
    covered = {f.field for f in surface.fields}
    assert {"call.*.phone", "conversation.*.title", "conversation.*.tags.*.name"} <= covered


# -- redaction Intercom already did ----------------------------------------------------------


class RedactedMeanwhile(httpx.BaseTransport):
    """Before the first redaction request reaches the fake, the same redaction is done
    behind the library's back (another erasure, a teammate): the fake then answers 400."""

    def __init__(self, fake: FakeIntercom) -> None:
        self.fake = fake
        self.raced = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/conversations/redact" and not self.raced:
            self.raced = True
            first = self.fake.handle_request(request)
            assert first.status_code == 200
        return self.fake.handle_request(request)


async def test_a_400_on_a_part_intercom_shows_redacted_counts_as_already_redacted() -> None:
    fake = FakeIntercom(token=TOKEN)
    ada = fake.add_contact(email="ada@example.com")
    conversation = fake.add_conversation(ada, source_author="admin")
    fake.add_part(conversation, body="<p>my card is 4111</p>")
    subject = resolver(RedactedMeanwhile(fake), erasure_policy="redact_messages")

    erasure = await subject.erase_subject(ref(ada))

    assert erasure.counts["messages_redacted"] == 0
    assert erasure.counts["messages_already_redacted"] == 1
    assert erasure.counts["contacts_deleted"] == 1
    statuses = [(r.route, r.status) for r in fake.requests]
    assert ("POST /conversations/redact", 400) in statuses
    assert statuses[-1] == ("DELETE /contacts/{id}", 200)


async def test_a_400_on_a_part_intercom_does_not_show_redacted_stands() -> None:
    fake = FakeIntercom(token=TOKEN)
    ada = fake.add_contact(email="ada@example.com")
    conversation = fake.add_conversation(ada, source_author="admin")
    fake.add_part(conversation, body="<p>my card is 4111</p>")
    fake.fail_next(400, route="POST /conversations/redact")

    with pytest.raises(IntercomRejectedError) as refused:
        await resolver(fake, erasure_policy="redact_messages").erase_subject(ref(ada))

    assert refused.value.status_code == 400
    assert fake.contact(ada) is not None  # nothing deleted after an unexplained refusal
    assert fake.count("DELETE /contacts/{id}") == 0


# -- objection (Art. 21) ---------------------------------------------------------------------


def marketed(fake: FakeIntercom) -> tuple[str, dict[str, str]]:
    ada = fake.add_contact(email="ada@example.com")
    types = {
        "news": fake.add_subscription_type("Newsletter", "opt_out"),
        "tips": fake.add_subscription_type("Tips", "opt_out"),
        "offers": fake.add_subscription_type("Offers", "opt_in"),
        "beta": fake.add_subscription_type("Beta", "opt_in"),
    }
    fake.set_subscription(ada, "Tips", "opt_out")  # already opted out
    fake.set_subscription(ada, "Offers", "opt_in")  # opted in
    return ada, types


async def test_an_objection_turns_off_every_marketing_switch_and_reads_it_back() -> None:
    fake = FakeIntercom(token=TOKEN)
    ada, types = marketed(fake)

    result = await resolver(fake).object_to_marketing(ref(ada))

    assert result.fields == ("unsubscribed_from_emails",)
    assert set(result.subscription_types) == {types["news"], types["offers"]}
    assert not result.dry_run
    assert not result.already_absent
    contact = fake.contact(ada)
    assert contact is not None
    assert contact["unsubscribed_from_emails"] is True
    sent = [r.json for r in fake.requests if r.route == "POST /contacts/{id}/subscriptions"]
    assert all(body["consent_type"] == "opt_out" for body in sent)

    again = await resolver(fake).object_to_marketing(ref(ada))
    assert again.fields == ()
    assert again.subscription_types == ()


async def test_an_objection_dry_run_only_reads() -> None:
    fake = FakeIntercom(token=TOKEN)
    ada, types = marketed(fake)

    plan = await resolver(fake).object_to_marketing(ref(ada), dry_run=True)

    assert plan.dry_run
    assert plan.fields == ("unsubscribed_from_emails",)
    assert set(plan.subscription_types) == {types["news"], types["offers"]}
    assert {r.method for r in fake.requests} == {"GET"}


async def test_an_objection_reaches_an_archived_contact_and_archives_it_again() -> None:
    fake = FakeIntercom(token=TOKEN)
    ada, _ = marketed(fake)
    fake.archive_contact(ada)

    result = await resolver(fake).object_to_marketing(ref(ada))

    assert result.archived
    assert result.fields == ("unsubscribed_from_emails",)
    assert fake.is_archived(ada)


async def test_an_objection_for_nobody_is_already_absent() -> None:
    fake = FakeIntercom(token=TOKEN)
    result = await resolver(fake).object_to_marketing(ref("nobody-000"))
    assert result == MarketingObjection(found=False, already_absent=True, detail=result.detail)


class IgnoresOptOut(httpx.BaseTransport):
    """Answers an opt-out as accepted without passing it on: the read-back must catch it."""

    def __init__(self, fake: FakeIntercom) -> None:
        self.fake = fake

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/subscriptions"):
            listed = self.fake.handle_request(
                httpx.Request(
                    "GET", "https://api.intercom.io/subscription_types", headers=request.headers
                )
            )
            listed.read()
            return httpx.Response(200, json=listed.json()["data"][0], request=request)
        return self.fake.handle_request(request)


async def test_an_objection_intercom_does_not_show_raises() -> None:
    fake = FakeIntercom(token=TOKEN)
    ada, types = marketed(fake)

    with pytest.raises(ObjectionNotConfirmedError) as failed:
        await IntercomResolver(TOKEN, transport=IgnoresOptOut(fake)).object_to_marketing(ref(ada))

    assert set(failed.value.subscription_types) == {types["news"], types["offers"]}
    assert failed.value.fields == ()
    copy = pickle.loads(pickle.dumps(failed.value))  # noqa: S301 - our own bytes
    assert str(copy) == str(failed.value)
    assert copy.subscription_types == failed.value.subscription_types
    assert ada not in str(failed.value)


# -- rectification of custom attributes ------------------------------------------------------


async def test_rectification_corrects_declared_custom_attributes() -> None:
    fake = FakeIntercom(token=TOKEN)
    ada = fake.add_contact(email="ada@example.com", custom_attributes={"plan": "free"})
    subject = resolver(fake, custom_attributes={"plan": "behavioral"})
    assert "custom_attributes.plan" in subject.correctable_fields

    result = await subject.rectify_subject(ref(ada), {"custom_attributes.plan": "pro", "name": "A"})

    assert result.fields == ("custom_attributes.plan", "name")
    [sent] = [r.json for r in fake.requests if r.route == "PUT /contacts/{id}"]
    assert sent == {"name": "A", "custom_attributes": {"plan": "pro"}}
    contact = fake.contact(ada)
    assert contact is not None
    assert contact["custom_attributes"]["plan"] == "pro"


async def test_rectification_refuses_undeclared_custom_attributes_before_any_request() -> None:
    fake = FakeIntercom(token=TOKEN)
    ada = fake.add_contact(email="ada@example.com", custom_attributes={"plan": "free"})

    with pytest.raises(RectificationError, match="declare a custom attribute"):
        await resolver(fake).rectify_subject(ref(ada), {"custom_attributes.plan": "pro"})

    assert fake.requests == []
