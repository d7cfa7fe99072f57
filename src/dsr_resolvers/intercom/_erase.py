"""The Art. 17 erasure policies, the dry-run plan and the read-back verification.

| policy          | steps                                                          |
|-----------------|----------------------------------------------------------------|
| delete_contact  | ``DELETE /contacts/{id}``                                       |
| redact_messages | ``POST /conversations/search`` (the contact's conversations);   |
|                 | per conversation ``GET /conversations/{id}``, then              |
|                 | ``POST /conversations/redact`` for each message the contact     |
|                 | wrote that is not yet redacted; last ``DELETE /contacts/{id}``  |

The irreversible step, deleting the contact, comes **last**: once the contact is gone its
conversations may no longer be found by ``contact_ids``. So a run that dies anywhere (a reset
between two redactions, a 5xx, a kill) leaves the contact in place, and calling erase again
redoes the search, skips what is already redacted and finishes. After a complete erasure a
further call answers ``already_absent=True``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dsr_resolvers.contract import ResolverErasure
from dsr_resolvers.intercom import _paging
from dsr_resolvers.intercom import _routes as routes
from dsr_resolvers.intercom._fields import RESOLVER_NAME
from dsr_resolvers.intercom._http import IntercomCall
from dsr_resolvers.intercom._messages import AuthoredMessage, authored_messages
from dsr_resolvers.intercom._results import (
    ErasurePlan,
    ErasurePolicy,
    ErasureVerification,
    MessageScan,
)

_GRACE = "Intercom destroys its data after a 7-day grace period"


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
    conversations = authored = redacted = 0
    for _, conversation in _conversations(call, contact_id):
        conversations += 1
        for message in authored_messages(call, conversation, contact_id):
            authored += 1
            redacted += message.redacted
    return MessageScan(conversations=conversations, authored=authored, redacted=redacted)


def _delete(call: IntercomCall, contact_id: str) -> bool:
    """Delete the contact; ``False`` when it was already gone."""
    deleted = call.request(*routes.DELETE_CONTACT, path_params={"id": contact_id})
    if deleted is None:
        return False
    if deleted.get("deleted") is not True:
        raise call.malformed(*routes.DELETE_CONTACT, "no deletion confirmation")
    return True


def delete_contact(call: IntercomCall, contact_id: str) -> ResolverErasure:
    """The ``delete_contact`` policy."""
    if not _delete(call, contact_id):
        return ResolverErasure(
            resolver=RESOLVER_NAME,
            already_absent=True,
            detail="Intercom holds no contact with this id; nothing to delete",
        )
    return ResolverErasure(
        resolver=RESOLVER_NAME,
        detail=f"deleted the Intercom contact; {_GRACE}; its conversations were not touched",
    )


def _redact(call: IntercomCall, conversation_id: str, message: AuthoredMessage) -> None:
    body: dict[str, str] = {"type": message.kind, "conversation_id": conversation_id}
    body["source_id" if message.kind == "source" else "conversation_part_id"] = message.id
    # A 404 means the message is gone since it was read: there is nothing left to redact.
    call.request(*routes.REDACT, json_body=body)


def redact_then_delete(call: IntercomCall, contact_id: str) -> ResolverErasure:
    """The ``redact_messages`` policy: redact every authored message, then delete, last."""
    conversations = redacted = already = 0
    for conversation_id, conversation in _conversations(call, contact_id):
        conversations += 1
        for message in list(authored_messages(call, conversation, contact_id)):
            if message.redacted:
                already += 1
                continue
            _redact(call, conversation_id, message)
            redacted += 1
    counts = (
        f"redacted {redacted} message(s) the contact wrote in {conversations} conversation(s)"
        f" ({already} already redacted)"
    )
    if not _delete(call, contact_id):
        return ResolverErasure(
            resolver=RESOLVER_NAME,
            already_absent=True,
            detail=f"Intercom holds no contact with this id; {counts}",
        )
    return ResolverErasure(
        resolver=RESOLVER_NAME,
        detail=f"{counts}; then deleted the Intercom contact; {_GRACE}",
    )


def _contact_exists(call: IntercomCall, contact_id: str) -> bool:
    return call.request(*routes.CONTACT, path_params={"id": contact_id}) is not None


def plan_erasure(call: IntercomCall, contact_id: str, policy: ErasurePolicy) -> ErasurePlan:
    """What the erasure would do; read-only."""
    exists = _contact_exists(call, contact_id)
    messages = scan_messages(call, contact_id) if policy == "redact_messages" else None
    return ErasurePlan(policy=policy, contact_exists=exists, messages=messages)


def verify_erasure(
    call: IntercomCall, contact_id: str, policy: ErasurePolicy
) -> ErasureVerification:
    """Read back what Intercom still shows; read-only."""
    exists = _contact_exists(call, contact_id)
    messages = scan_messages(call, contact_id) if policy == "redact_messages" else None
    erased = not exists and (messages is None or messages.unredacted == 0)
    return ErasureVerification(
        policy=policy, contact_exists=exists, messages=messages, erased=erased
    )
