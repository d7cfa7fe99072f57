"""Which part of an export a record belongs to, read from its ``field`` path alone.

The access report groups records by section, and a processing record may state a purpose per
section; both ask this one function. It reads the documented record-field vocabulary (see
``docs/intercom.md``), so it needs nothing from the Intercom plugin itself:

| record field                                   | section         |
|------------------------------------------------|-----------------|
| ``contact.tags.*``                             | ``tags``        |
| ``contact.companies.*``                        | ``companies``   |
| ``contact.notes.*``                            | ``notes``       |
| ``contact.segments.*``                         | ``segments``    |
| ``contact.subscriptions.*``                    | ``subscriptions`` |
| ``contact.*`` (anything else)                  | ``profile``     |
| ``conversation.*.source.url``                  | ``conversations`` |
| ``conversation.*.source.*``                    | ``messages``    |
| ``conversation.*.conversation_parts.*``        | ``messages``    |
| ``conversation.*`` (anything else)             | ``conversations`` |
| ``ticket.*``                                   | ``tickets``     |
| ``call.*``                                     | ``calls``       |
| ``event.*``                                    | ``events``      |
| ``event_summary.*``                            | ``event_summaries`` |
| anything else                                  | ``other``       |
"""

from __future__ import annotations

from typing import Final, Literal, get_args

__all__ = ["SECTIONS", "Section", "section_of"]

Section = Literal[
    "profile",
    "tags",
    "companies",
    "notes",
    "segments",
    "subscriptions",
    "conversations",
    "messages",
    "tickets",
    "calls",
    "events",
    "event_summaries",
    "other",
]

SECTIONS: Final[tuple[Section, ...]] = get_args(Section)
"""Every section, in the order the access report shows them."""

_CONTACT_LISTS: Final[dict[str, Section]] = {
    "tags": "tags",
    "companies": "companies",
    "notes": "notes",
    "segments": "segments",
    "subscriptions": "subscriptions",
}


def section_of(field: str) -> Section:
    """The section of the record whose ``field`` is given."""
    head, _, rest = field.partition(".")
    if head == "contact":
        return _CONTACT_LISTS.get(rest.partition(".")[0], "profile")
    if head == "conversation":
        parts = rest.split(".")
        if parts[1:] == ["source", "url"]:  # the page written from: conversation metadata
            return "conversations"
        if len(parts) > 1 and parts[1] in ("source", "conversation_parts"):
            return "messages"
        return "conversations"
    if head == "ticket":
        return "tickets"
    if head == "call":
        return "calls"
    if head == "event":
        return "events"
    if head == "event_summary":
        return "event_summaries"
    return "other"
