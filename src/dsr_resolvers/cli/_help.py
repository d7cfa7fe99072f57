"""``--help`` that reads well at 80 columns, whatever Typer version is installed.

Help is Click's plain layout (Typer's Rich panels wrap choices mid-word and show
``<bool>`` / ``<str>`` placeholders). On top of Click, one formatter fixes what remains:

===========================  ==================================================================
Problem                      What this module does
===========================  ==================================================================
``redact-`` / ``messages``   wraps only at spaces, never at a hyphen, so option names, choices
                             and policies stay whole (``--dry-run``, ``redact_messages``)
``CONTACT_ID <str>``,        drops Typer's Python-type placeholders (``<str>``, ``<bool>``,
``--yes <bool>``             ``<int>``, ``<float>``, ``<list[...]>``, ``<path>``); options name
                             their value with a metavar instead (``--port PORT``)
``<us|eu|au>``               choices read as Click writes them: ``[us|eu|au]``
examples                     every command's epilog holds ``$ dsr ...`` lines that Click never
                             rewraps (a ``\\b`` block); a long one is continued with ``\\``,
                             so each can be pasted whole
``dsr intercom lookup        Typer's ``--help`` flag of each group on the way defaults to
--help`` loads pydantic      ``None``, not a bool, and Typer coerces that through a pydantic
                             ``TypeAdapter``; here it defaults to ``False``, passed through as
                             it is, so help never imports pydantic
===========================  ==================================================================
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

import typer
from typer.core import TyperCommand, TyperGroup

__all__ = ["Command", "Group", "example"]

# A non-breaking hyphen stands in for "-" while Click wraps, then is turned back.
_HOLD: Final = "\u2011"
_TYPE_PLACEHOLDER: Final = re.compile(
    r"\s*<(?:str|bool|int|float|path|file|text|list\[[^>]*\])>(?:\.\.\.)?"
)
_CHOICES: Final = re.compile(r"<([^<>\s]*\|[^<>\s]*)>")
_BRACED: Final = re.compile(r"\{([A-Z_]+)\}")


def _term(text: str) -> str:
    return _CHOICES.sub(r"[\1]", _TYPE_PLACEHOLDER.sub("", text))


# Typer may vendor its own Click: extend the formatter and context classes Typer itself uses.
_ClickFormatter: type[Any] = typer.Context.formatter_class


class _HelpFormatter(_ClickFormatter):  # type: ignore[misc]
    """Click's formatter, wrapping at spaces only and without type placeholders."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        args = _BRACED.sub(r"\1", _term(args))  # Typer's "{CONTACT_ID}..." is "CONTACT_ID..."
        super().write_usage(prog, args.replace("-", _HOLD), prefix)

    def write_text(self, text: str) -> None:
        super().write_text(text.replace("-", _HOLD))

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        held = [(_term(term).replace("-", _HOLD), text.replace("-", _HOLD)) for term, text in rows]
        super().write_dl(held, col_max, col_spacing)

    def getvalue(self) -> str:
        return str(super().getvalue()).replace(_HOLD, "-")


class _Context(typer.Context):
    formatter_class = _HelpFormatter


class _Help:
    """Help through :class:`_HelpFormatter`, and a ``--help`` flag that is a bool."""

    context_class: type[Any] = _Context

    def get_help_option(self, ctx: Any) -> Any:
        # Typer's --help flag defaults to None, which is not a bool: each group on the way to a
        # command would build a pydantic TypeAdapter (importing pydantic, about 0.15 s) just to
        # coerce that None. False is what None meant, and a bool is passed through as it is.
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None and option.default is None:
            option.default = False
        return option


class Command(_Help, TyperCommand):
    """A command whose help reads well at 80 columns."""


class Group(_Help, TyperGroup):
    """A group whose help reads well at 80 columns."""


#: Help is laid out for this many columns; longer example lines are continued with ``\\``.
_EXAMPLE_WIDTH: Final = 78


def _continued(line: str) -> list[str]:
    """A shell line split at spaces into lines that fit, each but the last ending in ``\\``.

    An option and its value stay on one line (``--policy redact_messages``).
    """
    words: list[str] = []
    for word in line.split(" "):
        if words and words[-1].startswith("-") and " " not in words[-1] and word[:1] != "-":
            words[-1] += f" {word}"
        else:
            words.append(word)
    lines: list[str] = []
    current = f"  $ {words[0]}"
    for word in words[1:]:
        if len(current) + 1 + len(word) + 2 > _EXAMPLE_WIDTH:
            lines.append(current + " \\")
            current = f"      {word}"
        else:
            current += f" {word}"
    return [*lines, current]


def example(*lines: str) -> str:
    """An epilog of ``$ dsr ...`` lines that Click never rewraps (a ``\\b`` block).

    A line too long for 80 columns is continued on the next with a trailing backslash, so it
    still works when pasted into a shell.
    """
    shown = [part for line in lines for part in _continued(line)]
    return "Examples:\n\n\b\n" + "\n".join(shown)
