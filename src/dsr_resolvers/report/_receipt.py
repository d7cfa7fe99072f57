"""The erasure receipt: evidence of one Art. 17 erasure, for the controller's files (Art. 5(2)).

A receipt says what was asked, what Intercom answered and what a read-back found, and nothing
that would itself need erasing: no email, no name, no message. It is JSON (schema:
``docs/erasure-receipt.schema.json``, generated from :class:`ErasureReceipt`) and renders to
HTML in the access report's style.

| field                 | holds                                                         |
|-----------------------|---------------------------------------------------------------|
| ``subject_reference`` | the caller's own reference (a ticket number), never an email  |
| ``looked_for``        | how the person was looked for: identifier kinds, never values |
| ``requested_at`` / ``completed_at`` | when the erasure was asked for and finished      |
| ``policy``            | ``delete_contact``, ``redact_messages`` or                    |
|                       | ``delete_conversations``                                      |
| ``contacts``          | per contact id: outcome, the erasure's ``counts`` (and the    |
|                       | redaction counts by name), the ids of the conversations and   |
|                       | tickets it found (``found``), the resolver's ``detail``, and  |
|                       | the read-back (:class:`ReadBack`), per kind of item           |
| ``library_version``   | the dsr-resolvers version that did it                         |
| ``surface_sha256``    | :func:`surface_digest` of the covered surface it ran under    |
| ``status``            | computed: ``complete``, ``complete_search_limited`` (complete |
|                       | as far as search can see), ``unverified``, ``incomplete`` or  |
|                       | ``no_contact`` (only ids the system knows no contact for)     |

Counts are what the resolver stated in ``ResolverErasure.counts`` (``messages_redacted``,
``messages_already_redacted``, ``conversations_scanned``); a count it did not state (the
``delete_contact`` policy looks at no message) is ``null``, never 0. ``detail`` is copied for
people and never read. The read-back of each kind of item (``items``: conversations, tickets)
says how many Intercom answered not found for (gone), how many it still shows holding nothing
the erasure removes (kept: shared with others, or left by the policy's design), and which it
still shows with what the erasure removes (``remaining``, by id): the receipt then says
``incomplete``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from html import escape
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    computed_field,
    field_validator,
    model_validator,
)

from dsr_resolvers._version import __version__
from dsr_resolvers.contract import (
    CoveredSurface,
    ItemsReadBack,
    Presence,
    ResolverErasure,
    ResolverVerification,
)
from dsr_resolvers.report._catalogue import Words
from dsr_resolvers.report._page import (
    LookedFor,
    format_moment,
    looked_for,
    page,
    table,
    text_html,
)

__all__ = [
    "RECEIPT_FORMAT",
    "ContactErasure",
    "ErasureReceipt",
    "ReadBack",
    "render_erasure_receipt",
    "surface_digest",
]

RECEIPT_FORMAT: Final = "dsr-resolvers/erasure-receipt/v1"
"""The ``format`` field of every receipt."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def surface_digest(surface: CoveredSurface) -> str:
    """The SHA-256 (hex) of the surface's canonical JSON: same surface, same digest."""
    canonical = json.dumps(
        surface.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ReadBack(_Frozen):
    """What Intercom showed when asked again after the erasure.

    Attributes:
        checked_at: When the read-back was made.
        contact_exists: Whether Intercom still returned the contact.
        unredacted_messages: Messages the contact wrote still readable (the verification's
            ``messages_unredacted`` count); ``None`` when not looked for (the
            ``delete_contact`` policy does not touch conversations).
        erased: The resolver's verdict: contact gone and, when looked for, no readable
            message and no item left; ``None`` when the resolver could not tell.
        items: Per kind of item the erasure found (``conversation``, ``ticket``): how many
            are gone, kept (as the policy leaves them) or remaining (by id).
    """

    checked_at: datetime
    contact_exists: bool
    unredacted_messages: Annotated[int, Field(ge=0)] | None = None
    erased: bool | None
    items: dict[str, ItemsReadBack] = Field(default_factory=dict)

    @classmethod
    def of(
        cls, verification: ResolverVerification, *, checked_at: datetime | None = None
    ) -> ReadBack:
        """A read-back from a ``VerifyingResolver.verify_erasure`` result."""
        return cls(
            checked_at=checked_at or datetime.now(UTC),
            contact_exists=verification.presence is Presence.HELD,
            unredacted_messages=verification.counts.get("messages_unredacted"),
            erased=verification.erased,
            items=dict(verification.items),
        )


class ContactErasure(_Frozen):
    """What happened to one contact of the subject.

    Attributes:
        contact_id: The Intercom contact id.
        outcome: ``erased`` (this erasure deleted it), ``no_contact`` (the system knows no
            contact with this id: deleted earlier, merged into another contact, or never
            existed; nothing was erased here), ``already_absent`` (a success: nothing was
            held) or ``failed``.
        redacted_messages: Messages redacted by this erasure, when the resolver stated it.
        already_redacted: Messages found already redacted, when stated.
        conversations: Conversations searched for the contact's messages, when stated.
        counts: Everything the erasure counted, by the resolver's names (Intercom:
            ``conversations_deleted``, ``tickets_deleted``, ...).
        found: The ids of the items the erasure found, by kind (``conversation``,
            ``ticket``), whatever it did to them: the read-back reads each.
        detail: The resolver's own account (never personal data), or why it failed (the
            error's type and HTTP status only).
        read_back: The verification made afterwards; ``None`` when none was made.
    """

    contact_id: Annotated[str, Field(min_length=1, max_length=255, repr=False)]
    outcome: Literal["erased", "no_contact", "already_absent", "failed"]
    redacted_messages: Annotated[int, Field(ge=0)] | None = None
    already_redacted: Annotated[int, Field(ge=0)] | None = None
    conversations: Annotated[int, Field(ge=0)] | None = None
    counts: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    found: dict[str, tuple[str, ...]] = Field(default_factory=dict, repr=False)
    detail: str | None = None
    read_back: ReadBack | None = None

    @classmethod
    def of(
        cls, contact_id: str, erasure: ResolverErasure, read_back: ReadBack | None = None
    ) -> ContactErasure:
        """The entry for a successful ``erase_subject``, its counts from ``erasure.counts``."""
        counts = erasure.counts
        return cls(
            contact_id=contact_id,
            outcome=(
                "no_contact"
                if erasure.no_record
                else "already_absent"
                if erasure.already_absent
                else "erased"
            ),
            redacted_messages=counts.get("messages_redacted"),
            already_redacted=counts.get("messages_already_redacted"),
            conversations=counts.get("conversations_scanned"),
            counts=dict(counts),
            found=dict(erasure.found),
            detail=erasure.detail,
            read_back=read_back,
        )

    @property
    def confirmed(self) -> bool | None:
        """Whether the read-back confirms the outcome; ``None`` without a read-back."""
        if self.outcome == "failed":
            return False
        return None if self.read_back is None else self.read_back.erased


class ErasureReceipt(_Frozen):
    """The receipt of one subject's erasure: no email, no name, no message.

    Attributes:
        format: ``dsr-resolvers/erasure-receipt/v1``.
        subject_reference: The caller's reference for the request (a ticket number, a
            keyed hash); an email address is refused.
        resolver: The resolver's ``name`` (``intercom``).
        requested_at: When the erasure was requested (the command or call started).
        completed_at: When the last contact was handled and read back.
        policy: The erasure policy: ``delete_contact``, ``redact_messages`` or
            ``delete_conversations``.
        contacts: One entry per contact reached; empty when no contact held the subject.
        looked_for: How the person was looked for: ``contact_id`` (named, no search) and the
            identifier kinds searched (``email``, ``phone``, ``external_id``), never their
            values; ``None`` when not recorded. A search cannot see archived contacts or
            contacts created in the last few minutes; the rendered receipt says so.
        library_version: The dsr-resolvers version that did the erasure.
        surface_sha256: :func:`surface_digest` of the covered surface used.
    """

    format: Literal["dsr-resolvers/erasure-receipt/v1"] = RECEIPT_FORMAT
    subject_reference: Annotated[str | None, Field(min_length=1, max_length=255, repr=False)] = None
    resolver: str
    requested_at: datetime
    completed_at: datetime
    policy: str
    contacts: tuple[ContactErasure, ...]
    looked_for: tuple[LookedFor, ...] | None = None
    library_version: str = __version__
    surface_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]

    @field_validator("subject_reference")
    @classmethod
    def _no_email(cls, value: str | None) -> str | None:
        if value is not None and "@" in value:
            raise ValueError("a subject reference must not be an email address")
        return value

    @model_validator(mode="wrap")
    @classmethod
    def _status_follows_from_the_contacts(
        cls, data: Any, handler: ModelWrapValidatorHandler[ErasureReceipt]
    ) -> ErasureReceipt:
        # ``status`` is written for readers of the JSON; read back, it must still be true.
        stated = None
        if isinstance(data, dict) and "status" in data:
            data = dict(data)
            stated = data.pop("status")
        receipt = handler(data)
        if stated is not None and stated != receipt.status:
            raise ValueError(f"status {stated!r} does not follow from the contacts")
        return receipt

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status(
        self,
    ) -> Literal["complete", "complete_search_limited", "unverified", "incomplete", "no_contact"]:
        """``complete``: every contact erased or absent, and every read-back confirms it;
        ``complete_search_limited``: the same, but the person was looked for by a search
        (``looked_for`` names a kind other than ``contact_id``), which cannot see archived
        contacts nor contacts created in the last few minutes, so completeness holds only as
        far as search can see; ``unverified``: the same, but some contact was not read
        back; ``incomplete``: a contact failed or a read-back found data left;
        ``no_contact``: every contact named is one the system knows no contact for
        (deleted, merged or never existed), so this receipt attests no erasure, only that
        absence."""
        confirmations = [contact.confirmed for contact in self.contacts]
        if any(confirmed is False for confirmed in confirmations):
            return "incomplete"
        if self.contacts and all(c.outcome == "no_contact" for c in self.contacts):
            return "no_contact"
        if any(confirmed is None for confirmed in confirmations):
            return "unverified"
        if any(kind != "contact_id" for kind in self.looked_for or ()):
            return "complete_search_limited"
        return "complete"

    def to_json(self) -> str:
        """The receipt as indented JSON (with ``status``)."""
        return self.model_dump_json(indent=2) + "\n"

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON Schema of the receipt as written by :meth:`to_json`."""
        schema = cls.model_json_schema(mode="serialization")
        schema["$id"] = "https://dsr-resolvers.invalid/schemas/erasure-receipt/v1"
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        return schema


def _count(words: Words, value: int | None) -> str:
    return escape(words("not_recorded")) if value is None else str(value)


def _read_back(words: Words, read_back: ReadBack | None) -> str:
    if read_back is None:
        return escape(words("not_verified"))
    if read_back.contact_exists:
        text = words("verified_held")
    elif read_back.unredacted_messages:
        text = words("verified_unredacted", count=read_back.unredacted_messages)
    else:
        text = words("verified_gone")
    for kind, found in sorted(read_back.items.items()):
        name = words(f"kind_{kind}") if words.has(f"kind_{kind}") else kind
        text += "; " + words(
            "verified_items",
            kind=name,
            gone=found.gone,
            kept=found.kept,
        )
        if found.remaining:  # never hidden, and said loudly: the ids to look at in Intercom
            text += words("verified_remaining", remaining=len(found.remaining))
            text += f" ({', '.join(found.remaining)})"
    return escape(f"{text} ({format_moment(read_back.checked_at)})")


def render_erasure_receipt(receipt: ErasureReceipt, *, language: str = "en") -> str:
    """The receipt as one self-contained HTML page, in the access report's style.

    Args:
        receipt: The receipt.
        language: ``"en"`` or ``"de"``.

    Raises:
        ValueError: An unknown language.
    """
    words = Words(language)
    policy = receipt.policy
    if words.has(f"policy_{policy}"):
        policy = words(f"policy_{policy}")
    facts = [
        (words("receipt_subject"), text_html(receipt.subject_reference or words("receipt_none"))),
    ]
    search_note = None
    if receipt.looked_for is not None:
        shown, search_note = looked_for(words, receipt.looked_for)
        facts.append((words("looked_for"), shown))
    facts += [
        (words("requested_at"), escape(format_moment(receipt.requested_at))),
        (words("completed_at"), escape(format_moment(receipt.completed_at))),
        (words("policy"), escape(policy)),
        (words("library"), escape(f"dsr-resolvers {receipt.library_version}")),
        (words("surface_digest"), f'<span class="mono">{escape(receipt.surface_sha256)}</span>'),
    ]
    facts_html = "".join(f"<dt>{escape(k)}</dt><dd>{v}</dd>" for k, v in facts)
    rows = [
        [
            f'<span class="mono">{text_html(c.contact_id)}</span>',
            escape(words(f"outcome_{c.outcome}")),
            _count(words, c.redacted_messages),
            _count(words, c.already_redacted),
            _count(words, c.conversations),
            _read_back(words, c.read_back),
        ]
        for c in receipt.contacts
    ]
    notes = (
        [words("intercom_on_deletion")]
        if any(c.outcome == "erased" for c in receipt.contacts)
        else []
    )
    if any(c.detail for c in receipt.contacts):
        notes.append(words("detail_in_json"))
    headers = [
        words("contact_id"),
        words("outcome"),
        words("redacted"),
        words("already_redacted"),
        words("conversations"),
        words("verification"),
    ]
    verdict_key, verdict_class = {
        "complete": ("receipt_complete", "ok"),
        "complete_search_limited": ("receipt_complete_search_limited", "note"),
        "unverified": ("receipt_unverified", "note"),
        "incomplete": ("receipt_incomplete", "note"),
        "no_contact": ("receipt_no_contact", "note"),
    }[receipt.status]
    body = (
        f"<header><h1>{escape(words('receipt_title'))}</h1>"
        f'<p class="lede">{escape(words("receipt_lede"))}</p>'
        f'<dl class="facts">{facts_html}</dl>{search_note or ""}</header>'
        f'<section id="contacts"><h2>{escape(words("contacts"))}</h2>'
        f"{table(headers, rows, numeric=frozenset({2, 3, 4}))}"
        f'<p class="{verdict_class}">{escape(words(verdict_key))}</p>'
        + "".join(f"<p>{escape(note)}</p>" for note in notes)
        + "</section>"
        f"<footer><p>{text_html(words('receipt_footer', resolver=receipt.resolver.capitalize()))}"
        "</p></footer>"
    )
    return page(language=words.language, title=words("receipt_title"), body=body)
