"""The vendor-free contract: frozen, strict models and runtime-checkable protocols."""

from __future__ import annotations

import pydantic
import pytest

import dsr_resolvers
from dsr_resolvers import (
    AttestingResolver,
    CoveredField,
    CoveredSurface,
    ExportRecord,
    PiiCategory,
    Resolver,
    ResolverErasure,
    ResolverError,
    ResolverExport,
    SubjectRef,
    SurfaceExclusion,
)


def test_subject_ref_bounds_kind_and_value() -> None:
    assert SubjectRef(kind="intercom", value="x" * 255).value == "x" * 255
    for bad in (
        {"kind": "", "value": "a"},
        {"kind": "k", "value": ""},
        {"kind": "k" * 256, "value": "a"},
    ):
        with pytest.raises(pydantic.ValidationError):
            SubjectRef.model_validate(bad)


def test_models_are_frozen_and_forbid_extra_fields() -> None:
    ref = SubjectRef(kind="intercom", value="1")
    with pytest.raises(pydantic.ValidationError):
        ref.value = "2"  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        ExportRecord.model_validate(
            {"source": "s", "field": "f", "category": "contact", "value": "v", "surprise": 1}
        )


def test_subject_ref_extra_defaults_to_a_fresh_empty_dict() -> None:
    assert SubjectRef(kind="a", value="b").extra == {}
    assert SubjectRef(kind="a", value="b", extra={"email_hint": "x"}).extra == {"email_hint": "x"}


def test_pii_categories_are_the_effaced_vocabulary() -> None:
    assert [c.value for c in PiiCategory] == [
        "contact",
        "identity",
        "financial",
        "behavioral",
        "technical",
        "location",
        "communication",
        "special",
    ]
    assert PiiCategory("contact") is PiiCategory.CONTACT


def test_export_round_trips_through_json() -> None:
    export = ResolverExport(
        resolver="intercom",
        records=(
            ExportRecord(
                source="intercom", field="contact.email", category=PiiCategory.CONTACT, value="a@b"
            ),
        ),
    )
    assert ResolverExport.model_validate_json(export.model_dump_json()) == export
    assert export.model_dump(mode="json")["records"][0]["category"] == "contact"


def test_erasure_defaults() -> None:
    erasure = ResolverErasure(resolver="intercom")
    assert erasure.already_absent is False
    assert erasure.detail is None


def test_surface_needs_at_least_one_field() -> None:
    with pytest.raises(pydantic.ValidationError):
        CoveredSurface(resolver="r", fields=())


def test_surface_admits_by_glob_and_category_and_rejects_exclusions() -> None:
    surface = CoveredSurface(
        resolver="r",
        fields=(
            CoveredField(field="contact.email", category=PiiCategory.CONTACT),
            CoveredField(field="conversation.*.state", category=PiiCategory.BEHAVIORAL),
            CoveredField(field="contact.custom_attributes.*", category=PiiCategory.BEHAVIORAL),
        ),
        exclusions=(SurfaceExclusion(field="contact.custom_attributes.secret", reason="why"),),
    )

    def record(field: str, category: PiiCategory) -> ExportRecord:
        return ExportRecord(source="r", field=field, category=category, value="v")

    assert surface.admits(record("contact.email", PiiCategory.CONTACT))
    assert surface.admits(record("conversation.42.state", PiiCategory.BEHAVIORAL))
    assert not surface.admits(record("contact.email", PiiCategory.IDENTITY))
    assert not surface.admits(record("contact.phone", PiiCategory.CONTACT))
    assert surface.admits(record("contact.custom_attributes.plan", PiiCategory.BEHAVIORAL))
    assert not surface.admits(record("contact.custom_attributes.secret", PiiCategory.BEHAVIORAL))
    assert surface.excluding("contact.custom_attributes.secret") is not None


def test_protocols_are_runtime_checkable() -> None:
    class Minimal:
        name = "minimal"

        async def export_subject(self, ref: SubjectRef) -> ResolverExport:
            return ResolverExport(resolver=self.name)

        async def erase_subject(self, ref: SubjectRef) -> ResolverErasure:
            return ResolverErasure(resolver=self.name)

    assert isinstance(Minimal(), Resolver)
    assert not isinstance(Minimal(), AttestingResolver)
    assert not isinstance(object(), Resolver)


def test_resolver_error_is_a_plain_exception() -> None:
    assert issubclass(ResolverError, Exception)
    assert str(ResolverError("intercom rejected the erase request (status=403)")).endswith("403)")


def test_package_root_exports_the_contract_and_imports_no_vendor() -> None:
    import subprocess
    import sys

    assert set(dsr_resolvers.__all__) >= {"SubjectRef", "ResolverError", "CoveredSurface"}
    probe = (
        "import sys, dsr_resolvers; "
        "print(sorted(m for m in ('httpx', 'dsr_resolvers.intercom') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
