"""Pacing behind a proxy that strips rate-limit headers and answers some requests 429.

Some proxies in front of Intercom drop ``X-RateLimit-*`` and ``Retry-After`` and throttle on
their own. The limiter then has nothing to steer by but the 429s: each lowers its rate, a run
of successes raises it again (additive increase, up to Intercom's documented 1,666 calls per
10 s). This benchmark erases the same number of contacts three times through such a proxy,
in-process against FakeIntercom (limited to 1,666 calls per 10 s, its headers stripped) with
100-300 ms of latency added to every request:

1. clean: the proxy throttles nothing;
2. 2% of requests answered 429 with no header at all (target: within 2x of the clean run);
3. 20% answered so (target: within 5x of the clean run).

Run: ``just bench`` or ``python benchmarks/bench_pacing.py [--quick] [--contacts N]``.
Loopback only (no socket at all: the fake is the resolver's transport); bounded by
``--contacts`` and ``--timeout``; prints a table and asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import threading
import time
from pathlib import Path

import httpx

from dsr_resolvers.bulk import Journal, RateLimiter, journal_key, parse_subjects, run_bulk
from dsr_resolvers.intercom import IntercomResolver
from dsr_resolvers.testing import FakeIntercom

TOKEN = "bench-token"
_STRIPPED = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after")


class ThrottlingProxy(httpx.BaseTransport):
    """Adds latency, answers a share of requests 429 without headers, strips rate headers."""

    def __init__(self, upstream: FakeIntercom, *, share_429: float, seed: int) -> None:
        self._upstream = upstream
        self._share = share_429
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.throttled = 0
        self.passed = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            latency = self._rng.uniform(0.1, 0.3)
            throttle = self._rng.random() < self._share
        time.sleep(latency)
        if throttle:
            with self._lock:
                self.throttled += 1
            return httpx.Response(429, request=request, content=b"Too Many Requests")
        response = self._upstream.handle_request(request)
        with self._lock:
            self.passed += 1
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _STRIPPED]
        return httpx.Response(
            response.status_code, headers=headers, content=response.content, request=request
        )


def one_run(args: argparse.Namespace, share: float, workdir: Path) -> dict[str, float]:
    fake = FakeIntercom(TOKEN, rate_limit=args.rate_limit, rate_window=args.window)
    ids = [fake.add_contact(email=f"person{i}@example.com") for i in range(args.contacts)]
    proxy = ThrottlingProxy(fake, share_429=share, seed=args.seed)
    limiter = RateLimiter()
    resolver = IntercomResolver(TOKEN, transport=proxy, hooks=limiter, timeout=30.0)
    journal_path = workdir / f"erase-{share}.journal"

    async def erase() -> float:
        with Journal(journal_path, key=journal_key(secret=TOKEN)) as journal:
            started = time.perf_counter()
            try:
                summary = await asyncio.wait_for(
                    run_bulk(resolver, "erase", parse_subjects(ids), journal, limiter=limiter),
                    timeout=args.timeout,
                )
            except TimeoutError:
                return float("inf")  # did not finish within --timeout
            wall = time.perf_counter() - started
        if summary.failed:
            raise SystemExit(f"{summary.failed} subjects failed at {share:.0%} 429s")
        return wall

    wall = asyncio.run(erase())
    upstream_429 = sum(1 for request in fake.requests if request.status == 429)
    return {
        "wall": wall,
        "proxy_429": proxy.throttled,
        "upstream_429": upstream_429,
        "requests": proxy.throttled + proxy.passed,
        "left": len(fake.contact_ids()),
    }


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1500)
    parser.add_argument("--rate-limit", type=int, default=1666, help="calls per window")
    parser.add_argument("--window", type=float, default=10.0, help="window length, seconds")
    parser.add_argument("--timeout", type=float, default=180.0, help="per run, seconds")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--quick", action="store_true", help="500 contacts")
    args = parser.parse_args(argv)
    if args.quick:
        args.contacts = 500
    return args


def main(argv: list[str] | None = None) -> None:
    """Run the clean, 2% and 20% runs and print the table."""
    args = parse(argv)
    print(
        f"bulk erase of {args.contacts:,} contacts through a header-stripping proxy: "
        f"{args.rate_limit} calls per {args.window:g} s upstream, 100-300 ms latency"
    )
    with tempfile.TemporaryDirectory(prefix="bench-pacing-") as directory:
        clean = None
        for share, target in ((0.0, None), (0.02, 2.0), (0.20, 5.0)):
            run = one_run(args, share, Path(directory))
            clean = clean or run["wall"]
            ratio = run["wall"] / clean
            verdict = "" if target is None else f" (target <= {target:g}x)"
            print(
                f"{share:>4.0%} header-less 429s  {run['wall']:6.1f} s  {ratio:5.2f}x{verdict}  "
                f"{run['requests']:,.0f} requests, {run['proxy_429']:,.0f} proxy 429s, "
                f"{run['upstream_429']:,.0f} upstream 429s, {run['left']:.0f} contacts left",
                flush=True,
            )


if __name__ == "__main__":
    main()
