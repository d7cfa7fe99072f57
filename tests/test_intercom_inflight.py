"""Requests in flight within one call, and cancellation that stops the call.

Counted at the fake (or at a transport wrapped around it): how many requests are on the wire at
once, what each call sends, and that nothing is sent after a cancelled call returned. Overlap
comes from a gate that holds requests until enough are on the wire, and cancellations come at
a chosen request, never after a delay: nothing here depends on how fast the machine is.
``asyncio.run`` joins the loop's worker threads before it returns, so a request a cancelled
call sent late is counted before the test compares counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsr_resolvers import SubjectRef
from dsr_resolvers.bulk import (
    Journal,
    RateLimiter,
    SubjectState,
    journal_key,
    parse_subjects,
    run_bulk,
)
from dsr_resolvers.intercom import IntercomResolver, IntercomServerError
from dsr_resolvers.testing import FakeIntercom
from dsr_resolvers.testing.strategies import World, worlds

TOKEN = "test-token"
REDACT = "POST /conversations/redact"
DELETE = "DELETE /contacts/{id}"
READ = "GET /conversations/{id}"


class Counting(httpx.BaseTransport):
    """FakeIntercom behind a transport that counts overlap and numbers every request.

    Args:
        fake: Answers the requests.
        together: Conversation reads are held until this many are on the wire at once; from
            then on every request goes straight through. A call that never reaches it fails
            the test (after a long guard), so a peak is reached by construction, not timing.
        fail_redaction: The redaction (1-based) answered with a 503.
        on_request: Called with each request's number (1-based) as it starts.
    """

    def __init__(
        self,
        fake: FakeIntercom,
        *,
        together: int = 1,
        fail_redaction: int = 0,
        on_request: Callable[[int], object] = lambda number: None,
    ) -> None:
        self.fake = fake
        self.together = together
        self.fail_redaction = fail_redaction
        self.on_request = on_request
        self.cond = threading.Condition()
        self.in_flight = self.most = self.redactions = self.reads = 0
        self.started: list[str] = []
        self.started_before_failure: int | None = None
        self.started_before_cancel: int | None = None

    def mark_cancel(self) -> None:
        with self.cond:
            self.started_before_cancel = len(self.started)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        route = f"{request.method} {request.url.path}"
        with self.cond:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
            self.started.append(route)
            number = len(self.started)
            if route == REDACT:
                self.redactions += 1
                fail = self.redactions == self.fail_redaction
            else:
                fail = False
            if route.startswith("GET /conversations/"):
                self.reads += 1
                if self.reads >= self.together:
                    self.together = 1
                    self.cond.notify_all()
                if not self.cond.wait_for(lambda: self.together == 1, timeout=60):  # a guard
                    self.together = 1
        self.on_request(number)
        try:
            if fail:
                with self.cond:
                    self.started_before_failure = len(self.started)
                return httpx.Response(503, request=request)
            return self.fake.handle_request(request)
        finally:
            with self.cond:
                self.in_flight -= 1


def heavy_contact(fake: FakeIntercom, conversations: int) -> str:
    contact_id = fake.add_contact(email="heavy@example.com", name="Heavy")
    for n in range(conversations):
        conversation = fake.add_conversation(contact_id, source_author="contact")
        fake.add_part(conversation, author="admin", body=f"<p>answer {n}</p>")
        fake.add_part(conversation, author="contact", body=f"<p>reply {n}</p>")
    return contact_id


def ref(contact_id: str) -> SubjectRef:
    return SubjectRef(kind="intercom", value=contact_id)


def unredacted_by(fake: FakeIntercom, contact_id: str) -> int:
    count = 0
    for conversation_id in fake.conversation_ids(contact_id):
        conversation = fake.conversation(conversation_id)
        messages = [
            conversation["source"],
            *conversation["conversation_parts"]["conversation_parts"],
        ]
        for message in messages:
            author = message.get("author") or {}
            if author.get("id") == contact_id and not message.get("redacted"):
                count += 1
    return count


# -- requests in flight ------------------------------------------------------------------------


@pytest.mark.parametrize("max_in_flight", [1, 3, 8])
def test_a_call_keeps_up_to_max_in_flight_requests_on_the_wire(max_in_flight: int) -> None:
    fake = FakeIntercom(TOKEN, rate_limit=None)
    contact_id = heavy_contact(fake, 30)
    wire = Counting(fake, together=max_in_flight)
    resolver = IntercomResolver(
        TOKEN, transport=wire, export_messages=True, max_in_flight=max_in_flight
    )
    asyncio.run(resolver.export_subject(ref(contact_id)))
    assert wire.most == max_in_flight
    assert resolver.max_in_flight == max_in_flight


class Hooks:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.before = self.after = 0

    def before_request(self, request: httpx.Request) -> None:
        with self.lock:
            self.before += 1

    def after_response(self, response: httpx.Response) -> None:
        with self.lock:
            self.after += 1


def test_hooks_see_every_request_and_the_contact_is_deleted_last() -> None:
    fake = FakeIntercom(TOKEN, rate_limit=None)
    contact_id = heavy_contact(fake, 40)
    hooks = Hooks()
    resolver = IntercomResolver(
        TOKEN, transport=fake, hooks=hooks, erasure_policy="redact_messages", max_in_flight=8
    )
    erasure = asyncio.run(resolver.erase_subject(ref(contact_id)))
    routes = [request.route for request in fake.requests]
    assert hooks.before == hooks.after == len(routes)
    assert routes.count(REDACT) == 80
    assert routes.count(READ) == 40
    assert routes[-1] == DELETE
    assert routes.count(DELETE) == 1
    assert erasure.detail is not None
    assert erasure.detail.startswith(
        "redacted 80 message(s) the contact wrote in 40 conversation(s) (0 already redacted)"
    )
    assert fake.contact(contact_id) is None


def test_a_fault_mid_concurrent_redactions_leaves_the_contact_and_a_rerun_converges() -> None:
    fake = FakeIntercom(TOKEN, rate_limit=None)
    contact_id = heavy_contact(fake, 30)
    wire = Counting(fake, together=6, fail_redaction=20)
    resolver = IntercomResolver(
        TOKEN, transport=wire, erasure_policy="redact_messages", max_in_flight=6
    )
    with pytest.raises(IntercomServerError):
        asyncio.run(resolver.erase_subject(ref(contact_id)))
    assert fake.contact(contact_id) is not None  # the irreversible step never came
    assert DELETE not in [request.route for request in fake.requests]
    assert wire.started_before_failure is not None
    started_after = wire.started[wire.started_before_failure :]
    assert len(started_after) < 6  # only requests already past the stop check went out
    assert unredacted_by(fake, contact_id) > 0

    rerun = IntercomResolver(TOKEN, transport=fake, erasure_policy="redact_messages")
    erasure = asyncio.run(rerun.erase_subject(ref(contact_id)))
    assert not erasure.already_absent
    assert fake.contact(contact_id) is None
    assert unredacted_by(fake, contact_id) == 0


def test_the_first_failure_of_a_concurrent_export_is_raised_after_the_others_settle() -> None:
    fake = FakeIntercom(TOKEN, rate_limit=None)
    contact_id = heavy_contact(fake, 30)
    fake.fail_next(502, route=READ)
    resolver = IntercomResolver(TOKEN, transport=fake, export_messages=True, max_in_flight=8)
    with pytest.raises(IntercomServerError, match="status=502"):
        asyncio.run(resolver.export_subject(ref(contact_id)))
    assert fake.count() < 2 + 30  # the others settled; nothing was started after them


@pytest.mark.parametrize("bad", [0, -1, True, 2.5])
def test_max_in_flight_must_be_a_whole_number_from_one(bad: object) -> None:
    with pytest.raises(ValueError, match="max_in_flight"):
        IntercomResolver(TOKEN, max_in_flight=bad)  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(world=worlds(max_contacts=3, max_conversations=10, max_parts=3), n=st.integers(1, 16))
def test_concurrent_and_sequential_calls_give_identical_results(world: World, n: int) -> None:
    def resolver(max_in_flight: int) -> IntercomResolver:
        return IntercomResolver(
            world.token,
            transport=world.fake,
            export_messages=True,
            erasure_policy="redact_messages",
            max_in_flight=max_in_flight,
        )

    async def everything(max_in_flight: int) -> list[object]:
        chosen = resolver(max_in_flight)
        out: list[object] = []
        for contact_id in world.contacts:
            out.append(await chosen.export_subject(world.ref(contact_id)))
            out.append(await chosen.plan_erasure(world.ref(contact_id)))
        return out

    sequential = asyncio.run(everything(1))
    concurrent = asyncio.run(everything(n))
    assert concurrent == sequential
    assert [e.model_dump_json() for e in concurrent] == [e.model_dump_json() for e in sequential]  # type: ignore[attr-defined]


# -- cancellation ------------------------------------------------------------------------------


def _cancel_at(at: int, work: Callable[[], Coroutine[Any, Any, object]], wire: Counting) -> int:
    """Start ``work``, cancel it as its ``at``-th request starts (if it gets that far); the
    request count at the fake when the cancelled (or finished) call returned."""

    async def scenario() -> int:
        loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(work())

        def cancel() -> None:
            task.cancel()
            # Marked once the task has taken its cancellation (the loop runs callbacks in
            # order): the call has stopped by then, and what starts later was past its check.
            loop.call_soon(wire.mark_cancel)

        wire.on_request = lambda number: number == at and loop.call_soon_threadsafe(cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return wire.fake.count()

    return asyncio.run(scenario())


@settings(max_examples=12, deadline=None)
@given(at=st.integers(1, 90), n=st.sampled_from([1, 4, 8]))
def test_a_cancelled_export_sends_nothing_after_the_cancel_returned(at: int, n: int) -> None:
    fake = FakeIntercom(TOKEN, rate_limit=None)
    contact_id = heavy_contact(fake, 40)
    wire = Counting(fake)
    resolver = IntercomResolver(TOKEN, transport=wire, export_messages=True, max_in_flight=n)
    sent = _cancel_at(at, lambda: resolver.export_subject(ref(contact_id)), wire)
    assert fake.count() == sent
    if wire.started_before_cancel is not None:
        # Only requests already past the stop check when the cancel was delivered may
        # start: at most one per thread of the call.
        assert len(wire.started) - wire.started_before_cancel <= n


@settings(max_examples=12, deadline=None)
@given(at=st.integers(1, 110), n=st.sampled_from([1, 4, 8]))
def test_a_cancelled_erasure_never_deletes_afterwards(at: int, n: int) -> None:
    fake = FakeIntercom(TOKEN, rate_limit=None)
    contact_id = heavy_contact(fake, 25)
    wire = Counting(fake)
    resolver = IntercomResolver(
        TOKEN, transport=wire, erasure_policy="redact_messages", max_in_flight=n
    )
    sent = _cancel_at(at, lambda: resolver.erase_subject(ref(contact_id)), wire)
    assert fake.count() == sent
    if fake.contact(contact_id) is None:  # deleted before the cancel came: after every redaction
        assert unredacted_by(fake, contact_id) == 0


def test_a_timed_out_call_returns_only_once_its_requests_are_done() -> None:
    fake = FakeIntercom(TOKEN, rate_limit=None, latency=0.01)
    contact_id = heavy_contact(fake, 60)
    resolver = IntercomResolver(TOKEN, transport=fake, export_messages=True, max_in_flight=4)

    async def scenario() -> int:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(resolver.export_subject(ref(contact_id)), 0.05)
        return fake.count()

    sent = asyncio.run(scenario())
    assert fake.count() == sent < 60  # 61 requests of 10 ms, 4 at a time, outlast 50 ms


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(at=st.integers(1, 150))
def test_a_cancelled_bulk_run_sends_nothing_after_it_returned(tmp_path: Path, at: int) -> None:
    fake = FakeIntercom(TOKEN, rate_limit=None)
    ids = [heavy_contact(fake, 6) for _ in range(8)]
    wire = Counting(fake)
    resolver = IntercomResolver(
        TOKEN, transport=wire, erasure_policy="redact_messages", max_in_flight=4
    )
    path = tmp_path / f"run-{at}.journal"
    with Journal(path, key=journal_key(secret=TOKEN)) as journal:
        limiter = RateLimiter()
        sent = _cancel_at(
            at,
            lambda: run_bulk(
                resolver, "erase", parse_subjects(ids), journal, limiter=limiter, concurrency=3
            ),
            wire,
        )
        assert fake.count() == sent
        counts = journal.counts()
    assert counts.get(SubjectState.FAILED, 0) == 0  # a cancellation is no failure
    assert counts.get(SubjectState.RUNNING, 0) == 0  # every subject in doubt is pending again
    for contact_id in ids:
        if fake.contact(contact_id) is None:
            assert unredacted_by(fake, contact_id) == 0


def test_many_in_flight_over_real_sockets_keep_their_connections(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # httpcore 1.0 closes "surplus" idle connections once a pool holds more than its keep-alive
    # limit (20 by default), even one just handed to another thread, which then reads a closed
    # socket (EBADF). The call sizes its pool to max_in_flight, so no connection is ever
    # closed under a request and none is opened beyond max_in_flight.
    fake = FakeIntercom(TOKEN, rate_limit=None, latency=0.05)
    contact_id = heavy_contact(fake, 200)
    with fake.serve() as base_url, caplog.at_level(logging.DEBUG, logger="httpcore.connection"):
        resolver = IntercomResolver(
            TOKEN, base_url=base_url, export_messages=True, max_in_flight=40
        )
        export = asyncio.run(resolver.export_subject(ref(contact_id)))
    opened = [r for r in caplog.records if r.getMessage().startswith("connect_tcp.started")]
    assert len(opened) <= 40  # without the sizing: about 190, a new one for most requests
    assert len(export.records) > 200
