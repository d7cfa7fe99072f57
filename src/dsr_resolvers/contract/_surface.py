"""The covered surface: what a resolver declares it reaches, and what it knowingly leaves.

A surface is a declaration for a record of processing, never a compliance verdict. It is
meant to be derived from the same field tables the exporter iterates, so that the claim
cannot drift from the code; the conformance suite checks every exported record against it.

Field names are ``fnmatch`` globs over ``ExportRecord.field``: ``contact.email`` matches
itself only, ``conversation.*.state`` matches the state of every conversation.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from dsr_resolvers.contract._models import ExportRecord, PiiCategory

__all__ = ["CoveredField", "CoveredSurface", "SurfaceExclusion"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


_Glob = Annotated[str, Field(min_length=1)]


class CoveredField(_Frozen):
    """A field glob the resolver exports, with its category, and whether erasure removes it.

    Attributes:
        field: The glob over ``ExportRecord.field``.
        category: The category of every record it admits.
        erased: Whether the resolver's erasure removes the data, as far as the system shows;
            ``False`` for data that is exported but stays (the surface's notes say why).
    """

    field: _Glob
    category: PiiCategory
    erased: bool = True

    def matches(self, field: str) -> bool:
        """Whether ``field`` (a concrete record field) falls under this glob."""
        return fnmatchcase(field, self.field)


class SurfaceExclusion(_Frozen):
    """A field glob the resolver knowingly does not export, and why.

    Attributes:
        field: The glob over ``ExportRecord.field`` (or a place no record names).
        reason: Why it is not exported.
        retention: How long the system keeps that data, where its vendor documents it.
    """

    field: _Glob
    reason: Annotated[str, Field(min_length=1)]
    retention: str | None = None

    def matches(self, field: str) -> bool:
        """Whether ``field`` (a concrete record field) falls under this glob."""
        return fnmatchcase(field, self.field)


class CoveredSurface(_Frozen):
    """What one resolver declares it covers.

    Attributes:
        resolver: The resolver's ``name``.
        fields: The covered field globs; at least one.
        exclusions: Globs knowingly left out, each with a reason.
        notes: Plain statements about scope, e.g. what erasure leaves behind.
    """

    resolver: str
    fields: Annotated[tuple[CoveredField, ...], Field(min_length=1)]
    exclusions: tuple[SurfaceExclusion, ...] = ()
    notes: tuple[str, ...] = ()

    def covering(self, record: ExportRecord) -> CoveredField | None:
        """The covered field that admits ``record`` (same glob and category), if any."""
        for covered in self.fields:
            if covered.category is record.category and covered.matches(record.field):
                return covered
        return None

    def excluding(self, field: str) -> SurfaceExclusion | None:
        """The exclusion that ``field`` falls under, if any."""
        for exclusion in self.exclusions:
            if exclusion.matches(field):
                return exclusion
        return None

    def admits(self, record: ExportRecord) -> bool:
        """Whether ``record`` lies inside the surface and outside every exclusion."""
        return self.covering(record) is not None and self.excluding(record.field) is None

    def erases(self, record: ExportRecord) -> bool:
        """Whether the surface declares that erasure removes ``record``'s datum."""
        covered = self.covering(record)
        return covered is not None and covered.erased and self.excluding(record.field) is None
