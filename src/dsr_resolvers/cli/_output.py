"""Where ``dsr`` writes: results on stdout, everything else on stderr, files atomically.

stdout carries only the result asked for (a table, a JSON document, an export), so
``dsr ... > export.json`` and ``dsr ... | jq`` work; progress, prompts and errors go to stderr,
an error on one line without markup so a log collector gets it whole. Files hold personal data:
:func:`write_text_atomically` writes them owner-readable beside the target and renames them
over it, so nobody sees half an export. Every option naming where to write is checked by
:func:`check_destination` before the first request.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dsr_resolvers._files import write_text_atomically
from dsr_resolvers.cli._errors import CliError

if TYPE_CHECKING:  # Rich loads when a command first prints: 'dsr --help' never needs it
    from rich.console import Console
    from rich.table import Table

__all__ = ["Io", "check_destination", "new_table", "write_text_atomically"]


def check_destination(path: Path | None, option: str, *, directory: bool = False) -> None:
    """Refuse (exit 2) a destination of the wrong kind, or whose folder is missing: nothing
    is created in a folder that is not there. ``directory``: ``path`` is a folder to write
    into (created when missing), not a file; ``option`` is named in the message."""
    if path is None:
        return
    if path.exists() and path.is_dir() != directory:
        kind = "is not a directory" if directory else "is a directory"
        raise CliError(f"{option} {path} {kind}")
    if not path.absolute().parent.is_dir():
        raise CliError(
            f"{option} {path}: the folder {path.parent} does not exist; create it first "
            "(nothing was sent)"
        )


@dataclass
class Io:
    """The streams one command talks to.

    Attributes:
        out: The console for results (stdout).
        err: The console for status, progress and errors (stderr).
        interactive: Whether a person can answer a prompt (stdin is a terminal).
        wrote: Whether :meth:`write` has put anything on stdout yet.
    """

    out: Console = field(default_factory=lambda: _console(stderr=False))
    err: Console = field(default_factory=lambda: _console(stderr=True))
    interactive: bool = field(default_factory=lambda: _stdin_is_terminal())
    wrote: bool = field(default=False, init=False)

    def status(self, line: str) -> None:
        """Print a status line on stderr, verbatim (no markup, no wrapping)."""
        from rich.text import Text

        self.err.print(Text(line), soft_wrap=True)

    def error(self, line: str) -> None:
        """Print ``error: <line>`` on stderr, on one line."""
        from rich.text import Text

        self.err.print(Text("error: " + " ".join(line.split()), style="red"), soft_wrap=True)

    def write(self, text: str) -> None:
        """Write raw text (JSON, CSV) to stdout, untouched by Rich."""
        self.wrote = True
        self.out.file.write(text)
        self.out.file.flush()


def new_table(*columns: str) -> Table:
    """A borderless table: cells fold, never hide behind an ellipsis; ids are never broken."""
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in columns:
        widest_word = max(len(word) for word in column.split())
        table.add_column(
            column, overflow="fold", no_wrap=column == "Contact id", min_width=widest_word
        )
    return table


def _console(*, stderr: bool) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (OSError, ValueError):  # closed or detached
        return False
