"""The resolver contract, written as tests every resolver can inherit.

A protocol only says which methods exist; it cannot say that a second erasure reports
``already_absent=True`` or that a rate-limit error reaches the caller's retry loop untouched.
This module says those things once, as a pytest class, so that every resolver (this project's
own and downstream teams' ones) is held to the same promises. Subclass it, implement three
hooks, and pytest collects the whole contract:

| suite test                                         | promise                                     |
|----------------------------------------------------|---------------------------------------------|
| ``test_satisfies_the_resolver_protocols``          | ``Resolver``; an ``AttestingResolver``'s    |
|                                                    | surface names the resolver                  |
| ``test_name_is_stable_and_matches_ref_kinds``      | same non-empty ``name`` on every call and   |
|                                                    | instance; refs carry it as their ``kind``   |
| ``test_present_subject_exports_records``           | at least one record, all tagged with name   |
| ``test_absent_subject_exports_nothing``            | "nothing held" is an empty export           |
| ``test_erasing_a_present_subject_succeeds``        | ``already_absent=False``                    |
| ``test_erasure_is_idempotent``                     | a second erasure reports ``already_absent`` |
| ``test_erasing_an_absent_subject_reports_absence`` | success with ``already_absent=True``        |
| ``test_export_after_erasure_is_empty``             | erasure really removes what export reads    |
| ``test_calls_work_from_several_event_loops``       | no state bound to one event loop or thread  |
| ``test_records_lie_inside_the_covered_surface``    | same glob, same category, no exclusion      |
| ``test_fully_populated_subject_covers_every_field``| every declared glob is really exported      |
| ``test_erasure_reported_done_leaves_nothing_...``  | no datum the surface declares ``erased``    |
|                                                    | remains (``remaining_after_erasure``)       |
| ``test_nonretryable_fault_on_export/erasure_...``  | ``ResolverError``, no personal data in it   |
| ``test_transient_fault_on_export/erasure_...``     | the original exception, untranslated        |
| ``test_lookup_finds_the_present_subject``          | ``LookupResolver``: ``make_lookup()``'s     |
|                                                    | identifiers find the present ref            |
| ``test_plan_changes_nothing_and_tells_the_truth``  | ``PlanningResolver``: present is to erase,  |
|                                                    | absent is not ``held``, export unchanged    |
| ``test_verification_confirms_only_a_done_erasure`` | ``VerifyingResolver``: not erased before,   |
|                                                    | erased and not ``held`` after               |
| ``test_objection_is_read_back_and_idempotent``     | ``ObjectingResolver``: a dry run changes    |
|                                                    | nothing, an objection leaves nothing to     |
|                                                    | change, an absent subject is                |
|                                                    | ``already_absent``; no ref value in detail  |
| ``test_declared_concurrency_and_options``          | ``ConcurrentResolver``: at least 1;         |
|                                                    | ``ConfiguredResolver``: stable text, for    |
|                                                    | every ``Operation``                         |

Each capability test checks a protocol only when the resolver claims it (``isinstance``), and
passes silently otherwise: a resolver is held to what it says it can do.

Every erasure's ``detail`` is checked for the ref's value (personal data has no place in an
audit note). Failure messages name the test's promise, the field and the glob involved, never
a record's value, a ref's value or anything from the resolver's ``repr`` (which may hold a
token). The suite raises ``AssertionError`` itself rather than relying on pytest's assertion
rewriting, which does not apply to an installed package and would print values if it did.

Test methods are synchronous and drive coroutines with :func:`asyncio.run`, so a downstream
project needs no asyncio plugin or configuration to run the suite.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar, get_args

import pytest

from dsr_resolvers.contract import (
    AttestingResolver,
    ConcurrentResolver,
    ConfiguredResolver,
    CoveredSurface,
    ExportRecord,
    LookupResolver,
    ObjectingResolver,
    Operation,
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

__all__ = ["ResolverConformanceSuite"]

_T = TypeVar("_T")

_THREADS = 4
"""How many worker threads, each with its own event loop, share one resolver at once."""


def _check(condition: bool, message: str) -> None:
    """Fail the running test with ``message`` unless ``condition`` holds."""
    # pytest leaves frames that set this out of its tracebacks, and with them their arguments:
    # refs, records and the resolver's repr, which may hold personal data or a token.
    __tracebackhide__ = True
    if not condition:
        raise AssertionError(message)


def _run(coroutine: Coroutine[Any, Any, _T]) -> _T:
    __tracebackhide__ = True
    return asyncio.run(coroutine)


def _raised_by_resolver(exc: BaseException) -> BaseException:
    """``exc``, its traceback starting at the first frame outside asyncio and this module.

    The suite chains a resolver's exception to its own failure so that pytest shows where the
    resolver raised; the ``asyncio.run`` machinery in between is only noise.
    """
    tb = exc.__traceback__
    while tb is not None and _is_machinery(tb.tb_frame.f_globals.get("__name__", "")):
        tb = tb.tb_next
    return exc if tb is None else exc.with_traceback(tb)


def _is_machinery(module: str) -> bool:
    return module in (__name__, "asyncio") or module.startswith("asyncio.")


def _record_key(record: ExportRecord) -> tuple[str, str, str, str]:
    return (record.source, record.field, record.category.value, record.value)


class ResolverConformanceSuite:
    """The resolver contract as inheritable pytest tests.

    The class name has no ``Test`` prefix, so pytest never collects the base itself; name your
    subclass ``Test...`` and pytest collects every test below for your resolver. pytest builds
    a fresh instance for each test, so hooks may keep per-test state (a fake, an id) on
    ``self``.

    Each test first calls one resolver hook (``make_resolver`` unless it tests faults or full
    coverage), then the ref hooks, which must describe the world of the resolver just made.

    Required hooks: :meth:`make_resolver`, :meth:`make_present_ref`, :meth:`make_absent_ref`.
    Optional hooks (their tests are skipped, with the reason, when not overridden):
    :meth:`make_fully_populated_resolver`, :meth:`make_nonretryable_resolver`,
    :meth:`make_transient_resolver`. :meth:`remaining_after_erasure` reads what an erasure
    left; it defaults to a fresh export.

    Example:
        A complete subclass for an in-memory resolver keyed by email::

            class TestMyResolver(ResolverConformanceSuite):
                def make_resolver(self) -> Resolver:
                    self.store = {"ada@example.com": {"profile.email": "ada@example.com"}}
                    return MyResolver(self.store)

                def make_present_ref(self) -> SubjectRef:
                    return SubjectRef(kind="my-crm", value="ada@example.com")

                def make_absent_ref(self) -> SubjectRef:
                    return SubjectRef(kind="my-crm", value="nobody@example.com")
    """

    # -- hooks ---------------------------------------------------------------------------------

    def make_resolver(self) -> Resolver:
        """A fresh resolver over a fresh world in which the present subject exists.

        Returns:
            The resolver under test.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement make_resolver() to run the conformance suite"
        )

    def make_present_ref(self) -> SubjectRef:
        """A subject that exists, with at least one exportable datum, in the current world.

        Returns:
            A ref whose ``kind`` is the resolver's ``name``.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement make_present_ref() to run the conformance suite"
        )

    def make_absent_ref(self) -> SubjectRef:
        """A subject that the current world holds nothing about.

        Returns:
            A ref whose ``kind`` is the resolver's ``name``.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement make_absent_ref() to run the conformance suite"
        )

    def make_fully_populated_resolver(self) -> tuple[Resolver, SubjectRef]:
        """A resolver whose world holds a subject with every covered field populated.

        Returns:
            The resolver and the ref of that subject. Exporting it must yield, for every
            covered field glob, at least one record it matches.
        """
        pytest.skip(
            "make_fully_populated_resolver() is not implemented: whether every covered field is "
            "exported is not checked"
        )

    def remaining_after_erasure(
        self, resolver: Resolver, ref: SubjectRef
    ) -> tuple[ExportRecord, ...]:
        """What the world still holds about the subject after its erasure, as export records.

        Override it to read the world behind the resolver's back (a fake's state): an export
        cannot see what the erasure made unreachable but left in place. The default is what
        ``export_subject`` still returns.

        Returns:
            One record for each datum still held, with the field and category the resolver
            would export it under.
        """
        return self._export(resolver, ref, "erased subject").records

    def make_nonretryable_resolver(self) -> Resolver:
        """A resolver on which every call fails in a way retrying cannot fix.

        Typically the real resolver with a rejected credential or a missing permission. The
        present ref (from :meth:`make_present_ref`, called afterwards) is used for its calls.

        Returns:
            A resolver whose export and erasure both raise :class:`ResolverError`.
        """
        pytest.skip(
            "make_nonretryable_resolver() is not implemented: non-retryable faults are not checked"
        )

    def make_transient_resolver(self) -> tuple[Resolver, type[BaseException]]:
        """A resolver on which every call fails transiently (rate limit, outage, timeout).

        The present ref (from :meth:`make_present_ref`, called afterwards) is used for its
        calls.

        Returns:
            The resolver and the exception type its calls must raise untranslated, so that the
            caller's retry policy sees it. It must not be a :class:`ResolverError`.
        """
        pytest.skip(
            "make_transient_resolver() is not implemented: transient faults are not checked"
        )

    def make_lookup(self) -> Mapping[str, str]:
        """Identifiers the present subject holds, for a ``LookupResolver``.

        Returns:
            Keyword arguments of ``find_subjects`` (``email``, ``phone``, ``external_id``)
            with which it must find the present ref.
        """
        pytest.skip("make_lookup() is not implemented: lookups are not checked")

    # -- identity ------------------------------------------------------------------------------

    def test_satisfies_the_resolver_protocols(self) -> None:
        """A resolver is a ``Resolver``; one with a ``covered_surface`` is an attesting one."""
        resolver = self.make_resolver()
        kind = type(resolver).__name__
        _check(
            isinstance(resolver, Resolver),
            f"{kind} does not satisfy the Resolver protocol: it needs a `name` and the "
            "coroutines `export_subject` and `erase_subject`",
        )
        _check(
            inspect.iscoroutinefunction(resolver.export_subject)
            and inspect.iscoroutinefunction(resolver.erase_subject),
            f"{kind}.export_subject and {kind}.erase_subject must be `async def` coroutines",
        )
        if not isinstance(resolver, AttestingResolver):
            return
        surface = self._surface(resolver)
        _check(
            surface.resolver == resolver.name,
            f"covered_surface.resolver is {surface.resolver!r} but the resolver's name is "
            f"{resolver.name!r}",
        )

    def test_name_is_stable_and_matches_ref_kinds(self) -> None:
        """``name`` is a non-empty string, the same on every read and every instance."""
        resolver = self.make_resolver()
        name = resolver.name
        _check(
            isinstance(name, str) and name.strip() != "",
            "the resolver's name must be a non-empty string; saga engines key audit trails on it",
        )
        _check(
            name == name.strip(),
            f"the resolver's name {name!r} has surrounding whitespace",
        )
        _check(
            all(resolver.name == name for _ in range(3)),
            f"the resolver's name changed between two reads (first {name!r})",
        )
        for hook in (self.make_present_ref, self.make_absent_ref):
            ref = hook()
            _check(
                ref.kind == name,
                f"{hook.__name__}() gave a ref of kind {ref.kind!r}; the resolver named "
                f"{name!r} resolves refs of kind {name!r}",
            )
        other = self.make_resolver()
        _check(
            other.name == name,
            f"a second instance is named {other.name!r}, the first {name!r}; the name must not "
            "depend on the instance",
        )

    # -- export --------------------------------------------------------------------------------

    def test_present_subject_exports_records(self) -> None:
        """A present subject exports at least one record, each tagged with the resolver name."""
        resolver = self.make_resolver()
        export = self._export(resolver, self.make_present_ref(), "present subject")
        _check(
            len(export.records) >= 1,
            "exporting the present subject returned no records; an empty export means "
            "'nothing held', so make_present_ref() must name a subject with data",
        )
        self._check_sources(resolver, export)

    def test_absent_subject_exports_nothing(self) -> None:
        """An absent subject exports an empty export, not an error and not a placeholder."""
        resolver = self.make_resolver()
        export = self._export(resolver, self.make_absent_ref(), "absent subject")
        _check(
            export.records == (),
            f"exporting an absent subject returned {len(export.records)} record(s) "
            f"(fields: {_fields(export.records)}); nothing is held, so nothing may be exported",
        )

    # -- erasure -------------------------------------------------------------------------------

    def test_erasing_a_present_subject_succeeds(self) -> None:
        """Erasing a present subject succeeds with ``already_absent=False``."""
        resolver = self.make_resolver()
        ref = self.make_present_ref()
        erasure = self._erase(resolver, ref, "present subject")
        _check(
            erasure.already_absent is False,
            "erasing a present subject reported already_absent=True; the subject existed",
        )

    def test_erasure_is_idempotent(self) -> None:
        """A second erasure of the same subject succeeds and reports ``already_absent=True``."""
        resolver = self.make_resolver()
        ref = self.make_present_ref()
        self._erase(resolver, ref, "present subject")
        second = self._erase(resolver, ref, "already erased subject")
        _check(
            second.already_absent is True,
            "erasing an already erased subject reported already_absent=False; the second "
            "erasure must report that the subject was already gone",
        )

    def test_erasing_an_absent_subject_reports_absence(self) -> None:
        """Erasing a subject that never existed is a success with ``already_absent=True``."""
        resolver = self.make_resolver()
        ref = self.make_absent_ref()
        erasure = self._erase(resolver, ref, "absent subject")
        _check(
            erasure.already_absent is True,
            "erasing an absent subject reported already_absent=False",
        )

    def test_export_after_erasure_is_empty(self) -> None:
        """Once erased, the subject exports nothing."""
        resolver = self.make_resolver()
        ref = self.make_present_ref()
        self._erase(resolver, ref, "present subject")
        export = self._export(resolver, ref, "erased subject")
        _check(
            export.records == (),
            f"exporting an erased subject still returned {len(export.records)} record(s) "
            f"(fields: {_fields(export.records)})",
        )

    # -- concurrency ---------------------------------------------------------------------------

    def test_calls_work_from_several_event_loops(self) -> None:
        """One instance serves callers on several event loops and threads at once."""
        resolver = self.make_resolver()
        ref = self.make_present_ref()
        first = self._export(resolver, ref, "present subject")
        expected = sorted(_record_key(record) for record in first.records)
        outcomes: list[BaseException | ResolverExport] = []
        lock = threading.Lock()

        def worker() -> None:
            try:
                outcome: BaseException | ResolverExport = _run(resolver.export_subject(ref))
            except Exception as exc:
                outcome = exc
            with lock:
                outcomes.append(outcome)

        threads = [threading.Thread(target=worker) for _ in range(_THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        _check(
            len(outcomes) == _THREADS,
            "an export on another thread's event loop died without returning or raising",
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise AssertionError(
                    f"exporting from another thread's event loop raised "
                    f"{type(outcome).__name__}; a resolver must not keep state bound to one "
                    "event loop (saga engines share it across loops and threads)"
                ) from _raised_by_resolver(outcome)
            _check(
                sorted(_record_key(record) for record in outcome.records) == expected,
                "exporting the same subject from several event loops at once gave different "
                "records than one export on its own",
            )

    # -- covered surface -----------------------------------------------------------------------

    def test_records_lie_inside_the_covered_surface(self) -> None:
        """Every exported record matches a covered glob of its category and no exclusion."""
        resolver = self.make_resolver()
        surface = self._attesting_surface(resolver)
        export = self._export(resolver, self.make_present_ref(), "present subject")
        _check_inside(surface, export.records)

    def test_fully_populated_subject_covers_every_field(self) -> None:
        """Every covered glob is matched by a record of a subject with every field populated."""
        resolver, ref = self.make_fully_populated_resolver()
        surface = self._attesting_surface(resolver)
        export = self._export(resolver, ref, "fully populated subject")
        self._check_sources(resolver, export)
        _check_inside(surface, export.records)
        missing = [
            f"{covered.field!r} ({covered.category.value})"
            for covered in surface.fields
            if not any(
                record.category is covered.category and covered.matches(record.field)
                for record in export.records
            )
        ]
        _check(
            not missing,
            "the covered surface declares field(s) that the fully populated subject's export "
            f"never produced: {', '.join(missing)}; either the exporter does not read them or "
            "make_fully_populated_resolver() leaves them empty",
        )

    def test_erasure_reported_done_leaves_nothing_declared_erased(self) -> None:
        """After an erasure that reports success, nothing the surface declares erased remains."""
        resolver, ref = self.make_fully_populated_resolver()
        surface = self._attesting_surface(resolver)
        self._erase(resolver, ref, "fully populated subject")
        remains = self.remaining_after_erasure(resolver, ref)
        left = tuple(record for record in remains if surface.erases(record))
        _check(
            not left,
            f"an erasure reported done left {len(left)} record(s) the covered surface declares "
            f"erased (fields: {_fields(left)}); erase them, or declare them erased=False and "
            "say why in the surface's notes",
        )

    # -- faults --------------------------------------------------------------------------------

    def test_nonretryable_fault_on_export_raises_resolver_error(self) -> None:
        """A fault retrying cannot fix surfaces from export as ``ResolverError``."""
        resolver = self.make_nonretryable_resolver()
        ref = self.make_present_ref()
        self._expect_resolver_error(resolver.export_subject(ref), ref, "export")

    def test_nonretryable_fault_on_erasure_raises_resolver_error(self) -> None:
        """A fault retrying cannot fix surfaces from erasure as ``ResolverError``."""
        resolver = self.make_nonretryable_resolver()
        ref = self.make_present_ref()
        self._expect_resolver_error(resolver.erase_subject(ref), ref, "erasure")

    def test_transient_fault_on_export_propagates_untranslated(self) -> None:
        """A transient fault reaches the caller of export as its own exception type."""
        resolver, expected = self._transient()
        ref = self.make_present_ref()
        self._expect_transient(resolver.export_subject(ref), expected, "export")

    def test_transient_fault_on_erasure_propagates_untranslated(self) -> None:
        """A transient fault reaches the caller of erasure as its own exception type."""
        resolver, expected = self._transient()
        ref = self.make_present_ref()
        self._expect_transient(resolver.erase_subject(ref), expected, "erasure")

    # -- optional capabilities -----------------------------------------------------------------

    def test_lookup_finds_the_present_subject(self) -> None:
        """A ``LookupResolver`` finds the present subject by its identifiers, saying which."""
        resolver = self.make_resolver()
        if not isinstance(resolver, LookupResolver):
            return
        identifiers = dict(self.make_lookup())
        ref = self.make_present_ref()
        matches = self._call(resolver.find_subjects(**identifiers), "find_subjects")
        _check(
            ref in [match.ref for match in matches],
            f"find_subjects() by {sorted(identifiers)} did not find the present subject",
        )
        for match in matches:
            _check(
                bool(match.matched_on) and match.matched_on <= set(identifiers),
                f"a match of find_subjects() by {sorted(identifiers)} says it matched on "
                f"{sorted(match.matched_on)}",
            )

    def test_plan_changes_nothing_and_tells_the_truth(self) -> None:
        """A plan of the present subject is to erase, one of the absent subject is not
        ``held``, and planning changes nothing an export reads."""
        resolver = self.make_resolver()
        if not isinstance(resolver, PlanningResolver):
            return
        present, absent = self.make_present_ref(), self.make_absent_ref()
        before = self._export(resolver, present, "present subject").records
        plan = self._plan(resolver, present, "present subject")
        _check(
            plan.to_erase,
            "plan_erasure(present subject) says absent; a plan must never say 'nothing to "
            "erase' where the erasure erases",
        )
        after = self._export(resolver, present, "planned subject").records
        _check(
            sorted(map(_record_key, after)) == sorted(map(_record_key, before)),
            "planning changed what the present subject exports; a plan must change nothing",
        )
        _check(
            self._plan(resolver, absent, "absent subject").presence is not Presence.HELD,
            "plan_erasure(absent subject) says held; the world holds nothing about it",
        )

    def test_verification_confirms_only_a_done_erasure(self) -> None:
        """A read-back does not say erased before the erasure, and says so after it."""
        resolver = self.make_resolver()
        if not isinstance(resolver, VerifyingResolver):
            return
        ref = self.make_present_ref()
        _check(
            self._verify(resolver, ref, "present subject").erased is not True,
            "verify_erasure(present subject) says erased before any erasure",
        )
        self._erase(resolver, ref, "present subject")
        after = self._verify(resolver, ref, "erased subject")
        _check(
            after.erased is True and after.presence is not Presence.HELD,
            f"verify_erasure after a completed erasure says erased={after.erased}, "
            f"presence={after.presence.value}",
        )

    def test_objection_is_read_back_and_idempotent(self) -> None:
        """An ``ObjectingResolver``'s dry run changes nothing; its objection leaves nothing
        to change (asked again, it changes nothing); an absent subject is ``already_absent``."""
        resolver = self.make_resolver()
        if not isinstance(resolver, ObjectingResolver):
            return
        present, absent = self.make_present_ref(), self.make_absent_ref()
        planned = self._object(resolver, present, "present subject", dry_run=True)
        again = self._object(resolver, present, "present subject", dry_run=True)
        _check(
            planned.dry_run
            and (planned.fields, planned.subscription_types)
            == (again.fields, again.subscription_types),
            "object_to_marketing(dry_run=True) changed what a second dry run finds",
        )
        done = self._object(resolver, present, "present subject")
        _check(
            not done.already_absent and not done.dry_run,
            "object_to_marketing(present subject) says already_absent or dry_run",
        )
        for who, check in (("objected subject", False), ("objected subject, dry run", True)):
            after = self._object(resolver, present, who, dry_run=check)
            _check(
                not after.changed,
                f"object_to_marketing({who}) still changes {len(after.fields)} field(s) and "
                f"{len(after.subscription_types)} subscription type(s): the objection did not hold",
            )
        _check(
            self._object(resolver, absent, "absent subject").already_absent,
            "object_to_marketing(absent subject) does not say already_absent",
        )

    def test_declared_concurrency_and_options(self) -> None:
        """Requests in flight are a whole number of at least 1; options are stable text."""
        resolver = self.make_resolver()
        for operation in get_args(Operation):
            if isinstance(resolver, ConcurrentResolver):
                count: object = resolver.requests_in_flight(operation)
                _check(
                    type(count) is int and count >= 1,
                    f"requests_in_flight({operation!r}) is {count!r}, not a whole number >= 1",
                )
            if isinstance(resolver, ConfiguredResolver):
                options = dict(resolver.options_for(operation))
                _check(
                    all(isinstance(v, str) for v in (*options, *options.values())),
                    f"options_for({operation!r}) holds something other than text",
                )
                _check(
                    options == dict(resolver.options_for(operation)),
                    f"options_for({operation!r}) changed between two reads",
                )

    # -- helpers -------------------------------------------------------------------------------

    @staticmethod
    def _call(call: Coroutine[Any, Any, _T], what: str) -> _T:
        __tracebackhide__ = True
        try:
            return _run(call)
        except Exception as exc:
            raise AssertionError(
                f"{what} raised {type(exc).__name__} on a healthy backend"
            ) from _raised_by_resolver(exc)

    def _object(
        self, resolver: ObjectingResolver, ref: SubjectRef, who: str, *, dry_run: bool = False
    ) -> ResolverObjection:
        __tracebackhide__ = True
        what = f"object_to_marketing({who})"
        objection = self._call(resolver.object_to_marketing(ref, dry_run=dry_run), what)
        _check(
            isinstance(objection, ResolverObjection) and objection.resolver == resolver.name,
            f"{what} returned no ResolverObjection of the resolver's name",
        )
        _check(
            ref.value not in (objection.detail or ""),
            f"{what} puts the ref's value in its detail; an audit note holds no personal data",
        )
        return objection

    def _plan(self, resolver: PlanningResolver, ref: SubjectRef, who: str) -> ResolverErasurePlan:
        __tracebackhide__ = True
        plan = self._call(resolver.plan_erasure(ref), f"plan_erasure({who})")
        _check(
            isinstance(plan, ResolverErasurePlan) and plan.resolver == resolver.name,
            f"plan_erasure({who}) returned no ResolverErasurePlan of the resolver's name",
        )
        return plan

    def _verify(
        self, resolver: VerifyingResolver, ref: SubjectRef, who: str
    ) -> ResolverVerification:
        __tracebackhide__ = True
        verification = self._call(resolver.verify_erasure(ref), f"verify_erasure({who})")
        _check(
            isinstance(verification, ResolverVerification)
            and verification.resolver == resolver.name,
            f"verify_erasure({who}) returned no ResolverVerification of the resolver's name",
        )
        return verification

    def _export(self, resolver: Resolver, ref: SubjectRef, who: str) -> ResolverExport:
        __tracebackhide__ = True
        try:
            export = _run(resolver.export_subject(ref))
        except Exception as exc:
            raise AssertionError(
                f"export_subject({who}) raised {type(exc).__name__} on a healthy backend"
            ) from _raised_by_resolver(exc)
        _check(
            isinstance(export, ResolverExport),
            f"export_subject({who}) returned a {type(export).__name__}, not a ResolverExport",
        )
        _check(
            export.resolver == resolver.name,
            f"export_subject({who}) returned ResolverExport.resolver={export.resolver!r}; "
            f"expected the resolver's name {resolver.name!r}",
        )
        return export

    def _erase(self, resolver: Resolver, ref: SubjectRef, who: str) -> ResolverErasure:
        __tracebackhide__ = True
        try:
            erasure = _run(resolver.erase_subject(ref))
        except Exception as exc:
            raise AssertionError(
                f"erase_subject({who}) raised {type(exc).__name__} on a healthy backend; erasure "
                "must succeed whether or not the subject exists (Art. 17): saga engines retry "
                "it and count on success"
            ) from _raised_by_resolver(exc)
        self._check_erasure(resolver, ref, erasure, f"erase_subject({who})")
        return erasure

    @staticmethod
    def _check_erasure(
        resolver: Resolver, ref: SubjectRef, erasure: ResolverErasure, what: str
    ) -> None:
        __tracebackhide__ = True
        _check(
            isinstance(erasure, ResolverErasure),
            f"{what} returned a {type(erasure).__name__}, not a ResolverErasure",
        )
        _check(
            erasure.resolver == resolver.name,
            f"{what} returned ResolverErasure.resolver={erasure.resolver!r}; expected the "
            f"resolver's name {resolver.name!r}",
        )
        _check(
            erasure.detail is None or ref.value not in erasure.detail,
            f"{what} returned a detail that contains the subject's ref value; audit details "
            "must hold no personal data",
        )

    @staticmethod
    def _check_sources(resolver: Resolver, export: ResolverExport) -> None:
        __tracebackhide__ = True
        wrong = [record.field for record in export.records if record.source != resolver.name]
        _check(
            not wrong,
            f"record(s) {wrong!r} name a source other than the resolver's name "
            f"{resolver.name!r} (first: {_first_source(export.records, resolver.name)!r})",
        )

    @staticmethod
    def _surface(resolver: AttestingResolver) -> CoveredSurface:
        __tracebackhide__ = True
        surface: object = resolver.covered_surface
        if not isinstance(surface, CoveredSurface):
            raise AssertionError(
                f"{type(resolver).__name__}.covered_surface is a {type(surface).__name__}, "
                "not a CoveredSurface"
            )
        return surface

    def _attesting_surface(self, resolver: Resolver) -> CoveredSurface:
        __tracebackhide__ = True
        if not isinstance(resolver, AttestingResolver):
            pytest.skip(
                f"{type(resolver).__name__} declares no covered_surface (not an "
                "AttestingResolver): nothing to check records against"
            )
        return self._surface(resolver)

    def _transient(self) -> tuple[Resolver, type[BaseException]]:
        __tracebackhide__ = True
        resolver, expected = self.make_transient_resolver()
        _check(
            isinstance(expected, type) and issubclass(expected, BaseException),
            "make_transient_resolver() must return an exception type as its second item",
        )
        _check(
            not issubclass(expected, ResolverError),
            f"make_transient_resolver() names {expected.__name__}, a ResolverError; callers "
            "never retry a ResolverError, so a transient fault must not be one",
        )
        return resolver, expected

    @staticmethod
    def _expect_resolver_error(
        call: Coroutine[Any, Any, object], ref: SubjectRef, action: str
    ) -> None:
        __tracebackhide__ = True
        try:
            outcome = _run(call)
        except ResolverError as exc:
            _check(
                ref.value not in str(exc),
                f"the ResolverError raised by {action} contains the subject's ref value; "
                "its message must hold no personal data",
            )
            return
        except Exception as exc:
            raise AssertionError(
                f"a non-retryable fault during {action} raised {type(exc).__name__}, not a "
                "ResolverError; callers would retry it forever"
            ) from _raised_by_resolver(exc)
        raise AssertionError(
            f"{action} returned a {_describe(outcome)} although every call fails "
            "non-retryably; the fault was swallowed"
        )

    @staticmethod
    def _expect_transient(
        call: Coroutine[Any, Any, object], expected: type[BaseException], action: str
    ) -> None:
        __tracebackhide__ = True
        try:
            outcome = _run(call)
        except BaseException as exc:
            if isinstance(exc, ResolverError):
                raised = type(exc).__name__
                if type(exc) is not ResolverError:
                    raised += " (a ResolverError)"
                raise AssertionError(
                    f"a transient fault during {action} was translated into {raised}; callers "
                    f"never retry a ResolverError, so {expected.__name__} must propagate "
                    "untranslated"
                ) from _raised_by_resolver(exc)
            if isinstance(exc, expected):
                return
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            raise AssertionError(
                f"a transient fault during {action} raised {type(exc).__name__}; expected "
                f"{expected.__name__} to propagate untranslated"
            ) from _raised_by_resolver(exc)
        consequence = (
            "Art. 15 forbids an empty or partial export standing in for a failure"
            if action == "export"
            else "an erasure that never happened was reported as done"
        )
        raise AssertionError(
            f"{action} returned a {_describe(outcome)} although every call fails transiently; "
            f"the {expected.__name__} was swallowed ({consequence})"
        )


def _check_inside(surface: CoveredSurface, records: tuple[ExportRecord, ...]) -> None:
    __tracebackhide__ = True
    for record in records:
        covering = surface.covering(record)
        if covering is None:
            same_glob = [c for c in surface.fields if c.matches(record.field)]
            if same_glob:
                declared = ", ".join(f"{c.field!r} as {c.category.value}" for c in same_glob)
                raise AssertionError(
                    f"record field {record.field!r} has category {record.category.value!r}, "
                    f"but the covered surface declares {declared}"
                )
            globs = ", ".join(repr(c.field) for c in surface.fields)
            raise AssertionError(
                f"record field {record.field!r} ({record.category.value}) matches no covered "
                f"field glob; declared globs: {globs}"
            )
        exclusion = surface.excluding(record.field)
        if exclusion is not None:
            raise AssertionError(
                f"record field {record.field!r} was exported although it falls under the "
                f"exclusion {exclusion.field!r} ({exclusion.reason})"
            )


def _fields(records: tuple[ExportRecord, ...], limit: int = 5) -> str:
    shown = ", ".join(repr(record.field) for record in records[:limit])
    return shown + (", ..." if len(records) > limit else "")


def _first_source(records: tuple[ExportRecord, ...], name: str) -> str:
    return next((record.source for record in records if record.source != name), "")


def _describe(outcome: object) -> str:
    if isinstance(outcome, ResolverExport):
        return f"ResolverExport with {len(outcome.records)} record(s)"
    return type(outcome).__name__
