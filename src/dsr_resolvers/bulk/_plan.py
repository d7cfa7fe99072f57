"""The dry run of a bulk erasure: what it would reach, found without changing anything.

Before erasing 50,000 subjects a DPO wants to see what the run would do: which contacts each
line resolves to, whether each is held, and what the erasure would find (under Intercom's
``redact_messages``: conversations and messages to redact). :func:`plan_bulk_erase` reads
exactly that, with lookups and the contract's read-only erasure plans
(``PlanningResolver.plan_erasure``), and sends no ``DELETE`` and no redaction.

| what happens                          | the plan says                                        |
|---------------------------------------|------------------------------------------------------|
| an id or address with contacts        | each contact with its ``presence``: ``held``,        |
|                                       | ``not_visible`` (no read shows it, the erasure will  |
|                                       | remove it if the system holds it unseen, e.g. an     |
|                                       | archived Intercom contact) or ``absent``, and the    |
|                                       | plan's ``counts``                                    |
| an address with no contact            | no contact: nothing held                             |
| a contact only the row's phone led to | listed with ``phone_only=True``; the run leaves it   |
|                                       | out unless ``include_phone_only``                    |
| a transient failure (5xx, 429, ...)   | retried under the :class:`RetryPolicy`, then the     |
|                                       | subject's ``error`` (type and status)                |
| refused credentials                   | the plan stops: ``CredentialsError`` is raised |
| a resolver that is no                 | contacts found, ``presence`` and counts unknown      |
| ``PlanningResolver``                  | (``None``)                                           |

Subjects are planned a few at a time and yielded in input order; duplicates are planned once.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Iterable, Mapping

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt

from dsr_resolvers.bulk._inputs import SearchedKind, Subject, SubjectKind
from dsr_resolvers.bulk._report import FailureInfo
from dsr_resolvers.bulk._runner import RetryPolicy, retrying, subject_contacts
from dsr_resolvers.contract import (
    CredentialsError,
    LookupResolver,
    PlanningResolver,
    Presence,
    Resolver,
    SubjectRef,
)

__all__ = ["ContactPlan", "SubjectPlan", "plan_bulk_erase"]


class ContactPlan(BaseModel):
    """What erasing one contact would do.

    Attributes:
        contact_id: The contact id (left out of ``repr``).
        presence: ``held``, ``not_visible`` (the erasure will remove it if the system holds it
            unseen) or ``absent``; ``None``: the resolver cannot plan.
        counts: What the erasure would find or do, by the resolver's names (Intercom, under
            ``redact_messages``: ``conversations_scanned``, ``messages_to_redact``, ...).
        phone_only: Only the row's phone number led to this contact: a run leaves it out
            unless ``include_phone_only`` (numbers are reassigned).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    contact_id: str = Field(repr=False)
    presence: Presence | None = None
    counts: Mapping[str, NonNegativeInt] = Field(default_factory=dict)
    phone_only: bool = False

    @property
    def to_erase(self) -> bool:
        """Whether the erasure would (``held``) or may (``not_visible``, or not planned)
        remove something: only ``absent`` is "nothing to erase"."""
        return self.presence is not Presence.ABSENT


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
    searched: tuple[SearchedKind, ...] = ()
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
        resolver: The resolver the run would use (its configuration decides the plan).
        subjects: The input, as for :func:`run_bulk`.
        concurrency: Subjects planned at once.
        retry: Retries of transient failures.

    Yields:
        One plan per distinct subject, in input order.

    Raises:
        CredentialsError: The system refused the credentials: nothing more is asked.
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
        if subject.search and not isinstance(resolver, LookupResolver):
            raise ValueError("the resolver cannot look contacts up")
        ids, phone_only = await retrying(lambda: subject_contacts(resolver, subject), policy)
        contacts = [await _contact(resolver, cid, policy) for cid in ids]
        contacts += [await _contact(resolver, cid, policy, phone_only=True) for cid in phone_only]
    except CredentialsError:
        raise
    except Exception as error:  # refused for this subject, or transient and out of retries
        return SubjectPlan(**named, error=FailureInfo.of(error))
    return SubjectPlan(**named, contacts=tuple(contacts))


async def _contact(
    resolver: Resolver, contact_id: str, policy: RetryPolicy, *, phone_only: bool = False
) -> ContactPlan:
    if not isinstance(resolver, PlanningResolver):
        return ContactPlan(contact_id=contact_id, phone_only=phone_only)
    ref = SubjectRef(kind=resolver.name, value=contact_id)
    plan = await retrying(lambda: resolver.plan_erasure(ref), policy)
    return ContactPlan(
        contact_id=contact_id, presence=plan.presence, counts=plan.counts, phone_only=phone_only
    )
