"""The covered surface as a document a DPO pastes into a record of processing.

``dsr intercom surface`` prints what the resolver, configured as the options say, declares it
reaches: every field glob with its category, every exclusion with its reason, and the notes on
what erasure leaves behind. The surface is built by the resolver from the same field tables its
exporter iterates; this module only lays it out. Every rendering says that the surface is a
declaration, not a compliance verdict.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from dsr_resolvers import __version__
from dsr_resolvers.contract import CoveredSurface

__all__ = ["DECLARATION", "surface_json", "surface_markdown"]

DECLARATION = (
    "This is a declaration of what the dsr-resolvers Intercom resolver reaches with the options "
    "above, derived from the field tables its exporter iterates. It is not a compliance "
    "verdict: whether it covers everything your organisation holds about a person is for "
    "your record of processing to establish."
)


def surface_markdown(surface: CoveredSurface, options: Sequence[tuple[str, str]]) -> str:
    """The surface as Markdown: options, fields table, exclusions table, notes.

    Args:
        surface: The resolver's covered surface.
        options: The options it was produced under, as (name, value) pairs.

    Returns:
        A Markdown document ending in a newline.
    """
    lines = [
        f"# Covered surface: {surface.resolver} (dsr-resolvers {__version__})",
        "",
        "| Option | Value |",
        "|---|---|",
        *(f"| {_cell(name)} | {_cell(value)} |" for name, value in options),
        "",
        f"> {DECLARATION}",
        "",
        "## Fields exported and erased",
        "",
        "| Field (glob) | Category |",
        "|---|---|",
        *(f"| {_code(field.field)} | {field.category.value} |" for field in surface.fields),
        "",
        "## Knowingly not covered",
        "",
    ]
    if surface.exclusions:
        lines += [
            "| Field (glob) | Reason |",
            "|---|---|",
            *(
                f"| {_code(exclusion.field)} | {_cell(exclusion.reason)} |"
                for exclusion in surface.exclusions
            ),
        ]
    else:
        lines.append("Nothing is excluded under these options.")
    lines += ["", "## Notes", ""]
    lines += [f"- {note}" for note in surface.notes] or ["- None."]
    return "\n".join(lines) + "\n"


def surface_json(surface: CoveredSurface, options: Sequence[tuple[str, str]]) -> str:
    """The surface as JSON, with the options and the declaration statement."""
    document = {
        "options": dict(options),
        "statement": DECLARATION,
        "covered_surface": surface.model_dump(mode="json"),
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _code(glob: str) -> str:
    return "`" + glob.replace("|", "\\|") + "`"
