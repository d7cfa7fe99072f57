"""Sequential erasure against a loopback server: shared TLS context versus a naive client.

A fresh ``httpx.Client()`` builds a new SSL context (loading the CA bundle) on every
construction. IntercomResolver keeps one fresh client per call but shares one SSL context per
process. This benchmark erases the same number of contacts sequentially both ways against a
plain-HTTP server on 127.0.0.1 and prints the speed-up (target: at least 10x).

Run: ``just bench`` or ``python benchmarks/bench_client_reuse.py [--erasures N]``.
Loopback only; bounded by ``--erasures``; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from collections.abc import Awaitable, Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from dsr_resolvers import SubjectRef
from dsr_resolvers.intercom import IntercomResolver


class _DeleteHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_DELETE(self) -> None:
        contact_id = self.path.rsplit("/", 1)[-1]
        body = json.dumps({"type": "contact", "id": contact_id, "deleted": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Silence per-request logging."""


async def naive_erase(base_url: str, contact_id: str) -> None:
    """The naive design: a brand-new default client (and SSL context) per call."""

    def erase() -> None:
        with httpx.Client(base_url=base_url, headers={"Authorization": "Bearer t"}) as client:
            client.delete(f"/contacts/{contact_id}").raise_for_status()

    await asyncio.to_thread(erase)


async def measure(erase: Callable[[str], Awaitable[object]], count: int) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(count):
        await erase(f"contact-{i}")
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--erasures", type=int, default=300)
    args = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), _DeleteHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    resolver = IntercomResolver("bench-token", base_url=base_url)

    async def shared(contact_id: str) -> object:
        return await resolver.erase_subject(SubjectRef(kind="intercom", value=contact_id))

    async def naive(contact_id: str) -> object:
        return await naive_erase(base_url, contact_id)

    async def run() -> None:
        await measure(shared, 10)  # warm-up: imports, the one shared SSL context
        await measure(naive, 3)
        rows = [
            ("naive: new httpx.Client() per call", *await measure(naive, args.erasures)),
            ("IntercomResolver (shared SSL context)", *await measure(shared, args.erasures)),
        ]
        print(f"sequential erasures against {base_url}: {args.erasures} each")
        print(f"{'implementation':<40} {'wall s':>8} {'per call ms':>12} {'cpu ms/call':>12}")
        for name, wall, cpu in rows:
            per_call = 1000 * wall / args.erasures
            cpu_call = 1000 * cpu / args.erasures
            print(f"{name:<40} {wall:>8.2f} {per_call:>12.2f} {cpu_call:>12.2f}")
        print(f"speed-up: {rows[0][1] / rows[1][1]:.1f}x (target >= 10x)")

    try:
        asyncio.run(run())
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
