"""The plugin contract, as runtime-checkable protocols.

A resolver is anything with a stable ``name`` and two coroutines. Optional capabilities are
sub-protocols, so the base contract only ever grows additively: a saga engine checks
``isinstance(resolver, AttestingResolver)`` before asking for a covered surface.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from dsr_resolvers.contract._models import (
    ResolverErasure,
    ResolverExport,
    ResolverRectification,
    SubjectRef,
)
from dsr_resolvers.contract._surface import CoveredSurface

__all__ = ["AttestingResolver", "RectifyingResolver", "Resolver"]


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
