"""What each request of a single-subject command did, seen from the ``RequestHooks`` side.

One :class:`RequestTrace` is attached to every resolver a command builds. It does three jobs
that all need to see each response, and nothing else:

==========================  ===================================================================
Job                         Behaviour
==========================  ===================================================================
``-v/--verbose``            one line on stderr per response: method, route *template*, status,
                            milliseconds, e.g. ``GET /contacts/{id} 200 41 ms``; never an id,
                            a query, a header or a body (a path that matches no known route is
                            shown as ``(other route)``)
a 404 that is not           a 404 whose body is not Intercom's ``error.list`` with a
Intercom's                  ``*not_found`` code comes from a wrong ``--base-url`` (a web page, a
                            proxy), not from an absent contact: it is recorded, and the command
                            stops with a hint to check ``--base-url`` / ``--region`` instead of
                            reporting "no contact"
the spinner                 on a terminal, a spinner on stderr while a call takes longer than a
                            moment (:data:`SPINNER_DELAY`); nothing when stderr is a file or pipe
==========================  ===================================================================
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

import httpx
from rich.console import Console
from rich.text import Text

from dsr_resolvers.intercom import _routes
from dsr_resolvers.intercom._http import Route

__all__ = ["SPINNER_DELAY", "RequestTrace", "is_intercom_not_found", "route_template"]

#: Seconds a call runs before the spinner shows: quick calls never flicker one.
SPINNER_DELAY: Final = 0.4

_ROUTES: Final[tuple[tuple[str, str, tuple[str, ...]], ...]] = tuple(
    (route.method, route.path, tuple(route.path.strip("/").split("/")))
    for route in (
        *(r for r in vars(_routes).values() if isinstance(r, Route)),
        Route("GET", "/me"),  # dsr intercom check's identity probe
    )
)
_STARTED: Final = "dsr_started"


def route_template(method: str, path: str) -> str:
    """The route template a request path matches, e.g. ``/contacts/{id}``; never the path.

    The match is on the last segments, so a base URL with a path prefix still matches; of
    several matches the one with the most literal segments wins (``/contacts/search`` over
    ``/contacts/{id}``).
    """
    segments = path.strip("/").split("/")
    matches = [
        (sum(not part.startswith("{") for part in parts), template)
        for verb, template, parts in _ROUTES
        if verb == method
        and len(parts) <= len(segments)
        and all(
            part.startswith("{") or part == segment
            for part, segment in zip(parts, segments[len(segments) - len(parts) :], strict=True)
        )
    ]
    return max(matches)[1] if matches else "(other route)"


def is_intercom_not_found(response: httpx.Response) -> bool:
    """Whether a 404 is Intercom's: an ``error.list`` with a ``*not_found`` code."""
    try:
        body = json.loads(response.read())
    except (ValueError, UnicodeDecodeError, httpx.HTTPError):
        return False
    if not isinstance(body, dict) or body.get("type") != "error.list":
        return False
    errors = body.get("errors")
    return isinstance(errors, list) and any(
        isinstance(e, dict) and str(e.get("code", "")).endswith("not_found") for e in errors
    )


class RequestTrace:
    """Request hooks for one command (see the module table).

    Args:
        err: The stderr console; ``None`` prints nothing.
        verbose: Print one line per response.
    """

    def __init__(self, err: Console | None = None, *, verbose: bool = False) -> None:
        self._err = err
        self._verbose = verbose and err is not None
        self._foreign_404 = threading.Event()

    def before_request(self, request: httpx.Request) -> None:
        """Stamp the request with its start time."""
        request.extensions[_STARTED] = time.perf_counter()

    def after_response(self, response: httpx.Response) -> None:
        """Check a 404's body; print the ``-v`` line."""
        request = response.request
        if response.status_code == 404 and not is_intercom_not_found(response):
            self._foreign_404.set()
        if self._verbose and self._err is not None:
            started = request.extensions.get(_STARTED)
            elapsed = (time.perf_counter() - started) * 1000 if isinstance(started, float) else 0
            route = route_template(request.method, request.url.path)
            line = f"{request.method} {route} {response.status_code} {elapsed:.0f} ms"
            self._err.print(Text(line, style="dim"), soft_wrap=True)

    def take_foreign_404(self) -> bool:
        """Whether a 404 that is not Intercom's was seen since the last call; resets it."""
        seen = self._foreign_404.is_set()
        self._foreign_404.clear()
        return seen

    @contextmanager
    def waiting(self, label: str) -> Iterator[None]:
        """A spinner on a terminal while the block runs longer than :data:`SPINNER_DELAY`."""
        if self._err is None or not self._err.is_terminal:
            yield
            return
        status = self._err.status(label, spinner="dots")
        timer = threading.Timer(SPINNER_DELAY, status.start)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
            status.stop()
