"""Retrying one resolver call, for the single-subject commands.

The resolver follows the contract: it raises ``ResolverError`` for what a retry cannot fix and
lets transient failures through untouched, for the caller to retry. A person at a terminal
should not have to rerun a command because of one 503, so each call is tried a few times:

| failure                                 | what happens                                      |
|-----------------------------------------|---------------------------------------------------|
| 401 / 403 (``IntercomRejectedError``)   | stop the command: :class:`CliError`, exit 2, with |
|                                         | the error's ``hint``; no other contact is tried   |
| other ``ResolverError``                 | :class:`SubjectFailedError` at once, not retried       |
| 429 (``RateLimitedError``)              | wait ``retry_after`` (or the backoff), retry;     |
|                                         | a wait longer than ``backoff_max`` fails at once  |
| 5xx, malformed 2xx, connection, timeout | exponential backoff with jitter, retry            |
| still failing after ``max_attempts``    | :class:`SubjectFailedError` naming the last failure    |

Pauses follow the bulk engine's :class:`~dsr_resolvers.bulk.RetryPolicy` (full-jitter
exponential backoff); the bulk commands use the engine itself, with its journal.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx

from dsr_resolvers.bulk import RetryPolicy
from dsr_resolvers.cli._errors import (
    CREDENTIAL_STATUSES,
    CliError,
    ExitCode,
    SubjectFailedError,
    describe_transient,
    rejected_message,
    resolver_error_message,
)
from dsr_resolvers.contract import ResolverError
from dsr_resolvers.intercom import IntercomRejectedError, RateLimitedError

__all__ = ["call_with_retries"]

_T = TypeVar("_T")


async def call_with_retries(
    work: Callable[[], Awaitable[_T]], *, policy: RetryPolicy, base_url: str
) -> _T:
    """Await ``work()``, retrying transient failures under ``policy``.

    Args:
        work: Makes a fresh awaitable for each try (e.g. ``lambda: resolver.export_subject(ref)``).
        policy: Tries and pauses.
        base_url: The API host, named when it cannot be reached.

    Returns:
        What ``work`` returned.

    Raises:
        CliError: Intercom refused the credentials (401, 403): exit 2, nothing else to try.
        SubjectFailedError: Any other refusal, or a transient failure that outlasted the tries.
    """
    failures = 0
    while True:
        try:
            return await work()
        except IntercomRejectedError as error:
            if error.status_code in CREDENTIAL_STATUSES:
                raise CliError(rejected_message(error), ExitCode.USAGE) from None
            raise SubjectFailedError(rejected_message(error)) from None
        except ResolverError as error:
            raise SubjectFailedError(resolver_error_message(error)) from None
        except (httpx.HTTPError, OSError) as error:
            failures += 1
            reason = describe_transient(error, base_url=base_url)
            wait = policy.backoff(failures)
            if isinstance(error, RateLimitedError) and error.retry_after is not None:
                if error.retry_after > policy.backoff_max:
                    raise SubjectFailedError(
                        f"{reason}; Intercom asks to wait {error.retry_after:.0f} s, "
                        "try again later"
                    ) from None
                wait = error.retry_after
            if failures >= policy.max_attempts:
                tries = "1 attempt" if failures == 1 else f"{failures} attempts"
                raise SubjectFailedError(f"{reason}, after {tries}; try again later") from None
        await asyncio.sleep(wait)
