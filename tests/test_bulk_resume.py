"""Killed runs resume: nothing finished is redone, nothing unfinished is lost.

A kill is simulated in-process by a transport that raises a ``BaseException`` at a chosen
DELETE and refuses every request after it (a dead process sends nothing more), and for real by
SIGKILLing a child process mid-run against FakeIntercom served on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsr_resolvers.bulk import (
    BulkReport,
    ContactOutcome,
    Journal,
    RateLimiter,
    SubjectState,
    journal_key,
    parse_subjects,
    read_subjects,
    run_bulk,
)
from dsr_resolvers.intercom import ErasurePolicy, IntercomResolver
from dsr_resolvers.testing import FakeIntercom

TOKEN = "test-token"
DELETE = "DELETE /contacts/{id}"
KEY = journal_key(secret=TOKEN)


class Killed(BaseException):
    """The process died here. Not an ``Exception``, so nothing retries it."""


class KillSwitch(httpx.BaseTransport):
    """Forwards to the fake until the ``deletes``-th DELETE, then dies and stays dead."""

    def __init__(self, inner: FakeIntercom, deletes: int) -> None:
        self.inner = inner
        self.left = deletes
        self.dead = False
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            if not self.dead and request.method == "DELETE":
                if self.left == 0:
                    self.dead = True
                else:
                    self.left -= 1
            if self.dead:
                raise Killed
        return self.inner.handle_request(request)


def successful_deletes(fake: FakeIntercom) -> Counter[str]:
    return Counter(r.segments[1] for r in fake.requests if r.route == DELETE and r.status == 200)


async def erase(
    transport: httpx.BaseTransport, lines: list[str], journal: Journal, concurrency: int
) -> None:
    await run_bulk(
        IntercomResolver(TOKEN, transport=transport),
        "erase",
        parse_subjects(lines),
        journal,
        concurrency=concurrency,
    )


@settings(max_examples=30, deadline=None)
@given(
    subjects=st.integers(min_value=1, max_value=20),
    kill_after=st.integers(min_value=0, max_value=30),
    concurrency=st.integers(min_value=1, max_value=6),
    by_email=st.booleans(),
)
def test_property_any_kill_point_then_resume_deletes_each_contact_exactly_once(
    subjects: int, kill_after: int, concurrency: int, by_email: bool
) -> None:
    fake = FakeIntercom(TOKEN)
    contacts: list[str] = []
    lines = []
    for i in range(subjects):
        email = f"person{i}@example.com"
        ids = [fake.add_contact(email=email, role="user")]
        if i % 3 == 0:  # a user and a lead share the address: erasure must reach both
            ids.append(fake.add_contact(email=email, role="lead"))
        contacts.extend(ids)
        lines.extend([email] if by_email else ids)

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "run.journal"
        with Journal(path, key=KEY) as journal, contextlib.suppress(Killed):
            asyncio.run(erase(KillSwitch(fake, kill_after), lines, journal, concurrency))
        with Journal(path, key=KEY) as journal:
            asyncio.run(erase(fake, lines, journal, concurrency))
            report = journal.report()

    assert fake.contact_ids() == ()
    assert successful_deletes(fake) == Counter(contacts)
    assert fake.count(DELETE) <= len(contacts) + concurrency
    assert all(s.state is SubjectState.DONE for s in report.subjects)
    reached = [c.contact_id for s in report.subjects for c in s.contacts]
    assert sorted(reached) == sorted(contacts)


T = TypeVar("T")


class Death:
    """One process: it dies at its ``at``-th step (a request or a journal write), before or
    after doing it (after: the step happened, its answer or commit is lost), and then every
    later step dies too."""

    def __init__(self, at: int, *, after: bool) -> None:
        self.left = at
        self.after = after
        self.dead = False
        self.lock = threading.Lock()

    def step(self, action: Callable[[], T]) -> T:
        with self.lock:
            if self.dead:
                raise Killed
            dies_now = self.left == 0
            self.left -= 1
            if dies_now:
                self.dead = True
                if not self.after:
                    raise Killed
        result = action()
        if dies_now:
            raise Killed
        return result


class DyingTransport(httpx.BaseTransport):
    def __init__(self, inner: FakeIntercom, death: Death) -> None:
        self.inner = inner
        self.death = death

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.death.step(lambda: self.inner.handle_request(request))


class DyingJournal(Journal):
    death: Death | None = None

    def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        if self.death is None:
            super()._write(sql, params)
        else:
            self.death.step(lambda: super(DyingJournal, self)._write(sql, params))


def kill_then_resume(
    fake: FakeIntercom,
    lines: list[str],
    policy: ErasurePolicy,
    death: Death,
    path: Path,
    *,
    max_in_flight: int = 8,
) -> tuple[set[str], BulkReport]:
    """A bulk erasure that dies as ``death`` says, resumed with the same journal: the contacts
    left in doubt (``requested``) by the kill, and the report after the resumed run."""
    with DyingJournal(path, key=KEY) as journal, contextlib.suppress(Killed):
        journal.death = death
        transport = DyingTransport(fake, death)
        dying = IntercomResolver(
            TOKEN, transport=transport, erasure_policy=policy, max_in_flight=max_in_flight
        )
        asyncio.run(run_bulk(dying, "erase", parse_subjects(lines), journal, concurrency=2))
    with Journal(path, key=KEY) as journal:
        in_doubt = {
            c.contact_id
            for s in journal.report().subjects
            for c in s.contacts
            if c.result == "requested"
        }
        resolver = IntercomResolver(TOKEN, transport=fake, erasure_policy=policy)
        asyncio.run(run_bulk(resolver, "erase", parse_subjects(lines), journal, concurrency=2))
        return in_doubt, journal.report()


@settings(max_examples=40, deadline=None)
@given(
    at=st.integers(min_value=0, max_value=120),
    after=st.booleans(),
    policy=st.sampled_from(["delete_contact", "redact_messages", "delete_conversations"]),
)
def test_property_a_kill_at_any_step_then_resume_names_every_contact_and_who_deleted_it(
    at: int, after: bool, policy: ErasurePolicy
) -> None:
    """Kill between any two steps (lookup, each redaction, DELETE, each journal write), resume:
    every subject is done, names every contact it had, and calls each one this journal
    deleted "deleted", never "already_absent"; only the contact gone before the run is."""
    fake = FakeIntercom(TOKEN)
    owned: dict[str, set[str]] = {}
    for i in range(4):
        email = f"person{i}@example.com"
        ids = {fake.add_contact(email=email, role="user")}
        if i % 2 == 0:
            ids.add(fake.add_contact(email=email, role="lead"))
        for contact_id in ids:
            conversation = fake.add_conversation(contact_id)
            fake.add_part(conversation)
        owned[email] = ids
    lines = [*owned, "6650d1c2e4b0a1b2c3d4e5f6"]  # an id Intercom never had: gone before the run
    bystander = fake.add_contact(email="bystander@example.com")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "run.journal"
        in_doubt, report = kill_then_resume(fake, lines, policy, Death(at, after=after), path)
    assert fake.contact_ids() == (bystander,)
    by_line = {s.line: s for s in report.subjects}
    for line, email in enumerate(owned, start=1):
        subject = by_line[line]
        assert subject.state is SubjectState.DONE
        assert subject.result == "erased"
        assert {c.contact_id for c in subject.contacts} == owned[email]
        assert {c.result for c in subject.contacts} == {"deleted"}
    # The id Intercom never had is "already_absent", unless the kill left its erasure in doubt
    # ("requested": sent or about to be, no answer recorded). A 404 then cannot be told from
    # the echo of this journal's own deletion, and the journal, having asked, says "deleted".
    never_had = by_line[len(owned) + 1]
    expected = "erased" if lines[-1] in in_doubt else "already_absent"
    assert never_had.result == expected


@settings(max_examples=40, deadline=None)
@given(at=st.integers(min_value=0, max_value=90), after=st.booleans())
def test_property_a_kill_at_any_step_of_delete_conversations_repeats_and_skips_no_deletion(
    at: int, after: bool
) -> None:
    """Kill between any two steps of ``delete_conversations`` (each search, read, redaction,
    each announced deletion's journal write, each DELETE), resume: every conversation and
    ticket only the person was in received exactly one DELETE, the shared ones stay with the
    person's messages redacted, and the journal names every id each contact's erasure found."""
    fake = FakeIntercom(TOKEN)
    other = fake.add_contact(email="other@example.com")
    lone: set[str] = set()
    shared: set[str] = set()
    found: dict[str, set[str]] = {}
    lines = []
    for i in range(3):
        person = fake.add_contact(email=f"person{i}@example.com")
        lines.append(person)
        mine = [fake.add_conversation(person) for _ in range(2)]
        ticket = fake.add_ticket(person)
        together = fake.add_conversation(person)
        fake.add_part(together, author=other)
        lone.update([*mine, ticket])
        shared.add(together)
        found[person] = {*mine, ticket, together}
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "run.journal"
        death = Death(at, after=after)
        _, report = kill_then_resume(
            fake, lines, "delete_conversations", death, path, max_in_flight=2
        )
    item_deletes = Counter(
        r.segments[1]
        for r in fake.requests
        if r.route in ("DELETE /conversations/{id}", "DELETE /tickets/{id}")
    )
    assert item_deletes == Counter(lone)  # each exactly once: none repeated, none skipped
    assert fake.contact_ids() == (other,)
    assert set(fake.conversation_ids(other)) == shared
    for conversation_id in shared:
        source = fake.conversation(conversation_id)["source"]
        assert source["redacted"] is True
    for subject in report.subjects:
        assert subject.state is SubjectState.DONE
        (contact,) = subject.contacts
        assert contact.result == "deleted"
        assert {i for ids in contact.found.values() for i in ids} == found[contact.contact_id]


async def test_a_kill_between_two_contacts_of_one_address_loses_neither(tmp_path: Path) -> None:
    fake = FakeIntercom(TOKEN)
    ids = [fake.add_contact(email="ada@example.com", role=r) for r in ("user", "lead", "lead")]
    path = tmp_path / "run.journal"
    with Journal(path, key=KEY) as journal:
        with pytest.raises(Killed):
            await erase(KillSwitch(fake, 1), ["ada@example.com"], journal, 1)
        (row,) = journal.report().subjects
        assert row.state is SubjectState.RUNNING
        # Every id the address resolved to was journalled before the first DELETE; the one
        # whose DELETE was under way when the process died is "requested": in doubt.
        assert row.contacts == (
            ContactOutcome(contact_id=ids[0], result="deleted"),
            ContactOutcome(contact_id=ids[1], result="requested"),
            ContactOutcome(contact_id=ids[2], result="found"),
        )
    with Journal(path, key=KEY) as journal:
        await erase(fake, ["ada@example.com"], journal, 1)
        (row,) = journal.report().subjects
    assert row.state is SubjectState.DONE
    assert row.result == "erased"
    assert [(c.contact_id, c.result) for c in row.contacts] == [(i, "deleted") for i in ids]
    assert row.attempts == 2
    assert fake.count(DELETE) == 3


CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from dsr_resolvers.bulk import Journal, RateLimiter, journal_key, read_subjects, run_bulk
    from dsr_resolvers.intercom import ErasurePolicy, IntercomResolver

    base_url, subjects, journal_path = sys.argv[1:4]
    policy = sys.argv[4] if len(sys.argv) > 4 else "delete_contact"
    limiter = RateLimiter()
    resolver = IntercomResolver(
        "test-token", base_url=base_url, hooks=limiter, erasure_policy=policy
    )

    async def main():
        with Journal(journal_path, key=journal_key(secret="test-token")) as journal:
            await run_bulk(
                resolver, "erase", read_subjects(subjects), journal,
                limiter=limiter, concurrency=8,
            )

    asyncio.run(main())
    """
)


def signal_when(
    fake: FakeIntercom, process: subprocess.Popen[Any], signum: int, reached: Callable[[], bool]
) -> None:
    """Send ``signum`` to the running ``process`` once ``reached`` holds.

    The fake re-checks ``reached`` as it receives and answers each request; the process's death
    closes its connections, so one that ends early ends the wait too, and fails here.
    """
    assert fake.wait_for(lambda: reached() or process.poll() is not None), "never got there"
    assert process.poll() is None, process.communicate(timeout=60)[1]
    process.send_signal(signum)


def kill_when(
    fake: FakeIntercom, child: subprocess.Popen[bytes], reached: Callable[[], bool]
) -> None:
    """SIGKILL ``child`` once ``reached`` holds, then let the requests it had in flight land:
    once the fake holds no connection, every request the child sent was answered or died."""
    signal_when(fake, child, signal.SIGKILL, reached)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL, stderr.decode(errors="replace")[-2000:]
    assert fake.wait_for(lambda: fake.open_connections == 0)


def test_sigkill_mid_run_then_resume(tmp_path: Path) -> None:
    """200 addresses; the child is SIGKILLed after 100 DELETEs; a second run finishes."""
    fake = FakeIntercom(TOKEN, latency=0.01)
    emails = [f"subject{i}@example.com" for i in range(200)]
    ids = [fake.add_contact(email=email) for email in emails]
    subjects = tmp_path / "subjects.txt"
    subjects.write_text("\n".join(emails) + "\n")
    journal_path = tmp_path / "erase.journal"

    with fake.serve() as base_url:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, base_url, str(subjects), str(journal_path)],
            cwd=Path(__file__).resolve().parent.parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        kill_when(fake, child, lambda: fake.count(DELETE) >= 100)
        at_kill = fake.count(DELETE)
        assert 100 <= at_kill < 200

        limiter = RateLimiter()
        with Journal(journal_path, key=KEY) as journal:
            interrupted = journal.counts()
            assert interrupted.get(SubjectState.DONE, 0) >= 90
            summary = asyncio.run(
                run_bulk(
                    IntercomResolver(TOKEN, base_url=base_url, hooks=limiter),
                    "erase",
                    read_subjects(subjects),
                    journal,
                    limiter=limiter,
                    concurrency=8,
                )
            )
            report = journal.report()

    assert summary.ok
    assert summary.skipped == interrupted[SubjectState.DONE]
    assert summary.skipped + summary.done == 200
    assert fake.contact_ids() == ()
    assert successful_deletes(fake) == Counter(ids)
    assert fake.count(DELETE) <= 200 + 8
    assert all(s.state is SubjectState.DONE for s in report.subjects)
    # Every subject names its contact, and every contact this journal deleted says so, even
    # those whose DELETE was in flight at the kill (their retry met a 404).
    assert [c.contact_id for s in report.subjects for c in s.contacts] == ids
    assert {c.result for s in report.subjects for c in s.contacts} == {"deleted"}
    # The journal stayed private and never held an address, before or after the kill.
    journal_files = [p for p in tmp_path.iterdir() if p.name.startswith("erase.journal")]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in journal_files)
    blob = b"".join(p.read_bytes() for p in journal_files)
    assert not any(email.encode() in blob for email in emails)
    assert b"example.com" not in blob


@pytest.mark.parametrize(
    ("route", "at"),
    [
        ("POST /contacts/search", 7),  # between lookups
        ("POST /conversations/redact", 5),  # between two redactions of one contact
        ("POST /conversations/redact", 23),
        (DELETE, 3),  # between the redactions and the DELETE of others
    ],
)
def test_sigkill_between_any_two_steps_under_redact_messages_then_resume(
    tmp_path: Path, route: str, at: int
) -> None:
    """A real SIGKILL at chosen points of a redact-then-delete run; the resumed run names every
    contact of every address, each "deleted", and leaves none of them in Intercom."""
    fake = FakeIntercom(TOKEN, latency=0.01)
    owned: dict[str, set[str]] = {}
    for i in range(12):
        email = f"subject{i}@example.com"
        ids = {
            fake.add_contact(email=email, role="user"),
            fake.add_contact(email=email, role="lead"),
        }
        for contact_id in ids:
            fake.add_part(fake.add_conversation(contact_id))
        owned[email] = ids
    bystander = fake.add_contact(email="bystander@example.com")
    subjects = tmp_path / "subjects.txt"
    subjects.write_text("\n".join(owned) + "\n")
    journal_path = tmp_path / "erase.journal"

    with fake.serve() as base_url:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, base_url, str(subjects), str(journal_path),
             "redact_messages"],
            cwd=Path(__file__).resolve().parent.parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        kill_when(fake, child, lambda: fake.count(route) >= at)
        assert fake.count(route) >= at
        assert len(fake.contact_ids()) > 1  # killed mid-run: work was left

        with Journal(journal_path, key=KEY) as journal:
            asyncio.run(
                run_bulk(
                    IntercomResolver(TOKEN, base_url=base_url, erasure_policy="redact_messages"),
                    "erase", read_subjects(subjects), journal, concurrency=8,
                )
            )  # fmt: skip
            report = journal.report()

    assert fake.contact_ids() == (bystander,)
    for subject, email in zip(report.subjects, owned, strict=True):
        assert subject.state is SubjectState.DONE
        assert {c.contact_id for c in subject.contacts} == owned[email]
        assert {c.result for c in subject.contacts} == {"deleted"}
