"""The effaced adapter: each value and each error crosses the boundary as the table promises.

Most tests wrap a small scripted resolver of our contract, so that every translation can be
pinned on its own; the last group wraps ``IntercomResolver`` on ``FakeIntercom`` to show the
real taxonomy (401 abandons, 429 and 5xx retry) arriving in effaced's terms. The isolation
tests run fresh interpreters: effaced must stay an optional dependency.
"""

from __future__ import annotations

import ast
import asyncio
import enum
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import effaced
import httpx
import pytest

from dsr_resolvers import (
    ExportRecord,
    PiiCategory,
    ResolverErasure,
    ResolverError,
    ResolverExport,
    SubjectRef,
)
from dsr_resolvers.integrations.effaced import EffacedResolverAdapter, as_effaced_resolver
from dsr_resolvers.intercom import (
    IntercomRejectedError,
    IntercomResolver,
    MalformedResponseError,
    RateLimitedError,
)
from dsr_resolvers.testing import FakeIntercom

SRC = Path(__file__).resolve().parents[1] / "src"
TOKEN = "tok_effaced_adapter_SECRET"
SECRET_ID = "contact-0123-private"


class ScriptedResolver:
    """A resolver of our contract that answers what a test scripts and records what it got."""

    def __init__(
        self,
        *,
        export: ResolverExport | None = None,
        erasure: ResolverErasure | None = None,
        error: BaseException | None = None,
    ) -> None:
        self.export = export or ResolverExport(resolver="scripted")
        self.erasure = erasure or ResolverErasure(resolver="scripted")
        self.error = error
        self.refs: list[SubjectRef] = []

    @property
    def name(self) -> str:
        return "scripted"

    async def export_subject(self, ref: SubjectRef) -> ResolverExport:
        self.refs.append(ref)
        if self.error is not None:
            raise self.error
        return self.export

    async def erase_subject(self, ref: SubjectRef) -> ResolverErasure:
        self.refs.append(ref)
        if self.error is not None:
            raise self.error
        return self.erasure


def effaced_ref(value: str = SECRET_ID, **extra: str) -> effaced.SubjectRef:
    return effaced.SubjectRef(kind="scripted", value=value, extra=extra)


def record(**changes: object) -> ExportRecord:
    fields: dict[str, object] = {
        "source": "scripted",
        "field": "contact.email",
        "category": PiiCategory.CONTACT,
        "value": "ada@example.com",
    }
    fields.update(changes)
    return ExportRecord.model_validate(fields)


# -- the protocol and the name --------------------------------------------------------------


def test_adapter_satisfies_effaced_protocol_and_passes_the_name_through() -> None:
    inner = ScriptedResolver()
    adapter = as_effaced_resolver(inner)
    assert isinstance(adapter, effaced.Resolver)
    assert adapter.name == inner.name == "scripted"
    assert adapter.wrapped is inner
    registry = effaced.ResolverRegistry()
    registry.register(adapter)
    assert registry.get("scripted") is adapter
    assert repr(adapter) == f"EffacedResolverAdapter({inner!r})"


def test_wrapping_an_adapter_again_returns_it_unchanged() -> None:
    adapter = as_effaced_resolver(ScriptedResolver())
    assert as_effaced_resolver(adapter) is adapter


def test_wrapping_something_that_is_not_a_resolver_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="not a resolver"):
        as_effaced_resolver(object())  # type: ignore[arg-type]


def test_adapter_offers_no_surface_or_rectification_because_effaced_defines_none() -> None:
    # effaced 0.1 has no protocol for either. Exposing ours under guessed names could collide
    # with a later effaced attribute of another type; they stay reachable on ``wrapped``.
    resolver = IntercomResolver(TOKEN, transport=FakeIntercom(TOKEN))
    adapter = as_effaced_resolver(resolver)
    assert not hasattr(adapter, "covered_surface")
    assert not hasattr(adapter, "rectify_subject")
    assert adapter.wrapped is resolver


# -- values ---------------------------------------------------------------------------------


def test_effaced_ref_becomes_our_ref_field_for_field() -> None:
    inner = ScriptedResolver()
    adapter = as_effaced_resolver(inner)
    ref = effaced_ref(email_hint="x")
    asyncio.run(adapter.export_subject(ref))
    asyncio.run(adapter.erase_subject(ref))
    assert [type(seen) for seen in inner.refs] == [SubjectRef, SubjectRef]
    assert inner.refs[0] == SubjectRef(kind="scripted", value=SECRET_ID, extra={"email_hint": "x"})
    assert inner.refs[0].extra is not ref.extra


@pytest.mark.parametrize("category", list(PiiCategory))
def test_each_category_translates_by_value(category: PiiCategory) -> None:
    export = ResolverExport(resolver="scripted", records=(record(category=category),))
    adapter = as_effaced_resolver(ScriptedResolver(export=export))
    translated = asyncio.run(adapter.export_subject(effaced_ref()))
    assert translated.records[0].category is effaced.PiiCategory(category.value)


def test_every_category_of_ours_exists_in_effaced() -> None:
    assert {c.value for c in PiiCategory} <= {c.value for c in effaced.PiiCategory}


def test_export_records_keep_every_field_and_their_order() -> None:
    records = (
        record(),
        record(
            field="conversation.7.state",
            category=PiiCategory.BEHAVIORAL,
            value="open",
            legal_basis="legitimate_interests",
            purpose="customer support",
            retention_reason="open support case",
        ),
    )
    adapter = as_effaced_resolver(
        ScriptedResolver(export=ResolverExport(resolver="scripted", records=records))
    )
    translated = asyncio.run(adapter.export_subject(effaced_ref()))
    assert type(translated) is effaced.ResolverExport
    assert translated.resolver == "scripted"
    assert all(type(r) is effaced.ExportRecord for r in translated.records)
    assert [r.model_dump(mode="json") for r in translated.records] == [
        r.model_dump(mode="json") for r in records
    ]
    assert translated.records[1].legal_basis is effaced.LegalBasis.LEGITIMATE_INTERESTS


@pytest.mark.parametrize("basis", list(effaced.LegalBasis))
def test_each_effaced_legal_basis_translates_by_value(basis: effaced.LegalBasis) -> None:
    export = ResolverExport(resolver="scripted", records=(record(legal_basis=basis.value),))
    adapter = as_effaced_resolver(ScriptedResolver(export=export))
    translated = asyncio.run(adapter.export_subject(effaced_ref()))
    assert translated.records[0].legal_basis is basis


def test_empty_export_stays_empty() -> None:
    adapter = as_effaced_resolver(ScriptedResolver())
    translated = asyncio.run(adapter.export_subject(effaced_ref()))
    assert translated == effaced.ResolverExport(resolver="scripted", records=())


def test_a_legal_basis_effaced_does_not_know_is_a_resolver_error_without_the_text() -> None:
    export = ResolverExport(
        resolver="scripted", records=(record(legal_basis="because Ada asked nicely"),)
    )
    adapter = as_effaced_resolver(ScriptedResolver(export=export))
    with pytest.raises(effaced.ResolverError) as raised:
        asyncio.run(adapter.export_subject(effaced_ref()))
    assert str(raised.value) == (
        "cannot express record 0 of the 'scripted' export in effaced's types: its legal_basis "
        "is not one of consent, contract, legal_obligation, legitimate_interests, public_task, "
        "vital_interests"
    )


def test_a_category_effaced_does_not_know_is_a_resolver_error() -> None:
    class Future(enum.StrEnum):
        GENETIC = "genetic"

    # A category our contract might add one day, before effaced has it.
    odd = ExportRecord.model_construct(
        source="scripted",
        field="contact.dna",
        category=Future.GENETIC,  # type: ignore[arg-type]
        value="ACGT",
    )
    export = ResolverExport.model_construct(resolver="scripted", records=(record(), odd))
    adapter = as_effaced_resolver(ScriptedResolver(export=export))
    with pytest.raises(effaced.ResolverError) as raised:
        asyncio.run(adapter.export_subject(effaced_ref()))
    assert str(raised.value) == (
        "cannot express record 1 of the 'scripted' export in effaced's types: "
        "effaced has no PII category 'genetic'"
    )


def test_a_value_effaced_rejects_names_the_field_never_the_value() -> None:
    # Our contract allows an empty ``field``; effaced's does not.
    export = ResolverExport(resolver="scripted", records=(record(field=""),))
    adapter = as_effaced_resolver(ScriptedResolver(export=export))
    with pytest.raises(effaced.ResolverError) as raised:
        asyncio.run(adapter.export_subject(effaced_ref()))
    assert str(raised.value) == (
        "cannot express record 0 of the 'scripted' export in effaced's types: "
        "rejected field(s) field"
    )
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__


@pytest.mark.parametrize(
    "erasure",
    [
        ResolverErasure(resolver="scripted"),
        ResolverErasure(resolver="scripted", already_absent=True, detail="nothing to delete"),
        ResolverErasure(resolver="scripted", detail="deleted the contact"),
    ],
)
def test_erasure_translates_field_for_field(erasure: ResolverErasure) -> None:
    adapter = as_effaced_resolver(ScriptedResolver(erasure=erasure))
    translated = asyncio.run(adapter.erase_subject(effaced_ref()))
    assert type(translated) is effaced.ResolverErasure
    # effaced has no counts, no no_record, no ids an erasure found
    assert translated.model_dump() == erasure.model_dump(exclude={"counts", "no_record", "found"})


# -- errors ---------------------------------------------------------------------------------

Call = Callable[[EffacedResolverAdapter], object]
CALLS: dict[str, Call] = {
    "export": lambda adapter: asyncio.run(adapter.export_subject(effaced_ref())),
    "erase": lambda adapter: asyncio.run(adapter.erase_subject(effaced_ref())),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
@pytest.mark.parametrize(
    "error",
    [
        ResolverError("intercom refused the erase request (status=403)"),
        IntercomRejectedError(401, "erase"),
        ResolverError(),
    ],
    ids=["base", "subclass", "no-message"],
)
def test_our_resolver_error_becomes_effaceds_with_message_and_cause(
    call: Call, error: ResolverError
) -> None:
    adapter = as_effaced_resolver(ScriptedResolver(error=error))
    with pytest.raises(effaced.ResolverError) as raised:
        call(adapter)
    assert str(raised.value) == (str(error) or type(error).__name__)
    assert raised.value.__cause__ is error
    assert not isinstance(raised.value, ResolverError)


def _transient_errors() -> list[BaseException]:
    request = httpx.Request("DELETE", "https://api.intercom.io/contacts/{id}")
    return [
        RateLimitedError(
            "rate limited",
            request=request,
            response=httpx.Response(429, request=request),
            retry_after=3.0,
        ),
        httpx.HTTPStatusError(
            "server error", request=request, response=httpx.Response(503, request=request)
        ),
        MalformedResponseError("not JSON", request=request),
        httpx.ConnectError("refused", request=request),
        httpx.ReadTimeout("slow", request=request),
        RuntimeError("a bug"),
        effaced.ResolverError("already effaced's"),
        asyncio.CancelledError(),
    ]


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
@pytest.mark.parametrize("error", _transient_errors(), ids=lambda e: type(e).__name__)
def test_every_other_exception_passes_through_as_the_same_object(
    call: Call, error: BaseException
) -> None:
    adapter = as_effaced_resolver(ScriptedResolver(error=error))
    with pytest.raises(type(error)) as raised:
        call(adapter)
    assert raised.value is error
    if not isinstance(error, effaced.ResolverError):
        assert not isinstance(raised.value, effaced.ResolverError)


# -- IntercomResolver on FakeIntercom, through the adapter ----------------------------------


def test_intercom_401_becomes_effaceds_resolver_error_with_the_status_only() -> None:
    fake = FakeIntercom(TOKEN)
    contact = fake.add_contact(email="ada@example.com", name="Ada")
    adapter = as_effaced_resolver(IntercomResolver("wrong-token", transport=fake))
    ref = effaced.SubjectRef(kind="intercom", value=contact)
    with pytest.raises(effaced.ResolverError, match=r"status=401") as raised:
        asyncio.run(adapter.erase_subject(ref))
    assert isinstance(raised.value.__cause__, IntercomRejectedError)
    assert contact not in str(raised.value)
    assert fake.contact(contact) is not None


@pytest.mark.parametrize(
    ("status", "expected"), [(429, RateLimitedError), (503, httpx.HTTPStatusError)]
)
def test_intercom_transient_statuses_reach_effaced_untranslated(
    status: int, expected: type[Exception]
) -> None:
    fake = FakeIntercom(TOKEN)
    contact = fake.add_contact(email="ada@example.com")
    fake.fail_next(status, route="DELETE /contacts/{id}")
    adapter = as_effaced_resolver(IntercomResolver(TOKEN, transport=fake))
    ref = effaced.SubjectRef(kind="intercom", value=contact)
    with pytest.raises(expected) as raised:
        asyncio.run(adapter.erase_subject(ref))
    assert not isinstance(raised.value, effaced.ResolverError)
    assert asyncio.run(adapter.erase_subject(ref)).already_absent is False
    assert fake.contact(contact) is None


def test_a_wrong_ref_kind_is_effaceds_resolver_error() -> None:
    adapter = as_effaced_resolver(IntercomResolver(TOKEN, transport=FakeIntercom(TOKEN)))
    with pytest.raises(effaced.ResolverError):
        asyncio.run(adapter.export_subject(effaced.SubjectRef(kind="stripe", value="cus_1")))


def test_one_adapter_serves_several_event_loops_at_once() -> None:
    fake = FakeIntercom(TOKEN)
    contacts = [fake.add_contact(email=f"p{i}@example.com", name=f"P{i}") for i in range(6)]
    adapter = as_effaced_resolver(IntercomResolver(TOKEN, transport=fake))
    results: dict[str, effaced.ResolverExport] = {}

    def export(contact: str) -> None:
        ref = effaced.SubjectRef(kind="intercom", value=contact)
        results[contact] = asyncio.run(adapter.export_subject(ref))

    threads = [threading.Thread(target=export, args=(contact,)) for contact in contacts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert set(results) == set(contacts)
    for index, contact in enumerate(contacts):
        emails = [r.value for r in results[contact].records if r.field == "contact.email"]
        assert emails == [f"p{index}@example.com"]


# -- effaced stays optional -----------------------------------------------------------------


def _fresh_interpreter(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_core_packages_import_without_importing_effaced() -> None:
    probe = (
        "import sys\n"
        "import dsr_resolvers, dsr_resolvers.contract, dsr_resolvers.intercom\n"
        "import dsr_resolvers.testing, dsr_resolvers.sandbox, dsr_resolvers.integrations\n"
        "print(sorted(m for m in sys.modules if m == 'effaced' or m.startswith('effaced.')))\n"
    )
    result = _fresh_interpreter(probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_core_packages_work_when_effaced_is_not_installed() -> None:
    # ``sys.modules["effaced"] = None`` makes every ``import effaced`` fail as if it were
    # not installed: the core must not notice, and the integration must say what to install.
    probe = (
        "import sys\n"
        "sys.modules['effaced'] = None\n"
        "import dsr_resolvers, dsr_resolvers.intercom, dsr_resolvers.sandbox\n"
        "try:\n"
        "    import dsr_resolvers.integrations.effaced\n"
        "except ModuleNotFoundError as error:\n"
        "    print(error.name, '|', error)\n"
    )
    result = _fresh_interpreter(probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "effaced | dsr_resolvers.integrations.effaced needs the effaced package; "
        "install it with: pip install 'dsr-resolvers[effaced]'"
    )


def test_only_the_integration_module_imports_effaced() -> None:
    allowed = SRC / "dsr_resolvers" / "integrations" / "effaced.py"
    offenders = []
    for path in sorted((SRC / "dsr_resolvers").rglob("*.py")):
        if path == allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            if any(name == "effaced" or name.startswith("effaced.") for name in names):
                offenders.append(str(path.relative_to(SRC)))
    assert offenders == []
