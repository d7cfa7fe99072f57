"""Hypothesis strategies for Intercom data: hostile ids, contacts, conversations, whole worlds.

Example-based tests try the contact ids and workspaces their author thought of. A GDPR tool
must also cope with the ones nobody thought of: an id holding ``/`` or ``..`` that a careless
URL builder turns into another endpoint, an email shared by a user and two leads, a
conversation another contact joined halfway through. These strategies generate such data in
shapes :class:`~dsr_resolvers.testing.FakeIntercom` accepts, so a downstream team can property
test its own pipeline against a faithful fake.

| strategy            | draws                                                                 |
|---------------------|-----------------------------------------------------------------------|
| ``contact_ids()``   | 1 to 255 characters, often path-hostile (``/ ? # % . ..``, unicode)   |
| ``contacts()``      | a :class:`ContactSpec`: keyword arguments for ``fake.add_contact``    |
| ``conversations()`` | a :class:`ConversationSpec`: a conversation, its parts and calls      |
| ``worlds()``        | a :class:`World`: a populated ``FakeIntercom`` and the ids it holds;  |
|                     | optionally archived contacts and conversations at Intercom's 500-part |
|                     | cap                                                                   |
| ``typed_emails()``  | an address as a person might type it: padded, in any letter case      |

Importing this module imports hypothesis; ``dsr_resolvers.testing`` itself does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NotRequired, TypedDict

from hypothesis import strategies as st

from dsr_resolvers.contract import SubjectRef
from dsr_resolvers.intercom import IntercomResolver
from dsr_resolvers.testing._fake import FakeIntercom

__all__ = [
    "CallSpec",
    "ContactSpec",
    "ConversationSpec",
    "PartSpec",
    "World",
    "contact_ids",
    "contacts",
    "conversations",
    "typed_emails",
    "worlds",
]

_MAX_ID_LENGTH = 255
_HOSTILE_PIECES = ("/", "?", "#", "%", " ", ".", "..", "%2F", "%00", "&", "=", ";", "\\", "+")
_HOSTILE_WHOLE = (".", "..", "../contacts", "a/../b", "%", "%25", "?id=1", "#top", " ", "..%2F")
_UNICODE_PIECES = ("ü", "ß", "日本", "\u202e", "\u200b", "🙂", "ﬁ", "\u0301")

# Part authors FakeIntercom reads as roles, never as contact ids.
_ROLE_AUTHORS = ("contact", "admin", "bot")

_PART_CAP = 500  # Intercom returns at most this many (the most recent) parts of a conversation

_TIMESTAMPS = st.integers(min_value=1_500_000_000, max_value=1_800_000_000)


# -- ids ------------------------------------------------------------------------------------------


def contact_ids() -> st.SearchStrategy[str]:
    """Contact ids of 1 to 255 characters, biased towards ones that break URL building.

    About half of the draws are stitched together from path-hostile pieces (``/``, ``?``,
    ``#``, ``%``, spaces, ``.``, ``..``, percent-escapes, right-to-left marks, emoji); the rest
    are exact classics (``..``, ``a/../b``), arbitrary unicode text, plain hex ids like
    Intercom's own, and long ids up to the 255 characters a ``SubjectRef`` allows. Every draw
    is a valid ``SubjectRef.value``.

    Returns:
        A strategy of ``str``.

    Example:
        >>> from hypothesis import given
        >>> @given(contact_ids())
        ... def test_round_trip(contact_id: str) -> None:
        ...     fake = FakeIntercom()
        ...     assert fake.add_contact(contact_id, email="a@example.org") == contact_id
    """
    pieces = st.one_of(
        st.sampled_from(_HOSTILE_PIECES),
        st.sampled_from(_UNICODE_PIECES),
        st.text(min_size=1, max_size=4),
    )
    stitched = st.lists(pieces, min_size=1, max_size=10).map("".join)
    return st.one_of(
        stitched,
        st.sampled_from(_HOSTILE_WHOLE),
        st.text(min_size=1, max_size=40),
        st.text("0123456789abcdef", min_size=24, max_size=24),
        st.text(min_size=200, max_size=_MAX_ID_LENGTH),
    ).filter(lambda value: 1 <= len(value) <= _MAX_ID_LENGTH)


# -- contacts -------------------------------------------------------------------------------------


class ContactSpec(TypedDict):
    """Keyword arguments for :meth:`FakeIntercom.add_contact`: ``fake.add_contact(**spec)``.

    Attributes:
        email: The email address; ``""`` for a contact without one. Shared between contacts
            when :func:`contacts` is given a pool of ``emails``.
        name: The full name, or None.
        phone: The phone number, or None.
        role: ``"user"`` or ``"lead"``.
        external_id: The caller's own id for the contact, or None. Intercom (and the fake)
            refuse a second *user* with the same one.
        custom_attributes: Workspace-defined attributes; may hold personal data.
        location: ``country``, ``region``, ``city``, ``country_code``, ``continent_code``
            (each possibly None), or None for no location at all.
        id: The contact id, when the spec pins one; absent to let the fake choose.
    """

    email: str
    name: str | None
    phone: str | None
    role: Literal["user", "lead"]
    external_id: str | None
    custom_attributes: dict[str, str]
    location: dict[str, str | None] | None
    id: NotRequired[str]


_NAMES = st.one_of(
    st.none(),
    st.sampled_from(["Ada Lovelace", "Grace Hopper", "Søren Kierkegaard", "李小龍", "O'Brien"]),
    st.text(min_size=1, max_size=30),
)
_PHONES = st.one_of(st.none(), st.from_regex(r"\+[1-9][0-9]{6,13}", fullmatch=True))
_ATTRIBUTE_NAMES = st.sampled_from(["plan", "favourite_colour", "account_tier", "last_order"])
_LOCATIONS = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {},
        optional={
            "country": st.sampled_from(["Germany", "Ireland", "Japan"]),
            "city": st.one_of(st.none(), st.sampled_from(["Berlin", "Dublin", "Ōsaka"])),
            "country_code": st.sampled_from(["DE", "IE", "JP"]),
        },
    ),
)


def _fresh_emails() -> st.SearchStrategy[str]:
    local = st.text("abcdefghijklmnopqrstuvwxyz0123456789._+-", min_size=1, max_size=12)
    return st.builds(
        lambda user, domain: f"{user}@{domain}",
        local.filter(lambda s: not s.startswith(".") and not s.endswith(".") and ".." not in s),
        st.sampled_from(["example.org", "example.com", "mail.example.net"]),
    )


def contacts(
    *,
    emails: st.SearchStrategy[str] | None = None,
    roles: Sequence[Literal["user", "lead"]] = ("user", "lead"),
) -> st.SearchStrategy[ContactSpec]:
    """Contact specs for ``fake.add_contact(**spec)``.

    Args:
        emails: Where emails come from. The default mixes fresh addresses with ``""`` (no
            email). Pass ``st.sampled_from(pool)`` to make contacts share addresses, as a user
            and the leads of the same person do in Intercom.
        roles: The roles to draw from.

    Returns:
        A strategy of :class:`ContactSpec` (a plain dict); the spec names no ``id``.

    Example:
        >>> from hypothesis import given
        >>> @given(contacts(emails=st.sampled_from(["ada@example.org"])))
        ... def test_shared_email(spec: ContactSpec) -> None:
        ...     fake = FakeIntercom()
        ...     contact = fake.contact(fake.add_contact(**spec))
        ...     assert contact is not None and contact["email"] == "ada@example.org"
    """
    email_strategy = emails if emails is not None else st.one_of(_fresh_emails(), st.just(""))
    return st.builds(
        lambda email, name, phone, role, external_id, custom, location: ContactSpec(
            email=email,
            name=name,
            phone=phone,
            role=role,
            external_id=external_id,
            custom_attributes=custom,
            location=location,
        ),
        email_strategy,
        _NAMES,
        _PHONES,
        st.sampled_from(tuple(roles)),
        st.one_of(st.none(), st.text("abcdefghij0123456789-", min_size=1, max_size=16)),
        st.dictionaries(_ATTRIBUTE_NAMES, st.text(max_size=20), max_size=2),
        _LOCATIONS,
    )


# -- conversations --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartSpec:
    """One reply in a conversation.

    Attributes:
        author: ``"contact"`` (the conversation's own contact), ``"admin"``, ``"bot"``, or the
            id of another contact, who thereby joins the conversation.
        body: The HTML body, or None for a part without one (an assignment, a state change).
    """

    author: str
    body: str | None


@dataclass(frozen=True, slots=True)
class CallSpec:
    """A phone call in a conversation, with a one-turn transcript.

    Attributes:
        speaker: Whom Intercom attributes the turn to: ``"contact"`` (the conversation's own
            contact), ``"admin"``, or None for a turn attributed to no one (older calls).
        content: What was said.
    """

    speaker: Literal["contact", "admin"] | None
    content: str


@dataclass(frozen=True, slots=True)
class ConversationSpec:
    """A conversation to start with a contact, and the parts that follow.

    Attributes:
        state: ``"open"``, ``"closed"`` or ``"snoozed"``.
        source_author: Who wrote the opening message: ``"contact"`` or ``"admin"``.
        source_body: The opening message's HTML body.
        created_at: Unix time the conversation started; None lets the fake's clock decide.
        updated_at: Unix time of the last change (never before ``created_at``), or None.
        parts: The replies, oldest first.
        calls: Phone calls in the conversation (``POST /calls/search``).
    """

    state: Literal["open", "closed", "snoozed"]
    source_author: Literal["contact", "admin"]
    source_body: str
    created_at: int | None
    updated_at: int | None
    parts: tuple[PartSpec, ...]
    calls: tuple[CallSpec, ...] = ()

    def add_to(self, fake: FakeIntercom, contact_id: str) -> str:
        """Start this conversation with ``contact_id`` in ``fake`` and add its parts.

        Args:
            fake: The workspace to seed.
            contact_id: The conversation's contact; it must exist, as must every contact
                named as a part author.

        Returns:
            The new conversation's id.
        """
        conversation_id = fake.add_conversation(
            contact_id,
            state=self.state,
            created_at=self.created_at,
            updated_at=self.updated_at,
            source_body=self.source_body,
            source_author=self.source_author,
        )
        for part in self.parts:
            fake.add_part(
                conversation_id,
                author=part.author,
                body=part.body,
                created_at=self.updated_at,
            )
        for call in self.calls:
            turn: dict[str, object] = {"start_time": 0, "end_time": 1, "content": call.content}
            if call.speaker == "contact":
                turn |= {"speaker_type": "user", "speaker_id": contact_id}
            elif call.speaker == "admin":
                turn |= {"speaker_type": "admin", "speaker_id": "1"}
            fake.add_call(conversation_id, initiated_at=self.created_at, transcript=[turn])
        return conversation_id


_BODIES = st.one_of(
    st.sampled_from(["<p>Hi</p>", "<p>My order #42 never arrived</p>", "<p>Danke!</p>"]),
    st.text(min_size=1, max_size=60).map(lambda text: f"<p>{text}</p>"),
)


@st.composite
def _timestamps(draw: st.DrawFn) -> tuple[int | None, int | None]:
    created = draw(st.one_of(st.none(), _TIMESTAMPS))
    if created is None:
        return None, None
    later = draw(st.integers(min_value=0, max_value=90 * 24 * 3600))
    return created, created + later


def conversations(
    *, other_contacts: Sequence[str] = (), max_parts: int = 4
) -> st.SearchStrategy[ConversationSpec]:
    """Conversation specs: a state, an opening message, and replies by various authors.

    Args:
        other_contacts: Ids of contacts (already in the fake) that may author parts, joining
            the conversation. Without them, parts are by the contact, an admin or the bot.
        max_parts: The most replies a conversation gets.

    Returns:
        A strategy of :class:`ConversationSpec`; seed one with ``spec.add_to(fake, cid)``.

    Example:
        >>> from hypothesis import given
        >>> @given(conversations())
        ... def test_seeds(spec: ConversationSpec) -> None:
        ...     fake = FakeIntercom()
        ...     cid = fake.add_contact(email="ada@example.org")
        ...     assert fake.conversation(spec.add_to(fake, cid))["state"] == spec.state
    """
    authors = st.sampled_from((*_ROLE_AUTHORS, *other_contacts))
    parts = st.lists(
        st.builds(PartSpec, author=authors, body=st.one_of(st.none(), _BODIES)),
        max_size=max_parts,
    ).map(tuple)
    calls = st.lists(
        st.builds(CallSpec, speaker=st.sampled_from(("contact", "admin", None)), content=_BODIES),
        max_size=2,
    ).map(tuple)
    return st.builds(
        lambda state, source_author, source_body, times, drawn_parts, drawn_calls: ConversationSpec(
            state=state,
            source_author=source_author,
            source_body=source_body,
            created_at=times[0],
            updated_at=times[1],
            parts=drawn_parts,
            calls=drawn_calls,
        ),
        st.sampled_from(("open", "closed", "snoozed")),
        st.sampled_from(("contact", "admin")),
        _BODIES,
        _timestamps(),
        parts,
        calls,
    )


# -- worlds ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    """A populated FakeIntercom and what was put in it.

    Attributes:
        fake: The workspace; a fresh one for every draw.
        token: The access token ``fake`` accepts.
        contacts: The contact ids, in the order they were added.
        contact_specs: The spec each contact was added from, by id.
        started: The conversations started with each contact (as its opening contact), by
            contact id. A contact may take part in more: see :meth:`conversations_of`.
        archived: The contacts archived after seeding (``worlds(archived=True)``).
        past_the_cap: The conversations given 500 parts or more
            (``worlds(past_the_cap=True)``): Intercom lists only their 500 most recent.
    """

    fake: FakeIntercom
    token: str
    contacts: tuple[str, ...]
    contact_specs: dict[str, ContactSpec]
    started: dict[str, tuple[str, ...]]
    archived: frozenset[str] = frozenset()
    past_the_cap: frozenset[str] = frozenset()

    def conversations_of(self, contact_id: str) -> frozenset[str]:
        """Every conversation ``contact_id`` takes part in: started, or joined by a reply."""
        return frozenset(self.fake.conversation_ids(contact_id))

    def ref(self, contact_id: str) -> SubjectRef:
        """The ``SubjectRef`` that addresses ``contact_id``."""
        return SubjectRef(kind="intercom", value=contact_id)

    def resolver(self) -> IntercomResolver:
        """An ``IntercomResolver`` that talks to this world's fake."""
        return IntercomResolver(self.token, transport=self.fake)


def _safe_author_id(contact_id: str) -> bool:
    # FakeIntercom reads a part author of "admin" or "3" as a role or an admin id, never as a
    # contact id; such contacts still exist, they just never author parts.
    return contact_id not in _ROLE_AUTHORS and not contact_id.isdigit()


def worlds(
    *,
    min_contacts: int = 1,
    max_contacts: int = 5,
    max_conversations: int = 6,
    max_parts: int = 3,
    hostile_ids: bool = False,
    archived: bool = False,
    past_the_cap: bool = False,
    token: str = "test-token",  # noqa: S107 - the fake's well-known test token
) -> st.SearchStrategy[World]:
    """Whole workspaces: contacts (some sharing an email) and their conversations.

    Contacts are drawn with :func:`contacts` from a small pool of emails, so users and leads
    often share one. Each conversation is started with a drawn contact, and its replies may be
    written by other contacts of the world, who thereby join it.

    Args:
        min_contacts: The fewest contacts.
        max_contacts: The most contacts.
        max_conversations: The most conversations in the whole world.
        max_parts: The most replies per conversation.
        hostile_ids: Pin contact ids drawn from :func:`contact_ids` instead of letting the
            fake generate Intercom-like hex ids.
        archived: Archive some contacts after seeding (``World.archived``).
        past_the_cap: Give some conversations extra replies by their contact, up to and past
            Intercom's 500-part cap (``World.past_the_cap`` names those at 500 or more).
        token: The access token the fake accepts.

    Returns:
        A strategy of :class:`World`.

    Example:
        >>> import asyncio
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=20, deadline=None)
        ... @given(worlds(max_contacts=3))
        ... def test_export_finds_every_conversation(world: World) -> None:
        ...     resolver = world.resolver()
        ...     for cid in world.contacts:
        ...         export = asyncio.run(resolver.export_subject(world.ref(cid)))
        ...         found = {r.field.split(".")[1] for r in export.records
        ...                  if r.field.startswith("conversation.")}
        ...         assert found == world.conversations_of(cid)
    """
    if not 0 <= min_contacts <= max_contacts:
        raise ValueError("need 0 <= min_contacts <= max_contacts")
    if max_conversations < 0 or max_parts < 0:
        raise ValueError("max_conversations and max_parts must not be negative")
    return _worlds(
        min_contacts=min_contacts,
        max_contacts=max_contacts,
        max_conversations=max_conversations,
        max_parts=max_parts,
        hostile_ids=hostile_ids,
        archived=archived,
        past_the_cap=past_the_cap,
        token=token,
    )


_PADDING = st.text(alphabet=" \t\n", max_size=3)


@st.composite
def _typed(draw: st.DrawFn, email: str) -> str:
    cased = "".join(
        c.upper() if draw(st.booleans()) else c.lower() if draw(st.booleans()) else c for c in email
    )
    return draw(_PADDING) + cased + draw(_PADDING)


def typed_emails(email: str) -> st.SearchStrategy[str]:
    """``email`` as a person might type it: surrounding whitespace, letters in any case.

    ``find_contacts(email=...)`` strips the padding and searches the address as typed and
    lower-cased, so a contact stored with a lower-case address is found from any of these.

    Args:
        email: The address as stored.

    Returns:
        A strategy of strings.
    """
    return _typed(email)


@st.composite
def _worlds(
    draw: st.DrawFn,
    *,
    min_contacts: int,
    max_contacts: int,
    max_conversations: int,
    max_parts: int,
    hostile_ids: bool,
    archived: bool,
    past_the_cap: bool,
    token: str,
) -> World:
    fake = FakeIntercom(token=token, seed=draw(st.integers(min_value=0, max_value=2**16)))
    pool = draw(st.lists(_fresh_emails(), min_size=1, max_size=3, unique=True))
    specs = draw(
        st.lists(
            contacts(emails=st.one_of(st.sampled_from(pool), _fresh_emails(), st.just(""))),
            min_size=min_contacts,
            max_size=max_contacts,
        )
    )
    ids: list[str | None] = [None] * len(specs)
    if hostile_ids:
        size = len(specs)
        ids = list(draw(st.lists(contact_ids(), min_size=size, max_size=size, unique=True)))

    added: dict[str, ContactSpec] = {}
    user_external_ids: set[str] = set()
    for spec, wanted in zip(specs, ids, strict=True):
        spec = spec.copy()
        external_id = spec["external_id"]
        if spec["role"] == "user" and external_id is not None:
            # Intercom refuses a second user with the same external_id; leads may share one.
            if external_id in user_external_ids:
                spec["external_id"] = None
            user_external_ids.add(external_id)
        if wanted is not None:
            spec["id"] = wanted
        added[fake.add_contact(**spec)] = spec

    contact_list = tuple(added)
    started: dict[str, list[str]] = {cid: [] for cid in contact_list}
    if contact_list:
        authors = [cid for cid in contact_list if _safe_author_id(cid)]
        plans = draw(
            st.lists(
                st.tuples(
                    st.sampled_from(contact_list),
                    conversations(other_contacts=authors, max_parts=max_parts),
                ),
                max_size=max_conversations,
            )
        )
        for owner, conversation in plans:
            started[owner].append(conversation.add_to(fake, owner))
    capped: set[str] = set()
    if past_the_cap:
        for conversation_id in {c for ids in started.values() for c in ids}:
            extra = draw(st.sampled_from((0, 0, 497, 499, 500, 520)))
            for n in range(extra):
                fake.add_part(conversation_id, author="contact", body=f"<p>more {n}</p>")
            listed = fake.conversation(conversation_id)["conversation_parts"]["total_count"]
            if listed >= _PART_CAP:
                capped.add(conversation_id)
    hidden: frozenset[str] = frozenset()
    if archived and contact_list:
        hidden = frozenset(draw(st.lists(st.sampled_from(contact_list), unique=True)))
        for contact_id in hidden:
            fake.archive_contact(contact_id)
    return World(
        fake=fake,
        token=token,
        contacts=contact_list,
        contact_specs=added,
        started={cid: tuple(ids) for cid, ids in started.items()},
        archived=hidden,
        past_the_cap=frozenset(capped),
    )
