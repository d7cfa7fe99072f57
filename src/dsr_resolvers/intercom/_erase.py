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

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from dsr_resolvers.contract import (
    ErasureLedger,
    ItemIds,
    ItemsReadBack,
    Presence,
    ResolverErasure,
)
from dsr_resolvers.intercom import _archive, _paging
from dsr_resolvers.intercom import _routes as routes
from dsr_resolvers.intercom._fields import RESOLVER_NAME
from dsr_resolvers.intercom._http import IntercomCall, Route
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


CONVERSATION = "conversation"
TICKET = "ticket"
ITEM_KINDS = (CONVERSATION, TICKET)
"""The kinds of ``ResolverErasure.found`` (and of a ledger) this plugin names."""

DELETION_COUNTS = (
    "conversations_scanned",
    "conversations_deleted",
    "conversations_shared",
    "messages_redacted",
    "messages_already_redacted",
    "tickets_scanned",
    "tickets_deleted",
    "tickets_shared",
)
"""The counts ``delete_conversations`` adds to ``contacts_deleted`` and ``contacts_unarchived``."""


@dataclass(frozen=True, slots=True)
class _Kind:
    """Conversations or tickets: how to find, read and delete them."""

    name: str
    search: Route
    key: str
    read: Route
    delete: Route


_CONVERSATIONS = _Kind(
    CONVERSATION,
    routes.CONVERSATION_SEARCH,
    "conversations",
    routes.CONVERSATION,
    routes.DELETE_CONVERSATION,
)
_TICKETS = _Kind(TICKET, routes.TICKET_SEARCH, "tickets", routes.TICKET, routes.DELETE_TICKET)
_KINDS = (_CONVERSATIONS, _TICKETS)


def _listed(call: IntercomCall, kind: _Kind, contact_id: str) -> Iterator[dict[str, Any]]:
    """The contact's conversations or tickets, as the search lists them (every page)."""
    query = {"field": "contact_ids", "operator": "=", "value": contact_id}
    return _paging.search(call, kind.search.path, query, kind.key)


def _contacts_of(call: IntercomCall, where: Route, item: Mapping[str, Any]) -> frozenset[str]:
    """The ids of the contacts a conversation or ticket lists."""
    holder = item.get("contacts")
    refs = holder.get("contacts") if isinstance(holder, Mapping) else None
    if not isinstance(refs, list) or not all(isinstance(ref, Mapping) for ref in refs):
        raise call.malformed(*where, "a malformed contact list")
    return frozenset(_paging.item_id(call, where, ref) for ref in refs)


def _ids(call: IntercomCall, kind: _Kind, contact_id: str) -> tuple[str, ...]:
    """The ids of the contact's conversations or tickets (one search, every page)."""
    listed = _listed(call, kind, contact_id)
    return tuple(dict.fromkeys(_paging.item_id(call, kind.search, item) for item in listed))


def _found_ids(call: IntercomCall, contact_id: str) -> dict[str, tuple[str, ...]]:
    """The ids of the contact's conversations and tickets."""
    return {kind.name: _ids(call, kind, contact_id) for kind in _KINDS}


_Counts = TypeVar("_Counts")


def _each_conversation(
    call: IntercomCall,
    contact_id: str,
    handle: Callable[[str, dict[str, Any]], _Counts],
    collect: Callable[[_Counts], None],
) -> None:
    """``handle`` each of the contact's conversations in full (with parts), as ``GET`` returns
    it, up to ``max_in_flight`` at once; ``collect`` what it returns, in search order."""

    def read(listed: dict[str, Any]) -> _Counts | None:
        conversation_id = _paging.item_id(call, routes.CONVERSATION_SEARCH, listed)
        full = call.request(*routes.CONVERSATION, path_params={"id": conversation_id})
        if full is None:  # deleted since the search: nothing left to redact there
            return None
        return handle(conversation_id, full)

    def collect_read(counts: _Counts | None) -> None:
        if counts is not None:
            collect(counts)

    for_each_in_order(call, _listed(call, _CONVERSATIONS, contact_id), read, collect_read)


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


def _deleted(call: IntercomCall, route: Route, item_id: str) -> bool:
    """Delete a contact, conversation or ticket; ``True`` only on Intercom's ``deleted: true``,
    ``False`` on its not-found (a contact: also when only archived)."""
    answer = call.request(*route, path_params={"id": item_id})
    if answer is None:
        return False
    if answer.get("deleted") is not True:
        raise call.malformed(*route, "no deletion confirmation")
    return True


def _delete(call: IntercomCall, contact_id: str) -> bool:
    return _deleted(call, routes.DELETE_CONTACT, contact_id)


def _outcome(
    counts: dict[str, int], done: str, *, deleted: bool, archived: bool, found: ItemIds
) -> ResolverErasure:
    counts |= {"contacts_deleted": int(deleted), "contacts_unarchived": int(archived)}
    if not deleted:
        detail = f"{_ABSENT}; {done}"
    else:
        unarchived = "found the Intercom contact archived and unarchived it; "
        detail = f"{unarchived if archived else ''}{done}; {INTERCOM_ON_DELETION}"
    # Not deleted means Intercom answered not found for the id (after trying to unarchive
    # it): it knows no contact with this id, deleted, merged into another, or never created.
    return ResolverErasure(
        resolver=RESOLVER_NAME,
        already_absent=not deleted,
        no_record=not deleted,
        counts=counts,
        found=found,
        detail=detail,
    )


def delete_contact(call: IntercomCall, contact_id: str) -> ResolverErasure:
    """The ``delete_contact`` policy; the contact's conversations and tickets are searched
    first, so a read-back can ask whether Intercom removed them with it."""
    found = _found_ids(call, contact_id)
    if _delete(call, contact_id):
        done = "deleted the Intercom contact"
        return _outcome({}, done, deleted=True, archived=False, found=found)
    if _archive.unarchive(call, contact_id):
        found = _found_ids(call, contact_id)
        if _delete(call, contact_id):
            done = "deleted the Intercom contact"
            return _outcome({}, done, deleted=True, archived=True, found=found)
    return _outcome({}, "nothing to delete", deleted=False, archived=False, found=found)


def _redacted(counts: Mapping[str, int]) -> str:
    return (
        f"redacted {counts['messages_redacted']} message(s) the contact wrote in "
        f"{counts['conversations_scanned']} conversation(s) "
        f"({counts['messages_already_redacted']} already redacted)"
    )


def _redact_in(
    call: IntercomCall, conversation_id: str, conversation: Mapping[str, Any], contact_id: str
) -> tuple[int, int, bool]:
    """Redact what the contact wrote in one conversation: (redacted, already redacted, cut)."""
    redacted = already = 0
    for message in list(authored_messages(call, conversation, contact_id)):
        if message.redacted or not redact_message(call, conversation_id, message):
            already += 1
        else:
            redacted += 1
    return redacted, already, is_incomplete(call, conversation)


def _redact_all(call: IntercomCall, contact_id: str) -> tuple[dict[str, int], tuple[str, ...]]:
    """Redact every authored message Intercom lists; raise if a conversation is cut.
    Returns the counts and the ids of the conversations read."""
    done = dict.fromkeys(REDACTION_COUNTS, 0)
    read: list[str] = []
    cut: list[str] = []

    def redact(conversation_id: str, conversation: dict[str, Any]) -> tuple[str, int, int, bool]:
        return conversation_id, *_redact_in(call, conversation_id, conversation, contact_id)

    def add(counts: tuple[str, int, int, bool]) -> None:
        conversation_id, redacted, already, incomplete = counts
        read.append(conversation_id)
        done["conversations_scanned"] += 1
        done["messages_redacted"] += redacted
        done["messages_already_redacted"] += already
        if incomplete:
            cut.append(conversation_id)

    _each_conversation(call, contact_id, redact, add)
    if cut:
        raise IncompleteConversationError(call.action, tuple(cut))
    return done, tuple(dict.fromkeys(read))


def _reach(call: IntercomCall, contact_id: str) -> bool:
    """Whether the contact had to be unarchived to be reached (it reads as not found)."""
    return not _contact_exists(call, contact_id) and _archive.unarchive(call, contact_id)


def redact_then_delete(call: IntercomCall, contact_id: str) -> ResolverErasure:
    """The ``redact_messages`` policy: redact every authored message, then delete, last."""
    archived = _reach(call, contact_id)
    counts, conversations = _redact_all(call, contact_id)
    tickets = _ids(call, _TICKETS, contact_id)
    found = {CONVERSATION: conversations, TICKET: tickets}
    if not _delete(call, contact_id):
        return _outcome(counts, _redacted(counts), deleted=False, archived=archived, found=found)
    done = f"{_redacted(counts)}; then deleted the Intercom contact"
    return _outcome(counts, done, deleted=True, archived=archived, found=found)


@dataclass(frozen=True, slots=True)
class _Step:
    """What erasing one conversation or ticket under ``delete_conversations`` did."""

    kind: str
    item_id: str
    deleted: bool = False
    shared: bool = False
    redacted: int = 0
    already: int = 0
    cut: bool = False


def _delete_item(
    call: IntercomCall, kind: _Kind, item_id: str, ledger: ErasureLedger | None, intended: ItemIds
) -> bool:
    """Delete one item, announced to the ledger first; ``True`` when this erasure deleted it
    (a not-found for an item an earlier attempt announced is its own lost answer)."""
    announced = item_id in intended.get(kind.name, ())
    if ledger is not None and not announced:
        ledger.intend(kind.name, item_id)
    return _deleted(call, kind.delete, item_id) or announced


def _erase_item(
    call: IntercomCall,
    kind: _Kind,
    contact_id: str,
    item: tuple[str, dict[str, Any] | None],
    ledger: ErasureLedger | None,
    intended: ItemIds,
) -> _Step:
    """Delete an item only the contact is in; in a conversation shared with others, redact
    what the contact wrote; leave a shared ticket. ``listed`` is ``None`` for an item an
    earlier attempt announced that the search no longer lists: it is read first."""
    item_id, listed = item
    where = kind.search
    if listed is None:
        listed = call.request(*kind.read, path_params={"id": item_id})
        where = kind.read
        if listed is None:  # its deletion was sent before, its answer lost: it is gone
            return _Step(kind.name, item_id, deleted=True)
    if not _contacts_of(call, where, listed) - {contact_id}:
        return _Step(
            kind.name, item_id, deleted=_delete_item(call, kind, item_id, ledger, intended)
        )
    if kind is _TICKETS:
        return _Step(kind.name, item_id, shared=True)
    full = listed if where is kind.read else call.request(*kind.read, path_params={"id": item_id})
    if full is None:  # deleted since the search: nothing of the contact left there
        return _Step(kind.name, item_id, shared=True)
    redacted, already, cut = _redact_in(call, item_id, full, contact_id)
    return _Step(kind.name, item_id, shared=True, redacted=redacted, already=already, cut=cut)


def _items(
    call: IntercomCall, kind: _Kind, contact_id: str, intended: ItemIds
) -> list[tuple[str, dict[str, Any] | None]]:
    """Every item the search lists (all pages read before the first deletion, so deleting
    cannot shift a page), then those an earlier attempt announced that it no longer lists."""
    listed = {_paging.item_id(call, kind.search, i): i for i in _listed(call, kind, contact_id)}
    announced = [i for i in intended.get(kind.name, ()) if i not in listed]
    return [*listed.items(), *((item_id, None) for item_id in announced)]


def delete_conversations(
    call: IntercomCall, contact_id: str, ledger: ErasureLedger | None = None
) -> ResolverErasure:
    """The ``delete_conversations`` policy: delete every conversation and ticket only the
    contact is in, redact the contact's messages in conversations shared with others, then
    delete the contact, last. Each deletion is announced to ``ledger`` before it is sent."""
    archived = _reach(call, contact_id)
    intended = ledger.intended() if ledger is not None else {}
    counts = dict.fromkeys(DELETION_COUNTS, 0)
    found: dict[str, list[str]] = {kind.name: [] for kind in _KINDS}
    cut: list[str] = []

    def add(step: _Step) -> None:
        found[step.kind].append(step.item_id)
        counts[f"{step.kind}s_scanned"] += 1
        counts[f"{step.kind}s_deleted"] += step.deleted
        counts[f"{step.kind}s_shared"] += step.shared
        counts["messages_redacted"] += step.redacted
        counts["messages_already_redacted"] += step.already
        if step.cut:
            cut.append(step.item_id)

    for kind in _KINDS:
        erase_one = partial(_erase_item, call, kind, contact_id, ledger=ledger, intended=intended)
        for_each_in_order(call, _items(call, kind, contact_id, intended), erase_one, add)
    if cut:
        raise IncompleteConversationError(call.action, tuple(cut))
    ids = {kind: tuple(dict.fromkeys(found[kind])) for kind in found}
    done = (
        f"deleted {counts['conversations_deleted']} conversation(s) and "
        f"{counts['tickets_deleted']} ticket(s) only the contact was in; redacted "
        f"{counts['messages_redacted']} message(s) it wrote in {counts['conversations_shared']}"
        f" conversation(s) shared with others ({counts['messages_already_redacted']} already "
        f"redacted); left {counts['tickets_shared']} ticket(s) shared with others"
    )
    deleted = _delete(call, contact_id)
    if deleted:
        done += "; then deleted the Intercom contact"
    return _outcome(counts, done, deleted=deleted, archived=archived, found=ids)


def _contact_exists(call: IntercomCall, contact_id: str) -> bool:
    return call.request(*routes.CONTACT, path_params={"id": contact_id}) is not None


def _plan_deletions(call: IntercomCall, contact_id: str) -> dict[str, int]:
    """What ``delete_conversations`` would find; read-only (shared conversations are read)."""
    counts = dict.fromkeys(PLAN_DELETION_COUNTS, 0)
    for kind in _KINDS:
        for listed in _listed(call, kind, contact_id):
            counts[f"{kind.name}s_scanned"] += 1
            if not _contacts_of(call, kind.search, listed) - {contact_id}:
                counts[f"{kind.name}s_to_delete"] += 1
                continue
            counts[f"{kind.name}s_shared"] += 1
            if kind is _TICKETS:
                continue
            item_id = _paging.item_id(call, kind.search, listed)
            full = call.request(*kind.read, path_params={"id": item_id})
            if full is None:
                continue
            messages = list(authored_messages(call, full, contact_id))
            already = sum(message.redacted for message in messages)
            counts["messages_already_redacted"] += already
            counts["messages_to_redact"] += len(messages) - already
            counts["conversations_past_part_cap"] += is_incomplete(call, full)
    return counts


PLAN_DELETION_COUNTS = (
    "conversations_scanned",
    "conversations_to_delete",
    "conversations_shared",
    "messages_to_redact",
    "messages_already_redacted",
    "conversations_past_part_cap",
    "tickets_scanned",
    "tickets_to_delete",
    "tickets_shared",
)
"""The counts a ``delete_conversations`` plan states."""


def plan_erasure(call: IntercomCall, contact_id: str, policy: ErasurePolicy) -> ErasurePlan:
    """What the erasure would do; read-only. A contact that reads as not found is planned
    ``not_visible``: an archived one reads so too, and only a write (unarchive) tells."""
    exists = _contact_exists(call, contact_id)
    messages = scan_messages(call, contact_id) if policy == "redact_messages" else None
    if policy == "delete_conversations":
        counts = _plan_deletions(call, contact_id)
    else:
        counts = {} if messages is None else messages.plan_counts()
    return ErasurePlan(
        presence=Presence.HELD if exists else Presence.NOT_VISIBLE,
        counts=counts,
        policy=policy,
        contact_exists=exists,
        messages=messages,
    )


def _left_of_contact(
    call: IntercomCall,
    kind: _Kind,
    item: Mapping[str, Any],
    contact_id: str,
    policy: ErasurePolicy,
) -> bool:
    """Whether a conversation or ticket still shown holds what the erasure was to remove:

    * one the contact alone is in, unless the policy is ``redact_messages`` (which leaves
      conversations and tickets in place by design); under ``delete_contact`` Intercom says
      they go with the contact, under ``delete_conversations`` the erasure deleted them;
    * a conversation showing a message the contact wrote unredacted, or cut at 500 parts,
      under any policy (``delete_contact`` redacts nothing: such messages are the person's
      data left behind).

    A ticket shared with others is left by every policy (no API redacts a ticket part)."""
    alone = not _contacts_of(call, kind.read, item) - {contact_id}
    if alone and policy != "redact_messages":
        return True
    if kind is _TICKETS:
        return False
    if is_incomplete(call, item):
        return True
    return any(not m.redacted for m in authored_messages(call, item, contact_id))


def read_back(
    call: IntercomCall, contact_id: str, found: ItemIds, policy: ErasurePolicy
) -> dict[str, ItemsReadBack]:
    """Read each found conversation and ticket again: gone only on Intercom's not-found;
    ``remaining`` when it still holds what the policy removes (see ``_left_of_contact``)."""
    out: dict[str, ItemsReadBack] = {}
    for kind in _KINDS:
        ids = found.get(kind.name)
        if ids is None:
            continue
        gone = kept = 0
        remaining: list[str] = []
        for item_id in dict.fromkeys(ids):
            item = call.request(*kind.read, path_params={"id": item_id})
            if item is None:
                gone += 1
            elif _left_of_contact(call, kind, item, contact_id, policy):
                remaining.append(item_id)
            else:
                kept += 1
        out[kind.name] = ItemsReadBack(gone=gone, kept=kept, remaining=tuple(remaining))
    return out


def verify_erasure(
    call: IntercomCall, contact_id: str, policy: ErasurePolicy, found: ItemIds | None = None
) -> ErasureVerification:
    """Read back what Intercom still shows; an archived contact is found and archived again.
    With ``found`` each of those conversations and tickets is read back too."""
    exists = _contact_exists(call, contact_id)
    archived = not exists and _archive.unarchive(call, contact_id)
    if archived:
        _archive.archive(call, contact_id)
    messages = scan_messages(call, contact_id) if policy == "redact_messages" else None
    items = read_back(call, contact_id, found or {}, policy)
    erased = (
        not (exists or archived)
        and (messages is None or (messages.unredacted == 0 and messages.incomplete == 0))
        and not any(kind.remaining for kind in items.values())
    )
    return ErasureVerification(
        presence=Presence.HELD if exists or archived else Presence.ABSENT,
        counts={} if messages is None else messages.verification_counts(),
        policy=policy,
        contact_exists=exists or archived,
        archived=archived,
        messages=messages,
        erased=erased,
        items=items,
    )
