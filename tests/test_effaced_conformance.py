"""effaced's own resolver conformance suite, unmodified, against the adapted IntercomResolver.

The suite is effaced's statement of what its exporter and saga runner rely on. Passing it
here, with every optional hook implemented (so nothing is skipped), shows that
``as_effaced_resolver(IntercomResolver(...))`` is a resolver effaced can drive: the shape of
its exports, idempotent erasure, and the error taxonomy as effaced reads it.

Each test gets a fresh ``FakeIntercom`` holding the sandbox's demo workspace; the present
subject is the demo user (a contact with conversations, notes, tags, a company, a ticket and
events), the absent one an id the workspace never issued.
"""

from __future__ import annotations

import effaced
import httpx
from effaced.testing import ResolverConformanceSuite

from dsr_resolvers.integrations.effaced import as_effaced_resolver
from dsr_resolvers.intercom import ErasurePolicy, IntercomResolver
from dsr_resolvers.sandbox import DemoWorkspace, seed_demo
from dsr_resolvers.testing import FakeIntercom

TOKEN = "tok_effaced_conformance_SECRET"
EVERY_REQUEST = 10_000
"""A fault count no suite test exhausts: the fault hits every request, whatever its route."""


class TestEffacedConformance(ResolverConformanceSuite):
    """effaced's suite; only its hooks are implemented here."""

    policy: ErasurePolicy = "delete_contact"
    fake: FakeIntercom
    demo: DemoWorkspace

    def setup_method(self) -> None:
        self.fake = FakeIntercom(TOKEN)
        self.demo = seed_demo(self.fake)

    def _resolver(self, token: str = TOKEN) -> effaced.Resolver:
        return as_effaced_resolver(
            IntercomResolver(token, transport=self.fake, erasure_policy=self.policy)
        )

    def make_resolver(self) -> effaced.Resolver:
        return self._resolver()

    def make_present_ref(self) -> effaced.SubjectRef:
        return effaced.SubjectRef(kind="intercom", value=self.demo.user_id)

    def make_absent_ref(self) -> effaced.SubjectRef:
        return effaced.SubjectRef(kind="intercom", value="never-issued-contact-id")

    def make_nonretryable_resolver(self) -> effaced.Resolver:
        # A revoked token: Intercom answers 401 to export and erasure alike.
        return self._resolver("revoked-token")

    def make_transient_resolver(self) -> tuple[effaced.Resolver, type[Exception]]:
        # Intercom-side 503s on every request: our taxonomy leaves them as httpx's own error.
        self.fake.fail_next(503, times=EVERY_REQUEST)
        return self._resolver(), httpx.HTTPStatusError


class TestEffacedConformanceRedactingMessages(TestEffacedConformance):
    """The same suite with the policy that redacts the subject's messages before deleting."""

    policy: ErasurePolicy = "redact_messages"
