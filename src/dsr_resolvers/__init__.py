"""dsr-resolvers: answer GDPR data-subject requests for data held in third-party systems.

The package root re-exports the vendor-free contract. Vendor plugins live in subpackages
(``dsr_resolvers.intercom``) so that importing the contract never pulls a vendor in.
"""

from dsr_resolvers._version import __version__
from dsr_resolvers.contract import (
    AttestingResolver,
    ConcurrentResolver,
    ConfiguredResolver,
    CoveredField,
    CoveredSurface,
    CredentialsError,
    ExportRecord,
    LookupResolver,
    Operation,
    PiiCategory,
    PlanningResolver,
    Presence,
    RectifyingResolver,
    Resolver,
    ResolverErasure,
    ResolverErasurePlan,
    ResolverError,
    ResolverExport,
    ResolverRectification,
    ResolverVerification,
    SubjectMatch,
    SubjectRef,
    SurfaceExclusion,
    ThrottledError,
    VerifyingResolver,
)

__all__ = [
    "AttestingResolver",
    "ConcurrentResolver",
    "ConfiguredResolver",
    "CoveredField",
    "CoveredSurface",
    "CredentialsError",
    "ExportRecord",
    "LookupResolver",
    "Operation",
    "PiiCategory",
    "PlanningResolver",
    "Presence",
    "RectifyingResolver",
    "Resolver",
    "ResolverErasure",
    "ResolverErasurePlan",
    "ResolverError",
    "ResolverExport",
    "ResolverRectification",
    "ResolverVerification",
    "SubjectMatch",
    "SubjectRef",
    "SurfaceExclusion",
    "ThrottledError",
    "VerifyingResolver",
    "__version__",
]
