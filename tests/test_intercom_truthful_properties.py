"""Truthful outcomes over generated worlds: archived contacts or not, conversations up to and
past Intercom's 500-part cap, addresses typed in any case and padding.

Whatever the world, an erasure either raises or leaves ``verify_erasure(...).erased`` true
(and, under ``redact_messages``, no unredacted message the contact wrote); an export either
raises or is complete for its sections; a lookup finds the contact however it was typed.

The erasure property takes its conversations to the cap with a teammate's replies and a few of
the contact's own among them (anywhere, the oldest ones hidden past the cap included): the cap
counts every part, while a redaction touches only what the contact wrote, one request a part,
and each answer carries the whole conversation. So an example costs a few redactions, not five
hundred. Redacting five hundred of the contact's own parts one by one is proven once, in
``test_intercom_truthful.py::test_a_redaction_past_the_cap_raises_and_keeps_the_contact``.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Coroutine
from typing import Any, TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsr_resolvers.intercom import ErasurePolicy, IncompleteConversationError, IntercomResolver
from dsr_resolvers.testing.strategies import World, typed_emails, worlds

WORLDS = worlds(max_contacts=3, max_conversations=3, max_parts=3, archived=True, past_the_cap=True)
T = TypeVar("T")
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PART_CAP = 500
PADDING = (0, 0, 497, 499, 500, 520)
"""Parts added to a conversation: below, at and past the cap (it holds 1 to 4 already)."""


@st.composite
def worlds_at_the_cap(draw: st.DrawFn) -> World:
    """Worlds like ``WORLDS``, padded to the cap mostly by a teammate (see the module doc)."""
    world = draw(worlds(max_contacts=3, max_conversations=3, max_parts=3))
    capped: set[str] = set()
    for conversation_id in sorted({c for ids in world.started.values() for c in ids}):
        extra = draw(st.sampled_from(PADDING))
        if not extra:
            continue
        # The oldest, a middle and the newest padding part are drawn as often as any other.
        position = st.integers(min_value=0, max_value=extra - 1)
        edges = st.sampled_from((0, extra // 2, extra - 1))
        by_contact = draw(st.sets(st.one_of(edges, position), min_size=1, max_size=3))
        for n in range(extra):
            author = "contact" if n in by_contact else "admin"
            world.fake.add_part(conversation_id, author=author, body=f"<p>more {n}</p>")
        listed = world.fake.conversation(conversation_id)["conversation_parts"]["total_count"]
        if listed >= PART_CAP:
            capped.add(conversation_id)
    archived = frozenset(draw(st.lists(st.sampled_from(world.contacts), unique=True)))
    for contact_id in archived:
        world.fake.archive_contact(contact_id)
    return dataclasses.replace(world, archived=archived, past_the_cap=frozenset(capped))


def unredacted_authored(world: World, contact_id: str) -> int:
    """Messages with a body the contact wrote that the fake still shows unredacted, all parts."""
    count = 0
    for conversation_id in world.conversations_of(contact_id):
        conversation = world.fake.conversation(conversation_id)
        messages = [
            conversation["source"],
            *conversation["conversation_parts"]["conversation_parts"],
        ]
        for message in messages:
            author = message.get("author") or {}
            body = message.get("body")
            if (
                author.get("id") == contact_id
                and isinstance(body, str)
                and body.strip()
                and not message.get("redacted")
            ):
                count += 1
    return count


def attempt(call: Coroutine[Any, Any, T]) -> T | IncompleteConversationError:
    """The call's result, or the IncompleteConversationError it raised."""
    try:
        return asyncio.run(call)
    except IncompleteConversationError as error:
        return error


def capped(world: World, contact_id: str) -> set[str]:
    return set(world.conversations_of(contact_id) & world.past_the_cap)


@SETTINGS
@given(world=worlds_at_the_cap(), policy=st.sampled_from(["delete_contact", "redact_messages"]))
def test_an_erasure_raises_or_is_verified_erased(world: World, policy: ErasurePolicy) -> None:
    resolver = IntercomResolver(world.token, transport=world.fake, erasure_policy=policy)
    for contact_id in world.contacts:
        ref = world.ref(contact_id)
        cut = capped(world, contact_id)
        error = attempt(resolver.erase_subject(ref))
        if isinstance(error, IncompleteConversationError):
            assert policy == "redact_messages"
            assert set(error.conversation_ids) == cut
            # The contact stays (unarchived, so a rerun finds it) and verify says not erased.
            assert world.fake.contact(contact_id) is not None
            assert asyncio.run(resolver.verify_erasure(ref)).erased is False
            continue
        assert policy == "delete_contact" or not cut
        verification = asyncio.run(resolver.verify_erasure(ref))
        assert verification.erased is True
        assert world.fake.contact(contact_id) is None
        assert not world.fake.is_archived(contact_id)
        if policy == "redact_messages":
            assert unredacted_authored(world, contact_id) == 0


@SETTINGS
@given(world=WORLDS, export_archived=st.booleans())
def test_an_export_is_complete_for_its_sections_or_raises(
    world: World, export_archived: bool
) -> None:
    resolver = IntercomResolver(
        world.token,
        transport=world.fake,
        sections=["conversations"],
        export_messages=True,
        export_archived=export_archived,
    )
    for contact_id in world.contacts:
        archived = contact_id in world.archived
        export = attempt(resolver.export_subject(world.ref(contact_id)))
        if isinstance(export, IncompleteConversationError):
            error = export
            assert set(error.conversation_ids) == capped(world, contact_id)
            assert error.conversation_ids
            assert world.fake.is_archived(contact_id) is archived
            continue
        assert world.fake.is_archived(contact_id) is archived
        if archived and not export_archived:
            assert export.records == ()
            continue
        assert not capped(world, contact_id)
        fields = {r.field for r in export.records}
        found = {f.split(".")[1] for f in fields if f.startswith("conversation.")}
        assert found == world.conversations_of(contact_id)
        bodies = [r for r in export.records if r.field.endswith(".body")]
        assert len(bodies) == unredacted_authored(world, contact_id)


@SETTINGS
@given(world=worlds(max_contacts=4, max_conversations=0, archived=True), data=st.data())
def test_a_lookup_finds_the_contact_however_the_address_was_typed(
    world: World, data: st.DataObject
) -> None:
    resolver = IntercomResolver(world.token, transport=world.fake)
    for contact_id in world.contacts:
        stored: Any = world.contact_specs[contact_id].get("email", "")
        if not stored or stored != stored.lower():
            continue
        typed = data.draw(typed_emails(stored))
        found = asyncio.run(resolver.find_contact_ids(email=typed))
        assert len(found) == len(set(found))
        # Intercom's search cannot see archived contacts; everyone else is found.
        assert (contact_id in found) is (contact_id not in world.archived)
