"""Every Python example in README.md and docs/ runs as written.

Each ```python block is a program: it is written to a file and run in a fresh interpreter,
with a timeout, in a temporary directory, without ``INTERCOM_ACCESS_TOKEN`` (so that nothing
can reach a real workspace). Async examples call ``asyncio.run`` themselves.

A block's first line can say otherwise:

| first line           | meaning                                               | checked      |
|----------------------|-------------------------------------------------------|--------------|
| ``# doc: no-run``    | a whole program that needs credentials or a network   | compiles     |
| ``# doc: fragment``  | part of a program (a signature, a protocol, a step)   | compiles     |
| ``# test_<name>.py`` | a pytest module (``tests/test_conformance.py`` runs   | compiles     |
|                      | the documented ones under pytest)                     |              |
| anything else        | a program                                             | runs, exit 0 |

"Compiles" allows top-level ``await``, so fragments may show calls as they appear inside a
coroutine. Blocks that are not Python (console sessions, output) use another language tag.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = (ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")))
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)")
MARKER = re.compile(r"^#\s*doc:\s*(?P<kind>[\w-]+)")
PYTEST_MODULE = re.compile(r"^#\s*test_\w+\.py\s*$")
MARKERS = frozenset({"no-run", "fragment"})
TIMEOUT = 120


@dataclass(frozen=True)
class Block:
    """One fenced Python block: where it is, and its source."""

    page: Path
    line: int
    source: str

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    @property
    def first_line(self) -> str:
        return self.source.split("\n", 1)[0].strip()

    @property
    def marker(self) -> str | None:
        match = MARKER.match(self.first_line)
        return match.group("kind") if match else None

    @property
    def runnable(self) -> bool:
        return self.marker is None and not PYTEST_MODULE.match(self.first_line)


def python_blocks(page: Path) -> list[Block]:
    """The ```python (or ```py) blocks of a Markdown page, dedented to their fence."""
    blocks: list[Block] = []
    lines = page.read_text(encoding="utf-8").split("\n")
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, fence = opening.group("indent"), opening.group("fence")
        start = index + 1
        index = start
        while index < len(lines) and not lines[index].strip().startswith(fence):
            index += 1
        if opening.group("lang") in ("python", "py"):
            body = [line.removeprefix(indent) for line in lines[start:index]]
            blocks.append(Block(page, start, "\n".join(body) + "\n"))
        index += 1
    return blocks


BLOCKS = [block for page in PAGES for block in python_blocks(page)]
RUNNABLE = [block for block in BLOCKS if block.runnable]


def test_the_pages_have_examples_to_run() -> None:
    assert len(RUNNABLE) >= 8, [block.id for block in RUNNABLE]


@pytest.mark.parametrize("block", BLOCKS, ids=lambda block: block.id)
def test_every_python_block_compiles_and_names_a_known_marker(block: Block) -> None:
    assert block.marker is None or block.marker in MARKERS, (
        f"{block.id}: unknown marker {block.first_line!r}; use one of "
        + ", ".join(f"'# doc: {marker}'" for marker in sorted(MARKERS))
    )
    compile(block.source, block.id, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


@pytest.mark.parametrize("block", RUNNABLE, ids=lambda block: block.id)
def test_every_runnable_example_runs(block: Block, tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(block.source, encoding="utf-8")
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("INTERCOM_")
    }
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"{block.id} exited {result.returncode} (mark it '# doc: no-run' only if it needs "
            f"credentials or network)\n{result.stderr[-4000:]}",
            pytrace=False,
        )
