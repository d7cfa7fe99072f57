"""The vendor-free resolver contract: value types, the surface declaration, protocols.

Nothing here imports a vendor package; every plugin depends on this, never the reverse.
"""

from dsr_resolvers.contract._errors import ResolverError
from dsr_resolvers.contract._models import (
    ExportRecord,
    PiiCategory,
    ResolverErasure,
    ResolverExport,
    ResolverRectification,
    SubjectRef,
)
from dsr_resolvers.contract._protocols import AttestingResolver, RectifyingResolver, Resolver
from dsr_resolvers.contract._surface import CoveredField, CoveredSurface, SurfaceExclusion

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
]
