"""Plug this library's resolvers into effaced's exporter and saga runner.

``effaced`` (an open-source GDPR library) drives external systems through its own ``Resolver``
protocol. Our contract has the same fields and meanings, but the classes are different, and
that difference is not cosmetic: effaced's ``SagaRunner`` abandons an erasure only on *its*
``ResolverError`` and retries everything else, so an unadapted resolver's "bad token" would be
retried until the attempts run out, and effaced's models would reject our records outright.
:func:`as_effaced_resolver` translates at the boundary and nowhere else:

=========  ================================  =====================================================
direction  value                             translation
=========  ================================  =====================================================
in         effaced ``SubjectRef``            copied into ours (``kind``, ``value``, ``extra``)
out        ``ResolverExport``                records copied one by one; ``category`` by value into
                                             effaced's ``PiiCategory``, ``legal_basis`` by value
                                             into effaced's ``LegalBasis``
out        ``ResolverErasure``               copied (``resolver``, ``already_absent``, ``detail``);
                                             ``counts`` and ``found`` stay behind: effaced has no
                                             field for them
raised     our ``ResolverError`` (and every  effaced's ``ResolverError`` with the same message; the
           subclass)                         original is chained as ``__cause__``
raised     anything else                     untouched: the very same object, so the runner's
                                             retry-with-backoff sees rate limits (429), server
                                             errors (5xx), malformed answers and connection faults
=========  ================================  =====================================================

A value effaced's types cannot hold (a category or legal basis effaced does not know, an empty
field name) raises effaced's ``ResolverError``: asking again would give the same answer. Its
message names the field, never the value, and the validation error is not chained because
pydantic's errors quote the rejected input, which may be personal data.

Not carried: effaced 0.1 has no protocol for a covered surface or for rectification, so the
adapter offers neither (an attribute effaced does not define could collide with one it adds
later under the same name but another type). Both stay reachable on :attr:`wrapped`.

Only this module imports effaced; install it with the ``effaced`` extra.
"""

from __future__ import annotations

from typing import Final

from pydantic import ValidationError

try:
    import effaced
except ModuleNotFoundError as missing:  # pragma: no cover - exercised in a subprocess test
    if missing.name != "effaced":
        raise
    raise ModuleNotFoundError(
        "dsr_resolvers.integrations.effaced needs the effaced package; "
        "install it with: pip install 'dsr-resolvers[effaced]'",
        name="effaced",
    ) from missing

from dsr_resolvers.contract import (
    ExportRecord,
    Resolver,
    ResolverErasure,
    ResolverError,
    ResolverExport,
    SubjectRef,
)

__all__ = ["EffacedResolverAdapter", "as_effaced_resolver"]

_LEGAL_BASES: Final = frozenset(basis.value for basis in effaced.LegalBasis)
_CATEGORIES: Final = frozenset(category.value for category in effaced.PiiCategory)


class EffacedResolverAdapter:
    """One of our resolvers, speaking effaced's ``Resolver`` protocol.

    Holds nothing but the wrapped resolver, so it is as safe to share across event loops and
    threads as the resolver itself (``IntercomResolver`` is). Build it with
    :func:`as_effaced_resolver`.

    Args:
        resolver: The resolver to adapt; it keeps its own configuration and behaviour.
    """

    def __init__(self, resolver: Resolver) -> None:
        self._resolver: Final = resolver

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._resolver!r})"

    @property
    def name(self) -> str:
        """The wrapped resolver's name; effaced routes refs whose ``kind`` equals it here."""
        return self._resolver.name

    @property
    def wrapped(self) -> Resolver:
        """The adapted resolver, for what effaced has no protocol for (surface, rectify)."""
        return self._resolver

    async def export_subject(self, ref: effaced.SubjectRef) -> effaced.ResolverExport:
        """Export the subject through the wrapped resolver, in effaced's types (Art. 15).

        Args:
            ref: effaced's reference, e.g. ``SubjectRef(kind="intercom", value=<contact id>)``.

        Returns:
            Every record the wrapped resolver returned, translated; empty only when it was.

        Raises:
            effaced.ResolverError: The wrapped resolver raised our ``ResolverError`` (chained),
                or a record cannot be expressed in effaced's types.
            Exception: Anything else the wrapped resolver raised, untouched, for a retry.
        """
        ours = _our_ref(ref)
        try:
            export = await self._resolver.export_subject(ours)
        except ResolverError as error:
            raise _effaced_error(error) from error
        return _effaced_export(export)

    async def erase_subject(self, ref: effaced.SubjectRef) -> effaced.ResolverErasure:
        """Erase the subject through the wrapped resolver, in effaced's types (Art. 17).

        Args:
            ref: effaced's reference, e.g. ``SubjectRef(kind="intercom", value=<contact id>)``.

        Returns:
            The outcome; ``already_absent=True`` when there was nothing left to erase.

        Raises:
            effaced.ResolverError: The wrapped resolver raised our ``ResolverError`` (chained):
                effaced's runner abandons the entry instead of retrying it.
            Exception: Anything else the wrapped resolver raised, untouched, for a retry.
        """
        ours = _our_ref(ref)
        try:
            erasure = await self._resolver.erase_subject(ours)
        except ResolverError as error:
            raise _effaced_error(error) from error
        return _effaced_erasure(erasure)


def as_effaced_resolver(resolver: Resolver | EffacedResolverAdapter) -> EffacedResolverAdapter:
    """Wrap one of our resolvers so that it satisfies effaced's ``Resolver`` protocol.

    Args:
        resolver: Any resolver of this library's contract, e.g. ``IntercomResolver``.
            An adapter is returned as it is, so wrapping twice is harmless.

    Returns:
        An adapter to register with effaced's ``ResolverRegistry``.

    Raises:
        TypeError: ``resolver`` does not have a ``name`` and the two coroutines.

    Example:
        >>> from effaced import ResolverRegistry
        >>> from dsr_resolvers.intercom import IntercomResolver
        >>> registry = ResolverRegistry()
        >>> registry.register(as_effaced_resolver(IntercomResolver("token", region="eu")))
        >>> registry.get("intercom")
        EffacedResolverAdapter(IntercomResolver(base_url='https://api.eu.intercom.io', api_version='2.14', erasure_policy='delete_contact'))
    """  # noqa: E501
    if isinstance(resolver, EffacedResolverAdapter):
        return resolver
    if not isinstance(resolver, Resolver):
        raise TypeError(
            f"{type(resolver).__name__} is not a resolver: it needs a name, "
            "export_subject and erase_subject"
        )
    return EffacedResolverAdapter(resolver)


def _our_ref(ref: effaced.SubjectRef) -> SubjectRef:
    try:
        return SubjectRef(kind=ref.kind, value=ref.value, extra=dict(ref.extra))
    except ValidationError as invalid:
        raise _untranslatable("the subject ref", invalid) from None


def _effaced_export(export: ResolverExport) -> effaced.ResolverExport:
    records = tuple(
        _effaced_record(export.resolver, index, record)
        for index, record in enumerate(export.records)
    )
    try:
        return effaced.ResolverExport(resolver=export.resolver, records=records)
    except ValidationError as invalid:
        raise _untranslatable(f"the {export.resolver!r} export", invalid) from None


def _effaced_record(resolver: str, index: int, record: ExportRecord) -> effaced.ExportRecord:
    where = f"record {index} of the {resolver!r} export"
    if record.category.value not in _CATEGORIES:
        raise effaced.ResolverError(
            f"cannot express {where} in effaced's types: "
            f"effaced has no PII category {record.category.value!r}"
        )
    try:
        return effaced.ExportRecord(
            source=record.source,
            field=record.field,
            category=effaced.PiiCategory(record.category.value),
            value=record.value,
            legal_basis=_legal_basis(where, record.legal_basis),
            purpose=record.purpose,
            retention_reason=record.retention_reason,
        )
    except ValidationError as invalid:
        raise _untranslatable(where, invalid) from None


def _legal_basis(where: str, basis: str | None) -> effaced.LegalBasis | None:
    if basis is None:
        return None
    if basis not in _LEGAL_BASES:
        # The text of a legal basis is configuration, but it is free text in our contract:
        # name the field and the accepted values, not what was there.
        raise effaced.ResolverError(
            f"cannot express {where} in effaced's types: its legal_basis is not one of "
            + ", ".join(sorted(_LEGAL_BASES))
        )
    return effaced.LegalBasis(basis)


def _effaced_erasure(erasure: ResolverErasure) -> effaced.ResolverErasure:
    try:
        return effaced.ResolverErasure(
            resolver=erasure.resolver,
            already_absent=erasure.already_absent,
            detail=erasure.detail,
        )
    except ValidationError as invalid:
        raise _untranslatable(f"the {erasure.resolver!r} erasure", invalid) from None


def _effaced_error(error: ResolverError) -> effaced.ResolverError:
    # Our ResolverError messages are free of personal data by contract, so the text is kept
    # whole: it is what an operator reads next to the abandoned outbox entry.
    return effaced.ResolverError(str(error) or type(error).__name__)


def _untranslatable(what: str, invalid: ValidationError) -> effaced.ResolverError:
    # Name where the value was rejected (pydantic's ``loc``), never the value itself.
    fields = sorted(
        {".".join(str(part) for part in error["loc"]) or "value" for error in invalid.errors()}
    )
    return effaced.ResolverError(
        f"cannot express {what} in effaced's types: rejected field(s) " + ", ".join(fields)
    )
