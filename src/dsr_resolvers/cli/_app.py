"""The ``dsr`` command tree: option parsing, help texts, and the error boundary.

Each command is a body ``(io, [connect,] **options) -> status`` registered by
:func:`_command`, which appends the connection options (declared once, in ``_options``) to the
commands that talk to Intercom and hands the body a ``connect()`` that turns them and the
environment into a :class:`Connection`. The body then calls a ``run_*`` function
(``_intercom``, ``_bulk``, ``_demo``) that does the work.

Two boundaries make sure no command ever ends in a traceback or prints a token:

* :func:`_execute` wraps every command body: a :class:`CliError` becomes its one line and exit
  status; an unexpected exception becomes one line naming its type only (its message may hold
  a URL or a value), exit 70 (never 1, "some subjects failed"); Ctrl-C exits 130.
* :class:`_OneLineErrors` is the root group: usage errors (an unknown option, a missing
  value) become one line ``error: ... (see 'dsr ... --help')``, exit 2, instead of Typer's
  boxed multi-line panel. Typer's pretty exceptions, which print local variables, are off.

The commands::

    dsr intercom check | lookup | export | erase | verify | rectify | surface
    dsr intercom bulk erase | export | status
    dsr sandbox
    dsr demo
"""

from __future__ import annotations

import functools
import inspect
import json
import sys
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final, NoReturn, TypeVar

import typer
from typer._completion_classes import completion_init
from typer.completion import install_callback, show_callback

from dsr_resolvers._version import __version__
from dsr_resolvers.cli._errors import CliError, ExitCode, interrupt_exit_code
from dsr_resolvers.cli._help import Command, Group, example
from dsr_resolvers.cli._options import (
    PROCESSING_RECORD_ENV,
    AllWorkspacesOption,
    ApiVersionOption,
    BaseUrlOption,
    CheckScope,
    CustomAttributeOption,
    ErasurePolicy,
    ExportArchivedOption,
    ExportFormat,
    JsonOption,
    LookupFormat,
    PolicyOption,
    Region,
    RegionOption,
    TokenFileOption,
    VerboseOption,
    VerifyPolicyOption,
    WorkspaceOption,
    WorkspacesFileOption,
    parse_changes,
    parse_concurrency,
    parse_custom_attributes,
    policy_option,
)
from dsr_resolvers.cli._output import Io, check_destination

if TYPE_CHECKING:
    from dsr_resolvers.cli._settings import Connection

# Each command imports what it runs inside its body, so that 'dsr --version' and '--help' load
# neither the plugin, the bulk engine, the report, the sandbox nor the fake Intercom.

__all__ = ["app", "main"]


class _OneLineErrors(Group):
    """The root group: turns usage errors into one line on stderr (exit 2)."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(
                args, prog_name, complete_var, standalone_mode, windows_expand_args, **extra
            )
        try:
            status = super().main(
                args, prog_name, complete_var, False, windows_expand_args, **extra
            )
        except Exception as error:  # Typer's own usage errors: duck-typed across versions
            _exit_on_usage_error(error)
        sys.exit(status if isinstance(status, int) else ExitCode.OK)


def _exit_on_usage_error(error: Exception) -> NoReturn:
    io = Io()
    format_message = getattr(error, "format_message", None)
    exit_code = getattr(error, "exit_code", None)
    if callable(format_message) and isinstance(exit_code, int):
        context = getattr(error, "ctx", None)
        command_path = getattr(context, "command_path", None)
        see = f" (see '{command_path} --help')" if command_path else ""
        io.error(f"{format_message()}{see}")
        sys.exit(exit_code)
    if isinstance(error, typer.Abort):
        io.error("aborted")
        sys.exit(ExitCode.FAILED)
    io.error(f"unexpected internal error ({type(error).__name__}); please report it")
    sys.exit(ExitCode.INTERNAL)


ERROR_FORMAT: Final = "dsr-resolvers/error/v1"
"""The ``format`` of the error document a JSON command prints when it stops on an error."""


def _execute(body: Callable[[Io], int | None], *, as_json: bool = False) -> None:
    """Run a command body at the error boundary and exit with its status.

    With ``as_json`` (the command was asked for JSON), an error that stops the command before
    it wrote anything on stdout (a refused token, a bad option) is also printed there, as
    ``{"format": "dsr-resolvers/error/v1", "error": TEXT, "exit_code": N}``, so a script reading
    stdout gets a document, never nothing.
    """
    io = Io()
    try:
        status = body(io)
    except CliError as error:
        io.error(error.message)
        for detail in error.details:
            io.status(f"  {detail}")
        if as_json and not io.wrote:
            document: dict[str, object] = {"format": ERROR_FORMAT, "error": error.message}
            document["exit_code"] = int(error.exit_code)
            io.write(json.dumps(document, ensure_ascii=False) + "\n")
        raise typer.Exit(error.exit_code) from None
    except KeyboardInterrupt:
        io.error("interrupted")
        raise typer.Exit(interrupt_exit_code()) from None
    except typer.Abort:  # end of input at a prompt
        io.error("aborted: no answer to the prompt, nothing was done")
        raise typer.Exit(ExitCode.FAILED) from None
    except typer.Exit:
        raise
    except Exception as error:
        io.error(f"unexpected internal error ({type(error).__name__}); please report it")
        raise typer.Exit(ExitCode.INTERNAL) from None
    raise typer.Exit(status or ExitCode.OK)


#: Opens the command's connection: the connection options and the environment, combined.
Connect = Callable[[], "Connection"]
#: Opens the connections of a command that runs in several workspaces: one per workspace
#: named (``--workspace``, ``--all-workspaces``), or the one of the connection options.
ConnectEach = Callable[[], "list[Connection]"]

#: The workspace options, for the commands that can run in several workspaces.
_WORKSPACE_OPTIONS: Final = (
    ("workspaces_file", WorkspacesFileOption, None),
    ("workspace", WorkspaceOption, None),
    ("all_workspaces", AllWorkspacesOption, False),
)

#: The connection options, declared once: every command that talks to Intercom takes them last.
_CONNECTION_OPTIONS: Final = (
    ("token_file", TokenFileOption, None),
    ("region", RegionOption, None),
    ("base_url", BaseUrlOption, None),
    ("api_version", ApiVersionOption, None),
    ("verbose", VerboseOption, False),
)


def _connect(
    io: Io,
    *,
    token_file: Path | None,
    region: Region | None,
    base_url: str | None,
    api_version: str | None,
    verbose: bool,
) -> Connection:
    from dsr_resolvers.cli._settings import load_connection
    from dsr_resolvers.cli._trace import RequestTrace

    return load_connection(
        token_file=token_file,
        region=None if region is None else region.value,
        base_url=base_url,
        api_version=api_version,
        trace=RequestTrace(io.err, verbose=verbose),
    )


def _connect_each(
    io: Io,
    *,
    workspaces_file: Path | None,
    workspace: list[str] | None,
    all_workspaces: bool,
    **connection: Any,
) -> list[Connection]:
    from dsr_resolvers.cli._trace import RequestTrace
    from dsr_resolvers.cli._workspaces import (
        load_workspaces,
        select_workspaces,
        workspace_connections,
    )

    if not workspace and not all_workspaces:
        if workspaces_file is not None:
            raise CliError(
                "--workspaces names the workspaces file; choose from it with --workspace NAME "
                "or --all-workspaces"
            )
        return [_connect(io, **connection)]
    named = {"--token-file": "token_file", "--region": "region", "--base-url": "base_url"}
    given = [option for option, key in named.items() if connection[key] is not None]
    if given:
        raise CliError(
            f"{', '.join(given)} cannot go with --workspace or --all-workspaces: each "
            "workspace's host and token come from the workspaces file"
        )
    path, file = load_workspaces(workspaces_file)
    sources = select_workspaces(path, file, workspace or [], every=all_workspaces)
    trace = RequestTrace(io.err, verbose=connection["verbose"])
    return workspace_connections(sources, api_version=connection["api_version"], trace=trace)


def _in_each(
    io: Io,
    connections: list[Connection],
    run: Callable[[Connection, Io], int],
    *,
    as_json: bool = False,
) -> int:
    """Run ``run`` in each workspace (see :func:`each_workspace`)."""
    from dsr_resolvers.cli._workspaces import each_workspace

    return each_workspace(
        io, [(c.name, functools.partial(run, c)) for c in connections], as_json=as_json
    )


def _command(
    group: typer.Typer,
    name: str | None = None,
    *,
    connected: bool = False,
    workspaces: bool = False,
    **settings: Any,
) -> Callable[[Callable[..., int]], Callable[..., int]]:
    """Register ``body(io, [connect,] **options) -> status`` as a command of ``group``.

    The command Typer sees takes the body's own options, then (``connected``) the connection
    options, and runs the body at the error boundary (:func:`_execute`) with an :class:`Io`
    and a :data:`Connect` that opens the connection when the body has checked its input.
    With ``workspaces`` it takes the workspace options too, and ``connect`` is a
    :data:`ConnectEach`.
    """

    def register(body: Callable[..., int]) -> Callable[..., int]:
        own = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
            for p in inspect.signature(body, eval_str=True).parameters.values()
            if p.name not in ("io", "connect")
        ]
        declared = (
            (*_CONNECTION_OPTIONS, *(_WORKSPACE_OPTIONS if workspaces else ())) if connected else ()
        )
        shared = [
            inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d, annotation=a)
            for n, a, d in declared
        ]

        def command(**options: Any) -> None:
            opened = {n: options.pop(n) for n, _, _ in declared if n in options}
            # ``is``: ExportFormat.JSON compares equal to LookupFormat.JSON, and an export
            # is JSON by default, not asked for with --json.
            as_json = (
                options.get("as_json") is True or options.get("output_format") is LookupFormat.JSON
            )
            if workspaces:
                _execute(
                    lambda io: body(io, lambda: _connect_each(io, **opened), **options),
                    as_json=as_json,
                )
            elif connected:
                _execute(
                    lambda io: body(io, lambda: _connect(io, **opened), **options), as_json=as_json
                )
            else:
                _execute(lambda io: body(io, **options), as_json=as_json)

        command.__name__, command.__doc__ = body.__name__, body.__doc__
        command.__signature__ = inspect.Signature([*own, *shared])  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in (*own, *shared)}
        group.command(name, cls=Command, **settings)(command)
        return body

    return register


_F = TypeVar("_F", bound=StrEnum)


def _json_or(as_json: bool, chosen: _F, default: _F, json_format: _F) -> _F:
    """``--json`` is ``--format json``; with another ``--format`` it is a usage error."""
    if as_json and chosen not in (json_format, default):
        raise CliError(f"--json prints JSON; it cannot go with --format {chosen.value}")
    return json_format if as_json else chosen


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dsr (dsr-resolvers) {__version__}")
        raise typer.Exit()


_HELP = """Answer GDPR data-subject requests (export, erase, rectify) for data held in Intercom.

Set INTERCOM_ACCESS_TOKEN (or pass --token-file) and, outside the US region, --region.
Try 'dsr demo' first: it needs no credentials."""

completion_init()  # what add_completion=True would do besides adding its options
app = typer.Typer(
    name="dsr",
    cls=_OneLineErrors,
    help=_HELP,
    add_completion=False,  # declared on _root as plain flags: see there
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=example("dsr demo", "dsr intercom lookup --email ada@example.com --region eu"),
)
intercom_app = typer.Typer(
    cls=Group,
    rich_markup_mode=None,
    help="Answer requests for data in one Intercom workspace.",
    epilog=example("dsr intercom export --email ada@example.com --messages --out ada.json"),
)
bulk_app = typer.Typer(
    cls=Group,
    rich_markup_mode=None,
    help="Erase or export thousands of subjects from a file, resumably.",
    epilog=example(
        "dsr intercom bulk erase --input leads.csv --journal erase.sqlite --report erase.json"
    ),
)
app.add_typer(intercom_app, name="intercom")
intercom_app.add_typer(bulk_app, name="bulk")


def _show_help_without_command(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
    # Typer's own completion options default to None, which sends every start-up through its
    # pydantic coercion; as False flags they cost nothing until given.
    install_completion: Annotated[
        bool,
        typer.Option(
            "--install-completion",
            callback=install_callback,
            expose_value=False,
            help="Install completion for the current shell.",
        ),
    ] = False,
    show_completion: Annotated[
        bool,
        typer.Option(
            "--show-completion",
            callback=show_callback,
            expose_value=False,
            help="Show completion for the current shell, to copy it or customize it.",
        ),
    ] = False,
) -> None:
    _show_help_without_command(ctx)


@intercom_app.callback(invoke_without_command=True)
def _intercom(ctx: typer.Context) -> None:
    _show_help_without_command(ctx)


@bulk_app.callback(invoke_without_command=True)
def _bulk(ctx: typer.Context) -> None:
    _show_help_without_command(ctx)


# -- dsr intercom ... -----------------------------------------------------------------------------

FormatOption = Annotated[
    ExportFormat,
    typer.Option(
        "--format",
        case_sensitive=False,
        help="json carries the covered surface; html is the access report a person reads.",
    ),
]
ProcessingRecordOption = Annotated[
    Path | None,
    typer.Option(
        "--processing-record",
        metavar="FILE",
        envvar=PROCESSING_RECORD_ENV,
        help="Your record of processing (TOML): legal basis, purpose, retention per category.",
        show_default=False,
    ),
]
LanguageOption = Annotated[
    str, typer.Option("--language", metavar="en|de", help="The language of HTML files.")
]
OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        metavar="FILE",
        help="Write to FILE (atomically, mode 0600) instead of stdout; an existing FILE is "
        "refused unless --force.",
        show_default=False,
    ),
]
EmailOption = Annotated[
    str | None,
    typer.Option(
        "--email",
        metavar="EMAIL",
        help="Every contact with this email (the user and each lead).",
        show_default=False,
    ),
]
PhoneOption = Annotated[
    str | None,
    typer.Option(
        "--phone",
        metavar="NUMBER",
        help="Every contact with this phone number, as typed (+44 20 7946 0958, 0044 ...).",
        show_default=False,
    ),
]
ExternalIdOption = Annotated[
    str | None,
    typer.Option(
        "--external-id",
        metavar="ID",
        help="Every contact (user or lead) with this external id.",
        show_default=False,
    ),
]
IncludePhoneOnlyOption = Annotated[
    bool,
    typer.Option(
        "--include-phone-only",
        help="Also act on contacts matched by the phone number alone (left out by default: "
        "numbers are reassigned).",
    ),
]
ContactIdArgument = Annotated[
    str | None,
    typer.Argument(metavar="CONTACT_ID", help="The Intercom contact id.", show_default=False),
]


@_command(
    intercom_app,
    connected=True,
    workspaces=True,
    short_help="List every contact with an email, phone or external id, and what it matched.",
    epilog=example(
        "dsr intercom lookup --email ada@example.com",
        "dsr intercom lookup --email ada@example.com --phone '+44 20 7946 0958'",
        "dsr intercom lookup --external-id cust-1001 --json",
    ),
)
def lookup(
    io: Io,
    connect: ConnectEach,
    email: EmailOption = None,
    phone: PhoneOption = None,
    external_id: ExternalIdOption = None,
    output_format: Annotated[
        LookupFormat,
        typer.Option("--format", case_sensitive=False, help="A table, or JSON (as --json)."),
    ] = LookupFormat.TABLE,
    as_json: JsonOption = False,
) -> int:
    """List every contact (users and leads) holding any of the identifiers given, combinable,
    with its role and what it matched on: one search."""
    from dsr_resolvers.cli._intercom import Identifiers, run_lookup

    output_format = _json_or(as_json, output_format, LookupFormat.TABLE, LookupFormat.JSON)

    def one(connection: Connection, scoped: Io) -> int:
        who = Identifiers(email=email, phone=phone, external_id=external_id)
        run_lookup(connection, scoped, who, output_format=output_format)
        return ExitCode.OK

    return _in_each(io, connect(), one, as_json=output_format is LookupFormat.JSON)


@_command(
    intercom_app,
    connected=True,
    workspaces=True,
    short_help="Export what Intercom holds about a person (Art. 15).",
    epilog=example(
        "dsr intercom export 6650d1c2e4b0a1b2c3d4e5f6 --messages --out export.json",
        "dsr intercom export --email ada@example.com --format csv --out ada.csv",
        "dsr intercom export --email ada@example.com --custom-attribute plan=behavioral",
        "dsr intercom export --email ada@example.com --messages --format html "
        "--processing-record processing.toml --out ada.html",
    ),
)
def export(
    io: Io,
    connect: ConnectEach,
    contact_id: ContactIdArgument = None,
    email: EmailOption = None,
    phone: PhoneOption = None,
    external_id: ExternalIdOption = None,
    messages: Annotated[
        bool, typer.Option("--messages", help="Include the messages the contact wrote.")
    ] = False,
    export_archived: ExportArchivedOption = False,
    custom_attribute: CustomAttributeOption = None,
    output_format: FormatOption = ExportFormat.JSON,
    as_json: JsonOption = False,
    out: OutOption = None,
    csv_raw: Annotated[
        bool,
        typer.Option(
            "--csv-raw",
            help="Write CSV cells exactly as held, even those starting with = + - @ tab or CR "
            "(by default they get a leading ' so a spreadsheet does not run them).",
        ),
    ] = False,
    processing_record: ProcessingRecordOption = None,
    language: LanguageOption = "en",
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace an existing --out file (written atomically)."),
    ] = False,
) -> int:
    """Export everything held about a contact, or every contact of an email, phone or
    external id (Art. 15).

    The JSON bundle lists each contact's records (field, category, value, source) and the
    covered surface they were produced under. If any contact fails, nothing is written.
    """
    from dsr_resolvers._bundle import ExportFormat as BundleFormat
    from dsr_resolvers.cli._deliverables import check_language, load_processing_record
    from dsr_resolvers.cli._intercom import Identifiers, run_export
    from dsr_resolvers.cli._workspaces import per_workspace_path

    output_format = _json_or(as_json, output_format, ExportFormat.JSON, ExportFormat.JSON)
    check_destination(out, "--out")
    attributes = parse_custom_attributes(custom_attribute)
    processing = load_processing_record(processing_record)
    check_language(language)
    connections = connect()
    several = connections[0].name is not None
    if several and out is None and output_format is not ExportFormat.JSON:
        raise CliError(
            f"--format {output_format.value} over several workspaces needs --out FILE "
            "(one file per workspace)"
        )

    def one(connection: Connection, scoped: Io) -> int:
        run_export(
            connection,
            scoped,
            Identifiers(email=email, phone=phone, external_id=external_id, contact_id=contact_id),
            messages=messages,
            archived=export_archived,
            custom_attributes=attributes,
            export_format=BundleFormat(output_format.value),
            out=per_workspace_path(out, connection.name),
            csv_raw=csv_raw,
            processing=processing,
            language=language,
            force=force,
        )
        return ExitCode.OK

    return _in_each(io, connections, one, as_json=several and out is None)


@_command(
    intercom_app,
    connected=True,
    workspaces=True,
    short_help="Erase a contact, or every contact of an email (Art. 17).",
    epilog=example(
        "dsr intercom erase --email ada@example.com --policy redact_messages --dry-run",
        "dsr intercom erase 6650d1c2e4b0a1b2c3d4e5f6 --yes",
        "dsr intercom erase --email ada@example.com --yes --reference REQ-42 "
        "--receipt ada-receipt.json --receipt-html ada-receipt.html",
    ),
)
def erase(
    io: Io,
    connect: ConnectEach,
    contact_id: ContactIdArgument = None,
    email: EmailOption = None,
    phone: PhoneOption = None,
    external_id: ExternalIdOption = None,
    include_phone_only: IncludePhoneOnlyOption = False,
    policy: PolicyOption = "delete_contact",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be done; change nothing.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: JsonOption = False,
    receipt: Annotated[
        Path | None,
        typer.Option(
            "--receipt",
            metavar="FILE.json",
            help="Read each contact back, then write an erasure receipt (no email, no name).",
            show_default=False,
        ),
    ] = None,
    receipt_html: Annotated[
        Path | None,
        typer.Option(
            "--receipt-html", metavar="FILE", help="The receipt as HTML.", show_default=False
        ),
    ] = None,
    reference: Annotated[
        str | None,
        typer.Option(
            "--reference",
            metavar="TEXT",
            help="Your reference for the request (a ticket number), kept in the receipt.",
            show_default=False,
        ),
    ] = None,
    language: LanguageOption = "en",
) -> int:
    """Erase a contact, or every contact of an email, phone or external id (Art. 17).

    Asks before erasing when run on a terminal; without a terminal, --yes is required.
    Erasing a contact that is already gone succeeds. A contact matched by the phone alone is
    listed but left out unless --include-phone-only.
    """
    from dsr_resolvers.cli._deliverables import ReceiptRequest
    from dsr_resolvers.cli._intercom import Identifiers, run_erase
    from dsr_resolvers.cli._workspaces import per_workspace_path

    ReceiptRequest.from_options(  # checked once, before any workspace is asked
        receipt, receipt_html, reference=reference, language=language, dry_run=dry_run
    )

    def one(connection: Connection, scoped: Io) -> int:
        return run_erase(
            connection,
            scoped,
            Identifiers(email, phone, external_id, contact_id, include_phone_only),
            policy=policy,
            dry_run=dry_run,
            assume_yes=yes,
            as_json=as_json,
            receipt=ReceiptRequest.from_options(
                per_workspace_path(receipt, connection.name),
                per_workspace_path(receipt_html, connection.name),
                reference=reference,
                language=language,
                dry_run=dry_run,
            ),
        )

    return _in_each(io, connect(), one, as_json=as_json)


@_command(
    intercom_app,
    connected=True,
    workspaces=True,
    short_help="Check that erased contacts are gone.",
    epilog=example(
        "dsr intercom verify 6650d1c2e4b0a1b2c3d4e5f6 --policy redact_messages",
        "dsr intercom verify --email ada@example.com --phone '+44 20 7946 0958'",
    ),
)
def verify(
    io: Io,
    connect: ConnectEach,
    contact_ids: Annotated[
        list[str] | None,
        typer.Argument(metavar="CONTACT_ID", help="The contacts to check.", show_default=False),
    ] = None,
    email: EmailOption = None,
    phone: PhoneOption = None,
    external_id: ExternalIdOption = None,
    policy: VerifyPolicyOption = "delete_contact",
    as_json: JsonOption = False,
) -> int:
    """Check that erased contacts are gone (and, with redact_messages, what they wrote).

    A contact that is gone shows as "no contact with this id": Intercom answers the same for
    an id it never held. Exits 1 when a contact is still held or a message it wrote is still
    readable.
    """
    from dsr_resolvers.cli._intercom import Identifiers, run_verify

    def one(connection: Connection, scoped: Io) -> int:
        return run_verify(
            connection,
            scoped,
            Identifiers(email=email, phone=phone, external_id=external_id),
            contact_ids=contact_ids or [],
            policy=policy,
            as_json=as_json,
        )

    return _in_each(io, connect(), one, as_json=as_json)


@_command(
    intercom_app,
    connected=True,
    short_help="Correct a contact's email, name or phone (Art. 16).",
    epilog=example(
        "dsr intercom rectify 6650d1c2e4b0a1b2c3d4e5f6 --set email=ada@new.example "
        "--set 'name=Ada Lovelace'",
        "dsr intercom rectify 6650d1c2e4b0a1b2c3d4e5f6 --custom-attribute plan=behavioral "
        "--set custom_attributes.plan=pro",
        "dsr intercom rectify --external-id cust-1001 --set 'name=Ada Lovelace'",
    ),
)
def rectify(
    io: Io,
    connect: Connect,
    contact_id: ContactIdArgument = None,
    email: EmailOption = None,
    phone: PhoneOption = None,
    external_id: ExternalIdOption = None,
    include_phone_only: IncludePhoneOnlyOption = False,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="FIELD=VALUE",
            help="Correct FIELD (email, name, phone, or custom_attributes.NAME of an "
            "attribute declared with --custom-attribute). Repeatable.",
            show_default=False,
        ),
    ] = None,
    clear: Annotated[
        list[str] | None,
        typer.Option(
            "--clear", metavar="FIELD", help="Clear FIELD. Repeatable.", show_default=False
        ),
    ] = None,
    custom_attribute: CustomAttributeOption = None,
    as_json: JsonOption = False,
) -> int:
    """Correct a contact's email, name or phone, or a declared custom attribute (Art. 16); by
    email, phone or external id, every contact they find (one matched by the phone alone only
    with --include-phone-only)."""
    from dsr_resolvers.cli._intercom import Identifiers, run_rectify

    changes = parse_changes(set_, clear)
    attributes = parse_custom_attributes(custom_attribute)
    connection = connect()
    return run_rectify(
        connection,
        io,
        Identifiers(email, phone, external_id, contact_id, include_phone_only),
        changes=changes,
        custom_attributes=attributes,
        as_json=as_json,
    )


@_command(
    intercom_app,
    name="object",
    connected=True,
    short_help="Stop direct marketing to a person: their objection (Art. 21).",
    epilog=example(
        "dsr intercom object --email ada@example.com --dry-run",
        "dsr intercom object 6650d1c2e4b0a1b2c3d4e5f6 --json",
        "dsr intercom object --email ada@example.com --phone '+44 20 7946 0958' "
        "--include-phone-only",
    ),
)
def object_(
    io: Io,
    connect: Connect,
    contact_id: ContactIdArgument = None,
    email: EmailOption = None,
    phone: PhoneOption = None,
    external_id: ExternalIdOption = None,
    include_phone_only: IncludePhoneOnlyOption = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; change nothing.")
    ] = False,
    as_json: JsonOption = False,
) -> int:
    """Act on an objection to direct marketing (Art. 21): unsubscribe the contact from email
    and opt it out of every subscription type, then read both back; by email, phone or
    external id, every contact they find (one matched by the phone alone only with
    --include-phone-only).

    Reaches an archived contact (unarchived, changed, archived again), except in a dry run.
    Prints field names and subscription type counts, never values.
    """
    from dsr_resolvers.cli._intercom import Identifiers, run_object

    connection = connect()
    return run_object(
        connection,
        io,
        Identifiers(email, phone, external_id, contact_id, include_phone_only),
        dry_run=dry_run,
        as_json=as_json,
    )


@_command(
    intercom_app,
    connected=True,
    short_help="Check the token, its workspace, region and scopes.",
    epilog=example(
        "dsr intercom check",
        "dsr intercom check --for erase --policy redact_messages --region eu",
    ),
)
def check(
    io: Io,
    connect: Connect,
    run_for: Annotated[
        CheckScope,
        typer.Option(
            "--for", case_sensitive=False, help="The run to check for; its needs set the exit."
        ),
    ] = CheckScope.ALL,
    policy: Annotated[
        ErasurePolicy,
        policy_option(
            "The erasure policy of that run; redact_messages also needs to read and "
            "redact conversations."
        ),
    ] = "delete_contact",
    as_json: JsonOption = False,
) -> int:
    """Check the token: its workspace and region, and what it may do, before a run.

    Sends GET /me, then one harmless request per capability, naming an id Intercom never
    issues, so no person's data is read or changed. Exits 0 when everything the run needs
    is ok, 2 otherwise.
    """
    from dsr_resolvers.cli._check import run_check

    connection = connect()
    return run_check(connection, io, scope=run_for, policy=policy, as_json=as_json)


class SurfaceFormat(StrEnum):
    """How ``dsr intercom surface`` prints."""

    MARKDOWN = "markdown"
    JSON = "json"


@_command(
    intercom_app,
    connected=True,
    short_help="Print what export and erasure cover, for your records.",
    epilog=example(
        "dsr intercom surface --messages --policy redact_messages > intercom-surface.md",
        "dsr intercom surface --format json --custom-attribute plan=behavioral",
        "dsr intercom surface --contact 6650d1c2e4b0a1b2c3d4e5f6",
    ),
)
def surface(
    io: Io,
    connect: Connect,
    output_format: Annotated[
        SurfaceFormat,
        typer.Option("--format", case_sensitive=False, help="Markdown, or JSON (as --json)."),
    ] = SurfaceFormat.MARKDOWN,
    as_json: JsonOption = False,
    messages: Annotated[
        bool, typer.Option("--messages", help="As exported with --messages.")
    ] = False,
    export_archived: Annotated[
        bool, typer.Option("--export-archived", help="As exported with --export-archived.")
    ] = False,
    policy: PolicyOption = "delete_contact",
    custom_attribute: CustomAttributeOption = None,
    contact: Annotated[
        str | None,
        typer.Option(
            "--contact",
            metavar="CONTACT_ID",
            help="Also name the custom attributes this contact holds that these options "
            "leave out (exports it, so it needs a token).",
            show_default=False,
        ),
    ] = None,
) -> int:
    """Print the covered surface for these options, for a record of processing.

    What is exported (field globs with their categories), what erasure under the policy
    removes, what stays in Intercom, what is knowingly left out and why. A declaration, not a
    compliance verdict. Needs no token, except with --contact.
    """
    from dsr_resolvers.cli._intercom import held_not_exported_by
    from dsr_resolvers.cli._surface import surface_json, surface_markdown
    from dsr_resolvers.intercom import IntercomResolver

    output_format = _json_or(as_json, output_format, SurfaceFormat.MARKDOWN, SurfaceFormat.JSON)
    attributes = parse_custom_attributes(custom_attribute)
    held = None if contact is None else held_not_exported_by(connect(), contact, attributes)
    resolver = IntercomResolver(
        "surface-needs-no-token",  # never sent: building a surface makes no request
        erasure_policy=policy,
        export_messages=messages,
        export_archived=export_archived,
        custom_attributes=attributes,
    )
    options = [
        ("erasure policy", policy),
        ("messages exported", "yes" if messages else "no"),
        ("archived contacts exported", "yes" if export_archived else "no"),
        (
            "custom attributes",
            ", ".join(f"{n}={c.value}" for n, c in sorted(attributes.items())) or "none",
        ),
        ("export sections", ", ".join(sorted(s.value for s in resolver.sections))),
    ]
    if output_format is SurfaceFormat.JSON:
        io.write(surface_json(resolver.covered_surface, options, policy, held))
    else:
        io.write(surface_markdown(resolver.covered_surface, options, policy, held))
    return ExitCode.OK


# -- dsr intercom bulk ... ----------------------------------------------------------------------

InputOption = Annotated[
    Path,
    typer.Option(
        "--input",
        metavar="FILE",
        help="One contact id or email a line, or a CSV file: one person a row, any of the "
        "columns contact_id, email, phone, external_id, and reference.",
    ),
]
JournalOption = Annotated[
    Path,
    typer.Option(
        "--journal",
        metavar="FILE.sqlite",
        help="The run's journal; rerun with the same file to resume and skip finished work.",
    ),
]
ConcurrencyOption = Annotated[
    str, typer.Option("--concurrency", metavar="N|auto", help="Subjects worked on at once.")
]
ReportOption = Annotated[
    Path | None,
    typer.Option(
        "--report",
        metavar="FILE.json",
        help="Write the per-subject report (ids, never emails).",
        show_default=False,
    ),
]
ColumnOption = Annotated[
    str | None,
    typer.Option(
        "--column",
        metavar="NAME",
        help="Read this CSV column only (default: every identifier column of the header).",
        show_default=False,
    ),
]


ReceiptsOption = Annotated[
    Path | None,
    typer.Option(
        "--receipts",
        metavar="DIR",
        help="Write the erasure receipt (KEY.json) of every subject the journal records "
        "finished that has none in DIR yet, whichever run finished it.",
        show_default=False,
    ),
]


@_command(
    bulk_app,
    "erase",
    connected=True,
    workspaces=True,
    epilog=example(
        "dsr intercom bulk erase --input leads.txt --journal erase.sqlite --report erase.json",
        "dsr intercom bulk erase --input leads.csv --column email --journal erase.sqlite --yes",
        "dsr intercom bulk erase --input leads.txt --journal erase.sqlite --dry-run --json",
    ),
)
def bulk_erase(
    io: Io,
    connect: ConnectEach,
    input_path: InputOption,
    journal: JournalOption,
    concurrency: ConcurrencyOption = "auto",
    report: ReportOption = None,
    column: ColumnOption = None,
    policy: PolicyOption = "delete_contact",
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    receipts: ReceiptsOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Look up and plan only; change nothing.")
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="With --dry-run: print the plan as one JSON document on stdout, written "
            "subject by subject (schema in docs/cli.md).",
        ),
    ] = False,
    include_phone_only: IncludePhoneOnlyOption = False,
) -> int:
    """Erase every subject of a file: each contact id, and every contact of each email,
    phone or external id a row names (one matched by a phone alone only with
    --include-phone-only)."""
    from dsr_resolvers.bulk import BulkOperation
    from dsr_resolvers.cli._bulk import run_bulk_command

    workers = parse_concurrency(concurrency)
    connections = connect()
    return run_bulk_command(
        connections,
        io,
        operation=BulkOperation.ERASE,
        input_path=input_path,
        journal_path=journal,
        column=column,
        concurrency=workers,
        report_path=report,
        policy=policy,
        assume_yes=yes,
        receipts_dir=receipts,
        dry_run=dry_run,
        as_json=as_json,
        include_phone_only=include_phone_only,
    )


@_command(
    bulk_app,
    "object",
    connected=True,
    workspaces=True,
    epilog=example(
        "dsr intercom bulk object --input objections.csv --journal object.sqlite "
        "--report object.json",
    ),
)
def bulk_object(
    io: Io,
    connect: ConnectEach,
    input_path: InputOption,
    journal: JournalOption,
    concurrency: ConcurrencyOption = "auto",
    report: ReportOption = None,
    column: ColumnOption = None,
    include_phone_only: IncludePhoneOnlyOption = False,
) -> int:
    """Act on the objection to direct marketing (Art. 21) of every subject of a file: each
    contact id, and every contact of each email, phone or external id a row names (one
    matched by a phone alone only with --include-phone-only), read back.

    Resumable through the journal; an objection is idempotent, so one sent again on resume
    changes nothing more.
    """
    from dsr_resolvers.bulk import BulkOperation
    from dsr_resolvers.cli._bulk import run_bulk_command

    workers = parse_concurrency(concurrency)
    connections = connect()
    return run_bulk_command(
        connections,
        io,
        operation=BulkOperation.OBJECT,
        input_path=input_path,
        journal_path=journal,
        column=column,
        concurrency=workers,
        report_path=report,
        include_phone_only=include_phone_only,
    )


@_command(
    bulk_app,
    "status",
    short_help="Show what a journal holds; sends no request.",
    epilog=example(
        "dsr intercom bulk status --journal erase.sqlite",
        "dsr intercom bulk status --journal erase.sqlite --json",
        "dsr intercom bulk status --journal erase.sqlite --receipts receipts/",
    ),
)
def bulk_status(
    io: Io, journal: JournalOption, as_json: JsonOption = False, receipts: ReceiptsOption = None
) -> int:
    """Show what a journal holds: counts by state, failures, options. Sends no request."""
    from dsr_resolvers.cli._bulk import run_bulk_status

    return run_bulk_status(io, journal_path=journal, as_json=as_json, receipts_dir=receipts)


@_command(
    bulk_app,
    "export",
    connected=True,
    workspaces=True,
    epilog=example(
        "dsr intercom bulk export --input ids.txt --journal export.sqlite --out exports/ "
        "--report export.json"
    ),
)
def bulk_export(
    io: Io,
    connect: ConnectEach,
    input_path: InputOption,
    journal: JournalOption,
    out: Annotated[
        Path,
        typer.Option("--out", metavar="DIR", help="Directory for one JSON file per subject."),
    ],
    concurrency: ConcurrencyOption = "auto",
    report: ReportOption = None,
    column: ColumnOption = None,
    messages: Annotated[
        bool, typer.Option("--messages", help="Include the messages each contact wrote.")
    ] = False,
    export_archived: ExportArchivedOption = False,
    custom_attribute: CustomAttributeOption = None,
) -> int:
    """Export every subject of a file into one JSON file per subject (Art. 15)."""
    from dsr_resolvers.bulk import BulkOperation
    from dsr_resolvers.cli._bulk import run_bulk_command

    workers = parse_concurrency(concurrency)
    attributes = parse_custom_attributes(custom_attribute)
    connections = connect()
    return run_bulk_command(
        connections,
        io,
        operation=BulkOperation.EXPORT,
        input_path=input_path,
        journal_path=journal,
        column=column,
        concurrency=workers,
        out_dir=out,
        report_path=report,
        messages=messages,
        archived=export_archived,
        custom_attributes=attributes,
    )


# -- dsr sandbox, dsr demo ------------------------------------------------------------------------


@_command(
    app,
    epilog=example(
        "dsr sandbox --port 8910",
        "INTERCOM_ACCESS_TOKEN=sandbox-token dsr intercom lookup "
        "--base-url http://127.0.0.1:8910 --email sam.rivera@example.com",
    ),
)
def sandbox(
    io: Io,
    port: Annotated[
        int,
        typer.Option("--port", metavar="PORT", min=0, max=65535, help="Port; 0 picks a free one."),
    ] = 0,
    host: Annotated[
        str, typer.Option("--host", metavar="ADDRESS", help="Loopback address.")
    ] = "127.0.0.1",
    token: Annotated[
        str,
        typer.Option(
            "--token", metavar="TOKEN", help="Bearer token the sandbox accepts (not a secret)."
        ),
    ] = "sandbox-token",  # noqa: S107 - the sandbox's well-known token opens only a fake
    seed: Annotated[
        str, typer.Option("--seed", metavar="demo|N", help="Demo workspace, or a random one.")
    ] = "demo",
    contacts: Annotated[
        int, typer.Option("--contacts", metavar="N", min=0, help="Contacts in a random workspace.")
    ] = 25,
    rate: Annotated[
        str, typer.Option("--rate", metavar="LIMIT/SECONDS", help="Rate limit, or off.")
    ] = "1666/10",
    latency: Annotated[
        float,
        typer.Option(
            "--latency", metavar="SECONDS", min=0.0, help="Seconds added to every request."
        ),
    ] = 0.0,
    workspaces: Annotated[
        int,
        typer.Option(
            "--workspaces",
            metavar="1|2",
            min=1,
            max=2,
            help="Serve two workspaces holding one person, and print the workspaces file.",
        ),
    ] = 1,
) -> int:
    """Serve a fake Intercom workspace on 127.0.0.1 until Ctrl-C.

    Try commands safely against it: the first line printed is
    'listening on http://127.0.0.1:PORT'; point --base-url there.
    """
    from dsr_resolvers.sandbox import SandboxOptions, parse_rate, parse_seed, serve_sandbox

    parsed: dict[str, Any] = {}
    for name, text, parse in (("seed", seed, parse_seed), ("rate", rate, parse_rate)):
        try:
            parsed[name] = parse(text)
        except ValueError as error:
            raise CliError(f"--{name} {error}") from error
    if workspaces > 1 and parsed["seed"] is not None:
        raise CliError("--workspaces 2 serves the demo's workspaces: leave --seed at demo")
    try:
        options = SandboxOptions(
            port=port, host=host, token=token, contacts=contacts, latency=latency,
            workspaces=workspaces, **parsed,
        )  # fmt: skip
    except ValueError as error:  # the one check Typer cannot make
        raise CliError("--host must be a loopback address such as 127.0.0.1 or ::1") from error
    try:
        return serve_sandbox(options)
    except OSError as error:  # a port in use: nothing was served
        raise CliError(error.strerror or f"cannot listen on {host}:{port}") from error


@_command(app, epilog=example("dsr demo"))
def demo(
    io: Io,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="DIR",
            help="Keep the demo's export file in DIR (default: a temporary directory).",
            show_default=False,
        ),
    ] = None,
) -> int:
    """Run a whole request against a built-in sandbox; no credentials.

    Lookup, export, dry run, erasure and verification of a person held as a user and a lead.

    Needs no credentials and no network; ignores INTERCOM_ACCESS_TOKEN.
    """
    from dsr_resolvers.cli._demo import run_demo

    check_destination(out, "--out", directory=True)
    if out is not None:
        out.mkdir(exist_ok=True)
    return run_demo(Io(out=io.out, err=io.out, interactive=False), out_dir=out)


def main() -> int:
    """The ``dsr`` console script."""
    try:
        app(prog_name="dsr")
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else ExitCode.FAILED
    return ExitCode.OK
