"""The erasure receipt: outcomes, counts and read-back, no personal data, a checked schema."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from dsr_resolvers import SubjectRef, __version__
from dsr_resolvers.intercom import IntercomResolver
from dsr_resolvers.report import (
    ContactErasure,
    ErasureReceipt,
    ReadBack,
    render_erasure_receipt,
    surface_digest,
)
from dsr_resolvers.sandbox import DEFAULT_TOKEN, seed_demo
from dsr_resolvers.testing import FakeIntercom
from tests.test_report_access import assert_inert

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "docs" / "erasure-receipt.schema.json"
T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def erase_demo_subject() -> tuple[ErasureReceipt, FakeIntercom, list[str]]:
    fake = FakeIntercom(DEFAULT_TOKEN)
    demo = seed_demo(fake)
    resolver = IntercomResolver(DEFAULT_TOKEN, transport=fake, erasure_policy="redact_messages")

    async def run() -> tuple[list[ContactErasure], list[str]]:
        ids = list(await resolver.find_contact_ids(email=demo.shared_email))
        entries = []
        for contact_id in ids:
            ref = SubjectRef(kind="intercom", value=contact_id)
            erasure = await resolver.erase_subject(ref)
            check = await resolver.verify_erasure(ref)
            entries.append(ContactErasure.of(contact_id, erasure, ReadBack.of(check)))
        return entries, ids

    entries, ids = asyncio.run(run())
    receipt = ErasureReceipt(
        subject_reference="REQ-2026-0042",
        resolver=resolver.name,
        requested_at=T0,
        completed_at=datetime.now(UTC),
        policy=resolver.erasure_policy,
        contacts=tuple(entries),
        surface_sha256=surface_digest(resolver.covered_surface),
    )
    return receipt, fake, ids


DEMO_COUNTS = [(4, 0, 3), (2, 0, 1)]
"""(redacted, already redacted, conversations) per contact of the demo's shared email."""


def test_a_receipt_records_each_contact_its_redaction_counts_and_the_read_back() -> None:
    receipt, _, ids = erase_demo_subject()
    assert [c.contact_id for c in receipt.contacts] == ids
    assert all(c.outcome == "erased" for c in receipt.contacts)
    assert all(c.read_back is not None and c.read_back.erased for c in receipt.contacts)
    counts = [(c.redacted_messages, c.already_redacted, c.conversations) for c in receipt.contacts]
    assert counts == DEMO_COUNTS
    assert receipt.status == "complete"
    assert receipt.library_version == __version__
    document = json.loads(receipt.to_json())
    assert document["status"] == "complete"
    assert document["format"] == "dsr-resolvers/erasure-receipt/v1"
    assert ErasureReceipt.model_validate_json(receipt.to_json()) == receipt
    document["contacts"][0]["read_back"]["contact_exists"] = True
    document["contacts"][0]["read_back"]["erased"] = False
    with pytest.raises(ValidationError, match="does not follow from the contacts"):
        ErasureReceipt.model_validate(document)


def test_a_receipt_holds_no_email_no_name_and_no_message() -> None:
    receipt, _, _ = erase_demo_subject()
    text = receipt.to_json() + render_erasure_receipt(receipt) + repr(receipt)
    for contact in receipt.contacts:
        assert contact.contact_id not in repr(receipt)
    for personal in (
        "sam.rivera@example.com",
        "Sam Rivera",
        "website chat",
        "+44 20 7946 0958",
        "log in",
        "charities",
        "cust-1001",
    ):
        assert personal not in text, personal
    with pytest.raises(ValidationError, match="must not be an email"):
        ErasureReceipt.model_validate(
            {**receipt.model_dump(exclude={"status"}), "subject_reference": "a@b.example"}
        )


def test_the_status_is_complete_only_when_every_read_back_confirms() -> None:
    receipt, _, _ = erase_demo_subject()
    first, *rest = receipt.contacts
    unverified = receipt.model_copy(
        update={"contacts": (first.model_copy(update={"read_back": None}), *rest)}
    )
    assert unverified.status == "unverified"
    held = first.model_copy(
        update={"read_back": ReadBack(checked_at=T0, contact_exists=True, erased=False)}
    )
    assert receipt.model_copy(update={"contacts": (held, *rest)}).status == "incomplete"
    failed = ContactErasure(contact_id="x", outcome="failed", detail="HTTPStatusError (503)")
    assert receipt.model_copy(update={"contacts": (failed,)}).status == "incomplete"
    assert receipt.model_copy(update={"contacts": ()}).status == "complete"


def test_a_receipt_of_a_search_is_complete_only_as_far_as_search_can_see() -> None:
    """Search never returns archived contacts: a receipt of a search cannot say ``complete``."""
    receipt, _, _ = erase_demo_subject()
    by_id = receipt.model_copy(update={"looked_for": ("contact_id",)})
    assert by_id.status == "complete"
    for kinds in (("email",), ("phone",), ("external_id",), ("contact_id", "email")):
        searched = receipt.model_copy(update={"looked_for": kinds})
        assert searched.status == "complete_search_limited"
        document = json.loads(searched.to_json())
        assert document["status"] == "complete_search_limited"
        assert ErasureReceipt.model_validate(document) == searched
    nothing_found = receipt.model_copy(update={"looked_for": ("email",), "contacts": ()})
    assert nothing_found.status == "complete_search_limited"
    searched = receipt.model_copy(update={"looked_for": ("email",)})
    english = render_erasure_receipt(searched)
    german = render_erasure_receipt(searched, language="de")
    assert "complete as far as search can see" in english
    assert "vollständig, soweit die Suche reicht" in german
    assert "complete as far as search can see" not in render_erasure_receipt(by_id)


def test_delete_contact_states_no_counts_rather_than_zero() -> None:
    fake = FakeIntercom("t")
    contact = fake.add_contact(email="ada@example.com")
    resolver = IntercomResolver("t", transport=fake)
    erasure = asyncio.run(resolver.erase_subject(SubjectRef(kind="intercom", value=contact)))
    entry = ContactErasure.of(contact, erasure)
    assert entry.redacted_messages is None
    assert entry.conversations is None
    assert entry.outcome == "erased"
    assert entry.confirmed is None
    again = asyncio.run(resolver.erase_subject(SubjectRef(kind="intercom", value=contact)))
    assert ContactErasure.of(contact, again).outcome == "no_contact"


def test_the_surface_digest_changes_with_the_surface() -> None:
    plain = IntercomResolver("t").covered_surface
    assert surface_digest(plain) == surface_digest(IntercomResolver("t").covered_surface)
    redacting = IntercomResolver("t", erasure_policy="redact_messages").covered_surface
    assert surface_digest(plain) != surface_digest(redacting)


def test_the_documented_json_schema_is_the_models_and_admits_a_real_receipt() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    documented = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert documented == ErasureReceipt.json_schema(), (
        "docs/erasure-receipt.schema.json is stale: regenerate it with "
        "python -c 'import json; from dsr_resolvers.report import ErasureReceipt; "
        "print(json.dumps(ErasureReceipt.json_schema(), indent=2))'"
    )
    receipt, _, _ = erase_demo_subject()
    jsonschema.validate(json.loads(receipt.to_json()), documented)


def test_the_receipt_renders_inert_in_both_languages() -> None:
    receipt, _, _ = erase_demo_subject()
    english = render_erasure_receipt(receipt)
    german = render_erasure_receipt(receipt, language="de")
    for document in (english, german):
        assert_inert(document)
        assert receipt.surface_sha256 in document
    assert "Erasure receipt" in english
    assert "Löschbestätigung" in german
    assert "every read-back confirms it" in english


def test_a_receipt_of_ids_the_system_does_not_know_has_a_status_of_its_own() -> None:
    from datetime import UTC, datetime

    from dsr_resolvers.contract import ResolverErasure

    unknown = ResolverErasure(resolver="intercom", already_absent=True, no_record=True)
    erased = ResolverErasure(resolver="intercom")
    gone = ReadBack(checked_at=datetime.now(UTC), contact_exists=False, erased=True)

    def receipt(*entries: ContactErasure) -> ErasureReceipt:
        now = datetime.now(UTC)
        return ErasureReceipt(
            resolver="intercom",
            requested_at=now,
            completed_at=now,
            policy="delete_contact",
            contacts=entries,
            surface_sha256="0" * 64,
        )

    only_unknown = receipt(ContactErasure.of("a", unknown, gone))
    assert only_unknown.status == "no_contact"
    assert only_unknown.contacts[0].outcome == "no_contact"
    mixed = receipt(ContactErasure.of("a", unknown, gone), ContactErasure.of("b", erased, gone))
    assert mixed.status == "complete"
    assert [c.outcome for c in mixed.contacts] == ["no_contact", "erased"]
