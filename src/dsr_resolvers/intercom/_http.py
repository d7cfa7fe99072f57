"""One logical call against Intercom: a fresh client, the taxonomy, nothing cached but TLS.

Why a fresh ``httpx.Client`` per call: a client owns a connection pool bound to the thread and
event loop that used it, and saga engines drive one resolver from several loops and worker
threads. A fresh client per call (one for all pages of that call) keeps the resolver free of
such state. What *is* safe to share is the TLS configuration: building an ``SSLContext`` loads
the CA bundle (about 20 ms of CPU), so it is built once per process, lazily, and handed to each
fresh client. That keeps the per-call cost well under a millisecond.

A 404 is taken as "absent" only when Intercom itself says so:

| 404 answer                                                   | outcome                  |
|--------------------------------------------------------------|--------------------------|
| ``error.list`` with ``not_found`` or ``<object>_not_found``  | absent (``None``)        |
| ``error.list`` naming the route (``route_not_found``)        | ``NotIntercomError``     |
| anything else (an HTML page, an empty body, other JSON)      | ``NotIntercomError``     |

A wrong ``base_url`` path, a proxy or a gateway answers 404 too; taking that as absence would
report a person as erased or as holding nothing while Intercom still holds everything.

Identifiers are percent-encoded into exactly one path segment, dots included, so that no id
can be normalised into another endpoint. Requests that leave this module inside an exception
are scrubbed: the route template replaces the concrete path and no credentials travel along.
Logs too: httpx's INFO line shows the route template, and httpcore's DEBUG trace of our
requests keeps only its event names, never a response header (a redirect's ``Location``).

A call may send up to ``max_in_flight`` requests at once from the threads of its in-flight
pool (``_inflight.py``); the client is shared by them, a semaphore bounds them, and a stop
event, checked after the caller's hooks (a rate limiter may have held the request), keeps any
request from starting once the call was cancelled or one of its requests failed.
"""

from __future__ import annotations

import functools
import json
import logging
import ssl
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from typing import Any, NamedTuple, Protocol, Self
from urllib.parse import quote

import httpx

from dsr_resolvers._version import __version__
from dsr_resolvers.contract import ResolverError
from dsr_resolvers.intercom._errors import (
    CREDENTIAL_STATUSES,
    CredentialsRefusedError,
    IntercomRedirectError,
    IntercomRejectedError,
    IntercomServerError,
    MalformedResponseError,
    RateLimitedError,
    retry_after_seconds,
)

_log = logging.getLogger("dsr_resolvers.intercom")

_ROUTE_LEVEL_CODES = frozenset({"route_not_found", "parameter_not_found", "field_not_found"})
"""``*_not_found`` codes that name the request, not a missing object: never absence."""


class NotIntercomError(ResolverError):
    """The host answered 404 without Intercom's not-found body: nothing is known about the
    subject. The usual cause is a wrong ``base_url`` (a path, another region) or a proxy.

    Attributes:
        action: What was being done: ``export``, ``erase``, ``rectify``, ``lookup``, ``verify``.
    """

    def __init__(self, action: str) -> None:
        self.action = action
        super().__init__(
            f"the host answered the {action} request with 404 without Intercom's error body;"
            " nothing was found absent; check base_url (or region)"
        )


def intercom_says_absent(response: httpx.Response) -> bool:
    """Whether a 404 carries Intercom's ``error.list`` naming a missing object."""
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return False
    if not isinstance(body, dict) or body.get("type") != "error.list":
        return False
    errors = body.get("errors")
    if not isinstance(errors, list):
        return False
    codes = {e.get("code") for e in errors if isinstance(e, dict)}
    return any(
        isinstance(code, str)
        and (code == "not_found" or code.endswith("_not_found"))
        and code not in _ROUTE_LEVEL_CODES
        for code in codes
    )


class RequestHooks(Protocol):
    """Instrumentation a caller can attach, e.g. a rate limiter shared by bulk workers.

    Both methods run synchronously in the worker thread that sends the request; blocking in
    ``before_request`` paces the request. With ``max_in_flight`` above 1, one call sends from
    several threads at once, so hooks must be thread-safe (the bulk ``RateLimiter`` is).
    """

    def before_request(self, request: httpx.Request) -> None:
        """Called before each request is sent."""
        ...

    def after_response(self, response: httpx.Response) -> None:
        """Called with each response (headers available, body not yet read)."""
        ...


class Route(NamedTuple):
    """An endpoint as errors name it: the verb and the path template, never concrete ids."""

    method: str
    path: str


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """The process-wide TLS context: CA bundle loaded once, then shared by every client."""
    return httpx.create_ssl_context()


def encode_segment(value: str) -> str:
    """Percent-encode ``value`` into exactly one path segment, including ``.`` and ``..``."""
    return quote(value, safe="").replace(".", "%2E")


class _BorrowedTransport(httpx.BaseTransport):
    """A caller's transport lent to one client: closing the client must not close it."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._inner.handle_request(request)

    def close(self) -> None:
        """The owner closes it, not the borrower."""


class _ScrubHttpxLog(logging.Filter):
    """httpx logs every URL at INFO; inside our calls the URL carries a contact id.

    While a call of ours is running on this thread, the URL in httpx's log record is replaced
    by the route template. Records of other httpx users pass untouched.
    """

    def __init__(self) -> None:
        super().__init__()
        self.current = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        shown: str | None = getattr(self.current, "url", None)
        if shown is not None and isinstance(record.args, tuple) and len(record.args) >= 2:
            record.args = (record.args[0], shown, *record.args[2:])
        return True


class _BareHttpcoreLog(logging.Filter):
    """httpcore's DEBUG trace shows each response's headers verbatim (a redirect's
    ``Location`` may carry an id or an email) and the request it answers.

    While a call of ours is running on this thread, each httpcore record is cut to its event
    name (``receive_response_headers.complete``): no header, host, request or exception text
    of our requests reaches a handler. Records of other httpcore users pass untouched.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(_scrub_httpx_log.current, "url", None) is not None:
            record.msg = str(record.msg).split(" ", 1)[0]
            record.args = ()
        return True


_scrub_httpx_log = _ScrubHttpxLog()
logging.getLogger("httpx").addFilter(_scrub_httpx_log)
_bare_httpcore_log = _BareHttpcoreLog()
for _name in ("connection", "http11", "http2", "proxy", "socks"):
    # A logger's filters see only the records made on it, so each of httpcore's loggers.
    logging.getLogger(f"httpcore.{_name}").addFilter(_bare_httpcore_log)


class CallStopped(Exception):  # noqa: N818 - a signal inside a call, not an error to report
    """The call was stopped (cancelled, or another of its requests failed); nothing was sent."""


class IntercomCall:
    """One logical call (export, erase, ...): one client for all of its requests.

    Args:
        action: The verb named in errors (``export``, ``erase``, ...).
        max_in_flight: How many requests this call may have on the wire at once.
        stop: Set from outside (a cancelled task) to keep any further request from starting.
    """

    def __init__(
        self,
        *,
        action: str,
        base_url: str,
        token: str,
        api_version: str,
        timeout: float,
        transport: httpx.BaseTransport | None,
        hooks: RequestHooks | None,
        max_in_flight: int = 1,
        stop: threading.Event | None = None,
    ) -> None:
        self.action = action
        self.max_in_flight = max_in_flight
        self._base_url = base_url
        self._slots = threading.BoundedSemaphore(max_in_flight)
        self._stop = threading.Event() if stop is None else stop
        event_hooks: dict[str, list[Any]] = {"request": [self._refuse_when_stopped]}
        if hooks is not None:
            event_hooks = {
                # Checked again after the hook: a rate limiter may have held the request
                # while the call was being cancelled.
                "request": [
                    self._refuse_when_stopped,
                    hooks.before_request,
                    self._refuse_when_stopped,
                ],
                "response": [hooks.after_response],
            }
        self._client = httpx.Client(
            base_url=base_url,
            headers={
                "Authorization": f"Bearer {token}",
                "Intercom-Version": api_version,
                "Accept": "application/json",
                "User-Agent": f"dsr-resolvers/{__version__}",
            },
            timeout=timeout,
            transport=None if transport is None else _BorrowedTransport(transport),
            verify=shared_ssl_context() if transport is None else True,
            event_hooks=event_hooks,
            follow_redirects=False,
            # As many pooled connections as requests in flight, all kept alive: httpcore 1.0
            # closes an idle connection once the pool holds more than max_keepalive, even one
            # just handed to another thread (a ReadError at 32 in flight with the default 20).
            limits=httpx.Limits(
                max_connections=max_in_flight, max_keepalive_connections=max_in_flight
            ),
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._client.close()

    @property
    def stopped(self) -> bool:
        """Whether the call was stopped: no further request will start."""
        return self._stop.is_set()

    def halt(self) -> None:
        """Let no further request of this call start; requests on the wire may finish."""
        self._stop.set()

    def _refuse_when_stopped(self, request: httpx.Request) -> None:
        if self._stop.is_set():
            raise CallStopped(f"the {self.action} call was stopped before this request")

    def request(
        self,
        method: str,
        route: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
    ) -> dict[str, Any] | None:
        """Send one request and apply the taxonomy.

        Args:
            method: The HTTP verb.
            route: The path template, e.g. ``/contacts/{id}``; also what errors show.
            path_params: Values for the template's placeholders, encoded one segment each.
            params: Query parameters.
            json_body: A JSON request body.

        Returns:
            The decoded JSON object, or ``None`` when Intercom answered 404 with its own
            not-found body.

        Raises:
            NotIntercomError: A 404 without Intercom's not-found body.
            IntercomRedirectError: 3xx: the base URL is wrong.
            CredentialsRefusedError: 401 or 403: the token or its scopes.
            IntercomRejectedError: Any other 4xx except 429.
            RateLimitedError: 429.
            IntercomServerError: 5xx (and any other status outside the taxonomy).
            MalformedResponseError: A 2xx whose body is not a JSON object.
            httpx.RequestError: Connection faults, timeouts, a body that cannot be decoded.
            CallStopped: The call was stopped before this request was sent.
        """
        path = route.format_map({k: encode_segment(v) for k, v in (path_params or {}).items()})
        with self._slots, self._scrubbed(method, route):
            response = self._client.request(method, path, params=params, json=json_body)
        status = response.status_code
        if status == 404:
            if intercom_says_absent(response):
                return None
            raise NotIntercomError(self.action)
        if 200 <= status < 300:
            return self._decode(response, method, route)
        request = self._scrubbed_request(method, route)
        if status == 429:
            raise RateLimitedError(
                f"intercom rate-limited the {self.action} request (status=429); retry later",
                request=request,
                response=self._scrubbed_response(response, request),
                retry_after=retry_after_seconds(response.headers),
            )
        if 300 <= status < 400:
            raise IntercomRedirectError(status, self.action)
        if status in CREDENTIAL_STATUSES:
            raise CredentialsRefusedError(status, self.action)
        if 400 <= status < 500:
            raise IntercomRejectedError(status, self.action)
        raise IntercomServerError(
            f"intercom failed the {self.action} request (status={status}); retry later",
            request=request,
            response=self._scrubbed_response(response, request),
        )

    def _decode(self, response: httpx.Response, method: str, route: str) -> dict[str, Any]:
        try:
            body = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            raise self.malformed(method, route, "a body that is not a JSON object")
        return body

    def malformed(
        self,
        method: str,
        route: str,
        what: str,
        kind: type[MalformedResponseError] = MalformedResponseError,
    ) -> MalformedResponseError:
        """A retryable error saying Intercom answered ``route`` with ``what``."""
        return kind(
            f"intercom answered the {self.action} request with {what}; retry later",
            request=self._scrubbed_request(method, route),
        )

    def _scrubbed_request(self, method: str, route: str) -> httpx.Request:
        return httpx.Request(method, self._base_url.rstrip("/") + route)

    @staticmethod
    def _scrubbed_response(response: httpx.Response, request: httpx.Request) -> httpx.Response:
        kept = {
            k: v
            for k, v in response.headers.items()
            if k.lower().startswith(("x-ratelimit", "retry-after"))
        }
        return httpx.Response(response.status_code, headers=kept, request=request)

    @contextmanager
    def _scrubbed(self, method: str, route: str) -> Iterator[None]:
        """Scrub httpx's log line and any request error (transport, decoding) raised."""
        _scrub_httpx_log.current.url = self._base_url.rstrip("/") + route
        try:
            yield
        except httpx.RequestError as exc:
            exc.request = self._scrubbed_request(method, route)
            raise
        finally:
            _scrub_httpx_log.current.url = None
        _log.debug("intercom %s %s", method, route)
