"""Full Art. 15 export, the erasure policies, rectification, lookup and verification,
all through FakeIntercom, with every request and response checked against the OpenAPI file."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from dsr_resolvers import PiiCategory, RectifyingResolver, ResolverError, SubjectRef
from dsr_resolvers.intercom import (
    ExportSection,
    IncompleteConversationError,
    IntercomRejectedError,
    IntercomResolver,
    RectificationError,
)
from dsr_resolvers.testing import FakeIntercom
from tests.openapi_spec import Validating

TOKEN = "tok_coverage_SECRET"


def ref(contact_id: str) -> SubjectRef:
    return SubjectRef(kind="intercom", value=contact_id)


def resolver(fake: FakeIntercom, **options: Any) -> IntercomResolver:
    return IntercomResolver(TOKEN, transport=Validating(fake), **options)


PLAN = {
    "name": "plan.pdf",
    "url": "https://files.example/plan.pdf",
    "content_type": "application/pdf",
    "filesize": 2048,
}
PHOTO = {
    "name": "me.png",
    "url": "https://files.example/me.png",
    "content_type": "image/png",
    "filesize": 100,
    "width": 10,
    "height": 10,
}


def populate_fully(fake: FakeIntercom) -> tuple[str, str]:
    """A contact with every field the exporter knows about, and a bystander in its chat."""
    contact_id = fake.add_contact(
        email="ada@example.com",
        name="Ada Lovelace",
        phone="+44 20 7946 0000",
        external_id="ada-1",
        location={"country": "United Kingdom", "region": "England", "city": "London"},
        browser="firefox",
        browser_version="120.0",
        browser_language="en-GB",
        os="Linux",
        social_profiles=[{"name": "Twitter", "url": "https://twitter.com/ada"}],
        language_override="en",
        avatar="https://example.com/ada.png",
        custom_attributes={"plan": "pro", "internal_score": 7},
        signed_up_at=1_600_000_000,
        last_seen_at=1_700_000_000,
        last_replied_at=1_700_000_100,
        last_contacted_at=1_700_000_200,
        last_email_opened_at=1_700_000_300,
        last_email_clicked_at=1_700_000_400,
        unsubscribed_from_emails=True,
        has_hard_bounced=False,
        marked_email_as_spam=False,
        device={
            "android_app_name": "Ada",
            "android_app_version": "1.0",
            "android_device": "Pixel",
            "android_os_version": "14",
            "android_sdk_version": "34",
            "android_last_seen_at": 1_700_000_500,
            "ios_app_name": "Ada",
            "ios_app_version": "1.1",
            "ios_device": "iPhone",
            "ios_os_version": "17",
            "ios_sdk_version": "17",
            "ios_last_seen_at": 1_700_000_600,
        },
        utm={
            "utm_campaign": "spring",
            "utm_content": "banner",
            "utm_medium": "email",
            "utm_source": "newsletter",
            "utm_term": "engines",
        },
        referrer="https://example.org/",
    )
    bystander = fake.add_contact(email="bob@example.com", name="Bob", role="lead")
    fake.tag_contact(contact_id, "VIP")
    fake.add_company_to_contact(contact_id, name="Analytical Engines Ltd")
    fake.add_note(contact_id, body="<p>Asked about her account</p>")
    fake.add_segment(contact_id, "Active engineers")
    fake.set_subscription(contact_id, "Newsletter", "opt_out")
    conversation = fake.add_conversation(
        contact_id,
        source_body="<p>Hello</p>",
        source_author="contact",
        subject="Engines",
        source_attachments=[PLAN],
        title="Engines",
        source_url="https://example.com/engines",
        tags=["billing"],
        custom_attributes={"topic": "engines", "sentiment": "calm"},
    )
    fake.add_part(
        conversation, author="contact", body="<p>My address is …</p>", attachments=[PHOTO]
    )
    fake.add_part(
        conversation,
        author="admin",
        body="<p>Thanks Ada</p>",
        email_headers=[
            {"type": "from", "email_address": "support@workspace.example", "name": "Support"},
            {"type": "to", "email_address": "ada@example.com", "name": "Ada"},
            {"type": "cc", "email_address": "bob@example.com", "name": "Bob"},
        ],
    )
    fake.add_part(conversation, author=bystander, body="<p>Bob here</p>")
    fake.add_part(conversation, author="bot", body="<p>Rate us</p>")
    fake.rate_conversation(conversation, 4, remark="Quick, but I had to repeat my address")
    ticket = fake.add_ticket(
        contact_id,
        title="Engine broke",
        description="It stopped at step 3",
        attributes={"serial": "AE-1", "internal_cost": 12},
    )
    fake.add_ticket_part(ticket, body="<p>Photo attached</p>", attachments=[PHOTO])
    fake.add_ticket_part(ticket, author="admin", body="<p>On it</p>")
    fake.add_call(
        conversation,
        phone="+442079460000",
        answered_at=1_700_000_010,
        ended_at=1_700_000_070,
        recording=True,
        transcript=[
            {
                "speaker_label": "Teammate 1",
                "speaker_type": "admin",
                "speaker_id": "1",
                "start_time": 0,
                "end_time": 2,
                "content": "Hello",
            },
            {
                "speaker_label": "Customer 1",
                "speaker_type": "user",
                "speaker_id": contact_id,
                "start_time": 2,
                "end_time": 5,
                "content": "My engine broke",
            },
        ],
    )
    fake.add_call(
        conversation,
        transcript=[
            {
                "speaker_label": "Speaker 2",
                "start_time": "0.5",
                "end_time": "2.0",
                "content": "Calling about the engine",
            }
        ],
    )
    fake.add_event(contact_id, event_name="ordered-engine", metadata={"order": "42"})
    return contact_id, bystander


CONFIGURATIONS: list[dict[str, Any]] = [
    {},
    {"export_messages": True},
    {"custom_attributes": {"plan": PiiCategory.BEHAVIORAL}},
    {
        "export_messages": True,
        "custom_attributes": {"plan": "behavioral", "internal_score": "special"},
    },
    {"sections": ["conversations"]},
    {"sections": ["tags", "notes", "events"], "erasure_policy": "redact_messages"},
    {"sections": [], "erasure_policy": "redact_messages"},
    {"export_messages": True, "erasure_policy": "redact_messages"},
    {
        "export_messages": True,
        "conversation_attributes": {"topic": "behavioral"},
        "ticket_attributes": {"serial": "identity"},
    },
    {"sections": ["calls"], "export_messages": False},
]


@pytest.mark.parametrize("options", CONFIGURATIONS)
async def test_covered_surface_equals_exported_fields_for_a_fully_populated_contact(
    options: dict[str, Any],
) -> None:
    fake = FakeIntercom(token=TOKEN)
    contact_id, _ = populate_fully(fake)
    subject = resolver(fake, **options)
    export = await subject.export_subject(ref(contact_id))
    surface = subject.covered_surface
    outside = [r.field for r in export.records if not surface.admits(r)]
    assert not outside, f"exported outside the surface: {outside}"
    unexercised = [
        f.field for f in surface.fields if not any(f.matches(r.field) for r in export.records)
    ]
    assert not unexercised, f"declared but never exported: {unexercised}"


async def test_full_export_has_every_section_with_fitting_categories() -> None:
    fake = FakeIntercom(token=TOKEN)
    contact_id, _ = populate_fully(fake)
    export = await resolver(fake, export_messages=True).export_subject(ref(contact_id))
    by_field = {r.field: r for r in export.records}
    expectations = {
        "contact.email": (PiiCategory.CONTACT, "ada@example.com"),
        "contact.external_id": (PiiCategory.IDENTITY, "ada-1"),
        "contact.location.city": (PiiCategory.LOCATION, "London"),
        "contact.browser": (PiiCategory.TECHNICAL, "firefox"),
        "contact.ios_device": (PiiCategory.TECHNICAL, "iPhone"),
        "contact.last_seen_at": (PiiCategory.BEHAVIORAL, "2023-11-14T22:13:20Z"),
        "contact.unsubscribed_from_emails": (PiiCategory.BEHAVIORAL, "true"),
        "contact.social_profiles.0.url": (PiiCategory.IDENTITY, "https://twitter.com/ada"),
        "contact.avatar.image_url": (PiiCategory.IDENTITY, "https://example.com/ada.png"),
    }
    for field, (category, value) in expectations.items():
        assert (by_field[field].category, by_field[field].value) == (category, value), field
    values = {r.value for r in export.records}
    assert {
        "VIP",
        "Analytical Engines Ltd",
        "<p>Asked about her account</p>",
        "ordered-engine",
    } <= values
    assert by_field["event.0.metadata.order"].value == "42"
    assert any(r.field.startswith("ticket.") for r in export.records)
    assert "pro" not in values  # an undeclared custom attribute stays out


async def test_messages_export_only_what_the_contact_wrote() -> None:
    fake = FakeIntercom(token=TOKEN)
    contact_id, _ = populate_fully(fake)
    export = await resolver(fake, export_messages=True).export_subject(ref(contact_id))
    messages = {r.value for r in export.records if r.category is PiiCategory.COMMUNICATION}
    assert "<p>Hello</p>" in messages
    assert "<p>My address is …</p>" in messages
    for foreign in ("<p>Thanks Ada</p>", "<p>Bob here</p>", "<p>Rate us</p>"):
        assert foreign not in messages


async def test_declared_custom_attributes_are_exported_with_their_category() -> None:
    fake = FakeIntercom(token=TOKEN)
    contact_id, _ = populate_fully(fake)
    subject = resolver(fake, custom_attributes={"plan": "behavioral"}, sections=[])
    export = await subject.export_subject(ref(contact_id))
    custom = [r for r in export.records if r.field.startswith("contact.custom_attributes.")]
    assert [(r.field, r.category, r.value) for r in custom] == [
        ("contact.custom_attributes.plan", PiiCategory.BEHAVIORAL, "pro")
    ]


@pytest.mark.parametrize(
    ("options", "routes"),
    [
        ({"sections": []}, ["GET /contacts/{id}"]),
        ({"sections": ["conversations"]}, ["GET /contacts/{id}", "POST /conversations/search"]),
        (
            {},
            [
                "GET /contacts/{id}",
                "GET /contacts/{id}/tags",
                "GET /contacts/{id}/companies",
                "GET /contacts/{id}/notes",
                "GET /contacts/{id}/segments",
                "GET /contacts/{id}/subscriptions",
                "POST /conversations/search",
                "POST /tickets/search",
                "POST /calls/search",
                "GET /events",
                "GET /events",
            ],
        ),
        (
            {"export_messages": True, "sections": ["conversations"]},
            ["GET /contacts/{id}", "POST /conversations/search", "GET /conversations/{id}"],
        ),
    ],
)
async def test_no_request_for_a_section_that_is_not_enabled(
    options: dict[str, Any], routes: list[str]
) -> None:
    fake = FakeIntercom(token=TOKEN)
    contact_id, _ = populate_fully(fake)
    await resolver(fake, **options).export_subject(ref(contact_id))
    assert [r.route for r in fake.requests] == routes


async def test_empty_tag_company_and_note_lists_cost_no_request() -> None:
    fake = FakeIntercom(token=TOKEN)
    contact_id = fake.add_contact(email="plain@example.com")
    await resolver(fake).export_subject(ref(contact_id))
    assert fake.count("GET /contacts/{id}/tags") == 0
    assert fake.count("GET /contacts/{id}/companies") == 0
    assert fake.count("GET /contacts/{id}/notes") == 0


async def test_an_absent_contact_is_one_request_whatever_the_sections() -> None:
    fake = FakeIntercom(token=TOKEN)
    export = await resolver(fake, export_messages=True).export_subject(ref("nobody"))
    assert export.records == ()
    assert fake.count() == 1


async def test_a_conversation_listed_only_in_part_is_an_error_not_a_silent_cut() -> None:
    def truncated(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.startswith("/contacts/"):
            return httpx.Response(200, json={"type": "contact", "id": "c1"})
        if path == "/conversations/search":
            return httpx.Response(200, json={"conversations": [{"id": "9"}]})
        part = {"id": "1", "body": "x", "author": {"type": "user", "id": "c1"}}
        parts = {"conversation_parts": [part], "total_count": 501}
        return httpx.Response(200, json={"id": "9", "conversation_parts": parts})

    subject = IntercomResolver(
        TOKEN,
        transport=httpx.MockTransport(truncated),
        export_messages=True,
        sections=["conversations"],
    )
    with pytest.raises(IncompleteConversationError) as info:
        await subject.export_subject(ref("c1"))
    assert isinstance(info.value, ResolverError)
    assert "c1" not in str(info.value)


def test_bad_options_are_value_errors() -> None:
    sections = (
        "tags, companies, notes, conversations, messages, tickets, events, segments,"
        " subscriptions, event_summaries, calls"
    )
    for options, message in (
        (
            {"erasure_policy": "shred"},
            "unknown erasure policy 'shred'; use delete_contact, redact_messages,"
            " delete_conversations",
        ),
        ({"sections": ["gossip"]}, f"unknown export section; use some of {sections}"),
        (
            {"sections": ["tags"], "export_messages": True},
            "exporting messages needs the conversations section",
        ),
        (
            {"custom_attributes": {"plan*": "behavioral"}},
            "custom attribute names must be non-empty and free of * ? [ ]",
        ),
        (
            {"custom_attributes": {"": "behavioral"}},
            "custom attribute names must be non-empty and free of * ? [ ]",
        ),
        (
            {"custom_attributes": {"plan": "gossip"}},
            "unknown category 'gossip' for a custom attribute",
        ),
    ):
        with pytest.raises(ValueError, match=r"\w") as info:
            IntercomResolver(TOKEN, **options)
        assert str(info.value) == message
    assert IntercomResolver(TOKEN, export_messages=True).sections == frozenset(ExportSection)


# -- redact_messages --


def authored_unredacted(
    fake: FakeIntercom, conversation_ids: Iterator[str] | tuple[str, ...], contact_id: str
) -> int:
    count = 0
    for conversation_id in conversation_ids:
        conversation = fake.conversation(conversation_id)
        messages = [
            conversation["source"],
            *conversation["conversation_parts"]["conversation_parts"],
        ]
        for message in messages:
            author = message.get("author") or {}
            if (
                author.get("id") == contact_id
                and message.get("body")
                and not message.get("redacted")
            ):
                count += 1
    return count


def bodies_by(fake: FakeIntercom, conversation_ids: tuple[str, ...], author_id: str) -> list[str]:
    out = []
    for conversation_id in conversation_ids:
        conversation = fake.conversation(conversation_id)
        for message in [
            conversation["source"],
            *conversation["conversation_parts"]["conversation_parts"],
        ]:
            if (message.get("author") or {}).get("id") == author_id:
                out.append(message.get("body"))
    return out


async def test_redact_policy_redacts_what_the_contact_wrote_then_deletes_it() -> None:
    fake = FakeIntercom(token=TOKEN)
    contact_id, bystander = populate_fully(fake)
    conversations = fake.conversation_ids(contact_id)
    bystander_before = bodies_by(fake, conversations, bystander)
    subject = resolver(fake, erasure_policy="redact_messages")

    erasure = await subject.erase_subject(ref(contact_id))

    assert erasure.already_absent is False
    assert erasure.detail is not None
    assert "redacted 2 message(s)" in erasure.detail
    assert contact_id not in erasure.detail
    assert "Ada" not in erasure.detail
    assert fake.contact(contact_id) is None
    assert authored_unredacted(fake, conversations, contact_id) == 0
    assert bodies_by(fake, conversations, bystander) == bystander_before
    assert fake.contact(bystander) is not None
    assert [r.route for r in fake.requests][-1] == "DELETE /contacts/{id}"
    redactions = [r.json for r in fake.requests if r.route == "POST /conversations/redact"]
    assert {body["type"] for body in redactions} == {"source", "conversation_part"}

    again = await subject.erase_subject(ref(contact_id))
    assert again.already_absent is True
    assert fake.count("POST /conversations/redact") == 2


async def test_delete_policy_leaves_messages_and_says_so() -> None:
    fake = FakeIntercom(token=TOKEN)
    contact_id, _ = populate_fully(fake)
    subject = resolver(fake)
    await subject.erase_subject(ref(contact_id))
    assert fake.contact(contact_id) is None
    assert authored_unredacted(fake, fake.conversation_ids(contact_id), contact_id) == 2
    notes = subject.covered_surface.notes
    assert any("does not itself touch conversations" in note for note in notes)
    assert any("ratings with their remark" in note for note in notes)


class FaultAt(httpx.BaseTransport):
    """Fail the n-th request: refused before the fake sees it, a 503, or applied by the fake
    with the response lost on the way back (the reset between redaction and deletion)."""

    def __init__(self, inner: httpx.BaseTransport, n: int, mode: str) -> None:
        self.inner, self.n, self.mode, self.seen = inner, n, mode, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen += 1
        if self.seen != self.n:
            return self.inner.handle_request(request)
        if self.mode == "refused":
            raise httpx.ConnectError("connection refused", request=request)
        if self.mode == "503":
            return httpx.Response(503, json={"type": "error.list", "errors": []})
        self.inner.handle_request(request)
        raise httpx.RemoteProtocolError("connection reset after the request", request=request)


FAULT_MODES = ("refused", "503", "lost-response")


def redact_world() -> tuple[FakeIntercom, str, str]:
    fake = FakeIntercom(token=TOKEN)
    contact_id, bystander = populate_fully(fake)
    second = fake.add_conversation(contact_id, source_body="<p>Again</p>", source_author="admin")
    fake.add_part(second, author="contact", body="<p>Reply one</p>")
    fake.add_part(second, author="contact", body=None)
    fake.add_part(second, author="contact", body="<p>Reply two</p>")
    return fake, contact_id, bystander


async def test_redaction_resumes_after_a_fault_at_every_step() -> None:
    fake, contact_id, _ = redact_world()
    await resolver(fake, erasure_policy="redact_messages").erase_subject(ref(contact_id))
    steps = fake.count()
    # contact probe, search, two conversations, four redactions, ticket search, delete
    assert steps == 1 + 1 + 2 + 4 + 1 + 1
    for n in range(1, steps + 1):
        for mode in FAULT_MODES:
            fake, contact_id, bystander = redact_world()
            conversations = fake.conversation_ids(contact_id)
            bystander_before = bodies_by(fake, conversations, bystander)
            faulty = IntercomResolver(
                TOKEN, transport=FaultAt(fake, n, mode), erasure_policy="redact_messages"
            )
            with pytest.raises(httpx.HTTPError):
                await faulty.erase_subject(ref(contact_id))
            if n < steps:
                assert fake.contact(contact_id) is not None, "the contact must be deleted last"
            healthy = resolver(fake, erasure_policy="redact_messages")
            result = await healthy.erase_subject(ref(contact_id))
            assert result.already_absent is (mode == "lost-response" and n == steps), (n, mode)
            assert fake.contact(contact_id) is None
            assert authored_unredacted(fake, conversations, contact_id) == 0, (n, mode)
            assert bodies_by(fake, conversations, bystander) == bystander_before
            assert fake.contact(bystander) is not None
            assert (await healthy.verify_erasure(ref(contact_id))).erased is True


async def test_plan_is_a_dry_run_that_counts_without_changing_anything() -> None:
    fake, contact_id, _ = redact_world()
    subject = resolver(fake, erasure_policy="redact_messages")
    plan = await subject.plan_erasure(ref(contact_id))
    assert plan.contact_exists is True
    assert plan.messages is not None
    assert (plan.messages.conversations, plan.messages.authored, plan.redactions) == (2, 4, 4)
    assert fake.count("POST /conversations/redact") == 0
    assert fake.count("DELETE /contacts/{id}") == 0
    assert (await resolver(fake).plan_erasure(ref(contact_id))).messages is None


async def test_verification_reports_what_is_left() -> None:
    fake, contact_id, _ = redact_world()
    redact = resolver(fake, erasure_policy="redact_messages")
    before = await redact.verify_erasure(ref(contact_id))
    assert (before.contact_exists, before.erased) == (True, False)
    assert before.messages is not None
    assert before.messages.unredacted == 4
    await resolver(fake).erase_subject(ref(contact_id))  # delete only: the messages remain
    after_delete = await redact.verify_erasure(ref(contact_id))
    assert after_delete.contact_exists is False
    assert after_delete.erased is False
    assert (await resolver(fake).verify_erasure(ref(contact_id))).erased is True


# -- rectification --


async def test_rectify_updates_declared_fields() -> None:
    fake = FakeIntercom(token=TOKEN)
    contact_id = fake.add_contact(email="old@example.com", name="Old Name", phone="+1 555")
    subject = resolver(fake)
    assert isinstance(subject, RectifyingResolver)
    result = await subject.rectify_subject(
        ref(contact_id), {"email": "new@example.com", "name": "New Name"}
    )
    assert result.fields == ("email", "name")
    assert result.already_absent is False
    assert result.detail is not None
    assert "new@example.com" not in result.detail
    contact = fake.contact(contact_id)
    assert contact is not None
    assert (contact["email"], contact["name"], contact["phone"]) == (
        "new@example.com",
        "New Name",
        "+1 555",
    )
    [put] = [r for r in fake.requests if r.route == "PUT /contacts/{id}"]
    assert put.json == {"email": "new@example.com", "name": "New Name"}


async def test_rectify_rejects_unknown_fields_before_any_request() -> None:
    fake = FakeIntercom(token=TOKEN)
    contact_id = fake.add_contact(email="a@example.com")
    for changes in ({"role": "lead"}, {}, {"email": "x@example.com", "owner_id": "1"}):
        with pytest.raises(RectificationError, match="email, name, phone") as info:
            await resolver(fake).rectify_subject(ref(contact_id), changes)
        assert isinstance(info.value, ResolverError)
        assert isinstance(info.value, ValueError)
    assert fake.count() == 0


async def test_rectify_an_absent_contact_reports_nothing_held() -> None:
    fake = FakeIntercom(token=TOKEN)
    result = await resolver(fake).rectify_subject(ref("ghost"), {"name": "Someone"})
    assert result.already_absent is True
    assert result.fields == ()


async def test_rectify_follows_the_taxonomy() -> None:
    fake = FakeIntercom(token=TOKEN)
    contact_id = fake.add_contact(email="a@example.com")
    fake.fail_next(422, route="PUT /contacts/{id}")
    with pytest.raises(IntercomRejectedError, match=r"rectify request \(status=422\)"):
        await resolver(fake).rectify_subject(ref(contact_id), {"email": "c@example.com"})
    sent = fake.count()
    for malformed in ({"email": "not-an-email"}, {"phone": "call me"}):  # refused, never sent
        with pytest.raises(RectificationError, match=r"^(email|phone): not a"):
            await resolver(fake).rectify_subject(ref(contact_id), malformed)
    assert fake.count() == sent
    fake.fail_next(503, route="PUT /contacts/{id}")
    with pytest.raises(httpx.HTTPStatusError):
        await resolver(fake).rectify_subject(ref(contact_id), {"email": "b@example.com"})


# -- lookup --


async def test_lookup_by_email_finds_users_and_leads() -> None:
    fake = FakeIntercom(token=TOKEN)
    user = fake.add_contact(email="shared@example.com", role="user")
    lead = fake.add_contact(email="shared@example.com", role="lead")
    fake.add_contact(email="other@example.com")
    matches = await resolver(fake).find_contacts(email="shared@example.com")
    assert {(m.id, m.role) for m in matches} == {(user, "user"), (lead, "lead")}
    assert set(await resolver(fake).find_contact_ids(email="shared@example.com")) == {user, lead}
    assert await resolver(fake).find_contact_ids(email="nobody@example.com") == ()


async def test_lookup_by_email_reads_every_page() -> None:
    fake = FakeIntercom(token=TOKEN)
    ids = {fake.add_contact(email="crowd@example.com", role="lead") for _ in range(320)}
    found = await resolver(fake).find_contact_ids(email="crowd@example.com")
    assert set(found) == ids
    assert len(found) == 320
    assert fake.count("POST /contacts/search") == 3


async def test_lookup_by_external_id() -> None:
    fake = FakeIntercom(token=TOKEN)
    contact_id = fake.add_contact(email="a@example.com", external_id="crm/42?x")
    assert await resolver(fake).find_contact_ids(external_id="crm/42?x") == (contact_id,)
    assert await resolver(fake).find_contact_ids(external_id="missing") == ()


async def test_lookup_needs_a_usable_key() -> None:
    subject = IntercomResolver(TOKEN)
    for kwargs in ({}, {"email": ""}, {"external_id": " "}, {"phone": ""}):
        with pytest.raises(ValueError, match=r"email|phone|external id"):
            await subject.find_contacts(**kwargs)
