"""dsr-resolvers: answer GDPR data-subject requests for data held in third-party systems.

The package root re-exports the vendor-free contract. Vendor plugins live in subpackages
(``dsr_resolvers.intercom``) so that importing the contract never pulls a vendor in.
"""

from dsr_resolvers import contract
from dsr_resolvers._version import __version__
from dsr_resolvers.contract import *  # noqa: F403  (the contract, as its __all__ names it)

__all__ = ["__version__"]
__all__ += contract.__all__
