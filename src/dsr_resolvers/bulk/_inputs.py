"""Reading the list of subjects a bulk run works through.

A compliance script is handed a file: one Intercom contact id or one email address a line
(plain text), or a CSV export whose header names its columns. A CSV row is one person: it may
carry any of ``contact_id``, ``email``, ``phone`` and ``external_id`` (every one given is
searched) and the DPO's own ``reference``. :func:`read_subjects` checks the whole file before
anything is sent, so that a typo on line 40,000 stops the run before the first erasure rather
than in the middle of it, and then streams it: a run over a million lines never holds them all
(duplicates are dropped by the journal, first line wins).

| line                                          | becomes                                        |
|-----------------------------------------------|------------------------------------------------|
| empty or spaces/tabs only                     | ignored                                        |
| starts with ``#``                             | ignored (a comment)                            |
| contains ``@``                                | an ``email`` subject, through the one rule for |
|                                               | addresses (``normalize_email``); sent as typed |
| anything else                                 | a ``contact_id`` subject, kept exactly; only   |
|                                               | letters, digits, ``-`` and ``_`` (as the       |
|                                               | single commands: ``../../admin`` is refused)   |
| same subject as an earlier line (addresses    | a duplicate, handled once (first line wins)    |
| compared lower-cased)                         |                                                |
| a control or invisible character (NUL, ESC, a | :class:`InputError` naming the line number,    |
| BOM after the file's start, a zero-width      | never the text                                 |
| space, a lone CR), whitespace inside, > 255   |                                                |

CSV files:

| header or record                              | becomes                                        |
|-----------------------------------------------|------------------------------------------------|
| the header's delimiter: ``,``, ``;`` or tab   | used for the whole file; a header holding more |
| (outside quotes)                              | than one of them: :class:`InputError`          |
| columns ``contact_id`` (or ``intercom_id``,   | one person a row, every identifier of the row  |
| ``id``), ``email``, ``phone``, ``external_id``| (empty cells skipped); checked by the rules of |
| (any subset, any letter case)                 | ``_text.py``, as the single commands check them|
| a ``reference`` column                        | the DPO's reference for the row (``Subject.    |
|                                               | reference``): letters, digits, `` ._-``, <= 64 |
|                                               | chars; one repeating an identifier of its row: |
|                                               | :class:`InputError` (it names receipts)        |
| ``column=`` named                             | that column only; its kind by its name, else by|
|                                               | its content (``@``: an email)                  |
| a record with more non-empty fields than the  | :class:`InputError` naming the line (a value   |
| header (``user41@example,com`` unquoted)      | holding the delimiter must be quoted)          |
| a row without any identifier                  | ignored                                        |

Lines end at ``\n`` or ``\r\n`` only: a ``\r``, ``\x85`` or U+2028 inside a line is a
character of that line (and rejected), never a line break that would shift line numbers. A
byte-order mark is accepted at the very start of the file only.

Every value read here is personal data: errors name a line number only, and ``repr`` of a
subject hides its values.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Final, Literal, cast

from dsr_resolvers._text import (
    hidden_character,
    normalize_email,
    normalize_external_id,
    normalize_phone,
    plausible_contact_id,
)

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

KNOWN_COLUMNS: Final = ("contact_id", "intercom_id", "id", "email", "phone", "external_id")
"""Header names read automatically when the caller names no column (any letter case)."""
_CONTACT_ID_COLUMNS: Final = ("contact_id", "intercom_id", "id")
REFERENCE_COLUMN: Final = "reference"
_DELIMITERS: Final = (",", ";", "\t")
_REFERENCE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}")
_BAD_REFERENCE: Final = (
    "the reference holds other than letters, digits, spaces, . _ - or is longer than 64 characters"
)


class SubjectKind(StrEnum):
    """What an input line names: one kind of identifier, or several (``person``)."""

    CONTACT_ID = "contact_id"
    EMAIL = "email"
    PHONE = "phone"
    EXTERNAL_ID = "external_id"
    PERSON = "person"


_SEARCHED: Final = (SubjectKind.EMAIL, SubjectKind.PHONE, SubjectKind.EXTERNAL_ID)
SearchedKind = Literal["email", "phone", "external_id"]
"""A kind of identifier a subject is searched by."""


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
    """One data subject named by the input: one line, or one CSV row of identifiers.

    Attributes:
        line: The 1-based number of the first line that named this subject.
        identifiers: The normalised identifiers by kind (never ``PERSON``), in the order
            contact id, email, phone, external id. Personal data: never logged, hidden from
            ``repr``.
        reference: The DPO's own reference for the row (a ``reference`` column), if any:
            letters, digits, space, ``.``, ``_`` and ``-``, starting with a letter or digit,
            at most 64 characters, and never one of the row's identifiers (it names receipts).

    Raises:
        ValueError: A reference of other characters, or one that repeats an identifier of
            the row (the message names neither).
    """

    line: int
    identifiers: tuple[tuple[SubjectKind, str], ...] = field(repr=False)
    reference: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.reference is None:
            return
        if _REFERENCE.fullmatch(self.reference) is None:
            raise ValueError(_BAD_REFERENCE)
        folded = self.reference.casefold()
        if any(folded in (value.casefold(), _canonical(kind, value).casefold())
               for kind, value in self.identifiers):  # fmt: skip
            raise ValueError(
                "the reference repeats an identifier of the row; give your own reference"
                " (a ticket number): it names the receipt"
            )

    @classmethod
    def of(cls, kind: SubjectKind, value: str, line: int) -> Subject:
        """A subject named by one identifier."""
        return cls(line, ((kind, value),))

    @property
    def kind(self) -> SubjectKind:
        """The kind of the one identifier, or ``PERSON`` for a row of several."""
        return self.identifiers[0][0] if len(self.identifiers) == 1 else SubjectKind.PERSON

    @property
    def value(self) -> str:
        """The one identifier's value; for a row of several, :attr:`canonical`."""
        return self.identifiers[0][1] if len(self.identifiers) == 1 else self.canonical

    @property
    def contact_id(self) -> str | None:
        """The contact id the row names, if any."""
        return dict(self.identifiers).get(SubjectKind.CONTACT_ID)

    @property
    def search(self) -> dict[str, str]:
        """The identifiers to search for, as ``find_contacts`` keywords (may be empty)."""
        return {kind.value: value for kind, value in self.identifiers if kind in _SEARCHED}

    @property
    def searched_kinds(self) -> tuple[SearchedKind, ...]:
        """The kinds of identifier this subject is looked for by (never their values)."""
        return tuple(
            cast("SearchedKind", kind.value) for kind, _ in self.identifiers if kind in _SEARCHED
        )

    @property
    def canonical(self) -> str:
        """``kind:value`` (joined by ``|`` for a row of several), what the journal's keyed
        hash is computed over.

        An address is lower-cased here (only here): Intercom matches addresses without regard
        to case, so ``Ada@x.io`` and ``ada@x.io`` are one subject, handled once. A phone is
        taken in its compact (E.164) form, so two typings of one number are one subject.
        """
        return "|".join(f"{kind.value}:{_canonical(kind, v)}" for kind, v in self.identifiers)


def _canonical(kind: SubjectKind, value: str) -> str:
    if kind is SubjectKind.EMAIL:
        return value.lower()
    if kind is SubjectKind.PHONE:
        return normalize_phone(value).compact
    return value


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
    if raw.strip(" \t").startswith("#"):
        return None
    text = _checked_field(raw, line)
    if text is None:
        return None
    if any(ch.isspace() for ch in text):
        raise InputError("contains whitespace inside the value", line=line)
    kind = SubjectKind.EMAIL if "@" in text else SubjectKind.CONTACT_ID
    return Subject.of(kind, _identifier(kind, text, line), line)


def _identifier(kind: SubjectKind, text: str, line: int) -> str:
    """One field checked by the rule the single commands use for its kind."""
    if kind is SubjectKind.CONTACT_ID:
        if not plausible_contact_id(text):
            raise InputError(
                "is not an Intercom contact id (letters, digits, - and _ only)", line=line
            )
        return text
    try:  # the messages never repeat the value
        if kind is SubjectKind.EMAIL:
            return normalize_email(text)
        if kind is SubjectKind.PHONE:
            return normalize_phone(text).typed
        return normalize_external_id(text)
    except ValueError as error:
        raise InputError(str(error), line=line) from None


def _checked_field(raw: str, line: int, column: str | None = None) -> str | None:
    """A line or CSV field stripped and checked for what no identifier may hold (a control
    or invisible character, more than 255 characters), or None if empty."""
    text = raw.strip(" \t")
    if not text:
        return None
    where = "" if column is None else f"column {column!r} "
    position = hidden_character(text)
    if position is not None:
        raise InputError(
            f"{where}holds a control or invisible character (U+{ord(text[position]):04X}) at "
            f"position {position + 1}",
            line=line,
        )
    if len(text) > MAX_VALUE_LENGTH:
        raise InputError(f"{where}longer than {MAX_VALUE_LENGTH} characters", line=line)
    return text


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
        start = handle.tell()
        try:
            delimiter = _delimiter(handle.readline())
        except UnicodeDecodeError:
            raise InputError("is not UTF-8 text", line=1) from None
        handle.seek(start)
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            yield from _csv_rows(reader, column)
        except csv.Error:
            raise InputError("the CSV input is malformed", line=reader.line_num) from None
        except UnicodeDecodeError:
            raise InputError("is not UTF-8 text", line=reader.line_num + 1) from None


def _delimiter(header: str) -> str:
    """The header's delimiter (outside quotes): ``,``, ``;`` or tab; ``,`` for one column."""
    outside = "".join(header.split('"')[::2])
    found = [d for d in _DELIMITERS if d in outside]
    if len(found) > 1:
        raise InputError(
            "the CSV header holds more than one of comma, semicolon and tab, so its delimiter"
            " cannot be told; keep one",
            line=1,
        )
    return found[0] if found else ","


@dataclass(frozen=True, slots=True)
class _Columns:
    """Which header columns hold which identifier, and the reference column."""

    identifiers: tuple[tuple[int, SubjectKind | None, str], ...]  # None: decided by content
    reference: int | None
    width: int


def _csv_rows(reader: Iterator[list[str]], column: str | None) -> Iterator[Subject]:
    header = next(reader, None)
    if header is None:
        return
    names = [name.strip() for name in header]
    if any("@" in name for name in names):
        # A headerless file would otherwise lose its first subject silently.
        raise InputError("the first CSV record looks like data; add a header row", line=1)
    columns = _columns(names, column)
    for row in reader:
        # The reader's line counter is that of the record's last physical line; a quoted
        # value spanning lines is rare in id lists and the number still locates it.
        line: int = getattr(reader, "line_num", 0)
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if row[0].lstrip().startswith("#"):
            continue
        subject = _row_subject(row, columns, line)
        if subject is not None:
            yield subject


def _row_subject(row: list[str], columns: _Columns, line: int) -> Subject | None:
    if any(field.strip() for field in row[columns.width :]):
        raise InputError(
            "the record has more fields than the header: a value holding the delimiter must"
            " be quoted",
            line=line,
        )
    needed = max(index for index, _, _ in columns.identifiers)
    if needed >= len(row):
        raise InputError("the record has fewer fields than the header", line=line)
    found: dict[SubjectKind, str] = {}
    for index, kind, name in columns.identifiers:
        text = _checked_field(row[index], line, name)
        if text is None:
            continue
        if kind is None:  # a column named by the caller: its content decides
            if any(ch.isspace() for ch in text):
                raise InputError("contains whitespace inside the value", line=line)
            kind = SubjectKind.EMAIL if "@" in text else SubjectKind.CONTACT_ID
        found.setdefault(kind, _identifier(kind, text, line))
    if not found:
        return None
    reference = None
    if columns.reference is not None and columns.reference < len(row):
        reference = _reference(row[columns.reference], line)
    order = (SubjectKind.CONTACT_ID, *_SEARCHED)
    identifiers = tuple((kind, found[kind]) for kind in order if kind in found)
    try:
        return Subject(line, identifiers, reference)
    except ValueError as error:
        raise InputError(str(error), line=line) from None


def _reference(raw: str, line: int) -> str | None:
    text = raw.strip(" \t")
    if not text:
        return None
    if _REFERENCE.fullmatch(text) is None:
        raise InputError(_BAD_REFERENCE, line=line)
    return text


def _columns(names: list[str], column: str | None) -> _Columns:
    lowered = [name.lower() for name in names]
    reference = lowered.index(REFERENCE_COLUMN) if REFERENCE_COLUMN in lowered else None
    if column is not None:
        if column not in names:
            raise InputError(f"the CSV header has no column named {column!r}", line=1)
        kind = _kind_of(column.lower())
        return _Columns(((names.index(column), kind, column),), reference, len(names))
    chosen: list[tuple[int, SubjectKind | None, str]] = []
    id_column = next((name for name in _CONTACT_ID_COLUMNS if name in lowered), None)
    if id_column is not None:
        chosen.append(
            (lowered.index(id_column), SubjectKind.CONTACT_ID, names[lowered.index(id_column)])
        )
    for kind in _SEARCHED:
        if kind.value in lowered:
            index = lowered.index(kind.value)
            chosen.append((index, kind, names[index]))
    if chosen:
        return _Columns(tuple(chosen), reference, len(names))
    if len(names) == 1:
        return _Columns(((0, None, names[0]),), None, 1)
    raise InputError(
        "name the CSV column to read; none of " + ", ".join(KNOWN_COLUMNS) + " is in the header",
        line=1,
    )


def _kind_of(name: str) -> SubjectKind | None:
    if name in _CONTACT_ID_COLUMNS:
        return SubjectKind.CONTACT_ID
    return next((kind for kind in _SEARCHED if kind.value == name), None)
