"""The Intercom error taxonomy: what each response means to a caller that retries.

The taxonomy keys on the HTTP status code, and for a 404 on whether Intercom's own not-found
code came with it. Intercom's error bodies are versioned and may echo what was sent, so beyond
that code they are never read, never copied into a message, never attached.

| response                    | outcome                                                      |
|-----------------------------|--------------------------------------------------------------|
| 2xx with the expected JSON  | success                                                      |
| 2xx with anything else      | ``MalformedResponseError``: retryable, never an empty export |
| 3xx                         | ``IntercomRedirectError`` (a ``ResolverError``): the base URL |
|                             | is wrong; redirects are never followed                       |
| 404 with Intercom's body    | absent: empty export, ``already_absent=True`` on erasure     |
| any other 404               | ``NotIntercomError`` (``_http.py``): check ``base_url``        |
| 401, 403                    | ``CredentialsRefusedError`` (an ``IntercomRejectedError``    |
|                             | and the contract's ``CredentialsError``): the token or its   |
|                             | scopes, not the subject                                      |
| other 4xx except 429        | ``IntercomRejectedError`` naming the status and action only  |
| 429                         | ``RateLimitedError`` (an ``HTTPStatusError`` and the         |
|                             | contract's ``ThrottledError``, ``retry_after``)              |
| 5xx (and any other status)  | ``IntercomServerError`` (an ``HTTPStatusError``): retry      |
| connection faults, timeouts | ``httpx.TransportError``, its own type                       |
| a body that cannot be read  | ``httpx.DecodingError`` (a corrupt gzip body), its own type  |

Every exception that leaves the resolver carries a *scrubbed* request: the URL names the
route template (``/contacts/{id}``) instead of the contact id, and no ``Authorization``
header travels with it. A traceback printed at 3 a.m. holds neither a token nor an id.
Every exception defined here survives ``pickle`` (see ``contract/_errors.py``); httpx's own
``RequestError`` types do too, as they take only a message.
"""

from __future__ import annotations

import email.utils
import math
import time

import httpx

from dsr_resolvers.contract import CredentialsError, ResolverError, ThrottledError
from dsr_resolvers.contract._errors import PortableError

__all__ = [
    "CredentialsRefusedError",
    "CursorLoopError",
    "IntercomRedirectError",
    "IntercomRejectedError",
    "IntercomServerError",
    "MalformedResponseError",
    "RateLimitedError",
]


class IntercomRejectedError(ResolverError):
    """Intercom refused the request for a reason a retry cannot fix (a 4xx other than 404/429).

    Attributes:
        status_code: The HTTP status Intercom answered with.
        action: What was being done: ``export``, ``erase``, ``rectify``, ``lookup``, ``verify``.
    """

    status_code: int

    def __init__(self, status_code: int, action: str) -> None:
        self.status_code = status_code
        self.action = action
        super().__init__(f"intercom rejected the {action} request (status={status_code})")

    @property
    def hint(self) -> str:
        """What an operator should do about it; derived from the status code alone."""
        return _HINTS.get(self.status_code, "check the request against Intercom's API reference")


class CredentialsRefusedError(IntercomRejectedError, CredentialsError):
    """Intercom refused the credentials (401) or their scopes (403): no subject can succeed.

    A caller stops here instead of trying the next subject, and decides so by this type.
    """


#: The statuses that refuse the credentials rather than the request.
CREDENTIAL_STATUSES = frozenset({401, 403})

_HINTS = {
    400: "the request was malformed; report it as a bug in dsr-resolvers",
    401: "the access token is missing, revoked or for another workspace; supply a valid token",
    403: "the access token lacks a scope this action needs; grant it in the Intercom app settings",
    409: "Intercom reported a conflict; check the contact in the Intercom UI",
    422: "Intercom could not process the values sent; check them against Intercom's rules",
}


class IntercomRedirectError(ResolverError):
    """Intercom (or whatever answers at the base URL) redirected: a configuration problem.

    The resolver never follows a redirect, since the ``Authorization`` header would follow it
    to wherever it points. A 3xx means the base URL names the wrong host (a proxy, a login
    page, the wrong region): a retry cannot fix it.

    Attributes:
        status_code: The HTTP status answered.
        action: What was being done: ``export``, ``erase``, ...
    """

    def __init__(self, status_code: int, action: str) -> None:
        self.status_code = status_code
        self.action = action
        super().__init__(
            f"the {action} request was redirected (status={status_code}); the base URL is not "
            "the Intercom API host: check the configured base_url or region"
        )


class MalformedResponseError(PortableError, httpx.HTTPError):
    """Intercom answered 2xx with a body that is not what its API promises.

    Transient by assumption (a proxy's error page, a truncated body): the caller retries. It is
    raised instead of ever returning a partial or empty export.
    """

    def __init__(self, message: str, *, request: httpx.Request) -> None:
        super().__init__(message)
        self.request = request


class CursorLoopError(MalformedResponseError):
    """A pagination cursor came back that was already followed; paging would never end."""


class IntercomServerError(PortableError, httpx.HTTPStatusError):
    """Intercom answered 5xx (or a status outside the taxonomy): transient, retry later."""


class RateLimitedError(ThrottledError, httpx.HTTPStatusError):
    """Intercom answered 429. Retry after ``retry_after`` seconds (``None`` when not said)."""

    def __init__(
        self,
        message: str,
        *,
        request: httpx.Request,
        response: httpx.Response,
        retry_after: float | None,
    ) -> None:
        super().__init__(message, request=request, response=response)
        self.retry_after = retry_after


def retry_after_seconds(headers: httpx.Headers, *, now: float | None = None) -> float | None:
    """Seconds to wait before retrying, from ``Retry-After`` or ``X-RateLimit-Reset``.

    A negative, non-finite or unreadable ``Retry-After`` names no wait: the reset header, if
    any, decides, else ``None`` (the caller's default pause, never none).
    """
    now = time.time() if now is None else now
    retry_after = headers.get("retry-after")
    if retry_after is not None:
        try:
            seconds = float(retry_after)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(retry_after)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                return max(0.0, when.timestamp() - now)
        else:
            if math.isfinite(seconds) and seconds >= 0:
                return seconds
    reset = headers.get("x-ratelimit-reset")
    if reset is not None:
        try:
            reset_at = float(reset)
        except ValueError:
            return None
        if math.isfinite(reset_at):
            return max(0.0, reset_at - now)
    return None
