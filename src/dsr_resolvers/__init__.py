"""dsr-resolvers: answer GDPR data-subject requests for data held in third-party systems.

The package root re-exports the vendor-free contract (imported on first use). Vendor plugins
live in subpackages (``dsr_resolvers.intercom``) so that importing the contract never pulls a
vendor in.
"""

from typing import TYPE_CHECKING

from dsr_resolvers._version import __version__

if TYPE_CHECKING:
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


def __getattr__(name: str) -> object:
    # The contract's models are built on first use, so that 'dsr --version' and '--help'
    # (which import dsr_resolvers.cli, hence this package) do not pay for them.
    if name in __all__:
        from dsr_resolvers import contract

        return getattr(contract, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
