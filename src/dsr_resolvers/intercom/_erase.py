"""The Art. 17 erasure policies, the dry-run plan and the read-back verification.

| policy          | steps                                                          |
|-----------------|----------------------------------------------------------------|
| delete_contact  | ``DELETE /contacts/{id}``; on not found ``POST .../unarchive``  |
|                 | and, when Intercom returns the archived contact, delete it      |
| redact_messages | ``GET /contacts/{id}`` (on not found, unarchive as above);      |
|                 | ``POST /conversations/search`` (the contact's conversations);   |
|                 | per conversation ``GET /conversations/{id}``, then              |
|                 | ``POST /conversations/redact`` for each message the contact     |
|                 | wrote that is not yet redacted; last ``DELETE /contacts/{id}``  |

The irreversible step, deleting the contact, comes **last**: once the contact is gone its
conversations may no longer be found by ``contact_ids``. So a run that dies anywhere (a reset
between two redactions, a 5xx, a kill) leaves the contact in place, and calling erase again
redoes the search, skips what is already redacted and finishes. A conversation cut by
Intercom's 500-part cap stops the erasure before the deletion (``IncompleteConversationError``).
After a complete erasure a further call answers ``already_absent=True``.

``detail`` says what the library did and what Intercom documents about deletion, nothing more.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dsr_resolvers.contract import ResolverErasure
from dsr_resolvers.intercom import _archive, _paging
from dsr_resolvers.intercom import _routes as routes
from dsr_resolvers.intercom._fields import RESOLVER_NAME
from dsr_resolvers.intercom._http import IntercomCall
from dsr_resolvers.intercom._messages import (
    AuthoredMessage,
    IncompleteConversationError,
    authored_messages,
    is_incomplete,
)
from dsr_resolvers.intercom._results import (
    ErasurePlan,
    ErasurePolicy,
    ErasureVerification,
    MessageScan,
)

INTERCOM_ON_DELETION = (
    "Intercom documents that deleting a user or lead also removes their conversations, that "
    "CSAT ratings and comments stay, and that deleted data stays recoverable for 7 days"
)
_ABSENT = "Intercom answered not found for this id, also when asked to unarchive it"


def _conversations(call: IntercomCall, contact_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each of the contact's conversations in full (with parts), as ``GET`` returns it."""
    query = {"field": "contact_ids", "operator": "=", "value": contact_id}
    for listed in _paging.search(call, routes.CONVERSATION_SEARCH.path, query, "conversations"):
        conversation_id = _paging.item_id(call, routes.CONVERSATION_SEARCH, listed)
        full = call.request(*routes.CONVERSATION, path_params={"id": conversation_id})
        if full is not None:  # deleted since the search: nothing left to redact there
            yield conversation_id, full


def scan_messages(call: IntercomCall, contact_id: str) -> MessageScan:
    """Count the contact's conversations and the messages it wrote, redacted or not."""
    conversations = authored = redacted = incomplete = 0
    for _, conversation in _conversations(call, contact_id):
        conversations += 1
        incomplete += is_incomplete(call, conversation)
        for message in authored_messages(call, conversation, contact_id):
            authored += 1
            redacted += message.redacted
    return MessageScan(
        conversations=conversations, authored=authored, redacted=redacted, incomplete=incomplete
    )


def _delete(call: IntercomCall, contact_id: str) -> bool:
    """Delete the contact; ``False`` when Intercom says it is not there (or only archived)."""
    deleted = call.request(*routes.DELETE_CONTACT, path_params={"id": contact_id})
    if deleted is None:
        return False
    if deleted.get("deleted") is not True:
        raise call.malformed(*routes.DELETE_CONTACT, "no deletion confirmation")
    return True


def _absent(detail: str) -> ResolverErasure:
    return ResolverErasure(resolver=RESOLVER_NAME, already_absent=True, detail=detail)


def _deleted(done: str, *, archived: bool) -> ResolverErasure:
    found = "found the Intercom contact archived and unarchived it; " if archived else ""
    return ResolverErasure(resolver=RESOLVER_NAME, detail=f"{found}{done}; {INTERCOM_ON_DELETION}")


def delete_contact(call: IntercomCall, contact_id: str) -> ResolverErasure:
    """The ``delete_contact`` policy."""
    if _delete(call, contact_id):
        return _deleted("deleted the Intercom contact", archived=False)
    if _archive.unarchive(call, contact_id) and _delete(call, contact_id):
        return _deleted("deleted the Intercom contact", archived=True)
    return _absent(f"{_ABSENT}; nothing to delete")


def _redact(call: IntercomCall, conversation_id: str, message: AuthoredMessage) -> None:
    body: dict[str, str] = {"type": message.kind, "conversation_id": conversation_id}
    body["source_id" if message.kind == "source" else "conversation_part_id"] = message.id
    # A 404 means the message is gone since it was read: there is nothing left to redact.
    call.request(*routes.REDACT, json_body=body)


@dataclass
class _Redactions:
    conversations: int = 0
    redacted: int = 0
    already: int = 0

    def __str__(self) -> str:
        return (
            f"redacted {self.redacted} message(s) the contact wrote in {self.conversations}"
            f" conversation(s) ({self.already} already redacted)"
        )


def _redact_all(call: IntercomCall, contact_id: str) -> _Redactions:
    """Redact every authored message Intercom lists; raise if a conversation is cut."""
    done = _Redactions()
    cut: list[str] = []
    for conversation_id, conversation in _conversations(call, contact_id):
        done.conversations += 1
        if is_incomplete(call, conversation):
            cut.append(conversation_id)
        for message in list(authored_messages(call, conversation, contact_id)):
            if message.redacted:
                done.already += 1
                continue
            _redact(call, conversation_id, message)
            done.redacted += 1
    if cut:
        raise IncompleteConversationError(call.action, tuple(cut))
    return done


def redact_then_delete(call: IntercomCall, contact_id: str) -> ResolverErasure:
    """The ``redact_messages`` policy: redact every authored message, then delete, last."""
    archived = False
    if not _contact_exists(call, contact_id):
        archived = _archive.unarchive(call, contact_id)
    done = _redact_all(call, contact_id)
    if not _delete(call, contact_id):
        return _absent(f"{_ABSENT}; {done}")
    return _deleted(f"{done}; then deleted the Intercom contact", archived=archived)


def _contact_exists(call: IntercomCall, contact_id: str) -> bool:
    return call.request(*routes.CONTACT, path_params={"id": contact_id}) is not None


def plan_erasure(call: IntercomCall, contact_id: str, policy: ErasurePolicy) -> ErasurePlan:
    """What the erasure would do; read-only (an archived contact reads as absent here)."""
    exists = _contact_exists(call, contact_id)
    messages = scan_messages(call, contact_id) if policy == "redact_messages" else None
    return ErasurePlan(policy=policy, contact_exists=exists, messages=messages)


def verify_erasure(
    call: IntercomCall, contact_id: str, policy: ErasurePolicy
) -> ErasureVerification:
    """Read back what Intercom still shows; an archived contact is found and archived again."""
    exists = _contact_exists(call, contact_id)
    archived = not exists and _archive.unarchive(call, contact_id)
    if archived:
        _archive.archive(call, contact_id)
    messages = scan_messages(call, contact_id) if policy == "redact_messages" else None
    erased = not (exists or archived) and (
        messages is None or (messages.unredacted == 0 and messages.incomplete == 0)
    )
    return ErasureVerification(
        policy=policy,
        contact_exists=exists or archived,
        archived=archived,
        messages=messages,
        erased=erased,
    )
