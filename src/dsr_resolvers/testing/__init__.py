"""Test tools for code that talks to Intercom.

:class:`FakeIntercom` is a stateful in-memory Intercom workspace: an ``httpx`` transport for
in-process tests, and (``fake.serve()`` or :class:`FakeIntercomServer`) a real HTTP server on
127.0.0.1 over the same state. It records every request and can inject the failures a GDPR tool
must survive: error statuses, connection resets (also after the change was made), timeouts,
malformed bodies and cursors that repeat. :class:`InMemoryResolver` is a second resolver with
no vendor code at all, driven through the contract's protocols alone.
"""

from typing import TYPE_CHECKING

from dsr_resolvers.testing._fake import FakeIntercom, RecordedRequest
from dsr_resolvers.testing._fake_faults import InjectedFault
from dsr_resolvers.testing._memory import InMemoryResolver
from dsr_resolvers.testing._server import FakeIntercomServer

if TYPE_CHECKING:
    from dsr_resolvers.testing._conformance import ResolverConformanceSuite

__all__ = [
    "FakeIntercom",
    "FakeIntercomServer",
    "InMemoryResolver",
    "InjectedFault",
    "RecordedRequest",
    "ResolverConformanceSuite",
]


def __getattr__(name: str) -> object:
    # The conformance suite needs pytest; import it only when asked for, so that FakeIntercom
    # stays usable in programs and test setups without pytest or hypothesis installed.
    if name == "ResolverConformanceSuite":
        from dsr_resolvers.testing._conformance import ResolverConformanceSuite

        return ResolverConformanceSuite
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
