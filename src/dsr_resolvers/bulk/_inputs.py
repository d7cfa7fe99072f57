"""Reading the list of subjects a bulk run works through.

A compliance script is handed a file: one Intercom contact id or one email address a line
(plain text), or a CSV export whose header names the column to use. This module turns that
file into a deduplicated tuple of :class:`Subject` values, before anything is sent, so that a
typo on line 40,000 stops the run before the first erasure rather than in the middle of it.

| line (after stripping)          | becomes                                                    |
|---------------------------------|------------------------------------------------------------|
| empty                           | ignored                                                    |
| starts with ``#``               | ignored (a comment)                                        |
| contains ``@``                  | an ``email`` subject; the address is lower-cased           |
| anything else                   | a ``contact_id`` subject, kept exactly as written          |
| same subject as an earlier line | counted as a duplicate, handled once (first line wins)     |
| whitespace inside, > 255 chars  | :class:`InputError` naming the line number, never the text |

Every value read here is personal data: errors name a line number only, and ``repr`` of a
subject hides its value.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Final

__all__ = [
    "InputError",
    "Subject",
    "SubjectKind",
    "SubjectList",
    "parse_subjects",
    "read_subjects",
]

MAX_VALUE_LENGTH: Final = 255
"""The longest identifier a ``SubjectRef`` admits."""

KNOWN_COLUMNS: Final = ("contact_id", "intercom_id", "id", "email")
"""Header names picked automatically when the caller names no column (first match wins)."""


class SubjectKind(StrEnum):
    """What an input line names."""

    CONTACT_ID = "contact_id"
    EMAIL = "email"


class InputError(ValueError):
    """The input cannot be used. The message names a line number, never the line's text.

    Attributes:
        line: The 1-based line (or CSV record) number at fault, when there is one.
    """

    def __init__(self, message: str, *, line: int | None = None) -> None:
        self.line = line
        super().__init__(message if line is None else f"input line {line}: {message}")


@dataclass(frozen=True, slots=True)
class Subject:
    """One data subject named by the input.

    Attributes:
        kind: Whether ``value`` is a contact id or an email address.
        value: The normalised identifier. Personal data: never logged, hidden from ``repr``.
        line: The 1-based number of the first line that named this subject.
    """

    kind: SubjectKind
    value: str = field(repr=False)
    line: int

    @property
    def canonical(self) -> str:
        """``kind:value``, the text the journal's keyed hash is computed over."""
        return f"{self.kind.value}:{self.value}"


@dataclass(frozen=True, slots=True)
class SubjectList:
    """The subjects of one input, deduplicated, in input order.

    Attributes:
        subjects: Each distinct subject once, in the order first seen.
        duplicates: How many lines named a subject already seen.
    """

    subjects: tuple[Subject, ...]
    duplicates: int = 0

    def __len__(self) -> int:
        return len(self.subjects)

    def __iter__(self) -> Iterator[Subject]:
        return iter(self.subjects)


def _subject(raw: str, line: int) -> Subject | None:
    text = raw.strip()
    if not text or text.startswith("#"):
        return None
    if len(text) > MAX_VALUE_LENGTH:
        raise InputError(f"longer than {MAX_VALUE_LENGTH} characters", line=line)
    if any(ch.isspace() for ch in text):
        raise InputError("contains whitespace inside the value", line=line)
    if "@" in text:
        local, _, domain = text.rpartition("@")
        if not local or not domain or "." not in domain:
            raise InputError("not a valid email address", line=line)
        # Intercom matches addresses case-insensitively; lower-casing makes "A@x.io" and
        # "a@x.io" one subject, handled once.
        return Subject(SubjectKind.EMAIL, text.lower(), line)
    return Subject(SubjectKind.CONTACT_ID, text, line)


def parse_subjects(lines: Iterable[str]) -> SubjectList:
    """Parse plain-text lines, one contact id or email address each.

    Args:
        lines: The lines of the input, with or without line endings.

    Returns:
        The distinct subjects in input order and the number of duplicate lines.

    Raises:
        InputError: A line that is neither blank, a comment, an id nor an address.
    """
    return _dedupe(_subject(raw, number) for number, raw in enumerate(lines, start=1))


def _dedupe(candidates: Iterable[Subject | None]) -> SubjectList:
    seen: dict[str, Subject] = {}
    duplicates = 0
    for subject in candidates:
        if subject is None:
            continue
        if subject.canonical in seen:
            duplicates += 1
        else:
            seen[subject.canonical] = subject
    return SubjectList(tuple(seen.values()), duplicates)


def read_subjects(path: str | Path, *, column: str | None = None) -> SubjectList:
    """Read the subjects of a text or CSV file.

    A file is read as CSV when its name ends in ``.csv`` or ``column`` is given. A CSV file
    has a header row; ``column`` names the column holding the ids or addresses. Without it,
    the first header among ``contact_id``, ``intercom_id``, ``id`` and ``email`` is used, or
    the only column of a one-column file. Line numbers of CSV records count the header as
    line 1.

    Args:
        path: The input file (UTF-8, a byte-order mark is allowed).
        column: The CSV column to read.

    Returns:
        The distinct subjects in input order and the number of duplicate lines.

    Raises:
        InputError: A bad line, a CSV without the column, or an unreadable file.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("the input file is not UTF-8 text") from None
    if column is None and path.suffix.lower() != ".csv":
        return parse_subjects(text.splitlines())
    return _read_csv(text, column)


def _read_csv(text: str, column: str | None) -> SubjectList:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        return SubjectList(())
    names = [name.strip() for name in header]
    if any("@" in name for name in names):
        # A headerless file would otherwise lose its first subject silently.
        raise InputError("the first CSV record looks like data; add a header row", line=1)
    index = _column_index(names, column)

    def candidates() -> Iterator[Subject | None]:
        for row in reader:
            # The reader's line counter is that of the record's last physical line; a quoted
            # value spanning lines is rare in id lists and the number still locates it.
            line = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if row[0].lstrip().startswith("#"):
                continue
            if index >= len(row):
                raise InputError("the record has fewer fields than the header", line=line)
            yield _subject(row[index], line)

    try:
        return _dedupe(candidates())
    except csv.Error:
        raise InputError("the CSV input is malformed", line=reader.line_num) from None


def _column_index(names: list[str], column: str | None) -> int:
    if column is not None:
        if column not in names:
            raise InputError(f"the CSV header has no column named {column!r}", line=1)
        return names.index(column)
    lowered = [name.lower() for name in names]
    for known in KNOWN_COLUMNS:
        if known in lowered:
            return lowered.index(known)
    if len(names) == 1:
        return 0
    raise InputError(
        "name the CSV column to read; none of " + ", ".join(KNOWN_COLUMNS) + " is in the header",
        line=1,
    )
