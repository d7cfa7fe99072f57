"""Retrying one resolver call, for the single-subject commands.

A person at a terminal should not rerun a command for one 503. The loop is the bulk engine's
(``retrying`` under a ``RetryPolicy``); added here are the words for that person, and giving
up at once on a long ``Retry-After``:

| failure                                 | what happens                                       |
|-----------------------------------------|----------------------------------------------------|
| 401 / 403 (``CredentialsError``)        | :class:`CliError`, exit 2, with the hint: stop     |
| other ``ResolverError``                 | :class:`SubjectFailedError` at once                |
| 429 (``RateLimitedError``)              | wait its ``Retry-After`` (or the backoff), retry;  |
|                                         | a longer wait than ``backoff_max`` fails at once   |
| 5xx, malformed 2xx, connection, timeout | backoff with jitter, retry; after ``max_attempts`` |
|                                         | :class:`SubjectFailedError` naming the last one    |
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx

from dsr_resolvers.bulk import FailureInfo, RetryPolicy
from dsr_resolvers.bulk._limiter import bounded_retry_after
from dsr_resolvers.bulk._runner import retrying
from dsr_resolvers.cli._errors import CliError, ExitCode, SubjectFailedError
from dsr_resolvers.contract import CredentialsError, ResolverError
from dsr_resolvers.intercom import IntercomRejectedError, MalformedResponseError, RateLimitedError

__all__ = ["call_with_retries"]

_T = TypeVar("_T")


async def call_with_retries(
    work: Callable[[], Awaitable[_T]], *, policy: RetryPolicy, base_url: str
) -> _T:
    """Await ``work()`` (a fresh awaitable each try), retrying transient failures.

    ``base_url`` is named when the host cannot be reached.

    Raises:
        CliError: Intercom refused the credentials (401, 403): exit 2, nothing else to try.
        SubjectFailedError: Any other refusal, or a transient failure that outlasted the tries.
    """
    tries = 1

    def give_up_on_long_waits(error: BaseException, info: FailureInfo) -> None:
        nonlocal tries
        tries += 1
        if isinstance(error, RateLimitedError) and error.retry_after is not None:
            wait = bounded_retry_after(error.retry_after, most=float("inf"))
            if wait is None or wait > policy.backoff_max:
                # A person is waiting at the terminal: say so rather than sleep for an hour.
                shown = "an unknown time" if wait is None else f"{wait:.0f} s"
                raise SubjectFailedError(
                    f"{_transient(error, base_url)}; Intercom asks to wait {shown}, try again later"
                )

    try:
        return await retrying(work, policy, on_retry=give_up_on_long_waits)
    except CredentialsError as error:  # the contract's type, whatever the resolver
        raise CliError(
            f"{_refusal(error)}; 'dsr intercom check' lists what the token may do", ExitCode.USAGE
        ) from error
    except ResolverError as error:
        raise SubjectFailedError(_refusal(error)) from error
    except (httpx.HTTPError, OSError) as error:
        attempts = "1 attempt" if tries == 1 else f"{tries} attempts"
        raise SubjectFailedError(
            f"{_transient(error, base_url)}, after {attempts}; try again later"
        ) from error


def _refusal(error: ResolverError) -> str:
    """A ``ResolverError``'s message, which the contract keeps free of personal data."""
    if isinstance(error, IntercomRejectedError):
        return (
            f"Intercom rejected the {error.action} request (status {error.status_code}): "
            f"{error.hint}"
        )
    return str(error) or type(error).__name__


def _transient(error: BaseException, base_url: str) -> str:
    """What a retryable failure was, from its type and status only."""
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
