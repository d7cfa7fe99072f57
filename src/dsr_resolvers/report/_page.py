"""The page both deliverables are printed on: one self-contained HTML document.

| property              | how                                                               |
|-----------------------|-------------------------------------------------------------------|
| no script             | none is written; a Content-Security-Policy forbids any anyway     |
| no external request  | inline CSS, system fonts, no image; CSP ``default-src 'none'``    |
| printable to A4       | ``@page { size: A4 }``, table headers repeat, rows do not split   |
| escaped               | every value passes :func:`text_html`; message bodies pass the     |
|                       | sanitiser (``_sanitize.py``) instead                              |
| format controls shown | every Unicode format control (category Cf: the bidi overrides     |
|                       | U+202A-U+202E and isolates U+2066-U+2069, zero-width spaces,      |
|                       | soft hyphens, ...) becomes a visible ``[U+202E]``, so text cannot |
|                       | read differently from what is held; only the joiners U+200C and   |
|                       | U+200D stay, since they shape letters and emoji and move nothing  |
| prints in linear time | no page-wide ``overflow-wrap: anywhere`` (Chromium's layout of a  |
|                       | long unbroken value under it is quadratic: 100 KB took 45 s to    |
|                       | print); instead a run of more than 48 characters without a space |
|                       | gets a ``<wbr>`` every 24, and the report caps a displayed value  |
|                       | (``SHOWN_MAX``) with a note that the JSON export holds all of it; |
|                       | only ids in cells (``td .mono``, short) may break anywhere        |
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import escape
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from collections.abc import Sequence

    from dsr_resolvers.report._catalogue import Words

__all__ = ["SHOWN_MAX", "LookedFor", "format_moment", "looked_for", "page", "table", "text_html"]

LookedFor = Literal["contact_id", "email", "phone", "external_id"]
"""How a person was looked for: by contact id (no search), or by a searched identifier."""

SHOWN_MAX: Final = 20_000
"""The most characters of one value (or of one message's text) a document shows."""

_RUN: Final = 48
_CHUNK: Final = 24
_LONG_RUN: Final = re.compile(rf"[^\s]{{{_RUN + 1},}}")

# Unicode's format controls (general category Cf), as of Unicode 15; a test checks the table
# against ``unicodedata``. U+200C and U+200D (zero-width non-joiner and joiner) are left out.
_FORMAT_CONTROLS: Final = (
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200B),
    (0x200E, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)
_CONTROL: Final = re.compile(
    "[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in _FORMAT_CONTROLS) + "]"
)

_CSP: Final = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'"

_CSS: Final = """
:root { color-scheme: light; --ink: #1b1f24; --muted: #5b6470; --rule: #d5dae0;
  --band: #f3f5f7; --accent: #2f4d8a; --alert: #9b1c1c; }
* { box-sizing: border-box; }
html { font: 10.5pt/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
  Arial, "Noto Sans", "Liberation Sans", sans-serif; color: var(--ink); background: #fff; }
body { max-width: 190mm; margin: 0 auto; padding: 12mm 8mm; }
h1 { font-size: 19pt; line-height: 1.2; margin: 0 0 4mm; color: var(--accent); }
h2 { font-size: 13.5pt; margin: 9mm 0 3mm; padding-bottom: 1mm;
  border-bottom: 1.5pt solid var(--accent); break-after: avoid; }
h3 { font-size: 11.5pt; margin: 6mm 0 2mm; break-after: avoid; }
h4 { font-size: 10.5pt; margin: 4mm 0 1.5mm; color: var(--muted); break-after: avoid; }
p { margin: 0 0 2.5mm; }
.lede { font-size: 11pt; }
.muted, footer { color: var(--muted); }
.note { border-left: 3pt solid var(--alert); background: #fbf1f1; padding: 2mm 3mm; }
.ok { border-left: 3pt solid #2e6b3a; background: #eef6ef; padding: 2mm 3mm; }
dl.facts { display: grid; grid-template-columns: minmax(42mm, max-content) 1fr;
  gap: 1mm 5mm; margin: 0 0 3mm; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
table { width: 100%; border-collapse: collapse; margin: 0 0 3mm; font-size: 9.5pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { text-align: left; vertical-align: top; padding: 1.2mm 2mm;
  border-bottom: 0.5pt solid var(--rule); }
th { hyphens: auto; }
td .mono { overflow-wrap: anywhere; } /* ids and references only: short by construction */
th { background: var(--band); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono",
  "Liberation Mono", monospace; font-size: 9pt; }
.message { border: 0.5pt solid var(--rule); border-radius: 2mm; padding: 2mm 3mm;
  margin: 0 0 2.5mm; break-inside: avoid; }
.message .meta { color: var(--muted); font-size: 9pt; margin-bottom: 1mm; }
.message .body p:last-child { margin-bottom: 0; }
.message .files { margin: 1.5mm 0 0; padding-left: 4mm; font-size: 9pt; }
.card { border: 0.5pt solid var(--rule); border-radius: 2mm; padding: 2mm 3mm 0.5mm;
  margin: 0 0 2.5mm; break-inside: avoid; }
.card h5 { font-size: 10.5pt; margin: 0 0 1.5mm; }
.cut { color: var(--muted); font-style: italic; }
.message blockquote { margin: 1mm 0 1mm 3mm; padding-left: 2mm;
  border-left: 2pt solid var(--rule); }
footer { margin-top: 10mm; padding-top: 2mm; border-top: 0.5pt solid var(--rule); font-size: 9pt; }
@page { size: A4; margin: 16mm 14mm 18mm; }
@media print {
  html { font-size: 9.5pt; }
  body { max-width: none; padding: 0; }
  h2 { break-before: auto; }
}
"""


def visible(text: str) -> str:
    """``text`` with every format control replaced by a visible ``[U+XXXX]``."""
    return _CONTROL.sub(lambda found: f"[U+{ord(found.group()):04X}]", text)


def text_html(text: str) -> str:
    """``text`` escaped, with a break opportunity (``<wbr>``) inside every long unbroken run."""
    out: list[str] = []
    start = 0
    for run in _LONG_RUN.finditer(text):
        out.append(escape(text[start : run.start()]))
        word = run.group()
        out.append("<wbr>".join(escape(word[i : i + _CHUNK]) for i in range(0, len(word), _CHUNK)))
        start = run.end()
    out.append(escape(text[start:]))
    return "".join(out)


def format_moment(moment: datetime) -> str:
    """``2024-03-12 14:05 UTC``: a date and time a person reads, with its time zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def table(
    headers: list[str], rows: list[list[str]], *, numeric: frozenset[int] = frozenset()
) -> str:
    """A table; ``headers`` are escaped here, ``rows`` cells must already be safe HTML."""
    head = "".join(
        f'<th class="num">{escape(h)}</th>' if i in numeric else f"<th>{escape(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{cell}</td>' if i in numeric else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def page(*, language: str, title: str, body: str) -> str:
    """The whole document around ``body`` (safe HTML); format controls made visible."""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{escape(language)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{escape(visible(title))}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n{visible(body)}\n</body>\n</html>\n"
    )


def looked_for(words: Words, kinds: Sequence[LookedFor]) -> tuple[str, str | None]:
    """The "looked for by" fact (kinds in words, never values), and, when anything was
    searched, the note on what search cannot see; both escaped HTML."""
    shown = ", ".join(words(f"looked_for_{kind}") for kind in dict.fromkeys(kinds))
    searched = any(kind != "contact_id" for kind in kinds)
    note = f'<p class="note">{escape(words("search_limits"))}</p>' if searched else None
    return escape(shown or words("receipt_none")), note
