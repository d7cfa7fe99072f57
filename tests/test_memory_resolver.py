"""The seam: a resolver with no Intercom code runs through bulk runs, dry runs and receipts.

``InMemoryResolver`` (in the testing kit) meets bulk erase, bulk export, the bulk dry run, the
erasure receipt and the conformance suite through the contract's protocols alone: had any of
them leaned on Intercom's shapes (an attribute name, a status, a sentence), these would fail.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

import dsr_resolvers.testing._memory as memory_module
from dsr_resolvers import (
    AttestingResolver,
    ConcurrentResolver,
    ConfiguredResolver,
    ItemIds,
    LookupResolver,
    ObjectingResolver,
    PlanningResolver,
    Presence,
    Resolver,
    ResolverErasure,
    ResolverErasurePlan,
    ResolverError,
    ResolverExport,
    ResolverObjection,
    ResolverVerification,
    SubjectRef,
    VerifyingResolver,
)
from dsr_resolvers.bulk import Journal, journal_key, parse_subjects, plan_bulk_erase, run_bulk
from dsr_resolvers.report import ContactErasure, ErasureReceipt, ReadBack, surface_digest
from dsr_resolvers.testing import InMemoryResolver, ResolverConformanceSuite

KEY = journal_key(secret="memory-seam")


def people() -> dict[str, dict[str, str]]:
    return {
        "p-ada": {"email": "ada@example.org", "name": "Ada", "phone": "+15550100"},
        "p-ada-lead": {"email": "ada@example.org"},
        "p-bob": {"email": "bob@example.org", "external_id": "crm-7"},
        "p-cy": {"name": "Cy", "phone": "+15550199"},
    }


class TestInMemoryResolverConformance(ResolverConformanceSuite):
    def make_resolver(self) -> Resolver:
        return InMemoryResolver(people())

    def make_present_ref(self) -> SubjectRef:
        return SubjectRef(kind="memory", value="p-bob")

    def make_absent_ref(self) -> SubjectRef:
        return SubjectRef(kind="memory", value="p-nobody")

    def make_fully_populated_resolver(self) -> tuple[Resolver, SubjectRef]:
        full = {"email": "eve@example.org", "phone": "+1555", "name": "Eve", "external_id": "e"}
        return InMemoryResolver({"p-eve": full}), SubjectRef(kind="memory", value="p-eve")

    def make_lookup(self) -> dict[str, str]:
        return {"email": "bob@example.org", "external_id": "crm-7"}


def test_it_claims_the_protocols_it_implements_and_holds_no_vendor_code() -> None:
    resolver = InMemoryResolver(people())
    for protocol in (
        AttestingResolver,
        LookupResolver,
        ObjectingResolver,
        PlanningResolver,
        VerifyingResolver,
    ):
        assert isinstance(resolver, protocol), protocol.__name__
    assert not isinstance(resolver, ConcurrentResolver | ConfiguredResolver)
    imports = re.findall(r"^(?:from|import) (\S+)", Path(memory_module.__file__).read_text(), re.M)
    assert not [name for name in imports if "intercom" in name or "httpx" in name]
    with pytest.raises(ValueError, match="may hold only"):
        InMemoryResolver({"p-1": {"ssn": "123"}})


async def test_lookup_says_what_each_match_matched_on() -> None:
    found = await InMemoryResolver(people()).find_subjects(
        email="ada@example.org", phone="+15550199"
    )
    assert {(m.ref.value, m.matched_on) for m in found} == {
        ("p-ada", frozenset({"email"})),
        ("p-ada-lead", frozenset({"email"})),
        ("p-cy", frozenset({"phone"})),
    }


async def test_bulk_erase_by_id_and_email_reaches_every_person(tmp_path: Path) -> None:
    held = people()
    resolver = InMemoryResolver(held)
    lines = ["p-bob", "ada@example.org", "nobody@example.org", "p-gone"]
    with Journal(tmp_path / "erase.journal", key=KEY) as journal:
        summary = await run_bulk(resolver, "erase", parse_subjects(lines), journal)
        report = journal.report()
    assert summary.ok
    assert (summary.done, summary.not_found) == (4, 1)
    assert set(held) == {"p-cy"}
    results = {
        s.line: (s.result, {c.contact_id: c.result for c in s.contacts}) for s in report.subjects
    }
    assert results == {
        1: ("erased", {"p-bob": "deleted"}),
        2: ("erased", {"p-ada": "deleted", "p-ada-lead": "deleted"}),
        3: ("not_found", {}),
        4: ("already_absent", {"p-gone": "already_absent"}),
    }
    assert report.options == {"resolver": "memory"}


async def test_bulk_object_reaches_every_person_through_the_contract_alone(tmp_path: Path) -> None:
    resolver = InMemoryResolver(people())
    await resolver.object_to_marketing(SubjectRef(kind="memory", value="p-bob"))
    lines = ["p-bob", "ada@example.org", "nobody@example.org", "p-gone"]
    with Journal(tmp_path / "object.journal", key=KEY) as journal:
        summary = await run_bulk(resolver, "object", parse_subjects(lines), journal)
        report = journal.report()
    assert summary.ok
    assert (summary.objected, summary.already_objected, summary.not_found) == (1, 1, 2)
    assert all(resolver.objected(p) for p in ("p-ada", "p-ada-lead", "p-bob"))
    assert not resolver.objected("p-cy")
    results = {
        s.line: (s.result, {c.contact_id: c.result for c in s.contacts}) for s in report.subjects
    }
    assert results == {
        1: ("already_objected", {"p-bob": "already_objected"}),
        2: ("objected", {"p-ada": "objected", "p-ada-lead": "objected"}),
        3: ("not_found", {}),
        4: ("not_found", {"p-gone": "already_absent"}),
    }


async def test_bulk_object_resumes_a_requested_objection_as_its_own(tmp_path: Path) -> None:
    """A kill between sending an objection and recording its answer: the rerun sends it again
    (idempotent) and counts it objected, not already objected."""
    resolver = InMemoryResolver(people())
    path = tmp_path / "object.journal"
    subjects = parse_subjects(["p-bob"])

    class DiesAfterSending(InMemoryResolver):
        async def object_to_marketing(
            self, ref: SubjectRef, *, dry_run: bool = False
        ) -> ResolverObjection:
            await resolver.object_to_marketing(ref, dry_run=dry_run)
            raise ResolverError("the answer was lost")

    with Journal(path, key=KEY) as journal:
        first = await run_bulk(DiesAfterSending(people()), "object", subjects, journal)
        (row,) = journal.report().subjects
    assert first.failed == 1
    assert [c.result for c in row.contacts] == ["requested"]  # intent journalled first
    assert resolver.objected("p-bob")

    with Journal(path, key=KEY) as journal:
        again = await run_bulk(resolver, "object", subjects, journal)
        (row,) = journal.report().subjects
    assert (again.objected, again.already_objected) == (1, 0)
    assert [c.result for c in row.contacts] == ["objected"]


async def test_bulk_object_refuses_a_resolver_that_cannot_object(tmp_path: Path) -> None:
    class ExportOnly:
        name = "memory"

        async def export_subject(self, ref: SubjectRef) -> ResolverExport:
            return ResolverExport(resolver="memory")

        async def erase_subject(self, ref: SubjectRef) -> ResolverErasure:
            return ResolverErasure(resolver="memory")

    with Journal(tmp_path / "j", key=KEY) as journal:
        with pytest.raises(ValueError, match="ObjectingResolver"):
            await run_bulk(ExportOnly(), "object", parse_subjects(["p-bob"]), journal)
        assert journal.operation is None  # refused before anything was written


async def test_bulk_export_writes_a_file_per_subject_with_the_surface(tmp_path: Path) -> None:
    resolver = InMemoryResolver(people())
    with Journal(tmp_path / "export.journal", key=KEY) as journal:
        summary = await run_bulk(
            resolver,
            "export",
            parse_subjects(["ada@example.org"]),
            journal,
            out_dir=tmp_path / "out",
        )
    assert summary.ok
    (written,) = (tmp_path / "out").iterdir()
    document = json.loads(written.read_text())
    assert document["resolver"] == "memory"
    assert document["covered_surface"] == resolver.covered_surface.model_dump(mode="json")
    values = {r["value"] for s in document["subjects"] for r in s["records"]}
    assert values == {"ada@example.org", "Ada", "+15550100"}


async def test_the_bulk_dry_run_plans_and_changes_nothing() -> None:
    held = people()
    before = json.dumps(held, sort_keys=True)
    plans = [
        plan
        async for plan in plan_bulk_erase(
            InMemoryResolver(held), parse_subjects(["ada@example.org", "p-gone", "p-cy"])
        )
    ]
    assert json.dumps(held, sort_keys=True) == before
    planned = [[(c.contact_id, c.presence, dict(c.counts)) for c in p.contacts] for p in plans]
    assert planned == [
        [
            ("p-ada", Presence.HELD, {"fields_to_delete": 3}),
            ("p-ada-lead", Presence.HELD, {"fields_to_delete": 1}),
        ],
        [("p-gone", Presence.ABSENT, {"fields_to_delete": 0})],
        [("p-cy", Presence.HELD, {"fields_to_delete": 2})],
    ]
    assert [c.to_erase for p in plans for c in p.contacts] == [True, True, False, True]


def test_an_erasure_receipt_reads_its_counts_and_read_back_through_the_contract() -> None:
    resolver = InMemoryResolver(people())

    async def erase(contact_id: str) -> ContactErasure:
        ref = SubjectRef(kind="memory", value=contact_id)
        erasure = await resolver.erase_subject(ref)
        return ContactErasure.of(
            contact_id, erasure, ReadBack.of(await resolver.verify_erasure(ref))
        )

    contacts = tuple(asyncio.run(erase(c)) for c in ("p-ada", "p-gone"))
    receipt = ErasureReceipt(
        resolver=resolver.name,
        requested_at=datetime(2026, 5, 4, tzinfo=UTC),
        completed_at=datetime.now(UTC),
        policy="forget",
        contacts=contacts,
        surface_sha256=surface_digest(resolver.covered_surface),
    )
    assert receipt.status == "complete"
    assert [c.outcome for c in receipt.contacts] == ["erased", "already_absent"]
    # Memory states no message counts: the receipt records them as unknown, never as 0.
    assert {c.redacted_messages for c in receipt.contacts} == {None}
    assert all(c.read_back is not None and not c.read_back.contact_exists for c in contacts)


class PlansNothing(InMemoryResolver):
    async def plan_erasure(self, ref: SubjectRef) -> ResolverErasurePlan:
        plan = await super().plan_erasure(ref)
        return plan.model_copy(update={"presence": Presence.ABSENT})


class AlwaysErased(InMemoryResolver):
    async def verify_erasure(
        self, ref: SubjectRef, *, found: ItemIds | None = None
    ) -> ResolverVerification:
        verification = await super().verify_erasure(ref, found=found)
        return verification.model_copy(update={"erased": True})


class ForgetsObjections(InMemoryResolver):
    async def object_to_marketing(
        self, ref: SubjectRef, *, dry_run: bool = False
    ) -> ResolverObjection:
        return ResolverObjection(resolver=self.name, dry_run=dry_run, fields=("marketing",))


@pytest.mark.parametrize(
    ("broken", "test", "says"),
    [
        (ForgetsObjections, "test_objection_is_read_back_and_idempotent", "did not hold"),
        (PlansNothing, "test_plan_changes_nothing_and_tells_the_truth", "never say 'nothing"),
        (AlwaysErased, "test_verification_confirms_only_a_done_erasure", "before any erasure"),
    ],
)
def test_the_suite_fails_a_resolver_that_breaks_a_protocol_it_claims(
    broken: type[InMemoryResolver], test: str, says: str
) -> None:
    class Broken(TestInMemoryResolverConformance):
        def make_resolver(self) -> Resolver:
            return broken(people())

    with pytest.raises(AssertionError, match=says):
        getattr(Broken(), test)()
