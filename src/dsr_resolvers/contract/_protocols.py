"""The plugin contract, as runtime-checkable protocols.

A resolver is anything with a stable ``name`` and two coroutines. Optional capabilities are
sub-protocols, so the base contract only ever grows additively: a saga engine checks
``isinstance(resolver, AttestingResolver)`` before asking for a covered surface. Callers
(bulk runs, receipts, dry runs) find out what a resolver can do this way and no other: never
by an attribute's name.

| protocol             | capability                                                    |
|----------------------|---------------------------------------------------------------|
| Resolver             | export and erase one subject                                  |
| AttestingResolver    | declare the covered surface                                   |
| RectifyingResolver   | correct declared profile fields (Art. 16)                     |
| ObjectingResolver    | act on an objection to direct marketing (Art. 21)             |
| LookupResolver       | find subjects by email, phone or external id                  |
| PlanningResolver     | plan an erasure without changing anything (a dry run)         |
| VerifyingResolver    | read back what an erasure left, and each item it found        |
| LedgeredResolver     | announce each item an erasure deletes to the caller's ledger  |
|                      | (an ``ErasureLedger``, e.g. a bulk journal) before deleting it |
| ConcurrentResolver   | say how many requests one call keeps in flight                |
| ConfiguredResolver   | name the settings that decide an operation's outcome          |
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, Protocol, runtime_checkable

from dsr_resolvers.contract._models import (
    ItemIds,
    ResolverErasure,
    ResolverErasurePlan,
    ResolverExport,
    ResolverObjection,
    ResolverRectification,
    ResolverVerification,
    SubjectMatch,
    SubjectRef,
)
from dsr_resolvers.contract._surface import CoveredSurface

__all__ = [
    "AttestingResolver",
    "ConcurrentResolver",
    "ConfiguredResolver",
    "ErasureLedger",
    "LedgeredResolver",
    "LookupResolver",
    "ObjectingResolver",
    "Operation",
    "PlanningResolver",
    "RectifyingResolver",
    "Resolver",
    "VerifyingResolver",
]

Operation = Literal["export", "erase", "object"]
"""What a caller asks of a resolver for one subject."""


@runtime_checkable
class Resolver(Protocol):
    """Exports and erases one subject's data held in one system."""

    @property
    def name(self) -> str:
        """A stable identifier; never changes across versions."""
        ...

    async def export_subject(self, ref: SubjectRef) -> ResolverExport:
        """Everything held about ``ref`` (Art. 15); empty only when nothing is held."""
        ...

    async def erase_subject(self, ref: SubjectRef) -> ResolverErasure:
        """Erase ``ref`` (Art. 17); idempotent, an absent subject is a success."""
        ...


@runtime_checkable
class AttestingResolver(Resolver, Protocol):
    """A resolver that declares the surface it covers."""

    @property
    def covered_surface(self) -> CoveredSurface:
        """The fields this resolver exports and erases, and what it leaves out."""
        ...


@runtime_checkable
class RectifyingResolver(Resolver, Protocol):
    """A resolver that corrects the profile fields it declares (Art. 16)."""

    @property
    def correctable_fields(self) -> frozenset[str]:
        """The field names ``rectify_subject`` accepts."""
        ...

    async def rectify_subject(
        self, ref: SubjectRef, changes: Mapping[str, str | None]
    ) -> ResolverRectification:
        """Set each named field to its new value (``None`` clears it)."""
        ...


@runtime_checkable
class ObjectingResolver(Resolver, Protocol):
    """A resolver that acts on an objection to direct marketing (Art. 21(2)-(3))."""

    async def object_to_marketing(
        self, ref: SubjectRef, *, dry_run: bool = False
    ) -> ResolverObjection:
        """Stop every marketing channel the system holds for ``ref``, read back.

        Idempotent: a subject already objected to changes nothing (``changed`` is false); an
        absent subject is a success (``already_absent``). With ``dry_run``, send nothing and
        say what would change.
        """
        ...


@runtime_checkable
class LookupResolver(Resolver, Protocol):
    """A resolver that finds the subjects holding an identifier."""

    async def find_subjects(
        self,
        *,
        email: str | None = None,
        phone: str | None = None,
        external_id: str | None = None,
    ) -> tuple[SubjectMatch, ...]:
        """Every subject holding any of the identifiers given (at least one); may be empty.

        Raises ``ValueError`` for a malformed identifier, before any request.
        """
        ...


@runtime_checkable
class PlanningResolver(Resolver, Protocol):
    """A resolver that can say what an erasure would do without doing it."""

    async def plan_erasure(self, ref: SubjectRef) -> ResolverErasurePlan:
        """What ``erase_subject(ref)`` would do; changes nothing."""
        ...


@runtime_checkable
class VerifyingResolver(Resolver, Protocol):
    """A resolver that can read back what an erasure left."""

    async def verify_erasure(
        self, ref: SubjectRef, *, found: ItemIds | None = None
    ) -> ResolverVerification:
        """Whether the system still holds ``ref``'s data after its erasure; with ``found``
        (the erasure's ``ResolverErasure.found``) each of those items is read back too
        (``ResolverVerification.items``); a kind the resolver does not know is a
        ``ValueError`` before any request."""
        ...


@runtime_checkable
class ErasureLedger(Protocol):
    """Where a caller keeps, durably, what an erasure is about to delete (a bulk journal).

    A resolver calls it from whichever thread does the erasure's work.
    """

    def intended(self) -> ItemIds:
        """The ids, by kind, whose deletion an earlier attempt of this erasure announced."""
        ...

    def intend(self, kind: str, item_id: str) -> None:
        """Record that ``item_id`` (of ``kind``) is about to be deleted; returns once that is
        durable. An exception stops the erasure before the deletion is sent."""
        ...


@runtime_checkable
class LedgeredResolver(Resolver, Protocol):
    """A resolver whose erasure deletes items one by one and announces each to a ledger first,
    so an erasure killed at any step and called again repeats and skips none of them."""

    async def erase_with_ledger(self, ref: SubjectRef, ledger: ErasureLedger) -> ResolverErasure:
        """``erase_subject(ref)``, announcing each deletion to ``ledger`` before sending it;
        an item ``ledger.intended()`` names that reads as not found counts as deleted by this
        erasure (its answer was lost), and its id stays in ``found``."""
        ...


@runtime_checkable
class ConcurrentResolver(Resolver, Protocol):
    """A resolver whose calls keep several requests in flight (a bulk run sizes itself by it)."""

    def requests_in_flight(self, operation: Operation) -> int:
        """The most requests one call of ``operation`` keeps in flight at once (at least 1)."""
        ...


@runtime_checkable
class ConfiguredResolver(Resolver, Protocol):
    """A resolver whose configuration decides what an operation does (a policy, sections)."""

    def options_for(self, operation: Operation) -> Mapping[str, str]:
        """The settings that decide ``operation``'s outcome besides the subject, as text: a
        bulk journal records them and refuses to resume under others."""
        ...
