"""Requests per subject, for each export, erasure and objection kind.

One contact as a DSR tool meets it: tagged, in a company, with a note, three conversations
(each with a reply from the contact, one from an admin, and a phone call), a ticket, a segment,
a subscription preference and a data event. Each kind runs against a fresh FakeIntercom
holding that contact, and the table gives the requests it sent, by route. Counts only: no
time is measured, so the figures are the same on every machine.

Run: ``python benchmarks/bench_requests.py``. In-process, bounded, no network.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from dsr_resolvers import SubjectRef
from dsr_resolvers.intercom import IntercomResolver
from dsr_resolvers.testing import FakeIntercom

TOKEN = "bench-token"
CONVERSATIONS = 3


def subject(fake: FakeIntercom) -> str:
    contact = fake.add_contact(email="ada@example.com", name="Ada")
    fake.tag_contact(contact, "vip")
    fake.add_company_to_contact(contact, name="Engines Ltd")
    fake.add_note(contact, body="<p>Prefers email</p>")
    for _ in range(CONVERSATIONS):
        conversation = fake.add_conversation(contact)
        fake.add_part(conversation, author="contact", body="<p>reply</p>")
        fake.add_part(conversation, author="admin", body="<p>answer</p>")
        fake.add_call(conversation, transcript=[{"content": "hello"}])
    fake.add_ticket(contact)
    fake.add_segment(contact, "Active")
    fake.set_subscription(contact, "Newsletter", "opt_in")
    fake.add_subscription_type("Product tips", "opt_out")
    fake.add_event(contact, "logged-in")
    return contact


Kind = Callable[[IntercomResolver, SubjectRef], Awaitable[Any]]

KINDS: list[tuple[str, dict[str, Any], Kind]] = [
    ("export (default)", {}, lambda r, ref: r.export_subject(ref)),
    ("export, core", {"sections": ["conversations"]}, lambda r, ref: r.export_subject(ref)),
    ("export with messages", {"export_messages": True}, lambda r, ref: r.export_subject(ref)),
    ("erase, delete_contact", {}, lambda r, ref: r.erase_subject(ref)),
    (
        "erase, redact_messages",
        {"erasure_policy": "redact_messages"},
        lambda r, ref: r.erase_subject(ref),
    ),
    (
        "erase, delete_conversations",
        {"erasure_policy": "delete_conversations"},
        lambda r, ref: r.erase_subject(ref),
    ),
    (
        "dry run, delete_conversations",
        {"erasure_policy": "delete_conversations"},
        lambda r, ref: r.plan_erasure(ref),
    ),
    ("object to marketing", {}, lambda r, ref: r.object_to_marketing(ref)),
    ("object, dry run", {}, lambda r, ref: r.object_to_marketing(ref, dry_run=True)),
]


def measure() -> list[tuple[str, int, Counter[str]]]:
    rows = []
    for name, options, run in KINDS:
        fake = FakeIntercom(token=TOKEN, rate_limit=None)
        ref = SubjectRef(kind="intercom", value=subject(fake))
        resolver = IntercomResolver(TOKEN, transport=fake, max_in_flight=1, **options)
        asyncio.run(run(resolver, ref))
        routes = Counter(r.route for r in fake.requests)
        rows.append((name, len(fake.requests), routes))
    return rows


def main() -> None:
    print(f"A contact in {CONVERSATIONS} conversations (one call each), a ticket, tags, notes:")
    print("| kind | requests | by route |")
    print("|---|---:|---|")
    for name, total, routes in measure():
        by_route = ", ".join(f"{route} x{n}" if n > 1 else route for route, n in routes.items())
        print(f"| {name} | {total} | {by_route} |")


if __name__ == "__main__":
    main()
