"""Exit codes and the one-line errors of the ``dsr`` command line.

A privacy engineer runs ``dsr`` from a shell or a cron job and reads its exit status and its
last line, nothing else. So every failure ends in one line on stderr that says what failed and
what to do, never a traceback or a token, and in one of these statuses:

| status    | meaning                                                                          |
|-----------|----------------------------------------------------------------------------------|
| 0         | everything asked for is done (erased, exported, nothing held)                    |
| 1         | some subjects failed (named by contact id, never by email), or were declined     |
| 2         | usage, configuration, a refused token (401, 403) or a failed local write         |
| 70        | a bug in dsr (``EX_SOFTWARE``): one line naming the exception type only          |
| 130 / 143 | interrupted by SIGINT / SIGTERM: nothing new is sent, a rerun resumes            |

Messages come from exception *types* and HTTP statuses (``_retry.py``), never from an
exception's text unless its contract keeps it free of personal data (``ResolverError``).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import IntEnum
from types import FrameType

__all__ = [
    "CliError",
    "ExitCode",
    "SubjectFailedError",
    "interrupt_exit_code",
    "terminate_as_interrupt",
]


class ExitCode(IntEnum):
    """The statuses ``dsr`` exits with."""

    OK = 0
    FAILED = 1
    USAGE = 2
    INTERNAL = 70  # sysexits' EX_SOFTWARE: never 1, which a script reads as "some failed"
    INTERRUPTED = 128 + signal.SIGINT
    TERMINATED = 128 + signal.SIGTERM


_received: list[int] = []  # signals seen by terminate_as_interrupt's handler, latest last


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Make SIGTERM stop a command as Ctrl-C does (the running task is cancelled, a bulk run
    stops sending), and remember it for :func:`interrupt_exit_code`."""

    def on_terminate(signum: int, frame: FrameType | None) -> None:
        _received.append(signum)
        handler = signal.getsignal(signal.SIGINT)
        if callable(handler):
            handler(signal.SIGINT, frame)
        else:  # SIGINT ignored or at its OS default: still stop
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def interrupt_exit_code() -> ExitCode:
    """The status of an interrupted command: 143 after SIGTERM, 130 after Ctrl-C."""
    terminated = _received and _received[-1] == signal.SIGTERM
    return ExitCode.TERMINATED if terminated else ExitCode.INTERRUPTED


class CliError(Exception):
    """Stops a command with one line on stderr and an exit status; raised ``from`` its cause.

    Args:
        message: What failed and what to do, on one line; never personal data or a token.
        exit_code: The status to exit with.
        details: Several problems (a processing record's), printed one a line below it.
    """

    def __init__(
        self, message: str, exit_code: ExitCode = ExitCode.USAGE, details: Sequence[str] = ()
    ) -> None:
        super().__init__(message)
        self.message = " ".join(message.split())
        self.exit_code = exit_code
        self.details = tuple(" ".join(detail.split()) for detail in details)


class SubjectFailedError(Exception):
    """One contact (or lookup) failed for good, for a ``reason`` free of personal data (an
    HTTP status, an exception type, a hint); the command goes on with the others."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
