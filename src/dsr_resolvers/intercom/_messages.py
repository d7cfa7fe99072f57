"""Which messages in a conversation the contact wrote: the redaction and export boundary.

A message belongs to the subject only when its author *is* the contact: ``author.id`` equals
the contact id and ``author.type`` is a contact type (``user``, ``lead`` or ``contact``).
Messages by admins, bots, teams or any other contact are never exported as the subject's and
never redacted by the subject's erasure.

Intercom returns at most the 500 most recent parts of a conversation (its OpenAPI description
of ``GET /conversations/{id}`` says so), and its ``total_count`` need not reveal the rest. So a
conversation that lists 500 parts or more, or says it holds more than it lists, cannot be read
or redacted completely:

| call                          | such a conversation                                        |
|-------------------------------|------------------------------------------------------------|
| export with messages          | ``IncompleteConversationError`` after every conversation   |
| ``redact_messages`` erasure   | what is listed is redacted, then ``IncompleteConversation  |
|                               | Error``; the contact is **not** deleted                    |
| plan / verify                 | counted in ``MessageScan.incomplete``; never ``erased``    |

Redacting is idempotent the way Intercom allows: it answers 400 to redacting a message that is
already redacted (a rerun after a crash, or two erasures racing). :func:`redact_message` then
reads the conversation again; a message Intercom now shows ``redacted`` counts as already
redacted, and any other 400 stands (``IntercomRejectedError``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from dsr_resolvers.contract import ResolverError
from dsr_resolvers.intercom import _routes as routes
from dsr_resolvers.intercom._errors import IntercomRejectedError
from dsr_resolvers.intercom._http import IntercomCall, Route
from dsr_resolvers.intercom._paging import item_id

CONTACT_AUTHOR_TYPES = frozenset({"user", "lead", "contact"})
PART_CAP = 500
"""Intercom returns at most this many parts (the most recent) of one conversation."""


class IncompleteConversationError(ResolverError):
    """Intercom shows only the 500 most recent parts of some conversations of the subject.

    Older parts cannot be read or redacted through the API, so the export or the erasure
    cannot be complete. Handle those conversations in Intercom's inbox (export or delete the
    older messages there), then run the call again.

    Attributes:
        action: What was being done: ``export`` or ``erase``.
        conversation_ids: The Intercom ids of the affected conversations.
    """

    def __init__(self, action: str, conversation_ids: tuple[str, ...]) -> None:
        self.action = action
        self.conversation_ids = tuple(conversation_ids)
        super().__init__(
            f"intercom shows only the {PART_CAP} most recent parts of"
            f" {len(self.conversation_ids)} conversation(s) of this subject, so the {action}"
            " cannot be complete; handle those conversations (see conversation_ids) in"
            f" Intercom's inbox, then run the {action} again"
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


def is_incomplete(call: IntercomCall, conversation: Mapping[str, Any]) -> bool:
    """Whether Intercom may hide parts of ``conversation`` (its 500-part cap)."""
    parts = parts_of(call, conversation)
    container = conversation.get("conversation_parts")
    total = container.get("total_count") if isinstance(container, Mapping) else None
    if isinstance(total, bool) or not isinstance(total, int):
        total = 0
    return len(parts) >= PART_CAP or total > len(parts)


def parts_of(
    call: IntercomCall,
    thread: Mapping[str, Any],
    key: str = "conversation_parts",
    where: Route = routes.CONVERSATION,
) -> list[Mapping[str, Any]]:
    """The parts of a conversation (``conversation_parts``) or a ticket (``ticket_parts``):
    Intercom nests the list under the same key as its container."""
    container = thread.get(key)
    if container is None:
        return []
    parts = container.get(key) if isinstance(container, Mapping) else None
    if not isinstance(parts, list) or not all(isinstance(p, Mapping) for p in parts):
        raise call.malformed(*where, "a malformed part list")
    return parts


def authored_messages(
    call: IntercomCall, conversation: Mapping[str, Any], contact_id: str
) -> Iterator[AuthoredMessage]:
    """The messages with a body in ``conversation`` (as ``GET /conversations/{id}`` returns it)
    that the contact wrote: the source first, then parts in order. Only what Intercom lists;
    ask :func:`is_incomplete` whether that is everything."""
    source = conversation.get("source")
    if source is not None and not isinstance(source, Mapping):
        raise call.malformed(*routes.CONVERSATION, "a malformed conversation source")
    if source is not None and written_by(source, contact_id) and _has_body(source):
        identifier = item_id(call, routes.CONVERSATION, source)
        yield AuthoredMessage("source", identifier, source.get("redacted") is True, source)
    for part in parts_of(call, conversation):
        if written_by(part, contact_id) and _has_body(part):
            identifier = item_id(call, routes.CONVERSATION, part)
            yield AuthoredMessage(
                "conversation_part", identifier, part.get("redacted") is True, part
            )


def _has_body(message: Mapping[str, Any]) -> bool:
    body = message.get("body")
    return isinstance(body, str) and body.strip() != ""


def redact_message(call: IntercomCall, conversation_id: str, message: AuthoredMessage) -> bool:
    """Redact one message; ``True`` when this call redacted it, ``False`` when Intercom shows
    it redacted already (it answered 400, and a fresh read shows the message ``redacted``).

    A 404 means the message is gone since it was read: nothing is left to redact, and it
    counts as done by this call.

    Raises:
        IntercomRejectedError: A 400 for a message Intercom does not show redacted, or any
            other refusal.
    """
    body: dict[str, str] = {"type": message.kind, "conversation_id": conversation_id}
    body["source_id" if message.kind == "source" else "conversation_part_id"] = message.id
    try:
        call.request(*routes.REDACT, json_body=body)
    except IntercomRejectedError as refused:
        if refused.status_code != 400 or not _shows_redacted(call, conversation_id, message):
            raise
        return False
    return True


def _shows_redacted(call: IntercomCall, conversation_id: str, message: AuthoredMessage) -> bool:
    conversation = call.request(*routes.CONVERSATION, path_params={"id": conversation_id})
    if conversation is None:
        return False
    return any(
        again.kind == message.kind and again.id == message.id and again.redacted
        for again in _listed(call, conversation)
    )


def _listed(call: IntercomCall, conversation: Mapping[str, Any]) -> Iterator[AuthoredMessage]:
    """Every message of ``conversation`` with its redaction flag, whoever wrote it."""
    source = conversation.get("source")
    if isinstance(source, Mapping) and source.get("id") is not None:
        identifier = item_id(call, routes.CONVERSATION, source)
        yield AuthoredMessage("source", identifier, source.get("redacted") is True, source)
    for part in parts_of(call, conversation):
        identifier = item_id(call, routes.CONVERSATION, part)
        yield AuthoredMessage("conversation_part", identifier, part.get("redacted") is True, part)
