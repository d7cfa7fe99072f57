"""The vendor-free resolver contract: value types, the surface declaration, protocols, errors.

Nothing here imports a vendor package; every plugin depends on this, never the reverse.
"""

from dsr_resolvers.contract._errors import CredentialsError, ResolverError, ThrottledError
from dsr_resolvers.contract._models import (
    ExportRecord,
    ItemIds,
    ItemsReadBack,
    PiiCategory,
    Presence,
    ResolverErasure,
    ResolverErasurePlan,
    ResolverExport,
    ResolverObjection,
    ResolverRectification,
    ResolverVerification,
    SubjectMatch,
    SubjectRef,
)
from dsr_resolvers.contract._protocols import (
    AttestingResolver,
    ConcurrentResolver,
    ConfiguredResolver,
    ErasureLedger,
    LedgeredResolver,
    LookupResolver,
    ObjectingResolver,
    Operation,
    PlanningResolver,
    RectifyingResolver,
    Resolver,
    VerifyingResolver,
)
from dsr_resolvers.contract._surface import CoveredField, CoveredSurface, SurfaceExclusion

__all__ = [
    "AttestingResolver",
    "ConcurrentResolver",
    "ConfiguredResolver",
    "CoveredField",
    "CoveredSurface",
    "CredentialsError",
    "ErasureLedger",
    "ExportRecord",
    "ItemIds",
    "ItemsReadBack",
    "LedgeredResolver",
    "LookupResolver",
    "ObjectingResolver",
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
    "ResolverObjection",
    "ResolverRectification",
    "ResolverVerification",
    "SubjectMatch",
    "SubjectRef",
    "SurfaceExclusion",
    "ThrottledError",
    "VerifyingResolver",
]
