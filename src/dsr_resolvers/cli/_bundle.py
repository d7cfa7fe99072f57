"""The export bundle: one Art. 15 answer, as JSON, JSON Lines or CSV.

One person may be several Intercom contacts (a user and leads sharing an email), so an answer
is a *bundle*: every contact's records, and the covered surface they were produced under, so
that the file says what it claims to be complete for (Art. 20: machine-readable and
self-describing).

| format  | shape                                                                          |
|---------|--------------------------------------------------------------------------------|
| json    | ``{"format", "resolver", "generated_at", "subjects": [{"contact_id",          |
|         | "records": [{"field", "category", "value", "source"}]}], "covered_surface"}`` |
| jsonl   | one record a line: ``{"contact_id", "field", "category", "value", "source"}`` |
| csv     | header ``contact_id,field,category,value``, one record a row                    |

JSON Lines and CSV have no room for the surface; when they are written to a file, the surface
goes beside it as ``<file>.surface.json``. Values are written as Intercom holds them: CSV cells
are not escaped against spreadsheet formulas, since altering a value would falsify the export;
open the CSV in a tool that does not evaluate formulas.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

from dsr_resolvers.contract import CoveredSurface, ExportRecord

__all__ = ["BUNDLE_FORMAT", "ExportBundle", "ExportFormat", "SubjectRecords"]

BUNDLE_FORMAT: Final = "dsr-resolvers/export/v1"
"""The ``format`` field of a JSON bundle."""

CSV_COLUMNS: Final = ("contact_id", "field", "category", "value")


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
    """

    contact_id: str
    records: tuple[ExportRecord, ...]
    role: str | None = None


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
    covered_surface: CoveredSurface
    generated_at: datetime

    @classmethod
    def now(
        cls, resolver: str, subjects: Sequence[SubjectRecords], surface: CoveredSurface
    ) -> ExportBundle:
        """A bundle stamped with the current time."""
        return cls(resolver, tuple(subjects), surface, datetime.now(UTC))

    @property
    def record_count(self) -> int:
        """Records over all contacts."""
        return sum(len(subject.records) for subject in self.subjects)

    def to_json(self) -> str:
        """The whole bundle as one JSON document."""
        document = {
            "format": BUNDLE_FORMAT,
            "resolver": self.resolver,
            "generated_at": _iso(self.generated_at),
            "subjects": [
                {
                    "contact_id": subject.contact_id,
                    "records": [_record(record) for record in subject.records],
                }
                for subject in self.subjects
            ],
            "covered_surface": self.surface_json(),
        }
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"

    def surface_json(self) -> dict[str, Any]:
        """The covered surface as JSON-ready data."""
        return self.covered_surface.model_dump(mode="json")

    def to_jsonl(self) -> str:
        """One JSON object a line, each a record with its ``contact_id``."""
        return "".join(
            json.dumps({"contact_id": contact_id, **_record(record)}, ensure_ascii=False) + "\n"
            for contact_id, record in self._rows()
        )

    def to_csv(self) -> str:
        """A CSV table with the columns ``contact_id,field,category,value``."""
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for contact_id, record in self._rows():
            writer.writerow((contact_id, record.field, record.category.value, record.value))
        return buffer.getvalue()

    def render(self, export_format: ExportFormat) -> str:
        """The bundle in ``export_format``."""
        if export_format is ExportFormat.JSONL:
            return self.to_jsonl()
        if export_format is ExportFormat.CSV:
            return self.to_csv()
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
