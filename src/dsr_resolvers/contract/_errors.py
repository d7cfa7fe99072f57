"""The one exception of the contract.

Callers retry everything except :class:`ResolverError`. A resolver raises it only for
failures a retry cannot fix (a rejected token, a missing scope, a malformed request), and its
message names the HTTP status and the action, never a token, an identifier or personal data.
Transient failures (rate limits, server errors, connection faults) propagate as the transport
library's own exceptions so that the caller's retry policy sees them untouched.
"""

from __future__ import annotations

__all__ = ["ResolverError"]


class ResolverError(Exception):
    """A failure that retrying will not fix. The message holds no personal data."""
