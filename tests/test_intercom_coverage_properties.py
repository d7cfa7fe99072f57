"""Properties over generated worlds: who wrote what, and erasure that converges after any fault."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsr_resolvers import PiiCategory
from dsr_resolvers.intercom import IntercomResolver
from dsr_resolvers.testing import FakeIntercom
from dsr_resolvers.testing.strategies import World, worlds
from tests.test_intercom_coverage import FAULT_MODES, FaultAt

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CONTACT_TYPES = {"user", "lead", "contact"}


def messages(fake: FakeIntercom, conversation_id: str) -> list[dict[str, Any]]:
    conversation = fake.conversation(conversation_id)
    return [conversation["source"], *conversation["conversation_parts"]["conversation_parts"]]


def written_by(message: dict[str, Any], contact_id: str) -> bool:
    author = message.get("author") or {}
    return author.get("id") == contact_id and author.get("type") in CONTACT_TYPES


def has_body(message: dict[str, Any]) -> bool:
    return bool((message.get("body") or "").strip())


def all_conversations(world: World) -> set[str]:
    return {c for cid in world.contacts for c in world.conversations_of(cid)}


@SETTINGS
@given(world=worlds(max_contacts=4, max_conversations=5, max_parts=4))
def test_export_of_messages_is_exactly_what_the_contact_wrote(world: World) -> None:
    resolver = IntercomResolver(
        world.token, transport=world.fake, export_messages=True, sections=["conversations"]
    )
    for contact_id in world.contacts:
        export = asyncio.run(resolver.export_subject(world.ref(contact_id)))
        exported = sorted(
            r.value
            for r in export.records
            if r.category is PiiCategory.COMMUNICATION and r.field.endswith(".body")
        )
        expected = sorted(
            m["body"]
            for conversation_id in world.conversations_of(contact_id)
            for m in messages(world.fake, conversation_id)
            if written_by(m, contact_id) and has_body(m)
        )
        assert exported == expected


@SETTINGS
@given(world=worlds(max_contacts=4, max_conversations=5, max_parts=4), data=st.data())
def test_redaction_touches_only_the_subjects_messages(world: World, data: st.DataObject) -> None:
    target = data.draw(st.sampled_from(world.contacts))
    before = {c: messages(world.fake, c) for c in all_conversations(world)}
    resolver = IntercomResolver(world.token, transport=world.fake, erasure_policy="redact_messages")
    asyncio.run(resolver.erase_subject(world.ref(target)))
    assert world.fake.contact(target) is None
    for conversation_id, old in before.items():
        for was, now in zip(old, messages(world.fake, conversation_id), strict=True):
            if written_by(was, target) and has_body(was):
                assert now["redacted"] is True
            else:
                assert now == was, "a bystander's message changed"
    for other in world.contacts:
        if other != target:
            assert world.fake.contact(other) is not None


@SETTINGS
@given(
    world=worlds(min_contacts=2, max_contacts=3, max_conversations=4, max_parts=3),
    data=st.data(),
)
def test_erase_again_converges_whatever_step_fails(world: World, data: st.DataObject) -> None:
    target = data.draw(st.sampled_from(world.contacts))
    step = data.draw(st.integers(min_value=1, max_value=40))
    mode = data.draw(st.sampled_from(FAULT_MODES))
    others = {
        c: [m for m in messages(world.fake, c) if not written_by(m, target)]
        for c in all_conversations(world)
    }
    faulty = IntercomResolver(
        world.token, transport=FaultAt(world.fake, step, mode), erasure_policy="redact_messages"
    )
    # The fault strikes if the erasure reaches that step; otherwise the erasure just finishes.
    with contextlib.suppress(httpx.HTTPError):
        asyncio.run(faulty.erase_subject(world.ref(target)))
    healthy = IntercomResolver(world.token, transport=world.fake, erasure_policy="redact_messages")
    asyncio.run(healthy.erase_subject(world.ref(target)))
    assert world.fake.contact(target) is None
    for conversation_id, untouched in others.items():
        now = messages(world.fake, conversation_id)
        assert [m for m in now if not written_by(m, target)] == untouched
        assert all(m["redacted"] for m in now if written_by(m, target) and has_body(m))
