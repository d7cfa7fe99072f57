"""``dsr intercom bulk erase|export``: the bulk engine, with a progress bar and a summary.

The work (journal, rate limiter, retries, atomic export files, report) is
:mod:`dsr_resolvers.bulk`'s; this module wires it to the command line:

1. read the input (one contact id or email a line, or a CSV whose header names the column)
   before anything is sent, so a bad line 40,000 stops the run before the first erasure;
2. ask before a bulk erase on a terminal; refuse without ``--yes`` when there is none;
3. open the journal (keyed with ``DSR_JOURNAL_KEY``, else with the access token), run, and
   show progress: a Rich bar on a terminal (done, failed, rate, ETA), otherwise a plain line
   every few seconds, which a log file can hold;
4. print the summary table, write the report, and list failures by input line number and
   contact id, never by email.

Running the same command again with the same ``--journal`` skips every subject already done,
so a killed or failed run is resumed by rerunning it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Final, Literal, Self

import typer
from rich import box
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from dsr_resolvers.bulk import (
    BulkOperation,
    BulkProgress,
    BulkReport,
    BulkSummary,
    InputError,
    Journal,
    JournalError,
    RateLimiter,
    SubjectList,
    SubjectState,
    journal_key,
    read_subjects,
    run_bulk,
)
from dsr_resolvers.cli._deliverables import BulkReceipts
from dsr_resolvers.cli._errors import CREDENTIAL_STATUSES, CliError, ExitCode
from dsr_resolvers.cli._intercom import Policy
from dsr_resolvers.cli._output import Io
from dsr_resolvers.cli._settings import Connection
from dsr_resolvers.contract import PiiCategory

__all__ = ["run_bulk_command"]

PLAIN_PROGRESS_INTERVAL: Final = 5.0
"""Seconds between two plain progress lines when stderr is not a terminal."""

_MAX_LISTED_FAILURES: Final = 50


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


class _ProgressView:
    """Shows :class:`BulkProgress` snapshots: a Rich bar, or plain periodic lines."""

    def __init__(self, io: Io, operation: BulkOperation, *, interval: float) -> None:
        self._io = io
        self._label = f"bulk {operation.value}"
        self._interval = interval
        self._last_line = 0.0
        self._latest: BulkProgress | None = None
        self._printed: BulkProgress | None = None
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        if io.err.is_terminal:
            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("failed {task.fields[failed]}"),
                TextColumn("{task.fields[rate]}/s"),
                TextColumn("ETA {task.fields[eta]}"),
                console=io.err,
            )

    def __enter__(self) -> Self:
        if self._bar is not None:
            self._bar.start()
            self._task = self._bar.add_task(self._label, total=None, failed=0, rate="0.0", eta="-")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
        elif self._latest is not None and self._latest != self._printed:
            self._io.status(self._line(self._latest))

    def update(self, progress: BulkProgress) -> None:
        """Take a snapshot from the bulk runner (called on the event loop)."""
        self._latest = progress
        if self._bar is not None and self._task is not None:
            self._bar.update(
                self._task,
                total=progress.total,
                completed=progress.finished,
                failed=progress.failed,
                rate=f"{progress.rate:.1f}",
                eta=_duration(progress.eta_seconds),
            )
            return
        now = time.monotonic()
        if now - self._last_line >= self._interval:
            self._last_line = now
            self._printed = progress
            self._io.status(self._line(progress))

    def _line(self, progress: BulkProgress) -> str:
        return (
            f"{self._label}: {progress.finished}/{progress.total} finished "
            f"({progress.done} done, {progress.failed} failed, {progress.skipped} from earlier "
            f"runs), {progress.rate:.1f}/s, ETA {_duration(progress.eta_seconds)}"
        )


def _read_input(path: Path, column: str | None) -> SubjectList:
    try:
        subjects = read_subjects(path, column=column)
    except InputError as error:  # names a line number, never the line
        raise CliError(f"{path}: {error}; fix the input and run again") from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise CliError(f"cannot read the input file {path}: {reason}") from None
    if not len(subjects):
        raise CliError(f"{path} names no subject: one contact id or email a line is expected")
    return subjects


def _summary_table(summary: BulkSummary) -> Table:
    table = Table(
        title=f"bulk {summary.operation.value}",
        box=box.SIMPLE_HEAD,
        show_header=False,
        title_justify="left",
    )
    table.add_column("what")
    table.add_column("count", justify="right")
    rows = [
        ("subjects in the input", str(summary.total)),
        ("duplicate lines ignored", str(summary.duplicates)),
        ("done by earlier runs (skipped)", str(summary.skipped)),
        ("done by this run", str(summary.done)),
        ("  of which nothing held", str(summary.not_found)),
        ("failed", str(summary.failed)),
        ("retries", str(summary.retries)),
        ("rate limited (429)", str(summary.rate_limited)),
        ("elapsed", _duration(summary.elapsed_seconds)),
        ("subjects a second", f"{summary.rate:.1f}"),
    ]
    for label, value in rows:
        table.add_row(label, value)
    return table


def _report_failures(io: Io, report: BulkReport) -> None:
    failed = [s for s in report.subjects if s.state is SubjectState.FAILED]
    credential_failures = 0
    for outcome in failed[:_MAX_LISTED_FAILURES]:
        error = outcome.error
        why = "unknown failure" if error is None else error.type
        if error is not None and error.status is not None:
            why += f" (status {error.status})"
        reached = ", ".join(contact.contact_id for contact in outcome.contacts)
        io.error(
            f"input line {outcome.line} ({outcome.kind.value}) failed: {why}"
            + (f"; contacts already handled: {reached}" if reached else "")
        )
    for outcome in failed:
        if outcome.error is not None and outcome.error.status in CREDENTIAL_STATUSES:
            credential_failures += 1
    if len(failed) > _MAX_LISTED_FAILURES:
        io.error(f"... and {len(failed) - _MAX_LISTED_FAILURES} more failed subjects: see --report")
    if credential_failures:
        io.error(
            f"Intercom refused the access token for {credential_failures} subject(s) (401/403): "
            "check the token and its scopes ('dsr intercom check' shows both), then rerun "
            "with the same --journal to resume"
        )


def _confirm(io: Io, subjects: SubjectList, policy: Policy) -> bool:
    if not io.interactive:
        raise CliError(
            "refusing a bulk erase without confirmation: there is no terminal to ask on; "
            "pass --yes to confirm"
        )
    return typer.confirm(
        f"Erase {len(subjects)} subject(s) (every contact of each email) under policy "
        f"{policy.value}? This cannot be undone",
        default=False,
        err=True,
    )


def run_bulk_command(
    connection: Connection,
    io: Io,
    *,
    operation: BulkOperation,
    input_path: Path,
    journal_path: Path,
    column: str | None = None,
    concurrency: int | Literal["auto"] = "auto",
    out_dir: Path | None = None,
    report_path: Path | None = None,
    policy: Policy = Policy.DELETE_CONTACT,
    messages: bool = False,
    custom_attributes: Mapping[str, PiiCategory] | None = None,
    assume_yes: bool = False,
    progress_interval: float = PLAIN_PROGRESS_INTERVAL,
    receipts_dir: Path | None = None,
) -> int:
    """Erase or export every subject of an input file, resumably.

    Args:
        connection: The workspace.
        io: Where to print, and whether a person can confirm.
        operation: ``erase`` or ``export``.
        input_path: One contact id or email a line, or a CSV file with a header.
        journal_path: The SQLite journal; the same file resumes an earlier run.
        column: The CSV column to read (default: contact_id, intercom_id, id or email).
        concurrency: Subjects worked on at once, or ``"auto"``.
        out_dir: Export only: the directory for one JSON file per subject.
        report_path: Where to write the JSON report of the whole journal.
        policy: The erasure policy.
        messages: Export only: include the messages each contact wrote.
        custom_attributes: Export only: custom attributes to include, with categories.
        assume_yes: Erase without asking.
        progress_interval: Seconds between plain progress lines.
        receipts_dir: Erase only: write an erasure receipt per subject this run finishes.

    Returns:
        0 when every subject is done, 1 when some failed or the confirmation was declined.

    Raises:
        CliError: A usage or configuration problem, before anything is sent (exit 2).
    """
    if operation is BulkOperation.EXPORT and out_dir is None:
        raise CliError("bulk export needs --out DIR, the directory for the export files")
    if operation is BulkOperation.ERASE and out_dir is not None:
        raise CliError("bulk erase writes no export files; --out is for bulk export")
    if operation is BulkOperation.EXPORT and receipts_dir is not None:
        raise CliError("--receipts is for bulk erase: an export erases nothing")
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise CliError(f"--out {out_dir} exists and is not a directory")
    subjects = _read_input(input_path, column)
    limiter = RateLimiter()
    resolver = connection.resolver(
        erasure_policy=policy.resolver_policy,
        export_messages=messages,
        custom_attributes=custom_attributes,
        hooks=limiter,
    )
    if operation is BulkOperation.ERASE and not assume_yes and not _confirm(io, subjects, policy):
        io.status("Aborted: nothing was erased.")
        return ExitCode.FAILED
    key = journal_key(access_token=connection.token.get_secret_value())
    try:
        journal = Journal(journal_path, key=key)
    except JournalError as error:
        raise CliError(f"journal {journal_path}: {error}") from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise CliError(f"cannot open the journal {journal_path}: {reason}") from None
    except sqlite3.Error:
        raise CliError(
            f"{journal_path} is not a journal of dsr (not a usable SQLite database); "
            "give a new file name to start a run"
        ) from None
    with journal:
        receipts = (
            None if receipts_dir is None else BulkReceipts.start(receipts_dir, journal, resolver)
        )
        try:
            with _ProgressView(io, operation, interval=progress_interval) as view:
                summary = asyncio.run(
                    run_bulk(
                        resolver,
                        operation,
                        subjects,
                        journal,
                        limiter=limiter,
                        concurrency=concurrency,
                        out_dir=out_dir,
                        progress=view.update,
                    )
                )
        except JournalError as error:
            raise CliError(f"journal {journal_path}: {error}") from None
        except KeyboardInterrupt:
            raise CliError(
                "interrupted: rerun the same command with the same --journal to resume",
                ExitCode.FAILED,
            ) from None
        report = journal.report()
    io.out.print(_summary_table(summary))
    if receipts is not None:
        receipts.write(io, report)
    if report_path is not None:
        try:
            report.write(report_path)
        except OSError as error:
            raise CliError(
                f"cannot write the report {report_path}: {error.strerror or type(error).__name__}"
            ) from None
        io.status(f"Report: {report_path}")
    if out_dir is not None:
        io.status(f"Export files: {out_dir}")
    _report_failures(io, report)
    return ExitCode.OK if summary.ok else ExitCode.FAILED
