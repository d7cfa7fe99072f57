"""How long the access report takes to render: 1,000 and 10,000 export records, and 1 MB values.

The records are a realistic mix for one person: a full profile, tags, notes, conversation
metadata, and message bodies with Intercom-style HTML (each passes the sanitiser), in both
languages, with a processing record. A last row renders one contact whose custom attribute,
note and message are each one unbroken 1 MB value (shown in part, breakable: issue 19's
report that could not be printed). Prints the median wall time of several renders and the
size of the HTML. No network at all; asserts nothing about time (the browser test prints the
1 MB case to PDF).

Run: ``python benchmarks/bench_report.py [--quick]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dsr_resolvers import ExportRecord, PiiCategory, ResolverExport
from dsr_resolvers.intercom import IntercomResolver
from dsr_resolvers.report import ProcessingRecord, render_access_report

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "processing-record.example.toml"
BODY = (
    "<p>Hello, I still cannot log in since <b>yesterday</b>. I tried the "
    '<a href="https://acme.example/reset">reset link</a> twice.</p><p>Thanks, Sam</p>'
)
PROFILE = (
    ("email", PiiCategory.CONTACT, "sam.rivera@example.com"),
    ("name", PiiCategory.IDENTITY, "Sam Rivera"),
    ("phone", PiiCategory.CONTACT, "+44 20 7946 0958"),
    ("location.city", PiiCategory.LOCATION, "London"),
    ("browser", PiiCategory.TECHNICAL, "firefox"),
    ("created_at", PiiCategory.BEHAVIORAL, "2024-06-01T00:00:00Z"),
    ("last_seen_at", PiiCategory.BEHAVIORAL, "2024-07-11T00:00:00Z"),
)


def _at(n: int) -> str:
    moment = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=37 * n)
    return moment.isoformat().replace("+00:00", "Z")


def records(count: int) -> tuple[ExportRecord, ...]:
    """``count`` records: the profile, then conversations of 3 metadata records and 6 messages."""

    def record(field: str, category: PiiCategory, value: str) -> ExportRecord:
        return ExportRecord(source="intercom", field=field, category=category, value=value)

    out = [record(f"contact.{key}", category, value) for key, category, value in PROFILE]
    out += [record(f"contact.tags.{n}.name", PiiCategory.BEHAVIORAL, f"tag {n}") for n in range(5)]
    n = 0
    while len(out) < count:
        conversation = f"conversation.{1000 + n}."
        out += [
            record(conversation + "created_at", PiiCategory.BEHAVIORAL, _at(n)),
            record(conversation + "updated_at", PiiCategory.BEHAVIORAL, _at(n + 1)),
            record(conversation + "state", PiiCategory.BEHAVIORAL, "closed"),
            record(conversation + "source.body", PiiCategory.COMMUNICATION, BODY),
        ]
        for part in range(3):
            prefix = f"{conversation}conversation_parts.{n * 10 + part}."
            out += [
                record(prefix + "body", PiiCategory.COMMUNICATION, BODY),
                record(prefix + "created_at", PiiCategory.COMMUNICATION, _at(n + part)),
            ]
        n += 1
    return tuple(out[:count])


MEGABYTE = 1 << 20


def megabyte_values() -> tuple[ExportRecord, ...]:
    """A custom attribute, a note and a message, each one unbroken 1 MB value."""
    huge = "x" * MEGABYTE
    return (
        ExportRecord(
            source="intercom", field="contact.name", category=PiiCategory.IDENTITY, value="Sam"
        ),
        ExportRecord(
            source="intercom",
            field="contact.custom_attributes.blob",
            category=PiiCategory.BEHAVIORAL,
            value=huge,
        ),
        ExportRecord(
            source="intercom",
            field="contact.notes.1.body",
            category=PiiCategory.COMMUNICATION,
            value=f"<p>{huge}</p>",
        ),
        ExportRecord(
            source="intercom",
            field="conversation.7.source.body",
            category=PiiCategory.COMMUNICATION,
            value=huge,
        ),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer renders, 1,000 records only")
    args = parser.parse_args()
    repeats = 3 if args.quick else 7
    sizes = (1_000,) if args.quick else (1_000, 10_000)
    surface = IntercomResolver("bench", export_messages=True).covered_surface
    processing = ProcessingRecord.from_toml(EXAMPLE)
    print(f"{'records':>8} {'language':>8} {'median ms':>10} {'min ms':>8} {'HTML KiB':>9}")
    cases = [(f"{size:,}", records(size)) for size in sizes]
    cases.append(("3 x 1 MB", megabyte_values()))
    for label, case in cases:
        exports = {"6650d1c2e4b0a1b2c3d4e5f6": ResolverExport(resolver="intercom", records=case)}
        for language in ("en", "de"):
            timings, html = [], ""
            for _ in range(repeats):
                start = time.perf_counter()
                html = render_access_report(exports, surface, processing, language=language)
                timings.append((time.perf_counter() - start) * 1000)
            print(
                f"{label:>8} {language:>8} {statistics.median(timings):>10.1f} "
                f"{min(timings):>8.1f} {len(html.encode()) / 1024:>9.0f}"
            )


if __name__ == "__main__":
    main()
