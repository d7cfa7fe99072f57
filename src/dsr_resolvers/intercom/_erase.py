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

Conversations are read and redacted with up to ``max_in_flight`` requests in flight
(``_inflight.py``), each conversation's redactions in order by one worker; the first failure
stops new requests and is raised once the others settled, so the delete is sent only after
every redaction was confirmed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from dsr_resolvers.contract import ResolverErasure
from dsr_resolvers.intercom import _paging
from dsr_resolvers.intercom import _routes as routes
from dsr_resolvers.intercom._fields import RESOLVER_NAME
from dsr_resolvers.intercom._http import IntercomCall
from dsr_resolvers.intercom._inflight import for_each_in_order
from dsr_resolvers.intercom._messages import AuthoredMessage, authored_messages
from dsr_resolvers.intercom._results import (
    ErasurePlan,
    ErasurePolicy,
    ErasureVerification,
    MessageScan,
)

_GRACE = "Intercom destroys its data after a 7-day grace period"
_Counts = TypeVar("_Counts")


def _each_conversation(
    call: IntercomCall,
    contact_id: str,
    handle: Callable[[str, dict[str, Any]], _Counts],
    collect: Callable[[_Counts], None],
) -> None:
    """``handle`` each of the contact's conversations in full (with parts), as ``GET`` returns
    it, up to ``max_in_flight`` at once; ``collect`` what it returns, in search order."""
    query = {"field": "contact_ids", "operator": "=", "value": contact_id}

    def read(listed: dict[str, Any]) -> _Counts | None:
        conversation_id = _paging.item_id(call, routes.CONVERSATION_SEARCH, listed)
        full = call.request(*routes.CONVERSATION, path_params={"id": conversation_id})
        if full is None:  # deleted since the search: nothing left to redact there
            return None
        return handle(conversation_id, full)

    def collect_read(counts: _Counts | None) -> None:
        if counts is not None:
            collect(counts)

    found = _paging.search(call, routes.CONVERSATION_SEARCH.path, query, "conversations")
    for_each_in_order(call, found, read, collect_read)


def scan_messages(call: IntercomCall, contact_id: str) -> MessageScan:
    """Count the contact's conversations and the messages it wrote, redacted or not."""
    conversations = authored = redacted = 0

    def count(_: str, conversation: dict[str, Any]) -> tuple[int, int]:
        messages = list(authored_messages(call, conversation, contact_id))
        return len(messages), sum(message.redacted for message in messages)

    def add(counts: tuple[int, int]) -> None:
        nonlocal conversations, authored, redacted
        conversations += 1
        authored += counts[0]
        redacted += counts[1]

    _each_conversation(call, contact_id, count, add)
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

    def redact_all(conversation_id: str, conversation: dict[str, Any]) -> tuple[int, int]:
        done = skipped = 0
        for message in list(authored_messages(call, conversation, contact_id)):
            if message.redacted:
                skipped += 1
                continue
            _redact(call, conversation_id, message)
            done += 1
        return done, skipped

    def add(counts: tuple[int, int]) -> None:
        nonlocal conversations, redacted, already
        conversations += 1
        redacted += counts[0]
        already += counts[1]

    _each_conversation(call, contact_id, redact_all, add)
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
