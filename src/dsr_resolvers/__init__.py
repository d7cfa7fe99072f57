"""dsr-resolvers: answer GDPR data-subject requests for data held in third-party systems.

The package root re-exports the vendor-free contract (imported on first use). Vendor plugins
live in subpackages (``dsr_resolvers.intercom``) so that importing the contract never pulls a
vendor in.
"""

import importlib
from typing import TYPE_CHECKING

from dsr_resolvers._version import __version__ as __version__

if TYPE_CHECKING:
    from dsr_resolvers.contract import *  # noqa: F403  (the contract, as its __all__ names it)

__all__: list[str]  # the contract's __all__ and __version__, given by __getattr__ on first use


def __getattr__(name: str) -> object:
    # The contract's models are built on first use (its __all__ included), so that
    # 'dsr --version' and '--help', which import this package, do not pay for them.
    if name.startswith("__") and name != "__all__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    contract = importlib.import_module("dsr_resolvers.contract")
    if name == "__all__":
        return ["__version__", *contract.__all__]
    if name in contract.__all__:
        return getattr(contract, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
