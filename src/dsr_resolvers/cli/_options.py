"""The options' vocabulary (choices, categories, formats), and the parsers of their values.

Help and completion are built when ``dsr`` starts, so this module imports neither the contract
nor the plugin: the choices the library defines (policies, categories, export formats) are
repeated here as literals, and ``tests/test_cli_entry.py`` fails the moment they drift.

Values that Typer cannot check by type (``--custom-attribute plan=behavioral``,
``--set email=...``, ``--concurrency auto``) are parsed by the functions below, which raise
:class:`CliError` (exit 2) with a line naming the option, never echoing a value that may be
personal data.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Final, Literal

from dsr_resolvers.cli._errors import CliError

if TYPE_CHECKING:
    from dsr_resolvers.contract import PiiCategory

__all__ = [
    "CATEGORIES",
    "PROCESSING_RECORD_ENV",
    "CheckScope",
    "ErasurePolicy",
    "ExportFormat",
    "LookupFormat",
    "Region",
    "parse_changes",
    "parse_concurrency",
    "parse_custom_attributes",
]


#: The resolver's ``ErasurePolicy`` (``dsr_resolvers.intercom``), as --policy offers it.
ErasurePolicy = Literal["delete_contact", "redact_messages", "delete_conversations"]
#: The contract's ``PiiCategory`` values, as --custom-attribute takes them.
CATEGORIES: Final = (
    "contact", "identity", "financial", "behavioral", "technical", "location", "communication",
    "special",
)  # fmt: skip
#: Where --processing-record is read from when the option is not given.
PROCESSING_RECORD_ENV: Final = "DSR_PROCESSING_RECORD"


class ExportFormat(StrEnum):
    """``dsr intercom export --format``: the library's ``ExportFormat`` values."""

    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"
    HTML = "html"


class LookupFormat(StrEnum):
    """How ``dsr intercom lookup`` prints the contacts it found."""

    TABLE = "table"
    JSON = "json"


class CheckScope(StrEnum):
    """What the run ``dsr intercom check`` checks for: its needs decide the exit status."""

    ALL = "all"
    EXPORT = "export"
    ERASE = "erase"


class Region(StrEnum):
    """Intercom's hosting regions."""

    US = "us"
    EU = "eu"
    AU = "au"


def parse_custom_attributes(values: Iterable[str] | None) -> dict[str, PiiCategory]:
    """``["plan=behavioral"]`` → ``{"plan": PiiCategory.BEHAVIORAL}``.

    Raises:
        CliError: A value without ``=``, an empty or glob-like name, an unknown category.
    """
    from dsr_resolvers.contract import PiiCategory

    declared: dict[str, PiiCategory] = {}
    for value in values or ():
        name, sep, category = value.partition("=")
        name, category = name.strip(), category.strip().lower()
        if not sep or not name:
            raise CliError("--custom-attribute takes NAME=CATEGORY, e.g. plan=behavioral")
        if set(name) & set("*?[]"):
            raise CliError("--custom-attribute names cannot hold * ? [ ]")
        try:
            declared[name] = PiiCategory(category)
        except ValueError as error:
            choices = ", ".join(CATEGORIES)
            raise CliError(
                f"--custom-attribute {name}: unknown category; use one of {choices}"
            ) from error
    return declared


def parse_changes(
    assignments: Iterable[str] | None, clears: Iterable[str] | None
) -> dict[str, str | None]:
    """``--set email=a@b.example --clear phone`` → ``{"email": "a@b.example", "phone": None}``.

    Raises:
        CliError: A ``--set`` without ``=`` or with an empty value, or a field given twice.
    """
    changes: dict[str, str | None] = {}
    given = [(*a.partition("="), True) for a in assignments or ()]
    for name, sep, value, setting in [*given, *((c, "", "", False) for c in clears or ())]:
        name = name.strip()
        if setting and (not sep or not name):
            raise CliError("--set takes FIELD=VALUE, e.g. --set email=new@example.com")
        if setting and not value.strip():
            raise CliError(f"--set {name}= has no value; use --clear {name} to clear the field")
        if name in changes:
            raise CliError(f"the field {name} is given twice")
        changes[name] = value.strip() if setting else None
    return changes


def parse_concurrency(value: str) -> int | Literal["auto"]:
    """``"auto"`` or a positive integer, from ``--concurrency``.

    Raises:
        CliError: Anything else.
    """
    if value.strip().lower() == "auto":
        return "auto"
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= 256:
        raise CliError("--concurrency takes 'auto' or a number from 1 to 256")
    return number
