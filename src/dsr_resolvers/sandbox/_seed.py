"""Ready-made workspaces for FakeIntercom: a small realistic demo and seeded random worlds.

A DPO trying the tools, a tutorial and a property test all need a workspace with the awkward
cases in it, not an empty one. The demo holds the cases that trip GDPR tools:

- one email shared by a user and a lead (an erasure by email must reach both);
- conversations the subject started, ones an admin started (their source cannot be redacted),
  parts without a body (assignments, closes: not redactable either), bot replies, and a group
  conversation another customer started that the subject replied to;
- notes, tags, a company shared with another customer, a ticket (with the user's own comment
  and a workspace attribute), data events with metadata, custom attributes, location, device
  and social-profile fields;
- a tagged conversation with its own custom attributes and a phone call with a transcript, and
  an email reply whose address headers name the user and the workspace.

A second workspace (:func:`seed_second_workspace`, served by ``dsr sandbox --workspaces 2``)
holds the same person with no email at all: by the phone number and external id the demo's
user has, as a company's other Intercom workspace (another region, another brand) would.

Every timestamp is fixed, and ids come from the fake's seed, so a demo workspace is the same
every time, but for the subject's data events: Intercom lists only events of the last 90 days,
so those are dated days before today (UTC), at fixed times of day, and the report's Events
section shows them. The lead's one event stays in 2024, outside the window: it is counted only
by the event summary, as Intercom does.
"""

from __future__ import annotations

import random
import time
from typing import Final

from pydantic import BaseModel, ConfigDict

from dsr_resolvers.testing import FakeIntercom

__all__ = ["DemoWorkspace", "SecondWorkspace", "seed_demo", "seed_random", "seed_second_workspace"]

_DAY: Final = 86_400
_EPOCH: Final = 1_717_200_000  # 2024-06-01, the demo's "first day"


class DemoWorkspace(BaseModel):
    """What :func:`seed_demo` created, so a test or a tutorial can name it.

    Attributes:
        shared_email: The email held by both ``user_id`` and ``lead_id``.
        user_id: The user with the shared email (the usual data subject).
        user_external_id: That user's ``external_id``.
        lead_id: The lead with the shared email.
        bystander_id: Another customer, who must survive the subject's erasure.
        bystander_email: The bystander's email.
        anonymous_lead_id: A lead with no email at all.
        user_conversation_ids: Conversations the user takes part in, the group one included.
        lead_conversation_ids: Conversations the lead takes part in.
        admin_started_conversation_id: A conversation an admin opened (source not redactable).
        group_conversation_id: A conversation the bystander started and the user replied to.
        note_ids: Notes about the user, then the lead.
        ticket_id: The user's ticket.
        company_id: The Intercom id of the company the user and the bystander belong to.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    shared_email: str
    user_id: str
    user_external_id: str
    lead_id: str
    bystander_id: str
    bystander_email: str
    anonymous_lead_id: str
    user_conversation_ids: tuple[str, ...]
    lead_conversation_ids: tuple[str, ...]
    admin_started_conversation_id: str
    group_conversation_id: str
    note_ids: tuple[str, ...]
    ticket_id: str
    company_id: str


class SecondWorkspace(BaseModel):
    """What :func:`seed_second_workspace` created.

    Attributes:
        contact_id: The demo's person here: a user with no email, by phone and external id.
        phone: Their phone number (the demo user's).
        external_id: Their external id (the demo user's).
        bystander_id: Another customer of this workspace.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    contact_id: str
    phone: str
    external_id: str
    bystander_id: str


def _at(day: float) -> int:
    return int(_EPOCH + day * _DAY)


def _days_ago(days: float) -> int:
    """``days`` before today's midnight (UTC): inside Intercom's 90-day event window."""
    today = int(time.time()) // _DAY * _DAY
    return int(today - days * _DAY)


def seed_demo(fake: FakeIntercom) -> DemoWorkspace:
    """Fill ``fake`` with the demo workspace and say what is in it.

    Args:
        fake: A fake, normally empty (the demo only adds).

    Returns:
        The ids and emails of the demo's people and records.
    """
    shared_email = "sam.rivera@example.com"
    user = fake.add_contact(
        email=shared_email,
        name="Sam Rivera",
        phone="+44 20 7946 0958",
        role="user",
        external_id="cust-1001",
        custom_attributes={"plan": "pro", "favourite_colour": "teal", "seats": 5},
        location={"country": "United Kingdom", "region": "England", "city": "London"},
        browser="firefox",
        browser_version="128.0",
        browser_language="en-GB",
        os="Linux",
        social_profiles=({"name": "GitHub", "url": "https://github.com/sam-rivera-demo"},),
        language_override="en",
        avatar="https://static.example.com/avatars/sam.png",
        created_at=_at(0),
        signed_up_at=_at(0),
        last_seen_at=_at(40),
        last_replied_at=_at(38),
        device={"ios_app_name": "Acme", "ios_device": "iPhone 15", "ios_os_version": "17.5"},
        utm={"utm_source": "newsletter", "utm_campaign": "spring"},
    )
    lead = fake.add_contact(
        email=shared_email,
        name="Sam (website chat)",
        role="lead",
        custom_attributes={"first_page": "/pricing"},
        location={"country": "United Kingdom", "city": "London"},
        browser="chrome",
        created_at=_at(-30),
        last_seen_at=_at(-29),
        referrer="https://search.example.com/?q=acme+pricing",
    )
    bystander_email = "jordan.lee@example.org"
    bystander = fake.add_contact(
        email=bystander_email,
        name="Jordan Lee",
        role="user",
        external_id="cust-1002",
        custom_attributes={"plan": "team"},
        created_at=_at(2),
    )
    anonymous = fake.add_contact(role="lead", name=None, created_at=_at(10), browser="safari")
    fake.add_contact(
        email="priya.natarajan@example.net",
        name="Priya Natarajan",
        role="user",
        external_id="cust-1003",
        created_at=_at(5),
    )

    fake.tag_contact(user, "VIP")
    fake.tag_contact(user, "beta-tester")
    fake.tag_contact(lead, "newsletter")
    company = fake.add_company_to_contact(user, name="Acme Corp", company_id="acme-42")
    fake.add_company_to_contact(bystander, name="Acme Corp")
    notes = (
        fake.add_note(user, body="<p>Asked for an invoice copy by phone.</p>", created_at=_at(12)),
        fake.add_note(user, body="<p>Prefers email over calls.</p>", created_at=_at(20)),
        fake.add_note(lead, body="<p>Came from the pricing page chat.</p>", created_at=_at(-29)),
    )

    login = fake.add_conversation(
        user,
        created_at=_at(30),
        source_body="<p>Hi, I can't log in since I changed my phone number.</p>",
        title="Login trouble",
        source_url="https://app.example.com/login",
        tags=["login"],
        custom_attributes={"issue_type": "access", "sentiment": "frustrated"},
    )
    fake.add_part(login, author="admin", body=None, part_type="assignment", created_at=_at(30.01))
    fake.add_part(
        login,
        author="admin",
        body="<p>Sorry about that! Which number should we use?</p>",
        created_at=_at(30.02),
    )
    fake.add_part(
        login,
        author="contact",
        body="<p>+44 20 7946 0958</p>",
        created_at=_at(30.03),
        attachments=[
            {
                "name": "login-error.png",
                "url": "https://files.example.com/demo/login-error.png",
                "content_type": "image/png",
                "filesize": 48_213,
                "width": 1170,
                "height": 2532,
            }
        ],
    )
    fake.add_call(
        login,
        phone="+442079460958",
        initiated_at=_at(30.06),
        answered_at=_at(30.06) + 8,
        ended_at=_at(30.06) + 190,
        recording=True,
        transcript=[
            {
                "start_time": 0,
                "end_time": 3,
                "speaker_label": "Teammate 1",
                "speaker_type": "admin",
                "content": "Acme support, how can I help?",
            },
            {
                "start_time": 3,
                "end_time": 9,
                "speaker_label": "Customer 1",
                "speaker_type": "user",
                "speaker_id": user,
                "content": "I still cannot log in with my new number.",
            },
        ],
    )
    fake.add_part(login, author="admin", body=None, part_type="close", created_at=_at(30.04))
    fake.rate_conversation(login, 4, remark="Fixed quickly, thanks!", created_at=_at(30.05))
    fake.add_segment(user, "Pro customers")
    fake.set_subscription(user, "Newsletter", "opt_out")
    fake.set_subscription(user, "Product updates", "opt_in")

    welcome = fake.add_conversation(
        user,
        created_at=_at(1),
        source_author="admin",
        source_body="<p>Welcome to Acme, Sam!</p>",
        state="closed",
    )
    fake.add_part(
        welcome,
        author="contact",
        body="<p>Thanks, glad to be here.</p>",
        email_headers=[
            {"type": "from", "email_address": shared_email, "name": "Sam Rivera"},
            {"type": "to", "email_address": "hello@acme.example", "name": "Acme"},
        ],
    )

    pricing = fake.add_conversation(
        lead,
        created_at=_at(-29),
        source_body="<p>Do you have a discount for charities?</p>",
        state="closed",
    )
    fake.add_part(pricing, author="bot", body="<p>I can help with that! Our pricing page...</p>")
    fake.add_part(
        pricing, author="contact", body="<p>Please email me at sam.rivera@example.com</p>"
    )

    group = fake.add_conversation(
        bystander,
        created_at=_at(35),
        source_body="<p>Our team cannot see the shared invoices.</p>",
        title="Shared invoices",
    )
    fake.add_part(group, author="admin", body="<p>Looking into it.</p>", created_at=_at(35.1))
    fake.add_part(group, author=user, body="<p>Same for me (Sam).</p>", created_at=_at(35.2))

    ticket = fake.add_ticket(
        user,
        title="Refund for duplicate charge",
        description="Charged twice in May.",
        state="in_progress",
        created_at=_at(36),
        attributes={"order_number": "ORD-5521"},
    )
    fake.add_ticket_part(
        ticket, body="<p>The second charge is on my May statement.</p>", created_at=_at(36.1)
    )
    fake.add_event(
        user, "logged-in", created_at=_days_ago(12 - 0.375), metadata={"device": "iPhone 15"}
    )
    fake.add_event(user, "logged-in", created_at=_days_ago(5 - 0.75), metadata={"device": "laptop"})
    fake.add_event(
        user, "exported-invoice", created_at=_days_ago(5 - 0.76), metadata={"invoice": "INV-7"}
    )
    fake.add_event(lead, "viewed-pricing", created_at=_at(-29))

    return DemoWorkspace(
        shared_email=shared_email,
        user_id=user,
        user_external_id="cust-1001",
        lead_id=lead,
        bystander_id=bystander,
        bystander_email=bystander_email,
        anonymous_lead_id=anonymous,
        user_conversation_ids=(login, welcome, group),
        lead_conversation_ids=(pricing,),
        admin_started_conversation_id=welcome,
        group_conversation_id=group,
        note_ids=notes,
        ticket_id=ticket,
        company_id=company,
    )


def seed_second_workspace(fake: FakeIntercom, demo: DemoWorkspace) -> SecondWorkspace:
    """Fill ``fake`` as a company's other workspace, holding ``demo``'s person without email.

    Args:
        fake: A fake, normally empty.
        demo: What :func:`seed_demo` put in the first workspace.

    Returns:
        The ids of this workspace's people.
    """
    phone = "+44 20 7946 0958"
    person = fake.add_contact(
        name="Sam Rivera",
        phone=phone,
        role="user",
        external_id=demo.user_external_id,
        custom_attributes={"plan": "starter"},
        location={"country": "United Kingdom", "city": "London"},
        created_at=_at(15),
        last_seen_at=_at(41),
    )
    chat = fake.add_conversation(
        person,
        created_at=_at(41),
        source_body="<p>Texting from my phone: is my order for the EU shop on its way?</p>",
        title="Order status",
    )
    fake.add_part(chat, author="admin", body="<p>It ships tomorrow.</p>", created_at=_at(41.1))
    bystander = fake.add_contact(
        email="noor.haddad@example.com",
        name="Noor Haddad",
        role="user",
        external_id="eu-2001",
        created_at=_at(16),
    )
    return SecondWorkspace(
        contact_id=person, phone=phone, external_id=demo.user_external_id, bystander_id=bystander
    )


_FIRST_NAMES: Final = ("Alex", "Bea", "Chidi", "Dana", "Eun", "Farah", "Gus", "Hana", "Ivo", "Jun")
_LAST_NAMES: Final = ("Okafor", "Silva", "Novak", "Haddad", "Kim", "Moreau", "Quinn", "Tanaka")
_EVENTS: Final = ("logged-in", "viewed-pricing", "invited-teammate", "exported-invoice")
_TAGS: Final = ("VIP", "churn-risk", "beta-tester", "newsletter")
_COMPANIES: Final = ("Acme Corp", "Globex", "Initech", "Umbrella Ltd")


def seed_random(fake: FakeIntercom, seed: int, *, contacts: int = 25) -> tuple[str, ...]:
    """Fill ``fake`` with a random but reproducible workspace.

    About one contact in five is a lead sharing the email of an earlier user, and every kind
    of record (conversations with parts with and without bodies, calls with or without an
    attributed transcript, notes, tags, companies, tickets with comments, events) appears
    with some probability.

    Args:
        fake: The fake to fill.
        seed: The same seed (and the same fake seed) gives the same workspace.
        contacts: How many contacts to create.

    Returns:
        The ids of the contacts created, in creation order.
    """
    rng = random.Random(seed)  # noqa: S311 - test data
    # Calls, conversation tags and ticket comments draw from a generator of their own, so the
    # workspaces of a seed stay what they were before those existed.
    more = random.Random(f"{seed}:calls")  # noqa: S311 - test data
    created: list[tuple[str, str]] = []
    for index in range(contacts):
        if created and rng.random() < 0.2:
            email = rng.choice(created)[1]
            role = "lead"
        else:
            email = f"person{index}.{rng.randrange(10_000)}@example.com"
            role = "user" if rng.random() < 0.7 else "lead"
        name = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}"
        start = rng.uniform(0, 300)
        contact = fake.add_contact(
            email=email,
            name=name,
            role="user" if role == "user" else "lead",
            external_id=f"ext-{seed}-{index}" if role == "user" else None,
            custom_attributes={"score": rng.randrange(100)} if rng.random() < 0.5 else None,
            created_at=_at(start),
        )
        created.append((contact, email))
        for _ in range(rng.randrange(4)):
            opened = start + rng.uniform(0, 30)
            conversation = fake.add_conversation(
                contact,
                created_at=_at(opened),
                source_author="contact" if rng.random() < 0.7 else "admin",
                source_body=f"<p>Question {rng.randrange(1000)} from {name}</p>",
                state=rng.choice(("open", "closed", "snoozed")),
            )
            for step in range(rng.randrange(6)):
                author = rng.choice(("contact", "admin", "admin", "bot"))
                has_body = author == "contact" or rng.random() < 0.7
                fake.add_part(
                    conversation,
                    author=author,
                    body=f"<p>Reply {step}</p>" if has_body else None,
                    part_type="comment" if has_body else "assignment",
                    created_at=_at(opened + (step + 1) / 100),
                )
            if more.random() < 0.3:
                said = {"start_time": 0, "end_time": 4, "content": f"Calling from {name}"}
                if more.random() < 0.5:
                    said |= {"speaker_type": "user", "speaker_id": contact}
                fake.add_call(conversation, initiated_at=_at(opened), transcript=[said])
        for _ in range(rng.randrange(3)):
            fake.add_note(contact, body=f"<p>Note about {name}</p>", created_at=_at(start + 1))
        if rng.random() < 0.4:
            fake.tag_contact(contact, rng.choice(_TAGS))
        if rng.random() < 0.3:
            fake.add_company_to_contact(contact, name=rng.choice(_COMPANIES))
        if rng.random() < 0.2:
            ticket = fake.add_ticket(contact, title=f"Ticket for {name}", created_at=_at(start + 2))
            if more.random() < 0.5:
                fake.add_ticket_part(ticket, body=f"<p>{name} adds a detail</p>")
        for _ in range(rng.randrange(4)):
            fake.add_event(
                contact,
                rng.choice(_EVENTS),
                created_at=_at(start + rng.uniform(0, 60)),
                metadata={"source": rng.choice(("web", "ios", "android"))},
            )
    return tuple(contact for contact, _ in created)
