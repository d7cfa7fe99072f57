"""What handing a large export back through ``asyncio.run`` costs, and what the CLI does instead.

On Python 3.11 ``asyncio.run`` formats the main task's result (its ``repr``) while it returns
it; for an export of tens of thousands of records that is about as much CPU as the export
itself. The single-subject commands (``dsr_resolvers.cli._intercom._run``) hand the result
out through a local and let the coroutine return ``None``. This prints both costs for the
same export object.

Run: ``just bench`` or ``python benchmarks/bench_cli_result.py [--records N]``.
In-process only; bounded by ``--records``; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from dsr_resolvers.contract import ExportRecord, PiiCategory, ResolverExport


def _export(records: int) -> ResolverExport:
    body = "<p>Hello, I cannot log in since I changed my phone number.</p>"
    return ResolverExport(
        resolver="intercom",
        records=tuple(
            ExportRecord(
                source="intercom",
                field=f"conversation.{n}.conversation_parts.{n}.body",
                category=PiiCategory.COMMUNICATION,
                value=body,
            )
            for n in range(records)
        ),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    export = _export(args.records)

    async def returned() -> ResolverExport:
        return export

    held: list[ResolverExport] = []

    async def handed_out() -> None:
        held.append(export)

    print(f"Python {sys.version.split()[0]}, an export of {args.records:,} records")
    print(f"{'how the result leaves asyncio.run':<40} {'ms per call':>12}")
    for label, coroutine in (
        ("returned by the coroutine", returned),
        ("handed out through a local (the CLI)", handed_out),
    ):
        started = time.perf_counter()
        for _ in range(args.repeat):
            asyncio.run(coroutine())
        elapsed = (time.perf_counter() - started) / args.repeat * 1000
        print(f"{label:<40} {elapsed:>12.1f}")


if __name__ == "__main__":
    main()
