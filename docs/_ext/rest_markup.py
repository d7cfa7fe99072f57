"""A griffe extension that lets the API reference render docstrings written with reST habits.

The docstrings are Google style, but some use a little reStructuredText that Markdown would
print as it stands. This extension rewrites it in each docstring before mkdocstrings parses
it; the source is left alone, so ``help()`` and IDEs still show the original.

| reST in a docstring                     | becomes                                       |
|-----------------------------------------|-----------------------------------------------|
| ``:class:`FakeIntercom``` (any role)    | a code span: ``FakeIntercom``                 |
| a simple table (``===  ===`` borders)   | a Markdown table, continuation lines joined   |
| ``text::`` before a literal block       | ``text:`` (the indented block stays code)     |

mkdocs.yml loads it through the mkdocstrings ``extensions`` option; it is never imported by
the package.
"""

from __future__ import annotations

import ast
import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?[a-z]+:`~?([^`]+)`")
_BORDER = re.compile(r"^(\s*)=+(?: {2,}=+)+\s*$")
_LITERAL_MARKER = re.compile(r"(\S)::$")


def rest_to_markdown(text: str) -> str:
    """Rewrite the reST constructs above into Markdown; everything else is kept as it is."""
    text = _ROLE.sub(lambda match: f"`{match.group(1).rsplit('.', 1)[-1]}`", text)
    lines = text.split("\n")
    out: list[str] = []
    index = 0
    while index < len(lines):
        border = _BORDER.match(lines[index])
        end = _table_end(lines, index) if border else None
        if end is None:
            out.append(_LITERAL_MARKER.sub(r"\1:", lines[index]))
            index += 1
            continue
        out += ["", *_markdown_table(lines[index : end + 1]), ""]
        index = end + 1
    return "\n".join(out)


def _table_end(lines: list[str], start: int) -> int | None:
    """The index of the closing border of the simple table opening at ``start``, if any."""
    borders = [i for i in range(start, len(lines)) if lines[i].strip() == lines[start].strip()]
    if len(borders) < 2:
        return None
    # A table with a header has three borders, one without has two.
    return borders[2] if len(borders) >= 3 else borders[1]


def _markdown_table(block: list[str]) -> list[str]:
    border = block[0]
    spans = [(m.start(), m.end()) for m in re.finditer(r"=+", border)]
    starts = [start for start, _ in spans]
    header_rows: list[list[str]] = []
    body_rows: list[list[str]] = []
    rows = header_rows
    borders_seen = 0
    for line in block:
        if line.strip() == border.strip():
            borders_seen += 1
            if borders_seen == 2:
                rows = body_rows
            continue
        if not line.strip():
            continue
        cells = [
            line[start : starts[i + 1] if i + 1 < len(starts) else None].strip()
            for i, start in enumerate(starts)
        ]
        if rows and not cells[0]:
            previous = rows[-1]
            rows[-1] = [f"{old} {new}".strip() for old, new in zip(previous, cells, strict=True)]
        else:
            rows.append(cells)
    if borders_seen == 2:  # no header: the rows read so far are the body
        header_rows, body_rows = [[""] * len(starts)], header_rows

    def render(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    header = [" ".join(column).strip() for column in zip(*header_rows, strict=True)]
    return [render(header), "|" + "---|" * len(starts), *map(render, body_rows)]


class RestMarkup(griffe.Extension):
    """Rewrites reST roles, simple tables and ``::`` markers in every docstring."""

    def on_instance(
        self,
        *,
        node: ast.AST | griffe.ObjectNode,
        obj: griffe.Object,
        agent: griffe.Visitor | griffe.Inspector,
        **kwargs: Any,
    ) -> None:
        if obj.docstring is not None:
            obj.docstring.value = rest_to_markdown(obj.docstring.value)
