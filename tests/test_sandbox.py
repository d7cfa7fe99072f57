"""The sandbox command and its seeded workspaces."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pydantic
import pytest

from dsr_resolvers.sandbox import DemoWorkspace, run_sandbox, seed_demo, seed_random
from dsr_resolvers.testing import FakeIntercom

BASE = "https://api.intercom.io"


def _first_lines(process: subprocess.Popen[str], count: int, timeout: float) -> list[str]:
    """Read ``count`` stdout lines, failing after ``timeout`` seconds instead of hanging."""
    stdout = process.stdout
    assert stdout is not None
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for _ in range(count):
            lines.put(stdout.readline().rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    try:
        return [lines.get(timeout=timeout) for _ in range(count)]
    except queue.Empty:
        raise AssertionError(f"the sandbox printed no {count} lines within {timeout} s") from None


@contextmanager
def sandbox(*args: str) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """Start ``python -m dsr_resolvers.sandbox`` and yield it with its first three lines."""
    process = subprocess.Popen(
        [sys.executable, "-m", "dsr_resolvers.sandbox", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = _first_lines(process, 3, timeout=20.0)
        yield process, lines
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_sandbox_serves_until_signalled(stop_signal: signal.Signals) -> None:
    with sandbox("--token", "tok-123") as (process, lines):
        assert lines[0].startswith("listening on http://127.0.0.1:")
        assert "tok-123" in lines[1]
        base_url = lines[0].removeprefix("listening on ")
        with httpx.Client(base_url=base_url, timeout=5.0) as http:
            listed = http.get("/contacts", headers={"Authorization": "Bearer tok-123"})
            refused = http.get("/contacts", headers={"Authorization": "Bearer nope"})
        assert listed.status_code == 200
        assert listed.json()["total_count"] == 5
        assert refused.status_code == 401
        process.send_signal(stop_signal)
        assert process.wait(timeout=10) == 0
        assert process.stderr is not None
        assert "Traceback" not in process.stderr.read()


def test_sandbox_random_world_with_default_token() -> None:
    with sandbox("--seed", "4", "--contacts", "7", "--rate", "off") as (process, lines):
        assert "sandbox-token" in lines[1]
        assert "random world 4" in lines[2]
        base_url = lines[0].removeprefix("listening on ")
        with httpx.Client(base_url=base_url, timeout=5.0) as http:
            response = http.get("/contacts", headers={"Authorization": "Bearer sandbox-token"})
        assert response.json()["total_count"] == 7
        assert "X-RateLimit-Limit" not in response.headers
        process.terminate()
        assert process.wait(timeout=10) == 0


@pytest.mark.parametrize(
    "argv",
    [["--rate", "fast"], ["--rate", "0/10"], ["--seed", "many"], ["--host", "10.1.2.3"]],
)
def test_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        run_sandbox(argv)
    assert exited.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_run_sandbox_stops_on_an_event(capsys: pytest.CaptureFixture[str]) -> None:
    stop = threading.Event()
    result: list[int] = []
    thread = threading.Thread(
        target=lambda: result.append(run_sandbox(["--rate", "5/1", "--token", "t"], stop=stop))
    )
    thread.start()
    try:
        for _ in range(100):
            if "listening on" in capsys.readouterr().out:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert result == [0]


def _client(fake: FakeIntercom) -> httpx.Client:
    return httpx.Client(
        transport=fake, base_url=BASE, headers={"Authorization": "Bearer test-token"}
    )


def test_the_demo_holds_the_awkward_cases() -> None:
    fake = FakeIntercom()
    demo = seed_demo(fake)

    with _client(fake) as http:
        shared = http.post(
            "/contacts/search",
            json={"query": {"field": "email", "operator": "=", "value": demo.shared_email}},
        ).json()
        found = http.post(
            "/conversations/search",
            json={"query": {"field": "contact_ids", "operator": "=", "value": demo.user_id}},
        ).json()

    assert {(c["id"], c["role"]) for c in shared["data"]} == {
        (demo.user_id, "user"),
        (demo.lead_id, "lead"),
    }
    assert {c["id"] for c in found["conversations"]} == set(demo.user_conversation_ids)
    welcome = fake.conversation(demo.admin_started_conversation_id)
    assert welcome["source"]["author"]["type"] == "admin"
    group = fake.conversation(demo.group_conversation_id)
    assert [c["id"] for c in group["contacts"]["contacts"]] == [demo.bystander_id, demo.user_id]
    parts = [
        part
        for conversation_id in demo.user_conversation_ids
        for part in fake.conversation(conversation_id)["conversation_parts"]["conversation_parts"]
    ]
    assert any(p["body"] is None for p in parts)
    assert {p["author"]["type"] for p in parts} >= {"user", "admin"}
    lead_parts = fake.conversation(demo.lead_conversation_ids[0])["conversation_parts"]
    assert {p["author"]["type"] for p in lead_parts["conversation_parts"]} == {"bot", "lead"}
    user = fake.contact(demo.user_id)
    assert user is not None
    assert user["external_id"] == demo.user_external_id
    assert user["custom_attributes"]["plan"] == "pro"
    assert user["notes"]["total_count"] == 2
    assert user["companies"]["data"][0]["id"] == demo.company_id
    anonymous = fake.contact(demo.anonymous_lead_id)
    assert anonymous is not None
    assert anonymous["email"] == ""
    assert fake.ticket_ids(demo.user_id) == (demo.ticket_id,)
    assert fake.event_names(demo.user_id) == ("logged-in", "logged-in", "exported-invoice")


def test_the_demo_is_the_same_every_time() -> None:
    first, second = FakeIntercom(), FakeIntercom()
    assert seed_demo(first) == seed_demo(second)
    demo = seed_demo(FakeIntercom())
    assert first.contact(demo.user_id) == second.contact(demo.user_id)


def test_demo_workspace_is_frozen_and_strict() -> None:
    demo = seed_demo(FakeIntercom())
    with pytest.raises(pydantic.ValidationError):
        demo.user_id = "other"  # type: ignore[misc]  # frozen: what the test checks
    fields: dict[str, Any] = demo.model_dump()
    with pytest.raises(pydantic.ValidationError):
        DemoWorkspace.model_validate({**fields, "surprise": True})


def test_random_worlds_follow_their_seed() -> None:
    def world(seed: int) -> list[dict[str, Any] | None]:
        fake = FakeIntercom(seed=seed)
        return [fake.contact(cid) for cid in seed_random(fake, seed, contacts=30)]

    assert world(11) == world(11)
    assert world(11) != world(12)
    emails = [contact["email"] for contact in world(11) if contact is not None]
    assert len(emails) == 30
    assert len(set(emails)) < len(emails)  # some leads share a user's email


def test_two_workspaces_hold_one_person_and_print_their_workspaces_file() -> None:
    with sandbox("--workspaces", "2") as (process, lines):
        urls = [line.removeprefix("listening on ") for line in lines[:2]]
        assert all(url.startswith("http://127.0.0.1:") for url in urls)
        more = _first_lines(process, 3, timeout=20.0)
        path = next(line for line in more if line.startswith("workspaces file: "))
        path = path.removeprefix("workspaces file: ").split(" (")[0]
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        assert all(f'base_url = "{url}"' in text for url in urls)
        assert "sandbox-token" not in text  # the file names variables, never a token
        auth = {"Authorization": "Bearer sandbox-token"}
        held = []
        for url in urls:
            with httpx.Client(base_url=url, timeout=5.0) as http:
                found = http.get("/contacts/find_by_external_id/cust-1001", headers=auth)
                held.append(found.json())
        assert [c["email"] or None for c in held] == ["sam.rivera@example.com", None]
        assert held[1]["phone"] == "+44 20 7946 0958"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_two_workspaces_serve_the_demo_only() -> None:
    with pytest.raises(SystemExit):
        run_sandbox(["--workspaces", "2", "--seed", "3"])
