"""What each request of a command did, seen through ``RequestHooks``.

A :class:`RequestTrace` rides on every resolver a command builds, for the jobs that must see
each request:

| job            | behaviour                                                                 |
|----------------|---------------------------------------------------------------------------|
| ``-v``         | a stderr line per response, e.g. ``GET /contacts/{id} 200 41 ms``: the    |
|                | route *template*, never an id, query, header or body                      |
| the spinner    | on a terminal only, once a call outlasts :data:`SPINNER_DELAY`            |
| beside a limit | :class:`HookChain` runs the bulk ``RateLimiter`` first: ``-v`` times the  |
|                | request, not its wait for a turn                                          |
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

SPINNER_DELAY: Final = 0.4  # seconds before the spinner shows: quick calls never flicker one

_ROUTES: Final = tuple(
    (route.method, route.path, route.path.strip("/").split("/"))
    for route in vars(_routes).values()
    if isinstance(route, Route)
)
_STARTED: Final = "dsr_started"  # the request's start time, in its extensions


def route_template(method: str, path: str) -> str:
    """The template a path ends with, the most literal first; ``(other route)`` for none."""
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
    """Request hooks for one command: ``-v`` lines (when ``verbose``) and the spinner on
    ``err``, the stderr console (``None``: nothing is printed)."""

    def __init__(self, err: Console | None = None, *, verbose: bool = False) -> None:
        self._err = err
        self._verbose = verbose and err is not None

    def before_request(self, request: httpx.Request) -> None:
        request.extensions[_STARTED] = time.perf_counter()

    def after_response(self, response: httpx.Response) -> None:
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
    """Several request hooks as one, called in order: one that raises in ``before_request``
    (the limiter, when a run stops) keeps the later ones from seeing that request."""

    def __init__(self, *hooks: RequestHooks) -> None:
        self._hooks = hooks

    def before_request(self, request: httpx.Request) -> None:
        for hook in self._hooks:
            hook.before_request(request)

    def after_response(self, response: httpx.Response) -> None:
        for hook in self._hooks:
            hook.after_response(response)
