"""The options several commands share, and the parsers of their ``NAME=VALUE`` forms.

Each is declared once, with :func:`opt` or :func:`flag`, as the default of the parameters
that take it.

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
from typing import TYPE_CHECKING, Any, Final, Literal, cast, get_args

import typer

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
    "opt",
    "parse_changes",
    "parse_concurrency",
    "parse_custom_attributes",
    "policy_option",
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


def opt(spec: str, help: str, default: Any = None, **settings: Any) -> Any:
    """A ``typer.Option`` (default ``None``) from its names and metavar as help shows them.

    ``opt("--out FILE", "Write to FILE.")`` is ``--out`` with the metavar ``FILE``.
    """
    words = spec.split()
    names = [word for word in words if word.startswith("-")]
    metavar = " ".join(word for word in words if not word.startswith("-")) or None
    return typer.Option(default, *names, metavar=metavar, help=help, **settings)


def flag(spec: str, help: str) -> Any:
    """A flag, off unless given."""
    return opt(spec, help, False)


_POLICY_CHOICES: Final[tuple[str, ...]] = get_args(ErasurePolicy)


def _parse_policy(text: str) -> ErasurePolicy:
    """``--policy``, as the resolver spells it; ``redact-messages`` is read as an alias."""
    for policy in _POLICY_CHOICES:
        if text.strip().lower().replace("-", "_") == policy:
            return cast(ErasurePolicy, policy)
    raise typer.BadParameter(f"use one of {', '.join(_POLICY_CHOICES)}")


def policy_option(help_text: str) -> Any:
    """A ``--policy`` option offering the resolver's ``ErasurePolicy``, ``delete_contact`` by
    default: the CLI keeps no list (and no spelling) of its own that could drift."""
    return typer.Option(
        "delete_contact",
        "--policy",
        parser=_parse_policy,
        metavar="[" + "|".join(_POLICY_CHOICES) + "]",
        show_default=False,
        help=f"{help_text}  [default: delete_contact]",
    )


# The options several commands share.
POLICY: Final = policy_option(
    "delete_contact: delete the contact. redact_messages: first redact every message the "
    "contact wrote, then delete it. delete_conversations: first delete every conversation and "
    "ticket only the contact is in and redact its messages in shared conversations, then "
    "delete it."
)
CUSTOM_ATTRIBUTE: Final = opt(
    "--custom-attribute NAME=CATEGORY",
    f"Also export this custom attribute, as personal data of CATEGORY ({', '.join(CATEGORIES)}). "
    "Repeatable.",
)
EXPORT_ARCHIVED: Final = flag(
    "--export-archived",
    "Reach archived contacts too: unarchive each, export it, archive it again (without it "
    "Intercom answers not found and nothing of theirs is exported).",
)
JSON: Final = flag(
    "--json", "Print the result as one JSON document on stdout (schemas in docs/cli.md)."
)
LANGUAGE: Final = opt("--language en|de", "The language of HTML files.", "en")
YES: Final = flag("--yes -y", "Do not ask for confirmation.")
INCLUDE_PHONE_ONLY: Final = flag(
    "--include-phone-only",
    "Also act on contacts matched by the phone number alone (left out by default: numbers are "
    "reassigned).",
)
INPUT: Final = opt(
    "--input FILE",
    "One contact id or email a line, or a CSV file: one person a row, any of the columns "
    "contact_id, email, phone, external_id, and reference.",
    ...,
)
JOURNAL: Final = opt(
    "--journal FILE.sqlite",
    "The run's journal; rerun with the same file to resume and skip finished work.",
    ...,
)
CONCURRENCY: Final = opt("--concurrency N|auto", "Subjects worked on at once.", "auto")
REPORT: Final = opt("--report FILE.json", "Write the per-subject report (ids, never emails).")
COLUMN: Final = opt(
    "--column NAME", "Read this CSV column only (default: every identifier column of the header)."
)
RECEIPTS: Final = opt(
    "--receipts DIR",
    "Write the erasure receipt (KEY.json) of every subject the journal records finished that "
    "has none in DIR yet, whichever run finished it.",
)


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
    for assignment in assignments or ():
        name, sep, value = assignment.partition("=")
        name = name.strip()
        if not sep or not name:
            raise CliError("--set takes FIELD=VALUE, e.g. --set email=new@example.com")
        if not value.strip():
            raise CliError(f"--set {name}= has no value; use --clear {name} to clear the field")
        if name in changes:
            raise CliError(f"the field {name} is given twice")
        changes[name] = value.strip()
    for name in clears or ():
        name = name.strip()
        if name in changes:
            raise CliError(f"the field {name} is given twice")
        changes[name] = None
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
