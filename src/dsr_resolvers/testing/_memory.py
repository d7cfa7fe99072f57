"""A second resolver with no vendor code: people in a dict, reached through the contract alone.

It proves the seam: bulk runs, their dry run, erasure receipts and the conformance suite drive
it exactly as they drive ``IntercomResolver``, so nothing there may lean on Intercom's shapes.
It is also a small, honest stand-in for tests of code built on the contract.

| capability          | what it does                                                       |
|---------------------|--------------------------------------------------------------------|
| export              | one record per field (``person.email``, ...), categorised by table  |
| erase               | forgets the person; counts ``fields_deleted``, ``people_deleted``   |
| plan                | ``held`` or ``absent``; counts ``fields_to_delete``                 |
| verify              | ``absent`` and erased, or ``held`` and not; counts ``fields_left``  |
| lookup              | by ``email``, ``phone`` or ``external_id``; ``matched_on`` says     |
|                     | which field held the value                                          |
| object (Art. 21)    | turns off the person's ``marketing`` switch; again: changes nothing |

Every call is guarded by one lock, so several event loops and threads may share an instance.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Final

from dsr_resolvers.contract import (
    CoveredField,
    CoveredSurface,
    ExportRecord,
    ItemIds,
    PiiCategory,
    Presence,
    ResolverErasure,
    ResolverErasurePlan,
    ResolverError,
    ResolverExport,
    ResolverObjection,
    ResolverVerification,
    SubjectMatch,
    SubjectRef,
)

__all__ = ["InMemoryResolver"]

FIELDS: Final = {
    "email": PiiCategory.CONTACT,
    "phone": PiiCategory.CONTACT,
    "name": PiiCategory.IDENTITY,
    "external_id": PiiCategory.IDENTITY,
}
"""The fields a person may hold, with their categories: the table export and surface share."""


class InMemoryResolver:
    """Exports, erases, plans, verifies, looks up and objects for people held in memory.

    Args:
        people: Each person's fields (see ``FIELDS``), by id; the resolver keeps this dict
            and changes it as it erases.
        name: The resolver's name, and the ``kind`` of its refs.

    Raises:
        ValueError: A field that is not in ``FIELDS``.

    Example:
        >>> resolver = InMemoryResolver({"p-1": {"email": "ada@example.org"}})
        >>> resolver
        InMemoryResolver(name='memory')
    """

    def __init__(self, people: dict[str, dict[str, str]], *, name: str = "memory") -> None:
        if any(set(fields) - FIELDS.keys() for fields in people.values()):
            raise ValueError(f"a person may hold only {', '.join(FIELDS)}")
        self._people = people
        self._name = name
        self._lock = threading.Lock()
        self._objected: set[str] = set()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self._name!r})"

    @property
    def name(self) -> str:
        """The resolver's name, as given."""
        return self._name

    @property
    def covered_surface(self) -> CoveredSurface:
        """Every field of ``FIELDS``, erased by the erasure."""
        fields = tuple(CoveredField(field=f"person.{f}", category=c) for f, c in FIELDS.items())
        return CoveredSurface(resolver=self._name, fields=fields)

    async def export_subject(self, ref: SubjectRef) -> ResolverExport:
        """One record per field the person holds; empty when nobody has this id."""
        records = tuple(
            ExportRecord(source=self._name, field=f"person.{f}", category=FIELDS[f], value=v)
            for f, v in sorted((self._held(ref) or {}).items())
        )
        return ResolverExport(resolver=self._name, records=records)

    async def erase_subject(self, ref: SubjectRef) -> ResolverErasure:
        """Forget the person; ``already_absent`` when nobody had this id."""
        with self._lock:
            held = self._people.pop(self._id(ref), None)
        fields = len(held or {})
        return ResolverErasure(
            resolver=self._name,
            already_absent=held is None,
            counts={"people_deleted": int(held is not None), "fields_deleted": fields},
            detail="nobody had this id" if held is None else f"deleted {fields} field(s)",
        )

    async def plan_erasure(self, ref: SubjectRef) -> ResolverErasurePlan:
        """``held`` with the fields to delete, or ``absent``: memory hides nothing."""
        held = self._held(ref)
        presence = Presence.ABSENT if held is None else Presence.HELD
        counts = {"fields_to_delete": len(held or {})}
        return ResolverErasurePlan(resolver=self._name, presence=presence, counts=counts)

    async def verify_erasure(
        self, ref: SubjectRef, *, found: ItemIds | None = None
    ) -> ResolverVerification:
        """Erased exactly when nobody has this id any more (memory holds no items besides
        the person, so ``found`` has nothing to read back)."""
        held = self._held(ref)
        return ResolverVerification(
            resolver=self._name,
            presence=Presence.ABSENT if held is None else Presence.HELD,
            erased=held is None,
            counts={"fields_left": len(held or {})},
        )

    async def object_to_marketing(
        self, ref: SubjectRef, *, dry_run: bool = False
    ) -> ResolverObjection:
        """Turn off the person's ``marketing`` switch (one a person); ``already_absent`` when
        nobody has this id; a second objection changes nothing."""
        person = self._id(ref)
        with self._lock:
            if person not in self._people:
                return ResolverObjection(resolver=self._name, dry_run=dry_run, already_absent=True)
            fields = () if person in self._objected else ("marketing",)
            if not dry_run:
                self._objected.add(person)
        return ResolverObjection(resolver=self._name, dry_run=dry_run, fields=fields)

    def objected(self, person: str) -> bool:
        """Whether the person with this id has objected to direct marketing."""
        with self._lock:
            return person in self._objected

    async def find_subjects(
        self,
        *,
        email: str | None = None,
        phone: str | None = None,
        external_id: str | None = None,
    ) -> tuple[SubjectMatch, ...]:
        """Everybody holding one of the values given, each saying which field held it."""
        given = {"email": email, "phone": phone, "external_id": external_id}
        wanted = {field: value for field, value in given.items() if value is not None}
        if not wanted or not all(value.strip() for value in wanted.values()):
            raise ValueError("give at least one of email, phone and external_id, not empty")
        with self._lock:
            people = list(self._people.items())
        return tuple(
            SubjectMatch(ref=SubjectRef(kind=self._name, value=person), matched_on=on)
            for person, fields in people
            if (on := frozenset(f for f, v in wanted.items() if fields.get(f) == v))
        )

    def _held(self, ref: SubjectRef) -> Mapping[str, str] | None:
        with self._lock:
            held = self._people.get(self._id(ref))
            return None if held is None else dict(held)

    def _id(self, ref: SubjectRef) -> str:
        if ref.kind != self._name:
            raise ResolverError(f"{self._name} resolves refs of kind {self._name!r} only")
        return ref.value
