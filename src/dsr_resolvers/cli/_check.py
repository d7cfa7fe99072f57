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
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class _Probe:
    name: str
    route: Route
    body: Any = None
    params: Mapping[str, str] | None = None
    path_params: Mapping[str, str] | None = None


def _search(field: str) -> dict[str, Any]:
    return {"query": {"field": field, "operator": "=", "value": NEVER_ISSUED}}


_READ_CONTACTS: Final = _Probe("read contacts", routes.CONTACT_SEARCH, _search("id"))
_READ_CONVERSATIONS: Final = _Probe(
    "read conversations", routes.CONVERSATION_SEARCH, _search("contact_ids")
)
_TICKETS: Final = _Probe("read tickets", routes.TICKET_SEARCH, _search("contact_ids"))
_EVENTS: Final = _Probe(
    "read events",
    routes.EVENTS,
    params={"type": "user", "intercom_user_id": NEVER_ISSUED, "summary": "true"},
)
_DELETE: Final = _Probe("delete contacts", routes.DELETE_CONTACT, path_params={"id": NEVER_ISSUED})
_REDACT: Final = _Probe(
    "redact conversations",
    routes.REDACT,
    {"type": "source", "conversation_id": NEVER_ISSUED, "source_id": NEVER_ISSUED},
)
_PROBES: Final = (_READ_CONTACTS, _READ_CONVERSATIONS, _TICKETS, _EVENTS, _DELETE, _REDACT)


def needed(scope: CheckScope, policy: ErasurePolicy) -> frozenset[str]:
    """The capabilities a run needs: export reads every section; erase deletes (and redacts)."""
    export = {_READ_CONTACTS.name, _READ_CONVERSATIONS.name, _TICKETS.name, _EVENTS.name}
    # Every policy lists the contact's conversations and tickets first (their ids are read back).
    erase = {_READ_CONTACTS.name, _READ_CONVERSATIONS.name, _TICKETS.name, _DELETE.name}
    if policy != "delete_contact":
        erase |= {_REDACT.name}
    if scope is CheckScope.EXPORT:
        return frozenset(export)
    if scope is CheckScope.ERASE:
        return frozenset(erase)
    return frozenset(export | erase)


def _ask(connection: Connection, work: Callable[[], Awaitable[_T]]) -> _T:
    """One request, not retried: a probe reports what Intercom answered the first time."""
    return asyncio.run(pointed(work, connection.base_url))


def _result(connection: Connection, resolver: IntercomResolver, probe: _Probe) -> tuple[str, str]:
    """``(outcome, status)`` of one probe: ``ok``, ``refused`` or ``unknown``."""
    try:
        answer = _ask(
            connection,
            lambda: resolver.probe(
                probe.route,
                path_params=probe.path_params,
                params=probe.params,
                json_body=probe.body,
            ),
        )
    except CredentialsRefusedError as error:
        return "refused", str(error.status_code)
    except IntercomRejectedError as error:
        return "unknown", str(error.status_code)
    except httpx.HTTPStatusError as error:
        return "unknown", str(error.response.status_code)
    except (ResolverError, httpx.HTTPError) as error:
        return "unknown", type(error).__name__
    return "ok", "404" if answer is None else "200"


def _identity(connection: Connection, resolver: IntercomResolver) -> dict[str, str | None]:
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
        return {"name": None, "region": None}
    except httpx.HTTPError as error:
        raise CliError(
            f"cannot check {connection.base_url}: {type(error).__name__}; check your network, "
            "--base-url and --region",
            ExitCode.USAGE,
        ) from error
    app = (body or {}).get("app")
    app = app if isinstance(app, dict) else {}
    name, region = app.get("name"), app.get("region")
    return {
        "name": name if isinstance(name, str) else None,
        "region": region if isinstance(region, str) else None,
    }


def run_check(
    connection: Connection,
    io: Io,
    *,
    scope: CheckScope = CheckScope.ALL,
    policy: ErasurePolicy = "delete_contact",
    as_json: bool = False,
) -> int:
    """``dsr intercom check``: the workspace, and each capability as ok / refused / unknown.

    Returns:
        0 when every capability the run needs is ``ok``, 2 otherwise.

    Raises:
        CliError: The token is refused, or the host is not Intercom's API or cannot be reached.
    """
    needs = needed(scope, policy)
    resolver = connection.resolver()
    identity = _identity(connection, resolver)
    results: list[dict[str, Any]] = []
    for probe in _PROBES:
        outcome, status = _result(connection, resolver, probe)
        results.append(
            {
                "capability": probe.name,
                "route": f"{probe.route.method} {probe.route.path}",
                "needed": probe.name in needs,
                "result": outcome,
                "status": status,
            }
        )
    ready = all(r["result"] == "ok" for r in results if r["needed"])
    if as_json:
        document = {
            "format": CHECK_FORMAT,
            "base_url": connection.base_url,
            "workspace": {"name": identity["name"], "region": identity["region"]},
            "for": scope.value,
            "policy": policy,
            "capabilities": results,
            "ready": ready,
        }
        io.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    else:
        _show(io, connection, identity, results)
    run = _RUNS[scope]
    if ready:
        io.status(f"Ready: the token may do everything {run} needs.")
        return ExitCode.OK
    missing = [r["capability"] for r in results if r["needed"] and r["result"] != "ok"]
    io.error(
        f"not ready for {run}: {', '.join(missing)} "
        f"{'is' if len(missing) == 1 else 'are'} not ok; grant the app the missing scopes in "
        "Intercom's Developer Hub, or retry if a result is unknown"
    )
    return ExitCode.USAGE


def _show(
    io: Io,
    connection: Connection,
    identity: dict[str, str | None],
    results: Sequence[dict[str, Any]],
) -> None:
    name = identity["name"] or "(name not given)"
    region = identity["region"] or "unknown"
    io.out.print(f"Workspace: {name}", soft_wrap=True)
    io.out.print(f"Region:    {region} (API host {connection.base_url})", soft_wrap=True)
    table = new_table("Capability", "Probe", "Needed", "Result")
    for result in results:
        shown = result["result"]
        if shown != "ok":
            shown = f"{shown} ({result['status']})"
        table.add_row(
            result["capability"], result["route"], "yes" if result["needed"] else "no", shown
        )
    io.out.print(table)
