"""What a newcomer meets first: the demo, the sandbox banner, and commands that work when pasted.

The demo is read at 80 columns, as on a default terminal: every message the contacts wrote is
listed (as text, with its date), and the closing hint names a ``dsr`` that the shell can run.
The sandbox banner prints commands rather than a raw header, and pasting them works.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess

from dsr_resolvers.sandbox import DEFAULT_TOKEN, seed_demo
from dsr_resolvers.testing import FakeIntercom
from tests.test_cli import dsr
from tests.test_sandbox import sandbox

NARROW = {"COLUMNS": "80", "INTERCOM_ACCESS_TOKEN": None}


def _demo_text() -> str:
    result = dsr("demo", env=NARROW)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_demo_lists_every_message_as_text_with_its_date() -> None:
    text = _demo_text()
    demo = seed_demo(FakeIntercom(DEFAULT_TOKEN))  # the same ids as the demo's own
    for wrote in (
        "Hi, I can't log in since I changed my phone",
        "Same for me (Sam).",
        "Do you have a discount for charities?",  # the lead's two messages
        "Please email me at sam.rivera@example.com",
    ):
        assert wrote in text
    assert "<p>" not in text
    assert f"What lead {demo.lead_id} wrote (2 message(s))" in text
    assert re.search(r"^20\d\d-\d\d-\d\d \d\d:\d\d ", text, re.MULTILINE)


def test_the_demo_reads_at_80_columns() -> None:
    for line in _demo_text().splitlines():
        if line.lstrip().startswith(("$ ", "export ")) or " intercom " in line:
            continue  # commands are never wrapped, so that they can be copied whole
        assert len(line) <= 80, line


def test_the_demos_closing_hint_works_when_pasted() -> None:
    text = _demo_text()
    hints = [line.strip() for line in text.splitlines() if line.strip().endswith("intercom check")]
    assert len(hints) == 1
    program = shlex.split(hints[0])[0]
    assert shutil.which(program) is not None, program
    version = subprocess.run(
        [*shlex.split(hints[0])[:-2], "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("dsr (dsr-resolvers)")


def test_the_sandbox_banner_prints_commands_that_work_when_pasted() -> None:
    with sandbox() as (process, _):
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _ in range(3)]
        assert lines[0].startswith("try it from another shell")
        assert "Authorization" not in "".join(lines)
        token = shlex.split(lines[1])[1].removeprefix("INTERCOM_ACCESS_TOKEN=")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERCOM_", "DSR_"))}
        lookup = subprocess.run(
            shlex.split(lines[2]),
            env={**env, "INTERCOM_ACCESS_TOKEN": token, "COLUMNS": "200"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert lookup.returncode == 0, lookup.stderr
    assert "user" in lookup.stdout
    assert "lead" in lookup.stdout
