"""``dsr intercom bulk erase|export|object|status``: the bulk engine, with progress and a summary.

The work (journal, rate limiter, retries, atomic export files, report) is
:mod:`dsr_resolvers.bulk`'s; this module wires it to the command line. It checks the whole
input (contact ids or emails a line, or a CSV whose header names the columns) before anything is
sent, so a bad line 40,000 stops the run before the first erasure; asks before a bulk erase on a
terminal (refuses without ``--yes`` when there is none); opens the journal (keyed with
``DSR_JOURNAL_KEY``, else with the key file beside it) and shows progress (a Rich bar on a
terminal, else a plain line every few seconds); then prints the summary, writes the report from
the journal a page at a time, and lists failures by input line and contact id, never by email.

How a run ends, and what it leaves in the journal:

| exit | when                                          | the journal                               |
|------|-----------------------------------------------|-------------------------------------------|
| 0    | every subject done (nothing held included)    | every row ``done``                        |
| 1    | some subjects failed (a 409, 5xx after the    | those rows ``failed``; a rerun retries    |
|      | retries), or the confirmation was declined    | them                                      |
| 2    | Intercom refused the token (401/403), or the  | the refused, in-flight and unstarted rows |
|      | journal or an export file cannot be written   | ``pending``; a rerun resumes them         |
| 2    | before anything is sent: a bad input line, a  | untouched (or not created)                |
|      | journal that does not match the run, ...      |                                           |
| 130  | Ctrl-C; 143: SIGTERM                          | rows in flight stay ``running`` with the  |
|      |                                               | contacts recorded (in doubt); a rerun     |
|      |                                               | resumes them                              |

Running the same command again with the same ``--journal`` skips every subject already done.
``bulk erase --dry-run`` looks up and plans without changing anything; ``bulk status`` reads a
journal without sending anything. With ``--json`` both print one JSON document instead of a
table; the dry run's (the same document ``--report`` writes) comes subject by subject as the
plans come (each contact in the shape of the single-subject dry run), so memory stays flat.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import json
import time
from collections.abc import AsyncGenerator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Literal, get_args

import typer
from rich import box
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from dsr_resolvers._files import write_atomically
from dsr_resolvers.bulk import (
    BulkOperation,
    BulkProgress,
    BulkSummary,
    FailureInfo,
    InputError,
    Journal,
    JournalError,
    ProgressCallback,
    RateLimiter,
    SubjectFile,
    SubjectPlan,
    SubjectState,
    plan_bulk_erase,
    read_subjects,
    run_bulk,
)
from dsr_resolvers.bulk._report import INTERRUPTED
from dsr_resolvers.cli._deliverables import BulkReceipts
from dsr_resolvers.cli._errors import CliError, ExitCode, interrupt_exit_code
from dsr_resolvers.cli._intercom import plan_entry
from dsr_resolvers.cli._output import Io, check_destination
from dsr_resolvers.cli._settings import Connection
from dsr_resolvers.cli._workspaces import each_workspace, per_workspace_path
from dsr_resolvers.contract import PiiCategory, Presence, Resolver, ResolverError
from dsr_resolvers.intercom import ErasurePolicy, IntercomResolver

__all__ = ["run_bulk_command", "run_bulk_status"]

PLAIN_PROGRESS_INTERVAL: Final = 5.0
"""Seconds between two plain progress lines when stderr is not a terminal."""

_MAX_LISTED_FAILURES: Final = 50
BULK_PLAN_FORMAT: Final = "dsr-resolvers/bulk-erase-plan/v1"
BULK_STATUS_FORMAT: Final = "dsr-resolvers/bulk-status/v1"
_REDACTING: Final = ("redact_messages", "delete_conversations")
_PLAN_ROWS: Final = (  # the dry run's table: label, total, the policies that show it
    ("subjects planned", "subjects", get_args(ErasurePolicy)),
    ("  with contacts to erase", "held", get_args(ErasurePolicy)),
    ("contacts to erase", "contacts", get_args(ErasurePolicy)),
    ("  not visible (archived or absent)", "not_visible", get_args(ErasurePolicy)),
    ("conversations to look through", "conversations", _REDACTING),
    ("messages to redact", "redactions", _REDACTING),
    ("conversations to delete", "conversations_to_delete", ("delete_conversations",)),
    ("tickets to delete", "tickets_to_delete", ("delete_conversations",)),
)
_PLAN_COUNTS: Final = (  # total, the plan's count summed into it
    ("conversations", "conversations_scanned"),
    ("redactions", "messages_to_redact"),
    ("conversations_to_delete", "conversations_to_delete"),
    ("tickets_to_delete", "tickets_to_delete"),
)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    hours, rest = divmod(round(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _why(error: FailureInfo | None) -> str:
    if error is None:
        return "unknown failure"
    return error.type + ("" if error.status is None else f" (status {error.status})")


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__


@contextlib.contextmanager
def _progress(io: Io, operation: BulkOperation, interval: float) -> Iterator[ProgressCallback]:
    """Shows :class:`BulkProgress` snapshots: a Rich bar, or a plain line every ``interval``."""
    label = f"bulk {operation.value}"
    if io.err.is_terminal:
        fields = ("failed {task.fields[failed]}", "{task.fields[rate]}/s", "ETA {task.fields[eta]}")
        columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, *map(TextColumn, fields), console=io.err) as bar:
            task = bar.add_task(label, total=None, failed=0, rate="0.0", eta="-")
            yield lambda p: bar.update(
                task,
                total=p.total,
                completed=p.finished,
                failed=p.failed,
                rate=f"{p.rate:.1f}",
                eta=_duration(p.eta_seconds),
            )
        return
    latest: BulkProgress | None = None
    printed: BulkProgress | None = None
    last_line = 0.0

    def line(p: BulkProgress) -> str:
        return (
            f"{label}: {p.finished}/{p.total} finished ({p.done} done, {p.failed} failed, "
            f"{p.skipped} from earlier runs), {p.rate:.1f}/s, ETA {_duration(p.eta_seconds)}"
        )

    def update(progress: BulkProgress) -> None:
        nonlocal latest, printed, last_line
        latest = progress
        if (now := time.monotonic()) - last_line >= interval:
            last_line, printed = now, progress
            io.status(line(progress))

    try:
        yield update
    finally:
        if latest is not None and latest != printed:
            io.status(line(latest))


def _read_input(path: Path, column: str | None) -> SubjectFile:
    try:
        subjects = read_subjects(path, column=column)
    except InputError as error:  # names a line number, never the line
        raise CliError(f"{path}: {error}; fix the input and run again") from error
    except OSError as error:
        raise CliError(f"cannot read the input file {path}: {_reason(error)}") from error
    if not len(subjects):
        raise CliError(
            f"{path} names no subject: one contact id or email a line is expected, or a CSV "
            "header naming contact_id, email, phone or external_id"
        )
    return subjects


def _table(title: str, rows: Sequence[tuple[str, object]]) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    for label, value in rows:
        table.add_row(label, str(value))
    return table


def _summary_table(summary: BulkSummary, scope: str = "") -> Table:
    done: list[tuple[str, object]] = [("  of which nothing held", summary.not_found)]
    if summary.operation is BulkOperation.OBJECT:
        done = [
            ("  of which objected", summary.objected),
            ("  of which already objected", summary.already_objected),
            ("  of which no contact", summary.not_found),
        ]
    return _table(
        f"bulk {summary.operation.value}" + (f", {scope}" if scope else ""),
        [
            ("subjects in the input", summary.total),
            ("duplicate lines ignored", summary.duplicates),
            ("done by earlier runs (skipped)", summary.skipped),
            ("done by this run", summary.done),
            *done,
            ("failed", summary.failed),
            ("left pending (rerun to resume)", summary.pending),
            ("retries", summary.retries),
            ("rate limited (429)", summary.rate_limited),
            ("elapsed", _duration(summary.elapsed_seconds)),
            ("subjects a second", f"{summary.rate:.1f}"),
        ],
    )


def _report_failures(io: Io, journal: Journal) -> None:
    listed = 0
    for listed, outcome in enumerate(journal.outcomes(states=[SubjectState.FAILED]), 1):
        if listed > _MAX_LISTED_FAILURES:
            continue  # counted, not listed
        handled = [c for c in outcome.contacts if c.result not in ("found", "requested")]
        reached = ", ".join(f"{c.contact_id} ({c.result})" for c in handled)
        where = "" if outcome.workspace is None else f"workspace {outcome.workspace}: "
        io.error(
            f"{where}input line {outcome.line} ({outcome.kind.value}) failed: "
            + _why(outcome.error)
            + (f"; contacts already handled: {reached}" if reached else "")
        )
    if listed > _MAX_LISTED_FAILURES:
        io.error(f"... and {listed - _MAX_LISTED_FAILURES} more failed subjects: see --report")


def _refusal(status: int | None) -> str:
    if status == 403:
        return (
            "Intercom refused the access token's scopes (status 403): give the app the scopes "
            "the command needs (read and write users and conversations)"
        )
    return (
        f"Intercom refused the access token (status {status}): it is missing, revoked or for "
        "another workspace; supply a valid one"
    )


def _stop_message(summary: BulkSummary, journal_path: Path) -> str:
    resume = (
        f"{summary.pending} subject(s) left pending; rerun the same command with "
        f"--journal {journal_path} to resume them"
    )
    if summary.stopped == "refused":
        status = None if summary.stop_cause is None else summary.stop_cause.status
        return f"{_refusal(status)} (check it with 'dsr intercom check'), then {resume}"
    return f"{summary.stop_detail or 'a local write failed'}; fix that, then {resume}"


def _confirm(io: Io, subjects: SubjectFile, policy: ErasurePolicy) -> bool:
    if not io.interactive:
        raise CliError(
            "refusing a bulk erase without confirmation: there is no terminal to ask on; "
            "pass --yes to confirm"
        )
    return typer.confirm(
        f"Erase the subjects of {len(subjects)} input line(s) (every contact of each email, "
        f"phone or external id) under policy {policy}? This cannot be undone",
        default=False,
        err=True,
    )


def _open_journal(path: Path, *, read_only: bool = False) -> Journal:
    try:
        return Journal(path, read_only=read_only)
    except JournalError as error:  # names the real cause and never advises deleting it
        raise CliError(f"journal: {error}") from error


def _write_report(journal: Journal, report_path: Path | None, io: Io) -> None:
    if report_path is None:
        return
    try:
        journal.write_report(report_path)
    except (JournalError, OSError) as error:
        reason = _reason(error) if isinstance(error, OSError) else error
        raise CliError(f"cannot write the report {report_path}: {reason}") from error
    io.status(f"Report: {report_path}")


def run_bulk_command(
    connection: Connection | Sequence[Connection],
    io: Io,
    *,
    operation: BulkOperation,
    input_path: Path,
    journal_path: Path,
    column: str | None = None,
    concurrency: int | Literal["auto"] = "auto",
    out_dir: Path | None = None,
    report_path: Path | None = None,
    policy: ErasurePolicy = "delete_contact",
    messages: bool = False,
    archived: bool = False,
    custom_attributes: Mapping[str, PiiCategory] | None = None,
    assume_yes: bool = False,
    dry_run: bool = False,
    as_json: bool = False,
    progress_interval: float = PLAIN_PROGRESS_INTERVAL,
    receipts_dir: Path | None = None,
    include_phone_only: bool = False,
) -> int:
    """Erase, export or object for every subject of an input file, resumably: exit 0 when
    every subject is done, 1 when some failed or the confirmation was declined, else a
    :class:`CliError` (see the module's table)."""
    if operation is BulkOperation.EXPORT and out_dir is None:
        raise CliError("bulk export needs --out DIR, the directory for the export files")
    if operation is not BulkOperation.EXPORT and out_dir is not None:
        raise CliError(f"bulk {operation.value} writes no export files; --out is for bulk export")
    if operation is not BulkOperation.ERASE and receipts_dir is not None:
        raise CliError(f"--receipts is for bulk erase: a bulk {operation.value} erases nothing")
    if operation is BulkOperation.EXPORT and include_phone_only:
        raise CliError("--include-phone-only is for bulk erase: an export leaves nobody out")
    if as_json and not dry_run:
        raise CliError("--json is for bulk erase --dry-run; a run's result is its --report")
    check_destination(out_dir, "--out", directory=True)
    check_destination(report_path, "--report")
    check_destination(receipts_dir, "--receipts", directory=True)
    subjects = _read_input(input_path, column)
    connections = [connection] if isinstance(connection, Connection) else list(connection)
    several = connections[0].name is not None
    limiters = {c.name or "": RateLimiter() for c in connections}
    resolvers = [
        c.resolver(
            erasure_policy=policy,
            export_messages=messages,
            export_archived=archived,
            custom_attributes=custom_attributes,
            hooks=limiters[c.name or ""],
        )
        for c in connections
    ]
    if dry_run:
        plan = functools.partial(
            _dry_run,
            policy=policy,
            subjects=subjects,
            concurrency=8 if concurrency == "auto" else concurrency,
            as_json=as_json,
            include_phone_only=include_phone_only,
        )
        return each_workspace(
            io,
            [
                (c.name, functools.partial(plan, r, per_workspace_path(report_path, c.name)))
                for c, r in zip(connections, resolvers, strict=True)
            ],
            as_json=as_json,
        )
    if operation is BulkOperation.ERASE and not assume_yes and not _confirm(io, subjects, policy):
        io.status("Aborted: nothing was erased.")
        return ExitCode.FAILED
    with _open_journal(journal_path) as journal:
        receipts = None if receipts_dir is None else BulkReceipts.start(receipts_dir, resolvers[0])
        try:
            with _progress(io, operation, progress_interval) as progress:
                summary = asyncio.run(
                    run_bulk(
                        resolvers if several else resolvers[0],
                        operation,
                        subjects,
                        journal,
                        limiter=limiters if several else limiters[""],
                        concurrency=concurrency,
                        out_dir=out_dir,
                        progress=progress,
                        include_phone_only=include_phone_only,
                    )
                )
        except JournalError as error:
            raise CliError(f"journal: {error}") from error
        except KeyboardInterrupt as interrupt:
            raise _interrupted(io, journal, operation, report_path, journal_path, receipts) from (
                interrupt
            )
        for share in summary.workspaces:
            io.out.print(_summary_table(share, f"workspace {share.workspace}"))
        io.out.print(_summary_table(summary, "all workspaces" if several else ""))
        if receipts is not None:
            receipts.write(io, journal)
        _write_report(journal, report_path, io)
        if out_dir is not None:
            io.status(f"Export files: {out_dir}")
            done = journal.outcomes(states=[SubjectState.DONE])
            hidden = sum(1 for outcome in done if outcome.result == "not_visible")
            if hidden and not archived:  # an empty export of an archived contact's id
                io.status(
                    f"{hidden} subject(s) are not_visible, not not_found: Intercom answered not "
                    "found for the id, as it does for an archived contact, which is still held. "
                    "Rerun with --export-archived and a new journal to export archived contacts."
                )
        _report_failures(io, journal)
    stopped = [s for s in summary.workspaces if s.stopped is not None]
    for share in stopped[:-1]:
        io.error(f"workspace {share.workspace}: {_stop_message(share, journal_path)}")
    if stopped:  # the others finished their share: this names what was not done
        last = stopped[-1]
        raise CliError(f"workspace {last.workspace}: {_stop_message(last, journal_path)}")
    if summary.stopped is not None:
        raise CliError(_stop_message(summary, journal_path))
    return ExitCode.OK if summary.ok else ExitCode.FAILED


def _in_doubt(journal: Journal) -> tuple[int, int]:
    """(unfinished, not started) of a stopped run: running when it stopped, or failed by the
    interrupt itself (an erase's request may or may not have reached Intercom)."""
    counts = journal.counts()
    unfinished = counts.get(SubjectState.RUNNING, 0) + journal.failures().get(INTERRUPTED, 0)
    left = counts.get(SubjectState.RUNNING, 0) + counts.get(SubjectState.PENDING, 0)
    return unfinished, left - unfinished  # an interrupted subject is pending again


def _unfinished(operation: BulkOperation, unfinished: int) -> str:
    if operation is BulkOperation.EXPORT:  # an export only reads: nothing is in doubt
        return f"{unfinished} export(s) unfinished"
    return f"{unfinished} subject(s) in doubt (a request may or may not have reached Intercom)"


def _interrupted(
    io: Io,
    journal: Journal,
    operation: BulkOperation,
    report_path: Path | None,
    journal_path: Path,
    receipts: BulkReceipts | None = None,
) -> CliError:
    """Write what is known, then say what is unfinished and how to resume."""
    unfinished, pending = _in_doubt(journal)
    try:  # a report that cannot be written must not hide the interrupt
        _write_report(journal, report_path, io)
    except CliError as error:
        io.error(error.message)
    if receipts is not None and (missing := receipts.missing(journal)):
        io.status(
            f"{missing} erasure receipt(s) still to be written for subjects this journal "
            "finished: the rerun writes them, or now, without a request: dsr intercom bulk "
            f"status --journal {journal_path} --receipts {receipts.directory}"
        )
    return CliError(
        f"interrupted: nothing new was sent; {_unfinished(operation, unfinished)} and "
        f"{pending} not started; rerun the same command with --journal {journal_path} to "
        "resume them",
        interrupt_exit_code(),
    )


def _dry_run(
    resolver: Resolver,
    report_path: Path | None,
    io: Io,
    *,
    policy: ErasurePolicy,
    subjects: SubjectFile,
    concurrency: int,
    as_json: bool,
    include_phone_only: bool,
) -> int:
    totals = dict.fromkeys((total for _, total, _ in _PLAN_ROWS), 0)
    left_out = errors = 0

    async def plans() -> AsyncGenerator[SubjectPlan, None]:
        nonlocal errors, left_out
        async for plan in plan_bulk_erase(resolver, subjects, concurrency=concurrency):
            # Not visible (Intercom: archived or absent) counts: the erasure reaches it if held.
            planned = [c for c in plan.contacts if c.to_erase]
            reached = [c for c in planned if include_phone_only or not c.phone_only]
            left_out += len(planned) - len(reached)
            totals["subjects"] += 1
            totals["held"] += bool(reached)
            totals["contacts"] += len(reached)
            totals["not_visible"] += sum(c.presence is Presence.NOT_VISIBLE for c in reached)
            for total, count in _PLAN_COUNTS:
                totals[total] += sum(c.counts.get(count, 0) for c in reached)
            errors += plan.error is not None
            yield plan

    def chunks() -> Iterator[str]:
        yield f'{{"format": "{BULK_PLAN_FORMAT}", "policy": "{policy}", "subjects": ['
        for number, plan in enumerate(_one_by_one(plans())):
            shown = _plan_json(plan, include_phone_only=include_phone_only)
            yield (",\n" if number else "\n") + json.dumps(shown)
        yield '\n], "totals": ' + json.dumps(totals, sort_keys=True) + "}\n"

    def document() -> Iterator[bytes]:
        """The one ``bulk-erase-plan`` document, for ``--json`` and ``--report`` alike."""
        for chunk in chunks():
            if as_json:
                io.write(chunk)
            yield chunk.encode()

    try:
        if report_path is None:
            collections.deque(document(), maxlen=0)
        else:
            write_atomically(report_path, document())
    except ResolverError as error:
        status = FailureInfo.of(error).status
        raise CliError(f"{_refusal(status)} (check it with 'dsr intercom check')") from error
    except KeyboardInterrupt as interrupt:
        raise CliError(
            "interrupted: the dry run changed nothing", interrupt_exit_code()
        ) from interrupt
    except OSError as error:
        raise CliError(f"cannot write the report {report_path}: {_reason(error)}") from error
    if not as_json:
        rows = [(label, totals[total]) for label, total, shown in _PLAN_ROWS if policy in shown]
        io.out.print(_table("bulk erase --dry-run", [*rows, ("could not be planned", errors)]))
    if left_out:
        io.status(
            f"Left out {left_out} contact(s) matched by a row's phone alone: phone numbers\n"
            "are reassigned; pass --include-phone-only to erase them too."
        )
    io.status("Dry run: nothing was changed in Intercom, and no journal was written.")
    if report_path is not None:
        io.status(f"Report: {report_path}")
    return ExitCode.OK if errors == 0 else ExitCode.FAILED


def _one_by_one(stream: AsyncGenerator[SubjectPlan, None]) -> Iterator[SubjectPlan]:
    """The plans, one at a time, from an event loop driven step by step: the document is
    written as they come, so a dry run over a million lines holds none of them."""
    loop = asyncio.new_event_loop()
    try:
        while True:
            try:
                yield loop.run_until_complete(anext(stream))
            except StopAsyncIteration:
                return
    finally:
        loop.run_until_complete(stream.aclose())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()


def _plan_json(plan: SubjectPlan, *, include_phone_only: bool) -> dict[str, Any]:
    """One subject of the plan document (a contact its row's phone alone led to is
    ``left_out`` unless included)."""
    contacts = [
        plan_entry(
            contact.contact_id,
            contact.presence or Presence.NOT_VISIBLE,  # not planned: reached if held
            conversations=contact.counts.get("conversations_scanned"),
            redactions=contact.counts.get("messages_to_redact"),
            counts=contact.counts,
            phone_only=contact.phone_only and not include_phone_only,
        )
        for contact in plan.contacts
    ]
    entry: dict[str, Any] = {"line": plan.line, "kind": plan.kind.value}
    entry["searched"] = list(plan.searched)
    if plan.error is not None:
        entry |= {"outcome": "failed", "reason": _why(plan.error)}
    else:
        reached = any(contact["outcome"] != "no_contact" for contact in contacts)
        entry["outcome"] = "planned" if reached else "no_contact"
    return entry | {"contacts": contacts}


def run_bulk_status(
    io: Io, *, journal_path: Path, as_json: bool = False, receipts_dir: Path | None = None
) -> int:
    """Print what a journal holds (counts by state, failures by type, options) without a
    request: exit 0 when every subject is done, 1 otherwise, 2 when it cannot be read."""
    with _open_journal(journal_path, read_only=True) as journal:
        settings = journal.settings
        counts = journal.counts()
        failures = journal.failures()
        unfinished, _ = _in_doubt(journal)
        by_workspace = {name: journal.counts(name) for name in journal.workspaces() if name}
        if receipts_dir is not None:
            if settings is None or settings.operation is not BulkOperation.ERASE:
                raise CliError(
                    "--receipts needs the journal of a bulk erase: an export erases nothing"
                )
            spelled = settings.options.get("erasure_policy", "").replace("-", "_")  # older
            policies = {str(p): p for p in get_args(ErasurePolicy)}
            if spelled not in policies:
                raise CliError(
                    f"the journal names an erasure policy this version does not know: {spelled}"
                )
            # A resolver that never sends: it only states the covered surface the receipts cite.
            offline = IntercomResolver("offline", erasure_policy=policies[spelled])
            BulkReceipts.start(receipts_dir, offline).write(io, journal)

    states = {
        name: {state.value: counted.get(state, 0) for state in SubjectState}
        for name, counted in {"": counts, **by_workspace}.items()
    }
    if as_json:
        document: dict[str, Any] = {
            "format": BULK_STATUS_FORMAT,
            "journal": str(journal_path),
            "registered": settings is not None,
            "operation": None if settings is None else settings.operation.value,
            "options": {} if settings is None else dict(sorted(settings.options.items())),
            "input_lines": 0 if settings is None else settings.input_lines,
            "subjects": 0 if settings is None else settings.input_subjects,
            "states": states[""],
            **({"workspaces": {n: c for n, c in states.items() if n}} if by_workspace else {}),
            "in_doubt": unfinished,
            "failures": [
                {"type": info.type, "status": info.status, "count": count}
                for info, count in failures.items()
            ],
        }
        io.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    all_done = counts.get(SubjectState.DONE, 0) == sum(counts.values())
    if settings is None:
        io.status(f"{journal_path}: a journal no run has registered an input in yet")
        return ExitCode.FAILED
    if not as_json:
        options = sorted(settings.options.items())
        rows: list[tuple[str, object]] = [("operation", settings.operation.value)]
        rows += [(f"option {name}", value or "-") for name, value in options]
        rows += [("input lines", settings.input_lines), ("subjects", settings.input_subjects)]
        for name, counted in states.items():
            rows += [(f"workspace {name}", "")] if name else []
            rows += [(f"  {state}", count) for state, count in counted.items()]
        rows += [(f"last failure {_why(info)}", count) for info, count in failures.items()]
        io.out.print(_table(f"journal {journal_path}", rows))
        if unfinished:
            io.status(
                f"{_unfinished(settings.operation, unfinished)} when the last run stopped; "
                "rerunning the same command resumes them"
            )
    return ExitCode.OK if all_done else ExitCode.FAILED
