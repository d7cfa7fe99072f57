"""What each request of a single-subject command did, seen from the ``RequestHooks`` side.

One :class:`RequestTrace` is attached to every resolver a command builds (and to the client
``dsr intercom check`` probes with). It does the two jobs that need to see each request:

==========================  ===================================================================
Job                         Behaviour
==========================  ===================================================================
``-v/--verbose``            one line on stderr per response: method, route *template*, status,
                            milliseconds, e.g. ``GET /contacts/{id} 200 41 ms``; never an id,
                            a query, a header or a body (a path that matches no known route is
                            shown as ``(other route)``)
the spinner                 on a terminal, a spinner on stderr while a call takes longer than a
                            moment (:data:`SPINNER_DELAY`); nothing when stderr is a file or pipe
beside other hooks          :class:`HookChain` calls the bulk ``RateLimiter`` first (it may
                            block to pace the request), then the trace, so ``-v`` on a bulk run
                            times the request, not the wait for its turn
==========================  ===================================================================

A 404 that is not Intercom's needs no hook: the resolver raises ``NotIntercomError`` for it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

import httpx
from rich.console import Console
from rich.text import Text

from dsr_resolvers.intercom import RequestHooks, _routes
from dsr_resolvers.intercom._http import Route

__all__ = ["SPINNER_DELAY", "HookChain", "RequestTrace", "route_template"]

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


class RequestTrace:
    """Request hooks for one command: the ``-v`` lines and the spinner.

    Args:
        err: The stderr console; ``None`` prints nothing.
        verbose: Print one line per response.
    """

    def __init__(self, err: Console | None = None, *, verbose: bool = False) -> None:
        self._err = err
        self._verbose = verbose and err is not None

    def before_request(self, request: httpx.Request) -> None:
        """Stamp the request with its start time."""
        request.extensions[_STARTED] = time.perf_counter()

    def after_response(self, response: httpx.Response) -> None:
        """Print the ``-v`` line."""
        request = response.request
        if self._verbose and self._err is not None:
            started = request.extensions.get(_STARTED)
            elapsed = (time.perf_counter() - started) * 1000 if isinstance(started, float) else 0
            route = route_template(request.method, request.url.path)
            line = f"{request.method} {route} {response.status_code} {elapsed:.0f} ms"
            self._err.print(Text(line, style="dim"), soft_wrap=True)

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


class HookChain:
    """Several request hooks as the one ``IntercomResolver(hooks=...)`` takes, called in order.

    Args:
        hooks: The hooks, first called first; a hook that raises in ``before_request`` (the
            limiter, when the run stops) keeps the later ones from seeing that request.
    """

    def __init__(self, *hooks: RequestHooks) -> None:
        self._hooks = hooks

    def before_request(self, request: httpx.Request) -> None:
        """Call each hook's ``before_request``."""
        for hook in self._hooks:
            hook.before_request(request)

    def after_response(self, response: httpx.Response) -> None:
        """Call each hook's ``after_response``."""
        for hook in self._hooks:
            hook.after_response(response)
