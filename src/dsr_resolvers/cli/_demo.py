"""``dsr demo``: a whole data-subject request, end to end, on a fresh machine.

No credentials, no network: the demo seeds a :class:`FakeIntercom` with the sandbox's demo
workspace (:func:`dsr_resolvers.sandbox.seed_demo`), serves it on 127.0.0.1 with the
sandbox's well-known token, and then answers a request for the person whose email is shared
by a user and a lead, with the very functions the ``dsr intercom`` commands call:

1. ``lookup --email``: both contacts are found;
2. ``export --email --messages``: one bundle for both, with what they wrote;
3. ``erase --email --policy redact_messages``: a dry run, then the erasure of both;
4. ``verify``: both contacts are gone and nothing they wrote is readable;

and then, in the company's other workspace (``eu``, a second fake holding the same person by
phone and external id, with no email), ``lookup --all-workspaces`` by email, phone and
external id together finds them again, and ``erase --workspace eu`` erases them there too.

It ends by saying where the deliverables are: the HTML access report of step 2 and the
erasure receipt (JSON and HTML) of step 3, kept in ``--out DIR`` or else in a new temporary
directory that outlives the demo; then it shows the same commands for a real workspace, spelt
so they work when pasted (``.venv/bin/dsr`` when ``dsr`` is not on ``PATH``). Every message the
contacts wrote is listed as text with its date (up to a few per contact; the rest are counted
and named in the file).
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
from dsr_resolvers.cli._intercom import Identifiers, run_erase, run_export, run_lookup, run_verify
from dsr_resolvers.cli._output import Io, new_table
from dsr_resolvers.cli._settings import Connection
from dsr_resolvers.cli._workspaces import each_workspace
from dsr_resolvers.contract import ExportRecord
from dsr_resolvers.sandbox import (
    DEFAULT_TOKEN,
    SecondWorkspace,
    seed_demo,
    seed_second_workspace,
)
from dsr_resolvers.sandbox._hint import dsr_program
from dsr_resolvers.testing import FakeIntercom

__all__ = ["run_demo"]

_REAL_WORKSPACE = (
    "Run the same request against your own workspace. The token stays in the environment, "
    "never on the command line; add --region eu or --region au outside the US."
)
_REAL_COMMANDS = (
    "intercom check",
    "intercom lookup --email ada@example.com",
    "intercom export --email ada@example.com --messages --out ada.json",
    "intercom erase --email ada@example.com --policy redact_messages --dry-run",
    "intercom erase --email ada@example.com --policy redact_messages",
    "intercom verify CONTACT_ID... --policy redact_messages",
    "intercom surface --messages --policy redact_messages > surface.md",
)
_REAL_AFTERWORD = (
    "Every command has --help with an example. '{dsr} sandbox' serves this demo workspace "
    "until Ctrl-C, to try the commands with --base-url first."
)
#: Messages listed per contact; the rest are counted, and all of them are in the export file.
_MESSAGES_SHOWN = 8
_TAG = re.compile(r"<[^>]*>")


def _step(io: Io, number: int, title: str, command: str) -> None:
    io.out.print()
    io.out.rule(f"[bold]Step {number} of 4: {title}", align="left")
    io.out.print(Text(f"$ {command}", style="dim"), soft_wrap=True)


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
        if parts[0] != "conversation" or parts[-1] != "body":
            continue
        if parts[2:] == ["source", "body"]:
            when = values.get(f"conversation.{parts[1]}.created_at", "")
        else:
            when = values.get(".".join([*parts[:-1], "created_at"]), "")
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
        io.out.print(
            Text(
                f"What {subject.role or 'contact'} {subject.contact_id} wrote "
                f"({len(written)} message(s)):"
            ),
            soft_wrap=True,
        )
        messages = new_table("Date (UTC)", "Conversation", "Message")
        for when, conversation, text in written[:_MESSAGES_SHOWN]:
            messages.add_row(when, conversation, text)
        io.out.print(messages)
        hidden = len(written) - _MESSAGES_SHOWN
        if hidden > 0:
            io.out.print(Text(f"... and {hidden} more in {export_path}"), soft_wrap=True)


def _every_workspace(
    io: Io, workspaces: list[Connection], person: SecondWorkspace, email: str, statuses: list[int]
) -> list[str]:
    """The epilogue: the person in every workspace, and their erasure in the other one."""
    io.out.print()
    io.out.rule("[bold]Every workspace the company runs", align="left")
    io.out.print(
        Text(
            "The company also runs an EU workspace, where the same person wrote in by phone: "
            "no email there, but the same phone and external id. Look in every workspace by "
            "every identifier the request brings, in one search each (the "
            "workspaces file names each one's host and token source; 'dsr sandbox "
            "--workspaces 2' serves both). In us nothing is found any more (step 3 erased "
            "it); in eu the person is found, and erased there too:"
        )
    )
    io.out.print(
        Text(
            "$ dsr intercom lookup --workspaces workspaces.toml --all-workspaces "
            f"--email {email} --phone '{person.phone}' --external-id {person.external_id}",
            style="dim",
        ),
        soft_wrap=True,
    )
    found: dict[str, list[str]] = {}

    def lookup(connection: Connection, scoped: Io) -> int:
        who = Identifiers(email=email, phone=person.phone, external_id=person.external_id)
        matches = run_lookup(connection, scoped, who)
        found[str(connection.name)] = [match.id for match in matches]
        return ExitCode.OK

    statuses.append(
        each_workspace(io, [(c.name, functools.partial(lookup, c)) for c in workspaces])
    )
    elsewhere = found.get("eu", [])
    for contact_id in elsewhere:
        io.out.print(
            Text(
                f"$ dsr intercom erase --workspaces workspaces.toml --workspace eu {contact_id} "
                f"--policy redact_messages --yes",
                style="dim",
            ),
            soft_wrap=True,
        )
        statuses.append(
            run_erase(
                workspaces[1],
                io,
                Identifiers(contact_id=contact_id),
                policy="redact_messages",
                assume_yes=True,
            )
        )
    return elsewhere


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
        io.out.print(
            Panel(
                Text(
                    f"A sandbox Intercom workspace is serving on {base_url} (fake data; nothing "
                    "leaves this machine).\nA person writes in: please give me my data, then "
                    f"erase it. Their email, {email}, belongs to two Intercom contacts: a user "
                    "and a lead from an earlier website chat."
                ),
                title="dsr demo",
                expand=False,
            )
        )

        _step(io, 1, "find every contact with the email", f"dsr intercom lookup --email {email}")
        matches = run_lookup(connection, io, Identifiers(email=email))
        roles = {match.id: match.role for match in matches}

        export_path = (out_dir or Path(scratch)) / "demo-export.json"
        _step(
            io,
            2,
            "export everything held, messages included (Art. 15)",
            f"dsr intercom export --email {email} --messages --out {export_path}",
        )
        bundle = run_export(  # the demo's own file, replaced on each run
            connection, io, Identifiers(email=email), messages=True, out=export_path, force=True
        )
        _export_summary(io, bundle, export_path)
        write_access_report(io, bundle, report_path, processing=None)
        if out_dir is None:
            io.out.print(
                Text(
                    "(The export file is removed when the demo ends; the deliverables are kept.\n"
                    " dsr demo --out DIR keeps everything in DIR.)"
                ),
                soft_wrap=True,
            )

        _step(
            io,
            3,
            "erase both contacts, redacting what they wrote first (Art. 17)",
            f"dsr intercom erase --email {email} --policy redact_messages --dry-run",
        )
        statuses.append(
            run_erase(
                connection, io, Identifiers(email=email), policy="redact_messages", dry_run=True
            )
        )
        io.out.print(
            Text(
                f"$ dsr intercom erase --email {email} --policy redact_messages --yes",
                style="dim",
            ),
            soft_wrap=True,
        )
        statuses.append(
            run_erase(
                connection,
                io,
                Identifiers(email=email),
                policy="redact_messages",
                assume_yes=True,
                receipt=receipt,
            )
        )

        ids = [match.id for match in matches]
        _step(
            io,
            4,
            "verify nothing is left",
            f"dsr intercom verify {' '.join(ids)} --policy redact_messages",
        )
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
            io.out.print(
                Text(
                    "The bystander who shares a conversation with them is untouched; what "
                    "others wrote in shared conversations stays."
                )
            )
        workspaces = [
            replace(connection, name="us"),
            replace(connection, base_url=other_url, name="eu"),
        ]
        found_elsewhere = _every_workspace(io, workspaces, second, email, statuses)
    ok = (
        all(status == ExitCode.OK for status in statuses)
        and len(matches) >= 2
        and found_elsewhere == [second.contact_id]
    )
    io.out.print()
    io.out.print(
        Panel(
            Text(
                f"Access report (open it in a browser; print it to PDF): {report_path}\n"
                f"Erasure receipt: {receipt.json_path} and {receipt.html_path}\n"
                "Give 'dsr intercom export' --processing-record FILE to fill in the purposes, "
                "legal bases and retention the report now marks as not provided."
            ),
            title="The deliverables",
            expand=False,
        )
    )
    io.out.print()
    io.out.print(
        Panel(
            Text(_REAL_WORKSPACE),
            title="Demo complete" if ok else "Demo finished with problems",
        )
    )
    dsr = dsr_program()
    io.out.print(Text("  export INTERCOM_ACCESS_TOKEN=...   # your Intercom app's token"))
    for line in _REAL_COMMANDS:
        io.out.print(Text(f"  {dsr} {line}"), soft_wrap=True)
    io.out.print()
    io.out.print(Text(_REAL_AFTERWORD.format(dsr=dsr)))
    return ExitCode.OK if ok else ExitCode.FAILED
