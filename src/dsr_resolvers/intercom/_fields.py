"""The field tables: which Intercom fields are personal data, and of which category.

These tuples are the single source of truth. The exporter iterates them to build records, and
:func:`build_covered_surface` iterates the very same tuples to declare the covered surface, so
the declaration cannot drift from what the code exports.

| record field                    | Intercom source                  | category   |
|---------------------------------|----------------------------------|------------|
| ``contact.email``               | ``contact.email``                | contact    |
| ``contact.name``                | ``contact.name``                 | identity   |
| ``contact.phone``               | ``contact.phone``                | contact    |
| ``conversation.{id}.created_at``| conversation ``created_at``      | behavioral |
| ``conversation.{id}.updated_at``| conversation ``updated_at``      | behavioral |
| ``conversation.{id}.state``     | conversation ``state``           | behavioral |

Message bodies and caller-defined custom attributes are declared exclusions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from dsr_resolvers.contract import (
    CoveredField,
    CoveredSurface,
    PiiCategory,
    SurfaceExclusion,
)

RESOLVER_NAME = "intercom"


class Render(Enum):
    """How a raw JSON value becomes the text of an export record."""

    TEXT = "text"
    TIMESTAMP = "timestamp"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One exported field: where it sits in Intercom's JSON, and what it is."""

    key: str
    category: PiiCategory
    render: Render = Render.TEXT


CONTACT_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("email", PiiCategory.CONTACT),
    FieldSpec("name", PiiCategory.IDENTITY),
    FieldSpec("phone", PiiCategory.CONTACT),
)

CONVERSATION_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("created_at", PiiCategory.BEHAVIORAL, Render.TIMESTAMP),
    FieldSpec("updated_at", PiiCategory.BEHAVIORAL, Render.TIMESTAMP),
    FieldSpec("state", PiiCategory.BEHAVIORAL),
)

CONTACT_PREFIX = "contact."
CONVERSATION_PREFIX = "conversation.{id}."

EXCLUSIONS: tuple[SurfaceExclusion, ...] = (
    SurfaceExclusion(
        field="contact.custom_attributes.*",
        reason="custom attributes are defined by each workspace; which hold personal data "
        "is the controller's call, so none are exported unless declared",
    ),
    SurfaceExclusion(
        field="conversation.*.conversation_parts.*",
        reason="message bodies are not exported by this resolver's default configuration",
    ),
    SurfaceExclusion(
        field="conversation.*.source.*",
        reason="the opening message body is not exported by this resolver's default configuration",
    ),
)

NOTES: tuple[str, ...] = (
    "Erasure deletes the Intercom contact (DELETE /contacts/{id}); Intercom destroys its "
    "data after a 7-day grace period.",
    "Erasure does not delete or redact the contact's conversations: they stay in Intercom.",
    "This surface is a declaration of what the resolver reaches, not a compliance verdict.",
)


def render(spec: FieldSpec, raw: Any) -> str | None:
    """The record text for ``raw``, ``None`` when the field is empty, or ``ValueError``."""
    if raw is None or raw == "":
        return None
    if spec.render is Render.TIMESTAMP:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise ValueError("timestamp is not a number")
        return datetime.fromtimestamp(raw, tz=UTC).isoformat().replace("+00:00", "Z")
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool | int | float):
        return str(raw).lower() if isinstance(raw, bool) else str(raw)
    raise ValueError("field is not a scalar")


def _glob(prefix: str) -> str:
    return prefix.replace("{id}", "*")


def build_covered_surface() -> CoveredSurface:
    """The covered surface, derived from the same tables the exporter iterates."""
    fields = tuple(
        CoveredField(field=_glob(prefix) + spec.key, category=spec.category)
        for prefix, specs in (
            (CONTACT_PREFIX, CONTACT_FIELDS),
            (CONVERSATION_PREFIX, CONVERSATION_FIELDS),
        )
        for spec in specs
    )
    return CoveredSurface(resolver=RESOLVER_NAME, fields=fields, exclusions=EXCLUSIONS, notes=NOTES)
