"""dsr-resolvers: answer GDPR data-subject requests for data held in third-party systems.

The package root re-exports the vendor-free contract. Vendor plugins live in subpackages
(``dsr_resolvers.intercom``) so that importing the contract never pulls a vendor in.
"""

from dsr_resolvers._version import __version__
from dsr_resolvers.contract import (
    AttestingResolver,
    CoveredField,
    CoveredSurface,
    ExportRecord,
    PiiCategory,
    RectifyingResolver,
    Resolver,
    ResolverErasure,
    ResolverError,
    ResolverExport,
    ResolverRectification,
    SubjectRef,
    SurfaceExclusion,
)

__all__ = [
    "AttestingResolver",
    "CoveredField",
    "CoveredSurface",
    "ExportRecord",
    "PiiCategory",
    "RectifyingResolver",
    "Resolver",
    "ResolverErasure",
    "ResolverError",
    "ResolverExport",
    "ResolverRectification",
    "SubjectRef",
    "SurfaceExclusion",
    "__version__",
]
