"""The covered surface as a document a DPO pastes into a record of processing.

``dsr intercom surface`` prints what the resolver, configured as the options say, declares it
reaches, under three headings that each say one thing:

=====================================  ========================================================
Heading                                Fields
=====================================  ========================================================
Exported (Art. 15)                     every field glob of the surface, with its category
Erased (Art. 17) under ``POLICY``      the globs the resolver declares erasure removes
                                       (``CoveredField.erased``)
Stays in Intercom after erasure        the other globs: exported, but left in Intercom (the
                                       surface's notes say why)
=====================================  ========================================================

The split is the resolver's own: it marks each field of its surface, built from the field
tables its exporter iterates, so it cannot drift from the code. Options are spelt as the CLI
spells them (``--policy redact_messages``), in the notes too. Markdown is laid out for 80
columns: prose is wrapped, and options and exclusions are lists rather than wide tables. Every
rendering says that the surface is a declaration, not a compliance verdict.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Sequence
from typing import Any, Final

from dsr_resolvers import __version__
from dsr_resolvers.contract import CoveredSurface
from dsr_resolvers.intercom import ErasurePolicy

__all__ = ["surface_json", "surface_markdown"]

_DECLARATION: Final = (
    "This is a declaration of what the dsr-resolvers Intercom resolver reaches with the options "
    "above, derived from the field tables its exporter iterates. It is not a compliance "
    "verdict: whether it covers everything your organisation holds about a person is for "
    "your record of processing to establish."
)
# The resolver's spellings of a policy, as its notes write them, and the CLI's.
_SPELLINGS: Final = (
    (re.compile(r"erasure_policy\s*=\s*'redact_messages'"), "--policy redact_messages"),
    (re.compile(r"erasure_policy\s*=\s*'delete_contact'"), "--policy delete_contact"),
    (re.compile(r"\bexport_messages\s*=\s*True\b"), "--messages"),
    (re.compile(r"\bexport_archived\s*=\s*True\b"), "--export-archived"),
)


def _spelt(text: str) -> str:
    """``text`` with each policy and option spelt as the CLI spells it (``--policy ...``)."""
    for pattern, spelling in _SPELLINGS:
        text = pattern.sub(spelling, text)
    return text


def _wrapped(text: str, prefix: str, indent: str) -> list[str]:
    return textwrap.wrap(
        " ".join(text.split()),
        80,
        initial_indent=prefix,
        subsequent_indent=indent,
        break_on_hyphens=False,
        break_long_words=False,
    )


def _globs(surface: CoveredSurface, *, erased: bool) -> list[str]:
    return [covered.field for covered in surface.fields if covered.erased == erased]


def _code(glob: str) -> str:
    return "`" + glob.replace("|", "\\|") + "`"


def surface_markdown(
    surface: CoveredSurface,
    options: Sequence[tuple[str, str]],
    policy: ErasurePolicy,
    held: tuple[str, Sequence[str]] | None = None,
) -> str:
    """The surface as Markdown: options, exported, erased, stays, not covered, notes, and with
    ``held`` (``--contact``: the id and what it holds that these options leave out) that too.
    No line is longer than 80 columns except a table row whose field glob alone is longer."""
    lines = [
        f"# Covered surface: {surface.resolver} (dsr-resolvers {__version__})",
        "",
        "Options:",
        "",
        *(line for name, value in options for line in _wrapped(value, f"- {name}: ", "  ")),
        "",
        *_wrapped(_DECLARATION, "> ", "> "),
        "",
        "## Exported (Art. 15)",
        "",
        "| Field (glob) | Category |",
        "|---|---|",
        *(f"| {_code(field.field)} | {field.category.value} |" for field in surface.fields),
        "",
        f"## Erased (Art. 17) under {policy}",
        "",
        *(f"- {_code(glob)}" for glob in _globs(surface, erased=True)),
        "",
        "## Stays in Intercom after erasure",
        "",
        *(f"- {_code(glob)}" for glob in _globs(surface, erased=False)),
        "",
        "## Knowingly not covered",
        "",
    ]
    for exclusion in surface.exclusions:
        reason = exclusion.reason
        if exclusion.retention is not None:
            reason += f" (retention: {exclusion.retention})"
        lines += _wrapped(_spelt(reason), f"- {_code(exclusion.field)}: ", "  ")
    if not surface.exclusions:
        lines.append("Nothing is excluded under these options.")
    if held is not None:
        lines += ["", f"## Held by contact {held[0]} but not exported", ""]
        lines += [f"- {_code(name)}" for name in held[1]] or ["Nothing: every one is declared."]
    lines += ["", "## Notes", ""]
    for note in surface.notes or ("None.",):
        lines += _wrapped(_spelt(note), "- ", "  ")
    return "\n".join(lines) + "\n"


def surface_json(
    surface: CoveredSurface,
    options: Sequence[tuple[str, str]],
    policy: ErasurePolicy,
    held: tuple[str, Sequence[str]] | None = None,
) -> str:
    """The surface as JSON, with the options, the declaration and the erasure split (and,
    for ``--contact``, ``held_not_exported``: ``{"contact_id", "names"}``)."""
    document: dict[str, Any] = {
        "options": dict(options),
        "statement": _DECLARATION,
        "covered_surface": surface.model_dump(mode="json"),
        "erasure": {
            "policy": policy,
            "erased": _globs(surface, erased=True),
            "stays": _globs(surface, erased=False),
        },
    }
    if held is not None:
        document["held_not_exported"] = {"contact_id": held[0], "names": list(held[1])}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
