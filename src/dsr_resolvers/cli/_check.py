"""``dsr intercom check``: is this token, host and scope set ready for the run I am about to do?

Like ``gh auth status``: one cheap authenticated read (``GET /me``: the workspace's name and
region), then one request per endpoint family the chosen options need. No probe reads or
changes a person's data: searches look for an id Intercom never issues
(:data:`NEVER_ISSUED`), and the two write probes (delete, redact) name that same id, so
Intercom can only answer "not found" (the token passed the scope check) or "forbidden".

=================================  ========================================================
Intercom answers a probe with      Capability is
=================================  ========================================================
2xx, or a 404 whose body is        ``ok``
Intercom's ``*not_found``
403                                ``refused``: the token lacks the scope
429, 5xx, another 4xx, no answer   ``unknown`` (with the status or the error type)
=================================  ========================================================

Before any probe: 401 on ``GET /me`` (token refused), a 404 that is not Intercom's, an
unresolvable host or a refused connection stop the check with exit 2 and say why. Exit 0 when
every capability the options need is ``ok``, 2 otherwise.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar

import httpx

from dsr_resolvers.cli._errors import CliError, ExitCode
from dsr_resolvers.cli._intercom import not_intercom, pointed
from dsr_resolvers.cli._options import CheckScope
from dsr_resolvers.cli._output import Io, new_table
from dsr_resolvers.cli._settings import Connection
from dsr_resolvers.contract import ResolverError
from dsr_resolvers.intercom import (
    CredentialsRefusedError,
    ErasurePolicy,
    IntercomRejectedError,
    IntercomResolver,
    MalformedResponseError,
)
from dsr_resolvers.intercom import _routes as routes
from dsr_resolvers.intercom._http import Route

__all__ = ["CHECK_FORMAT", "NEVER_ISSUED", "run_check"]

CHECK_FORMAT: Final = "dsr-resolvers/check/v1"
#: An id of Intercom's shape that it never issues (an all-zero object id), for the probes.
NEVER_ISSUED: Final = "0" * 24

_T = TypeVar("_T")
_RUNS: Final = {
    CheckScope.ALL: "an export or an erase",
    CheckScope.EXPORT: "an export",
    CheckScope.ERASE: "an erase",
}


def _search(field: str) -> dict[str, Any]:
    return {"json_body": {"query": {"field": field, "operator": "=", "value": NEVER_ISSUED}}}


_EVENTS: Final = {"type": "user", "intercom_user_id": NEVER_ISSUED, "summary": "true"}
_REDACT: Final = {"type": "source", "conversation_id": NEVER_ISSUED, "source_id": NEVER_ISSUED}
#: Each capability, its route, the runs that need it (``redact``: an erase that redacts) and
#: the request's arguments. Every erasure policy lists the contact's conversations and tickets
#: first (their ids are read back), so an erase needs to read them as an export does.
_PROBES: Final[tuple[tuple[str, Route, str, dict[str, Any]], ...]] = (
    ("read contacts", routes.CONTACT_SEARCH, "export erase", _search("id")),
    ("read conversations", routes.CONVERSATION_SEARCH, "export erase", _search("contact_ids")),
    ("read tickets", routes.TICKET_SEARCH, "export erase", _search("contact_ids")),
    ("read events", routes.EVENTS, "export", {"params": _EVENTS}),
    ("delete contacts", routes.DELETE_CONTACT, "erase", {"path_params": {"id": NEVER_ISSUED}}),
    ("redact conversations", routes.REDACT, "redact", {"json_body": _REDACT}),
)


def _needed(runs: str, scope: CheckScope, policy: ErasurePolicy) -> bool:
    needs = {"export", "erase"} if scope is CheckScope.ALL else {scope.value}
    if "erase" in needs and policy != "delete_contact":
        needs.add("redact")
    return bool(needs.intersection(runs.split()))


def _ask(connection: Connection, work: Callable[[], Awaitable[_T]]) -> _T:
    """One request, not retried: a probe reports what Intercom answered the first time."""
    return asyncio.run(pointed(work, connection.base_url))


def _result(
    connection: Connection, resolver: IntercomResolver, route: Route, arguments: dict[str, Any]
) -> tuple[str, str]:
    """``(outcome, status)`` of one probe: ``ok``, ``refused`` or ``unknown``."""
    try:
        answer = _ask(connection, lambda: resolver.probe(route, **arguments))
    except (CredentialsRefusedError, IntercomRejectedError) as error:
        refused = isinstance(error, CredentialsRefusedError)
        return "refused" if refused else "unknown", str(error.status_code)
    except httpx.HTTPStatusError as error:
        return "unknown", str(error.response.status_code)
    except (ResolverError, httpx.HTTPError) as error:
        return "unknown", type(error).__name__
    return "ok", "404" if answer is None else "200"


def _identity(connection: Connection, resolver: IntercomResolver) -> tuple[str | None, str | None]:
    """GET /me: the workspace's name and region; stops the check on 401 or a foreign host."""
    try:
        body = _ask(connection, lambda: resolver.probe(routes.ME))
    except CredentialsRefusedError as error:
        raise CliError(
            f"Intercom refused the token (status {error.status_code}): it is missing, revoked or "
            "for another workspace or region; supply a valid token, and --region eu or au "
            "outside the US"
        ) from error
    except MalformedResponseError as error:
        raise not_intercom(connection.base_url) from error
    except (ResolverError, httpx.HTTPStatusError):
        return None, None
    except httpx.HTTPError as error:
        raise CliError(
            f"cannot check {connection.base_url}: {type(error).__name__}; check your network, "
            "--base-url and --region",
            ExitCode.USAGE,
        ) from error
    app = (body or {}).get("app")
    name, region = (app.get("name"), app.get("region")) if isinstance(app, dict) else (None, None)
    return (
        name if isinstance(name, str) else None,
        region if isinstance(region, str) else None,
    )


def run_check(
    connection: Connection,
    io: Io,
    *,
    scope: CheckScope = CheckScope.ALL,
    policy: ErasurePolicy = "delete_contact",
    as_json: bool = False,
) -> int:
    """``dsr intercom check``: the workspace, and each capability as ok / refused / unknown;
    0 when every capability the run needs is ``ok``, 2 otherwise or when the token is refused
    or the host is not Intercom's API or cannot be reached."""
    resolver = connection.resolver()
    name, region = _identity(connection, resolver)
    results: list[dict[str, Any]] = []
    for capability, route, runs, arguments in _PROBES:
        outcome, status = _result(connection, resolver, route, arguments)
        results.append(
            {
                "capability": capability,
                "route": f"{route.method} {route.path}",
                "needed": _needed(runs, scope, policy),
                "result": outcome,
                "status": status,
            }
        )
    missing = [r["capability"] for r in results if r["needed"] and r["result"] != "ok"]
    if as_json:
        document = {
            "format": CHECK_FORMAT,
            "base_url": connection.base_url,
            "workspace": {"name": name, "region": region},
            "for": scope.value,
            "policy": policy,
            "capabilities": results,
            "ready": not missing,
        }
        io.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    else:
        io.out.print(f"Workspace: {name or '(name not given)'}", soft_wrap=True)
        where = f"{region or 'unknown'} (API host {connection.base_url})"
        io.out.print(f"Region:    {where}", soft_wrap=True)
        table = new_table("Capability", "Probe", "Needed", "Result")
        for r in results:
            shown = "ok" if r["result"] == "ok" else f"{r['result']} ({r['status']})"
            table.add_row(r["capability"], r["route"], "yes" if r["needed"] else "no", shown)
        io.out.print(table)
    if not missing:
        io.status(f"Ready: the token may do everything {_RUNS[scope]} needs.")
        return ExitCode.OK
    io.error(
        f"not ready for {_RUNS[scope]}: {', '.join(missing)} "
        f"{'is' if len(missing) == 1 else 'are'} not ok; grant the app the missing scopes in "
        "Intercom's Developer Hub, or retry if a result is unknown"
    )
    return ExitCode.USAGE
