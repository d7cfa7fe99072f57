"""The journal: a SQLite file that lets a killed bulk run resume without losing or redoing work.

A run over 50,000 subjects takes minutes to hours and will, sooner or later, be killed. The
journal holds one row per distinct input subject and is written *before* each attempt
(``running``, attempts + 1) and *after* it (``done`` with the outcome, or ``failed`` with the
reason). A restarted run with the same journal skips ``done`` rows, retries ``running`` rows
(interrupted mid-flight) and ``pending`` ones, and by default gives ``failed`` rows another
chance, since the operator has usually fixed the cause (a token, a scope) in between.

What a row holds, and what it never holds:

| column      | content                                                                |
|-------------|------------------------------------------------------------------------|
| key         | HMAC-SHA256 of the normalised input line (see ``journal_key``)         |
| line, kind  | where the subject was in the input, and whether it was an id or email  |
| state       | ``pending`` / ``running`` / ``done`` / ``failed``                      |
| attempts    | attempts over all runs                                                 |
| outcome     | JSON: the result and the Intercom contact ids reached, per contact     |
| error       | JSON: the last failure's exception type and HTTP status                |

No email address, no token, no exception message is ever written.

Durability choices:

* WAL mode: a commit is an append to the ``-wal`` file, cheap enough for two commits per
  subject at the API's full rate, and readers (a report, a progress query) never block it.
* ``synchronous=NORMAL`` by default: in WAL mode a commit is handed to the operating system
  before ``commit()`` returns, so it survives the *process* being killed (SIGKILL, OOM) and
  only a power cut or kernel crash can lose the last few commits. What such a loss costs: a
  subject whose ``done`` was lost is erased again, which Intercom answers with 404 and the
  journal records as ``already_absent``; nothing is skipped that was not done. ``FULL``
  (an fsync per commit, hence per subject) is available for those who want the audit trail
  itself to survive a power cut, at the price of throughput on slow disks.
* The file is created with ``O_CREAT | O_EXCL`` and mode 0600 in one system call, so it is
  never readable by others, not even for an instant; SQLite gives its ``-wal`` and ``-shm``
  files the database file's mode. An existing journal readable by others is refused.
* While a journal is open, the process holds an exclusive ``flock`` on it, so two runs cannot
  work through the same journal at once; the kernel drops the lock when the process dies.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal, Self

from dsr_resolvers.bulk._inputs import Subject, SubjectKind
from dsr_resolvers.bulk._keys import key_check, keyed_hash
from dsr_resolvers.bulk._report import (
    BulkOperation,
    BulkReport,
    ContactOutcome,
    FailureInfo,
    SubjectOutcome,
    SubjectResult,
    SubjectState,
)

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no flock
    fcntl = None  # type: ignore[assignment]

__all__ = ["Journal", "JournalEntry", "JournalError"]

SCHEMA_VERSION: Final = "1"

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS subjects (
    key        TEXT PRIMARY KEY,
    line       INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('contact_id', 'email')),
    state      TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    outcome    TEXT,
    error      TEXT,
    updated_at REAL NOT NULL
);
"""


class JournalError(Exception):
    """The journal cannot be used: wrong key, another operation, unsafe mode, or in use."""


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A subject of the current input together with what the journal knows about it.

    Attributes:
        key: The keyed hash of the subject's normalised line.
        subject: The subject itself (from the input, not from the journal).
        state: The journal state.
        attempts: Attempts over all runs.
        contacts: Contacts already handled, kept so a resumed subject loses nothing.
    """

    key: str
    subject: Subject
    state: SubjectState
    attempts: int
    contacts: tuple[ContactOutcome, ...] = ()


class Journal:
    """A resumable record of one bulk operation over one input, in a SQLite file.

    Args:
        path: The journal file; created (mode 0600) when missing, resumed when present.
        key: The secret of the keyed hashes, from :func:`journal_key`; at least 16 bytes.
            Resuming needs the same key.
        synchronous: SQLite's ``synchronous`` setting: ``"NORMAL"`` (survives a killed
            process) or ``"FULL"`` (also survives a power cut; an fsync per commit).

    Raises:
        JournalError: The file is readable by others, is not a regular file, was written
            with another key or a newer schema, or another process has it open.

    Example:
        >>> key = journal_key(access_token=token)
        >>> with Journal("erase-2024-06.journal", key=key) as journal:
        ...     summary = await run_bulk(resolver, "erase", subjects, journal)
    """

    def __init__(
        self,
        path: str | Path,
        *,
        key: bytes,
        synchronous: Literal["NORMAL", "FULL"] = "NORMAL",
    ) -> None:
        if len(key) < 16:
            raise ValueError("the journal key must be at least 16 bytes; use journal_key()")
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError("synchronous must be 'NORMAL' or 'FULL'")
        self._path: Final = Path(path)
        self._key: Final = key
        self._lock = threading.Lock()
        self._fd = _open_private(self._path)
        try:
            _lock_exclusively(self._fd)
            self._db = sqlite3.connect(
                self._path, isolation_level=None, check_same_thread=False, timeout=30.0
            )
        except BaseException:
            os.close(self._fd)
            raise
        try:
            self._configure(synchronous)
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

    def _configure(self, synchronous: str) -> None:
        mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise JournalError("the journal's filesystem does not support SQLite WAL mode")
        self._db.execute(f"PRAGMA synchronous={synchronous}")
        self._db.execute("BEGIN IMMEDIATE")
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                self._db.execute(statement)
        meta = dict(self._db.execute("SELECT name, value FROM meta").fetchall())
        check = key_check(self._key)
        if not meta:
            self._db.executemany(
                "INSERT INTO meta (name, value) VALUES (?, ?)",
                [
                    ("schema_version", SCHEMA_VERSION),
                    ("key_check", check),
                    ("created_at", datetime.now(UTC).isoformat()),
                ],
            )
        elif meta.get("schema_version") != SCHEMA_VERSION:
            self._db.execute("ROLLBACK")
            raise JournalError("the journal was written by an incompatible version")
        elif meta.get("key_check") != check:
            self._db.execute("ROLLBACK")
            raise JournalError(
                "the journal was written with another key; resume with the same "
                "DSR_JOURNAL_KEY or access token as the first run"
            )
        self._db.execute("COMMIT")

    # -- reading ---------------------------------------------------------------------------

    def key_of(self, subject: Subject) -> str:
        """The keyed hash under which ``subject`` is journalled."""
        return keyed_hash(self._key, subject.canonical)

    @property
    def operation(self) -> BulkOperation | None:
        """The operation this journal records, once a run has registered its input."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE name = 'operation'").fetchone()
        return None if row is None else BulkOperation(row[0])

    def counts(self) -> dict[SubjectState, int]:
        """How many subjects the journal holds in each state (states with none are left out)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT state, COUNT(*) FROM subjects GROUP BY state ORDER BY state"
            ).fetchall()
        return {SubjectState(state): count for state, count in rows}

    def outcome(self, key: str) -> SubjectOutcome | None:
        """What the journal knows about the subject under ``key``, if it holds it."""
        with self._lock:
            row = self._db.execute(_SELECT_OUTCOME + " WHERE key = ?", (key,)).fetchone()
        return None if row is None else _outcome_from_row(row)

    def report(self) -> BulkReport:
        """Every subject of the journal with its outcome, in input order: ids only.

        Raises:
            JournalError: No run has registered an input yet.
        """
        operation = self.operation
        if operation is None:
            raise JournalError("the journal is empty: no run has registered its input")
        with self._lock:
            rows = self._db.execute(_SELECT_OUTCOME + " ORDER BY line, key").fetchall()
        subjects = tuple(_outcome_from_row(row) for row in rows)
        counts: dict[SubjectState, int] = {}
        for subject in subjects:
            counts[subject.state] = counts.get(subject.state, 0) + 1
        return BulkReport(
            operation=operation,
            generated_at=datetime.now(UTC),
            counts=counts,
            subjects=subjects,
        )

    # -- writing (used by the runner; one commit each) -------------------------------------

    def register(
        self, operation: BulkOperation | str, subjects: Iterable[Subject]
    ) -> list[JournalEntry]:
        """Add the subjects not yet journalled (as ``pending``) and return every entry.

        Args:
            operation: What the run does; a journal records one operation only.
            subjects: The run's input, deduplicated.

        Returns:
            One entry per subject, in input order, with the journal's state for it.

        Raises:
            JournalError: The journal records another operation.
        """
        operation = BulkOperation(operation)
        keyed = [(self.key_of(subject), subject) for subject in subjects]
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute("SELECT value FROM meta WHERE name = 'operation'").fetchone()
                if row is None:
                    self._db.execute(
                        "INSERT INTO meta (name, value) VALUES ('operation', ?)",
                        (operation.value,),
                    )
                elif row[0] != operation.value:
                    raise JournalError(
                        f"the journal records a bulk {row[0]}; use another journal for a "
                        f"bulk {operation.value}"
                    )
                self._db.executemany(
                    "INSERT OR IGNORE INTO subjects (key, line, kind, state, updated_at) "
                    "VALUES (?, ?, ?, 'pending', ?)",
                    [(key, s.line, s.kind.value, now) for key, s in keyed],
                )
                known = {
                    key: (state, attempts, outcome)
                    for key, state, attempts, outcome in self._db.execute(
                        "SELECT key, state, attempts, outcome FROM subjects"
                    )
                }
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        entries = []
        for key, subject in keyed:
            state, attempts, outcome = known[key]
            entries.append(
                JournalEntry(
                    key=key,
                    subject=subject,
                    state=SubjectState(state),
                    attempts=attempts,
                    contacts=_contacts_of(outcome),
                )
            )
        return entries

    def mark_running(self, key: str) -> None:
        """Record that an attempt on the subject is starting (``running``, attempts + 1)."""
        self._write(
            "UPDATE subjects SET state = 'running', attempts = attempts + 1, updated_at = ? "
            "WHERE key = ?",
            (time.time(), key),
        )

    def record_contacts(self, key: str, contacts: Sequence[ContactOutcome]) -> None:
        """Record contacts already handled while the subject is still ``running``."""
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

    def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        with self._lock:
            if self._closed:
                raise JournalError("the journal is closed")
            self._db.execute(sql, params)


_SELECT_OUTCOME: Final = "SELECT key, line, kind, state, attempts, outcome, error FROM subjects"


def _contacts_of(outcome: str | None) -> tuple[ContactOutcome, ...]:
    if outcome is None:
        return ()
    return tuple(ContactOutcome(**c) for c in json.loads(outcome).get("contacts", ()))


def _outcome_from_row(row: tuple[Any, ...]) -> SubjectOutcome:
    key, line, kind, state, attempts, outcome, error = row
    decoded = {} if outcome is None else json.loads(outcome)
    return SubjectOutcome(
        key=key,
        line=line,
        kind=SubjectKind(kind),
        state=SubjectState(state),
        attempts=attempts,
        result=decoded.get("result"),
        contacts=_contacts_of(outcome),
        error=None if error is None else FailureInfo.model_validate_json(error),
        export_file=decoded.get("export_file"),
    )


def _open_private(path: Path) -> int:
    """Open the journal file, creating it 0600 in the same system call when it is missing."""
    flags = os.O_RDWR | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise JournalError("the journal path is a symbolic link; name the file") from None
        raise
    info = os.fstat(fd)
    problem = None
    if not stat.S_ISREG(info.st_mode):
        problem = "the journal path is not a regular file"
    elif info.st_mode & 0o077:
        problem = (
            f"the journal is readable or writable by others (mode {stat.S_IMODE(info.st_mode):o});"
            " chmod 600 it first"
        )
    elif hasattr(os, "getuid") and info.st_uid != os.getuid():
        problem = "the journal belongs to another user"
    if problem is not None:
        os.close(fd)
        raise JournalError(problem)
    return fd


def _lock_exclusively(fd: int) -> None:
    if fcntl is None:  # pragma: no cover - Windows
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise JournalError("another run has this journal open") from None
