"""Value types that cross the resolver contract.

Every value a resolver returns is a frozen pydantic model that forbids unknown fields, so a
saga engine can store it, compare it and serialise it to JSON (Art. 20 portability) without
caring which vendor produced it. Field names and meanings follow the ``effaced`` GDPR
library's resolver contract, so adapting one to the other is a field-for-field copy.

| model              | what it says                                                        |
|--------------------|---------------------------------------------------------------------|
| SubjectRef         | which person, in the vocabulary of one resolver (``kind``)          |
| ExportRecord       | one personal datum: where it lives, what kind of data it is, value  |
| ResolverExport     | everything one resolver holds about one subject (Art. 15)           |
| ResolverErasure    | what one erasure did (Art. 17): ``counts`` by name for programs,   |
|                    | ``found`` (ids by kind) for a read-back, ``detail`` for people      |
| ResolverRectification | what one rectification changed (Art. 16): field names, no values |
| ResolverObjection  | what one objection to direct marketing changed (Art. 21): field     |
|                    | names and subscription type ids, no values                          |
| SubjectMatch       | one subject a lookup found, and which identifiers led to it         |
| Presence           | what the system showed of a subject: held, absent, or not visible   |
| ResolverErasurePlan | what an erasure would reach, found without changing anything       |
| ResolverVerification | what a read-back after an erasure found: erased yes, no, unknown  |
| ItemsReadBack      | the read-back of one kind of item an erasure found: gone, kept,    |
|                    | or remaining (with ids)                                             |

A model's ``repr`` never shows a value that is personal data or an identifier:
``SubjectRef.value`` and ``extra``, ``ExportRecord.value`` and
``ResolverExport.held_not_exported`` (names a workspace chose), ``ResolverErasure.found`` and
``ItemsReadBack.remaining`` (ids) are left out of it (a
``SubjectMatch`` shows its ref, which hides its value), and ``SubjectRef``'s validation errors
do not echo their input. ``str(record.value)`` and ``model_dump()`` still give everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt

__all__ = [
    "ExportRecord",
    "ItemIds",
    "ItemsReadBack",
    "PiiCategory",
    "Presence",
    "ResolverErasure",
    "ResolverErasurePlan",
    "ResolverExport",
    "ResolverObjection",
    "ResolverRectification",
    "ResolverVerification",
    "SubjectMatch",
    "SubjectRef",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PiiCategory(StrEnum):
    """The kind of personal data a field holds, as a record of processing names it."""

    CONTACT = "contact"
    IDENTITY = "identity"
    FINANCIAL = "financial"
    BEHAVIORAL = "behavioral"
    TECHNICAL = "technical"
    LOCATION = "location"
    COMMUNICATION = "communication"
    SPECIAL = "special"


_Bounded = Annotated[str, Field(min_length=1, max_length=255)]
ItemIds = Mapping[str, tuple[str, ...]]
"""Ids of the items a subject had in a system, by kind (``{"conversation": ("123",)}``)."""


class SubjectRef(_Frozen):
    """A reference to one data subject inside one system.

    Attributes:
        kind: The vocabulary of ``value``; each resolver accepts the kinds it names
            (``"intercom"`` for an Intercom contact id).
        value: The identifier itself. It is personal data: never log it.
        extra: Free-form string hints a resolver may use; ignored when unknown.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    kind: _Bounded
    value: _Bounded = Field(repr=False)
    extra: dict[str, str] = Field(default_factory=dict, repr=False)


class ExportRecord(_Frozen):
    """One personal datum held by a source.

    Attributes:
        source: The system holding the datum (``"intercom"``).
        field: A dotted path naming where the datum lives, e.g. ``contact.email`` or
            ``conversation.123.state``; it matches a field glob of the covered surface.
        category: What kind of personal data this is.
        value: The datum, rendered as text.
        legal_basis: The Art. 6 basis the controller relies on, when known.
        purpose: Why the datum is processed, when known.
        retention_reason: Why the datum is kept, when known.
    """

    source: str
    field: str
    category: PiiCategory
    value: str = Field(repr=False)
    legal_basis: str | None = None
    purpose: str | None = None
    retention_reason: str | None = None


class ResolverExport(_Frozen):
    """Everything one resolver holds about one subject; empty only when nothing is held.

    Attributes:
        resolver: The resolver's ``name``.
        records: The data exported.
        held_not_exported: Names (field globs, never values) of data the source showed it
            holds about the subject but the export left out, because the controller did not
            declare it (e.g. workspace-defined custom attributes). Say so to the person.
        presence: What the system showed of the subject: ``held``; ``absent`` (it holds
            nothing); ``not_visible`` (no read showed it, yet it may be held out of sight,
            e.g. archived: an empty export that is not "nothing held"); ``None`` when the
            resolver does not say.
    """

    resolver: str
    records: tuple[ExportRecord, ...] = ()
    held_not_exported: tuple[str, ...] = Field(default=(), repr=False)
    presence: Presence | None = None


class ResolverErasure(_Frozen):
    """The outcome of one successful erasure.

    Attributes:
        resolver: The resolver's ``name``.
        already_absent: True when the subject was already gone: still a success.
        no_record: True when the system answered that it knows no subject with this
            identifier at all: deleted earlier, merged into another subject (a lead into a
            user), or never existed. Nothing was erased by this call; ``already_absent``
            is True too. Receipts record it as such, never as "erased".
        counts: What the erasure did, by name (``messages_redacted``: 3); each resolver
            documents its names, and a name it does not state is unknown, never 0. Programs
            (receipts, bulk runs) read these, never ``detail``.
        found: The ids of the items the erasure found the subject in, by kind (each
            resolver documents its kinds; Intercom: ``conversation``, ``ticket``), whatever it
            did to them: a ``VerifyingResolver`` reads each back. Ids only, kept out of
            ``repr``.
        detail: What was done, for a person reading an audit trail. Never holds personal
            data, and no program parses it.
    """

    resolver: str
    already_absent: bool = False
    no_record: bool = False
    counts: Mapping[str, NonNegativeInt] = Field(default_factory=dict)
    found: ItemIds = Field(default_factory=dict, repr=False)
    detail: str | None = None


class ResolverRectification(_Frozen):
    """The outcome of one successful rectification (Art. 16).

    Attributes:
        resolver: The resolver's ``name``.
        already_absent: True when the subject was not held: nothing to correct.
        fields: The names of the fields corrected (never their values).
        detail: What was done, for an audit trail. Never holds personal data.
    """

    resolver: str
    already_absent: bool = False
    fields: tuple[str, ...] = ()
    detail: str | None = None


class ResolverObjection(_Frozen):
    """The outcome of one objection to direct marketing (Art. 21(2)-(3)).

    An objection is idempotent: asked again, it changes nothing and says so (no fields, no
    types), which is what ``changed`` tells apart.

    Attributes:
        resolver: The resolver's ``name``.
        dry_run: True when nothing was sent: the fields and types are what would change.
        already_absent: True when the system holds no such subject: nothing to object to.
        fields: The subject's fields turned off (e.g. ``unsubscribed_from_emails``), never
            values.
        subscription_types: The ids of the subscription types the subject was opted out of.
        detail: What was done, for an audit trail. Never holds personal data.
    """

    resolver: str
    dry_run: bool = False
    already_absent: bool = False
    fields: tuple[str, ...] = ()
    subscription_types: tuple[str, ...] = Field(default=(), repr=False)
    detail: str | None = None

    @property
    def changed(self) -> bool:
        """Whether the objection turned anything off (or, in a dry run, would)."""
        return bool(self.fields or self.subscription_types)


class SubjectMatch(_Frozen):
    """One subject a lookup found (see ``LookupResolver``).

    Attributes:
        ref: The subject, as the resolver's other methods take it.
        matched_on: Which identifiers of the lookup led to it (``"email"``, ``"phone"``,
            ``"external_id"``).
    """

    ref: SubjectRef
    matched_on: frozenset[str]


class Presence(StrEnum):
    """What the system showed of a subject when asked.

    ``NOT_VISIBLE`` is the honest answer where no read can tell "absent" from "held out of
    sight" (Intercom's archived contacts read as not found, yet an erasure reaches them): the
    erasure will remove the subject if the system holds it, and nobody claims that it does.
    """

    HELD = "held"
    ABSENT = "absent"
    NOT_VISIBLE = "not_visible"


class ResolverErasurePlan(_Frozen):
    """What erasing one subject would do, found without changing anything (a dry run).

    Attributes:
        resolver: The resolver's ``name``.
        presence: ``held``: the erasure will remove the subject; ``absent``: the system
            showed it holds nothing, the erasure will find nothing; ``not_visible``: no read
            shows the subject, the erasure will remove it if the system holds it unseen.
        counts: What the erasure would find or do, by name (each resolver documents its
            names); a name not stated is unknown, never 0.
    """

    resolver: str
    presence: Presence
    counts: Mapping[str, NonNegativeInt] = Field(default_factory=dict)

    @property
    def to_erase(self) -> bool:
        """Whether the erasure would (``held``) or may (``not_visible``) remove something."""
        return self.presence is not Presence.ABSENT


class ItemsReadBack(_Frozen):
    """What reading back the items of one kind an erasure found showed (e.g. conversations).

    Attributes:
        gone: Items the system answered its own not-found for.
        kept: Items still shown that hold nothing the erasure removes: shared with other
            people with the subject's part removed, or left in place by the erasure's own
            design (a resolver's covered surface names what stays).
        remaining: The ids of items still shown with the subject's data in them: never
            hidden, kept out of ``repr``.
    """

    gone: NonNegativeInt = 0
    kept: NonNegativeInt = 0
    remaining: tuple[str, ...] = Field(default=(), repr=False)


class ResolverVerification(_Frozen):
    """What a read-back after an erasure found.

    Attributes:
        resolver: The resolver's ``name``.
        presence: Whether the system still holds the subject (``held``), showed that it does
            not (``absent``), or cannot show either (``not_visible``).
        erased: ``True`` only when the system showed that nothing the erasure removes is
            left; ``False`` when something is; ``None`` when it cannot be told.
        counts: What was found, by name (each resolver documents its names).
        items: By kind, what reading back each item the erasure found
            (``ResolverErasure.found``, given to ``verify_erasure``) showed; empty when no
            items were given. Anything ``remaining`` makes ``erased`` ``False``.
    """

    resolver: str
    presence: Presence
    erased: bool | None
    counts: Mapping[str, NonNegativeInt] = Field(default_factory=dict)
    items: Mapping[str, ItemsReadBack] = Field(default_factory=dict)
