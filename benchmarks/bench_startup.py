"""How long ``dsr`` takes to start, next to ``python -c "import httpx"`` in the same run.

``dsr`` is run from shells and cron jobs, often once per request, so its start-up is paid each
time. Each command imports what it uses: ``dsr --version`` and ``dsr intercom lookup --help``
load neither the Intercom plugin, the bulk engine, the report, the sandbox, the fake, pydantic
nor Rich. The
target is at most 1.5 times the start-up of ``import httpx``, the one library every command
that talks to Intercom needs anyway; this prints the ratio, interleaving the three commands so
that load on the machine falls on all of them alike.

Run: ``just bench`` or ``python benchmarks/bench_startup.py [--repeat N]``. Starts processes
only, sends nothing; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

_DSR = [sys.executable, "-m", "dsr_resolvers.cli"]
_COMMANDS = {
    'python -c "import httpx"': [sys.executable, "-c", "import httpx"],
    "dsr --version": [*_DSR, "--version"],
    "dsr intercom lookup --help": [*_DSR, "intercom", "lookup", "--help"],
}


def _seconds(command: list[str]) -> float:
    started = time.perf_counter()
    # Our own fixed commands, never input.
    subprocess.run(command, check=True, capture_output=True, cwd=Path(__file__).parent)  # noqa: S603
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="5 runs of each")
    args = parser.parse_args()
    repeat = 5 if args.quick else args.repeat
    times: dict[str, list[float]] = {label: [] for label in _COMMANDS}
    for command in _COMMANDS.values():  # warm the file cache once
        _seconds(command)
    for _ in range(repeat):
        for label, command in _COMMANDS.items():
            times[label].append(_seconds(command))
    baseline = statistics.median(times['python -c "import httpx"'])
    print(f"Python {sys.version.split()[0]}, {repeat} runs each, interleaved")
    print(f"{'command':<30} {'median ms':>10} {'best ms':>9} {'x import httpx':>15}")
    for label, measured in times.items():
        median = statistics.median(measured)
        print(
            f"{label:<30} {median * 1000:>10.0f} {min(measured) * 1000:>9.0f} "
            f"{median / baseline:>15.2f}"
        )


if __name__ == "__main__":
    main()
