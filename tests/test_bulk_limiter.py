"""The shared rate limiter: pacing from headers, 429 pauses, thread safety.

Every test drives the limiter with an injected clock whose ``sleep`` advances time, against a
small fixed-window server model that counts on the same clock: no real sleeping, and every
figure is exact. One test runs real threads on a shared virtual clock to check the locking.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsr_resolvers.bulk import RateLimiter, RequestAbortedError


@dataclass
class FakeClock:
    now: float = 1_700_000_000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)


@dataclass
class WindowServer:
    """Intercom's rule: ``limit`` calls per fixed window, counted when a request arrives."""

    limit: int
    window: float
    clock: Callable[[], float]
    counts: Counter[int] = field(default_factory=Counter)
    rejected: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, request: httpx.Request, *, extra_calls: int = 0) -> httpx.Response:
        now = self.clock()
        with self.lock:
            index = math.floor(now / self.window)
            self.counts[index] += 1 + extra_calls
            count = self.counts[index]
            if count > self.limit:
                self.rejected += 1
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.limit - count)),
            "X-RateLimit-Reset": repr((index + 1) * self.window),
        }
        status = 429 if count > self.limit else 200
        return httpx.Response(status, headers=headers, request=request)

    def whole_windows(self) -> list[int]:
        """Counts of the windows strictly between the first and the last used."""
        used = sorted(self.counts)
        return [self.counts[i] for i in range(used[0] + 1, used[-1])]


def request() -> httpx.Request:
    return httpx.Request("DELETE", "https://api.intercom.io/contacts/x")


def drive(
    limiter: RateLimiter,
    server: WindowServer,
    clock: FakeClock,
    calls: int,
    *,
    latency: float = 0.0,
) -> list[float]:
    """Send ``calls`` requests one after the other; return the send times."""
    sent = []
    for _ in range(calls):
        req = request()
        limiter.before_request(req)
        sent.append(clock.now)
        clock.now += latency
        limiter.after_response(server.answer(req))
    return sent


def test_first_request_goes_at_once_then_pace_follows_the_headers() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    server = WindowServer(limit=1666, window=10.0, clock=clock)
    sent = drive(limiter, server, clock, 3)
    assert sent[0] == 1_700_000_000.0
    assert limiter.stats.limit == 1666
    # After the first headers the budget is spread over the rest of the window.
    gap = sent[2] - sent[1]
    assert gap == pytest.approx(10.0 / (1666 * 0.99 - 1), rel=0.05)


def test_no_429_and_whole_windows_used_when_alone() -> None:
    clock = FakeClock(now=1_700_000_003.7)
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    server = WindowServer(limit=500, window=10.0, clock=clock)
    drive(limiter, server, clock, 2600)
    assert server.rejected == 0
    windows = server.whole_windows()
    assert len(windows) >= 3
    assert all(0.97 * 500 <= n <= 500 for n in windows), windows


def test_calls_are_spread_over_the_window_not_burst_at_its_start() -> None:
    clock = FakeClock(now=1_700_000_000.0)
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    server = WindowServer(limit=200, window=10.0, clock=clock)
    sent = drive(limiter, server, clock, 600)
    second_window = [t for t in sent if 1_700_000_010 <= t < 1_700_000_020]
    first_half = sum(1 for t in second_window if t < 1_700_000_015)
    assert 0.45 <= first_half / len(second_window) <= 0.55


def test_another_client_of_the_app_lowers_the_estimate_without_429() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    server = WindowServer(limit=300, window=10.0, clock=clock)
    for _ in range(900):
        req = request()
        limiter.before_request(req)
        # Someone else spends one call for each of ours.
        limiter.after_response(server.answer(req, extra_calls=1))
    assert server.rejected == 0
    assert all(n >= 0.9 * 300 for n in server.whole_windows())


def test_a_429_pauses_everyone_until_the_reset() -> None:
    clock = FakeClock(now=1_700_000_004.0)
    limiter = RateLimiter(clock=clock, sleep=clock.sleep, guard=0.05)
    limiter.before_request(first := request())
    limiter.after_response(
        httpx.Response(
            429,
            headers={
                "X-RateLimit-Limit": "100",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": "1700000010",
            },
            request=first,
        )
    )
    limiter.before_request(request())
    assert clock.now == pytest.approx(1_700_000_010.05)
    assert limiter.stats.rate_limited == 1


def test_retry_after_wins_over_reset_and_repeated_429s_back_off() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep, guard=0.0)
    pauses = []
    for _ in range(4):
        req = request()
        before = clock.now
        limiter.before_request(req)
        pauses.append(clock.now - before)
        limiter.after_response(httpx.Response(429, headers={"Retry-After": "0"}, request=req))
    # A reset already reached must not become a tight loop: 0.5 s, then doubling.
    assert pauses == pytest.approx([0.0, 0.5, 1.0, 2.0])


def test_429s_of_requests_already_in_flight_count_as_one_event() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep, guard=0.0)
    burst = [request() for _ in range(5)]
    for req in burst:
        limiter.before_request(req)
    for req in burst:
        limiter.after_response(httpx.Response(429, headers={"Retry-After": "0"}, request=req))
    before = clock.now
    limiter.before_request(request())
    assert clock.now - before == pytest.approx(0.5)


def test_a_lone_header_less_429_waits_a_slot_and_429s_in_a_row_back_off() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep, guard=0.0)
    pauses = []
    for _ in range(5):
        limiter.before_request(req := request())
        limiter.after_response(httpx.Response(429, request=req))
        before = clock.now
        limiter.before_request(probe := request())
        pauses.append(clock.now - before)
        limiter.after_response(httpx.Response(429, request=probe))
    # Each round is two 429s in a row with no success between: a slot, then 0.5 s doubling.
    assert all(p > 0 for p in pauses)
    assert pauses[1:] == pytest.approx([1.0, 4.0, 10.0, 10.0])


@pytest.mark.parametrize("retry_after", ["-5", "-0.5", "soon", "", "nan", "-inf"])
def test_a_negative_or_malformed_retry_after_means_the_default_pause_never_none(
    retry_after: str,
) -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep, guard=0.0)
    pauses = []
    for _ in range(21):
        before = clock.now
        limiter.before_request(req := request())
        pauses.append(clock.now - before)
        limiter.after_response(
            httpx.Response(429, headers={"Retry-After": retry_after}, request=req)
        )
    # The case: 21 requests in under a second. Now every retry waits, 0.5 s doubling.
    assert all(p > 0 for p in pauses[1:])
    assert pauses[2:5] == pytest.approx([0.5, 1.0, 2.0])
    assert sum(pauses) > 21 * 0.5


def test_without_headers_it_starts_at_intercoms_default_and_backs_off_on_429s() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    # No header ever (a proxy strips them): 1,666 calls per 10 s, evenly spread.
    sent = []
    for _ in range(100):
        limiter.before_request(request())
        sent.append(clock.now)
    assert sent[-1] - sent[0] == pytest.approx(99 * 10.0 / 1649, rel=0.05)
    limiter.after_response(httpx.Response(429, request=request()))
    limiter.after_response(httpx.Response(429, request=request()))
    assert repr(limiter) == "RateLimiter(limit=816, window=10.0)"


def test_header_less_429s_lower_the_rate_and_successes_raise_it_again() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    for _ in range(3):
        limiter.before_request(req := request())
        limiter.after_response(httpx.Response(429, request=req))
    # Multiplicative decrease: 30% off each time.
    assert repr(limiter) == "RateLimiter(limit=571, window=10.0)"
    for _ in range(10):
        limiter.before_request(req := request())
        limiter.after_response(httpx.Response(200, request=req))
    # Additive increase: 1/50 of the default per success...
    assert repr(limiter) == f"RateLimiter(limit={571 + 10 * 33}, window=10.0)"
    for _ in range(500):
        limiter.before_request(req := request())
        limiter.after_response(httpx.Response(200, request=req))
    # ... never beyond the documented default.
    assert repr(limiter) == "RateLimiter(limit=1666, window=10.0)"


def test_a_burst_of_header_less_429s_in_flight_lowers_the_rate_once() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    burst = [request() for _ in range(8)]
    for req in burst:
        limiter.before_request(req)
    clock.now += 0.2
    for req in burst:
        limiter.after_response(httpx.Response(429, request=req))
    assert repr(limiter) == "RateLimiter(limit=1166, window=10.0)"


def run_through_proxy(every: int | None, calls: int) -> float:
    """Fake seconds for ``calls`` successes when every ``every``-th answer is a bare 429."""
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    started, done, sent = clock.now, 0, 0
    while done < calls:
        limiter.before_request(req := request())
        sent += 1
        status = 429 if every is not None and sent % every == 0 else 200
        limiter.after_response(httpx.Response(status, request=req))
        done += status == 200
    return clock.now - started


def test_the_rate_recovers_behind_a_proxy_that_strips_headers() -> None:
    clean = run_through_proxy(None, 2000)
    # Before, every bare 429 halved the rate for good: 2% of them made a run 23x slower and
    # 20% stalled it at a request per window (2,000 windows here). One request at a time,
    # with no in-flight burst to merge 429s (the benchmark has them, and reaches 5x), a run
    # stays within 2x at 2% and above a tenth of the rate at 20%.
    assert run_through_proxy(50, 2000) <= 2 * clean
    assert run_through_proxy(5, 2000) <= 10 * clean


@pytest.mark.parametrize(
    ("headers", "most"),
    [
        ({"Retry-After": "100000"}, 10.0),
        ({"Retry-After": "1e12"}, 10.0),
        ({"Retry-After": "inf"}, 10.0),
        ({"Retry-After": "nan"}, 10.0),
        ({"Retry-After": "-3"}, 10.0),
        (
            {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "9e99"},
            60,
        ),
        (
            {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "inf"},
            10,
        ),
    ],
)
def test_a_429_never_pauses_beyond_a_window_whatever_its_headers(
    headers: dict[str, str], most: float
) -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    limiter.before_request(req := request())
    limiter.after_response(httpx.Response(429, headers=headers, request=req))
    before = clock.now
    limiter.before_request(request())
    assert 0 < clock.now - before <= most + 0.1


def test_a_reset_in_milliseconds_is_read_as_milliseconds() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    reset_ms = repr((clock.now + 4.0) * 1000)
    headers = {
        "X-RateLimit-Limit": "100",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": reset_ms,
    }
    limiter.before_request(req := request())
    limiter.after_response(httpx.Response(200, headers=headers, request=req))
    before = clock.now
    limiter.before_request(request())
    assert clock.now - before == pytest.approx(4.0 + 0.05, abs=0.01)


def test_a_stopped_limiter_lets_nothing_through_until_resumed() -> None:
    limiter = RateLimiter()
    limiter.stop()
    with pytest.raises(RequestAbortedError):
        limiter.before_request(request())
    limiter.resume()
    limiter.before_request(request())
    assert limiter.stats.requests == 1


def test_the_window_length_is_learnt_from_consecutive_resets() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    server = WindowServer(limit=100, window=2.0, clock=clock)
    drive(limiter, server, clock, 400)
    assert limiter.stats.window_seconds == 2.0
    assert server.rejected == 0


def test_malformed_headers_are_ignored() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    for headers in (
        {"X-RateLimit-Limit": "lots", "X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "1"},
        {"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "inf"},
        {"X-RateLimit-Limit": "0", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"},
        {},
    ):
        limiter.before_request(req := request())
        limiter.after_response(httpx.Response(200, headers=headers, request=req))
    assert limiter.stats.limit is None
    assert limiter.stats.responses == 4


def test_suggested_concurrency_follows_rate_and_latency() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    # Before anything is known: Intercom's default, 1,666 calls per 10 s, at an assumed 0.25 s.
    assert limiter.suggested_concurrency() == math.ceil(1649 / 10 * 0.25 * 1.5) + 2
    server = WindowServer(limit=1666, window=10.0, clock=clock)
    drive(limiter, server, clock, 50, latency=0.2)
    assert limiter.stats.latency_seconds == pytest.approx(0.2)
    # The 50th request opened a window: its 1,648 calls left are planned to leave in the 9.82 s
    # before the lead just learned (0.2 s of counting delay less 0.02 s of overtaking).
    assert limiter.suggested_concurrency() == math.ceil(1648 / 9.82 * 0.2 * 1.5) + 2


def test_suggested_concurrency_follows_a_window_shorter_than_assumed() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)  # assumes 10-second windows
    server = WindowServer(limit=333, window=2.0, clock=clock)
    drive(limiter, server, clock, 1, latency=0.15)
    # 332 left less 1% headroom: 328 calls to place in the 1.85 s left, ~177 a second, not
    # the 33 a second that 10-second windows would mean.
    assert limiter.suggested_concurrency() == math.ceil(328 / 1.85 * 0.15 * 1.5) + 2


@pytest.mark.parametrize(
    "kwargs",
    [{"assumed_limit": 0}, {"window": 0.0}, {"headroom": 1.0}, {"headroom": -0.1}],
)
def test_bad_configuration_is_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        RateLimiter(**kwargs)  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(
    limit=st.integers(min_value=3, max_value=400),
    window=st.sampled_from([1.0, 2.0, 10.0, 60.0]),
    offset=st.floats(min_value=0.0, max_value=59.0),
    latency=st.floats(min_value=0.0, max_value=0.05),
)
def test_property_never_over_the_limit_in_any_window(
    limit: int, window: float, offset: float, latency: float
) -> None:
    clock = FakeClock(now=1_700_000_000.0 + offset)
    limiter = RateLimiter(clock=clock, sleep=clock.sleep, window=10.0)
    server = WindowServer(limit=limit, window=window, clock=clock)
    drive(limiter, server, clock, 3 * limit + 5, latency=latency)
    assert server.rejected == 0
    assert max(server.counts.values()) <= limit


class ThreadClock:
    """Virtual time for real threads: it moves on only when every live thread sleeps on it,
    straight to the earliest wake-up. A thread queued on the limiter's lock keeps it still, so
    the threads race on the limiter for real while every figure stays exact."""

    def __init__(self, threads: int, now: float = 1_700_000_000.0) -> None:
        self.now = now
        self.live = threads
        self.wakeups: dict[object, float] = {}
        self.cond = threading.Condition()

    def __call__(self) -> float:
        with self.cond:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.cond:
            token = object()
            self.wakeups[token] = wake = self.now + max(0.0, seconds)
            self._advance()
            while self.now < wake:
                self.cond.wait()
            del self.wakeups[token]

    def leave(self) -> None:
        with self.cond:
            self.live -= 1
            self._advance()

    def _advance(self) -> None:
        if self.wakeups and len(self.wakeups) == self.live:
            self.now = max(self.now, min(self.wakeups.values()))
            self.cond.notify_all()


def run_all(threads: list[threading.Thread]) -> None:
    """Start the threads and wait for each (the timeout guards a deadlock, measures nothing)."""
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)


def test_threads_share_the_budget_without_429() -> None:
    """16 real threads, 10 requests each, 5 ms of latency, a 0.5-second window of 40 calls."""
    clock = ThreadClock(threads=16)
    started = clock.now
    server = WindowServer(limit=40, window=0.5, clock=clock)
    limiter = RateLimiter(window=0.5, assumed_limit=10, clock=clock, sleep=clock.sleep)
    sent = Counter[str]()

    def worker(name: str) -> None:
        try:
            for _ in range(10):
                req = request()
                limiter.before_request(req)
                clock.sleep(0.005)
                limiter.after_response(server.answer(req))
                sent[name] += 1
        finally:
            clock.leave()

    run_all([threading.Thread(target=worker, args=(f"w{i}",)) for i in range(16)])
    assert server.rejected == 0
    assert sent == Counter({f"w{i}": 10 for i in range(16)})  # none starved
    # 160 calls at 40 a window need 4 windows (2 s); starting from an assumed 10 a window
    # the limiter takes 6, never the 16 its first assumption would.
    assert clock.now - started <= 3.5


def test_abort_waiting_fails_queued_requests_at_once_and_only_them() -> None:
    queued = threading.Event()

    def frozen() -> float:
        # Time stands still: a queued request can leave only through abort_waiting. The
        # limiter reads the clock holding its lock, which it releases only to wait.
        if threading.current_thread().name == "queued":
            queued.set()
        return 1_700_000_000.0

    limiter = RateLimiter(assumed_limit=1, window=30.0, clock=frozen)
    limiter.before_request(request())  # the window's only call
    outcome: list[BaseException | None] = []

    def waiting() -> None:
        try:
            limiter.before_request(request())
        except RequestAbortedError as exc:
            outcome.append(exc)
        else:
            outcome.append(None)

    thread = threading.Thread(target=waiting, name="queued")
    thread.start()
    assert queued.wait(timeout=60)
    limiter.abort_waiting()
    thread.join(timeout=60)  # without the abort it would wait for ever
    assert not thread.is_alive()
    assert len(outcome) == 1
    assert isinstance(outcome[0], RequestAbortedError)
    # Later requests are paced as usual, not refused.
    clock = FakeClock()
    later = RateLimiter(clock=clock, sleep=clock.sleep)
    later.abort_waiting()
    later.before_request(request())
    assert later.stats.requests == 1


@pytest.mark.parametrize("latency", [0.0, 0.05, 0.15, 0.3])
def test_windows_fill_although_requests_are_counted_a_latency_after_they_leave(
    latency: float,
) -> None:
    """Intercom counts a request when it arrives; the fake, after its latency. Either way the
    limiter learns how long before a reset requests must leave to count in that window, so the
    whole windows are used (at most 1% headroom and one guard's worth left), never exceeded."""
    workers = 24
    clock = ThreadClock(threads=workers, now=1_700_000_000.3)
    server = WindowServer(limit=100, window=2.0, clock=clock)
    limiter = RateLimiter(window=2.0, assumed_limit=100, clock=clock, sleep=clock.sleep)

    def worker() -> None:
        try:
            for _ in range(30):
                req = request()
                limiter.before_request(req)
                clock.sleep(latency)
                limiter.after_response(server.answer(req))
        finally:
            clock.leave()

    run_all([threading.Thread(target=worker) for _ in range(workers)])
    assert server.rejected == 0
    windows = server.whole_windows()
    assert len(windows) >= 4
    assert all(96 <= n <= 100 for n in windows), windows


def test_the_lead_is_learned_from_a_new_window_and_halved_by_a_429() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    server = WindowServer(limit=1666, window=10.0, clock=clock)
    drive(limiter, server, clock, 49, latency=0.2)
    assert limiter.stats.lead_seconds == 0.0  # one window seen: nothing to learn from yet
    drive(limiter, server, clock, 1, latency=0.2)  # sent 0.2 s before the reset, counted after
    assert limiter.stats.lead_seconds == pytest.approx(0.2 - 0.02, abs=1e-4)
    req = request()
    limiter.before_request(req)
    limiter.after_response(httpx.Response(429, request=req))
    assert limiter.stats.lead_seconds == pytest.approx(0.09, abs=1e-4)
