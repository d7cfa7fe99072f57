"""What a newcomer meets first: the demo, the sandbox banner, and commands that work when pasted.

The demo is read at 80 columns, as on a default terminal: every message the contacts wrote is
listed (as text, with its date), and the closing hint names a ``dsr`` that the shell can run.
The sandbox banner prints commands rather than a raw header, and pasting them works.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from dsr_resolvers.cli._output import new_table
from dsr_resolvers.sandbox import DEFAULT_TOKEN, seed_demo
from dsr_resolvers.testing import FakeIntercom
from tests.test_cli import dsr
from tests.test_cli_entry import COMMANDS
from tests.test_sandbox import sandbox

NARROW = {"COLUMNS": "80", "INTERCOM_ACCESS_TOKEN": None}


@pytest.fixture(scope="module")
def demo_text() -> Iterator[str]:
    """The demo's output, run once; its deliverables go to a folder removed afterwards
    (short, as the demo's lines name it and must fit 80 columns)."""
    short = Path(tempfile.mkdtemp(prefix="dsr-t"))
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(tempfile, "tempdir", str(short))
            result = dsr("demo", env=NARROW)
        assert result.exit_code == 0, result.output
        yield result.stdout
    finally:
        shutil.rmtree(short)


def test_the_demo_lists_every_message_as_text_with_its_date(demo_text: str) -> None:
    text = demo_text
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


def test_the_demo_reads_at_80_columns(demo_text: str) -> None:
    for line in demo_text.splitlines():
        if line.lstrip().startswith(("$ ", "export ")) or " intercom " in line:
            continue  # commands are never wrapped, so that they can be copied whole
        if "/dsr-demo-" in line:
            continue  # nor are the paths of the demo's files
        assert len(line) <= 80, line


def test_the_demos_closing_hint_works_when_pasted(demo_text: str) -> None:
    text = demo_text
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


_PLACEHOLDER = re.compile(r"<(str|bool|int|float|path|list\[[^>]*\])>")


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "dsr")
def test_help_reads_well_at_80_columns(command: list[str]) -> None:
    result = dsr(*command, "--help", env={"COLUMNS": "80"})

    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    assert not _PLACEHOLDER.search(result.stdout)
    assert not [line for line in lines if re.search(r"[a-z]-$", line)]  # no mid-word wrap
    examples = result.stdout.split("Examples:")[1]
    assert "$ dsr" in examples
    for line in examples.splitlines()[1:]:  # each example line is a command or continues one
        assert not line.strip() or line.lstrip().startswith("$ ") or line.startswith("      ")


def test_a_long_example_is_continued_so_it_still_pastes() -> None:
    result = dsr("intercom", "bulk", "erase", "--help", env={"COLUMNS": "80"})

    continued = [line for line in result.stdout.splitlines() if line.endswith(" \\")]
    assert continued
    joined = result.stdout.split("Examples:")[1].replace(" \\\n", " ")
    assert re.search(r"\$ dsr intercom bulk erase --input leads.txt\s+--journal", joined)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_examples_never_wrap_between_an_option_and_its_value(command: list[str]) -> None:
    result = dsr(*command, "--help", env={"COLUMNS": "80"})

    lines = result.stdout.split("Examples:")[-1].splitlines()
    for line, following in itertools.pairwise(lines):
        if line.endswith(" \\"):
            last = line.removesuffix(" \\").split()[-1]
            assert not (last.startswith("--") and not following.split()[0].startswith("-")), (
                f"{line!r} / {following!r}"
            )


def test_shell_completion_is_offered() -> None:
    result = dsr("--help")

    assert "--install-completion" in result.stdout
    assert "--show-completion" in result.stdout


@pytest.mark.parametrize("policy", ["delete_contact", "redact_messages"])
def test_surface_says_what_is_exported_erased_and_stays_at_80_columns(policy: str) -> None:
    result = dsr(
        "intercom", "surface", "--messages", "--policy", policy,
        "--custom-attribute", "plan=behavioral", env=NARROW,
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    text = result.stdout
    long_lines = [line for line in text.splitlines() if len(line) > 80]
    # A Markdown table row cannot wrap; only a row whose glob alone is that long may be wider.
    assert all(re.fullmatch(r"\| `[^`]{60,}` \| [a-z]+ \|", line) for line in long_lines)
    exported = text.split("## Exported (Art. 15)")[1].split("## Erased")[0]
    erased = text.split(f"## Erased (Art. 17) under {policy}")[1].split("## Stays")[0]
    stays = text.split("## Stays in Intercom after erasure")[1].split("## Knowingly")[0]
    assert "`contact.email`" in exported
    assert "`contact.email`" in erased
    assert "`contact.custom_attributes.plan`" in erased
    assert "`ticket.*.created_at`" in stays
    assert "`ticket.*.created_at`" not in erased
    body = "`conversation.*.conversation_parts.*.body`"
    assert body in (erased if policy == "redact_messages" else stays)
    assert "erasure_policy=" not in text  # the CLI's --policy, not the library's keyword
    assert "redact-messages" not in text
    assert "Fields exported and erased" not in text


def test_a_narrow_table_never_splits_a_header_or_a_contact_id() -> None:
    stream = io.StringIO()
    table = new_table("Contact id", "Conversations", "Result")
    table.add_row("6650d1c2e4b0a1b2c3d4e5f6", "3", "no contact with this id")
    Console(file=stream, width=50).print(table)

    text = stream.getvalue()
    assert "Conversations" in text
    assert "6650d1c2e4b0a1b2c3d4e5f6" in text
