"""``dsr demo``: a whole data-subject request, end to end, on a fresh machine.

No credentials, no network: a :class:`FakeIntercom` seeded with the sandbox's demo workspace
(:func:`dsr_resolvers.sandbox.seed_demo`) is served on 127.0.0.1 with the sandbox's token, and
the request of the person whose email a user and a lead share is answered with the very
functions the ``dsr intercom`` commands call: ``lookup`` finds both contacts, ``export
--messages`` bundles both with every message they wrote (listed as text with its date, a few
per contact), ``erase --policy redact_messages`` plans then erases both, and ``verify`` shows
nothing left. In the company's other workspace (``eu``: the same person by phone and external
id, no email) ``lookup --all-workspaces`` finds them again and ``erase --workspace eu`` erases
them there too. It ends with where the deliverables are (the access report and the erasure
receipt, kept in ``--out DIR`` or a new temporary directory that outlives the demo) and the same
commands for a real workspace, spelt so they work when pasted (``.venv/bin/dsr`` when ``dsr`` is
not on ``PATH``).
"""

from __future__ import annotations

import functools
import re
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from html import unescape
from pathlib import Path

from pydantic import SecretStr
from rich.panel import Panel
from rich.text import Text

from dsr_resolvers._bundle import ExportBundle
from dsr_resolvers.cli._deliverables import ReceiptRequest, write_access_report
from dsr_resolvers.cli._errors import ExitCode
from dsr_resolvers.cli._intercom import (
    Identifiers,
    run_erase,
    run_export,
    run_lookup,
    run_verify,
)
from dsr_resolvers.cli._output import Io, new_table
from dsr_resolvers.cli._settings import Connection
from dsr_resolvers.cli._workspaces import each_workspace
from dsr_resolvers.contract import ExportRecord
from dsr_resolvers.sandbox import DEFAULT_TOKEN, seed_demo, seed_second_workspace
from dsr_resolvers.sandbox._hint import dsr_program
from dsr_resolvers.testing import FakeIntercom

__all__ = ["run_demo"]

_REAL_COMMANDS = (
    "intercom check",
    "intercom lookup --email ada@example.com",
    "intercom export --email ada@example.com --messages --out ada.json",
    "intercom erase --email ada@example.com --policy redact_messages --dry-run",
    "intercom erase --email ada@example.com --policy redact_messages",
    "intercom verify CONTACT_ID... --policy redact_messages",
    "intercom surface --messages --policy redact_messages > surface.md",
)
#: Messages listed per contact; the rest are counted, and all of them are in the export file.
_MESSAGES_SHOWN = 8
_TAG = re.compile(r"<[^>]*>")
_erase = functools.partial(run_erase, policy="redact_messages")


def _say(io: Io, text: str, style: str = "", *, soft_wrap: bool = True) -> None:
    io.out.print(Text(text, style=style), soft_wrap=soft_wrap)


def _panel(io: Io, title: str, text: str, *, expand: bool = False) -> None:
    io.out.print(Panel(Text(text), title=title, expand=expand))


def _step(io: Io, title: str, command: str | None = None) -> None:
    io.out.print()
    io.out.rule(f"[bold]{title}", align="left")
    if command is not None:
        _say(io, f"$ {command}", "dim")


def _as_text(html: str) -> str:
    """A message body as a person reads it: tags dropped, entities decoded, one line."""
    return " ".join(unescape(_TAG.sub(" ", html)).split())


def _as_date(iso: str) -> str:
    """``2024-07-01T00:43:12Z`` as ``2024-07-01 00:43``; anything else as it is."""
    return iso[:16].replace("T", " ") if len(iso) >= 16 and iso[10:11] == "T" else iso


def _written(records: Sequence[ExportRecord]) -> list[tuple[str, str, str]]:
    """(date, conversation id, text) of every message in an export, oldest first."""
    values = {record.field: record.value for record in records}
    rows: list[tuple[str, str, str]] = []
    for field, value in values.items():
        parts = field.split(".")
        if parts[0] == "conversation" and parts[-1] == "body":
            # The opening message (``source``) is dated by its conversation.
            dated = parts[:2] if parts[2:] == ["source", "body"] else parts[:-1]
            when = values.get(".".join([*dated, "created_at"]), "")
            rows.append((_as_date(when), parts[1], _as_text(value)))
    return sorted(rows)


def _export_summary(io: Io, bundle: ExportBundle, export_path: Path) -> None:
    table = new_table("Contact id", "Role", "Records", "By category")
    for subject in bundle.subjects:
        counts = Counter(record.category.value for record in subject.records)
        table.add_row(
            subject.contact_id,
            subject.role or "-",
            str(len(subject.records)),
            ", ".join(f"{name} {count}" for name, count in sorted(counts.items())),
        )
    io.out.print(table)
    for subject in bundle.subjects:
        written = _written(subject.records)
        if not written:
            continue
        io.out.print()
        who = f"{subject.role or 'contact'} {subject.contact_id}"
        _say(io, f"What {who} wrote ({len(written)} message(s)):")
        messages = new_table("Date (UTC)", "Conversation", "Message")
        for row in written[:_MESSAGES_SHOWN]:
            messages.add_row(*row)
        io.out.print(messages)
        if len(written) > _MESSAGES_SHOWN:
            _say(io, f"... and {len(written) - _MESSAGES_SHOWN} more in {export_path}")


def run_demo(io: Io, *, out_dir: Path | None = None) -> int:
    """Run the demo against an in-process sandbox.

    Returns:
        0 when every step did what it should, 1 otherwise.
    """
    fake = FakeIntercom(DEFAULT_TOKEN)
    demo = seed_demo(fake)
    other = FakeIntercom(DEFAULT_TOKEN, seed=1)
    second = seed_second_workspace(other, demo)
    email = demo.shared_email
    statuses: list[int] = []
    keep = out_dir or Path(tempfile.mkdtemp(prefix="dsr-demo-deliverables-"))
    report_path = keep / "demo-access-report.html"
    receipt = ReceiptRequest(keep / "demo-erasure-receipt.json", keep / "demo-erasure-receipt.html")
    with (
        fake.serve() as base_url,
        other.serve() as other_url,
        tempfile.TemporaryDirectory(prefix="dsr-demo-") as scratch,
    ):
        connection = Connection(base_url=base_url, token=SecretStr(DEFAULT_TOKEN))
        _panel(
            io,
            "dsr demo",
            f"A sandbox Intercom workspace is serving on {base_url} (fake data; nothing "
            "leaves this machine).\nA person writes in: please give me my data, then "
            f"erase it. Their email, {email}, belongs to two Intercom contacts: a user "
            "and a lead from an earlier website chat.",
        )
        _step(
            io,
            "Step 1 of 4: find every contact with the email",
            f"dsr intercom lookup --email {email}",
        )
        matches = run_lookup(connection, io, Identifiers(email=email))
        ids = [match.id for match in matches]

        export_path = (out_dir or Path(scratch)) / "demo-export.json"
        _step(
            io,
            "Step 2 of 4: export everything held, messages included (Art. 15)",
            f"dsr intercom export --email {email} --messages --out {export_path}",
        )
        bundle = run_export(  # the demo's own file, replaced on each run
            connection, io, Identifiers(email=email), messages=True, out=export_path, force=True
        )
        _export_summary(io, bundle, export_path)
        write_access_report(io, bundle, report_path, processing=None)
        if out_dir is None:
            _say(
                io,
                "(The export file is removed when the demo ends; the deliverables are kept.\n"
                " dsr demo --out DIR keeps everything in DIR.)",
            )

        erase = f"dsr intercom erase --email {email} --policy redact_messages"
        _step(
            io,
            "Step 3 of 4: erase both contacts, redacting what they wrote first (Art. 17)",
            f"{erase} --dry-run",
        )
        statuses.append(_erase(connection, io, Identifiers(email=email), dry_run=True))
        _say(io, f"$ {erase} --yes", "dim")
        statuses.append(
            _erase(connection, io, Identifiers(email=email), assume_yes=True, receipt=receipt)
        )

        verify = f"dsr intercom verify {' '.join(ids)} --policy redact_messages"
        _step(io, "Step 4 of 4: verify nothing is left", verify)
        roles = {match.id: match.role for match in matches}
        statuses.append(
            run_verify(
                connection,
                io,
                Identifiers(),
                contact_ids=ids,
                policy="redact_messages",
                roles=roles,
            )
        )
        if fake.contact(demo.bystander_id) is not None:
            _say(
                io,
                "The bystander who shares a conversation with them is untouched; what "
                "others wrote in shared conversations stays.",
                soft_wrap=False,
            )
        _step(io, "Every workspace the company runs")
        _say(
            io,
            "The company also runs an EU workspace, where the same person wrote in by phone: "
            "no email there, but the same phone and external id. Look in every workspace by "
            "every identifier the request brings, in one search each (the "
            "workspaces file names each one's host and token source; 'dsr sandbox "
            "--workspaces 2' serves both). In us nothing is found any more (step 3 erased "
            "it); in eu the person is found, and erased there too:",
            soft_wrap=False,
        )
        _say(
            io,
            "$ dsr intercom lookup --workspaces workspaces.toml --all-workspaces "
            f"--email {email} --phone '{second.phone}' --external-id {second.external_id}",
            "dim",
        )
        found: dict[str, list[str]] = {}

        def lookup(workspace: Connection, scoped: Io) -> int:
            matches = run_lookup(
                workspace,
                scoped,
                Identifiers(email=email, phone=second.phone, external_id=second.external_id),
            )
            found[str(workspace.name)] = [match.id for match in matches]
            return ExitCode.OK

        eu = replace(connection, base_url=other_url, name="eu")
        workspaces = [replace(connection, name="us"), eu]
        statuses.append(
            each_workspace(io, [(w.name, functools.partial(lookup, w)) for w in workspaces])
        )
        for contact_id in found.get("eu", []):
            _say(
                io,
                f"$ dsr intercom erase --workspaces workspaces.toml --workspace eu {contact_id} "
                "--policy redact_messages --yes",
                "dim",
            )
            statuses.append(_erase(eu, io, Identifiers(contact_id=contact_id), assume_yes=True))
    ok = (
        all(status == ExitCode.OK for status in statuses)
        and len(matches) >= 2
        and found.get("eu", []) == [second.contact_id]
    )
    io.out.print()
    _panel(
        io,
        "The deliverables",
        f"Access report (open it in a browser; print it to PDF): {report_path}\n"
        f"Erasure receipt: {receipt.json_path} and {receipt.html_path}\n"
        "Give 'dsr intercom export' --processing-record FILE to fill in the purposes, "
        "legal bases and retention the report now marks as not provided.",
    )
    io.out.print()
    _panel(
        io,
        "Demo complete" if ok else "Demo finished with problems",
        "Run the same request against your own workspace. The token stays in the environment, "
        "never on the command line; add --region eu or --region au outside the US.",
        expand=True,
    )
    dsr = dsr_program()
    _say(io, "  export INTERCOM_ACCESS_TOKEN=...   # your Intercom app's token", soft_wrap=False)
    for line in _REAL_COMMANDS:
        _say(io, f"  {dsr} {line}")
    io.out.print()
    _say(
        io,
        f"Every command has --help with an example. '{dsr} sandbox' serves this demo workspace "
        "until Ctrl-C, to try the commands with --base-url first.",
        soft_wrap=False,
    )
    return ExitCode.OK if ok else ExitCode.FAILED
