"""Properties of the core resolver over generated ids, worlds and page sizes."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import unquote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsr_resolvers import SubjectRef
from dsr_resolvers.intercom import IntercomResolver
from tests.paged_world import PagedWorld

HOSTILE_PIECES = st.sampled_from(
    ["/", "?", "#", "%", " ", "..", ".", "%2F", "ü", "\u202e", "&", "=", ";", "\\"]
)
contact_ids = st.one_of(
    st.text(min_size=1, max_size=40).filter(lambda s: s.strip() == s or True),
    st.lists(st.one_of(HOSTILE_PIECES, st.text(max_size=3)), min_size=1, max_size=8)
    .map("".join)
    .filter(bool),
    st.sampled_from([".", "..", "../contacts", "a/../b", "%", "%25", "?x=1", "#frag"]),
).filter(lambda s: 1 <= len(s) <= 255)

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(target=contact_ids, bystanders=st.lists(contact_ids, max_size=4, unique=True))
def test_erasure_touches_exactly_the_target_contact(target: str, bystanders: list[str]) -> None:
    world = PagedWorld()
    for contact_id in {target, *bystanders}:
        world.add(contact_id)
    resolver = IntercomResolver("token", transport=world.transport(), sections=["conversations"])
    erasure = asyncio.run(resolver.erase_subject(SubjectRef(kind="intercom", value=target)))
    assert erasure.already_absent is False
    assert world.deleted == [target]
    assert set(world.contacts) == set(bystanders) - {target}
    # the two searches that record the ids a read-back checks, then the one DELETE
    *searches, request = world.requests
    assert [r.url.path for r in searches] == ["/conversations/search", "/tickets/search"]
    raw_path = request.url.raw_path.decode("ascii")
    segments = raw_path.split("/")
    assert segments[:2] == ["", "contacts"]
    assert len(segments) == 3
    assert unquote(segments[2]) == target
    assert "?" not in raw_path
    assert "#" not in raw_path


@SETTINGS
@given(
    count=st.integers(min_value=0, max_value=700), page_size=st.integers(min_value=1, max_value=150)
)
def test_export_collects_every_conversation_for_any_count_and_page_size(
    count: int, page_size: int
) -> None:
    world = PagedWorld(page_size=page_size)
    world.add("c1", email="a@b.c", conversations=count)
    world.add("other", conversations=3)
    resolver = IntercomResolver("token", transport=world.transport(), sections=["conversations"])
    export = asyncio.run(resolver.export_subject(SubjectRef(kind="intercom", value="c1")))
    exported = {
        r.field.split(".")[1] for r in export.records if r.field.startswith("conversation.")
    }
    assert exported == {c["id"] for c in world.conversations["c1"]}
    pages = max(1, -(-count // page_size))
    assert len(world.requests) == 1 + pages
    assert all(json.loads(r.content)["pagination"]["per_page"] == 150 for r in world.requests[1:])


@SETTINGS
@given(
    email=st.one_of(st.none(), st.just(""), st.emails()),
    name=st.one_of(st.none(), st.text(max_size=30)),
    phone=st.one_of(st.none(), st.text(max_size=20)),
    conversations=st.integers(min_value=0, max_value=5),
    state=st.sampled_from(["open", "closed", "snoozed"]),
)
def test_every_exported_record_lies_inside_the_covered_surface(
    email: str | None, name: str | None, phone: str | None, conversations: int, state: str
) -> None:
    world = PagedWorld()
    world.add("c1", email=email, name=name, phone=phone, conversations=conversations)
    for conversation in world.conversations["c1"]:
        conversation["state"] = state
    resolver = IntercomResolver("token", transport=world.transport(), sections=["conversations"])
    export = asyncio.run(resolver.export_subject(SubjectRef(kind="intercom", value="c1")))
    surface = resolver.covered_surface
    for record in export.records:
        assert surface.admits(record), record.field
        assert record.source == "intercom"
    assert len(export.records) == sum(1 for v in (email, name, phone) if v) + 3 * conversations
