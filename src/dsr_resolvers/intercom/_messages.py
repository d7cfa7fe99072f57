"""Which messages in a conversation the contact wrote: the redaction and export boundary.

A message belongs to the subject only when its author *is* the contact: ``author.id`` equals
the contact id and ``author.type`` is a contact type (``user``, ``lead`` or ``contact``).
Messages by admins, bots, teams or any other contact are never exported as the subject's and
never redacted by the subject's erasure.

Intercom returns at most 500 parts with a conversation; when it says there are more than it
listed, the conversation cannot be handled completely, and that is an error, not a silent cut.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from dsr_resolvers.contract import ResolverError
from dsr_resolvers.intercom import _routes as routes
from dsr_resolvers.intercom._http import IntercomCall
from dsr_resolvers.intercom._paging import item_id

CONTACT_AUTHOR_TYPES = frozenset({"user", "lead", "contact"})


class IncompleteConversationError(ResolverError):
    """Intercom lists fewer parts of a conversation than it says exist (its 500-part cap)."""

    def __init__(self, action: str) -> None:
        super().__init__(
            f"intercom listed only part of a conversation during the {action} request "
            "(more than 500 parts); handle that conversation in the Intercom UI"
        )


@dataclass(frozen=True, slots=True)
class AuthoredMessage:
    """One message the contact wrote in one conversation."""

    kind: Literal["source", "conversation_part"]
    id: str
    redacted: bool
    message: Mapping[str, Any]


def written_by(message: Mapping[str, Any], contact_id: str) -> bool:
    """Whether ``message`` (a source or a part) was written by the contact itself."""
    author = message.get("author")
    return (
        isinstance(author, Mapping)
        and author.get("id") == contact_id
        and author.get("type") in CONTACT_AUTHOR_TYPES
    )


def authored_messages(
    call: IntercomCall, conversation: Mapping[str, Any], contact_id: str
) -> Iterator[AuthoredMessage]:
    """The messages with a body in ``conversation`` (as ``GET /conversations/{id}`` returns it)
    that the contact wrote: the source first, then parts in order."""
    source = conversation.get("source")
    if source is not None and not isinstance(source, Mapping):
        raise call.malformed(*routes.CONVERSATION, "a malformed conversation source")
    if source is not None and written_by(source, contact_id) and _has_body(source):
        identifier = item_id(call, routes.CONVERSATION, source)
        yield AuthoredMessage("source", identifier, source.get("redacted") is True, source)
    container = conversation.get("conversation_parts")
    if container is None:
        return
    parts = container.get("conversation_parts") if isinstance(container, Mapping) else None
    if not isinstance(parts, list) or not all(isinstance(p, Mapping) for p in parts):
        raise call.malformed(*routes.CONVERSATION, "a malformed part list")
    total = container.get("total_count")
    if isinstance(total, int) and not isinstance(total, bool) and total > len(parts):
        raise IncompleteConversationError(call.action)
    for part in parts:
        if written_by(part, contact_id) and _has_body(part):
            identifier = item_id(call, routes.CONVERSATION, part)
            yield AuthoredMessage(
                "conversation_part", identifier, part.get("redacted") is True, part
            )


def _has_body(message: Mapping[str, Any]) -> bool:
    body = message.get("body")
    return isinstance(body, str) and body.strip() != ""
