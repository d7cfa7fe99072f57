"""The one exception of the contract, and how every exception of this library travels.

Callers retry everything except :class:`ResolverError`. A resolver raises it only for
failures a retry cannot fix (a rejected token, a missing scope, a malformed request), and its
message names the HTTP status and the action, never a token, an identifier or personal data.
Transient failures (rate limits, server errors, connection faults) propagate as the transport
library's own exception types so that the caller's retry policy sees them untouched.

Job queues (Celery, multiprocessing, an outbox table) store exceptions with ``pickle``. The
default pickling of an exception calls its class with ``args`` alone, which breaks as soon as a
subclass's ``__init__`` takes other parameters. :class:`PortableError` rebuilds any subclass
without calling ``__init__``:

| kept across pickle            | how                                                    |
|-------------------------------|--------------------------------------------------------|
| the type                      | the class is pickled by reference                      |
| the message (``str(exc)``)    | ``args`` are restored as they were                     |
| the attributes                | the instance ``__dict__`` (``status_code``, ...)       |
| cause, context, traceback     | dropped, as for every pickled exception                |
"""

from __future__ import annotations

from typing import Any

__all__ = ["CredentialsError", "PortableError", "ResolverError", "ThrottledError"]


def _rebuild(
    kind: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]
) -> BaseException:
    error = kind.__new__(kind)
    error.args = args
    error.__dict__.update(state)
    return error


class PortableError(BaseException):
    """Mixin: instances survive ``pickle`` with type, message and attributes, whatever the
    subclass's ``__init__`` looks like. Put it first among the bases."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class ResolverError(PortableError, Exception):
    """A failure that retrying will not fix. The message holds no personal data.

    Attributes:
        status_code: The HTTP status the system answered with, when the failure was an
            answer (``None`` otherwise).
    """

    status_code: int | None = None


class CredentialsError(ResolverError):
    """The system refused the credentials or their permissions (HTTP 401, 403): every
    subject would fail alike, so a run of many stops instead of failing each one."""


class ThrottledError(PortableError, Exception):
    """A transient refusal that says when to try again: never a :class:`ResolverError`.

    A resolver's own rate-limit exception inherits it besides its transport library's type,
    so a caller retries by type, whatever the vendor.

    Attributes:
        retry_after: Seconds to wait before trying again, when the system said.
    """

    retry_after: float | None = None
