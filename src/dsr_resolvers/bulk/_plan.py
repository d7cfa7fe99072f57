"""The dry run of a bulk erasure: what it would reach, found without changing anything.

Before erasing 50,000 subjects a DPO wants to see what the run would do: which contacts each
line resolves to, and, under ``redact_messages``, how many conversations and messages would be
redacted. :func:`plan_bulk_erase` reads exactly that, with lookups and read-only erasure plans
(``resolver.plan_erasure``), and sends no ``DELETE`` and no redaction.

| what happens                          | the plan says                                        |
|---------------------------------------|------------------------------------------------------|
| an id or address with contacts        | each contact, whether it exists, and under           |
|                                       | ``redact_messages`` its conversations and the        |
|                                       | messages still to redact                             |
| an address with no contact            | no contact: nothing held                             |
| a contact only the row's phone led to | listed with ``phone_only=True``; the run leaves it   |
|                                       | out unless ``include_phone_only``                    |
| a transient failure (5xx, 429, ...)   | retried under the :class:`RetryPolicy`, then the     |
|                                       | subject's ``error`` (type and status)                |
| 401 or 403                            | the plan stops: :class:`ResolverError` is raised     |
| a resolver without ``plan_erasure``   | contacts found, existence and messages unknown       |

Subjects are planned a few at a time and yielded in input order; duplicates are planned once.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict

from dsr_resolvers.bulk._inputs import Subject, SubjectKind
from dsr_resolvers.bulk._report import FailureInfo
from dsr_resolvers.bulk._runner import (
    CREDENTIAL_STATUSES,
    RetryPolicy,
    retrying,
    subject_contacts,
)
from dsr_resolvers.contract import Resolver, ResolverError, SubjectRef

__all__ = ["ContactPlan", "SubjectPlan", "plan_bulk_erase"]


class ContactPlan(BaseModel):
    """What erasing one contact would do.

    Attributes:
        contact_id: The Intercom contact id.
        exists: Whether Intercom holds the contact now (``None``: not checked).
        conversations: Conversations the contact is in (``redact_messages`` only).
        redactions: Messages the erasure would redact (``redact_messages`` only).
        phone_only: Only the row's phone number led to this contact: a run leaves it out
            unless ``include_phone_only`` (numbers are reassigned).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    contact_id: str
    exists: bool | None = None
    conversations: int | None = None
    redactions: int | None = None
    phone_only: bool = False


class SubjectPlan(BaseModel):
    """What erasing one input subject would do; ids and counts only.

    Attributes:
        line: The 1-based input line that named the subject first.
        kind: Whether the line was a contact id, an email address, ... or several (``person``).
        searched: The identifier kinds the subject was looked for by (never their values).
        contacts: The contacts the erasure would reach.
        error: Why the subject could not be planned, when it could not.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    line: int
    kind: SubjectKind
    searched: tuple[str, ...] = ()
    contacts: tuple[ContactPlan, ...] = ()
    error: FailureInfo | None = None


async def plan_bulk_erase(
    resolver: Resolver,
    subjects: Iterable[Subject],
    *,
    concurrency: int = 8,
    retry: RetryPolicy | None = None,
) -> AsyncIterator[SubjectPlan]:
    """Plan the erasure of every subject without changing anything in Intercom.

    Args:
        resolver: The resolver the run would use (its ``erasure_policy`` decides the plan).
        subjects: The input, as for :func:`run_bulk`.
        concurrency: Subjects planned at once.
        retry: Retries of transient failures.

    Yields:
        One plan per distinct subject, in input order.

    Raises:
        ResolverError: Intercom refused the credentials (401, 403): nothing more is asked.
    """
    policy = retry or RetryPolicy()
    seen: set[str] = set()
    window: deque[asyncio.Task[SubjectPlan]] = deque()
    try:
        for subject in subjects:
            if subject.canonical in seen:
                continue
            seen.add(subject.canonical)
            window.append(asyncio.create_task(_plan(resolver, subject, policy)))
            if len(window) >= concurrency:
                yield await window.popleft()
        while window:
            yield await window.popleft()
    finally:
        for task in window:
            task.cancel()


async def _plan(resolver: Resolver, subject: Subject, policy: RetryPolicy) -> SubjectPlan:
    named = {"line": subject.line, "kind": subject.kind, "searched": subject.searched_kinds}
    try:
        ids, phone_only = await subject_contacts(
            resolver, subject, lambda work: retrying(work, policy)
        )
        contacts = [await _contact(resolver, cid, policy) for cid in ids]
        contacts += [await _contact(resolver, cid, policy, phone_only=True) for cid in phone_only]
    except ResolverError as error:
        info = FailureInfo.of(error)
        if info.status in CREDENTIAL_STATUSES:
            raise
        return SubjectPlan(**named, error=info)
    except Exception as error:  # transient, out of retries
        return SubjectPlan(**named, error=FailureInfo.of(error))
    return SubjectPlan(**named, contacts=tuple(contacts))


async def _contact(
    resolver: Resolver, contact_id: str, policy: RetryPolicy, *, phone_only: bool = False
) -> ContactPlan:
    plan_erasure: Any = getattr(resolver, "plan_erasure", None)
    if plan_erasure is None:
        return ContactPlan(contact_id=contact_id, phone_only=phone_only)
    ref = SubjectRef(kind=resolver.name, value=contact_id)
    plan = await retrying(lambda: plan_erasure(ref), policy)
    messages = getattr(plan, "messages", None)
    return ContactPlan(
        contact_id=contact_id,
        exists=bool(getattr(plan, "contact_exists", False)),
        conversations=None if messages is None else messages.conversations,
        redactions=None if messages is None else plan.redactions,
        phone_only=phone_only,
    )
