"""FakeIntercom over real HTTP on a loopback address.

Some code cannot take an ``httpx`` transport (a subprocess, a CLI, another language's client),
and some faults only exist on a socket. This server puts a :class:`FakeIntercom` behind
``http.server`` (one thread per connection, HTTP/1.1 keep-alive) and answers exactly what the
transport answers, from the same state.

It reads the raw request-target, so percent-encoded path segments reach the router untouched.
Faults become socket behaviour: a reset sends a TCP RST, a timeout holds the connection for
``fake.hang_seconds`` (cut short when the server stops) and then closes it.

While it runs, the server counts its connections for ``fake.open_connections``: from the moment
one waits in the listening socket's queue until it is closed. Accepting and counting happen
under the fake's lock, so a connection is never in neither place; each change wakes
``fake.wait_for``.
"""

from __future__ import annotations

import ipaddress
import select
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from dsr_resolvers.testing._fake import FakeIntercom

__all__ = ["FakeIntercomServer"]

_MAX_BODY = 10 * 1024 * 1024


class FakeIntercomServer:
    """A threaded HTTP server answering from one FakeIntercom.

    Args:
        fake: The fake whose state the server serves.
        host: A loopback address (``127.0.0.1`` by default); other addresses are refused.
        port: The port; 0 picks a free one.

    Raises:
        ValueError: ``host`` is not a loopback address.
    """

    def __init__(self, fake: FakeIntercom, *, host: str = "127.0.0.1", port: int = 0) -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError("the fake serves on a loopback address only")
        self._fake = fake
        self._stopping = threading.Event()
        handler = type("_BoundHandler", (_Handler,), {"fake": fake, "stopping": self._stopping})
        self._httpd = _Server((host, port), handler)
        self._httpd.changed = fake._changed
        self._httpd.socket.setblocking(False)  # accepted sockets still block (Python's accept)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def _connections(self) -> int:
        """Connections accepted and not closed, plus one if any waits to be accepted.

        Call it holding the fake's lock, as ``FakeIntercom.open_connections`` does.
        """
        waiting, _, _ = select.select([self._httpd.socket], [], [], 0)
        return self._httpd.open_count + (1 if waiting else 0)

    def start(self) -> None:
        """Start serving in a daemon thread."""
        self._fake._attach(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-intercom-server",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, release hanging connections, and close the listening socket."""
        self._fake._detach(self)
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()

    def serve_until(self, stop: threading.Event) -> None:
        """Serve in the calling thread's place until ``stop`` is set (for the sandbox)."""
        self.start()
        try:
            while not stop.wait(0.2):
                pass
        finally:
            self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    changed: threading.Condition
    open_count = 0

    def get_request(self) -> tuple[Any, Any]:
        with self.changed:  # accepted and counted in one step, seen by no one in between
            connection = super().get_request()  # non-blocking: the lock is never held long
            self.open_count += 1
            self.changed.notify_all()
        return connection

    def shutdown_request(self, request: Any) -> None:
        super().shutdown_request(request)
        with self.changed:
            self.open_count -= 1
            self.changed.notify_all()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle's algorithm on, the body waits
    # for the client's delayed ACK (about 40 ms a response on Linux loopback).
    disable_nagle_algorithm = True
    server_version = "FakeIntercom"
    sys_version = ""
    fake: ClassVar[FakeIntercom]
    stopping: ClassVar[threading.Event]

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the fake keeps its own request log."""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > _MAX_BODY:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            return None
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        fake = self.fake
        try:
            body = self._read_body()
        except ValueError:
            self.send_error(400)
            self.close_connection = True
            return
        if body is None:
            self.send_error(413)
            self.close_connection = True
            return
        with fake._handling():
            self._answer(fake, body)

    def _answer(self, fake: FakeIntercom, body: bytes) -> None:
        if fake.latency > 0:
            time.sleep(fake.latency)
        host = self.headers.get("Host") or "127.0.0.1"
        outcome = fake._exchange(
            method=self.command,
            target=self.path,
            authorization=self.headers.get("Authorization"),
            intercom_version=self.headers.get("Intercom-Version"),
            body=body,
            base_url=f"http://{host}",
        )
        if outcome.drop == "timeout":
            self.stopping.wait(fake.hang_seconds)
            self.close_connection = True
            return
        if outcome.drop == "reset":
            self._reset()
            return
        self.send_response(outcome.status)
        for name, value in outcome.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(outcome.body)))
        self.end_headers()
        self.wfile.write(outcome.body)

    def _reset(self) -> None:
        """Abort the connection with a TCP RST instead of an orderly close."""
        self.close_connection = True
        connection: socket.socket = self.connection
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()
