"""The ``delete_conversations`` policy, the ids every erasure records, and their read-back.

Against the fake: a conversation and a ticket only the person is in are deleted by id, the
person's messages in a conversation shared with others are redacted, a shared ticket stays,
and the contact goes last. ``verify_erasure(found=...)`` reads each id back: "gone" only on
Intercom's own not-found; a conversation still readable after its contact's deletion is
``remaining``, with its id.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from dsr_resolvers.contract import (
    ErasureLedger,
    ItemIds,
    ItemsReadBack,
    LedgeredResolver,
    SubjectRef,
    VerifyingResolver,
)
from dsr_resolvers.intercom import ErasurePolicy, IntercomResolver, NotIntercomError
from dsr_resolvers.report import (
    ContactErasure,
    ErasureReceipt,
    ReadBack,
    render_erasure_receipt,
    surface_digest,
)
from dsr_resolvers.testing import FakeIntercom

TOKEN = "test-token"


def resolver(
    fake: FakeIntercom, policy: ErasurePolicy = "delete_conversations"
) -> IntercomResolver:
    return IntercomResolver(TOKEN, transport=fake, erasure_policy=policy)


def ref(contact_id: str) -> SubjectRef:
    return SubjectRef(kind="intercom", value=contact_id)


def seeded(fake: FakeIntercom) -> dict[str, str]:
    """The person alone in one conversation and one ticket, and sharing one of each."""
    person = fake.add_contact(email="ada@example.com")
    other = fake.add_contact(email="bob@example.com")
    alone = fake.add_conversation(person)
    fake.add_part(alone)
    shared = fake.add_conversation(person)
    fake.add_part(shared)
    fake.add_part(shared, author=other)
    ticket_alone = fake.add_ticket(person)
    fake.add_ticket_part(ticket_alone)
    ticket_shared = fake.add_ticket(person)
    fake.add_ticket_part(ticket_shared, author=other)
    return {
        "person": person,
        "other": other,
        "alone": alone,
        "shared": shared,
        "ticket_alone": ticket_alone,
        "ticket_shared": ticket_shared,
    }


def test_delete_conversations_deletes_what_only_the_person_is_in_then_the_contact_last() -> None:
    fake = FakeIntercom(TOKEN)
    ids = seeded(fake)
    erasure = asyncio.run(resolver(fake).erase_subject(ref(ids["person"])))

    assert erasure.counts == {
        "contacts_deleted": 1,
        "contacts_unarchived": 0,
        "conversations_scanned": 2,
        "conversations_deleted": 1,
        "conversations_shared": 1,
        "messages_redacted": 2,
        "messages_already_redacted": 0,
        "tickets_scanned": 2,
        "tickets_deleted": 1,
        "tickets_shared": 1,
    }
    assert erasure.found == {
        "conversation": (ids["alone"], ids["shared"]),
        "ticket": (ids["ticket_alone"], ids["ticket_shared"]),
    }
    assert fake.contact(ids["person"]) is None
    assert fake.conversation_ids(ids["other"]) == (ids["shared"],)
    assert fake.ticket_ids(ids["other"]) == (ids["ticket_shared"],)
    shared = fake.conversation(ids["shared"])
    assert shared["source"]["redacted"] is True
    mine = [
        p for p in shared["conversation_parts"]["conversation_parts"]
        if p["author"]["id"] == ids["person"]
    ]  # fmt: skip
    assert mine
    assert all(p["redacted"] for p in mine)
    deletes = [r.route for r in fake.requests if r.route.startswith("DELETE")]
    assert deletes == [
        "DELETE /conversations/{id}",
        "DELETE /tickets/{id}",
        "DELETE /contacts/{id}",
    ]
    for shown in (repr(erasure), str(erasure)):
        assert ids["alone"] not in shown
        assert ids["ticket_alone"] not in shown


def test_the_read_back_of_found_ids_confirms_the_deletions() -> None:
    fake = FakeIntercom(TOKEN)
    ids = seeded(fake)
    erase = resolver(fake)
    erasure = asyncio.run(erase.erase_subject(ref(ids["person"])))
    check = asyncio.run(erase.verify_erasure(ref(ids["person"]), found=erasure.found))

    assert check.erased is True
    assert check.items == {
        "conversation": ItemsReadBack(gone=1, kept=1),
        "ticket": ItemsReadBack(gone=1, kept=1),
    }


@pytest.mark.parametrize("removes", [False, True])
def test_a_conversation_readable_after_its_contacts_deletion_is_remaining_with_its_id(
    removes: bool,
) -> None:
    """``delete_contact`` rests on Intercom's word that conversations go with the contact; the
    read-back says whether they did (the fake can keep them, or remove them)."""
    fake = FakeIntercom(TOKEN, deletion_removes_conversations=removes)
    person = fake.add_contact(email="ada@example.com")
    conversation = fake.add_conversation(person)
    ticket = fake.add_ticket(person)
    erase = resolver(fake, "delete_contact")
    erasure = asyncio.run(erase.erase_subject(ref(person)))
    assert erasure.found == {"conversation": (conversation,), "ticket": (ticket,)}

    check = asyncio.run(erase.verify_erasure(ref(person), found=erasure.found))

    if removes:
        assert check.erased is True
        assert check.items["conversation"] == ItemsReadBack(gone=1)
    else:
        assert check.erased is False
        assert check.items["conversation"].remaining == (conversation,)
        assert check.items["ticket"].remaining == (ticket,)
        assert conversation not in repr(check)


def test_gone_is_only_intercoms_own_not_found() -> None:
    """A 404 that is not Intercom's (no ``error.list`` with a not-found code) is an error,
    never "gone"."""
    fake = FakeIntercom(TOKEN)
    person = fake.add_contact(email="ada@example.com")
    conversation = fake.add_conversation(person)
    erase = resolver(fake)
    erasure = asyncio.run(erase.erase_subject(ref(person)))
    fake.not_intercom_next(route="GET /conversations/{id}")
    with pytest.raises(NotIntercomError):
        asyncio.run(erase.verify_erasure(ref(person), found=erasure.found))
    assert erasure.found["conversation"] == (conversation,)


def test_verify_refuses_an_unknown_kind_before_any_request() -> None:
    fake = FakeIntercom(TOKEN)
    with pytest.raises(ValueError, match="kinds"):
        asyncio.run(resolver(fake).verify_erasure(ref("abc"), found={"call": ("1",)}))
    assert fake.count() == 0


def test_the_dry_run_counts_each_kind_and_changes_nothing() -> None:
    fake = FakeIntercom(TOKEN)
    ids = seeded(fake)
    plan = asyncio.run(resolver(fake).plan_erasure(ref(ids["person"])))
    assert plan.counts == {
        "conversations_scanned": 2,
        "conversations_to_delete": 1,
        "conversations_shared": 1,
        "messages_to_redact": 2,
        "messages_already_redacted": 0,
        "conversations_past_part_cap": 0,
        "tickets_scanned": 2,
        "tickets_to_delete": 1,
        "tickets_shared": 1,
    }
    assert not [r for r in fake.requests if r.route.startswith("DELETE")]
    assert fake.count("POST /conversations/redact") == 0


class Ledger:
    """A ledger in memory, as a bulk journal keeps one."""

    def __init__(self, intended: dict[str, tuple[str, ...]] | None = None) -> None:
        self.announced: dict[str, tuple[str, ...]] = dict(intended or {})
        self.order: list[tuple[str, str]] = []

    def intended(self) -> ItemIds:
        return dict(self.announced)

    def intend(self, kind: str, item_id: str) -> None:
        self.announced[kind] = (*self.announced.get(kind, ()), item_id)
        self.order.append((kind, item_id))


def test_each_deletion_is_announced_before_it_is_sent() -> None:
    fake = FakeIntercom(TOKEN)
    ids = seeded(fake)
    sent: list[str] = []

    class Watching(Ledger):
        def intend(self, kind: str, item_id: str) -> None:
            assert fake.count(f"DELETE /{kind}s/{{id}}") == len(
                [k for k, _ in self.order if k == kind]
            )
            sent.append(item_id)
            super().intend(kind, item_id)

    ledger = Watching()
    erase = resolver(fake)
    assert isinstance(erase, LedgeredResolver)
    assert isinstance(ledger, ErasureLedger)
    asyncio.run(erase.erase_with_ledger(ref(ids["person"]), ledger))
    assert ledger.order == [("conversation", ids["alone"]), ("ticket", ids["ticket_alone"])]


def test_an_announced_deletion_whose_answer_was_lost_is_counted_and_not_sent_again() -> None:
    """Killed after the DELETE reached Intercom and before its answer: the next attempt finds
    the conversation gone, counts it as deleted by this erasure and keeps its id."""
    fake = FakeIntercom(TOKEN)
    ids = seeded(fake)
    fake.clear_log()
    _delete_directly(fake, ids["alone"])
    ledger = Ledger({"conversation": (ids["alone"],)})

    erasure = asyncio.run(resolver(fake).erase_with_ledger(ref(ids["person"]), ledger))

    assert erasure.counts["conversations_deleted"] == 1
    assert erasure.counts["conversations_scanned"] == 2
    assert ids["alone"] in erasure.found["conversation"]
    assert fake.count("DELETE /conversations/{id}") == 0
    assert ledger.order == [("ticket", ids["ticket_alone"])]


def _delete_directly(fake: FakeIntercom, conversation_id: str) -> None:
    with httpx.Client(transport=fake, base_url="https://api.intercom.io") as client:
        answer: Any = client.delete(
            f"/conversations/{conversation_id}", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert answer.json()["deleted"] is True
    fake.clear_log()


def test_the_resolver_claims_the_protocols() -> None:
    assert isinstance(resolver(FakeIntercom(TOKEN)), VerifyingResolver)


def test_a_receipt_shows_the_read_back_per_kind_and_the_remaining_ids() -> None:
    fake = FakeIntercom(TOKEN)  # keeps a deleted contact's conversations readable
    person = fake.add_contact(email="ada@example.com")
    conversation = fake.add_conversation(person)
    erase = resolver(fake, "delete_contact")
    erasure = asyncio.run(erase.erase_subject(ref(person)))
    check = asyncio.run(erase.verify_erasure(ref(person), found=erasure.found))
    receipt = ErasureReceipt(
        resolver="intercom",
        requested_at=datetime.now(UTC),
        completed_at=datetime.now(UTC),
        policy=erase.erasure_policy,
        contacts=(ContactErasure.of(person, erasure, ReadBack.of(check)),),
        surface_sha256=surface_digest(erase.covered_surface),
    )

    assert receipt.status == "incomplete"
    written = json.loads(receipt.to_json())
    (contact,) = written["contacts"]
    assert contact["found"] == {"conversation": [conversation], "ticket": []}
    assert contact["read_back"]["items"]["conversation"]["remaining"] == [conversation]
    assert conversation not in repr(receipt)
    html = render_erasure_receipt(receipt)
    assert (
        f"conversations: 0 gone, 0 kept as the policy says, 1 STILL READABLE ({conversation})"
        in html
    )
