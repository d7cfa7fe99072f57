"""The export bundle: one Art. 15 answer, as JSON, JSON Lines or CSV, single or bulk alike.

One person may be several Intercom contacts (a user and leads sharing an email), so an answer
is a *bundle*: every contact's records, and the covered surface they were produced under, so
that the file says what it claims to be complete for (Art. 20: machine-readable and
self-describing). ``dsr intercom export`` and every file of a bulk export
(:mod:`dsr_resolvers.bulk`) are the same JSON document, :data:`BUNDLE_FORMAT`, whose JSON
Schema is ``docs/schemas/export.schema.json``; a bulk file adds ``input`` (the input line and
the journal key it answers) and is named :func:`export_file_name` so a DPO can find a
person's file from the report's line number.

| format  | shape                                                                          |
|---------|--------------------------------------------------------------------------------|
| json    | ``{"format", "resolver", "generated_at", "subjects": [{"contact_id",          |
|         | "records": [{"field", "category", "value", "source"}]}], "covered_surface"``  |
|         | (``null`` when the resolver declares none), bulk only: ``"input": {"line",``  |
|         | ``"key"}}``                                                                    |
| jsonl   | one record a line: ``{"contact_id", "field", "category", "value", "source"}`` |
| csv     | RFC 4180 (CRLF): header ``contact_id,field,category,value``, a record a row     |

JSON Lines and CSV have no room for the surface; when they are written to a file, the surface
goes beside it as ``<file>.surface.json``.

A DPO opens the CSV in a spreadsheet, which runs a cell starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return as a formula (CSV injection). So by default such a cell is
written with a leading ``'``, which spreadsheets show as text and do not evaluate; the JSON
and JSON Lines forms always hold the value exactly. ``csv_raw=True`` (``--csv-raw``) writes
every cell as Intercom holds it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

from dsr_resolvers.contract import CoveredSurface, ExportRecord

__all__ = ["BUNDLE_FORMAT", "ExportBundle", "ExportFormat", "SubjectRecords", "export_file_name"]

BUNDLE_FORMAT: Final = "dsr-resolvers/export/v1"
"""The ``format`` field of a JSON bundle."""

CSV_COLUMNS: Final = ("contact_id", "field", "category", "value")
#: First characters that make a spreadsheet read a CSV cell as a formula.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def neutralised(cell: str) -> str:
    """``cell`` as a spreadsheet shows it but never evaluates it: ``'`` before a formula start."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def export_file_name(line: int, key: str) -> str:
    """A bulk export file's name: the input line first, so files sort and are found by line.

    ``line-000042-3f9a1c0b7d2e.json``: the 1-based input line, then the start of the
    subject's journal key, which tells apart two runs' files for the same line.
    """
    return f"line-{line:06d}-{key[:12]}.json"


class ExportFormat(StrEnum):
    """How ``dsr intercom export`` writes the bundle."""

    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"
    HTML = "html"  # the access report: cli/_deliverables.py renders it, not the bundle


@dataclass(frozen=True)
class SubjectRecords:
    """One contact's records.

    Attributes:
        contact_id: The Intercom contact id.
        role: ``user`` or ``lead`` when a lookup said so, else ``None`` (not exported).
        records: Everything exported; empty when Intercom holds no such contact.
        held_not_exported: Names (never values) of what Intercom showed it holds but the
            export left out (``ResolverExport.held_not_exported``).
    """

    contact_id: str = field(repr=False)
    records: tuple[ExportRecord, ...]
    role: str | None = None
    held_not_exported: tuple[str, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class ExportBundle:
    """Every contact of one request, and the surface the export was produced under.

    Attributes:
        resolver: The resolver's name (``intercom``).
        subjects: One entry per contact, in lookup order.
        covered_surface: What the resolver declares it reached, for these options.
        generated_at: When the export finished (UTC).
    """

    resolver: str
    subjects: tuple[SubjectRecords, ...]
    covered_surface: CoveredSurface | None
    generated_at: datetime
    input: Mapping[str, Any] | None = field(default=None, repr=False)

    @classmethod
    def now(
        cls,
        resolver: str,
        subjects: Sequence[SubjectRecords],
        surface: CoveredSurface | None,
        *,
        input: Mapping[str, Any] | None = None,
    ) -> ExportBundle:
        """A bundle stamped with the current time (``input``: a bulk file's line and key)."""
        return cls(resolver, tuple(subjects), surface, datetime.now(UTC), input)

    @property
    def record_count(self) -> int:
        """Records over all contacts."""
        return sum(len(subject.records) for subject in self.subjects)

    def document(self) -> dict[str, Any]:
        """The bundle as JSON-ready data: :data:`BUNDLE_FORMAT`."""
        document: dict[str, Any] = {
            "format": BUNDLE_FORMAT,
            "resolver": self.resolver,
            "generated_at": _iso(self.generated_at),
            "subjects": [
                {
                    "contact_id": subject.contact_id,
                    "records": [_record(record) for record in subject.records],
                    **(
                        {"held_not_exported": list(subject.held_not_exported)}
                        if subject.held_not_exported
                        else {}
                    ),
                }
                for subject in self.subjects
            ],
            "covered_surface": self.surface_json(),
        }
        if self.input is not None:
            document["input"] = dict(self.input)
        return document

    def to_json(self) -> str:
        """The whole bundle as one JSON document."""
        return json.dumps(self.document(), ensure_ascii=False, indent=2) + "\n"

    def surface_json(self) -> dict[str, Any] | None:
        """The covered surface as JSON-ready data (``None`` when none is declared)."""
        if self.covered_surface is None:
            return None
        return self.covered_surface.model_dump(mode="json")

    def to_jsonl(self) -> str:
        """One JSON object a line, each a record with its ``contact_id``."""
        return "".join(
            json.dumps({"contact_id": contact_id, **_record(record)}, ensure_ascii=False) + "\n"
            for contact_id, record in self._rows()
        )

    def to_csv(self, *, raw: bool = False) -> str:
        """A CSV table with the columns ``contact_id,field,category,value``.

        Args:
            raw: Write cells exactly as held, even those a spreadsheet would run as a formula
                (by default they get a leading ``'``; see the module docstring).
        """
        buffer = io.StringIO(newline="")
        # RFC 4180 line ends: the writer then quotes a cell holding a lone CR too.
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for contact_id, record in self._rows():
            row = (contact_id, record.field, record.category.value, record.value)
            writer.writerow(row if raw else tuple(map(neutralised, row)))
        return buffer.getvalue()

    def render(self, export_format: ExportFormat, *, csv_raw: bool = False) -> str:
        """The bundle in ``export_format`` (``csv_raw``: see :meth:`to_csv`)."""
        if export_format is ExportFormat.JSONL:
            return self.to_jsonl()
        if export_format is ExportFormat.CSV:
            return self.to_csv(raw=csv_raw)
        if export_format is ExportFormat.HTML:
            raise ValueError("an HTML access report is rendered by dsr_resolvers.report")
        return self.to_json()

    def _rows(self) -> Iterator[tuple[str, ExportRecord]]:
        for subject in self.subjects:
            for record in subject.records:
                yield subject.contact_id, record


def _record(record: ExportRecord) -> dict[str, Any]:
    dumped = record.model_dump(mode="json", exclude_none=True)
    leading = {name: dumped.pop(name) for name in ("field", "category", "value", "source")}
    return {**leading, **dumped}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
