"""effaced's planner and saga runner erase a subject from the sandbox, end to end.

The pieces are the real ones: SQLite files in ``tmp_path`` (the application's database with
effaced's outbox, and the audit trail in a file of its own), effaced's ``ErasurePlanner``,
``Outbox``, ``DatabaseAuditSink`` and ``SagaRunner``, and ``IntercomResolver`` behind
``as_effaced_resolver`` talking HTTP to ``FakeIntercom`` served on 127.0.0.1 with the
sandbox's demo workspace. Faults are injected at the fake; every assertion reads what effaced
stored (outbox rows, audit events) and what the fake received (its request log).

effaced has no clock to inject, so the runner's backoff is an hour and each round first moves
the retry gate of the entries that failed (``next_attempt_at``) to "now", as the hour passing
would: a round never waits, and one that finds nothing due fails at once.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import effaced
import pytest
from effaced import AuditEventType, OutboxStatus
from sqlalchemy import Engine, create_engine, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from dsr_resolvers.integrations.effaced import as_effaced_resolver
from dsr_resolvers.intercom import IntercomResolver
from dsr_resolvers.sandbox import DEFAULT_TOKEN, DemoWorkspace, seed_demo
from dsr_resolvers.testing import FakeIntercom

ROOT = Path(__file__).resolve().parents[1]
DELETE = "DELETE /contacts/{id}"
SUBJECT = "1"


class Base(DeclarativeBase):
    pass


class Customer(Base):
    """The application's own subject table, annotated for effaced."""

    __tablename__ = "customers"
    __table_args__ = {"info": effaced.subject_link("")}  # noqa: RUF012 - SQLAlchemy's hook

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(info=effaced.pii(effaced.PiiCategory.CONTACT))


TABLES = effaced.bind_tables(Base.metadata)


@dataclass
class Sandbox:
    fake: FakeIntercom
    demo: DemoWorkspace
    base_url: str


@dataclass
class Saga:
    """effaced wired as an application would wire it, around one adapted IntercomResolver."""

    engines: tuple[Engine, ...]
    sessions: sessionmaker[Any]
    intercom: IntercomResolver
    outbox: effaced.Outbox
    audit: effaced.DatabaseAuditSink
    planner: effaced.ErasurePlanner
    runner: effaced.SagaRunner

    def request_erasure(self, *contact_ids: str) -> None:
        """The customer asks to be forgotten: local erasure and outbox entries, one commit."""
        refs = tuple(effaced.SubjectRef(kind="intercom", value=cid) for cid in contact_ids)
        with self.sessions.begin() as session:
            self.planner.erase_subject(session, SUBJECT, refs=refs)

    async def next_round(self) -> int:
        """Let the backoff of every failed entry pass, then run one batch."""
        columns = TABLES.outbox.c
        with self.sessions.begin() as session:
            session.execute(
                update(TABLES.outbox)
                .where(columns.status == OutboxStatus.FAILED.value)
                .values(next_attempt_at=None)
            )
        processed = await self.runner.run_once()
        assert processed > 0, "no outbox entry was due"
        return processed

    def outbox_rows(self) -> list[dict[str, Any]]:
        columns = TABLES.outbox.c
        query = select(
            columns.ref_value, columns.status, columns.attempts, columns.last_error
        ).order_by(columns.ref_value)
        with self.sessions() as session:
            return [dict(row) for row in session.execute(query).mappings()]

    def trail(self) -> tuple[effaced.AuditEvent, ...]:
        return tuple(self.audit.read(SUBJECT))

    def customer_exists(self) -> bool:
        with self.sessions() as session:
            return session.get(Customer, 1) is not None


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    fake = FakeIntercom(DEFAULT_TOKEN)
    demo = seed_demo(fake)
    with fake.serve() as base_url:
        yield Sandbox(fake=fake, demo=demo, base_url=base_url)


def build_saga(
    tmp_path: Path, sandbox: Sandbox, *, token: str = DEFAULT_TOKEN, max_attempts: int = 8
) -> Saga:
    app_db = create_engine(f"sqlite:///{tmp_path / 'app.db'}")
    # SQLite admits one writer per file, and effaced commits audit events while the erasure's
    # own transaction is open: the trail lives in a second file.
    audit_db = create_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    Base.metadata.create_all(app_db, tables=[Base.metadata.tables["customers"], TABLES.outbox])
    TABLES.audit_events.create(audit_db)
    sessions = sessionmaker(app_db)
    with sessions.begin() as session:
        session.add(Customer(id=int(SUBJECT), email=sandbox.demo.shared_email))

    intercom = IntercomResolver(token, base_url=sandbox.base_url)
    registry = effaced.ResolverRegistry()
    registry.register(as_effaced_resolver(intercom))
    data_map = effaced.collect_data_map(Base.metadata)
    graph = effaced.resolve_subject_graph(data_map, Base.registry)
    outbox = effaced.Outbox(sessions, TABLES.outbox)
    audit = effaced.DatabaseAuditSink(sessionmaker(audit_db), TABLES.audit_events)
    planner = effaced.ErasurePlanner(
        data_map,
        graph,
        registry,
        executor=effaced.ErasureExecutor(Base.metadata),
        outbox=outbox,
        audit_sink=audit,
    )
    backoff = effaced.BackoffPolicy(
        base_delay=timedelta(hours=1), max_delay=timedelta(hours=1), lease=timedelta(seconds=30)
    )
    runner = effaced.SagaRunner(registry, outbox, audit, max_attempts=max_attempts, backoff=backoff)
    return Saga((app_db, audit_db), sessions, intercom, outbox, audit, planner, runner)


class MakeSaga(Protocol):
    def __call__(self, *, token: str = ..., max_attempts: int = ...) -> Saga: ...


@pytest.fixture
def make_saga(tmp_path: Path, sandbox: Sandbox) -> Iterator[MakeSaga]:
    built: list[Saga] = []

    def make(*, token: str = DEFAULT_TOKEN, max_attempts: int = 8) -> Saga:
        built.append(build_saga(tmp_path, sandbox, token=token, max_attempts=max_attempts))
        return built[-1]

    yield make
    for saga in built:
        for engine in saga.engines:
            engine.dispose()


@pytest.fixture
def saga(make_saga: MakeSaga) -> Saga:
    return make_saga()


def deletes(fake: FakeIntercom) -> list[tuple[str, int]]:
    """Each DELETE the fake received: the contact id it named and the status it answered."""
    return [(r.segments[-1], r.status) for r in fake.requests if r.route == DELETE]


def external_steps(trail: tuple[effaced.AuditEvent, ...]) -> list[dict[str, Any]]:
    return [
        dict(event.payload)
        for event in trail
        if event.event_type
        in (AuditEventType.ERASURE_STEP_SUCCEEDED, AuditEventType.ERASURE_STEP_FAILED)
        and event.payload.get("external") is True
    ]


async def test_runner_erases_through_a_429_and_a_503_then_records_success(
    saga: Saga, sandbox: Sandbox
) -> None:
    fake, demo = sandbox.fake, sandbox.demo
    fake.fail_next(429, route=DELETE)
    fake.fail_next(503, route=DELETE)
    saga.request_erasure(demo.user_id)
    assert not saga.customer_exists()
    assert saga.outbox_rows() == [
        {"ref_value": demo.user_id, "status": "pending", "attempts": 0, "last_error": None}
    ]

    assert await saga.next_round() == 1
    assert saga.outbox_rows() == [
        {
            "ref_value": demo.user_id,
            "status": "failed",
            "attempts": 1,
            "last_error": "RateLimitedError",
        }
    ]
    assert await saga.next_round() == 1
    assert saga.outbox_rows() == [
        {
            "ref_value": demo.user_id,
            "status": "failed",
            "attempts": 2,
            "last_error": "IntercomServerError",
        }
    ]
    assert await saga.next_round() == 1
    assert saga.outbox_rows() == [
        {"ref_value": demo.user_id, "status": "succeeded", "attempts": 3, "last_error": None}
    ]
    assert await saga.runner.run_once() == 0

    assert deletes(fake) == [(demo.user_id, 429), (demo.user_id, 503), (demo.user_id, 200)]
    # delete_contact lists the contact's conversations and tickets (ids for a read-back), then
    # sends the DELETE; nothing else
    assert {r.route for r in fake.requests} == {
        DELETE,
        "POST /conversations/search",
        "POST /tickets/search",
    }
    assert fake.contact(demo.user_id) is None
    assert fake.contact(demo.lead_id) is not None
    assert fake.contact(demo.bystander_id) is not None

    trail = saga.trail()
    assert Counter(event.event_type for event in trail) == {
        AuditEventType.ERASURE_REQUESTED: 1,
        AuditEventType.ERASURE_STEP_SUCCEEDED: 2,  # the local table, then Intercom
        AuditEventType.ERASURE_LOCAL_COMPLETED: 1,
        AuditEventType.ERASURE_COMPLETED: 1,
    }
    assert external_steps(trail) == [
        {
            "target": "intercom",
            "strategy": "delete",
            "external": True,
            "already_absent": False,
            "attempts": 3,
        }
    ]
    assert trail[-1].event_type is AuditEventType.ERASURE_COMPLETED
    assert saga.outbox.status_counts()[OutboxStatus.SUCCEEDED] == 1


async def test_erasure_by_email_reaches_the_user_and_the_lead_through_the_same_faults(
    saga: Saga, sandbox: Sandbox
) -> None:
    fake, demo = sandbox.fake, sandbox.demo
    matches = await saga.intercom.find_contacts(email=demo.shared_email)
    assert {match.id for match in matches} == {demo.user_id, demo.lead_id}
    fake.clear_log()
    fake.fail_next(429, route=DELETE)
    fake.fail_next(503, route=DELETE)
    saga.request_erasure(*(match.id for match in matches))

    # Both entries are claimed in one batch; each takes one of the two faults.
    assert await saga.next_round() == 2
    assert {row["status"] for row in saga.outbox_rows()} == {"failed"}
    assert {row["last_error"] for row in saga.outbox_rows()} == {
        "RateLimitedError",
        "IntercomServerError",
    }
    assert await saga.next_round() == 2
    assert [(row["status"], row["attempts"]) for row in saga.outbox_rows()] == [
        ("succeeded", 2),
        ("succeeded", 2),
    ]

    sent = deletes(fake)
    assert sorted(status for _, status in sent) == [200, 200, 429, 503]
    for contact in (demo.user_id, demo.lead_id):
        assert sorted(status for cid, status in sent if cid == contact)[0] == 200
        assert sum(cid == contact for cid, _ in sent) == 2
        assert fake.contact(contact) is None
    assert fake.contact(demo.bystander_id) is not None

    trail = saga.trail()
    assert [step["attempts"] for step in external_steps(trail)] == [2, 2]
    assert sum(e.event_type is AuditEventType.ERASURE_COMPLETED for e in trail) == 1


async def test_a_rejected_token_abandons_the_entry_after_one_attempt(
    make_saga: MakeSaga, sandbox: Sandbox
) -> None:
    saga = make_saga(token="revoked-token")
    saga.request_erasure(sandbox.demo.user_id)

    assert await saga.next_round() == 1
    assert saga.outbox_rows() == [
        {
            "ref_value": sandbox.demo.user_id,
            "status": "abandoned",
            "attempts": 1,
            "last_error": "ResolverError",
        }
    ]
    assert [entry.attempts for entry in saga.outbox.list_abandoned()] == [1]
    assert deletes(sandbox.fake) == []  # the first request (a search) was refused: no DELETE
    assert [r.status for r in sandbox.fake.requests] == [401]
    assert sandbox.fake.contact(sandbox.demo.user_id) is not None
    trail = saga.trail()
    assert external_steps(trail) == [
        {
            "target": "intercom",
            "strategy": "delete",
            "external": True,
            "error": "ResolverError",
            "attempts": 1,
            "abandoned": True,
        }
    ]
    assert AuditEventType.ERASURE_COMPLETED not in {event.event_type for event in trail}


async def test_an_outage_that_outlasts_max_attempts_is_abandoned_loudly(
    make_saga: MakeSaga, sandbox: Sandbox
) -> None:
    saga = make_saga(max_attempts=3)
    sandbox.fake.fail_route(DELETE, 503)
    saga.request_erasure(sandbox.demo.user_id)

    for _ in range(3):
        assert await saga.next_round() == 1
    assert saga.outbox_rows()[0]["status"] == "abandoned"
    assert saga.outbox_rows()[0]["attempts"] == 3
    assert deletes(sandbox.fake) == [(sandbox.demo.user_id, 503)] * 3
    assert external_steps(saga.trail())[0]["error"] == "IntercomServerError"
    assert await saga.runner.run_once() == 0


def test_the_guide_example_runs(tmp_path: Path) -> None:
    guide = (ROOT / "docs" / "guides" / "effaced.md").read_text(encoding="utf-8")
    program = guide.split("## A complete program", 1)[1]
    example = program.split("```python\n", 1)[1].split("```", 1)[0]
    script = tmp_path / "effaced_guide.py"
    script.write_text(example, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "incomplete: []" in result.stdout
    assert result.stdout.count("erasure_step_succeeded  target=intercom attempts=2") == 2
    assert "erasure_completed" in result.stdout
    assert "DELETE /contacts/{id} answered [200, 200, 429, 503]" in result.stdout
