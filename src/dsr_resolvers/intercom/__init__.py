"""The Intercom plugin: :class:`IntercomResolver`, its results and the errors it raises.

Import from here; the modules behind it are private and free to change.
"""

from dsr_resolvers.intercom._errors import (
    CredentialsRefusedError,
    CursorLoopError,
    IntercomRedirectError,
    IntercomRejectedError,
    IntercomServerError,
    MalformedResponseError,
    RateLimitedError,
)
from dsr_resolvers.intercom._fields import ExportSection
from dsr_resolvers.intercom._http import NotIntercomError, RequestHooks
from dsr_resolvers.intercom._messages import IncompleteConversationError
from dsr_resolvers.intercom._objection import MarketingObjection, ObjectionNotConfirmedError
from dsr_resolvers.intercom._resolver import (
    CORRECTABLE_FIELDS,
    REGIONS,
    IntercomResolver,
    RectificationError,
)
from dsr_resolvers.intercom._results import (
    ContactMatch,
    ErasurePlan,
    ErasurePolicy,
    ErasureVerification,
    MessageScan,
)

__all__ = [
    "CORRECTABLE_FIELDS",
    "REGIONS",
    "ContactMatch",
    "CredentialsRefusedError",
    "CursorLoopError",
    "ErasurePlan",
    "ErasurePolicy",
    "ErasureVerification",
    "ExportSection",
    "IncompleteConversationError",
    "IntercomRedirectError",
    "IntercomRejectedError",
    "IntercomResolver",
    "IntercomServerError",
    "MalformedResponseError",
    "MarketingObjection",
    "MessageScan",
    "NotIntercomError",
    "ObjectionNotConfirmedError",
    "RateLimitedError",
    "RectificationError",
    "RequestHooks",
]
