"""Intercom-specific results: lookups, erasure plans and verifications. None holds PII.

Contact ids appear only where the caller needs them to act (a lookup's answer); counts stand in
for everything else, so these values can go into an audit trail as they are. The plan and the
verification are the contract's (:class:`ResolverErasurePlan`, :class:`ResolverVerification`)
with Intercom's details added, so bulk runs and receipts read them through the contract alone.

| model                | ``counts`` it states (``redact_messages`` only)                   |
|----------------------|-------------------------------------------------------------------|
| ErasurePlan          | ``conversations_scanned``, ``messages_written``,                  |
|                      | ``messages_already_redacted``, ``messages_to_redact``,            |
|                      | ``conversations_past_part_cap``                                   |
| ErasureVerification  | ``conversations_scanned``, ``messages_unredacted``,               |
|                      | ``conversations_past_part_cap``                                   |

A contact that ``GET /contacts/{id}`` answers not found for is planned ``not_visible``, never
``absent``: an archived contact answers so too, no read tells the two apart, and the erasure
unarchives and deletes it if Intercom holds it archived.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dsr_resolvers.contract import ResolverErasurePlan, ResolverVerification

ErasurePolicy = Literal["delete_contact", "redact_messages", "delete_conversations"]
IdentifierKind = Literal["email", "phone", "external_id"]
"""The identifiers ``find_contacts`` searches by."""
IDENTIFIER_KINDS: tuple[IdentifierKind, ...] = ("email", "phone", "external_id")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ContactMatch(_Frozen):
    """One Intercom contact found by a lookup.

    Attributes:
        id: The Intercom contact id, to use as ``SubjectRef(kind="intercom", value=id)``.
        role: ``"user"`` or ``"lead"``.
        matched_on: The identifiers of the lookup this contact holds (``"email"``,
            ``"phone"``, ``"external_id"``); empty for a contact named by its id.
    """

    id: str = Field(repr=False)
    role: str
    matched_on: frozenset[IdentifierKind] = frozenset()

    @property
    def phone_only(self) -> bool:
        """Whether only the phone number led here: numbers are reassigned, so it may be
        someone else now."""
        return self.matched_on == {"phone"}


class MessageScan(_Frozen):
    """What the contact wrote in its conversations, counted.

    Attributes:
        conversations: Conversations the contact is part of.
        authored: Messages the contact wrote that carry a body (source and parts).
        redacted: Of those, how many Intercom already shows as redacted.
        incomplete: Conversations of which Intercom lists only the 500 most recent parts:
            older messages there are neither counted nor reachable through the API.
    """

    conversations: int
    authored: int
    redacted: int
    incomplete: int = 0

    @property
    def unredacted(self) -> int:
        """Messages the contact wrote that are still readable."""
        return self.authored - self.redacted

    def plan_counts(self) -> dict[str, int]:
        """The counts an :class:`ErasurePlan` states."""
        return {
            "conversations_scanned": self.conversations,
            "messages_written": self.authored,
            "messages_already_redacted": self.redacted,
            "messages_to_redact": self.unredacted,
            "conversations_past_part_cap": self.incomplete,
        }

    def verification_counts(self) -> dict[str, int]:
        """The counts an :class:`ErasureVerification` states."""
        return {
            "conversations_scanned": self.conversations,
            "messages_unredacted": self.unredacted,
            "conversations_past_part_cap": self.incomplete,
        }


class ErasurePlan(ResolverErasurePlan):
    """What an erasure would do, found without changing anything (a dry run).

    Attributes:
        policy: The erasure policy the plan is for.
        contact_exists: Whether Intercom shows the contact now (``presence`` is ``held``);
            ``False`` is ``not_visible``: absent, or archived and reached by the erasure.
        messages: The contact's messages; ``None`` under ``delete_contact``, which does not
            look at conversations.
    """

    resolver: str = "intercom"
    policy: ErasurePolicy
    contact_exists: bool
    messages: MessageScan | None = None

    @property
    def redactions(self) -> int:
        """How many redaction requests the erasure would send."""
        return self.messages.unredacted if self.messages is not None else 0


class ErasureVerification(ResolverVerification):
    """A read-back after an erasure.

    Attributes:
        policy: The erasure policy that was verified against.
        contact_exists: Whether Intercom still holds the contact (it should not), archived
            or not.
        archived: Whether the contact was found archived (it was archived again after the
            probe).
        messages: Under ``redact_messages``: the contact's messages as Intercom shows them now.
            This is only as complete as conversation search: once the contact is deleted,
            Intercom may stop finding its conversations by ``contact_ids``; the erasure's own
            ``detail`` records the counts it redacted before deleting.
        erased: True when the contact is gone (not even archived) and, under
            ``redact_messages``, no message the contact wrote is found unredacted and no
            conversation of it is cut by Intercom's 500-part cap.
    """

    resolver: str = "intercom"
    policy: ErasurePolicy
    contact_exists: bool
    archived: bool = False
    messages: MessageScan | None = None
    erased: bool
