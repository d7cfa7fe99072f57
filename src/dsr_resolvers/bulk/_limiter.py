"""A rate limiter shared by every worker of a bulk run, steered by Intercom's own headers.

Intercom counts calls per app in fixed 10-second windows and says where a caller stands on
every response: ``X-RateLimit-Limit`` (calls allowed in the window), ``X-RateLimit-Remaining``
and ``X-RateLimit-Reset`` (Unix time the window ends). The limit differs between workspaces
and apps, so nothing here assumes a number for longer than it takes the first response to
arrive. The limiter plugs into ``IntercomResolver(hooks=...)``: ``before_request`` blocks the
worker thread until its request may go, ``after_response`` reads the headers.

How requests are paced:

| situation                     | what the limiter does                                        |
|-------------------------------|--------------------------------------------------------------|
| before any header arrives,    | assumes 1,666 calls per 10 s (Intercom's documented default, |
| or behind a proxy that strips | 10,000 a minute) and starts at once                          |
| them                          |                                                              |
| a 429 without any header, or  | cuts the assumed limit by 30% (once per burst: 429s of       |
| with a negative or malformed  | requests sent before the last 429 arrived are the same       |
| ``Retry-After``               | news); the next request waits a slot of the lower rate;      |
|                               | 429s in a row with no success between pause everyone 0.5 s, |
|                               | doubling (at most a window)                                  |
| header-less successes         | each raises the assumed limit by 1/50 of the default         |
|                               | (additive increase), never above the default                 |
| inside a window               | spreads the calls left (minus a small headroom) evenly over  |
|                               | the time left to the window's end, so the window is used up  |
|                               | as it ends, without a burst at its start that trips it       |
| requests counted after they   | learns the lead: from the third-earliest request counted in  |
| leave (latency, clock offset) | a new window, how long before a reset requests must leave to |
|                               | count in the window it ends; each window ends that early     |
|                               | (every 429 halves the lead, now and as learned from then on) |
| budget of the window used up  | holds everyone until the reset, then assumes a fresh window  |
| a response from a new window  | adopts its reset and remaining count at once, waking waiters |
| another client shares the app | lowers the estimate to what the headers say, less the calls  |
|                               | still in flight                                              |
| a 429 naming a reset or a     | pauses *every* worker until the reset it names (at least     |
| ``Retry-After``               | 0.5 s, doubling while 429s repeat), then a fresh window      |
| two different resets          | learns the window length from their distance                 |
| a Retry-After beyond one      | clamped to one window (a reset: to a minute, the longest     |
| window, a reset beyond a      | window any published limit uses): never slept on. A reset in |
| minute, non-finite values, a  | milliseconds is read as milliseconds; a non-finite value is  |
| reset in milliseconds         | ignored                                                      |
| ``stop()`` (a refused token)  | every request from then on fails before it is sent, until    |
|                               | ``resume()``                                                 |

Each request reserves a time slot under a lock and sleeps until it, so waiting threads do not
wake each other; an event that changes the plan (a 429, a new window) wakes them all to
reserve again. The clock is wall time because the reset header is wall time; tests inject a
clock and a sleep function and run without real sleeps.
"""

from __future__ import annotations

import bisect
import contextvars
import itertools
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import httpx

__all__ = [
    "LimiterStats",
    "RateLimiter",
    "RequestAbortedError",
    "SentCounter",
    "bounded_retry_after",
]

_LONGEST_WINDOW: Final = 60.0
"""The furthest a reset header may lie ahead: a per-minute window, the longest published."""

_PAUSE: Final = 0.5
"""The default pause after a 429, doubling while 429s repeat (a header-less one: from the
second 429 in a row)."""

_DECREASE: Final = 0.7
"""Without headers, a 429 cuts the assumed limit to this share of itself (once per burst)."""

_RECOVERY_STEPS: Final = 50
"""Without headers, successes raise the limit by this share of the assumed one (1/50 each)."""

_OVERTAKE: Final = 0.02
"""How much earlier a request may have been sent and still be counted after another (threads
race to the wire)."""

_LEAD_SAMPLES: Final = 3
"""The lead is learned from the third-earliest request counted in a new window."""

_STALE_REQUEST_SECONDS: Final = 120.0
"""A request with no response after this long failed in transport; stop counting it."""


class SentCounter:
    """Counts the requests a limiter lets through in the context it is :meth:`watching` in.

    The bulk runner watches each subject's attempt with one, so that an interrupted run can
    tell a subject with a request on the wire (in doubt) from one still waiting for its slot
    (a 429 pause): the resolver's worker threads run in a copy of the caller's context.
    """

    __slots__ = ("sent",)

    def __init__(self) -> None:
        self.sent = 0

    def watching(self) -> contextvars.Token[SentCounter | None]:
        """Count from now on in the current context; give the token back to ``_WATCH.reset``."""
        self.sent = 0
        return _WATCH.set(self)


_WATCH: Final[contextvars.ContextVar[SentCounter | None]] = contextvars.ContextVar(
    "dsr_sent_counter", default=None
)


class RequestAbortedError(RuntimeError):
    """A request was waiting for its slot when the run it belonged to stopped; never sent."""


@dataclass(frozen=True, slots=True)
class LimiterStats:
    """Counters of a :class:`RateLimiter`.

    Attributes:
        requests: Requests let through.
        responses: Responses seen.
        rate_limited: 429 answers seen.
        limit: Calls per window from the latest headers; ``None`` before any arrived.
        window_seconds: The window length in use.
        latency_seconds: Smoothed time from sending a request to its response headers.
        lead_seconds: How long before a reset requests must leave to count in the window it
            ends, as learned (0 until two windows were seen; halved by every 429).
    """

    requests: int
    responses: int
    rate_limited: int
    limit: int | None
    window_seconds: float
    latency_seconds: float | None
    lead_seconds: float = 0.0


class RateLimiter:
    """Paces the requests of all workers of a bulk run to Intercom's announced rate limit.

    Thread-safe; implements the resolver's ``RequestHooks``. Share one instance between every
    resolver of a run (and, ideally, every process using the same Intercom app).

    Args:
        assumed_limit: Calls per window assumed until the first headers arrive.
        window: The window length in seconds assumed until two resets reveal it
            (Intercom: 10).
        headroom: The share of each window's calls left unused, as a margin for other
            clients of the app between two responses and for clock skew.
        guard: Seconds waited past a reset before assuming the new window has begun.
        clock: Wall-clock time in seconds, comparable to ``X-RateLimit-Reset``.
        sleep: A function that sleeps for the given seconds; by default the limiter waits
            on a condition so that a 429 or a new window can wake sleeping workers early.

    Example:
        >>> limiter = RateLimiter()
        >>> resolver = IntercomResolver(token, hooks=limiter)
    """

    def __init__(
        self,
        *,
        assumed_limit: int = 1666,
        window: float = 10.0,
        headroom: float = 0.01,
        guard: float = 0.05,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        if assumed_limit < 1:
            raise ValueError("assumed_limit must be at least 1")
        if window <= 0:
            raise ValueError("window must be a positive number of seconds")
        if not 0 <= headroom < 1:
            raise ValueError("headroom must be in [0, 1)")
        self._clock = clock
        self._sleep = sleep
        self._cond = threading.Condition()
        self._limit = assumed_limit
        self._ceiling = assumed_limit
        self._step = max(1, assumed_limit // _RECOVERY_STEPS)
        self._limit_known = False
        self._window = window
        self._window_learned = False
        self._headroom = headroom
        self._guard = guard
        self._tolerance = min(1.0, window / 4)
        self._window_end: float | None = None
        self._server_reset: float | None = None
        # The lead: how long before a reset a request must leave to be counted in the window
        # that reset ends, learned from the earliest-sent request counted in the window after.
        self._previous_reset: float | None = None
        self._earliest_counted: list[float] = []
        self._lead = 0.0
        self._lead_trust = 1.0  # halved by every 429: a lead too long is one cause
        self._reserved = 0
        # Reservations made since the plan last changed: the older ones are made again.
        self._reserved_now = 0
        self._remaining = 0.0
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._generation = 0
        self._abort_epoch = 0
        self._stopped = False
        # In flight, by a token the request carries (never ``id()``: a finished request's id
        # is reused by a new object, which would then inherit a stale send time).
        self._pending: dict[int, float] = {}
        self._tokens = itertools.count()
        self._consecutive_429 = 0
        self._last_pause_at = -math.inf
        self._requests = 0
        self._responses = 0
        self._rate_limited = 0
        self._latency: float | None = None

    def __repr__(self) -> str:
        return f"RateLimiter(limit={self._limit}, window={self._window})"

    # -- RequestHooks ----------------------------------------------------------------------

    def before_request(self, request: httpx.Request) -> None:
        """Block the calling thread until ``request`` may be sent without tripping the limit.

        Raises:
            RequestAbortedError: :meth:`abort_waiting` was called while the request waited.
        """
        with self._cond:
            generation = self._generation
            epoch = self._abort_epoch
            if self._stopped:
                raise RequestAbortedError("the bulk run stopped; the request was not sent")
            slot = self._reserve(self._clock())
            while True:
                now = self._clock()
                if self._abort_epoch != epoch or self._stopped:
                    self._release(generation)
                    raise RequestAbortedError("the bulk run stopped; the request was not sent")
                if self._generation != generation:
                    # The plan changed while we slept (a 429, a new window): reserve again.
                    self._release(generation)
                    generation = self._generation
                    slot = self._reserve(now)
                    continue
                if now >= slot:
                    break
                self._wait(slot - now)
            self._release(generation)
            self._requests += 1
            counter = _WATCH.get()
            if counter is not None:
                counter.sent += 1
            self._forget_stale(now)
            token = next(self._tokens)
            request.extensions[_SENT_KEY] = token
            self._pending[token] = now

    def after_response(self, response: httpx.Response) -> None:
        """Learn the limit, the calls left and the reset from ``response``'s headers."""
        now = self._clock()
        with self._cond:
            headers = _RateHeaders.parse(
                response.headers, now=now, window=max(self._window, _LONGEST_WINDOW)
            )
            self._responses += 1
            request_id = _request_id(response)
            sent_at = None if request_id is None else self._pending.pop(request_id, None)
            if sent_at is not None:
                latency = max(0.0, now - sent_at)
                self._latency = (
                    latency if self._latency is None else 0.9 * self._latency + 0.1 * latency
                )
            if response.status_code == 429:
                self._on_rate_limited(now, response, headers, sent_at)
            else:
                self._consecutive_429 = 0
                if headers is not None:
                    self._on_headers(now, headers, sent_at)
                elif not self._limit_known:
                    self._recover(now)

    def abort_waiting(self) -> None:
        """Fail every request waiting for its slot right now; later requests are paced as usual.

        A cancelled run calls this so that no request it had queued leaves after it stopped
        (and so that shutting down does not wait for a window to reset).
        """
        with self._cond:
            self._abort_epoch += 1
            self._cond.notify_all()

    def stop(self) -> None:
        """Refuse every request from now on (waiting ones too) until :meth:`resume`.

        A run that must not send anything more (Intercom refused the token, a local write
        failed) calls this, so that subjects in flight stop before their next request.
        """
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def resume(self) -> None:
        """Let requests through again after :meth:`stop`."""
        with self._cond:
            self._stopped = False

    # -- introspection ---------------------------------------------------------------------

    @property
    def stats(self) -> LimiterStats:
        """A snapshot of the limiter's counters."""
        with self._cond:
            return LimiterStats(
                requests=self._requests,
                responses=self._responses,
                rate_limited=self._rate_limited,
                limit=self._limit if self._limit_known else None,
                window_seconds=self._window,
                latency_seconds=self._latency,
                lead_seconds=self._lead,
            )

    def suggested_concurrency(self, *, assumed_latency: float = 0.25) -> int:
        """How many requests should be in flight to use the whole rate (Little's law).

        The allowed rate times the observed latency gives the requests in flight needed to
        keep the pace; half as many again covers the time a worker spends between requests.
        The rate is the larger of the long-run one (calls per window) and the pace the current
        window asks for (calls left over time left, at least a second), so that a window that
        turns out shorter than assumed, or a run behind its schedule, gets workers at once.

        Args:
            assumed_latency: Seconds per request assumed until latency has been measured.

        Returns:
            At least 1.
        """
        with self._cond:
            rate = self._budget() / self._window
            if self._window_end is not None:
                time_left = max(1.0, self._window_end - self._clock())
                rate = max(rate, (self._remaining + self._reserved) / time_left)
            latency = assumed_latency if self._latency is None else self._latency
        return max(1, math.ceil(rate * latency * 1.5) + 2)

    # -- the plan (call with the lock held) -------------------------------------------------

    def _budget(self) -> float:
        return max(1.0, math.floor(self._limit * (1 - self._headroom)))

    def _reserve(self, now: float) -> float:
        """Reserve the next slot at or after ``now`` and return its time."""
        start = max(now, self._next_slot, self._paused_until)
        end = self._window_end
        if end is None:
            end = start + self._window
            self._open_window(end)
        elif start >= end:
            # Our window is over: assume the next one is fresh until headers say otherwise.
            end = self._following(end, start)
            self._open_window(end)
        if self._remaining < 1:
            # The window's calls are spent: the next one goes once the window has reset.
            start = max(start, end + self._guard)
            end = self._following(end, start)
            self._open_window(end)
        interval = max(0.0, end - start) / self._remaining
        self._remaining -= 1
        self._reserved += 1
        self._reserved_now += 1
        self._next_slot = start + interval
        return start

    def _following(self, end: float, at: float) -> float:
        """The end of the window that contains ``at``, if windows follow ``end`` back to back."""
        if at >= end:
            end += self._window * (1 + math.floor((at - end) / self._window))
        return end

    def _open_window(self, end: float) -> None:
        self._window_end = end
        self._remaining = self._budget()

    def _on_headers(self, now: float, headers: _RateHeaders, sent_at: float | None) -> None:
        self._limit = headers.limit
        self._limit_known = True
        # Calls still in flight may or may not be counted yet, depending on when the server
        # counts; assuming they are not is the safe side of the error.
        left = headers.remaining - len(self._pending) - (self._limit - self._budget())
        latest = self._server_reset
        if latest is None or headers.reset > latest + self._tolerance:
            # The server has opened a window: adopt its reset and count. Every waiting worker
            # reserves again against it, so reservations are not subtracted.
            if latest is not None:
                self._learn_window(headers.reset - latest)
            self._server_reset, self._previous_reset = headers.reset, latest
            self._earliest_counted = []
            self._learn_lead(sent_at)
            self._window_end = headers.reset - self._lead
            self._remaining = max(0.0, left)
            self._next_slot = min(self._next_slot, now)
            self._wake()
        elif headers.reset >= latest - self._tolerance and (
            self._window_end is None or self._window_end <= headers.reset + self._tolerance
        ):
            # Same window as planned: the server may know of calls we did not make (another
            # client of the app), never of fewer than ours, so only ever lower the estimate.
            self._learn_lead(sent_at)
            self._window_end = headers.reset - self._lead
            self._remaining = max(0.0, min(self._remaining, left - self._reserved_now))
        # Otherwise the response was counted in a window that is already over.

    def _learn_lead(self, sent_at: float | None) -> None:
        # A request counted in this window left at or after the moment from which requests
        # land in it, so the previous reset minus its send time never exceeds the true lead
        # (the server's clock offset plus its delay in counting): planning each window to end
        # that much before its reset fills the server's window without spilling into the next.
        # The third-earliest send time is used, so that one request held up between its slot
        # and the wire (a busy process) cannot stretch the lead. An idle spell before the
        # reset gives 0, the plan without a lead.
        if sent_at is None or self._previous_reset is None:
            return
        earliest = self._earliest_counted
        if len(earliest) == _LEAD_SAMPLES and sent_at >= earliest[-1]:
            return
        bisect.insort(earliest, sent_at)
        del earliest[_LEAD_SAMPLES:]
        lead = (self._previous_reset - earliest[-1] - _OVERTAKE) * self._lead_trust
        self._lead = min(max(0.0, lead), self._window / 4)

    def _learn_window(self, gap: float) -> None:
        # Two resets are a whole number of windows apart: the first gap seen replaces the
        # assumption, later ones can only reveal a shorter window (after an idle spell the
        # gap spans several).
        if self._window_learned:
            self._window = min(self._window, gap)
        else:
            self._window = gap
            self._window_learned = True
        self._tolerance = min(1.0, self._window / 4)

    def _recover(self, now: float) -> None:
        # Additive increase: without headers, each success wins back a little of what the
        # 429s took, never beyond the assumed (documented default) limit.
        if self._limit >= self._ceiling:
            return
        step = min(self._step, self._ceiling - self._limit)
        self._limit += step
        if self._window_end is not None and self._window_end > now:
            self._remaining += step * (self._window_end - now) / self._window

    def _on_rate_limited(
        self,
        now: float,
        response: httpx.Response,
        headers: _RateHeaders | None,
        sent_at: float | None,
    ) -> None:
        self._rate_limited += 1
        self._lead_trust /= 2
        self._lead /= 2
        # Requests already in flight when a pause began come back 429 as one burst: only a
        # 429 for a request sent after the last pause began is news that the pause was short.
        news = sent_at is None or sent_at > self._last_pause_at
        if news:
            self._consecutive_429 += 1
        self._last_pause_at = now
        reset_at = _retry_at(response, headers, now, self._window)
        if headers is not None:
            self._limit = headers.limit
            self._limit_known = True
        elif not self._limit_known:
            # No header to steer by (a proxy strips them): the limit assumed was too high.
            # Multiplicative decrease, once per burst; successes win it back (_recover).
            if not news:
                return
            self._limit = max(1, math.floor(self._limit * _DECREASE))
        # At least a short pause, doubling while 429s repeat: a reset already in the past
        # (clock skew, a proxy's 429) must not turn into a tight retry loop.
        if headers is not None or reset_at is not None:
            floor = min(self._window, _PAUSE * 2 ** max(0, self._consecutive_429 - 1))
        elif self._consecutive_429 > 1:
            # 429s repeat with no success between: the proxy's window is spent. Back off.
            floor = min(self._window, _PAUSE * 2 ** (self._consecutive_429 - 2))
        else:
            # A lone 429 among successes: the lowered rate is the pause; the next request
            # waits at least one slot of it.
            floor = self._window / self._budget()
        resume_at = max((now if reset_at is None else reset_at) + self._guard, now + floor)
        self._paused_until = max(self._paused_until, resume_at)
        self._window_end = self._paused_until
        self._remaining = 0.0
        self._wake()

    def _release(self, generation: int) -> None:
        """Give back a reservation made in ``generation``."""
        self._reserved -= 1
        if generation == self._generation:
            self._reserved_now -= 1

    def _wake(self) -> None:
        self._generation += 1
        self._reserved_now = 0
        self._cond.notify_all()

    def _wait(self, seconds: float) -> None:
        if self._sleep is None:
            self._cond.wait(seconds)
            return
        self._cond.release()
        try:
            self._sleep(seconds)
        finally:
            self._cond.acquire()

    def _forget_stale(self, now: float) -> None:
        # Requests that failed in transport never get an after_response; without this they
        # would count as "in flight" forever and shrink every later estimate.
        horizon = now - _STALE_REQUEST_SECONDS
        if len(self._pending) > 64 and min(self._pending.values()) < horizon:
            self._pending = {key: sent for key, sent in self._pending.items() if sent >= horizon}


@dataclass(frozen=True, slots=True)
class _RateHeaders:
    limit: int
    remaining: int
    reset: float

    @classmethod
    def parse(cls, headers: httpx.Headers, *, now: float, window: float) -> _RateHeaders | None:
        try:
            limit = int(headers["x-ratelimit-limit"])
            remaining = int(headers["x-ratelimit-remaining"])
            reset = float(headers["x-ratelimit-reset"])
        except (KeyError, ValueError):
            return None
        bounded = _bounded_reset(reset, now, window)
        if limit < 1 or remaining < 0 or bounded is None:
            return None
        return cls(limit, min(remaining, limit), bounded)


def _bounded_reset(reset: float, now: float, window: float) -> float | None:
    """A reset time no later than one window from now; ``None`` when it cannot be one.

    Intercom sends Unix seconds. A value a thousand times too large is milliseconds; anything
    further than a window ahead is clamped, so a wrong header can cost a window, never a hang.
    """
    if not math.isfinite(reset):
        return None
    if reset > now + 100 * window and math.isfinite(reset / 1000) and reset / 1000 < now * 10:
        reset /= 1000
    return min(reset, now + window)


_SENT_KEY: Final = "dsr_resolvers.limiter_token"
"""The key of the request extension that names a request to the limiter that sent it."""


def _request_id(response: httpx.Response) -> int | None:
    try:
        token = response.request.extensions.get(_SENT_KEY)
    except RuntimeError:  # a response built without a request
        return None
    return token if isinstance(token, int) else None


def bounded_retry_after(value: object, *, most: float) -> float | None:
    """A ``Retry-After`` in seconds, at most ``most``; ``None`` when unusable.

    Negative and non-finite values (``-5``, ``inf``, ``nan``) and text that is not a number
    are unusable: the caller takes its default pause, never none. A value above ``most``
    (``100000``, ``1e12``) is clamped rather than slept on or refused.
    """
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return min(seconds, most)


def _retry_at(
    response: httpx.Response, headers: _RateHeaders | None, now: float, window: float
) -> float | None:
    retry_after = bounded_retry_after(response.headers.get("retry-after"), most=window)
    if retry_after is not None:
        return now + retry_after
    return None if headers is None else headers.reset
