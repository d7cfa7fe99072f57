"""Where ``dsr`` writes: results on stdout, everything else on stderr, files atomically.

The rule that keeps ``dsr ... > export.json`` and ``dsr ... | jq`` working: stdout carries
the result a command was asked for (a table, a JSON document, an export) and nothing else;
progress, status lines, prompts and errors go to stderr. An error is one line, printed without
Rich markup or wrapping, so a log collector gets it whole.

Files (exports, their covered surfaces) hold personal data. They are written to a temporary
file in the target directory, created readable by the owner only, flushed to disk and renamed
over the target: a reader never sees half an export, and a killed run leaves no truncated file
that looks complete.

Every option that names where to write (``--out``, ``--report``, ``--receipt``,
``--receipt-html``, ``--receipts``) is checked by :func:`check_destination` before the first
request, one rule for all: the folder that is to hold it must exist (a FILE's folder; for a
DIR, the folder it is created in). Nothing is created silently in a folder that is not there.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dsr_resolvers._files import write_text_atomically
from dsr_resolvers.cli._errors import CliError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

# Rich is imported when a command first prints, not with this module: 'dsr --help' and
# 'dsr --version' never print through Rich, and importing it costs about 40 ms.

__all__ = ["Io", "check_destination", "new_table", "write_text_atomically"]


def check_destination(path: Path | None, option: str, *, directory: bool = False) -> None:
    """Refuse (exit 2) a destination whose folder is missing, or of the wrong kind.

    Args:
        path: Where the option says to write; ``None`` when it was not given.
        option: The option, as the message names it (``--out``).
        directory: ``path`` is a folder to write into (created when missing), not a file.

    Raises:
        CliError: The folder that is to hold ``path`` does not exist, or ``path`` exists as
            the other kind.
    """
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
    interactive: bool = field(default_factory=lambda: _is_terminal(sys.stdin))
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
    """A borderless table with the given column headers.

    Long cells fold onto more lines and never vanish behind an ellipsis; contact ids are never
    broken, so they can be copied from the table, and no header is split mid-word.
    """
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


def _is_terminal(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):
        return False
