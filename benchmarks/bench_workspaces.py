"""Bulk erasure over three workspaces at once: three rate ceilings, one process.

Three FakeIntercoms are served on 127.0.0.1, each its own workspace with its own rate limit
(200 calls per 2 s by default) and an added latency per request (0.15 s). Each holds the same
1,000 people, found by email. One bulk erase, in a child process exactly as an operator's
command would run it, works through the input in all three workspaces side by side: one
resolver per workspace (``IntercomResolver(name=...)``), each with its own ``RateLimiter``.

Reported: wall time, requests per second against the three ceilings combined (target at least
0.9), each workspace's share of its own ceiling, 429s (target 0), failures (target 0), contacts
left (target 0).

Run: ``just bench`` or ``python benchmarks/bench_workspaces.py [--quick] [--subjects N]``.
Loopback only; bounded by ``--subjects`` and ``--timeout``; prints a table and asserts nothing
about time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from dsr_resolvers.bulk import Journal, RateLimiter, journal_key, read_subjects, run_bulk
from dsr_resolvers.intercom import IntercomResolver
from dsr_resolvers.testing import FakeIntercom

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_bulk import print_table, watch

TOKEN = "bench-token"
NAMES = ("ws-a", "ws-b", "ws-c")


def child(args: argparse.Namespace) -> None:
    """The bulk erasure over every workspace, against the fakes' base URLs."""
    limiters = {name: RateLimiter() for name in NAMES}
    resolvers = [
        IntercomResolver(TOKEN, base_url=url, hooks=limiters[name], timeout=30.0, name=name)
        for name, url in zip(NAMES, args.base_url, strict=True)
    ]

    async def erase() -> dict[str, Any]:
        with Journal(args.journal, key=journal_key(secret=TOKEN)) as journal:
            started = time.perf_counter()
            summary = await run_bulk(
                resolvers, "erase", read_subjects(args.input), journal, limiter=limiters
            )
            wall = time.perf_counter() - started
        return {
            "wall": wall,
            "summary": summary.model_dump(mode="json"),
            "elapsed": {s.workspace: s.elapsed_seconds for s in summary.workspaces},
            "cpu": _cpu_seconds(resource.RUSAGE_SELF),
        }

    print(json.dumps(asyncio.run(erase())), flush=True)


def _cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run(args: argparse.Namespace, workdir: Path) -> list[tuple[str, str]]:
    fakes = [
        FakeIntercom(
            TOKEN, rate_limit=args.rate_limit, rate_window=args.window, latency=args.latency
        )
        for _ in NAMES
    ]
    emails = [f"person{i}@example.com" for i in range(args.subjects)]
    for fake in fakes:
        for email in emails:
            fake.add_contact(email=email)
    (workdir / "subjects.txt").write_text("\n".join(emails) + "\n")
    ceiling = args.rate_limit / args.window
    fakes_cpu = _cpu_seconds(resource.RUSAGE_SELF)
    with contextlib.ExitStack() as stack:
        urls = [stack.enter_context(fake.serve()) for fake in fakes]
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            "--input",
            str(workdir / "subjects.txt"),
            "--journal",
            str(workdir / "erase.journal"),
            *(arg for url in urls for arg in ("--base-url", url)),
        ]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603
        per_window = watch(
            lambda: sum(fake.count() for fake in fakes), process, args.window, args.timeout
        )
        try:
            out, _ = process.communicate(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
    fakes_cpu = _cpu_seconds(resource.RUSAGE_SELF) - fakes_cpu
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        return [("run", f"child exited {process.returncode} without a report")]
    report = json.loads(lines[-1])
    wall, summary = report["wall"], report["summary"]
    requests = sum(fake.count() for fake in fakes)
    refused = sum(1 for fake in fakes for r in fake.requests if r.status == 429)
    per_workspace = " ".join(
        f"{name} {fake.count() / report['elapsed'][name] / ceiling:.3f}"
        for name, fake in zip(NAMES, fakes, strict=True)
    )
    return [
        ("subjects", f"{len(NAMES)} x {args.subjects:,} (by email: 4 requests each)"),
        ("wall time", f"{wall:.1f} s (ideal {requests / (len(NAMES) * ceiling):.1f} s)"),
        (
            "achieved rate",
            f"{requests / wall:.1f} requests/s of {len(NAMES) * ceiling:.1f} (three ceilings)",
        ),
        ("share of the three ceilings (target >= 0.9)", f"{requests / wall / (3 * ceiling):.3f}"),
        ("share of its own ceiling, per workspace", per_workspace),
        (
            "calls per whole window, three workspaces",
            (
                f"{' '.join(str(n) for n in per_window)} (limit {len(NAMES)} x "
                f"{args.rate_limit}; mean share "
                f"{sum(per_window) / len(per_window) / (len(NAMES) * args.rate_limit):.3f})"
            )
            if per_window
            else "run shorter than two windows",
        ),
        ("requests refused for rate, 429 (target 0)", str(refused)),
        (
            "CPU: the run / the three fakes",
            f"{report['cpu']:.1f} s / {fakes_cpu:.1f} s in {wall:.1f} s "
            f"({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})",
        ),
        ("failures (target 0)", str(summary["failed"])),
        ("contacts left (target 0)", str(sum(len(fake.contact_ids()) for fake in fakes))),
    ]


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--subjects", type=int, default=1000, help="people per workspace")
    parser.add_argument("--rate-limit", type=int, default=200, help="calls per window")
    parser.add_argument("--window", type=float, default=2.0, help="window length, seconds")
    parser.add_argument("--latency", type=float, default=0.15, help="added per request, s")
    parser.add_argument("--timeout", type=float, default=180.0, help="for the run, seconds")
    parser.add_argument("--quick", action="store_true", help="300 subjects: a short version")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", action="append", help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--journal", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.subjects = 300
    return args


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark (or, with the hidden ``--child``, the bulk run)."""
    args = parse(argv)
    if args.child:
        child(args)
        return
    print(
        f"bulk erase over {len(NAMES)} workspaces (FakeIntercoms on 127.0.0.1): each "
        f"{args.rate_limit} calls per {args.window:g} s, {args.latency:g} s latency"
    )
    with tempfile.TemporaryDirectory(prefix="bench-workspaces-") as directory:
        print_table("one run, three workspaces", run(args, Path(directory)))


if __name__ == "__main__":
    main()
