"""The workspaces file: every Intercom workspace a company runs, and where each one's token is.

A company with a US workspace and an EU-hosted one (or one per brand) answers a request in
each. The workspaces file (TOML, named by ``--workspaces FILE`` or ``DSR_WORKSPACES``) names
them once; ``--workspace NAME`` (repeatable) or ``--all-workspaces`` picks the ones a command
runs in::

    [workspaces.us]
    region = "us"
    token_env = "INTERCOM_TOKEN_US"

    [workspaces.eu]
    base_url = "https://api.eu.intercom.io"
    token_file = "eu.token"          # relative to this file's directory

The file says where a token comes from, never the token: it is shared, committed and shown in
reviews, a token is not.

| the file                                   | what ``dsr`` says (exit 2, before any request) |
|--------------------------------------------|------------------------------------------------|
| missing, unreadable, not TOML              | the path and the reason (TOML's line number)   |
| no ``[workspaces.NAME]`` table             | name at least one workspace                    |
| a key that holds a token (``token``,       | tokens do not go in this file; the value is    |
| ``access_token``, ``api_key``, ...)        | never shown                                    |
| ``token_env`` that is not a variable name  | the same (it may be a pasted token)            |
| neither or both of ``region``/``base_url`` | the workspace at fault                         |
| neither or both of ``token_env`` and       | the workspace at fault                         |
| ``token_file``                             |                                                |
| an unknown key, region or workspace name   | the key or name at fault                       |
| ``--workspace NAME`` not in the file       | the names the file has                         |
| the variable unset, the file unreadable    | the workspace, and the variable or file        |
"""

from __future__ import annotations

import io as _io
import json
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from rich.console import Console

from dsr_resolvers.cli._errors import CliError, ExitCode
from dsr_resolvers.cli._output import Io
from dsr_resolvers.cli._settings import (
    Connection,
    IntercomSettings,
    RetrySettings,
    _read_token_file,
    _validated,
)
from dsr_resolvers.cli._trace import RequestTrace
from dsr_resolvers.intercom import REGIONS

__all__ = [
    "WORKSPACES_ENV",
    "WorkspaceEntry",
    "WorkspaceSource",
    "WorkspacesFile",
    "combined_exit",
    "each_workspace",
    "load_workspaces",
    "per_workspace_path",
    "select_workspaces",
    "workspace_connections",
]

WORKSPACES_ENV: Final = "DSR_WORKSPACES"
"""The environment variable naming the workspaces file when ``--workspaces`` is not given."""

NAME_PATTERN: Final = r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}"
_NAME = re.compile(NAME_PATTERN)
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_TOKEN_KEYS = re.compile(
    r"(access_?)?token|api_?key|secret|bearer|password|credentials?|authorization", re.I
)


class WorkspaceEntry(BaseModel):
    """One workspace of the file: its host and where its token comes from.

    Attributes:
        region: ``us``, ``eu`` or ``au``: the regional API host.
        base_url: The API host itself (a proxy, a sandbox); instead of ``region``.
        token_env: The environment variable holding the workspace's token.
        token_file: A file holding the token alone (relative to the workspaces file).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    region: Literal["us", "eu", "au"] | None = None
    base_url: str | None = None
    token_env: str | None = None
    token_file: Path | None = None

    @model_validator(mode="after")
    def _one_of_each(self) -> WorkspaceEntry:
        if (self.region is None) == (self.base_url is None):
            raise ValueError("give exactly one of region and base_url")
        if (self.token_env is None) == (self.token_file is None):
            raise ValueError("give exactly one of token_env and token_file")
        return self


class WorkspacesFile(BaseModel):
    """The workspaces file: workspace names to :class:`WorkspaceEntry`.

    Attributes:
        workspaces: At least one, by name (letters, digits, ``.``, ``_``, ``-``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    workspaces: dict[str, WorkspaceEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _names(self) -> WorkspacesFile:
        for name in self.workspaces:
            if not _NAME.fullmatch(name):
                raise ValueError(
                    f"workspace name {name!r}: use letters, digits, '.', '_' and '-' (up to "
                    "64, not starting with '.')"
                )
        return self


class WorkspaceSource(BaseModel):
    """A workspace chosen for a command, its token read: what a ``Connection`` is built of.

    Attributes:
        name: The workspace's name in the file.
        base_url: Its API host.
        token: Its access token (never shown).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    base_url: str
    token: SecretStr


def load_workspaces(path: Path | None) -> tuple[Path, WorkspacesFile]:
    """Read and check the workspaces file (``path``, else ``DSR_WORKSPACES``).

    Raises:
        CliError: No file named, or a file that cannot be read or is not a valid workspaces
            file (see the module's table). The message never holds a value of the file.
    """
    if path is None:
        named = os.environ.get(WORKSPACES_ENV, "").strip()
        if not named:
            raise CliError(f"no workspaces file: pass --workspaces FILE or set {WORKSPACES_ENV}")
        path = Path(named)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise CliError(f"cannot read the workspaces file {path}: {reason}") from None
    except UnicodeDecodeError:
        raise CliError(f"the workspaces file {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        # tomllib's messages name a position and a rule, never the text found there.
        raise CliError(f"the workspaces file {path} is not valid TOML: {error}") from None
    _refuse_inline_tokens(path, raw)
    try:
        return path, WorkspacesFile.model_validate(raw)
    except ValidationError as error:
        raise CliError(_problem(path, error)) from None


def select_workspaces(
    path: Path,
    file: WorkspacesFile,
    names: Sequence[str],
    *,
    every: bool,
    environ: Mapping[str, str] | None = None,
) -> list[WorkspaceSource]:
    """The workspaces a command runs in, in the order named (the file's order for all).

    Args:
        path: Where the file was read from (token files are relative to it).
        file: The checked file.
        names: ``--workspace`` values.
        every: ``--all-workspaces``.
        environ: Where ``token_env`` variables are read (default: the environment).

    Raises:
        CliError: Both or neither of ``names`` and ``every``, a name the file lacks, or a
            token that cannot be read (the workspace and its source named, never the token).
    """
    if bool(names) == every:
        raise CliError("give --workspace NAME (repeatable) or --all-workspaces, not both")
    chosen = list(file.workspaces) if every else list(dict.fromkeys(names))
    unknown = [name for name in chosen if name not in file.workspaces]
    if unknown:
        raise CliError(
            f"no workspace {unknown[0]!r} in {path}; it has: " + ", ".join(file.workspaces)
        )
    env = os.environ if environ is None else environ
    return [_source(path, name, file.workspaces[name], env) for name in chosen]


def _source(
    path: Path, name: str, entry: WorkspaceEntry, env: Mapping[str, str]
) -> WorkspaceSource:
    if entry.token_env is not None:
        value = env.get(entry.token_env, "").strip()
        if not value:
            raise CliError(
                f"workspace {name!r}: the environment variable {entry.token_env} that holds "
                "its token is not set"
            )
        token = SecretStr(value)
    else:
        assert entry.token_file is not None  # checked by the model
        file = entry.token_file.expanduser()
        token = _read_token_file(file if file.is_absolute() else path.parent / file)
    base_url = REGIONS[entry.region] if entry.region is not None else entry.base_url
    assert base_url is not None  # checked by the model
    return WorkspaceSource(name=name, base_url=base_url.strip(), token=token)


def workspace_connections(
    sources: Sequence[WorkspaceSource], *, api_version: str | None, trace: RequestTrace | None
) -> list[Connection]:
    """A named :class:`Connection` per workspace, with the environment's other settings.

    Raises:
        CliError: A base URL the resolver refuses (not https, nor http to loopback), or an
            environment setting that does not validate.
    """
    settings = _validated(
        IntercomSettings, {} if api_version is None else {"api_version": api_version}
    )
    retry = _validated(RetrySettings, {})
    connections = []
    for source in sources:
        connection = Connection(
            base_url=source.base_url,
            token=source.token,
            api_version=settings.api_version,
            timeout=settings.timeout,
            retry=retry.policy(),
            trace=trace,
            name=source.name,
        )
        try:
            checked = connection.resolver().base_url  # the resolver's one rule for hosts
        except CliError as error:
            raise CliError(f"workspace {source.name!r}: {error.message}") from error
        connections.append(replace(connection, base_url=checked))
    return connections


def _refuse_inline_tokens(path: Path, raw: dict[str, Any]) -> None:
    """Refuse a file that holds a token itself, without ever showing it."""
    tables = raw.get("workspaces")
    if not isinstance(tables, dict):
        return  # the model says what is missing
    for name, table in tables.items():
        if not isinstance(table, dict):
            continue
        for key in table:
            if key not in ("token_env", "token_file") and _TOKEN_KEYS.fullmatch(key):
                raise CliError(
                    f"{path}: workspace {name!r} holds a token inline (key {key!r}); tokens do "
                    "not go in the workspaces file: name an environment variable (token_env) "
                    "or a token file (token_file), and revoke the token if the file was shared"
                )
        variable = table.get("token_env")
        if isinstance(variable, str) and not _ENV_NAME.fullmatch(variable):
            raise CliError(
                f"{path}: workspace {name!r}: token_env is not an environment variable name "
                "(letters, digits and '_'); if it is the token itself, move the token to an "
                "environment variable or a token file (its value is not shown)"
            )


def _problem(path: Path, error: ValidationError) -> str:
    """One line naming what is wrong and where, never the values given."""
    problems: list[str] = []
    for detail in error.errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in detail["loc"])
        message = str(detail["msg"]).removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return f"the workspaces file {path} is not valid: " + "; ".join(dict.fromkeys(problems))


def per_workspace_path(path: Path | None, workspace: str | None) -> Path | None:
    """``ada.json`` as ``ada.us.json`` for workspace ``us``: one file per workspace."""
    if path is None or workspace is None:
        return path
    return path.with_name(f"{path.stem}.{workspace}{path.suffix}")


def combined_exit(statuses: Iterable[int]) -> int:
    """The exit status of a command run in several workspaces: the worst of theirs.

    A usage or credential problem (2) outranks a failed subject (1), which outranks success.
    """
    worst = ExitCode.OK
    for status in statuses:
        if status == ExitCode.USAGE or (status == ExitCode.FAILED and worst == ExitCode.OK):
            worst = ExitCode(status)
    return worst


def each_workspace(
    io: Io,
    workspaces: Sequence[tuple[str | None, Callable[[Io], int]]],
    *,
    as_json: bool = False,
) -> int:
    """Run one command in each workspace, its output grouped by workspace, and combine exits.

    One workspace's failure (a refused token, a failed contact) is reported and the next
    workspace is still asked; an interrupt stops them all.

    Args:
        io: The command's streams.
        workspaces: (workspace name, the command's body for that workspace); a single entry
            without a name is a command run the usual way, unchanged.
        as_json: The body prints one JSON document: the whole prints one,
            ``{"workspaces": {NAME: {"exit": N, "result": DOC} | {"exit": N, "error": TEXT}}}``.

    Returns:
        :func:`combined_exit` of the workspaces' statuses.
    """
    if len(workspaces) == 1 and workspaces[0][0] is None:
        return workspaces[0][1](io)
    statuses: dict[str, int] = {}
    documents: dict[str, dict[str, object]] = {}
    for name, body in workspaces:
        label = str(name)
        buffer = _io.StringIO()
        if as_json:
            scoped = Io(out=Console(file=buffer, highlight=False), err=io.err, interactive=False)
        else:
            io.out.rule(f"workspace {label}", align="left")
            scoped = io
        document: dict[str, object] = {}
        try:
            status = body(scoped)
        except CliError as error:
            if error.exit_code not in (ExitCode.OK, ExitCode.FAILED, ExitCode.USAGE):
                raise  # an interrupt: stop every workspace
            io.error(f"workspace {label}: {error.message}")
            status = error.exit_code
            document["error"] = error.message
        statuses[label] = status
        if as_json:
            document["exit"] = int(status)
            if buffer.getvalue().strip():
                document["result"] = json.loads(buffer.getvalue())
            documents[label] = document
    if as_json:
        io.write(json.dumps({"workspaces": documents}, indent=2) + "\n")
    worst = combined_exit(statuses.values())
    if worst != ExitCode.OK:
        io.status(
            "workspaces not done: "
            + ", ".join(f"{n} (exit {s})" for n, s in statuses.items() if s != ExitCode.OK)
        )
    return worst
