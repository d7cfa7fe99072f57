"""The Intercom plugin: :class:`IntercomResolver` and the errors it raises.

Import it from here; the modules behind it are private and free to change.
"""

from dsr_resolvers.intercom._errors import (
    CursorLoopError,
    IntercomRejectedError,
    MalformedResponseError,
    RateLimitedError,
)
from dsr_resolvers.intercom._http import RequestHooks
from dsr_resolvers.intercom._resolver import REGIONS, IntercomResolver

__all__ = [
    "REGIONS",
    "CursorLoopError",
    "IntercomRejectedError",
    "IntercomResolver",
    "MalformedResponseError",
    "RateLimitedError",
    "RequestHooks",
]
