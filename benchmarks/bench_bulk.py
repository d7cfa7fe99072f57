"""Bulk erasure at the rate-limit ceiling, and a run SIGKILLed at 50% then resumed.

FakeIntercom is served on 127.0.0.1 with Intercom's per-window rate limit (1,666 calls per
10 s by default) and an added latency per request (0.15 s by default, Intercom's order of
magnitude), so reaching the ceiling needs ~25 requests in flight. Each bulk run happens in a
child process, exactly as an operator's command would:

1. a full run erases every contact: wall time, achieved rate as a share of the ceiling
   (target >= 0.9), 429s seen, failures (target 0), peak memory of the child;
2. a second run on fresh contacts is SIGKILLed once half the contacts are deleted, then
   resumed with the same journal: DELETE requests in total (target <= contacts +
   concurrency), contacts left (target 0), failures (target 0);
3. a third run has its token revoked once a fifth of the contacts are deleted (every request
   answered 401 from then on): requests refused after the revocation (target <= the
   concurrency), subjects left pending (none failed), and the run's exit reason.

Run: ``just bench`` or ``python benchmarks/bench_bulk.py [--quick] [--contacts N]``.
Loopback only; bounded by ``--contacts`` and ``--timeout``; prints a table and asserts nothing
about time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import itertools
import json
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from dsr_resolvers.bulk import (
    Journal,
    RateLimiter,
    SubjectState,
    journal_key,
    read_subjects,
    run_bulk,
)
from dsr_resolvers.intercom import IntercomResolver
from dsr_resolvers.testing import FakeIntercom

TOKEN = "bench-token"
DELETE_ROUTE = "DELETE /contacts/{id}"


@dataclass
class ChildRun:
    """What a child process reported, plus how it ended."""

    returncode: int
    report: dict[str, Any] | None


def child(args: argparse.Namespace) -> None:
    """The bulk erasure an operator would run, against the fake's base URL."""
    limiter = RateLimiter()
    resolver = IntercomResolver(TOKEN, base_url=args.base_url, hooks=limiter, timeout=30.0)
    subjects = read_subjects(args.input)
    concurrency: int | Literal["auto"] = (
        "auto" if args.concurrency == "auto" else int(args.concurrency)
    )

    async def erase() -> dict[str, Any]:
        with Journal(args.journal, key=journal_key(secret=TOKEN)) as journal:
            started = time.perf_counter()
            summary = await run_bulk(
                resolver,
                "erase",
                subjects,
                journal,
                limiter=limiter,
                concurrency=concurrency,
            )
            wall = time.perf_counter() - started
        return {
            "wall": wall,
            "summary": summary.model_dump(mode="json"),
            "concurrency": limiter.suggested_concurrency(),
            "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        }

    print(json.dumps(asyncio.run(erase())), flush=True)


def spawn(args: argparse.Namespace, base_url: str, workdir: Path) -> subprocess.Popen[str]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        "--base-url",
        base_url,
        "--input",
        str(workdir / "subjects.txt"),
        "--journal",
        str(workdir / "erase.journal"),
        "--concurrency",
        str(args.concurrency),
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603


def finish(process: subprocess.Popen[str], timeout: float) -> ChildRun:
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return ChildRun(process.returncode, json.loads(lines[-1]) if lines else None)


def seeded_fake(args: argparse.Namespace, workdir: Path) -> tuple[FakeIntercom, list[str]]:
    fake = FakeIntercom(
        TOKEN, rate_limit=args.rate_limit, rate_window=args.window, latency=args.latency
    )
    ids = [fake.add_contact(email=f"person{i}@example.com") for i in range(args.contacts)]
    (workdir / "subjects.txt").write_text("\n".join(ids) + "\n")
    (workdir / "erase.journal").unlink(missing_ok=True)
    return fake, ids


def rate_limited(fake: FakeIntercom) -> int:
    return sum(1 for request in fake.requests if request.status == 429)


def deleted(fake: FakeIntercom) -> int:
    return sum(
        1 for request in fake.requests if request.route == DELETE_ROUTE and request.status == 200
    )


def watch(
    count: Callable[[], int], process: subprocess.Popen[str], window: float, timeout: float
) -> list[int]:
    """What ``count`` counted in each of the fake's windows, while the child runs.

    The fake's windows are aligned on multiples of ``window`` of its clock (wall time), so
    sampling the count at each boundary gives the calls of every whole window.
    """
    boundaries: list[int] = []
    current = math.floor(time.time() / window)
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
        index = math.floor(time.time() / window)
        if index != current:
            boundaries.append(count())
            current = index
    # A window that began before the first request (the child was starting) is not whole.
    return [after - before for before, after in itertools.pairwise(boundaries) if before > 0]


def full_run(args: argparse.Namespace, workdir: Path) -> list[tuple[str, str]]:
    fake, ids = seeded_fake(args, workdir)
    ceiling = args.rate_limit / args.window
    with fake.serve() as base_url:
        process = spawn(args, base_url, workdir)
        per_window = watch(fake.count, process, args.window, args.timeout)
        result = finish(process, args.timeout)
    if result.report is None:
        return [("full run", f"child exited {result.returncode} without a report")]
    wall = result.report["wall"]
    summary = result.report["summary"]
    requests = fake.count()
    return [
        ("contacts", f"{len(ids):,} ({requests / len(ids):.1f} requests each)"),
        ("wall time", f"{wall:.1f} s (ideal {requests / ceiling:.1f} s)"),
        ("achieved rate", f"{requests / wall:.1f} requests/s of {ceiling:.1f}"),
        ("share of ceiling (target >= 0.9)", f"{requests / wall / ceiling:.3f}"),
        (
            "calls per whole window",
            (
                f"{' '.join(str(n) for n in per_window)} (limit {args.rate_limit}; "
                f"mean share {sum(per_window) / len(per_window) / args.rate_limit:.3f})"
            )
            if per_window
            else "run shorter than two windows",
        ),
        ("429s seen", str(rate_limited(fake))),
        ("failures (target 0)", str(summary["failed"])),
        ("contacts left", str(len(fake.contact_ids()))),
        ("peak memory of the run", f"{result.report['max_rss_kib'] / 1024:.1f} MiB"),
    ]


def killed_and_resumed(args: argparse.Namespace, workdir: Path) -> list[tuple[str, str]]:
    fake, ids = seeded_fake(args, workdir)
    half = len(ids) // 2
    with fake.serve() as base_url:
        first = spawn(args, base_url, workdir)
        deadline = time.monotonic() + args.timeout
        while fake.count(DELETE_ROUTE) < half and first.poll() is None:
            if time.monotonic() > deadline:
                break
            time.sleep(0.005)
        # The fake's server threads print a traceback for each connection the killed child
        # leaves behind; keep them out of the table and count them instead.
        broken = io.StringIO()
        with contextlib.redirect_stderr(broken):
            os.kill(first.pid, signal.SIGKILL)
            first.wait()
            at_kill = fake.count(DELETE_ROUTE)
            time.sleep(max(0.5, 2 * args.latency))  # let requests the child left behind land
        with Journal(workdir / "erase.journal", key=journal_key(secret=TOKEN)) as journal:
            in_doubt = journal.counts().get(SubjectState.RUNNING, 0)
        resumed = finish(spawn(args, base_url, workdir), args.timeout)
    total_deletes = fake.count(DELETE_ROUTE)
    summary = (resumed.report or {}).get("summary", {})
    return [
        ("killed by", f"SIGKILL after {at_kill:,} DELETEs (exit {first.returncode})"),
        ("subjects in flight at the kill", str(in_doubt)),
        ("connections broken by the kill", str(broken.getvalue().count("Traceback"))),
        ("skipped on resume (already done)", str(summary.get("skipped", "?"))),
        (
            f"DELETE requests (target <= {len(ids):,} + concurrency)",
            f"{total_deletes:,} (+{total_deletes - len(ids)})",
        ),
        ("resumed run wall time", f"{(resumed.report or {}).get('wall', float('nan')):.1f} s"),
        ("429s seen", str(rate_limited(fake))),
        ("failures (target 0)", str(summary.get("failed", "?"))),
        ("contacts left (target 0)", str(len(fake.contact_ids()))),
    ]


def revoked(args: argparse.Namespace, workdir: Path) -> list[tuple[str, str]]:
    fake, ids = seeded_fake(args, workdir)
    fifth = len(ids) // 5
    with fake.serve() as base_url:
        process = spawn(args, base_url, workdir)
        deadline = time.monotonic() + args.timeout
        while fake.count(DELETE_ROUTE) < fifth and process.poll() is None:
            if time.monotonic() > deadline:
                break
            time.sleep(0.002)
        # The token is revoked: from now on Intercom answers every request 401.
        for route in (DELETE_ROUTE, "POST /contacts/search"):
            fake.fail_route(route, 401)
        at_revocation = fake.count()
        result = finish(process, args.timeout)
    refused = sum(1 for request in fake.requests if request.status == 401)
    report = result.report or {}
    summary = report.get("summary", {})
    return [
        ("token revoked after", f"{at_revocation:,} requests ({deleted(fake):,} deleted)"),
        (
            "requests refused (401) after it (target <= concurrency)",
            f"{refused} (auto concurrency about {report.get('concurrency', '?')})",
        ),
        ("requests sent after the revocation", str(fake.count() - at_revocation)),
        ("run stopped because", str(summary.get("stopped"))),
        ("subjects left pending / failed", f"{summary.get('pending')} / {summary.get('failed')}"),
    ]


def print_table(title: str, rows: list[tuple[str, str]]) -> None:
    width = max(len(name) for name, _ in rows)
    print(f"\n{title}")
    print("-" * (width + 30))
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--contacts", type=int, default=5000)
    parser.add_argument("--rate-limit", type=int, default=1666, help="calls per window")
    parser.add_argument("--window", type=float, default=10.0, help="window length, seconds")
    parser.add_argument("--latency", type=float, default=0.15, help="added per request, s")
    parser.add_argument("--concurrency", default="auto", help="'auto' or a number")
    parser.add_argument("--timeout", type=float, default=300.0, help="per child run, seconds")
    parser.add_argument(
        "--quick", action="store_true", help="800 contacts, 333 calls per 2 s: a short version"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--journal", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        # Same ceiling (166.5 calls/s) in 2-second windows, so a short run spans several.
        args.contacts, args.rate_limit, args.window = 800, 333, 2.0
    return args


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark (or, with the hidden ``--child``, one bulk run)."""
    args = parse(argv)
    if args.child:
        child(args)
        return
    print(
        f"bulk erase against FakeIntercom on 127.0.0.1: {args.rate_limit} calls per "
        f"{args.window:g} s, {args.latency:g} s latency, concurrency {args.concurrency}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-bulk-") as directory:
        workdir = Path(directory)
        print_table("full run", full_run(args, workdir))
        print(
            "(fixed windows give a partial first and last window their whole budget, so the\n"
            " share of a run can exceed 1.0; the share per whole window is the steady state)"
        )
        print_table("killed at 50% (SIGKILL) and resumed", killed_and_resumed(args, workdir))
        print_table("token revoked at 20%", revoked(args, workdir))


if __name__ == "__main__":
    main()
