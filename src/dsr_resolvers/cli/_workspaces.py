"""The workspaces file: every Intercom workspace a company runs, and where each one's token is.

A company with a US workspace and an EU-hosted one answers a request in each. The file (TOML,
``--workspaces FILE`` or ``DSR_WORKSPACES``) names each once: ``[workspaces.NAME]`` with
``region`` or ``base_url``, and ``token_env`` or a ``token_file`` relative to the file;
``--workspace NAME`` (repeatable) or ``--all-workspaces`` picks where a command runs. The file
says where a token is, never the token: it is shared and reviewed, a token is not. ``dsr``
refuses, with exit 2 before any request:

| the file                                         | what the error line names               |
|--------------------------------------------------|-----------------------------------------|
| missing, unreadable, not TOML                    | the path and why (TOML's line number)   |
| a token key (``token``, ``api_key``...), or a    | the workspace and key, never the value: |
| ``token_env`` that is no variable name           | tokens do not go in this file           |
| no workspace; not one of ``region``/``base_url`` | the workspace, key or name at fault     |
| or of the token's sources; an unknown key, name  |                                         |
| ``--workspace NAME`` not in the file             | the names the file has                  |
| the variable unset, the token file unreadable    | the workspace, and the variable or file |
"""

from __future__ import annotations

import io as _io
import json
import os
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from rich.console import Console

from dsr_resolvers.bulk._runner import _WORKSPACE_NAME  # a bulk run's rule for the same names
from dsr_resolvers.cli._errors import CliError, ExitCode
from dsr_resolvers.cli._output import Io
from dsr_resolvers.cli._settings import Connection, _connection, _problems, _read_text, _token
from dsr_resolvers.cli._trace import RequestTrace
from dsr_resolvers.intercom import REGIONS

__all__ = [
    "WORKSPACES_ENV",
    "WorkspaceSource",
    "WorkspacesFile",
    "each_workspace",
    "load_workspaces",
    "per_workspace_path",
    "select_workspaces",
    "workspace_connections",
]

WORKSPACES_ENV: Final = "DSR_WORKSPACES"  # names the file when --workspaces does not

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_TOKEN_KEYS = re.compile(
    r"(access_?)?token|api_?key|secret|bearer|password|credentials?|authorization", re.I
)
_RANK: Final[dict[int, int]] = {ExitCode.FAILED: 1, ExitCode.USAGE: 2}  # the worst one wins


class WorkspaceEntry(BaseModel):
    """One workspace of the file: ``region`` or ``base_url``, ``token_env`` or ``token_file``."""

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
    """The workspaces file: its workspaces, by name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    workspaces: dict[str, WorkspaceEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _names(self) -> WorkspacesFile:
        for name in self.workspaces:
            if not _WORKSPACE_NAME.fullmatch(name):
                raise ValueError(
                    f"workspace name {name!r}: use letters, digits, '.', '_' and '-' (up to "
                    "64, not starting with '.')"
                )
        return self


class WorkspaceSource(BaseModel):
    """A workspace chosen for a command, with its token (never shown)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    base_url: str
    token: SecretStr


def load_workspaces(path: Path | None) -> tuple[Path, WorkspacesFile]:
    """Read and check the workspaces file (``path``, else ``DSR_WORKSPACES``).

    Raises:
        CliError: No file named, or one that is not a readable, valid workspaces file (see
            the module's table). The message never holds a value of the file.
    """
    if path is None:
        named = os.environ.get(WORKSPACES_ENV, "").strip()
        if not named:
            raise CliError(f"no workspaces file: pass --workspaces FILE or set {WORKSPACES_ENV}")
        path = Path(named)
    try:
        raw = tomllib.loads(_read_text(path, "workspaces"))
    except tomllib.TOMLDecodeError as error:  # it names a position and a rule, never the text
        raise CliError(f"the workspaces file {path} is not valid TOML: {error}") from None
    _refuse_inline_tokens(path, raw)
    try:
        return path, WorkspacesFile.model_validate(raw)
    except ValidationError as error:
        raise CliError(f"the workspaces file {path} is not valid: {_problems(error)}") from None


def select_workspaces(
    path: Path,
    file: WorkspacesFile,
    names: Sequence[str],
    *,
    every: bool,
    environ: Mapping[str, str] | None = None,
) -> list[WorkspaceSource]:
    """The workspaces a command runs in, their tokens read, in the order named (or the file's).

    Args:
        path: Where the file was read from (token files are relative to it).
        file: The checked file.
        names: ``--workspace`` values, or ``every`` for ``--all-workspaces``.
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
    sources = []
    for name in chosen:
        entry = file.workspaces[name]
        token = _token(
            entry.token_file and path.parent / entry.token_file.expanduser(),  # absolute stays
            env.get(str(entry.token_env)),
            f"workspace {name!r}: the environment variable {entry.token_env} that holds its "
            "token is not set",
        )
        host = REGIONS[entry.region] if entry.region is not None else str(entry.base_url)
        sources.append(WorkspaceSource(name=name, base_url=host.strip(), token=token))
    return sources


def workspace_connections(
    sources: Sequence[WorkspaceSource], *, api_version: str | None, trace: RequestTrace | None
) -> list[Connection]:
    """A named ``Connection`` per workspace, with the environment's other settings.

    Raises:
        CliError: A base URL the resolver refuses (not https, nor http to loopback), or an
            environment setting that does not validate.
    """
    overrides = {} if api_version is None else {"api_version": api_version}
    return [_connection(s.base_url, s.token, overrides, trace, s.name) for s in sources]


def _refuse_inline_tokens(path: Path, raw: dict[str, Any]) -> None:
    tables = raw.get("workspaces")
    for name, table in tables.items() if isinstance(tables, dict) else ():
        if not isinstance(table, dict):
            continue  # the model says what is wrong
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


def per_workspace_path(path: Path | None, workspace: str | None) -> Path | None:
    """``ada.json`` as ``ada.us.json`` for workspace ``us``: one file per workspace."""
    if path is None or workspace is None:
        return path
    return path.with_name(f"{path.stem}.{workspace}{path.suffix}")


def each_workspace(
    io: Io,
    workspaces: Sequence[tuple[str | None, Callable[[Io], int]]],
    *,
    as_json: bool = False,
) -> int:
    """Run a command's body in each workspace, output grouped; the worst exit (2, 1, 0).

    One workspace's failure (a refused token, a failed contact) is reported and the next one
    still asked; an interrupt stops them all. One entry without a name runs the usual way.
    ``as_json``: each body prints one JSON document, the whole prints ``{"workspaces": {NAME:
    {"exit": N, "result": DOC} | {"exit": N, "error": TEXT}}}``.
    """
    if len(workspaces) == 1 and workspaces[0][0] is None:
        return workspaces[0][1](io)
    statuses: dict[str, int] = {}
    documents: dict[str, dict[str, object]] = {}
    for name, body in workspaces:
        label, buffer = str(name), _io.StringIO()
        document = documents[label] = {}
        if not as_json:
            io.out.rule(f"workspace {label}", align="left")
        try:
            statuses[label] = body(
                Io(Console(file=buffer, highlight=False), io.err, interactive=False)
                if as_json
                else io
            )
        except CliError as error:
            if error.exit_code not in (ExitCode.OK, *_RANK):
                raise  # an interrupt: stop every workspace
            io.error(f"workspace {label}: {error.message}")
            statuses[label] = error.exit_code
            document["error"] = error.message
        document["exit"] = int(statuses[label])
        if buffer.getvalue().strip():
            document["result"] = json.loads(buffer.getvalue())
    if as_json:
        io.write(json.dumps({"workspaces": documents}, indent=2) + "\n")
    worst = max(statuses.values(), key=lambda status: _RANK.get(status, 0), default=0)
    if worst not in _RANK:
        return ExitCode.OK
    io.status(
        "workspaces not done: "
        + ", ".join(f"{n} (exit {s})" for n, s in statuses.items() if s != ExitCode.OK)
    )
    return ExitCode(worst)
