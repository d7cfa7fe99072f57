"""Reading the list of subjects a bulk run works through.

A compliance script is handed a file: one Intercom contact id or one email address a line
(plain text), or a CSV export whose header names the column to use. :func:`read_subjects`
checks the whole file before anything is sent, so that a typo on line 40,000 stops the run
before the first erasure rather than in the middle of it, and then streams it: a run over a
million lines never holds them all (duplicates are dropped by the journal, first line wins).

| line                                          | becomes                                        |
|-----------------------------------------------|------------------------------------------------|
| empty or spaces/tabs only                     | ignored                                        |
| starts with ``#``                             | ignored (a comment)                            |
| contains ``@``                                | an ``email`` subject, through the one rule for |
|                                               | addresses (``normalize_email``); sent as typed |
| anything else                                 | a ``contact_id`` subject, kept exactly         |
| same subject as an earlier line (addresses    | a duplicate, handled once (first line wins)    |
| compared lower-cased)                         |                                                |
| a control or invisible character (NUL, ESC, a | :class:`InputError` naming the line number,    |
| BOM after the file's start, a zero-width      | never the text                                 |
| space, a lone CR), whitespace inside, > 255   |                                                |

Lines end at ``\n`` or ``\r\n`` only: a ``\r``, ``\x85`` or U+2028 inside a line is a
character of that line (and rejected), never a line break that would shift line numbers. A
byte-order mark is accepted at the very start of the file only.

Every value read here is personal data: errors name a line number only, and ``repr`` of a
subject hides its value.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Final

from dsr_resolvers._text import hidden_character, normalize_email

__all__ = [
    "InputError",
    "Subject",
    "SubjectFile",
    "SubjectKind",
    "SubjectList",
    "parse_subjects",
    "read_subjects",
]

_BOM: Final = "\ufeff"

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
        """``kind:value``, the text the journal's keyed hash is computed over.

        An address is lower-cased here (only here): Intercom matches addresses without regard
        to case, so ``Ada@x.io`` and ``ada@x.io`` are one subject, handled once.
        """
        value = self.value.lower() if self.kind is SubjectKind.EMAIL else self.value
        return f"{self.kind.value}:{value}"


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
    text = raw.strip(" \t")
    if not text or text.startswith("#"):
        return None
    position = hidden_character(text)
    if position is not None:
        raise InputError(
            f"holds a control or invisible character (U+{ord(text[position]):04X}) at "
            f"position {position + 1}",
            line=line,
        )
    if len(text) > MAX_VALUE_LENGTH:
        raise InputError(f"longer than {MAX_VALUE_LENGTH} characters", line=line)
    if any(ch.isspace() for ch in text):
        raise InputError("contains whitespace inside the value", line=line)
    if "@" in text:
        try:
            address = normalize_email(text)
        except ValueError as error:  # its message never repeats the address
            raise InputError(str(error), line=line) from None
        return Subject(SubjectKind.EMAIL, address, line)
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
    return _dedupe(
        _subject(raw.removesuffix("\n").removesuffix("\r"), number)
        for number, raw in enumerate(lines, start=1)
    )


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


class SubjectFile:
    """The subjects of an input file, checked whole, then read again each time it is iterated.

    Iterating yields every subject line in order, duplicates included (the journal drops
    them); the file is never held in memory. Made by :func:`read_subjects`.

    Attributes:
        path: The input file.
        lines: How many lines name a subject (duplicates included).
    """

    def __init__(self, path: Path, stream: Callable[[], Iterator[Subject]]) -> None:
        self.path = path
        self._stream = stream
        self.lines = sum(1 for _ in stream())

    def __repr__(self) -> str:
        return f"SubjectFile(path={str(self.path)!r}, lines={self.lines})"

    def __len__(self) -> int:
        return self.lines

    def __iter__(self) -> Iterator[Subject]:
        return self._stream()


def read_subjects(path: str | Path, *, column: str | None = None) -> SubjectFile:
    """Check every line of a text or CSV file, then return it as a stream of subjects.

    A file is read as CSV when its name ends in ``.csv`` or ``column`` is given. A CSV file
    has a header row; ``column`` names the column holding the ids or addresses. Without it,
    the first header among ``contact_id``, ``intercom_id``, ``id`` and ``email`` is used, or
    the only column of a one-column file. Line numbers of CSV records count the header as
    line 1.

    Args:
        path: The input file (UTF-8; a byte-order mark is allowed at its start only).
        column: The CSV column to read.

    Returns:
        The file's subjects; iterating reads the file again.

    Raises:
        InputError: A bad line, a CSV without the column, or a file that is not UTF-8.
        OSError: The file cannot be read.
    """
    path = Path(path)
    if column is None and path.suffix.lower() != ".csv":
        return SubjectFile(path, lambda: _text_subjects(path))
    return SubjectFile(path, lambda: _csv_subjects(path, column))


def _text_subjects(path: Path) -> Iterator[Subject]:
    with path.open("rb") as handle:
        # Binary lines end at b"\n" only: \r, \x85 and U+2028 stay inside their line.
        for number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InputError("is not UTF-8 text", line=number) from None
            text = text.removesuffix("\n").removesuffix("\r")
            if number == 1:
                text = text.removeprefix(_BOM)
            subject = _subject(text, number)
            if subject is not None:
                yield subject


def _csv_subjects(path: Path, column: str | None) -> Iterator[Subject]:
    with path.open(encoding="utf-8", newline="") as handle:
        first = handle.read(1)
        if first != _BOM:
            handle.seek(0)
        reader = csv.reader(handle)
        try:
            yield from _csv_rows(reader, column)
        except csv.Error:
            raise InputError("the CSV input is malformed", line=reader.line_num) from None
        except UnicodeDecodeError:
            raise InputError("is not UTF-8 text", line=reader.line_num + 1) from None


def _csv_rows(reader: Iterator[list[str]], column: str | None) -> Iterator[Subject]:
    header = next(reader, None)
    if header is None:
        return
    names = [name.strip() for name in header]
    if any("@" in name for name in names):
        # A headerless file would otherwise lose its first subject silently.
        raise InputError("the first CSV record looks like data; add a header row", line=1)
    index = _column_index(names, column)
    for row in reader:
        # The reader's line counter is that of the record's last physical line; a quoted
        # value spanning lines is rare in id lists and the number still locates it.
        line: int = getattr(reader, "line_num", 0)
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if row[0].lstrip().startswith("#"):
            continue
        if index >= len(row):
            raise InputError("the record has fewer fields than the header", line=line)
        subject = _subject(row[index], line)
        if subject is not None:
            yield subject


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
