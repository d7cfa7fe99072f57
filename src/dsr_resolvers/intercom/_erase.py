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

``ResolverErasure.counts`` says what was done, by name (``detail`` says the same for people,
with what Intercom documents about deletion, and nothing more):

| count                       | policy          | meaning                                     |
|-----------------------------|-----------------|---------------------------------------------|
| ``contacts_deleted``        | both            | 1 when Intercom confirmed the ``DELETE``    |
| ``contacts_unarchived``     | both            | 1 when the contact was found archived       |
| ``conversations_scanned``   | redact_messages | conversations read for the contact's        |
|                             |                 | messages                                    |
| ``messages_redacted``       | redact_messages | messages redacted by this call              |
| ``messages_already_redacted`` | redact_messages | messages found redacted already           |

``delete_contact`` states no message counts: it does not look at conversations.

Conversations are read and redacted with up to ``max_in_flight`` requests in flight
(``_inflight.py``), each conversation's redactions in order by one worker; the first failure
stops new requests and is raised once the others settled, so the delete is sent only after
every redaction was confirmed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from dsr_resolvers.contract import Presence, ResolverErasure
from dsr_resolvers.intercom import _archive, _paging
from dsr_resolvers.intercom import _routes as routes
from dsr_resolvers.intercom._fields import RESOLVER_NAME
from dsr_resolvers.intercom._http import IntercomCall
from dsr_resolvers.intercom._inflight import for_each_in_order
from dsr_resolvers.intercom._messages import (
    IncompleteConversationError,
    authored_messages,
    is_incomplete,
    redact_message,
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
REDACTION_COUNTS = ("conversations_scanned", "messages_redacted", "messages_already_redacted")
"""The counts ``redact_messages`` adds to ``contacts_deleted`` and ``contacts_unarchived``."""


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
    scan = MessageScan(conversations=0, authored=0, redacted=0, incomplete=0)

    def count(_: str, conversation: dict[str, Any]) -> MessageScan:
        messages = list(authored_messages(call, conversation, contact_id))
        return MessageScan(
            conversations=1,
            authored=len(messages),
            redacted=sum(message.redacted for message in messages),
            incomplete=int(is_incomplete(call, conversation)),
        )

    def add(one: MessageScan) -> None:
        nonlocal scan
        scan = MessageScan(
            conversations=scan.conversations + one.conversations,
            authored=scan.authored + one.authored,
            redacted=scan.redacted + one.redacted,
            incomplete=scan.incomplete + one.incomplete,
        )

    _each_conversation(call, contact_id, count, add)
    return scan


def _delete(call: IntercomCall, contact_id: str) -> bool:
    """Delete the contact; ``False`` when Intercom says it is not there (or only archived)."""
    deleted = call.request(*routes.DELETE_CONTACT, path_params={"id": contact_id})
    if deleted is None:
        return False
    if deleted.get("deleted") is not True:
        raise call.malformed(*routes.DELETE_CONTACT, "no deletion confirmation")
    return True


def _outcome(
    counts: dict[str, int], done: str, *, deleted: bool, archived: bool
) -> ResolverErasure:
    counts |= {"contacts_deleted": int(deleted), "contacts_unarchived": int(archived)}
    if not deleted:
        detail = f"{_ABSENT}; {done}"
    else:
        found = "found the Intercom contact archived and unarchived it; " if archived else ""
        detail = f"{found}{done}; {INTERCOM_ON_DELETION}"
    # Not deleted means Intercom answered not found for the id (after trying to unarchive
    # it): it knows no contact with this id, deleted, merged into another, or never created.
    return ResolverErasure(
        resolver=RESOLVER_NAME,
        already_absent=not deleted,
        no_record=not deleted,
        counts=counts,
        detail=detail,
    )


def delete_contact(call: IntercomCall, contact_id: str) -> ResolverErasure:
    """The ``delete_contact`` policy."""
    if _delete(call, contact_id):
        return _outcome({}, "deleted the Intercom contact", deleted=True, archived=False)
    if _archive.unarchive(call, contact_id) and _delete(call, contact_id):
        return _outcome({}, "deleted the Intercom contact", deleted=True, archived=True)
    return _outcome({}, "nothing to delete", deleted=False, archived=False)


def _redacted(counts: dict[str, int]) -> str:
    return (
        f"redacted {counts['messages_redacted']} message(s) the contact wrote in "
        f"{counts['conversations_scanned']} conversation(s) "
        f"({counts['messages_already_redacted']} already redacted)"
    )


def _redact_all(call: IntercomCall, contact_id: str) -> dict[str, int]:
    """Redact every authored message Intercom lists; raise if a conversation is cut."""
    done = dict.fromkeys(REDACTION_COUNTS, 0)
    cut: list[str] = []

    def redact(conversation_id: str, conversation: dict[str, Any]) -> tuple[int, int, str | None]:
        redacted = already = 0
        for message in list(authored_messages(call, conversation, contact_id)):
            if message.redacted:
                already += 1
                continue
            if redact_message(call, conversation_id, message):
                redacted += 1
            else:
                already += 1
        return redacted, already, conversation_id if is_incomplete(call, conversation) else None

    def add(counts: tuple[int, int, str | None]) -> None:
        done["conversations_scanned"] += 1
        done["messages_redacted"] += counts[0]
        done["messages_already_redacted"] += counts[1]
        if counts[2] is not None:
            cut.append(counts[2])

    _each_conversation(call, contact_id, redact, add)
    if cut:
        raise IncompleteConversationError(call.action, tuple(cut))
    return done


def redact_then_delete(call: IntercomCall, contact_id: str) -> ResolverErasure:
    """The ``redact_messages`` policy: redact every authored message, then delete, last."""
    archived = False
    if not _contact_exists(call, contact_id):
        archived = _archive.unarchive(call, contact_id)
    counts = _redact_all(call, contact_id)
    if not _delete(call, contact_id):
        return _outcome(counts, _redacted(counts), deleted=False, archived=archived)
    done = f"{_redacted(counts)}; then deleted the Intercom contact"
    return _outcome(counts, done, deleted=True, archived=archived)


def _contact_exists(call: IntercomCall, contact_id: str) -> bool:
    return call.request(*routes.CONTACT, path_params={"id": contact_id}) is not None


def plan_erasure(call: IntercomCall, contact_id: str, policy: ErasurePolicy) -> ErasurePlan:
    """What the erasure would do; read-only. A contact that reads as not found is planned
    ``not_visible``: an archived one reads so too, and only a write (unarchive) tells."""
    exists = _contact_exists(call, contact_id)
    messages = scan_messages(call, contact_id) if policy == "redact_messages" else None
    return ErasurePlan(
        presence=Presence.HELD if exists else Presence.NOT_VISIBLE,
        counts={} if messages is None else messages.plan_counts(),
        policy=policy,
        contact_exists=exists,
        messages=messages,
    )


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
        presence=Presence.HELD if exists or archived else Presence.ABSENT,
        counts={} if messages is None else messages.verification_counts(),
        policy=policy,
        contact_exists=exists or archived,
        archived=archived,
        messages=messages,
        erased=erased,
    )
