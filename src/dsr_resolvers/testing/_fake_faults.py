"""Scheduled failures for FakeIntercom, so a test can aim one at an exact request.

A fault matches one route (or every route when ``route`` is None). One-shot faults fire in the
order they were scheduled; a persistent fault (``fail_route``) fires on every matching request
that no one-shot fault claimed, until the faults are cleared.

=================  ===========================================================================
Kind               Effect on the matching request
=================  ===========================================================================
``fail``           not processed; answered with ``status`` and an ``error.list`` body
``reset``          connection reset; with ``after_processing`` the state change happens
                   first and only the answer is lost
``timeout``        not processed; the client times out
``malformed``      not processed; answered 200 with a body that is not JSON
``not_intercom``   not processed; answered 404 with an HTML page, not Intercom's body
``repeat_cursor``  processed; the page's next cursor is the cursor the request sent (on the
                   first page, a cursor that leads back to the first page). Claimed only by
                   responses that are paged.
=================  ===========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Fault", "FaultKind", "FaultSchedule", "InjectedFault"]

FaultKind = Literal["fail", "reset", "timeout", "malformed", "not_intercom", "repeat_cursor"]


@dataclass
class Fault:
    kind: FaultKind
    route: str | None
    remaining: int | None  # None: persistent
    status: int = 503
    headers: tuple[tuple[str, str], ...] = ()
    after_processing: bool = False

    def matches(self, route: str) -> bool:
        return self.route is None or self.route == route


@dataclass(frozen=True)
class InjectedFault:
    """A failure scheduled when the fake is built: ``FakeIntercom(faults=[...])``.

    The same faults as the ``fail_next`` / ``fail_route`` / ``reset_next`` / ``timeout_next`` /
    ``malformed_next`` / ``repeat_cursor_next`` methods, as a value a fixture can hold.

    Attributes:
        kind: ``"fail"``, ``"reset"``, ``"timeout"``, ``"malformed"``, ``"not_intercom"`` or
            ``"repeat_cursor"``.
        times: How many matching requests it strikes; ``None`` (``"fail"`` and
            ``"not_intercom"`` only) strikes every
            matching request until ``clear_faults``.
        route: The route it aims at, e.g. ``"DELETE /contacts/{id}"``; ``None`` for any.
        status: The status a ``"fail"`` answers with.
        after_processing: For ``"reset"``: apply the request's change, then lose the answer.

    Example:
        >>> InjectedFault("fail", times=2, route="DELETE /contacts/{id}", status=429)
        InjectedFault(kind='fail', times=2, route='DELETE /contacts/{id}', status=429, after_processing=False)
    """  # noqa: E501

    kind: FaultKind
    times: int | None = 1
    route: str | None = None
    status: int = 503
    after_processing: bool = False

    def __post_init__(self) -> None:
        if self.times is None and self.kind not in ("fail", "not_intercom"):
            raise ValueError(
                "only 'fail' and 'not_intercom' faults can strike every request (times=None)"
            )
        if self.times is not None and self.times < 1:
            raise ValueError("times must be at least 1")
        if self.after_processing and self.kind != "reset":
            raise ValueError("after_processing applies to 'reset' faults only")

    def scheduled(self) -> Fault:
        """The schedule entry this fault becomes."""
        return Fault(
            self.kind,
            self.route,
            self.times,
            status=self.status,
            after_processing=self.after_processing,
        )


class FaultSchedule:
    """The pending faults. Not thread-safe: FakeIntercom holds the lock."""

    def __init__(self) -> None:
        self._once: list[Fault] = []
        self._persistent: list[Fault] = []

    def add(self, fault: Fault) -> None:
        if fault.remaining is None:
            self._persistent.append(fault)
        elif fault.remaining > 0:
            self._once.append(fault)

    def clear(self) -> None:
        self._once.clear()
        self._persistent.clear()

    def pending(self) -> int:
        """How many one-shot firings are still scheduled."""
        return sum(f.remaining or 0 for f in self._once)

    def take(self, route: str) -> Fault | None:
        """Claim the fault that replaces or disrupts this request, if any."""
        for fault in self._once:
            if fault.kind != "repeat_cursor" and fault.matches(route):
                self._use(fault)
                return fault
        for fault in self._persistent:
            if fault.matches(route):
                return fault
        return None

    def repeat_cursor_for(self, route: str) -> Fault | None:
        """The next repeat-cursor fault for this route, without claiming it."""
        return next((f for f in self._once if f.kind == "repeat_cursor" and f.matches(route)), None)

    def use(self, fault: Fault) -> None:
        self._use(fault)

    def _use(self, fault: Fault) -> None:
        assert fault.remaining is not None  # one-shot faults only
        fault.remaining -= 1
        if fault.remaining <= 0:
            self._once.remove(fault)
