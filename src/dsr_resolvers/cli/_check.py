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

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import httpx

from dsr_resolvers.cli._errors import CliError, ExitCode
from dsr_resolvers.cli._intercom import not_intercom, policy_name, unreachable
from dsr_resolvers.cli._output import Io, new_table
from dsr_resolvers.cli._settings import Connection
from dsr_resolvers.intercom import ErasurePolicy
from dsr_resolvers.intercom._http import intercom_says_absent

__all__ = ["CHECK_FORMAT", "NEVER_ISSUED", "CheckScope", "run_check"]

CHECK_FORMAT: Final = "dsr-resolvers/check/v1"
#: An id of Intercom's shape that it never issues (an all-zero object id), for the probes.
NEVER_ISSUED: Final = "0" * 24


class CheckScope(StrEnum):
    """What the run about to be done is: its needs decide the exit status."""

    ALL = "all"
    EXPORT = "export"
    ERASE = "erase"


_RUNS: Final = {
    CheckScope.ALL: "an export or an erase",
    CheckScope.EXPORT: "an export",
    CheckScope.ERASE: "an erase",
}


@dataclass(frozen=True)
class _Probe:
    name: str
    method: str
    route: str
    path: str
    body: Any = None
    params: Any = None


def _search(field: str) -> dict[str, Any]:
    return {"query": {"field": field, "operator": "=", "value": NEVER_ISSUED}}


_READ_CONTACTS: Final = _Probe(
    "read contacts", "POST", "/contacts/search", "/contacts/search", _search("id")
)
_READ_CONVERSATIONS: Final = _Probe(
    "read conversations",
    "POST",
    "/conversations/search",
    "/conversations/search",
    _search("contact_ids"),
)
_TICKETS: Final = _Probe(
    "read tickets", "POST", "/tickets/search", "/tickets/search", _search("contact_ids")
)
_EVENTS: Final = _Probe(
    "read events",
    "GET",
    "/events",
    "/events",
    params={"type": "user", "intercom_user_id": NEVER_ISSUED, "summary": "true"},
)
_DELETE: Final = _Probe("delete contacts", "DELETE", "/contacts/{id}", f"/contacts/{NEVER_ISSUED}")
_REDACT: Final = _Probe(
    "redact conversations",
    "POST",
    "/conversations/redact",
    "/conversations/redact",
    {"type": "source", "conversation_id": NEVER_ISSUED, "source_id": NEVER_ISSUED},
)
_PROBES: Final = (_READ_CONTACTS, _READ_CONVERSATIONS, _TICKETS, _EVENTS, _DELETE, _REDACT)


def needed(scope: CheckScope, policy: ErasurePolicy) -> frozenset[str]:
    """The capabilities a run needs: export reads every section; erase deletes (and redacts)."""
    export = {_READ_CONTACTS.name, _READ_CONVERSATIONS.name, _TICKETS.name, _EVENTS.name}
    erase = {_READ_CONTACTS.name, _DELETE.name}
    if policy == "redact_messages":
        erase |= {_READ_CONVERSATIONS.name, _REDACT.name}
    if scope is CheckScope.EXPORT:
        return frozenset(export)
    if scope is CheckScope.ERASE:
        return frozenset(erase)
    return frozenset(export | erase)


def _send(client: httpx.Client, connection: Connection, probe: _Probe) -> httpx.Response:
    try:
        return client.request(probe.method, probe.path, json=probe.body, params=probe.params)
    except httpx.ConnectError as error:
        pointer = unreachable(error, connection.base_url)
        if pointer is not None:
            raise pointer from None
        raise


def _result(response: httpx.Response) -> tuple[str, str]:
    status = response.status_code
    if 200 <= status < 300 or (status == 404 and intercom_says_absent(response)):
        return "ok", str(status)
    if status == 403:
        return "refused", "403"
    return "unknown", str(status)


def _identity(client: httpx.Client, connection: Connection) -> dict[str, str | None]:
    """GET /me: the workspace's name and region; stops the check on 401 or a foreign host."""
    try:
        response = _send(client, connection, _Probe("me", "GET", "/me", "/me"))
    except httpx.HTTPError as error:
        raise CliError(
            f"cannot check {connection.base_url}: {type(error).__name__}; check your network, "
            "--base-url and --region",
            ExitCode.USAGE,
        ) from None
    if response.status_code == 401:
        raise CliError(
            "Intercom refused the token (status 401): it is missing, revoked or for another "
            "workspace or region; supply a valid token, and --region eu or au outside the US"
        )
    if response.status_code == 404 and not intercom_says_absent(response):
        raise not_intercom(connection.base_url)
    if response.status_code != 200:
        return {"name": None, "region": None, "status": str(response.status_code)}
    try:
        body = response.json()
    except ValueError:
        raise not_intercom(connection.base_url) from None
    app = body.get("app") if isinstance(body, dict) else None
    app = app if isinstance(app, dict) else {}
    name, region = app.get("name"), app.get("region")
    return {
        "name": name if isinstance(name, str) else None,
        "region": region if isinstance(region, str) else None,
        "status": "200",
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

    Args:
        connection: The workspace and token.
        io: Where to print.
        scope: The run about to be done (its needs decide the exit status).
        policy: The erasure policy of that run.
        as_json: Print one JSON document on stdout instead of the table.

    Returns:
        0 when every capability the run needs is ``ok``, 2 otherwise.

    Raises:
        CliError: The token is refused, or the host is not Intercom's API or cannot be reached.
    """
    needs = needed(scope, policy)
    with connection.client() as client:
        identity = _identity(client, connection)
        results: list[dict[str, Any]] = []
        for probe in _PROBES:
            try:
                outcome, status = _result(_send(client, connection, probe))
            except httpx.HTTPError as error:
                outcome, status = "unknown", type(error).__name__
            if status == "401":
                outcome = "refused"
            results.append(
                {
                    "capability": probe.name,
                    "route": f"{probe.method} {probe.route}",
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
            "policy": policy_name(policy),
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
