"""Truthful outcomes: "erased", "already absent", "nothing held" and "complete" only when
Intercom showed it. One test (or more) per finding of issue 9, each through the public API and
each failing on the code before it; exchanges with the fake are checked against the OpenAPI
description where the fake is involved.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from dsr_resolvers import PiiCategory, Presence, ResolverError, SubjectRef
from dsr_resolvers.bulk import parse_subjects, plan_bulk_erase
from dsr_resolvers.intercom import (
    ErasurePolicy,
    IncompleteConversationError,
    IntercomResolver,
    NotIntercomError,
    RectificationError,
)
from dsr_resolvers.testing import FakeIntercom
from tests.openapi_spec import Validating
from tests.paged_world import intercom_404

TOKEN = "tok_truthful"
BASE = "https://api.intercom.io"


def ref(contact_id: str) -> SubjectRef:
    return SubjectRef(kind="intercom", value=contact_id)


def resolver(fake: FakeIntercom, **options: Any) -> IntercomResolver:
    return IntercomResolver(TOKEN, transport=Validating(fake), **options)


def mocked(handle: Any, **options: Any) -> IntercomResolver:
    return IntercomResolver(TOKEN, transport=httpx.MockTransport(handle), **options)


# -- 1. a 404 is absence only when Intercom says so ------------------------------------------


@pytest.mark.parametrize(
    "call",
    ["export", "erase", "erase-redact", "verify", "rectify", "lookup"],
)
async def test_a_404_that_is_not_intercoms_is_never_absence(call: str) -> None:
    fake = FakeIntercom(token=TOKEN)
    contact_id = fake.add_contact(email="kim@example.com")
    fake.not_intercom_next(times=None)  # a proxy answering every request with its HTML 404
    policy: ErasurePolicy = "redact_messages" if call == "erase-redact" else "delete_contact"
    subject = IntercomResolver(TOKEN, transport=fake, erasure_policy=policy)
    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "export": lambda: subject.export_subject(ref(contact_id)),
        "erase": lambda: subject.erase_subject(ref(contact_id)),
        "erase-redact": lambda: subject.erase_subject(ref(contact_id)),
        "verify": lambda: subject.verify_erasure(ref(contact_id)),
        "rectify": lambda: subject.rectify_subject(ref(contact_id), {"name": "Kim"}),
        "lookup": lambda: subject.find_contacts(external_id="kim-1"),
    }
    with pytest.raises(NotIntercomError) as info:
        await calls[call]()
    message = str(info.value)
    assert "404 without Intercom's error body" in message
    assert "base_url" in message
    assert contact_id not in message
    assert isinstance(info.value, ResolverError)
    fake.clear_faults()
    assert fake.contact(contact_id) is not None


async def test_a_wrong_base_path_is_not_absence() -> None:
    fake = FakeIntercom(token=TOKEN)
    contact_id = fake.add_contact(email="kim@example.com")
    subject = IntercomResolver(TOKEN, base_url=f"{BASE}/v2", transport=fake)
    with pytest.raises(NotIntercomError):
        await subject.erase_subject(ref(contact_id))
    assert fake.requests[-1].route == "UNKNOWN"
    assert fake.contact(contact_id) is not None


@pytest.mark.parametrize(
    ("body", "absent"),
    [
        ({"type": "error.list", "errors": [{"code": "not_found"}]}, True),
        ({"type": "error.list", "errors": [{"code": "company_not_found"}]}, True),
        ({"type": "error.list", "errors": [{"code": "route_not_found"}]}, False),
        ({"type": "error.list", "errors": [{"code": "unauthorized"}]}, False),
        ({"type": "error.list", "errors": "not_found"}, False),
        ({"errors": [{"code": "not_found"}]}, False),
        ({}, False),
        (None, False),
    ],
)
async def test_only_intercoms_not_found_code_means_absent(
    body: dict[str, Any] | None, absent: bool
) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/search"):  # an erasure lists conversations and tickets
            return httpx.Response(200, json={"conversations": [], "tickets": [], "pages": {}})
        if body is None:
            return httpx.Response(404, text="Not Found")
        return httpx.Response(404, json=body)

    subject = mocked(handle)
    if absent:
        assert (await subject.export_subject(ref("c1"))).records == ()
        assert (await subject.erase_subject(ref("c1"))).already_absent is True
        assert (await subject.verify_erasure(ref("c1"))).erased is True
    else:
        for call in (subject.export_subject, subject.erase_subject, subject.verify_erasure):
            with pytest.raises(NotIntercomError):
                await call(ref("c1"))


def test_new_errors_survive_pickling() -> None:
    for error in (
        NotIntercomError("erase"),
        IncompleteConversationError("export", ("11", "12")),
    ):
        copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
        assert type(copy) is type(error)
        assert str(copy) == str(error)
    copy = pickle.loads(pickle.dumps(IncompleteConversationError("erase", ("7",))))  # noqa: S301
    assert isinstance(copy, IncompleteConversationError)
    assert copy.conversation_ids == ("7",)


def test_the_fake_can_answer_like_a_host_that_is_not_intercom() -> None:
    fake = FakeIntercom(token=TOKEN)
    fake.not_intercom_next(route="GET /contacts/{id}")
    with httpx.Client(transport=fake, base_url=BASE) as client:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        page = client.get("/contacts/x", headers=auth)
        again = client.get("/contacts/x", headers=auth)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert again.json()["errors"][0]["code"] == "not_found"


# -- 2. archived contacts ---------------------------------------------------------------------


def archived_world() -> tuple[FakeIntercom, str]:
    fake = FakeIntercom(token=TOKEN)
    contact_id = fake.add_contact(email="ari@example.com", name="Ari")
    conversation = fake.add_conversation(contact_id, source_body="<p>My card is 4242</p>")
    fake.add_part(conversation, author="contact", body="<p>and my address is …</p>")
    fake.archive_contact(contact_id)
    return fake, contact_id


async def test_erasing_an_archived_contact_deletes_it_and_says_it_was_archived() -> None:
    fake, contact_id = archived_world()
    erasure = await resolver(fake).erase_subject(ref(contact_id))
    assert erasure.already_absent is False
    assert erasure.detail is not None
    assert "archived" in erasure.detail
    assert fake.contact(contact_id) is None
    assert not fake.is_archived(contact_id)
    again = await resolver(fake).erase_subject(ref(contact_id))
    assert again.already_absent is True


async def test_redacting_an_archived_contact_reaches_its_messages_first() -> None:
    fake, contact_id = archived_world()
    subject = resolver(fake, erasure_policy="redact_messages")
    erasure = await subject.erase_subject(ref(contact_id))
    assert erasure.already_absent is False
    assert erasure.detail is not None
    assert erasure.detail.startswith("found the Intercom contact archived")
    assert "redacted 2 message(s)" in erasure.detail
    assert fake.contact(contact_id) is None
    assert not fake.is_archived(contact_id)
    (conversation_id,) = fake.conversation_ids(contact_id)
    conversation = fake.conversation(conversation_id)
    assert conversation["source"]["redacted"] is True
    assert all(p["redacted"] for p in conversation["conversation_parts"]["conversation_parts"])
    assert (await subject.verify_erasure(ref(contact_id))).erased is True


@pytest.mark.parametrize("policy", ["delete_contact", "redact_messages"])
async def test_the_plan_of_an_archived_contact_says_the_erasure_reaches_it_and_writes_nothing(
    policy: ErasurePolicy,
) -> None:
    fake, contact_id = archived_world()
    subject = resolver(fake, erasure_policy=policy)
    plan = await subject.plan_erasure(ref(contact_id))
    # No read tells archived from absent, so the plan claims neither: not visible, to erase.
    assert plan.presence is Presence.NOT_VISIBLE
    assert plan.to_erase
    planned = [
        p async for p in plan_bulk_erase(subject, parse_subjects([contact_id, "never-held"]))
    ]
    assert [c.presence for p in planned for c in p.contacts] == [Presence.NOT_VISIBLE] * 2
    assert all(c.to_erase for p in planned for c in p.contacts)
    assert fake.is_archived(contact_id)  # planning wrote nothing: only searches were posted
    writes = [r for r in fake.requests if r.method in ("POST", "PUT", "DELETE")]
    assert all(r.route.endswith("/search") for r in writes)
    erasure = await subject.erase_subject(ref(contact_id))
    assert erasure.counts["contacts_unarchived"] == erasure.counts["contacts_deleted"] == 1


async def test_verification_finds_an_archived_contact_and_archives_it_again() -> None:
    fake, contact_id = archived_world()
    verification = await resolver(fake).verify_erasure(ref(contact_id))
    assert verification.contact_exists is True
    assert verification.archived is True
    assert verification.erased is False
    assert fake.is_archived(contact_id)


async def test_export_leaves_an_archived_contact_out_unless_asked_and_says_so() -> None:
    fake, contact_id = archived_world()
    plain = resolver(fake, export_messages=True)
    assert (await plain.export_subject(ref(contact_id))).records == ()
    assert fake.count("POST /contacts/{id}/unarchive") == 0
    assert any(n.startswith("Archived contacts are left out") for n in plain.covered_surface.notes)

    reaching = resolver(fake, export_messages=True, export_archived=True)
    export = await reaching.export_subject(ref(contact_id))
    values = {r.value for r in export.records}
    assert {"ari@example.com", "<p>My card is 4242</p>", "<p>and my address is …</p>"} <= values
    assert fake.is_archived(contact_id)
    assert all(reaching.covered_surface.admits(r) for r in export.records)
    assert not any("Archived contacts are left out" in n for n in reaching.covered_surface.notes)


async def test_an_export_that_fails_still_archives_the_contact_again() -> None:
    fake, contact_id = archived_world()
    fake.fail_next(503, route="POST /conversations/search")
    with pytest.raises(httpx.HTTPStatusError):
        await resolver(fake, export_archived=True).export_subject(ref(contact_id))
    assert fake.is_archived(contact_id)


async def test_lookup_by_email_cannot_see_archived_contacts_and_the_surface_says_so() -> None:
    fake, _ = archived_world()
    subject = resolver(fake)
    assert await subject.find_contacts(email="ari@example.com") == ()
    assert any("cannot find archived contacts" in n for n in subject.covered_surface.notes)


# -- 3. Intercom's 500-part cap -----------------------------------------------------------------


def long_conversation(parts: int) -> tuple[FakeIntercom, str, str]:
    fake = FakeIntercom(token=TOKEN, rate_limit=None)
    contact_id = fake.add_contact(email="long@example.com")
    conversation = fake.add_conversation(contact_id, source_body="<p>first</p>")
    for n in range(parts):
        fake.add_part(conversation, author="contact", body=f"<p>{n}</p>", created_at=1000 + n)
    return fake, contact_id, conversation


async def test_a_conversation_past_the_cap_makes_the_export_raise() -> None:
    fake, contact_id, conversation = long_conversation(600)
    listed = fake.conversation(conversation)["conversation_parts"]
    assert listed["total_count"] == 600  # the fake's own view; the API answers 500
    subject = IntercomResolver(TOKEN, transport=fake, export_messages=True)
    with pytest.raises(IncompleteConversationError) as info:
        await subject.export_subject(ref(contact_id))
    assert info.value.conversation_ids == (conversation,)
    assert contact_id not in str(info.value)
    assert "Intercom's inbox" in str(info.value)


async def test_a_redaction_past_the_cap_raises_and_keeps_the_contact() -> None:
    fake, contact_id, conversation = long_conversation(600)
    subject = IntercomResolver(TOKEN, transport=fake, erasure_policy="redact_messages")
    with pytest.raises(IncompleteConversationError) as info:
        await subject.erase_subject(ref(contact_id))
    assert info.value.conversation_ids == (conversation,)
    assert fake.contact(contact_id) is not None
    assert fake.count("DELETE /contacts/{id}") == 0
    parts = fake.conversation(conversation)["conversation_parts"]["conversation_parts"]
    assert [p["redacted"] for p in parts[-500:]] == [True] * 500  # what the API reaches
    assert not any(p["redacted"] for p in parts[:100])  # the oldest 100: out of reach
    verification = await subject.verify_erasure(ref(contact_id))
    assert verification.erased is False
    assert verification.messages is not None
    assert verification.messages.incomplete == 1
    plan = await subject.plan_erasure(ref(contact_id))
    assert plan.messages is not None
    assert plan.messages.incomplete == 1


async def test_exactly_five_hundred_parts_may_hide_more_and_count_as_cut() -> None:
    fake, contact_id, _conversation = long_conversation(500)
    subject = IntercomResolver(TOKEN, transport=fake, export_messages=True)
    with pytest.raises(IncompleteConversationError):
        await subject.export_subject(ref(contact_id))
    short, short_id, _ = long_conversation(499)
    export = await IntercomResolver(TOKEN, transport=short, export_messages=True).export_subject(
        ref(short_id)
    )
    assert sum(".conversation_parts." in r.field for r in export.records) == 499 * 2


def test_the_fake_returns_the_most_recent_five_hundred_parts() -> None:
    fake, _, conversation = long_conversation(501)
    with httpx.Client(transport=fake, base_url=BASE) as client:
        answer = client.get(
            f"/conversations/{conversation}", headers={"Authorization": f"Bearer {TOKEN}"}
        ).json()
    parts = answer["conversation_parts"]
    assert len(parts["conversation_parts"]) == 500
    assert parts["conversation_parts"][0]["body"] == "<p>1</p>"
    assert parts["total_count"] == 500


# -- 4. one email rule ----------------------------------------------------------------------------


async def test_an_address_is_found_however_it_was_typed() -> None:
    fake = FakeIntercom(token=TOKEN)
    lower = fake.add_contact(email="sam.rivera@example.com")
    as_given = fake.add_contact(email="Sam.Rivera@Example.com", role="lead")
    subject = resolver(fake)
    matches = await subject.find_contacts(email="  Sam.Rivera@Example.com\t")
    assert [m.id for m in matches] == [lower, as_given]
    assert fake.count("POST /contacts/search") == 1
    sent = fake.requests[-1].json["query"]
    assert sent == {
        "operator": "OR",
        "value": [
            {"field": "email", "operator": "=", "value": "Sam.Rivera@Example.com"},
            {"field": "email", "operator": "=", "value": "sam.rivera@example.com"},
        ],
    }
    fake.clear_log()
    assert [m.id for m in await subject.find_contacts(email=" sam.rivera@example.com")] == [lower]
    assert fake.requests[-1].json["query"] == {
        "field": "email",
        "operator": "=",
        "value": "sam.rivera@example.com",
    }


@pytest.mark.parametrize(
    "typed",
    ["\ufeffsam@example.com", "sam\u200b@example.com", "sam @example.com", "example.com", "@x"],
)
async def test_an_unusable_address_is_refused_before_any_request(typed: str) -> None:
    fake = FakeIntercom(token=TOKEN)
    fake.add_contact(email="sam@example.com")
    with pytest.raises(ValueError, match="email address") as info:
        await resolver(fake).find_contacts(email=typed)
    assert typed.strip() not in str(info.value)
    assert fake.count() == 0


# -- 5./6. what Intercom's OpenAPI description allows ---------------------------------------


async def test_clearing_the_email_is_refused_before_any_request() -> None:
    fake = FakeIntercom(token=TOKEN)
    contact_id = fake.add_contact(email="e@example.com", name="E")
    subject = resolver(fake)
    with pytest.raises(RectificationError, match="cannot clear a contact's email"):
        await subject.rectify_subject(ref(contact_id), {"email": None, "name": None})
    assert fake.count() == 0
    cleared = await subject.rectify_subject(ref(contact_id), {"name": None, "phone": None})
    assert cleared.fields == ("name", "phone")


def paged_search(pages: list[dict[str, Any]]) -> Any:
    seen: list[dict[str, Any]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/contacts/search":
            seen.append(json.loads(request.content))
            return httpx.Response(200, json=pages[len(seen) - 1])
        return intercom_404()

    return handle, seen


async def test_a_null_starting_after_ends_paging() -> None:
    handle, seen = paged_search(
        [
            {
                "type": "list",
                "data": [{"type": "contact", "id": "a", "role": "user"}],
                "pages": {"type": "pages", "next": {"per_page": 150, "starting_after": "c1"}},
            },
            {
                "type": "list",
                "data": [{"type": "contact", "id": "b", "role": "lead"}],
                "pages": {"type": "pages", "next": {"per_page": 150, "starting_after": None}},
            },
        ]
    )
    found = await mocked(handle).find_contact_ids(email="x@example.com")
    assert found == ("a", "b")
    assert len(seen) == 2


async def test_null_items_of_nullable_lists_are_skipped() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/contacts/c1":
            return httpx.Response(200, json={"type": "contact", "id": "c1"})
        if path == "/tickets/search":
            ticket = {"type": "ticket", "id": "t1", "category": "Customer"}
            return httpx.Response(200, json={"type": "ticket.list", "tickets": [None, ticket]})
        if path == "/events":
            item = {"name": "paid", "count": 3, "first": "2020-01-01", "last": "2020-02-01"}
            return httpx.Response(200, json={"type": "event.summary", "events": [None, item]})
        raise AssertionError(path)

    subject = mocked(handle, sections=["tickets", "event_summaries"])
    export = await subject.export_subject(ref("c1"))
    fields = {r.field: r.value for r in export.records}
    assert fields["ticket.t1.category"] == "Customer"
    assert fields["event_summary.0.name"] == "paid"
    assert fields["event_summary.0.count"] == "3"


async def test_the_events_listing_follows_intercoms_next_page_url() -> None:
    sent: list[dict[str, str]] = []
    first_url = (
        "https://api.intercom.io/events?per_page=2&before=1389913941064"
        "&intercom_user_id=c1&type=user"
    )

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/contacts/c1":
            return httpx.Response(200, json={"type": "contact", "id": "c1"})
        sent.append(dict(request.url.params))
        event = {"type": "event", "event_name": f"e{len(sent)}", "created_at": 1}
        pages = {"next": first_url, "since": f"{BASE}/events?since=1"} if len(sent) == 1 else {}
        return httpx.Response(200, json={"type": "event.list", "events": [event], "pages": pages})

    export = await mocked(handle, sections=["events"]).export_subject(ref("c1"))
    assert [r.value for r in export.records if r.field.endswith("event_name")] == ["e1", "e2"]
    assert sent[1] == {
        "type": "user",
        "intercom_user_id": "c1",
        "per_page": "2",
        "before": "1389913941064",
    }


# -- 7. the erasure's detail -----------------------------------------------------------------


async def test_the_deletion_detail_says_what_was_done_and_what_intercom_documents() -> None:
    fake = FakeIntercom(token=TOKEN)
    contact_id = fake.add_contact(email="d@example.com")
    erasure = await resolver(fake).erase_subject(ref(contact_id))
    assert erasure.detail is not None
    assert "not touched" not in erasure.detail
    assert erasure.detail.startswith("deleted the Intercom contact; Intercom documents that")
    for documented in ("removes their conversations", "CSAT ratings", "7 days"):
        assert documented in erasure.detail


# -- 5. what the export reaches now ----------------------------------------------------------


def rich_world() -> tuple[FakeIntercom, str]:
    fake = FakeIntercom(token=TOKEN, clock=lambda: 1_750_000_000.0)
    contact_id = fake.add_contact(email="rae@example.com", name="Rae")
    other = fake.add_contact(email="kai@example.com", name="Kai")
    fake.add_segment(contact_id, "Churn risk")
    fake.set_subscription(contact_id, "Newsletter", "opt_out")
    fake.set_subscription(contact_id, "Product news", "opt_in")
    talk = fake.add_conversation(
        contact_id,
        source_body="<p>see attached</p>",
        source_attachments=[
            {
                "name": "id.jpg",
                "url": "https://files.example/id.jpg",
                "content_type": "image/jpeg",
                "filesize": 2000,
            }
        ],
    )
    fake.rate_conversation(talk, 2, remark="Slow, and they lost my form", created_at=1_749_000_000)
    theirs = fake.add_conversation(other, source_body="<p>hi</p>")
    fake.add_part(theirs, author=contact_id, body="<p>me too</p>")
    fake.rate_conversation(theirs, 5, remark="Kai's remark")
    fake.add_ticket(contact_id, title="Broken login", description="Since my divorce I …")
    fake.add_event(contact_id, "old-order", created_at=1_750_000_000 - 200 * 86_400)
    fake.add_event(contact_id, "new-order", created_at=1_750_000_000 - 86_400)
    return fake, contact_id


async def test_the_export_reaches_every_place_the_person_is_held() -> None:
    fake, contact_id = rich_world()
    subject = resolver(fake, export_messages=True)
    export = await subject.export_subject(ref(contact_id))
    by_field = {r.field: (r.category, r.value) for r in export.records}
    _, talk = fake.conversation_ids(contact_id)[0], fake.conversation_ids(contact_id)[0]
    segment = next(f for f in by_field if f.startswith("contact.segments."))
    assert by_field[segment] == (PiiCategory.BEHAVIORAL, "Churn risk")
    consent = {v[1] for f, v in by_field.items() if f.startswith("contact.subscriptions.")}
    assert consent >= {"Newsletter", "opt_out", "Product news", "opt_in"}
    assert by_field[f"conversation.{talk}.rating.rating"] == (PiiCategory.BEHAVIORAL, "2")
    assert by_field[f"conversation.{talk}.rating.remark"] == (
        PiiCategory.COMMUNICATION,
        "Slow, and they lost my form",
    )
    assert "Kai's remark" not in {v for _, v in by_field.values()}
    assert by_field[f"conversation.{talk}.source.attachments.0.url"] == (
        PiiCategory.COMMUNICATION,
        "https://files.example/id.jpg",
    )
    ticket = next(f for f in by_field if f.endswith("._default_description_"))
    assert by_field[ticket] == (PiiCategory.COMMUNICATION, "Since my divorce I …")
    listed = {v for f, (_, v) in by_field.items() if f.endswith(".event_name")}
    assert listed == {"new-order"}  # Intercom lists the last 90 days only
    summarised = {v for f, (_, v) in by_field.items() if f.startswith("event_summary.")}
    assert {"old-order", "new-order"} <= summarised
    assert all(subject.covered_surface.admits(r) for r in export.records)


@pytest.mark.parametrize(
    ("section", "route"),
    [
        ("segments", "GET /contacts/{id}/segments"),
        ("subscriptions", "GET /contacts/{id}/subscriptions"),
        ("event_summaries", "GET /events"),
    ],
)
async def test_each_new_section_is_switchable_and_free_when_off(section: str, route: str) -> None:
    fake, contact_id = rich_world()
    await resolver(fake, sections=[section]).export_subject(ref(contact_id))
    assert fake.count(route) == 1
    fake.clear_log()
    await resolver(fake, sections=[]).export_subject(ref(contact_id))
    assert [r.route for r in fake.requests] == ["GET /contacts/{id}"]


async def test_the_surface_names_what_the_resolver_does_not_reach() -> None:
    surface = IntercomResolver(TOKEN).covered_surface
    notes = " ".join(surface.notes)
    for place in (
        "Archived contacts are left out",
        "created in the last few minutes",
        "CSAT ratings and comments stay",
    ):
        assert place in notes
    # Visitors moved from a note to an exclusion, with Intercom's retention.
    assert surface.excluding("visitor.x") is not None
    only_events = " ".join(IntercomResolver(TOKEN, sections=["events"]).covered_surface.notes)
    assert "Intercom lists only the last 90 days" in only_events


@pytest.mark.parametrize("policy", ["delete_contact", "redact_messages"])
def test_the_surface_says_which_exported_data_erasure_removes(policy: ErasurePolicy) -> None:
    surface = IntercomResolver(TOKEN, export_messages=True, erasure_policy=policy).covered_surface
    erased = {f.field: f.erased for f in surface.fields}
    assert erased["contact.email"] is True
    assert erased["contact.segments.*.name"] is True
    assert erased["conversation.*.rating.remark"] is False  # CSAT remarks outlive deletion
    assert erased["ticket.*.ticket_attributes._default_description_"] is False
    assert erased["conversation.*.conversation_parts.*.attachments.*.url"] is False
    assert erased["conversation.*.conversation_parts.*.body"] is (policy == "redact_messages")
