"""README.md and docs/cli.md name exactly the options ``dsr`` has.

The real options come from the command tree itself. Each ``### `dsr ...``` section of
docs/cli.md must name every option of its command(s), except the connection options, ``-v``
and ``--help`` that the page documents once for all, and no option its command(s) lack. Every
``dsr`` command line in the examples of README.md and docs/cli.md uses only options its
command has.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer.main

from dsr_resolvers.cli import app

ROOT = Path(__file__).resolve().parents[1]
CLI_PAGE = ROOT / "docs" / "cli.md"
README = ROOT / "README.md"
_FLAG = re.compile(r"(?<![\w/.-])--?[a-z][a-z-]*")
#: Documented once for every command in docs/cli.md (Configuration, and the Commands intro).
SHARED = frozenset(
    {"--token-file", "--region", "--base-url", "--api-version", "-v", "--verbose", "-h", "--help"}
    | {"--workspaces", "--workspace", "--all-workspaces"}  # "Several workspaces", once
)


def _walk(command: Any, path: tuple[str, ...]) -> dict[tuple[str, ...], set[str]]:
    flags = {"-h", "--help"}
    for param in command.params:
        if getattr(param, "param_type_name", "") == "option":
            flags.update(param.opts)
            flags.update(param.secondary_opts)
    found = {path: flags}
    for name, sub in getattr(command, "commands", {}).items():
        found.update(_walk(sub, (*path, name)))
    return found


REAL = _walk(typer.main.get_command(app), ("dsr",))
GROUPS = {("dsr",), ("dsr", "intercom"), ("dsr", "intercom", "bulk")}
LEAVES = sorted(set(REAL) - GROUPS)


def _sections() -> dict[tuple[str, ...], tuple[tuple[tuple[str, ...], ...], str]]:
    """Each command's docs/cli.md section: (the commands it covers, its text)."""
    text = CLI_PAGE.read_text(encoding="utf-8")
    sections: dict[tuple[str, ...], tuple[tuple[tuple[str, ...], ...], str]] = {}
    for block in re.split(r"^### ", text, flags=re.MULTILINE)[1:]:
        heading, _, body = block.partition("\n")
        body = re.split(r"^## ", body, flags=re.MULTILINE)[0]
        covered = tuple(tuple(c.split()) for c in re.findall(r"`(dsr [a-z ]+)`", heading))
        for command in covered:
            sections[command] = (covered, body)
    return sections


@pytest.mark.parametrize("command", LEAVES, ids=" ".join)
def test_docs_cli_names_every_option_of_the_command_and_no_other(
    command: tuple[str, ...],
) -> None:
    sections = _sections()
    assert command in sections, f"docs/cli.md has no section for {' '.join(command)}"
    covered, body = sections[command]
    real = set().union(*(REAL[c] for c in covered))
    prose = re.sub(r"^```.*?^```", "", body, flags=re.MULTILINE | re.DOTALL)  # not examples
    named = set(_FLAG.findall(prose))
    assert REAL[command] - SHARED <= named, "undocumented: " + ", ".join(
        sorted(REAL[command] - SHARED - named)
    )
    assert named <= real | SHARED, "documented but absent: " + ", ".join(sorted(named - real))


def _example_lines(path: Path) -> list[str]:
    lines: list[str] = []
    in_code = False
    pending = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        if not in_code:
            continue
        line = pending + line.removeprefix("$ ").strip()
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        words = line.split()
        start = next((i for i, w in enumerate(words) if w == "dsr"), None)
        if start is not None and "=" not in " ".join(words[:start]).replace("INTERCOM_", ""):
            lines.append(" ".join(words[start:]))
    return lines


@pytest.mark.parametrize("page", [README, CLI_PAGE], ids=lambda p: p.name)
def test_every_example_uses_only_options_its_command_has(page: Path) -> None:
    examples = _example_lines(page)
    assert examples
    for line in examples:
        words = shlex.split(line.split(" #")[0].split(" > ")[0])
        path: tuple[str, ...] = ("dsr",)
        for word in words[1:]:
            if (*path, word) in REAL:
                path = (*path, word)
        used = {w.split("=")[0] for w in words if w.startswith("-")}
        assert used <= REAL[path], f"{line!r}: {sorted(used - REAL[path])}"
