"""Peak memory of a bulk erasure does not grow with the number of subjects.

The ``dsr intercom bulk erase`` command runs in a child process, exactly as an operator would
run it (progress lines, summary, ``--report`` file), against FakeIntercom served on 127.0.0.1
with no effective rate limit (it announces 1,000,000 calls per 10 s, so the limiter never
waits) and no added latency. The child is ``dsr``'s own entry point wrapped to print, as it
exits, its peak resident memory (``VmHWM`` of ``/proc/self/status``: the high-water mark of
this process image only; ``ru_maxrss`` would carry over the forking parent's, which holds the
fake and grows with N). The parent checks the outcome: every contact erased, the report whole.

The concurrency is fixed (``--concurrency 32`` by default): with ``auto`` the number of worker
threads follows the latency the run meets (up to 64 subjects, plus 4), and each thread brings
its stack and a malloc arena, a few hundred KiB to a MiB or so, whatever N is. A long run meets
more latency spikes, so with ``auto`` the peak drifts with the run's length rather than with N.

Target: the peak at 100,000 subjects within 15% of the peak at 10,000.

Run: ``just bench`` or ``python benchmarks/bench_bulk_memory.py [--quick] [--sizes 10000,100000]``.
Loopback only; bounded by ``--sizes`` and ``--timeout``; prints a table, asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dsr_resolvers.testing import FakeIntercom

TOKEN = "bench-token"
DELETE_ROUTE = "DELETE /contacts/{id}"


def measure(size: int, timeout: float, concurrency: str) -> dict[str, str]:
    """Erase ``size`` contacts with the dsr command; its peak RSS and what it left."""
    fake = FakeIntercom(TOKEN, rate_limit=1_000_000, rate_window=10.0)
    ids = [fake.add_contact(email=f"p{i}@example.com") for i in range(size)]
    with tempfile.TemporaryDirectory(prefix="dsr-bench-memory-") as directory:
        workdir = Path(directory)
        source = workdir / "subjects.txt"
        source.write_text("\n".join(ids) + "\n")
        report = workdir / "report.json"
        env = {**os.environ, "INTERCOM_ACCESS_TOKEN": TOKEN, "DSR_JOURNAL_KEY": "bench-key-0123"}
        env.pop("FORCE_COLOR", None)
        with fake.serve() as base_url:
            command = [
                sys.executable, str(Path(__file__).resolve()), "--child", "intercom", "bulk",
                "erase", "--input", str(source), "--journal", str(workdir / "erase.sqlite"),
                "--report", str(report), "--base-url", base_url, "--yes",
                "--concurrency", concurrency,
            ]  # fmt: skip
            started = time.perf_counter()
            try:
                completed = subprocess.run(  # noqa: S603 - our own command, fixed arguments
                    command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                    text=True, timeout=timeout, check=False,
                )  # fmt: skip
                returncode, stderr = completed.returncode, completed.stderr
            except subprocess.TimeoutExpired:
                returncode, stderr = -1, ""
            wall = time.perf_counter() - started
        peaks = [line.split()[1] for line in stderr.splitlines() if line.startswith("VmHWM:")]
        counts = json.loads(report.read_text())["counts"] if report.exists() else {}
    return {
        "subjects": f"{size:,}",
        "exit": str(returncode),
        "wall": f"{wall:.1f} s",
        "rate": f"{size / wall:,.0f}/s",
        "peak_rss_mib": f"{int(peaks[-1]) / 1024:.1f}" if peaks else "?",
        "done": f"{counts.get('done', 0):,}",
        "left": f"{len(fake.contact_ids()):,}",
    }


def child(argv: list[str]) -> int:
    """Run ``dsr ARGV`` in this process, then print this process image's peak RSS."""
    from dsr_resolvers.cli import main as dsr

    sys.argv = ["dsr", *argv]
    try:
        return dsr()
    finally:
        with open("/proc/self/status") as status:
            hwm = next(line for line in status if line.startswith("VmHWM:"))
        print(hwm.strip(), file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated subject counts")
    parser.add_argument("--timeout", type=float, default=1800.0, help="per run, seconds")
    parser.add_argument("--quick", action="store_true", help="1,000 and 10,000 subjects")
    parser.add_argument("--concurrency", default="32", help="subjects at once, or 'auto'")
    args = parser.parse_args(argv)
    sizes = [1000, 10000] if args.quick else [int(s) for s in args.sizes.split(",")]
    rows = [measure(size, args.timeout, args.concurrency) for size in sizes]
    print(
        "\nBulk erase (dsr command, --report, --concurrency "
        f"{args.concurrency}): peak memory by number of subjects"
    )
    header = ("subjects", "exit", "wall", "rate", "peak_rss_mib", "done", "left")
    print("  ".join(f"{name:>12}" for name in header))
    for row in rows:
        print("  ".join(f"{row[name]:>12}" for name in header))
    peaks = [float(row["peak_rss_mib"]) for row in rows if row["peak_rss_mib"] != "?"]
    if len(peaks) >= 2:
        growth = peaks[-1] / peaks[0] - 1
        print(
            f"peak RSS at {rows[-1]['subjects']} vs {rows[0]['subjects']}: "
            f"{growth:+.1%} (target within 15%)"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        raise SystemExit(child(sys.argv[2:]))
    main()
