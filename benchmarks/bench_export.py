"""Export cost against the sandbox on loopback: requests and wall time by conversation count.

For a contact in 0, 150, 1,500 and 15,000 conversations (each with a reply from the contact and
one from an admin), export the core metadata (``sections=["conversations"]``) and the same with
messages (``export_messages=True``), against FakeIntercom served on 127.0.0.1, and print the
request count, the count the docs promise and the wall time (memory is not traced here:
tracemalloc would slow the client many times over; the bulk benchmark reports peak memory).

Run: ``just bench`` or ``python benchmarks/bench_export.py [--quick]``.
Loopback only, bounded by the sizes; asserts nothing about time (the request counts are
checked, since a wrong count is a bug, not a slow machine).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time

from dsr_resolvers import SubjectRef
from dsr_resolvers.intercom import IntercomResolver
from dsr_resolvers.testing import FakeIntercom

TOKEN = "bench-token"


def expected_requests(conversations: int, *, messages: bool) -> int:
    return 1 + max(1, math.ceil(conversations / 150)) + (conversations if messages else 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="stop at 1,500 conversations")
    args = parser.parse_args()
    sizes = [0, 150, 1_500] if args.quick else [0, 150, 1_500, 15_000]

    fake = FakeIntercom(token=TOKEN, rate_limit=None)
    contacts = {}
    for size in sizes:
        contact_id = fake.add_contact(email=f"bench-{size}@example.com", name="Bench")
        for _ in range(size):
            conversation = fake.add_conversation(contact_id, source_author="contact")
            fake.add_part(conversation, author="contact", body="<p>reply</p>")
            fake.add_part(conversation, author="admin", body="<p>answer</p>")
        contacts[size] = contact_id

    print(f"{'conversations':>13} {'mode':<10} {'requests':>9} {'expected':>9} {'wall s':>8} "
          f"{'records':>8}")  # fmt: skip
    with fake.serve() as base_url:
        for size in sizes:
            for messages in (False, True):
                resolver = IntercomResolver(
                    TOKEN, base_url=base_url, sections=["conversations"], export_messages=messages
                )
                ref = SubjectRef(kind="intercom", value=contacts[size])
                before = fake.count()
                started = time.perf_counter()
                export = asyncio.run(resolver.export_subject(ref))
                wall = time.perf_counter() - started
                requests = fake.count() - before
                expected = expected_requests(size, messages=messages)
                assert requests == expected, (size, messages, requests, expected)
                mode = "messages" if messages else "metadata"
                print(f"{size:>13,} {mode:<10} {requests:>9,} {expected:>9,} {wall:>8.2f} "
                      f"{len(export.records):>8,}")  # fmt: skip


if __name__ == "__main__":
    main()
