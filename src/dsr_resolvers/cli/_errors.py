"""Exit codes and the one-line errors of the ``dsr`` command line.

A privacy engineer runs ``dsr`` from a shell or a cron job and reads its exit status and its
last line, nothing else. So every failure ends in exactly one line on stderr that says what
failed and what to do, and one of these statuses:

| status | meaning                                     | examples                             |
|--------|---------------------------------------------|--------------------------------------|
| 0      | everything asked for is done                | erased, exported, nothing held       |
| 1      | some subjects failed (named by contact id,  | a 409 on one contact, a 503 after    |
|        | never by email)                             | the retries, data left at verify,    |
|        |                                             | a declined confirmation              |
| 2      | usage or configuration; nothing was done,   | missing token, bad option,           |
|        | or the workspace refused the credentials,   | unreadable file, 401, 403, a journal |
|        | or a local write failed (a bulk run stops)  | or export file that cannot be written|
| 130    | interrupted (SIGINT, Ctrl-C)                | nothing new is sent; rerun resumes   |
| 143    | terminated (SIGTERM)                        | the same, for a service manager      |

Interrupts are mapped here, once, for every command: :func:`terminate_as_interrupt` (installed
by the ``dsr`` entry point) turns SIGTERM into the same graceful stop as Ctrl-C, and
:func:`interrupt_exit_code` gives the status the signal asks for.

Messages are composed here from exception *types* and HTTP statuses, never from an exception's
text, unless the exception's contract promises a message free of personal data and secrets
(:class:`~dsr_resolvers.ResolverError`). No traceback is ever printed, and no token.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum
from types import FrameType

import httpx

from dsr_resolvers.contract import ResolverError
from dsr_resolvers.intercom import IntercomRejectedError, MalformedResponseError, RateLimitedError

__all__ = [
    "CliError",
    "ExitCode",
    "SubjectFailedError",
    "describe_transient",
    "interrupt_exit_code",
    "rejected_message",
    "terminate_as_interrupt",
]


class ExitCode(IntEnum):
    """The statuses ``dsr`` exits with."""

    OK = 0
    FAILED = 1
    USAGE = 2
    INTERRUPTED = 128 + signal.SIGINT
    TERMINATED = 128 + signal.SIGTERM


_received: list[int] = []
"""Signals received by :func:`terminate_as_interrupt`'s handler, latest last."""


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Make SIGTERM stop a command the way Ctrl-C does, and remember which one it was.

    The handler hands SIGTERM to whatever handles SIGINT at that moment: inside
    ``asyncio.run`` that cancels the running task (the bulk engine then stops its workers
    and its limiter, and nothing new is sent); elsewhere it raises ``KeyboardInterrupt``.
    :func:`interrupt_exit_code` then answers 143 instead of 130.
    """

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
    if _received and _received[-1] == signal.SIGTERM:
        return ExitCode.TERMINATED
    return ExitCode.INTERRUPTED


class CliError(Exception):
    """Stops a command with one line on stderr and an exit status.

    Raised ``from`` the error that caused it, so the cause travels with it (its type is what
    decides, never its text).

    Args:
        message: What failed and what to do, on one line; never personal data or a token.
        exit_code: The status to exit with.
    """

    def __init__(self, message: str, exit_code: ExitCode = ExitCode.USAGE) -> None:
        super().__init__(message)
        self.message = " ".join(message.split())
        self.exit_code = exit_code


class SubjectFailedError(Exception):
    """One contact (or lookup) failed for good; the command goes on with the others.

    Args:
        reason: Why, without personal data: an HTTP status, an exception type, a hint.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def rejected_message(error: IntercomRejectedError) -> str:
    """``Intercom rejected the export request (status 403): <what to do>``."""
    return (
        f"Intercom rejected the {error.action} request (status {error.status_code}): {error.hint}"
    )


def resolver_error_message(error: ResolverError) -> str:
    """The message of a ``ResolverError``, which the contract keeps free of personal data."""
    if isinstance(error, IntercomRejectedError):
        return rejected_message(error)
    return str(error) or type(error).__name__


def describe_transient(error: BaseException, *, base_url: str) -> str:
    """What a retryable failure was, from its type and status only.

    Args:
        error: A rate limit, a 5xx, a malformed answer or a connection fault.
        base_url: The API host the command talked to, to name in connection failures.

    Returns:
        A clause such as ``Intercom answered 503 (server error)``.
    """
    if isinstance(error, RateLimitedError):
        return "Intercom answered 429 (rate limited)"
    if isinstance(error, httpx.HTTPStatusError):
        return f"Intercom answered {error.response.status_code} (server error)"
    if isinstance(error, MalformedResponseError):
        return f"Intercom's answer was not what its API promises ({type(error).__name__})"
    if isinstance(error, httpx.TimeoutException):
        return f"Intercom at {base_url} did not answer in time ({type(error).__name__})"
    if isinstance(error, httpx.TransportError):
        return f"could not reach Intercom at {base_url} ({type(error).__name__})"
    return f"unexpected failure ({type(error).__name__})"
