"""The journal: a SQLite file that lets a killed bulk run resume without losing or redoing work.

A run over 50,000 subjects takes minutes to hours and will, sooner or later, be killed. The
journal holds one row per distinct input subject and is written *before* each attempt
(``running``, attempts + 1), *before* each change in Intercom (the contacts an address resolved
to, then each contact whose erasure is being requested) and *after* it (``done`` with the
outcome, or ``failed`` with the reason). A restarted run with the same journal skips ``done``
rows, retries ``running`` and ``pending`` ones, and by default gives ``failed`` rows another
chance, since the operator has usually fixed the cause in between.

What a row holds, and what it never holds:

| column      | content                                                                |
|-------------|------------------------------------------------------------------------|
| key         | HMAC-SHA256 of the normalised input line (see ``journal_key``), and of |
|             | the workspace's name in a run over several workspaces                  |
| workspace   | the workspace (the resolver's ``name``) the row is for; empty when the |
|             | run names no workspaces                                                |
| line, kind  | where the subject was in the input, and whether it was an id or email  |
| kinds       | the kinds of identifier the row carried (``contact_id,email``...), so  |
|             | a receipt says how the person was looked for; kinds, never values      |
| reference   | the DPO's own reference for the row (a ``reference`` column), or NULL  |
| state       | ``pending`` / ``running`` / ``done`` / ``failed``                      |
| attempts    | attempts over all runs                                                 |
| outcome     | JSON: the result and the Intercom contact ids, with what each reached  |
| error       | JSON: the last failure's exception type and HTTP status                |

A run over several workspaces (``run_bulk`` given several named resolvers) holds one row per
subject and workspace: each workspace's rows advance, stop and resume on their own, and a
later run may name only some of the workspaces (the one whose token was refused, say).

No email address, no token, no exception message is ever written. The ``meta`` table holds
what the journal was asked (:class:`RunSettings`: the operation, the erasure policy or export
options, a keyed fingerprint of the input); a rerun that differs is refused, naming the
difference. The options are the resolver's own (``run_options``: its name, and what its
``options_for`` names for the operation), for the library's ``run_bulk`` and the ``dsr``
command line alike, so a journal started by either resumes from the other. Intercom's:

| option              | recorded                                 | example                    |
|---------------------|------------------------------------------|----------------------------|
| ``resolver``        | always                                   | ``intercom``               |
| ``erasure_policy``  | erase: the resolver's own name           | ``redact_messages``        |
| ``sections``        | export: sorted, comma-separated          | ``contact,messages,notes`` |
| ``archived``        | export, only when archived ones are      | ``yes``                    |
| ``custom_attributes`` | export, only when declared             | ``plan=behavioral``        |

Journals written before this vocabulary spelt a policy ``redact-messages``; they are read as
``redact_messages``.

What opening a journal can meet, and what it says (never "throw the journal away"):

| the file                                | :class:`JournalError` says                         |
|-----------------------------------------|----------------------------------------------------|
| missing                                 | nothing: a new journal is created whole (below)    |
| zero bytes                              | it is empty, not written by dsr                    |
| not SQLite, or SQLite without our meta  | it is not a dsr journal                            |
| damaged (SQLite: malformed)             | it is damaged; keep it with its ``-wal`` file      |
| unreadable, read-only, dir not writable | the permission at fault                            |
| disk full (open or any later write)     | the disk is full                                   |
| another write error (a quota, EFBIG)    | the disk refused the write, with SQLite's code     |
| written with another key                | where the key comes from                           |

Durability choices:

* A new journal is built under a temporary name and linked into place once its tables and key
  check are written: a journal file either does not exist or is whole, so a zero-length file is
  never one of ours.
* WAL mode: a commit is an append to the ``-wal`` file, cheap enough for several commits per
  subject at the API's full rate, and readers (a report, ``bulk status``) never block it.
* ``synchronous=NORMAL`` by default: a commit survives the *process* being killed (SIGKILL,
  OOM); only a power cut can lose the last few. ``FULL`` fsyncs every commit.
* Files are created 0600 in the same system call; an existing journal readable by others is
  refused. While a journal is open for a run, the process holds an exclusive ``flock`` on it.
"""

from __future__ import annotations

import errno
import hmac
import json
import os
import secrets
import sqlite3
import stat
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal, Self

from dsr_resolvers._files import write_atomically
from dsr_resolvers.bulk._inputs import Subject, SubjectKind
from dsr_resolvers.bulk._keys import JOURNAL_KEY_ENV, derive_key, journal_key, key_check, keyed_hash
from dsr_resolvers.bulk._report import (
    BulkOperation,
    BulkReport,
    ContactOutcome,
    FailureInfo,
    RunSettings,
    SubjectOutcome,
    SubjectResult,
    SubjectState,
    report_chunks,
)

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no flock
    fcntl = None  # type: ignore[assignment]

__all__ = ["Journal", "JournalEntry", "JournalError", "Registration"]

SCHEMA_VERSION: Final = "5"
"""3: the ``workspace`` column. 4: subjects may be phones, external ids or rows of several
identifiers (``person``); a schema 3 journal's narrower CHECK would drop them silently.
5: the ``kinds`` and ``reference`` columns (a schema 4 journal's receipts could not say how a
row of several identifiers was looked for)."""
KEY_FILE_SUFFIX: Final = ".key"
_BATCH: Final = 500

_SCHEMA: Final = (
    "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE subjects (
        key        TEXT PRIMARY KEY,
        workspace  TEXT NOT NULL DEFAULT '',
        line       INTEGER NOT NULL,
        kind       TEXT NOT NULL
                   CHECK (kind IN ('contact_id', 'email', 'phone', 'external_id', 'person')),
        kinds      TEXT NOT NULL,
        reference  TEXT,
        state      TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed')),
        attempts   INTEGER NOT NULL DEFAULT 0,
        outcome    TEXT,
        error      TEXT,
        updated_at REAL NOT NULL,
        UNIQUE (workspace, line)
    )""",
    "CREATE INDEX subjects_state ON subjects (state)",
)


def _read_as_today(options: Mapping[str, str]) -> dict[str, str]:
    """A journal's options in today's vocabulary: ``redact-messages`` reads as the resolver's."""
    read = dict(options)
    if "erasure_policy" in read:
        read["erasure_policy"] = read["erasure_policy"].replace("-", "_")
    return read


class JournalError(Exception):
    """The journal cannot be used; the message names the real cause and never the data."""


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A subject of the current input together with what the journal knows about it.

    Attributes:
        key: The keyed hash of the subject's normalised line.
        subject: The subject itself (from the input, not from the journal).
        state: The journal state.
        attempts: Attempts over all runs.
        contacts: Contacts known so far (found, requested or handled): a resumed subject
            loses none of them.
        workspace: The workspace of the row; empty when the run names none.
    """

    key: str = field(repr=False)
    subject: Subject
    state: SubjectState
    attempts: int
    contacts: tuple[ContactOutcome, ...] = ()
    workspace: str = ""


@dataclass(frozen=True, slots=True)
class Registration:
    """What :meth:`Journal.register` found in the input.

    Attributes:
        total: Distinct subjects.
        duplicates: Lines naming a subject seen on an earlier line.
        done: Subjects the journal already records as ``done``.
    """

    total: int
    duplicates: int
    done: int


class Journal:
    """A resumable record of one bulk operation over one input, in a SQLite file.

    Args:
        path: The journal file; created (mode 0600) when missing, resumed when present.
        key: The secret of the keyed hashes, at least 16 bytes (see :func:`journal_key`).
            ``None``: ``DSR_JOURNAL_KEY`` when set, otherwise the key file ``<path>.key``,
            created with the journal (random, owner-only, exclusively).
        synchronous: SQLite's ``synchronous`` setting: ``"NORMAL"`` (survives a killed
            process) or ``"FULL"`` (also survives a power cut; an fsync per commit).
        read_only: Open an existing journal to read it (``bulk status``): no lock, no write.

    Raises:
        JournalError: The file cannot be used as a journal; the message says why.

    Example:
        >>> with Journal("erase-2024-06.journal") as journal:
        ...     summary = await run_bulk(resolver, "erase", subjects, journal)
    """

    def __init__(
        self,
        path: str | Path,
        *,
        key: bytes | None = None,
        synchronous: Literal["NORMAL", "FULL"] = "NORMAL",
        read_only: bool = False,
    ) -> None:
        if key is not None and len(key) < 16:
            raise ValueError("the journal key must be at least 16 bytes; use journal_key()")
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError("synchronous must be 'NORMAL' or 'FULL'")
        self._path: Final = Path(path)
        self._lock = threading.Lock()
        self._closed = True
        exists = os.path.lexists(self._path)
        if read_only and not exists:
            raise JournalError(f"there is no journal at {self._path}")
        if key is None:
            key = journal_key()
        with _sqlite_errors(self._path):
            if not exists:
                if key is None:
                    key = _key_file(self._path, create=True)
                _create(self._path, key)
            # The file is checked (a journal at all?) before its key is looked for.
            self._fd = _open_private(self._path, read_only=read_only)
            try:
                if not read_only:
                    _lock_exclusively(self._fd)
                self._db = _connect(self._path, read_only=read_only)
            except BaseException:
                os.close(self._fd)
                raise
            try:
                self._check_is_journal()
                self._key: Final = key if key is not None else _key_file(self._path, create=False)
                self._check(synchronous, read_only=read_only)
            except BaseException:
                self._db.close()
                os.close(self._fd)
                raise
        self._closed = False

    def __repr__(self) -> str:
        return f"Journal(path={str(self._path)!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def path(self) -> Path:
        """The journal file."""
        return self._path

    def close(self) -> None:
        """Close the database, then release the file lock. Safe to call twice."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._db.close()
            # Closed after SQLite: closing any descriptor of the file drops the process's
            # POSIX locks on it, SQLite's included.
            os.close(self._fd)

    def _check_is_journal(self) -> None:
        tables = {
            row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if not {"meta", "subjects"} <= tables:
            raise JournalError(
                f"{self._path} is a SQLite database but not a dsr journal (it has no journal "
                "tables); name the journal of an earlier run, or a file that does not exist yet"
            )
        meta = dict(self._db.execute("SELECT name, value FROM meta").fetchall())
        if meta.get("schema_version") != SCHEMA_VERSION:
            raise JournalError(
                f"{self._path} was written by another version of dsr-resolvers (journal "
                f"schema {meta.get('schema_version')!r}, this version reads "
                f"{SCHEMA_VERSION!r}); finish or read it with the version that wrote it"
            )

    def _check(self, synchronous: str, *, read_only: bool) -> None:
        meta = dict(self._db.execute("SELECT name, value FROM meta").fetchall())
        if meta.get("key_check") != key_check(self._key):
            raise JournalError(
                f"{self._path} was written with another key: resume with the key it was "
                f"created with ({JOURNAL_KEY_ENV}, or the key file {_key_path(self._path)} "
                f"beside it, as in the first run)"
            )
        if read_only:
            return
        mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise JournalError("the journal's filesystem does not support SQLite WAL mode")
        self._db.execute(f"PRAGMA synchronous={synchronous}")

    # -- reading ---------------------------------------------------------------------------

    def key_of(self, subject: Subject, workspace: str = "") -> str:
        """The keyed hash under which ``subject`` is journalled (for ``workspace``)."""
        if not workspace:
            return keyed_hash(self._key, subject.canonical)
        return keyed_hash(self._key, f"{workspace}\n{subject.canonical}")

    def workspaces(self) -> tuple[str, ...]:
        """The workspaces the journal holds rows for, in name order (``""``: none named)."""
        with self._reading() as db:
            rows = db.execute("SELECT DISTINCT workspace FROM subjects ORDER BY workspace")
            return tuple(row[0] for row in rows)

    @property
    def operation(self) -> BulkOperation | None:
        """The operation this journal records, once a run has registered its input."""
        settings = self.settings
        return None if settings is None else settings.operation

    @property
    def settings(self) -> RunSettings | None:
        """What the journal was asked to do, once a run has registered its input."""
        with self._reading() as db:
            row = db.execute("SELECT value FROM meta WHERE name = 'settings'").fetchone()
        return None if row is None else RunSettings.model_validate_json(row[0])

    def counts(self, workspace: str | None = None) -> dict[SubjectState, int]:
        """How many subjects the journal holds in each state (states with none are left out).

        Args:
            workspace: Count this workspace's rows only; ``None``: every row.
        """
        where, params = ("", ()) if workspace is None else ("WHERE workspace = ?", (workspace,))
        with self._reading() as db:
            rows = db.execute(
                f"SELECT state, COUNT(*) FROM subjects {where} GROUP BY state ORDER BY state",  # noqa: S608
                params,
            ).fetchall()
        return {SubjectState(state): count for state, count in rows}

    def failures(self) -> dict[FailureInfo, int]:
        """How many subjects' last failure was of each type and status (failed or pending)."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT error, COUNT(*) FROM subjects WHERE error IS NOT NULL AND state != 'done' "
                "GROUP BY error ORDER BY COUNT(*) DESC"
            ).fetchall()
        return {FailureInfo.model_validate_json(error): count for error, count in rows}

    def outcome(self, key: str) -> SubjectOutcome | None:
        """What the journal knows about the subject under ``key``, if it holds it."""
        with self._reading() as db:
            row = db.execute(_SELECT_OUTCOME + " WHERE key = ?", (key,)).fetchone()
        return None if row is None else _outcome_from_row(row)

    def outcomes(self, *, states: Iterable[SubjectState] | None = None) -> Iterator[SubjectOutcome]:
        """Every subject (or those in ``states``) in input order, read a page at a time.

        In a journal of several workspaces, grouped by workspace (in name order), each in
        input order. Memory stays flat however many subjects the journal holds.
        """
        for row in self._rows(states, _SELECT_OUTCOME):
            yield _outcome_from_row(row)

    @property
    def created_at(self) -> datetime:
        """When the journal was created: the start of its first run."""
        with self._reading() as db:
            row = db.execute("SELECT value FROM meta WHERE name = 'created_at'").fetchone()
        return datetime.fromisoformat(row[0])

    def finished(self) -> Iterator[tuple[SubjectOutcome, datetime]]:
        """Every ``done`` subject with when it was recorded done, whichever run finished it.

        Grouped by workspace, each in input order, a page at a time: what erasure receipts
        are written from.
        """
        for row in self._rows([SubjectState.DONE], _SELECT_FINISHED):
            yield _outcome_from_row(row[:-1]), datetime.fromtimestamp(row[-1], UTC)

    def shared_references(self) -> frozenset[tuple[str, str]]:
        """``(workspace, reference)`` for each reference more than one row of a workspace
        carries, compared as file names are on any file system: lower-cased, a space as
        ``_``. The reference is given in that folded form."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT workspace, lower(replace(reference, ' ', '_')) AS folded FROM subjects "
                "WHERE reference IS NOT NULL GROUP BY workspace, folded HAVING COUNT(*) > 1"
            ).fetchall()
        return frozenset((workspace, folded) for workspace, folded in rows)

    def _rows(self, states: Iterable[SubjectState] | None, select: str) -> Iterator[Any]:
        """Rows of ``select`` (``key, line`` first, ``workspace`` eighth), grouped by workspace,
        each in input order, a page at a time."""
        wanted = None if states is None else sorted({SubjectState(s).value for s in states})
        last: tuple[str, int] = ("", 0)
        while True:
            where = "WHERE (workspace > ? OR (workspace = ? AND line > ?))"
            params: list[Any] = [last[0], last[0], last[1]]
            if wanted is not None:
                where += f" AND state IN ({','.join('?' * len(wanted))})"
                params.extend(wanted)
            with self._reading() as db:
                query = f"{select} {where} ORDER BY workspace, line LIMIT {_BATCH}"
                rows = db.execute(query, params).fetchall()
            yield from rows
            if len(rows) < _BATCH:
                return
            last = (rows[-1][7], rows[-1][1])

    def report(self) -> BulkReport:
        """Every subject of the journal with its outcome, in input order: ids only.

        Holds every subject in memory; :meth:`write_report` writes the same report without.

        Raises:
            JournalError: No run has registered an input yet.
        """
        settings = self._registered()
        return BulkReport(
            operation=settings.operation,
            generated_at=datetime.now(UTC),
            counts=self.counts(),
            subjects=tuple(self.outcomes()),
            options=settings.options,
            workspaces=self._workspace_counts(),
        )

    def write_report(self, path: str | Path) -> None:
        """Write :meth:`report` as JSON, atomically, owner-only, a page of subjects at a time.

        Raises:
            JournalError: No run has registered an input yet.
            OSError: The report file cannot be written.
        """
        settings = self._registered()
        head = BulkReport(
            operation=settings.operation,
            generated_at=datetime.now(UTC),
            counts=self.counts(),
            subjects=(),
            options=settings.options,
            workspaces=self._workspace_counts(),
        ).model_dump(mode="json", exclude={"subjects"})
        write_atomically(Path(path), report_chunks(head, self.outcomes()))

    def _workspace_counts(self) -> dict[str, dict[SubjectState, int]]:
        return {name: self.counts(name) for name in self.workspaces() if name}

    def _registered(self) -> RunSettings:
        settings = self.settings
        if settings is None:
            raise JournalError("the journal is empty: no run has registered its input")
        return settings

    # -- writing (used by the runner; one commit each) -------------------------------------

    def register(
        self,
        operation: BulkOperation | str,
        subjects: Iterable[Subject],
        *,
        options: Mapping[str, str] | None = None,
        workspaces: Sequence[str] = ("",),
    ) -> Registration:
        """Record the input (as ``pending`` rows) or check that it is the journal's input.

        The first run stores the operation, ``options`` and a keyed fingerprint of the input;
        a later run must bring the same three. The input is read once, as it streams.

        Args:
            operation: What the run does.
            subjects: The run's input in order; duplicates allowed (the first line wins).
            options: What else decides the outcome: the erasure policy, the export options.
            workspaces: The workspaces to hold a row per subject for; ``("",)``: none named.
                A workspace not registered before gets its rows now.

        Returns:
            The counts of the input (``done``: over ``workspaces``).

        Raises:
            JournalError: The journal records another operation, other options or another
                input (the message names which), or cannot be written.
        """
        operation = BulkOperation(operation)
        names = tuple(dict.fromkeys(workspaces))
        if not names or ("" in names and len(names) > 1):
            raise ValueError("name at least one workspace, or only the unnamed one")
        chosen = {str(k): str(v) for k, v in (options or {}).items()}
        fingerprint = hmac.new(self._key, b"dsr-resolvers/bulk/input/v1", sha256)
        lines = 0
        now = time.time()
        with self._writing() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                batch: list[_Row] = []
                for subject in subjects:
                    lines += 1
                    fingerprint.update(subject.canonical.encode() + b"\n")
                    if subject.reference is not None:
                        # A corrected reference is another input, not one silently ignored.
                        fingerprint.update(b"reference:" + subject.reference.encode() + b"\n")
                    kinds = ",".join(kind.value for kind, _ in subject.identifiers)
                    for workspace in names:
                        key = self.key_of(subject, workspace)
                        batch.append(
                            (key, workspace, subject.line, subject.kind.value, kinds,
                             subject.reference, now)
                        )  # fmt: skip
                    if len(batch) >= _BATCH:
                        _insert(db, batch)
                        batch = []
                _insert(db, batch)
                (total,) = db.execute(
                    "SELECT COUNT(*) FROM subjects WHERE workspace = ?", (names[0],)
                ).fetchone()
                settings = RunSettings(
                    operation=operation,
                    options=chosen,
                    input_lines=lines,
                    input_subjects=total,
                )
                meta = dict(db.execute("SELECT name, value FROM meta").fetchall())
                if "settings" not in meta:
                    db.executemany(
                        "INSERT INTO meta (name, value) VALUES (?, ?)",
                        [
                            ("settings", settings.model_dump_json()),
                            ("input", fingerprint.hexdigest()),
                        ],
                    )
                else:
                    _same_run(
                        RunSettings.model_validate_json(meta["settings"]),
                        settings,
                        same_input=hmac.compare_digest(meta["input"], fingerprint.hexdigest()),
                    )
                marks = ",".join("?" * len(names))  # placeholders only: every value is bound
                query = (
                    f"SELECT COUNT(*) FROM subjects WHERE state = 'done' AND workspace IN ({marks})"  # noqa: S608
                )
                (done,) = db.execute(query, names).fetchone()
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        return Registration(total=total, duplicates=lines - total, done=done)

    def entries(
        self, subjects: Iterable[Subject], states: Iterable[SubjectState], workspace: str = ""
    ) -> Iterator[JournalEntry]:
        """The registered subjects of ``subjects`` whose state is in ``states``, in input order.

        Reads the journal a page of subjects at a time; a duplicate line yields nothing.

        Args:
            subjects: The run's input.
            states: The states wanted.
            workspace: Whose rows (``""``: a run that names no workspaces).
        """
        wanted = {SubjectState(s) for s in states}
        batch: list[tuple[str, Subject]] = []

        def flush() -> Iterator[JournalEntry]:
            marks = ",".join("?" * len(batch))  # placeholders only: every value is bound
            query = (
                f"SELECT key, line, state, attempts, outcome FROM subjects WHERE key IN ({marks})"  # noqa: S608
            )
            with self._reading() as db:
                rows = {row[0]: row for row in db.execute(query, [key for key, _ in batch])}
            for key, subject in batch:
                row = rows.get(key)
                if row is None or row[1] != subject.line:
                    continue
                state = SubjectState(row[2])
                if state in wanted:
                    contacts = _contacts_of(row[4])
                    yield JournalEntry(key, subject, state, row[3], contacts, workspace)

        for subject in subjects:
            batch.append((self.key_of(subject, workspace), subject))
            if len(batch) >= _BATCH:
                yield from flush()
                batch = []
        if batch:
            yield from flush()

    def mark_running(self, key: str) -> None:
        """Record that an attempt on the subject is starting (``running``, attempts + 1)."""
        self._write(
            "UPDATE subjects SET state = 'running', attempts = attempts + 1, updated_at = ? "
            "WHERE key = ?",
            (time.time(), key),
        )

    def record_contacts(self, key: str, contacts: Sequence[ContactOutcome]) -> None:
        """Record what is known of the subject's contacts while it is still ``running``.

        Called before each change in Intercom: the contacts found, then each one whose
        erasure is about to be requested (``requested``).
        """
        outcome = {"contacts": [c.model_dump(mode="json") for c in contacts]}
        self._write(
            "UPDATE subjects SET outcome = ?, updated_at = ? WHERE key = ?",
            (json.dumps(outcome), time.time(), key),
        )

    def record_retry(self, key: str, error: FailureInfo) -> None:
        """Record a transient failure of the running attempt; the subject stays ``running``."""
        self._write(
            "UPDATE subjects SET error = ?, updated_at = ? WHERE key = ?",
            (error.model_dump_json(), time.time(), key),
        )

    def mark_done(
        self,
        key: str,
        result: SubjectResult,
        contacts: Sequence[ContactOutcome],
        *,
        export_file: str | None = None,
    ) -> None:
        """Record the subject as finished successfully, with its outcome."""
        outcome: dict[str, Any] = {
            "result": result,
            "contacts": [c.model_dump(mode="json") for c in contacts],
        }
        if export_file is not None:
            outcome["export_file"] = export_file
        self._write(
            "UPDATE subjects SET state = 'done', outcome = ?, error = NULL, updated_at = ? "
            "WHERE key = ?",
            (json.dumps(outcome), time.time(), key),
        )

    def mark_failed(self, key: str, error: FailureInfo) -> None:
        """Record the subject as failed for this run, keeping contacts already handled."""
        self._write(
            "UPDATE subjects SET state = 'failed', error = ?, updated_at = ? WHERE key = ?",
            (error.model_dump_json(), time.time(), key),
        )

    def mark_pending(self, key: str, error: FailureInfo | None = None) -> None:
        """Put a subject back to ``pending`` (a stopped run), keeping its contacts.

        Args:
            key: The subject.
            error: Why the run stopped on it (a 401), when it was the subject's own request.
        """
        self._write(
            "UPDATE subjects SET state = 'pending', error = COALESCE(?, error), updated_at = ? "
            "WHERE key = ?",
            (None if error is None else error.model_dump_json(), time.time(), key),
        )

    def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        with self._writing() as db:
            db.execute(sql, params)

    def _reading(self) -> _Guard:
        return _Guard(self)

    def _writing(self) -> _Guard:
        return _Guard(self)


class _Guard:
    """The journal's lock, held around one use of the database; SQLite errors become
    :class:`JournalError` naming their cause."""

    def __init__(self, journal: Journal) -> None:
        self._journal = journal

    def __enter__(self) -> sqlite3.Connection:
        self._journal._lock.acquire()
        if self._journal._closed:
            self._journal._lock.release()
            raise JournalError("the journal is closed")
        return self._journal._db

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._journal._lock.release()
        if isinstance(exc, sqlite3.Error | OSError):
            raise _journal_error(exc, self._journal.path) from None


_Row = tuple[str, str, int, str, str, str | None, float]
"""key, workspace, line, kind, kinds, reference, updated_at: a row as registered."""


def _insert(db: sqlite3.Connection, rows: list[_Row]) -> None:
    if rows:
        db.executemany(
            "INSERT OR IGNORE INTO subjects "
            "(key, workspace, line, kind, kinds, reference, state, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)",
            rows,
        )


def _same_run(journal: RunSettings, run: RunSettings, *, same_input: bool) -> None:
    """Refuse a run that differs from what the journal was asked, naming the difference."""
    if journal.operation is not run.operation:
        raise JournalError(
            f"the journal records a bulk {journal.operation.value}, this run is a bulk "
            f"{run.operation.value}; use the journal with the command that created it, or "
            "another journal file for this run"
        )
    recorded, asked = _read_as_today(journal.options), _read_as_today(run.options)
    differences = [
        f"{name} (journal: {recorded.get(name, 'unset')}, this run: {asked.get(name, 'unset')})"
        for name in sorted(recorded.keys() | asked.keys())
        if recorded.get(name) != asked.get(name)
    ]
    if differences:
        raise JournalError(
            "this run's options differ from the journal's: "
            + "; ".join(differences)
            + "; rerun with the journal's options to resume it, or use another journal file"
        )
    if not same_input:
        raise JournalError(
            f"the input differs from the journal's ({run.input_lines} subject lines, the "
            f"journal's input had {journal.input_lines}, or the same count with other "
            "subjects or order); resume with the journal's input file, or use another journal "
            "file for this input"
        )


_SELECT_OUTCOME: Final = (
    "SELECT key, line, kind, state, attempts, outcome, error, workspace, kinds, reference "
    "FROM subjects"
)
_SELECT_FINISHED: Final = (
    "SELECT key, line, kind, state, attempts, outcome, error, workspace, kinds, reference, "
    "updated_at FROM subjects"
)


def _contacts_of(outcome: str | None) -> tuple[ContactOutcome, ...]:
    if outcome is None:
        return ()
    return tuple(ContactOutcome(**c) for c in json.loads(outcome).get("contacts", ()))


def _outcome_from_row(row: tuple[Any, ...]) -> SubjectOutcome:
    key, line, kind, state, attempts, outcome, error, workspace, kinds, reference = row
    decoded = {} if outcome is None else json.loads(outcome)
    return SubjectOutcome(
        workspace=workspace or None,
        key=key,
        line=line,
        kind=SubjectKind(kind),
        kinds=tuple(SubjectKind(k) for k in kinds.split(",") if k),
        reference=reference,
        state=SubjectState(state),
        attempts=attempts,
        result=decoded.get("result"),
        contacts=_contacts_of(outcome),
        error=None if error is None else FailureInfo.model_validate_json(error),
        export_file=decoded.get("export_file"),
    )


# -- files ----------------------------------------------------------------------------------


def _key_path(path: Path) -> Path:
    return path.with_name(path.name + KEY_FILE_SUFFIX)


def _key_file(path: Path, *, create: bool) -> bytes:
    """The key from ``<journal>.key``; created exclusively (0600) with a new journal."""
    key_path = _key_path(path)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    if create:
        try:
            fd = os.open(key_path, flags | os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # left by a run killed before its journal existed: checked below, reused
        except OSError as exc:
            raise _journal_error(exc, key_path) from None
        else:
            try:
                os.write(fd, secrets.token_hex(32).encode() + b"\n")
                os.fsync(fd)
            except OSError as exc:
                os.close(fd)
                key_path.unlink(missing_ok=True)
                raise _journal_error(exc, key_path) from None
            os.close(fd)
    try:
        fd = os.open(key_path, flags)
    except FileNotFoundError:
        raise JournalError(
            f"the journal's key file {key_path} is missing: put it back beside the journal, "
            f"or set {JOURNAL_KEY_ENV} if the journal was created with it"
        ) from None
    except OSError as exc:
        raise _journal_error(exc, key_path) from None
    try:
        problem = _unsafe(os.fstat(fd), "the journal's key file")
        if problem is not None:
            raise JournalError(f"{key_path}: {problem}")
        material = os.read(fd, 4096).strip()
    finally:
        os.close(fd)
    if len(material) < 32:
        raise JournalError(f"the journal's key file {key_path} is empty or too short")
    return derive_key(material)


def _create(path: Path, key: bytes) -> None:
    """Build a new journal under a temporary name, then link it into place whole."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.creating")
    fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    os.close(fd)
    try:
        db = sqlite3.connect(temporary, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA:
                db.execute(statement)
            db.executemany(
                "INSERT INTO meta (name, value) VALUES (?, ?)",
                [
                    ("schema_version", SCHEMA_VERSION),
                    ("key_check", key_check(key)),
                    ("created_at", datetime.now(UTC).isoformat()),
                ],
            )
            db.execute("COMMIT")
        finally:
            db.close()  # the last connection checkpoints the WAL into the file
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise JournalError(f"{path} appeared while the journal was being created") from None
    finally:
        for leftover in (temporary, Path(f"{temporary}-wal"), Path(f"{temporary}-shm")):
            leftover.unlink(missing_ok=True)


def _connect(path: Path, *, read_only: bool) -> sqlite3.Connection:
    if read_only:
        return sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None,
            check_same_thread=False, timeout=30.0,
        )  # fmt: skip
    return sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)


def _open_private(path: Path, *, read_only: bool) -> int:
    flags = (os.O_RDONLY if read_only else os.O_RDWR) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise JournalError("the journal path is a symbolic link; name the file") from None
        raise
    info = os.fstat(fd)
    problem = _unsafe(info, "the journal")
    if problem is None and stat.S_ISREG(info.st_mode) and info.st_size == 0:
        problem = (
            f"{path} is empty (0 bytes): dsr never leaves an empty journal, so this file was "
            "made by something else; name the journal of an earlier run, or a file that does "
            "not exist yet"
        )
    if problem is not None:
        os.close(fd)
        raise JournalError(problem)
    return fd


def _unsafe(info: os.stat_result, what: str) -> str | None:
    if not stat.S_ISREG(info.st_mode):
        return f"{what} is not a regular file"
    if info.st_mode & 0o077:
        return (
            f"{what} is readable or writable by others (mode {stat.S_IMODE(info.st_mode):o});"
            " chmod 600 it first"
        )
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return f"{what} belongs to another user"
    return None


def _lock_exclusively(fd: int) -> None:
    if fcntl is None:  # pragma: no cover - Windows
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise JournalError("another run has this journal open") from None


class _sqlite_errors:  # noqa: N801 - used as a context manager, like contextlib's
    """Turn SQLite and file errors raised while opening into :class:`JournalError`."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(exc, sqlite3.Error | OSError):
            raise _journal_error(exc, self._path) from None


def _journal_error(exc: sqlite3.Error | OSError, path: Path) -> JournalError:
    """Name the real cause of a journal failure, by error code, never by its text."""
    if isinstance(exc, OSError):
        code = exc.errno
        if code == errno.ENOSPC:
            return JournalError(f"the disk holding {path} is full; free space and rerun")
        if code in (errno.EACCES, errno.EPERM, errno.EROFS):
            return JournalError(_permission_problem(path, exc))
        return JournalError(f"cannot use {path}: {exc.strerror or type(exc).__name__}")
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith("SQLITE_FULL"):
        return JournalError(f"the disk holding {path} is full; free space and rerun")
    if name.startswith("SQLITE_NOTADB"):
        return JournalError(
            f"{path} is not a dsr journal (not a SQLite database); name the journal of an "
            "earlier run, or a file that does not exist yet"
        )
    if name.startswith("SQLITE_CORRUPT"):
        return JournalError(
            f"{path} is damaged (SQLite finds it malformed); keep it and its -wal file: "
            "SQLite's .recover command can save what it holds"
        )
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM")):
        return JournalError(_permission_problem(path, None))
    if name.startswith("SQLITE_IOERR"):
        return JournalError(
            f"the disk refused a write to {path} ({name}): check its free space, quotas and "
            "file-size limits, and the disk itself"
        )
    if name.startswith("SQLITE_BUSY"):
        return JournalError(f"{path} is busy: another process holds it")
    return JournalError(f"the journal {path} failed ({name or type(exc).__name__})")


def _permission_problem(path: Path, exc: OSError | None) -> str:
    directory = path.parent if str(path.parent) else Path(".")
    if os.path.exists(path) and not os.access(path, os.R_OK):
        return f"cannot read {path}: permission denied; run as its owner"
    if os.path.exists(path) and not os.access(path, os.W_OK):
        return f"{path} is read-only; a run writes to its journal: chmod u+w it"
    if not os.access(directory, os.W_OK):
        return (
            f"the directory {directory} is not writable, and the journal needs to write "
            f"{path.name}-wal (and a new journal its key file) beside {path.name}"
        )
    reason = "permission denied" if exc is None else exc.strerror or type(exc).__name__
    return f"cannot write {path}: {reason}"
