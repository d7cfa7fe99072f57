"""Requests in flight within one call: a heavy contact at 100 ms a request, 1 vs the default.

FakeIntercom is served on 127.0.0.1 with 0.1 s added to every request (Intercom's order of
magnitude) and no rate limit. A contact in 1,000 conversations (each opened by the contact,
answered by an admin) is exported with messages, erased under ``redact_messages`` (one
read and one redaction per conversation, then the delete) and erased under
``delete_conversations`` (one ``DELETE /conversations/{id}`` per conversation, the contact's
alone, then the delete), first with ``max_in_flight=1`` (one request after another, the
behaviour before issue 11), then with the default (8).

For each run the table gives the requests sent (checked against the formula), the wall time,
the floor ``requests x latency / max_in_flight`` and the wall time as a multiple of it, and
the speed-up of the default over one at a time (targets: at least 6x, within 2x of the floor).

Then the same export and erasures run at the rate ceiling: 1,666 requests per 10 s, 32 in
flight (enough to overshoot it alone), the bulk engine's ``RateLimiter`` as hook. The table
gives the 429s Intercom answered (target 0) and the rate reached.

Run: ``just bench`` or ``python benchmarks/bench_in_flight.py [--quick] [--conversations N]
[--operation export|redact_messages|delete_conversations]``.
Loopback only, bounded by the sizes (``--quick``: 100 conversations, about 40 s); asserts
request counts and the absence of 429s, nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from dataclasses import dataclass

from dsr_resolvers import SubjectRef
from dsr_resolvers.bulk import RateLimiter
from dsr_resolvers.intercom import IntercomResolver
from dsr_resolvers.testing import FakeIntercom

TOKEN = "bench-token"
DEFAULT_IN_FLIGHT = 8
CEILING_IN_FLIGHT = 32


@dataclass(frozen=True)
class Run:
    operation: str
    max_in_flight: int
    requests: int
    wall: float
    rate_limited: int


OPERATIONS = ("export", "redact_messages", "delete_conversations")
"""The export with messages, and an erasure under each policy that fans out."""


def expected_requests(operation: str, conversations: int) -> int:
    pages = max(1, math.ceil(conversations / 150))
    if operation == "export":
        return 1 + pages + conversations
    per_conversation = 2 if operation == "redact_messages" else 1  # read + redact, or delete
    # the contact, the search, each conversation, the ticket search, the delete
    return 1 + pages + per_conversation * conversations + 1 + 1


def heavy_contact(fake: FakeIntercom, conversations: int) -> str:
    contact_id = fake.add_contact(email="heavy@example.com", name="Heavy")
    for n in range(conversations):
        conversation = fake.add_conversation(contact_id, source_author="contact")
        fake.add_part(conversation, author="admin", body=f"<p>answer {n}</p>")
    return contact_id


def measure(
    fake: FakeIntercom,
    base_url: str,
    operation: str,
    conversations: int,
    max_in_flight: int,
    limiter: RateLimiter | None = None,
) -> Run:
    contact_id = heavy_contact(fake, conversations)
    resolver = IntercomResolver(
        TOKEN,
        base_url=base_url,
        sections=["conversations"],
        export_messages=True,
        erasure_policy="delete_conversations"
        if operation == "delete_conversations"
        else "redact_messages",
        max_in_flight=max_in_flight,
        hooks=limiter,
        timeout=30.0,
    )
    ref = SubjectRef(kind="intercom", value=contact_id)
    before = len(fake.requests)
    started = time.perf_counter()
    if operation == "export":
        asyncio.run(resolver.export_subject(ref))
    else:
        asyncio.run(resolver.erase_subject(ref))
    wall = time.perf_counter() - started
    sent = fake.requests[before:]
    throttled = sum(1 for request in sent if request.status == 429)
    expected = expected_requests(operation, conversations)
    assert len(sent) - throttled == expected, (operation, len(sent), expected)
    return Run(operation, max_in_flight, len(sent), wall, throttled)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 conversations instead of 1,000")
    parser.add_argument("--conversations", type=int, default=None)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added per request")
    parser.add_argument(
        "--operation",
        action="append",
        choices=OPERATIONS,
        help="measure only this operation (repeatable; default: all)",
    )
    args = parser.parse_args()
    operations = tuple(args.operation or OPERATIONS)
    conversations = args.conversations or (100 if args.quick else 1_000)

    print(f"one contact in {conversations:,} conversations, {args.latency * 1000:.0f} ms a request")
    print(f"{'operation':<20} {'in flight':>9} {'requests':>9} {'wall s':>8} {'floor s':>8} "
          f"{'x floor':>8} {'speed-up':>9}")  # fmt: skip
    fake = FakeIntercom(token=TOKEN, rate_limit=None, latency=args.latency)
    with fake.serve() as base_url:
        for operation in operations:
            runs = [
                measure(fake, base_url, operation, conversations, n) for n in (1, DEFAULT_IN_FLIGHT)
            ]
            for run in runs:
                floor = run.requests * args.latency / run.max_in_flight
                speed_up = runs[0].wall / run.wall
                print(f"{operation:<20} {run.max_in_flight:>9} {run.requests:>9,} "
                      f"{run.wall:>8.2f} {floor:>8.2f} {run.wall / floor:>8.2f} "
                      f"{speed_up:>8.1f}x")  # fmt: skip

    print()
    print(f"at the ceiling: 1,666 requests per 10 s, {CEILING_IN_FLIGHT} in flight, RateLimiter")
    print(f"{'operation':<20} {'requests':>9} {'429s':>5} {'wall s':>8} {'per 10 s':>9}")
    ceiling = FakeIntercom(token=TOKEN, rate_limit=1_666, rate_window=10.0, latency=args.latency)
    limiter = RateLimiter()
    with ceiling.serve() as base_url:
        for operation in operations:
            run = measure(ceiling, base_url, operation, conversations, CEILING_IN_FLIGHT, limiter)
            rate = run.requests / run.wall * 10
            print(f"{operation:<20} {run.requests:>9,} {run.rate_limited:>5} {run.wall:>8.2f} "
                  f"{rate:>9,.0f}")  # fmt: skip
            assert run.rate_limited == 0, "the limiter let a 429 happen"


if __name__ == "__main__":
    main()
