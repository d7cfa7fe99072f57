"""The ``dsr`` command tree: options, help texts, and the error boundary.

Each option is declared once, with :func:`opt`, :func:`flag` or :func:`policy_option`, as the
default of the parameters that take it. Each command is a body registered by :func:`_command`,
which adds the options the body does not declare: the identifier options (handed over as one
``Identifiers``), the connection and the workspace options (the parameters of
:func:`_identifiers`, :func:`_connect` and :func:`_connect_each`). The body calls a ``run_*``
function (``_intercom``, ``_bulk``, ``_demo``) that does the work.

Two boundaries make sure no command ever ends in a traceback or prints a token:

* :func:`_execute` wraps every command body: a :class:`CliError` becomes its one line and exit
  status; an unexpected exception becomes one line naming its type only (its message may hold
  a URL or a value), exit 70 (never 1, "some subjects failed"); Ctrl-C exits 130.
* :class:`_OneLineErrors` is the root group: usage errors (an unknown option, a missing
  value) become one line ``error: ... (see 'dsr ... --help')``, exit 2, instead of Typer's
  boxed multi-line panel. Typer's pretty exceptions, which print local variables, are off.

The commands::

    dsr intercom check | lookup | export | erase | verify | rectify | object | surface
    dsr intercom bulk erase | export | object | status
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
from typing import TYPE_CHECKING, Any, Final, NoReturn, cast, get_args

import typer
from typer._completion_classes import completion_init
from typer.completion import install_callback, show_callback

from dsr_resolvers._version import __version__
from dsr_resolvers.cli._errors import CliError, ExitCode, interrupt_exit_code
from dsr_resolvers.cli._help import Command, Group, example
from dsr_resolvers.cli._options import (
    CATEGORIES,
    PROCESSING_RECORD_ENV,
    CheckScope,
    ErasurePolicy,
    ExportFormat,
    LookupFormat,
    Region,
    parse_changes,
    parse_concurrency,
    parse_custom_attributes,
)
from dsr_resolvers.cli._output import Io, check_destination

if TYPE_CHECKING:
    from dsr_resolvers.cli._intercom import Identifiers
    from dsr_resolvers.cli._settings import Connection

# Each command imports what it runs inside its body, so that 'dsr --version' and '--help' load
# neither the plugin, the bulk engine, the report, the sandbox nor the fake Intercom. The types
# the bodies name from those stand for Any while the command tree is built:
_LAZY: Final = {"Connection": Any, "Identifiers": Any}

__all__ = ["app"]


class _OneLineErrors(Group):
    """The root group: turns usage errors into one line on stderr (exit 2)."""

    def main(self, *args: Any, **extra: Any) -> Any:
        if not extra.get("standalone_mode", True):
            return super().main(*args, **extra)
        try:
            status = super().main(*args, **{**extra, "standalone_mode": False})
        except Exception as error:  # Typer's own usage errors: duck-typed across versions
            format_message = getattr(error, "format_message", None)
            exit_code = getattr(error, "exit_code", None)
            if callable(format_message) and isinstance(exit_code, int):
                command_path = getattr(getattr(error, "ctx", None), "command_path", None)
                see = f" (see '{command_path} --help')" if command_path else ""
                Io().error(f"{format_message()}{see}")
                sys.exit(exit_code)
            if isinstance(error, typer.Abort):
                Io().error("aborted")
                sys.exit(ExitCode.FAILED)
            _internal_error(Io(), error)
        sys.exit(status if isinstance(status, int) else ExitCode.OK)


def _internal_error(io: Io, error: Exception) -> NoReturn:
    """One line naming the type only (its message may hold a URL or a value), exit 70."""
    io.error(f"unexpected internal error ({type(error).__name__}); please report it")
    raise SystemExit(ExitCode.INTERNAL)


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
        _internal_error(io, error)
    raise typer.Exit(status or ExitCode.OK)


def opt(spec: str, help: str, default: Any = None, **settings: Any) -> Any:
    """A ``typer.Option`` (default ``None``) from its names and metavar as help shows them.

    ``opt("--out FILE", "Write to FILE.")`` is ``--out`` with the metavar ``FILE``.
    """
    words = spec.split()
    names = [word for word in words if word.startswith("-")]
    metavar = " ".join(word for word in words if not word.startswith("-")) or None
    return typer.Option(default, *names, metavar=metavar, help=help, **settings)


def flag(spec: str, help: str) -> Any:
    """A flag, off unless given."""
    return opt(spec, help, False)


_POLICY_CHOICES: Final[tuple[str, ...]] = get_args(ErasurePolicy)


def _parse_policy(text: str) -> ErasurePolicy:
    """``--policy``, as the resolver spells it; ``redact-messages`` is read as an alias."""
    for policy in _POLICY_CHOICES:
        if text.strip().lower().replace("-", "_") == policy:
            return cast(ErasurePolicy, policy)
    raise typer.BadParameter(f"use one of {', '.join(_POLICY_CHOICES)}")


def policy_option(help_text: str) -> Any:
    """A ``--policy`` option offering the resolver's ``ErasurePolicy``, ``delete_contact`` by
    default: the CLI keeps no list (and no spelling) of its own that could drift."""
    spec, shown = (
        f"--policy [{'|'.join(_POLICY_CHOICES)}]",
        f"{help_text}  [default: delete_contact]",
    )
    return opt(spec, shown, "delete_contact", parser=_parse_policy, show_default=False)


# The options several commands share: each is the default of the parameters that take it.
POLICY: Final = policy_option(
    "delete_contact: delete the contact. redact_messages: first redact every message the "
    "contact wrote, then delete it. delete_conversations: first delete every conversation and "
    "ticket only the contact is in and redact its messages in shared conversations, then "
    "delete it."
)
CUSTOM_ATTRIBUTE: Final = opt(
    "--custom-attribute NAME=CATEGORY",
    f"Also export this custom attribute, as personal data of CATEGORY ({', '.join(CATEGORIES)}). "
    "Repeatable.",
)
EXPORT_ARCHIVED: Final = flag(
    "--export-archived",
    "Reach archived contacts too: unarchive each, export it, archive it again (without it "
    "Intercom answers not found and nothing of theirs is exported).",
)
JSON: Final = flag(
    "--json", "Print the result as one JSON document on stdout (schemas in docs/cli.md)."
)
LANGUAGE: Final = opt("--language en|de", "The language of HTML files.", "en")
YES: Final = flag("--yes -y", "Do not ask for confirmation.")
INCLUDE_PHONE_ONLY: Final = flag(
    "--include-phone-only",
    "Also act on contacts matched by the phone number alone (left out by default: numbers are "
    "reassigned).",
)
INPUT: Final = opt(
    "--input FILE",
    "One contact id or email a line, or a CSV file: one person a row, any of the columns "
    "contact_id, email, phone, external_id, and reference.",
    ...,
)
JOURNAL: Final = opt(
    "--journal FILE.sqlite",
    "The run's journal; rerun with the same file to resume and skip finished work.",
    ...,
)
CONCURRENCY: Final = opt("--concurrency N|auto", "Subjects worked on at once.", "auto")
REPORT: Final = opt("--report FILE.json", "Write the per-subject report (ids, never emails).")
COLUMN: Final = opt(
    "--column NAME", "Read this CSV column only (default: every identifier column of the header)."
)
RECEIPTS: Final = opt(
    "--receipts DIR",
    "Write the erasure receipt (KEY.json) of every subject the journal records finished that "
    "has none in DIR yet, whichever run finished it.",
)


#: Opens the command's connection when the body calls it.
Connect = Callable[[], "Connection"]
#: Opens the connection of each workspace named (``--workspace``, ``--all-workspaces``), or
#: the one of the connection options.
ConnectEach = Callable[[], "list[Connection]"]


def _identifiers(
    contact_id: str | None = typer.Argument(
        None, metavar="CONTACT_ID", help="The Intercom contact id.", show_default=False
    ),
    email: str | None = opt(
        "--email EMAIL", "Every contact with this email (the user and each lead)."
    ),
    phone: str | None = opt(
        "--phone NUMBER",
        "Every contact with this phone number, as typed (+44 20 7946 0958, 0044 ...).",
    ),
    external_id: str | None = opt(
        "--external-id ID", "Every contact (user or lead) with this external id."
    ),
    include_phone_only: bool = INCLUDE_PHONE_ONLY,
) -> Identifiers:
    """The person a command is about, from the identifier options (declared here)."""
    from dsr_resolvers.cli._intercom import Identifiers

    return Identifiers(
        contact_id=contact_id,
        email=email,
        phone=phone,
        external_id=external_id,
        include_phone_only=include_phone_only,
    )


def _connect(
    io: Io,
    *,
    token_file: Path | None = opt(
        "--token-file FILE", "Read the access token from FILE instead of INTERCOM_ACCESS_TOKEN."
    ),
    region: Region | None = opt(
        "--region",
        "Intercom region of the workspace (env INTERCOM_REGION; default us).",
        case_sensitive=False,
    ),
    base_url: str | None = opt(
        "--base-url URL",
        "API host instead of the region's (e.g. a sandbox) (env INTERCOM_BASE_URL).",
    ),
    api_version: str | None = opt(
        "--api-version VERSION", "Intercom-Version header (env INTERCOM_API_VERSION; default 2.14)."
    ),
    verbose: bool = flag(
        "--verbose -v",
        "Log each request to stderr: method, route, status, milliseconds (never an id, a token "
        "or a body).",
    ),
) -> Connection:
    """The command's connection: the connection options (declared here) and the environment."""
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
    workspaces_file: Path | None = opt(
        "--workspaces FILE",
        "The workspaces file (TOML) naming each workspace's host and token source (default: "
        "DSR_WORKSPACES).",
    ),
    workspace: list[str] | None = opt(
        "--workspace NAME", "Run in this workspace of the workspaces file. Repeatable."
    ),
    all_workspaces: bool = flag(
        "--all-workspaces", "Run in every workspace of the workspaces file."
    ),
    **connection: Any,
) -> list[Connection]:
    """The connections of the workspaces named (the workspace options, declared here), or the
    one of the connection options."""
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


def _in_each(io: Io, connections: list[Connection], run: Callable[..., int], as_json: bool) -> int:
    """``run(io, connection=...)`` in each workspace (see ``each_workspace``)."""
    from dsr_resolvers.cli._workspaces import each_workspace

    runs = [(c.name, functools.partial(run, connection=c)) for c in connections]
    return each_workspace(io, runs, as_json=as_json)


def _options_of(function: Callable[..., Any], *skipped: str) -> list[inspect.Parameter]:
    """The parameters of ``function`` that are command-line options, keyword-only."""
    parameters = inspect.signature(function, eval_str=True, locals=_LAZY).parameters.values()
    return [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
        for p in parameters
        if p.name not in skipped and p.kind is not inspect.Parameter.VAR_KEYWORD
    ]


_WHO: Final = {p.name: p for p in _options_of(_identifiers)}
#: What a command that does not take an identifier option gets for it: its default.
_NO_WHO: Final = {name: p.default.default for name, p in _WHO.items()}
#: The identifier options of the commands that find people by key, not by contact id.
_BY_KEY: Final = ("email", "phone", "external_id")


def _command(
    group: typer.Typer,
    name: str | None = None,
    *,
    connected: bool = False,
    workspaces: bool = False,
    who: Sequence[str] = (),
    run: Callable[..., int] | None = None,
    **settings: Any,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``body(io, [connect | connection,] [who,] **options) -> status`` on ``group``.

    The command Typer sees takes the identifier options named in ``who`` (the body gets them
    as one ``who``), the body's own options, then (``connected``) the connection options and
    (``workspaces``) the workspace options. A body that checks its input first takes
    ``connect``, a :data:`Connect`; one that needs no check takes ``connection``, opened
    before it runs, and with ``workspaces`` runs once in each workspace. With ``run``, the
    body only declares the options and the help, and ``run`` does the work.
    """

    def register(body: Callable[..., Any]) -> Callable[..., Any]:
        work = run or body
        own = _options_of(body, "io", "connect", "connection", "who")
        person = [_WHO[option] for option in who]
        shared = [
            *(_options_of(_connect, "io") if connected else ()),
            *(_options_of(_connect_each, "io") if workspaces else ()),
        ]
        wants = set(inspect.signature(work).parameters)
        defaults = {p.name: p.default.default for p in own}

        def invoke(io: Io, options: dict[str, Any]) -> int:
            if "who" in wants:
                given = {p.name: options.pop(p.name) for p in person}
                options["who"] = _identifiers(**(_NO_WHO | given))
            if "as_json" in options and "output_format" in options:  # --json is --format json
                chosen, default = options["output_format"], defaults["output_format"]
                if options["as_json"] and chosen not in (type(chosen).JSON, default):
                    raise CliError(f"--json prints JSON; it cannot go with --format {chosen}")
                options["output_format"] = type(chosen).JSON if options["as_json"] else chosen
            opened = {p.name: options.pop(p.name) for p in shared}
            opener = _connect_each if workspaces else _connect
            if not connected:
                return work(io, **options)
            if "connect" in wants:
                return work(io, functools.partial(opener, io, **opened), **options)
            if not workspaces:
                return work(io, _connect(io, **opened), **options)
            as_json = options.get("as_json") is True or options.get("output_format") == "json"
            connections = _connect_each(io, **opened)
            return _in_each(io, connections, functools.partial(work, **options), as_json=as_json)

        def command(**options: Any) -> None:
            # ``is``: ExportFormat.JSON compares equal to LookupFormat.JSON, and an export
            # is JSON by default, not asked for with --json.
            as_json = options.get("as_json") is True
            _execute(
                lambda io: invoke(io, options),
                as_json=as_json or options.get("output_format") is LookupFormat.JSON,
            )

        command.__name__, command.__doc__ = body.__name__, body.__doc__
        command.__signature__ = inspect.Signature([*person, *own, *shared])  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in (*person, *own, *shared)}
        group.command(name, cls=Command, **settings)(command)
        return body

    return register


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dsr (dsr-resolvers) {__version__}")
        raise typer.Exit()


completion_init()  # what add_completion=True would do besides adding its options
app = typer.Typer(
    name="dsr",
    cls=_OneLineErrors,
    help="Answer GDPR data-subject requests (export, erase, rectify) for data held in Intercom."
    "\n\nSet INTERCOM_ACCESS_TOKEN (or pass --token-file) and, outside the US region, --region."
    "\nTry 'dsr demo' first: it needs no credentials.",
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


@intercom_app.callback(invoke_without_command=True)
@bulk_app.callback(invoke_without_command=True)
def _show_help_without_command(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: bool = opt(
        "--version", "Show the version and exit.", False, callback=_version, is_eager=True
    ),
    # Typer's own completion options default to None, which sends every start-up through its
    # pydantic coercion; as False flags they cost nothing until given.
    install_completion: bool = opt(
        "--install-completion",
        "Install completion for the current shell.",
        False,
        callback=install_callback,
        expose_value=False,
    ),
    show_completion: bool = opt(
        "--show-completion",
        "Show completion for the current shell, to copy it or customize it.",
        False,
        callback=show_callback,
        expose_value=False,
    ),
) -> None:
    _show_help_without_command(ctx)


# -- dsr intercom ... -----------------------------------------------------------------------------


@_command(
    intercom_app,
    connected=True,
    workspaces=True,
    who=_BY_KEY,
    short_help="List every contact with an email, phone or external id, and what it matched.",
    epilog=example(
        "dsr intercom lookup --email ada@example.com",
        "dsr intercom lookup --email ada@example.com --phone '+44 20 7946 0958'",
        "dsr intercom lookup --external-id cust-1001 --json",
    ),
)
def lookup(
    io: Io,
    connection: Connection,
    who: Identifiers,
    output_format: LookupFormat = opt(
        "--format", "A table, or JSON (as --json).", LookupFormat.TABLE, case_sensitive=False
    ),
    as_json: bool = JSON,
) -> int:
    """List every contact (users and leads) holding any of the identifiers given, combinable,
    with its role and what it matched on: one search."""
    from dsr_resolvers.cli._intercom import run_lookup

    run_lookup(connection, io, who, output_format=output_format)
    return ExitCode.OK


@_command(
    intercom_app,
    connected=True,
    workspaces=True,
    who=("contact_id", *_BY_KEY),
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
    who: Identifiers,
    messages: bool = flag("--messages", "Include the messages the contact wrote."),
    export_archived: bool = EXPORT_ARCHIVED,
    custom_attribute: list[str] | None = CUSTOM_ATTRIBUTE,
    output_format: ExportFormat = opt(
        "--format",
        "json carries the covered surface; html is the access report a person reads.",
        ExportFormat.JSON,
        case_sensitive=False,
    ),
    as_json: bool = JSON,
    out: Path | None = opt(
        "--out FILE",
        "Write to FILE (atomically, mode 0600) instead of stdout; an existing FILE is refused "
        "unless --force.",
    ),
    csv_raw: bool = flag(
        "--csv-raw",
        "Write CSV cells exactly as held, even those starting with = + - @ tab or CR (by default "
        "they get a leading ' so a spreadsheet does not run them).",
    ),
    processing_record: Path | None = opt(
        "--processing-record FILE",
        "Your record of processing (TOML): legal basis, purpose, retention per category.",
        envvar=PROCESSING_RECORD_ENV,
    ),
    language: str = LANGUAGE,
    force: bool = flag("--force", "Replace an existing --out file (written atomically)."),
) -> int:
    """Export everything held about a contact, or every contact of an email, phone or
    external id (Art. 15).

    The JSON bundle lists each contact's records (field, category, value, source) and the
    covered surface they were produced under. If any contact fails, nothing is written.
    """
    from dsr_resolvers._bundle import ExportFormat as BundleFormat
    from dsr_resolvers.cli._deliverables import check_language, load_processing_record
    from dsr_resolvers.cli._intercom import run_export
    from dsr_resolvers.cli._workspaces import per_workspace_path

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

    def one(scoped: Io, connection: Connection) -> int:
        run_export(
            connection,
            scoped,
            who,
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
    who=tuple(_WHO),
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
    who: Identifiers,
    policy: ErasurePolicy = POLICY,
    dry_run: bool = flag("--dry-run", "Show what would be done; change nothing."),
    yes: bool = YES,
    as_json: bool = JSON,
    receipt: Path | None = opt(
        "--receipt FILE.json",
        "Read each contact back, then write an erasure receipt (no email, no name).",
    ),
    receipt_html: Path | None = opt("--receipt-html FILE", "The receipt as HTML."),
    reference: str | None = opt(
        "--reference TEXT", "Your reference for the request (a ticket number), kept in the receipt."
    ),
    language: str = LANGUAGE,
) -> int:
    """Erase a contact, or every contact of an email, phone or external id (Art. 17).

    Asks before erasing when run on a terminal; without a terminal, --yes is required.
    Erasing a contact that is already gone succeeds. A contact matched by the phone alone is
    listed but left out unless --include-phone-only.
    """
    from dsr_resolvers.cli._deliverables import ReceiptRequest
    from dsr_resolvers.cli._intercom import run_erase
    from dsr_resolvers.cli._workspaces import per_workspace_path

    def receipt_in(workspace: str | None) -> ReceiptRequest | None:
        return ReceiptRequest.from_options(
            per_workspace_path(receipt, workspace),
            per_workspace_path(receipt_html, workspace),
            reference=reference,
            language=language,
            dry_run=dry_run,
        )

    def one(scoped: Io, connection: Connection) -> int:
        return run_erase(
            connection,
            scoped,
            who,
            policy=policy,
            dry_run=dry_run,
            assume_yes=yes,
            as_json=as_json,
            receipt=receipt_in(connection.name),
        )

    receipt_in(None)  # checked once, before any workspace is asked
    return _in_each(io, connect(), one, as_json=as_json)


@_command(
    intercom_app,
    connected=True,
    workspaces=True,
    who=_BY_KEY,
    short_help="Check that erased contacts are gone.",
    epilog=example(
        "dsr intercom verify 6650d1c2e4b0a1b2c3d4e5f6 --policy redact_messages",
        "dsr intercom verify --email ada@example.com --phone '+44 20 7946 0958'",
    ),
)
def verify(
    io: Io,
    connection: Connection,
    who: Identifiers,
    contact_ids: list[str] | None = typer.Argument(
        None, metavar="CONTACT_ID", help="The contacts to check.", show_default=False
    ),
    policy: ErasurePolicy = policy_option(
        "The policy the contacts were erased under; with redact_messages, also check that "
        "nothing they wrote is still readable."
    ),
    as_json: bool = JSON,
) -> int:
    """Check that erased contacts are gone (and, with redact_messages, what they wrote).

    A contact that is gone shows as "no contact with this id": Intercom answers the same for
    an id it never held. Exits 1 when a contact is still held or a message it wrote is still
    readable.
    """
    from dsr_resolvers.cli._intercom import run_verify

    return run_verify(
        connection, io, who, contact_ids=contact_ids or [], policy=policy, as_json=as_json
    )


@_command(
    intercom_app,
    connected=True,
    who=tuple(_WHO),
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
    who: Identifiers,
    set_: list[str] | None = opt(
        "--set FIELD=VALUE",
        "Correct FIELD (email, name, phone, or custom_attributes.NAME of an attribute declared "
        "with --custom-attribute). Repeatable.",
    ),
    clear: list[str] | None = opt("--clear FIELD", "Clear FIELD. Repeatable."),
    custom_attribute: list[str] | None = CUSTOM_ATTRIBUTE,
    as_json: bool = JSON,
) -> int:
    """Correct a contact's email, name or phone, or a declared custom attribute (Art. 16); by
    email, phone or external id, every contact they find (one matched by the phone alone only
    with --include-phone-only)."""
    from dsr_resolvers.cli._intercom import run_rectify

    changes = parse_changes(set_, clear)
    attributes = parse_custom_attributes(custom_attribute)
    return run_rectify(
        connect(), io, who, changes=changes, custom_attributes=attributes, as_json=as_json
    )


@_command(
    intercom_app,
    name="object",
    connected=True,
    who=tuple(_WHO),
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
    connection: Connection,
    who: Identifiers,
    dry_run: bool = flag("--dry-run", "Show what would change; change nothing."),
    as_json: bool = JSON,
) -> int:
    """Act on an objection to direct marketing (Art. 21): unsubscribe the contact from email
    and opt it out of every subscription type, then read both back; by email, phone or
    external id, every contact they find (one matched by the phone alone only with
    --include-phone-only).

    Reaches an archived contact (unarchived, changed, archived again), except in a dry run.
    Prints field names and subscription type counts, never values.
    """
    from dsr_resolvers.cli._intercom import run_object

    return run_object(connection, io, who, dry_run=dry_run, as_json=as_json)


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
    connection: Connection,
    scope: CheckScope = opt(
        "--for",
        "The run to check for; its needs set the exit.",
        CheckScope.ALL,
        case_sensitive=False,
    ),
    policy: ErasurePolicy = policy_option(
        "The erasure policy of that run; redact_messages also needs to read and redact "
        "conversations."
    ),
    as_json: bool = JSON,
) -> int:
    """Check the token: its workspace and region, and what it may do, before a run.

    Sends GET /me, then one harmless request per capability, naming an id Intercom never
    issues, so no person's data is read or changed. Exits 0 when everything the run needs
    is ok, 2 otherwise.
    """
    from dsr_resolvers.cli._check import run_check

    return run_check(connection, io, scope=scope, policy=policy, as_json=as_json)


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
    output_format: SurfaceFormat = opt(
        "--format", "Markdown, or JSON (as --json).", SurfaceFormat.MARKDOWN, case_sensitive=False
    ),
    as_json: bool = JSON,
    messages: bool = flag("--messages", "As exported with --messages."),
    export_archived: bool = flag("--export-archived", "As exported with --export-archived."),
    policy: ErasurePolicy = POLICY,
    custom_attribute: list[str] | None = CUSTOM_ATTRIBUTE,
    contact: str | None = opt(
        "--contact CONTACT_ID",
        "Also name the custom attributes this contact holds that these options leave out "
        "(exports it, so it needs a token).",
    ),
) -> int:
    """Print the covered surface for these options, for a record of processing.

    What is exported (field globs with their categories), what erasure under the policy
    removes, what stays in Intercom, what is knowingly left out and why. A declaration, not a
    compliance verdict. Needs no token, except with --contact.
    """
    from dsr_resolvers.cli._intercom import held_not_exported_by
    from dsr_resolvers.cli._surface import surface_json, surface_markdown
    from dsr_resolvers.intercom import IntercomResolver

    attributes = parse_custom_attributes(custom_attribute)
    held = None if contact is None else held_not_exported_by(connect(), contact, attributes)
    resolver = IntercomResolver(
        "surface-needs-no-token",  # never sent: building a surface makes no request
        erasure_policy=policy,
        export_messages=messages,
        export_archived=export_archived,
        custom_attributes=attributes,
    )
    declared = ", ".join(f"{n}={c.value}" for n, c in sorted(attributes.items()))
    options = [
        ("erasure policy", policy),
        ("messages exported", "yes" if messages else "no"),
        ("archived contacts exported", "yes" if export_archived else "no"),
        ("custom attributes", declared or "none"),
        ("export sections", ", ".join(sorted(s.value for s in resolver.sections))),
    ]
    show = surface_json if output_format is SurfaceFormat.JSON else surface_markdown
    io.write(show(resolver.covered_surface, options, policy, held))
    return ExitCode.OK


# -- dsr intercom bulk ... ----------------------------------------------------------------------


def _bulk(operation: str) -> Callable[..., int]:
    """The work of ``dsr intercom bulk OPERATION``: its options checked, then the workspaces
    connected."""

    def run(io: Io, connect: ConnectEach, *, concurrency: str, **options: Any) -> int:
        from dsr_resolvers.bulk import BulkOperation
        from dsr_resolvers.cli._bulk import run_bulk_command

        workers = parse_concurrency(concurrency)
        if "custom_attributes" in options:
            options["custom_attributes"] = parse_custom_attributes(options["custom_attributes"])
        operation_ = BulkOperation(operation)
        return run_bulk_command(connect(), io, operation=operation_, concurrency=workers, **options)

    return run


@_command(
    bulk_app,
    "erase",
    connected=True,
    workspaces=True,
    run=_bulk("erase"),
    epilog=example(
        "dsr intercom bulk erase --input leads.txt --journal erase.sqlite --report erase.json",
        "dsr intercom bulk erase --input leads.csv --column email --journal erase.sqlite --yes",
        "dsr intercom bulk erase --input leads.txt --journal erase.sqlite --dry-run --json",
    ),
)
def bulk_erase(
    input_path: Path = INPUT,
    journal_path: Path = JOURNAL,
    concurrency: str = CONCURRENCY,
    report_path: Path | None = REPORT,
    column: str | None = COLUMN,
    policy: ErasurePolicy = POLICY,
    assume_yes: bool = YES,
    receipts_dir: Path | None = RECEIPTS,
    dry_run: bool = flag("--dry-run", "Look up and plan only; change nothing."),
    as_json: bool = flag(
        "--json",
        "With --dry-run: print the plan as one JSON document on stdout, written subject by "
        "subject (schema in docs/cli.md).",
    ),
    include_phone_only: bool = INCLUDE_PHONE_ONLY,
) -> None:
    """Erase every subject of a file: each contact id, and every contact of each email,
    phone or external id a row names (one matched by a phone alone only with
    --include-phone-only)."""


@_command(
    bulk_app,
    "object",
    connected=True,
    workspaces=True,
    run=_bulk("object"),
    epilog=example(
        "dsr intercom bulk object --input objections.csv --journal object.sqlite "
        "--report object.json",
    ),
)
def bulk_object(
    input_path: Path = INPUT,
    journal_path: Path = JOURNAL,
    concurrency: str = CONCURRENCY,
    report_path: Path | None = REPORT,
    column: str | None = COLUMN,
    include_phone_only: bool = INCLUDE_PHONE_ONLY,
) -> None:
    """Act on the objection to direct marketing (Art. 21) of every subject of a file: each
    contact id, and every contact of each email, phone or external id a row names (one
    matched by a phone alone only with --include-phone-only), read back.

    Resumable through the journal; an objection is idempotent, so one sent again on resume
    changes nothing more.
    """


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
    io: Io, journal: Path = JOURNAL, as_json: bool = JSON, receipts: Path | None = RECEIPTS
) -> int:
    """Show what a journal holds: counts by state, failures, options. Sends no request."""
    from dsr_resolvers.cli._bulk import run_bulk_status

    return run_bulk_status(io, journal_path=journal, as_json=as_json, receipts_dir=receipts)


@_command(
    bulk_app,
    "export",
    connected=True,
    workspaces=True,
    run=_bulk("export"),
    epilog=example(
        "dsr intercom bulk export --input ids.txt --journal export.sqlite --out exports/ "
        "--report export.json"
    ),
)
def bulk_export(
    input_path: Path = INPUT,
    journal_path: Path = JOURNAL,
    out_dir: Path = opt("--out DIR", "Directory for one JSON file per subject.", ...),
    concurrency: str = CONCURRENCY,
    report_path: Path | None = REPORT,
    column: str | None = COLUMN,
    messages: bool = flag("--messages", "Include the messages each contact wrote."),
    archived: bool = EXPORT_ARCHIVED,
    custom_attributes: list[str] | None = CUSTOM_ATTRIBUTE,
) -> None:
    """Export every subject of a file into one JSON file per subject (Art. 15)."""


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
    port: int = opt("--port PORT", "Port; 0 picks a free one.", 0, min=0, max=65535),
    host: str = opt("--host ADDRESS", "Loopback address.", "127.0.0.1"),
    token: str = opt(
        "--token TOKEN",
        "Bearer token the sandbox accepts (not a secret).",
        "sandbox-token",  # the sandbox's well-known token opens only a fake
    ),
    seed: str = opt("--seed demo|N", "Demo workspace, or a random one.", "demo"),
    contacts: int = opt("--contacts N", "Contacts in a random workspace.", 25, min=0),
    rate: str = opt("--rate LIMIT/SECONDS", "Rate limit, or off.", "1666/10"),
    latency: float = opt("--latency SECONDS", "Seconds added to every request.", 0.0, min=0.0),
    workspaces: int = opt(
        "--workspaces 1|2",
        "Serve two workspaces holding one person, and print the workspaces file.",
        1,
        min=1,
        max=2,
    ),
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
    out: Path | None = opt(
        "--out DIR", "Keep the demo's export file in DIR (default: a temporary directory)."
    ),
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
