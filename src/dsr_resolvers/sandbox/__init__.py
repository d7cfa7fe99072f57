"""The sandbox: a seeded FakeIntercom served on 127.0.0.1, to try tools without a real workspace.

``python -m dsr_resolvers.sandbox`` starts it. The first line it prints is
``listening on http://127.0.0.1:PORT`` (so a script can read the address even with
``--port 0``); the second names the token to send, the third the workspace, and the next ones
are commands to paste into another shell. It serves until SIGINT or SIGTERM, then exits 0.

=====================  ======================================================================
Option                 Meaning
=====================  ======================================================================
``--port N``           port to listen on; 0 (the default) picks a free one
``--host ADDR``        loopback address to listen on (default ``127.0.0.1``)
``--token TOKEN``      bearer token to accept (default ``sandbox-token``)
``--seed demo|N``      ``demo`` (default): :func:`seed_demo`; an integer: :func:`seed_random`
``--contacts N``       contacts in a random world (default 25)
``--rate LIMIT/SECS``  rate limit, e.g. ``1666/10`` (the default) or ``off``
``--latency SECS``     delay added to every request (default 0)
``--workspaces N``     serve N workspaces (1 or 2): the second holds the demo's person by
                       phone and external id, without email (``--seed demo`` only)
=====================  ======================================================================

With ``--workspaces 2`` the first lines are ``listening on`` each workspace's address, then the
sandbox writes a workspaces file (``dsr ... --workspaces FILE --all-workspaces``) into a new
temporary directory, prints its path and its content, and removes it when it stops.

Nothing here is a secret: the token only opens a fake on the loopback interface.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import signal
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any, Final, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    PositiveInt,
    field_validator,
    model_validator,
)

from dsr_resolvers.sandbox._hint import sandbox_commands, workspace_commands
from dsr_resolvers.sandbox._seed import (
    DemoWorkspace,
    SecondWorkspace,
    seed_demo,
    seed_random,
    seed_second_workspace,
)
from dsr_resolvers.testing import FakeIntercom, FakeIntercomServer

__all__ = [
    "DEFAULT_TOKEN",
    "SANDBOX_WORKSPACES",
    "DemoWorkspace",
    "RateLimit",
    "SandboxOptions",
    "SecondWorkspace",
    "main",
    "parse_rate",
    "parse_seed",
    "run_sandbox",
    "seed_demo",
    "seed_random",
    "seed_second_workspace",
    "serve_sandbox",
    "workspaces_file",
]

#: The token the sandbox accepts unless told otherwise.
DEFAULT_TOKEN: Final = "sandbox-token"  # noqa: S105 - a fake's well-known token


#: The names of the sandbox's workspaces and the variables their workspaces file reads.
SANDBOX_WORKSPACES: Final = (("us", "SANDBOX_TOKEN_US"), ("eu", "SANDBOX_TOKEN_EU"))


def workspaces_file(base_urls: Sequence[str]) -> str:
    """The workspaces file (TOML) naming the sandbox's workspaces at ``base_urls``."""
    tables = [
        f'[workspaces.{name}]\nbase_url = "{url}"\ntoken_env = "{variable}"\n'
        for (name, variable), url in zip(SANDBOX_WORKSPACES, base_urls, strict=False)
    ]
    return "\n".join(tables)


class RateLimit(BaseModel):
    """``limit`` requests per ``window`` seconds, as Intercom answers them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    limit: PositiveInt
    window: PositiveFloat = 10.0


class SandboxOptions(BaseModel):
    """What ``dsr sandbox`` and ``python -m dsr_resolvers.sandbox`` serve (module table).

    Raises:
        pydantic.ValidationError: A port outside 0-65535, a host that is not loopback, a
            negative count or latency.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    port: int = Field(default=0, ge=0, le=65535)
    host: str = "127.0.0.1"
    token: str = DEFAULT_TOKEN
    seed: int | None = None
    """``None``: the demo workspace (:func:`seed_demo`); an integer: :func:`seed_random`."""
    contacts: int = Field(default=25, ge=0)
    rate: RateLimit | None = RateLimit(limit=1666)
    latency: float = Field(default=0.0, ge=0)
    workspaces: int = Field(default=1, ge=1, le=2)
    """2: a second workspace holds the demo's person by phone and external id (demo only)."""

    @field_validator("host")
    @classmethod
    def _loopback(cls, host: str) -> str:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ValueError("must be a loopback address such as 127.0.0.1 or ::1")
        return host

    @model_validator(mode="after")
    def _second_workspace_is_the_demos(self) -> Self:
        if self.workspaces > 1 and self.seed is not None:
            raise ValueError("--workspaces 2 serves the demo's workspaces: leave --seed at demo")
        return self


def parse_rate(text: str) -> RateLimit | None:
    """``--rate``: ``LIMIT/SECONDS`` (``1666/10``; ``/SECONDS`` defaults to 10), or ``off``.

    Raises:
        ValueError: Anything else, or a limit or window that is not positive.
    """
    if text.strip().lower() in ("off", "none"):
        return None
    limit, sep, seconds = text.partition("/")
    try:
        return RateLimit(limit=int(limit), window=float(seconds) if sep else 10.0)
    except ValueError:
        raise ValueError(
            "takes LIMIT/SECONDS with positive numbers (e.g. 1666/10), or off"
        ) from None


def parse_seed(text: str) -> int | None:
    """``--seed``: ``demo`` (``None``) or an integer.

    Raises:
        ValueError: Anything else.
    """
    if text == "demo":
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError("takes 'demo' or an integer") from None


def _argument(parse: Any) -> Any:
    def typed(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from error

    return typed


def run_sandbox(argv: Sequence[str] | None = None, *, stop: threading.Event | None = None) -> int:
    """``python -m dsr_resolvers.sandbox ARGS``: parse ``argv``, then :func:`serve_sandbox`.

    Args:
        argv: Command-line arguments without the program name; ``sys.argv[1:]`` when None.
        stop: Set it to stop the sandbox from another thread.

    Returns:
        The exit status: 0 after a clean stop, 2 for bad arguments or a port in use.
    """
    parser = argparse.ArgumentParser(
        prog="python -m dsr_resolvers.sandbox",
        description="Serve a seeded fake Intercom workspace on a loopback address.",
    )
    parser.add_argument("--port", type=int, default=0, help="port (0: pick a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="bearer token to accept")
    parser.add_argument("--seed", type=_argument(parse_seed), default=None, help="demo or N")
    parser.add_argument("--contacts", type=int, default=25, help="contacts in a random world")
    parser.add_argument("--rate", type=_argument(parse_rate), default="1666/10", help="L/S or off")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    parser.add_argument(
        "--workspaces", type=int, choices=(1, 2), default=1, help="workspaces to serve"
    )
    try:
        options = SandboxOptions(**vars(parser.parse_args(argv)))
    except ValueError as error:  # pydantic's ValidationError, one line per problem
        parser.error(str(error))
    try:
        return serve_sandbox(options, stop=stop)
    except OSError as error:
        parser.exit(2, f"error: {error.strerror}\n")


def serve_sandbox(options: SandboxOptions, *, stop: threading.Event | None = None) -> int:
    """Serve the sandbox until SIGINT/SIGTERM (or until ``stop`` is set).

    Args:
        options: What to serve, and where.
        stop: Set it to stop the sandbox from another thread (signals are only handled when
            this runs in the main thread).

    Returns:
        0 after a clean stop.

    Raises:
        OSError: An address cannot be listened on (a port in use); says which, on one line.
    """
    rate = options.rate
    fakes = [
        FakeIntercom(
            options.token,
            rate_limit=None if rate is None else rate.limit,
            rate_window=10.0 if rate is None else rate.window,
            seed=number if options.seed is None else options.seed,
            latency=options.latency,
        )
        for number in range(options.workspaces)
    ]
    fake = fakes[0]
    external_id: str | None = None
    if options.seed is not None:
        contact_ids = seed_random(fake, options.seed, contacts=options.contacts)
        summary = f"workspace: random world {options.seed} with {len(contact_ids)} contacts"
        first = fake.contact(contact_ids[0]) if contact_ids else None
        email = str((first or {}).get("email") or "ada@example.com")
    else:
        demo = seed_demo(fake)
        summary = (
            f"workspace: demo; {demo.shared_email} is held by user {demo.user_id} "
            f"and lead {demo.lead_id}"
        )
        email = demo.shared_email
        if options.workspaces > 1:
            second = seed_second_workspace(fakes[1], demo)
            external_id = second.external_id
            summary = (
                f"workspace us: the demo; {demo.shared_email} is held by user {demo.user_id} "
                f"(external id {demo.user_external_id}) and lead {demo.lead_id}\n"
                f"workspace eu: the same person as user {second.contact_id}, with no email: "
                f"by phone {second.phone} and external id {second.external_id}"
            )
    servers: list[FakeIntercomServer] = []
    for number, served in enumerate(fakes):
        try:
            port = options.port + number if options.port else 0
            servers.append(FakeIntercomServer(served, host=options.host, port=port))
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise OSError(
                error.errno, f"cannot listen on {options.host}:{port}: {reason}"
            ) from error

    stop = stop or threading.Event()
    previous: list[tuple[signal.Signals, Any]] = []
    if threading.current_thread() is threading.main_thread():

        def request_stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        for signum in (signal.SIGINT, signal.SIGTERM):
            previous.append((signum, signal.signal(signum, request_stop)))
    try:
        with contextlib.ExitStack() as cleanup:
            for server in servers:
                server.start()
                cleanup.callback(server.stop)
                print(f"listening on {server.base_url}", flush=True)
            print(
                f"token: {options.token} (a fake's token: it opens only this sandbox)", flush=True
            )
            print(summary, flush=True)
            if len(servers) > 1:
                folder = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="dsr-")))
                path = folder / "workspaces.toml"
                path.write_text(workspaces_file([server.base_url for server in servers]))
                print(f"workspaces file: {path} (removed when the sandbox stops)", flush=True)
                for line in path.read_text().splitlines():
                    print(f"  {line}", flush=True)
                commands = workspace_commands(
                    str(path),
                    [(variable, options.token) for _, variable in SANDBOX_WORKSPACES],
                    email,
                    external_id or "",
                )
            else:
                commands = sandbox_commands(servers[0].base_url, options.token, email)
            print("try it from another shell (Ctrl-C here stops the sandbox):", flush=True)
            for line in commands:
                print(f"  {line}", flush=True)
            while not stop.wait(0.2):
                pass
    finally:
        for signum, handler in previous:
            signal.signal(signum, handler)
    return 0


def main() -> int:
    """The console entry point: :func:`run_sandbox` on ``sys.argv``."""
    return run_sandbox(sys.argv[1:])
