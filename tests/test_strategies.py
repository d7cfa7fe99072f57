"""The hypothesis strategies draw valid, varied data that FakeIntercom and IntercomResolver accept.

Two kinds of test: properties that hold for every draw (the data seeds the fake, the resolver
round-trips it), and ``find`` searches showing that the awkward cases the strategies promise
(a ``..`` id, a shared email, a reply by another contact) are actually reachable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from dsr_resolvers import SubjectRef
from dsr_resolvers.intercom import IntercomResolver
from dsr_resolvers.testing import FakeIntercom
from dsr_resolvers.testing.strategies import (
    ContactSpec,
    ConversationSpec,
    World,
    contact_ids,
    contacts,
    conversations,
    typed_emails,
    worlds,
)

T = TypeVar("T")

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Searches stop at the first hit: shrinking it to a minimal example would only cost time.
FIND = settings(
    max_examples=2_000,
    deadline=None,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def reachable(strategy: st.SearchStrategy[T], condition: Callable[[T], bool]) -> T:
    """A draw satisfying ``condition``; fails the test when none turns up."""
    return find(strategy, condition, settings=FIND)


def exported_conversations(world: World, contact_id: str) -> set[str]:
    export = asyncio.run(world.resolver().export_subject(world.ref(contact_id)))
    return {
        record.field.removeprefix("conversation.").rsplit(".", 1)[0]
        for record in export.records
        if record.field.startswith("conversation.")
    }


# -- contact_ids -------------------------------------------------------------------------------


@SETTINGS
@given(contact_id=contact_ids())
def test_every_contact_id_is_a_valid_ref_value(contact_id: str) -> None:
    assert 1 <= len(contact_id) <= 255
    assert SubjectRef(kind="intercom", value=contact_id).value == contact_id


@SETTINGS
@given(contact_id=contact_ids(), bystander=contact_ids())
def test_hostile_ids_survive_a_round_trip_through_resolver_and_fake(
    contact_id: str, bystander: str
) -> None:
    fake = FakeIntercom()
    fake.add_contact(contact_id, email="ada@example.org")
    if bystander != contact_id:
        fake.add_contact(bystander, email="bob@example.org")
    resolver = IntercomResolver("test-token", transport=fake)
    ref = SubjectRef(kind="intercom", value=contact_id)

    export = asyncio.run(resolver.export_subject(ref))
    assert ("contact.email", "ada@example.org") in {(r.field, r.value) for r in export.records}
    # The id travelled as one path segment and arrived intact.
    fetched = [r for r in fake.requests if r.route == "GET /contacts/{id}"]
    assert fetched
    assert all(r.segments == ("contacts", contact_id) for r in fetched)

    erasure = asyncio.run(resolver.erase_subject(ref))
    assert erasure.already_absent is False
    assert fake.contact(contact_id) is None
    assert set(fake.contact_ids()) == ({bystander} - {contact_id})


@pytest.mark.parametrize(
    ("what", "condition"),
    [
        ("a slash", lambda s: "/" in s),
        ("a question mark", lambda s: "?" in s),
        ("a hash", lambda s: "#" in s),
        ("a percent sign", lambda s: "%" in s),
        ("a space", lambda s: " " in s),
        ("exactly '.'", lambda s: s == "."),
        ("exactly '..'", lambda s: s == ".."),
        ("non-ASCII text", lambda s: not s.isascii()),
        ("255 characters", lambda s: len(s) == 255),
        ("an Intercom-like hex id", lambda s: len(s) == 24 and s.isalnum() and s.isascii()),
    ],
)
def test_contact_ids_reach_every_hostile_shape(what: str, condition: Callable[[str], bool]) -> None:
    assert condition(reachable(contact_ids(), condition)), what


# -- contacts ----------------------------------------------------------------------------------


@SETTINGS
@given(spec=contacts())
def test_contact_specs_seed_the_fake(spec: ContactSpec) -> None:
    fake = FakeIntercom()
    contact = fake.contact(fake.add_contact(**spec))
    assert contact is not None
    assert contact["email"] == spec["email"]
    assert contact["name"] == spec["name"]
    assert contact["phone"] == spec["phone"]
    assert contact["role"] == spec["role"]
    assert contact["external_id"] == spec["external_id"]


@pytest.mark.parametrize(
    ("what", "condition"),
    [
        ("a user", lambda c: c["role"] == "user"),
        ("a lead", lambda c: c["role"] == "lead"),
        ("no email", lambda c: c["email"] == ""),
        ("no name", lambda c: c["name"] is None),
        ("a non-ASCII name", lambda c: c["name"] is not None and not c["name"].isascii()),
        ("a phone", lambda c: c["phone"] is not None),
        ("custom attributes", lambda c: bool(c["custom_attributes"])),
        ("a location", lambda c: bool(c["location"])),
    ],
)
def test_contacts_are_varied(what: str, condition: Callable[[ContactSpec], bool]) -> None:
    assert condition(reachable(contacts(), condition)), what


def test_contacts_share_emails_from_a_pool() -> None:
    specs = reachable(
        st.lists(contacts(emails=st.sampled_from(["ada@example.org"])), min_size=2, max_size=2),
        lambda pair: {spec["role"] for spec in pair} == {"user", "lead"},
    )
    assert {spec["email"] for spec in specs} == {"ada@example.org"}


# -- conversations -----------------------------------------------------------------------------


@SETTINGS
@given(spec=conversations())
def test_conversation_specs_seed_the_fake(spec: ConversationSpec) -> None:
    fake = FakeIntercom()
    contact_id = fake.add_contact(email="ada@example.org")
    conversation = fake.conversation(spec.add_to(fake, contact_id))
    assert conversation["state"] == spec.state
    assert conversation["contacts"]["contacts"][0]["id"] == contact_id
    parts = conversation["conversation_parts"]["conversation_parts"]
    assert [part["body"] for part in parts] == [part.body for part in spec.parts]
    if spec.created_at is not None:
        assert conversation["created_at"] == spec.created_at
        assert conversation["updated_at"] >= conversation["created_at"]


@pytest.mark.parametrize(
    ("what", "condition"),
    [
        ("a snoozed conversation", lambda c: c.state == "snoozed"),
        ("an admin-written source", lambda c: c.source_author == "admin"),
        ("a contact-written source", lambda c: c.source_author == "contact"),
        ("no parts", lambda c: not c.parts),
        ("a part without a body", lambda c: any(p.body is None for p in c.parts)),
        ("a bot reply", lambda c: any(p.author == "bot" for p in c.parts)),
        ("an admin reply", lambda c: any(p.author == "admin" for p in c.parts)),
        ("a reply by another contact", lambda c: any(p.author == "other-1" for p in c.parts)),
    ],
)
def test_conversations_are_varied(what: str, condition: Callable[[ConversationSpec], bool]) -> None:
    strategy = conversations(other_contacts=["other-1"])
    assert condition(reachable(strategy, condition)), what


# -- worlds ------------------------------------------------------------------------------------


@SETTINGS
@given(world=worlds(max_contacts=4, max_conversations=5))
def test_exporting_any_contact_yields_exactly_its_conversations(world: World) -> None:
    assert world.fake.contact_ids() == world.contacts
    for contact_id in world.contacts:
        assert exported_conversations(world, contact_id) == world.conversations_of(contact_id)
        assert set(world.started[contact_id]) <= world.conversations_of(contact_id)


@SETTINGS
@given(world=worlds(max_contacts=3, max_conversations=4, hostile_ids=True), data=st.data())
def test_erasing_one_contact_leaves_every_other_export_unchanged(
    world: World, data: st.DataObject
) -> None:
    resolver = world.resolver()

    def export(contact_id: str) -> set[tuple[str, str]]:
        records = asyncio.run(resolver.export_subject(world.ref(contact_id))).records
        return {(r.field, r.value) for r in records}

    before = {contact_id: export(contact_id) for contact_id in world.contacts}
    target = data.draw(st.sampled_from(world.contacts))
    asyncio.run(resolver.erase_subject(world.ref(target)))
    assert export(target) == set()
    for contact_id in world.contacts:
        if contact_id != target:
            assert export(contact_id) == before[contact_id]


@SETTINGS
@given(world=worlds(min_contacts=0, max_contacts=2, max_conversations=3, max_parts=1))
def test_worlds_respect_their_size_limits(world: World) -> None:
    assert 0 <= len(world.contacts) <= 2
    assert sum(len(started) for started in world.started.values()) <= 3
    for contact_id in world.contacts:
        for conversation_id in world.started[contact_id]:
            parts = world.fake.conversation(conversation_id)["conversation_parts"]
            assert len(parts["conversation_parts"]) <= 1


@pytest.mark.parametrize(
    ("what", "condition"),
    [
        (
            "two contacts sharing an email",
            lambda w: (
                len({s["email"] for s in w.contact_specs.values() if s["email"]})
                < len([s for s in w.contact_specs.values() if s["email"]])
            ),
        ),
        (
            "a conversation joined by another contact",
            lambda w: any(
                conversation_id not in w.started[contact_id]
                for contact_id in w.contacts
                for conversation_id in w.conversations_of(contact_id)
            ),
        ),
        ("a contact without conversations", lambda w: any(not w.started[c] for c in w.contacts)),
        (
            "a user and a lead",
            lambda w: {s["role"] for s in w.contact_specs.values()} == {"user", "lead"},
        ),
    ],
)
def test_worlds_are_varied(what: str, condition: Callable[[World], bool]) -> None:
    assert condition(reachable(worlds(max_contacts=4), condition)), what


def test_hostile_worlds_pin_their_contact_ids() -> None:
    world = reachable(worlds(hostile_ids=True), lambda w: any("/" in c for c in w.contacts))
    assert all(spec.get("id") == cid for cid, spec in world.contact_specs.items())


@pytest.mark.parametrize(
    "kwargs",
    [{"min_contacts": 3, "max_contacts": 2}, {"min_contacts": -1}, {"max_conversations": -1}],
)
def test_worlds_refuse_impossible_limits(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match=r"must not be negative|min_contacts"):
        worlds(**kwargs)  # type: ignore[arg-type]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds(max_contacts=3, max_conversations=3, archived=True, past_the_cap=True))
def test_worlds_archive_contacts_and_reach_the_part_cap_when_asked(world: World) -> None:
    for contact_id in world.contacts:
        assert world.fake.is_archived(contact_id) is (contact_id in world.archived)
    for conversation_id in {c for ids in world.started.values() for c in ids}:
        listed = world.fake.conversation(conversation_id)["conversation_parts"]["total_count"]
        assert (listed >= 500) is (conversation_id in world.past_the_cap)


@given(st.data())
def test_typed_emails_pad_and_recase_the_address_only(data: st.DataObject) -> None:
    typed = data.draw(typed_emails("sam.rivera@example.com"))
    assert typed.strip().lower() == "sam.rivera@example.com"
