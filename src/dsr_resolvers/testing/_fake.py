"""FakeIntercom: a stateful, in-memory stand-in for the slice of Intercom's REST API that GDPR
work touches.

It is an ``httpx`` transport, so code under test runs its real URL building, headers, encoding
and status handling against it (``httpx.Client(transport=fake)``, or ``httpx.AsyncClient``),
and it can serve the same state over HTTP on 127.0.0.1 (``with fake.serve() as base_url``).
Both paths go through :meth:`FakeIntercom._exchange`, one lock around all state, so the fake can
be shared by many threads, clients and event loops.

Every request passes these gates in order; the first that answers ends it:

=============  ===============================================================================
Gate           Answer
=============  ===============================================================================
routing        the route template (``"GET /contacts/{id}"``, or ``"UNKNOWN"``), for the log
auth           no ``Authorization: Bearer <token>``: 401 ``unauthorized`` (no quota used)
rate limit     fixed windows of ``rate_window`` seconds on ``clock``; past ``rate_limit``:
               429 ``rate_limit_exceeded``. Authenticated answers carry ``X-RateLimit-Limit``,
               ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (Unix time of the window end)
faults         a scheduled fault (see ``_fake_faults``) replaces or disrupts the answer
version        an ``Intercom-Version`` header naming no known version: 400
               ``intercom_version_invalid``
route          unknown route: 404 ``route_not_found`` (the description is silent; a code that
               names the route, never a missing object); otherwise the handler
               (``_fake_routes``)
=============  ===============================================================================

Every request is recorded (:class:`RecordedRequest`), faulted ones included; the token never is.

A test waits for what it needs with :meth:`FakeIntercom.wait_for`, never with a sleep: one
condition variable, on the same lock, is notified whenever something a test can wait on changes:

=======================  =========================================================================
Notified when            What changed
=======================  =========================================================================
a request arrives        :attr:`~FakeIntercom.in_flight` (received, not yet answered; both modes)
a request is answered    :attr:`~FakeIntercom.in_flight`, and :meth:`~FakeIntercom.count` and
                         :attr:`~FakeIntercom.requests`, as it was recorded just before
a connection opens or    :attr:`~FakeIntercom.open_connections` (over HTTP: queued to be accepted
closes                   or accepted, and not yet closed)
=======================  =========================================================================
"""

from __future__ import annotations

import asyncio
import hmac
import json
import math
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx

from dsr_resolvers.testing._fake_faults import Fault, FaultSchedule, InjectedFault
from dsr_resolvers.testing._fake_routes import (
    ApiError,
    ApiRequest,
    Context,
    Reply,
    Route,
    match_route,
)
from dsr_resolvers.testing._fake_seed import Seeding
from dsr_resolvers.testing._fake_state import Workspace
from dsr_resolvers.testing._server import FakeIntercomServer

__all__ = ["INTERCOM_VERSIONS", "FakeIntercom", "RecordedRequest"]

#: Values of the ``Intercom-Version`` header that Intercom knows (the 2.14 description's enum,
#: plus ``Unstable``).
INTERCOM_VERSIONS: Final = frozenset(
    {"1.0", "1.1", "1.2", "1.3", "1.4"} | {f"2.{minor}" for minor in range(15)} | {"Unstable"}
)

#: What a malformed answer carries: the start of a JSON document, cut off.
MALFORMED_BODY: Final = b'{"type": "list", "data": [{"type": "contact", "id": '


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it.

    Attributes:
        method: The HTTP method.
        path: The decoded segments joined by ``/`` (readable; ambiguous when a segment holds
            ``/``, which ``segments`` keeps apart).
        raw_path: The path exactly as sent, percent-encoding intact, without the query.
        segments: The decoded path segments.
        route: The route template, e.g. ``"GET /contacts/{id}"``, or ``"UNKNOWN"``.
        query: The decoded query parameters (the last value of a repeated name wins).
        json: The parsed JSON body, or None when there was none or it was not JSON.
        intercom_version: The ``Intercom-Version`` header, if sent.
        authorized: Whether the bearer token was right. The token itself is never kept.
        status: The status answered, or 0 when the connection was reset or timed out.
        fault: The kind of fault that hit the request, if any.
    """

    method: str
    path: str
    raw_path: str
    segments: tuple[str, ...]
    route: str
    query: dict[str, str]
    json: Any
    intercom_version: str | None
    authorized: bool
    status: int
    fault: str | None = None


@dataclass(frozen=True)
class _Outcome:
    """The fake's answer to one exchange, before a transport turns it into bytes or an error."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    drop: Literal["reset", "timeout"] | None = None


@dataclass
class _Window:
    index: int = -1
    count: int = 0


_JSON_HEADERS: Final = (("Content-Type", "application/json; charset=utf-8"),)
_HTML_HEADERS: Final = (("Content-Type", "text/html; charset=utf-8"),)

#: What a host that is not Intercom (a proxy, a wrong path) answers with its 404.
NOT_INTERCOM_BODY: Final = b"<html><body><h1>404 Not Found</h1></body></html>"


def _encode(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class FakeIntercom(Seeding, httpx.BaseTransport, httpx.AsyncBaseTransport):
    """An in-memory Intercom workspace behind an ``httpx`` transport.

    Seed it with the methods of :class:`~dsr_resolvers.testing._fake_seed.Seeding`
    (``add_contact``, ``add_conversation``, ``add_call``, ...); read it back with the
    inspection methods below.

    Args:
        token: The access token the fake accepts as ``Authorization: Bearer <token>``.
        rate_limit: Requests allowed per window; None disables rate limiting (and its headers).
            The default is Intercom's 10,000 a minute for private apps, in 10-second windows.
        rate_window: Length of a rate-limit window in seconds.
        seed: Seed for every generated id, cursor and request id.
        clock: Wall clock in seconds, for rate-limit windows and default timestamps.
        latency: Seconds every request waits before it is answered (for benchmarks).
        faults: Failures to inject from the start, in order (see :class:`InjectedFault`);
            more can be scheduled later with the ``*_next`` methods.
        deletion_removes_conversations: Whether deleting a contact also removes the
            conversations and tickets it alone was in, as Intercom's help centre says. Off by
            default: they stay readable, as nothing in the API confirms that they go.

    Raises:
        ValueError: ``rate_limit`` below 1 or ``rate_window`` not positive.

    Example:
        >>> fake = FakeIntercom()
        >>> cid = fake.add_contact(email="ada@example.com", name="Ada")
        >>> auth = {"Authorization": "Bearer test-token"}
        >>> with httpx.Client(transport=fake, base_url="https://api.intercom.io") as client:
        ...     client.get(f"/contacts/{cid}", headers=auth).status_code
        200
    """

    def __init__(
        self,
        token: str = "test-token",  # noqa: S107 - a fake's well-known test token
        *,
        rate_limit: int | None = 1666,
        rate_window: float = 10.0,
        seed: int = 0,
        clock: Callable[[], float] = time.time,
        latency: float = 0.0,
        faults: Sequence[InjectedFault] = (),
        deletion_removes_conversations: bool = False,
    ) -> None:
        if rate_limit is not None and rate_limit < 1:
            raise ValueError("rate_limit must be at least 1, or None")
        if rate_window <= 0:
            raise ValueError("rate_window must be positive")
        self._token = token
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.latency = latency
        #: How long a timed-out request hangs in server mode before its connection closes.
        self.hang_seconds = 2.0
        self._clock = clock
        self._lock = threading.RLock()
        #: Notified, under ``_lock``, whenever a count, in-flight or connection figure changes.
        self._changed = threading.Condition(self._lock)
        self._in_flight = 0
        self._servers: list[FakeIntercomServer] = []
        self._workspace = Workspace(seed=seed, clock=clock)
        self._workspace.deletion_removes_conversations = deletion_removes_conversations
        self._request_ids = random.Random(f"{seed}:request-ids")  # noqa: S311 - not a secret
        self._faults = FaultSchedule()
        self._log: list[RecordedRequest] = []
        self._window = _Window()
        for fault in faults:
            self._schedule(fault.scheduled())

    def __repr__(self) -> str:
        return f"<FakeIntercom contacts={len(self._workspace.contacts)} requests={len(self._log)}>"

    # -- inspection -------------------------------------------------------------------------

    def contact(self, contact_id: str) -> dict[str, Any] | None:
        """The contact's JSON as ``GET /contacts/{id}`` returns it; None once deleted."""
        with self._lock:
            record = self._workspace.contacts.get(contact_id)
            return None if record is None else self._workspace.contact_json(record)

    def is_archived(self, contact_id: str) -> bool:
        """Whether the contact exists and is archived."""
        with self._lock:
            return contact_id in self._workspace.archived

    def conversation(self, conversation_id: str) -> dict[str, Any]:
        """The conversation's JSON with all its parts, whether or not its contact still exists.

        Raises:
            KeyError: No such conversation.
        """
        with self._lock:
            record = self._workspace.conversations[conversation_id]
            return self._workspace.conversation_json(record, with_parts=True)

    def ticket(self, ticket_id: str) -> dict[str, Any]:
        """The ticket's JSON. Raises KeyError for an unknown id."""
        with self._lock:
            return self._workspace.ticket_json(self._workspace.tickets[ticket_id])

    def contact_ids(self) -> tuple[str, ...]:
        """The ids of the contacts that exist, oldest first."""
        with self._lock:
            return tuple(self._workspace.contacts)

    def conversation_ids(self, contact_id: str) -> tuple[str, ...]:
        """The conversations the contact takes part in (also after the contact is deleted)."""
        with self._lock:
            return tuple(
                c.id for c in self._workspace.conversations.values() if contact_id in c.contact_ids
            )

    def ticket_ids(self, contact_id: str) -> tuple[str, ...]:
        """The tickets of the contact (also after the contact is deleted)."""
        with self._lock:
            return tuple(
                t.id for t in self._workspace.tickets.values() if contact_id in t.contact_ids
            )

    def event_names(self, contact_id: str) -> tuple[str, ...]:
        """The names of the contact's data events, oldest first (empty once deleted)."""
        with self._lock:
            return tuple(
                e.event_name for e in self._workspace.events.values() if e.contact_id == contact_id
            )

    # -- request log ------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far, oldest first."""
        with self._lock:
            return list(self._log)

    def count(self, route: str | None = None) -> int:
        """How many requests hit ``route`` (e.g. ``"GET /contacts/{id}"``); None counts all."""
        with self._lock:
            if route is None:
                return len(self._log)
            return sum(1 for r in self._log if r.route == route)

    def clear_log(self) -> None:
        """Forget the recorded requests (and so reset the counters)."""
        with self._lock:
            self._log.clear()

    # -- waiting ----------------------------------------------------------------------------

    @property
    def in_flight(self) -> int:
        """Requests received and not answered yet, in transport and server mode alike.

        A request counts from the moment the fake holds it (before :attr:`latency` is spent)
        until its answer is handed back or written to the socket.
        """
        with self._lock:
            return self._in_flight

    @property
    def open_connections(self) -> int:
        """HTTP connections to this fake's running servers that are not closed yet.

        A connection counts from the moment the kernel queues it for accepting until the server
        has closed it, so once a client process is dead, ``open_connections == 0`` means every
        request it sent has been answered (and recorded) or died with it. Keep-alive
        connections of a live client stay open while it keeps them. Always 0 in transport
        mode.
        """
        with self._lock:
            return sum(server._connections() for server in self._servers)

    def wait_for(
        self,
        until: int | Callable[[], bool],
        *,
        route: str | None = None,
        timeout: float = 30.0,
    ) -> bool:
        """Block until a condition holds, re-checked each time the fake records or answers a
        request or a connection to it opens or closes.

        Waiting is driven by those events, not by polling: a condition on anything else is
        re-checked only when one of them happens (a client process's death closes its
        connections, so ``lambda: fake.count() >= 9 or process.poll() is not None`` works for a
        served fake). Safe from any thread, while requests are being answered.

        Args:
            until: A request count to reach (``count(route) >= until``), or a function of no
                arguments that says whether the wait is over. It runs under the fake's lock and
                may call the fake's methods.
            route: With a count, the route to count (``"DELETE /contacts/{id}"``); None counts
                all. Not allowed with a function.
            timeout: Seconds to wait at most: a bound that keeps a broken test from hanging,
                never the thing to assert.

        Returns:
            True once the condition holds (at once if it already does); False if ``timeout``
            passed first.

        Raises:
            ValueError: ``route`` given with a function, or ``timeout`` negative.

        Example:
            >>> fake = FakeIntercom()
            >>> fake.wait_for(0, timeout=0)
            True
            >>> fake.wait_for(lambda: fake.in_flight == 0 and fake.open_connections == 0)
            True
        """
        if timeout < 0:
            raise ValueError("timeout must not be negative")
        if callable(until):
            if route is not None:
                raise ValueError("route counts requests; give it with a count, not a function")
            holds = until
        else:
            target = until

            def holds() -> bool:
                return self.count(route) >= target

        with self._changed:
            return self._changed.wait_for(holds, timeout)

    @contextmanager
    def _handling(self) -> Iterator[None]:
        """Count a request as in flight while the block answers it."""
        with self._changed:
            self._in_flight += 1
            self._changed.notify_all()
        try:
            yield
        finally:
            with self._changed:
                self._in_flight -= 1
                self._changed.notify_all()

    def _attach(self, server: FakeIntercomServer) -> None:
        """Count ``server``'s connections in :attr:`open_connections` while it runs."""
        with self._changed:
            self._servers.append(server)

    def _detach(self, server: FakeIntercomServer) -> None:
        with self._changed:
            if server in self._servers:
                self._servers.remove(server)
            self._changed.notify_all()

    # -- faults -----------------------------------------------------------------------------

    def fail_next(
        self,
        status: int = 503,
        times: int = 1,
        *,
        route: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` and an error body."""
        self._schedule(
            Fault("fail", route, times, status=status, headers=tuple((headers or {}).items()))
        )

    def fail_route(self, route: str, status: int) -> None:
        """Answer every request to ``route`` with ``status`` until :meth:`clear_faults`."""
        self._schedule(Fault("fail", route, None, status=status))

    def reset_next(
        self, times: int = 1, *, route: str | None = None, after_processing: bool = False
    ) -> None:
        """Reset the connection of the next ``times`` matching requests.

        With ``after_processing`` the request changes the state first and only its answer is
        lost: the case of a connection dying between a redaction and a deletion. In transport
        mode the client sees ``httpx.ReadError``; over HTTP, a TCP reset.
        """
        self._schedule(Fault("reset", route, times, after_processing=after_processing))

    def timeout_next(self, times: int = 1, *, route: str | None = None) -> None:
        """Let the next ``times`` matching requests time out, unprocessed.

        In transport mode the client sees ``httpx.ReadTimeout`` at once; over HTTP the server
        holds the connection for :attr:`hang_seconds`, then closes it.
        """
        self._schedule(Fault("timeout", route, times))

    def malformed_next(self, times: int = 1, *, route: str | None = None) -> None:
        """Answer the next ``times`` matching requests 200 with a body that is not JSON."""
        self._schedule(Fault("malformed", route, times))

    def not_intercom_next(self, times: int | None = 1, *, route: str | None = None) -> None:
        """Answer matching requests 404 with an HTML page, as a proxy or a wrong host would.

        ``times=None`` answers every matching request so until :meth:`clear_faults`.
        """
        self._schedule(Fault("not_intercom", route, times, status=404))

    def repeat_cursor_next(
        self, times: int = 1, *, route: str | None = "POST /conversations/search"
    ) -> None:
        """Make the next ``times`` paged answers on ``route`` hand back the cursor they got.

        On a first page the next cursor leads back to the first page. Either way a client
        that follows cursors blindly never reaches the end. ``route=None`` aims at any paged
        route.
        """
        self._schedule(Fault("repeat_cursor", route, times))

    def clear_faults(self) -> None:
        """Drop every scheduled fault, persistent ones included."""
        with self._lock:
            self._faults.clear()

    def _schedule(self, fault: Fault) -> None:
        if fault.remaining is not None and fault.remaining < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._faults.add(fault)

    # -- serving ----------------------------------------------------------------------------

    @contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve this fake over HTTP while the block runs, and yield its base URL.

        The server runs in a daemon thread and answers each connection in its own thread.

        Args:
            host: A loopback address to listen on.
            port: The port; 0 picks a free one.

        Yields:
            ``"http://127.0.0.1:PORT"``.
        """
        server = FakeIntercomServer(self, host=host, port=port)
        server.start()
        try:
            yield server.base_url
        finally:
            server.stop()

    # -- the httpx transports ---------------------------------------------------------------

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        with self._handling():
            if self.latency > 0:
                time.sleep(self.latency)
            return self._to_response(request, self._exchange_httpx(request, body))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        with self._handling():
            if self.latency > 0:
                await asyncio.sleep(self.latency)
            return self._to_response(request, self._exchange_httpx(request, body))

    def _exchange_httpx(self, request: httpx.Request, body: bytes) -> _Outcome:
        url = request.url
        base_url = f"{url.scheme}://{url.netloc.decode('ascii')}"
        return self._exchange(
            method=request.method,
            target=url.raw_path.decode("ascii"),
            authorization=request.headers.get("Authorization"),
            intercom_version=request.headers.get("Intercom-Version"),
            body=body,
            base_url=base_url,
        )

    @staticmethod
    def _to_response(request: httpx.Request, outcome: _Outcome) -> httpx.Response:
        if outcome.drop == "reset":
            raise httpx.ReadError("Connection reset by peer", request=request)
        if outcome.drop == "timeout":
            raise httpx.ReadTimeout("Timed out waiting for the response", request=request)
        return httpx.Response(
            outcome.status, headers=list(outcome.headers), content=outcome.body, request=request
        )

    # -- the exchange, shared by both transports and the server -----------------------------

    def _exchange(
        self,
        *,
        method: str,
        target: str,
        authorization: str | None,
        intercom_version: str | None,
        body: bytes,
        base_url: str,
    ) -> _Outcome:
        """Answer one request. Called by the transports and by the HTTP server."""
        raw_path, query = _split_target(target)
        segments = tuple(unquote(s, errors="replace") for s in raw_path[1:].split("/"))
        payload, body_is_json = _parse_body(body)
        matched = match_route(method.upper(), segments)
        route_name = matched[0].name if matched else "UNKNOWN"
        authorized = self._authorized(authorization)
        request = ApiRequest(
            method=method.upper(),
            segments=segments,
            query=query,
            json=payload,
            body_is_json=body_is_json,
            base_url=base_url,
        )
        with self._lock:
            outcome, fault_kind = self._answer(request, matched, authorized, intercom_version)
            self._log.append(
                RecordedRequest(
                    method=request.method,
                    path="/" + "/".join(segments),
                    raw_path=raw_path,
                    segments=segments,
                    route=route_name,
                    query=dict(query),
                    json=payload if body_is_json else None,
                    intercom_version=intercom_version,
                    authorized=authorized,
                    status=0 if outcome.drop else outcome.status,
                    fault=fault_kind,
                )
            )
        return outcome

    def _answer(
        self,
        request: ApiRequest,
        matched: tuple[Route, dict[str, str]] | None,
        authorized: bool,
        intercom_version: str | None,
    ) -> tuple[_Outcome, str | None]:
        if not authorized:
            return self._error(401, "unauthorized", "Access Token Invalid", ()), None
        limit_headers, limited = self._count_against_rate_limit()
        if limited:
            message = "You have exceeded the rate limit. Please try again later."
            return self._error(429, "rate_limit_exceeded", message, limit_headers), None
        route_name = matched[0].name if matched else "UNKNOWN"
        fault = self._faults.take(route_name)
        if fault is not None and not fault.after_processing:
            if fault.kind in ("reset", "timeout"):
                return _Outcome(0, drop="reset" if fault.kind == "reset" else "timeout"), fault.kind
            if fault.kind == "malformed":
                return _Outcome(200, (*_JSON_HEADERS, *limit_headers), MALFORMED_BODY), "malformed"
            if fault.kind == "not_intercom":
                return _Outcome(404, _HTML_HEADERS, NOT_INTERCOM_BODY), "not_intercom"
            message = "Service Unavailable" if fault.status == 503 else "Injected failure"
            error = self._error(fault.status, _fault_code(fault.status), message, limit_headers)
            return _Outcome(error.status, (*error.headers, *fault.headers), error.body), "fail"
        outcome, fault_kind = self._process(request, matched, intercom_version, limit_headers)
        if fault is not None:  # a reset after processing: the change is made, the answer lost
            return _Outcome(0, drop="reset"), "reset"
        return outcome, fault_kind

    def _process(
        self,
        request: ApiRequest,
        matched: tuple[Route, dict[str, str]] | None,
        intercom_version: str | None,
        limit_headers: tuple[tuple[str, str], ...],
    ) -> tuple[_Outcome, str | None]:
        if intercom_version is not None and intercom_version not in INTERCOM_VERSIONS:
            message = "Requested version is invalid"
            return self._error(400, "intercom_version_invalid", message, limit_headers), None
        if matched is None:
            return self._error(404, "route_not_found", "Route Not Found", limit_headers), None
        route, params = matched
        repeat = self._faults.repeat_cursor_for(route.name)
        context = Context(self._workspace, repeat_cursor=repeat is not None)
        try:
            reply: Reply = route.handler(context, request, params)
        except ApiError as error:
            outcome = self._error(error.status, error.code, error.message, limit_headers)
        else:
            outcome = _Outcome(reply.status, (*_JSON_HEADERS, *limit_headers), _encode(reply.body))
        if repeat is not None and context.repeat_cursor_used:
            self._faults.use(repeat)
            return outcome, "repeat_cursor"
        return outcome, None

    def _authorized(self, authorization: str | None) -> bool:
        if authorization is None:
            return False
        scheme, _, credentials = authorization.strip().partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(credentials.strip().encode(), self._token.encode())

    def _count_against_rate_limit(self) -> tuple[tuple[tuple[str, str], ...], bool]:
        if self.rate_limit is None:
            return (), False
        index = math.floor(self._clock() / self.rate_window)
        if index != self._window.index:
            self._window = _Window(index=index)
        self._window.count += 1
        reset_at = math.ceil((index + 1) * self.rate_window)
        remaining = max(0, self.rate_limit - self._window.count)
        headers = (
            ("X-RateLimit-Limit", str(self.rate_limit)),
            ("X-RateLimit-Remaining", str(remaining)),
            ("X-RateLimit-Reset", str(reset_at)),
        )
        return headers, self._window.count > self.rate_limit

    def _error(
        self, status: int, code: str, message: str, headers: tuple[tuple[str, str], ...]
    ) -> _Outcome:
        request_id = str(uuid.UUID(int=self._request_ids.getrandbits(128), version=4))
        body = {
            "type": "error.list",
            "request_id": request_id,
            "errors": [{"code": code, "message": message}],
        }
        return _Outcome(status, (*_JSON_HEADERS, *headers), _encode(body))


def _fault_code(status: int) -> str:
    codes = {
        400: "bad_request",
        401: "unauthorized",
        403: "api_plan_restricted",
        404: "not_found",
        409: "conflict",
        422: "data_invalid",
        429: "rate_limit_exceeded",
    }
    return codes.get(status, "server_error" if status >= 500 else "client_error")


def _split_target(target: str) -> tuple[str, dict[str, str]]:
    """Split a raw request-target into its still-encoded path and its decoded query."""
    if not target.startswith("/"):  # absolute-form, e.g. through a proxy
        parts = urlsplit(target)
        target = parts.path + ("?" + parts.query if parts.query else "")
    raw_path, _, raw_query = target.partition("?")
    raw_query = raw_query.partition("#")[0]
    return raw_path or "/", dict(parse_qsl(raw_query, keep_blank_values=True))


def _parse_body(body: bytes) -> tuple[Any, bool]:
    if not body.strip():
        return None, True
    try:
        return json.loads(body), True
    except (ValueError, UnicodeDecodeError):
        return None, False
