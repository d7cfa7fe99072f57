"""``dsr`` as a program: help texts, ``dsr demo``, ``dsr sandbox`` and the confirmation prompt.

The prompt and the sandbox need what CliRunner cannot give: a real terminal on stdin (a pty)
and signals. Those tests start ``python -m dsr_resolvers.cli`` as a subprocess, bounded by
timeouts, against FakeIntercom on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import pty
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import get_args

import httpx
import pytest

from dsr_resolvers.intercom import ErasurePolicy
from tests.test_cli import _BASE_ENV, TOKEN, World, dsr, one_error, served_world

COMMANDS = [
    [],
    ["intercom"],
    ["intercom", "check"],
    ["intercom", "lookup"],
    ["intercom", "export"],
    ["intercom", "erase"],
    ["intercom", "verify"],
    ["intercom", "rectify"],
    ["intercom", "surface"],
    ["intercom", "bulk"],
    ["intercom", "bulk", "erase"],
    ["intercom", "bulk", "export"],
    ["intercom", "bulk", "status"],
    ["sandbox"],
    ["demo"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "dsr")
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    result = dsr(*command, "--help")

    assert result.exit_code == 0
    assert "Usage: dsr" in result.stdout
    assert "Example" in result.stdout
    assert "$ dsr" in result.stdout


def test_demo_runs_the_whole_request_without_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the kept deliverables go here

    result = dsr("demo", env={"INTERCOM_ACCESS_TOKEN": None})

    assert result.exit_code == 0, result.output
    text = result.stdout
    for step in (
        "Step 1 of 4: find every contact with the email",
        "Step 2 of 4: export everything held",
        "Step 3 of 4: erase both contacts",
        "Step 4 of 4: verify nothing is left",
        "Dry run under policy redact_messages: nothing was changed.",
        "Demo complete",
        "export INTERCOM_ACCESS_TOKEN=",
        "dsr intercom erase --email ada@example.com --policy redact_messages",
    ):
        assert step in text
    assert text.count("erased") >= 2
    assert "sam.rivera@example.com" in text
    assert [p.name[:22] for p in tmp_path.iterdir()] == ["dsr-demo-deliverables-"]


def _child_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _BASE_ENV}
    env.update({key: value for key, value in _BASE_ENV.items() if value is not None})
    env.update(extra)
    return env


def _dsr_process(*args: str) -> list[str]:
    return [sys.executable, "-m", "dsr_resolvers.cli", *args]


def test_demo_as_a_program_exits_0(tmp_path: Path) -> None:
    env = _child_env(TMPDIR=str(tmp_path))  # the kept deliverables go where pytest cleans up
    env.pop("INTERCOM_ACCESS_TOKEN")
    completed = subprocess.run(
        _dsr_process("demo"), env=env, capture_output=True, text=True, timeout=60, check=False
    )

    assert completed.returncode == 0, completed.stderr
    assert "Demo complete" in completed.stdout
    assert completed.stderr == ""


@contextmanager
def _terminal_stdin() -> Iterator[tuple[int, int]]:
    controller, terminal = pty.openpty()
    try:
        yield controller, terminal
    finally:
        for fd in (controller, terminal):
            with suppress(OSError):
                os.close(fd)


def _erase_on_a_terminal(world: World, answer: bytes) -> subprocess.CompletedProcess[str]:
    args = ("intercom", "erase", "--email", world.demo.shared_email, "--base-url", world.url)
    with _terminal_stdin() as (controller, terminal):
        process = subprocess.Popen(
            _dsr_process(*args),
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_child_env(),
            text=True,
        )
        os.write(controller, answer)
        stdout, stderr = process.communicate(timeout=60)
    for stream in (stdout, stderr):
        assert TOKEN not in stream
        assert "Traceback" not in stream
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_the_prompt_answered_no_erases_nothing() -> None:
    with served_world() as world:
        completed = _erase_on_a_terminal(world, b"n\n")

        assert completed.returncode == 1
        assert "Erase 2 Intercom contact(s)" in completed.stderr
        assert world.demo.user_id in completed.stderr
        assert "Aborted: nothing was erased." in completed.stderr
        assert world.fake.count("DELETE /contacts/{id}") == 0
        assert world.fake.contact(world.demo.user_id) is not None


def test_the_prompt_answered_yes_erases_the_user_and_the_lead() -> None:
    with served_world() as world:
        completed = _erase_on_a_terminal(world, b"y\n")

        assert completed.returncode == 0, completed.stderr
        assert world.fake.contact(world.demo.user_id) is None
        assert world.fake.contact(world.demo.lead_id) is None


def test_sandbox_serves_until_interrupted() -> None:
    process = subprocess.Popen(
        _dsr_process("sandbox", "--port", "0", "--token", "t0k", "--rate", "off"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_child_env(),
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("listening on http://127.0.0.1:")
        base_url = first.removeprefix("listening on ").strip()
        answer = httpx.post(
            f"{base_url}/contacts/search",
            json={"query": {"field": "email", "operator": "=", "value": "sam.rivera@example.com"}},
            headers={"Authorization": "Bearer t0k"},
            timeout=10,
        )
        assert answer.status_code == 200
        assert len(answer.json()["data"]) == 2
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        pytest.param(["--rate", "fast"], "--rate", id="rate"),
        pytest.param(["--seed", "x"], "--seed", id="seed"),
        pytest.param(["--port", "70000"], "--port", id="port"),
        pytest.param(["--host", "192.0.2.1"], "loopback", id="host"),
    ],
)
def test_sandbox_rejects_bad_options_in_one_line(arguments: list[str], expected: str) -> None:
    result = dsr("sandbox", *arguments)

    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert expected in result.stderr


def test_sandbox_on_a_busy_port_says_error_and_exits_2() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        result = dsr("sandbox", "--port", str(port))

    assert result.exit_code == 2
    assert one_error(result) == f"error: cannot listen on 127.0.0.1:{port}: Address already in use"


def test_policies_are_spelt_one_way_in_help_completion_json_and_surface() -> None:
    """The CLI keeps no list or spelling of its own: --policy offers ErasurePolicy as it is."""
    policies = get_args(ErasurePolicy)
    help_text = dsr("intercom", "erase", "--help").stdout
    assert f"[{'|'.join(policies)}]" in help_text
    completion = dsr(
        env={"_DSR_COMPLETE": "complete_bash", "COMP_WORDS": "dsr intercom erase --policy ",
             "COMP_CWORD": "4"},
    )  # fmt: skip
    assert completion.stdout.split() == list(policies)
    for policy in policies:
        surface = dsr("intercom", "surface", "--policy", policy, "--format", "json")
        assert surface.exit_code == 0, surface.output
        assert json.loads(surface.stdout)["erasure"]["policy"] == policy
        assert f"under {policy}" in dsr("intercom", "surface", "--policy", policy).stdout
        alias = dsr("intercom", "surface", "--policy", policy.replace("_", "-"), "--format", "json")
        assert json.loads(alias.stdout)["erasure"]["policy"] == policy  # typed with a hyphen
    refused = dsr("intercom", "surface", "--policy", "shred")
    assert refused.exit_code == 2
    assert "use one of delete_contact, redact_messages" in refused.output


def test_the_choices_the_cli_repeats_are_the_librarys() -> None:
    """--help is built without importing the library, so its choices are literals: never drifted."""
    from dsr_resolvers import PiiCategory
    from dsr_resolvers._bundle import ExportFormat
    from dsr_resolvers.cli import _options
    from dsr_resolvers.report import LANGUAGES

    assert get_args(_options.ErasurePolicy) == get_args(ErasurePolicy)
    assert tuple(category.value for category in PiiCategory) == _options.CATEGORIES
    assert [f.value for f in _options.ExportFormat] == [f.value for f in ExportFormat]
    assert "--language en|de" in dsr("intercom", "export", "--help").stdout
    assert tuple(LANGUAGES) == ("en", "de")


# What starting dsr must not load: the library's heavy parts, and what only a running command
# needs (pydantic and pydantic-settings for settings and the contract, Rich for printing).
_NOT_AT_START = (
    *(f"dsr_resolvers.{part}" for part in ("bulk", "intercom", "report", "sandbox", "testing")),
    "dsr_resolvers.contract",
    "pydantic",
    "pydantic_core",
    "pydantic_settings",
    "rich",
)
_NOT_AT_START_PREFIXES = tuple(f"{name}." for name in _NOT_AT_START)


@pytest.mark.parametrize(
    "argv",
    [
        ["--version"],
        ["--help"],
        ["intercom", "lookup", "--help"],
        ["intercom", "bulk", "erase", "-h"],
    ],
    ids=" ".join,
)
def test_starting_dsr_imports_no_engine_plugin_report_sandbox_or_fake(argv: list[str]) -> None:
    """Each command imports what it uses: 'dsr --version' and '--help' load none of these."""
    probe = (
        "import sys\n"
        f"sys.argv = ['dsr', *{argv!r}]\n"
        "from dsr_resolvers.cli import main\n"
        "status = main()\n"
        f"print(sorted(m for m in sys.modules if m in {_NOT_AT_START!r}\n"
        f"    or m.startswith({_NOT_AT_START_PREFIXES!r})))\n"
        "sys.exit(status)\n"
    )
    started = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert started.stdout.splitlines()[-1] == "[]"
