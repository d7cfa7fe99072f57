"""IntercomResolver: export (Art. 15) and erase (Art. 17) one person's data in Intercom.

A subject is addressed by its Intercom contact id (``SubjectRef(kind="intercom", value=id)``).

Export reads ``GET /contacts/{id}`` and pages ``POST /conversations/search`` filtered on
``contact_ids = id`` with 150 results a page: ``1 + max(1, ceil(N / 150))`` requests for a
contact in ``N`` conversations (an empty first page is how "none" is learnt). A 404 on the
contact is the only way to an empty export, and then no search is made.

Erasure deletes the contact with ``DELETE /contacts/{id}``; a 404 is success with
``already_absent=True``.

Each call builds a fresh ``httpx.Client`` and runs it in ``asyncio.to_thread``; the instance
holds only configuration, so any number of event loops and threads may share one resolver.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any, Final, Literal

import httpx

from dsr_resolvers.contract import (
    CoveredSurface,
    ExportRecord,
    ResolverErasure,
    ResolverError,
    ResolverExport,
    SubjectRef,
)
from dsr_resolvers.intercom._errors import CursorLoopError
from dsr_resolvers.intercom._fields import (
    CONTACT_FIELDS,
    CONTACT_PREFIX,
    CONVERSATION_FIELDS,
    CONVERSATION_PREFIX,
    RESOLVER_NAME,
    FieldSpec,
    build_covered_surface,
    render,
)
from dsr_resolvers.intercom._http import IntercomCall, RequestHooks

__all__ = ["REGIONS", "IntercomResolver"]

REGIONS: Final[dict[str, str]] = {
    "us": "https://api.intercom.io",
    "eu": "https://api.eu.intercom.io",
    "au": "https://api.au.intercom.io",
}

SEARCH_PAGE_SIZE: Final = 150
"""Intercom's maximum ``per_page`` for conversation search."""

Region = Literal["us", "eu", "au"]


class IntercomResolver:
    """Exports and erases one Intercom contact and its conversation metadata.

    Args:
        access_token: An Intercom access token. Never shown by ``repr``, ``str``, errors or logs.
        base_url: The API host; defaults to the host of ``region``.
        region: ``"us"`` (default), ``"eu"`` or ``"au"``: a shortcut for the regional hosts.
            Give either ``region`` or ``base_url``, not both.
        transport: An httpx transport to send requests through (a test fake, a proxy);
            the resolver borrows it and never closes it.
        timeout: Seconds allowed for each request's connect, read and write.
        api_version: The ``Intercom-Version`` header; this library is built against 2.14.
        hooks: Instrumentation called around every request, e.g. a shared rate limiter.

    Raises:
        ValueError: An empty token or one that cannot be sent in a header, an unknown
            region, or both ``region`` and ``base_url``.

    Example:
        >>> resolver = IntercomResolver("token", region="eu")
        >>> resolver
        IntercomResolver(base_url='https://api.eu.intercom.io', api_version='2.14')
    """

    def __init__(
        self,
        access_token: str,
        *,
        base_url: str | None = None,
        region: Region | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
        api_version: str = "2.14",
        hooks: RequestHooks | None = None,
    ) -> None:
        if not access_token or access_token != access_token.strip() or "\n" in access_token:
            raise ValueError("the Intercom access token is empty or contains whitespace")
        if region is not None and base_url is not None:
            raise ValueError("give either region or base_url, not both")
        if region is not None and region not in REGIONS:
            raise ValueError(f"unknown Intercom region {region!r}; use one of us, eu, au")
        if timeout <= 0:
            raise ValueError("timeout must be a positive number of seconds")
        self._token: Final = access_token
        self._base_url: Final = (base_url or REGIONS[region or "us"]).rstrip("/")
        self._transport: Final = transport
        self._timeout: Final = timeout
        self._api_version: Final = api_version
        self._hooks: Final = hooks

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self._base_url!r}, api_version={self._api_version!r})"
        )

    @property
    def name(self) -> str:
        """``"intercom"``, forever: saga engines key their audit trails on it."""
        return RESOLVER_NAME

    @property
    def base_url(self) -> str:
        """The API host requests go to."""
        return self._base_url

    @property
    def covered_surface(self) -> CoveredSurface:
        """What export and erasure reach, derived from the exporter's own field tables."""
        return build_covered_surface()

    async def export_subject(self, ref: SubjectRef) -> ResolverExport:
        """Export the contact's profile fields and conversation metadata (Art. 15).

        Args:
            ref: ``SubjectRef(kind="intercom", value=<contact id>)``.

        Returns:
            Every record held; empty only when Intercom answers 404 for the contact.

        Raises:
            ResolverError: A wrong ref kind, or Intercom refused (401, 403, other 4xx).
            httpx.HTTPStatusError: 429 (as ``RateLimitedError``) or 5xx: retry.
            MalformedResponseError: An unexpected 2xx body or a repeating cursor: retry.
            httpx.TransportError: A connection fault or timeout: retry.
        """
        contact_id = self._contact_id(ref)
        records = await asyncio.to_thread(self._export_sync, contact_id)
        return ResolverExport(resolver=self.name, records=records)

    async def erase_subject(self, ref: SubjectRef) -> ResolverErasure:
        """Delete the Intercom contact (Art. 17); idempotent.

        Args:
            ref: ``SubjectRef(kind="intercom", value=<contact id>)``.

        Returns:
            The outcome; ``already_absent=True`` when Intercom had no such contact.

        Raises:
            ResolverError: A wrong ref kind, or Intercom refused (401, 403, other 4xx).
            httpx.HTTPStatusError: 429 (as ``RateLimitedError``) or 5xx: retry.
            MalformedResponseError: An unexpected 2xx body: retry.
            httpx.TransportError: A connection fault or timeout: retry.
        """
        contact_id = self._contact_id(ref)
        return await asyncio.to_thread(self._erase_sync, contact_id)

    # -- synchronous bodies, run in a worker thread -------------------------------------------

    def _call(self, action: str) -> IntercomCall:
        return IntercomCall(
            action=action,
            base_url=self._base_url,
            token=self._token,
            api_version=self._api_version,
            timeout=self._timeout,
            transport=self._transport,
            hooks=self._hooks,
        )

    def _contact_id(self, ref: SubjectRef) -> str:
        if ref.kind != self.name:
            raise ResolverError(
                f"intercom resolves refs of kind 'intercom' only (got kind={ref.kind!r})"
            )
        return ref.value

    def _export_sync(self, contact_id: str) -> tuple[ExportRecord, ...]:
        with self._call("export") as call:
            contact = call.request("GET", "/contacts/{id}", path_params={"id": contact_id})
            if contact is None:
                return ()
            records = list(
                _records(call, "GET", "/contacts/{id}", CONTACT_PREFIX, CONTACT_FIELDS, contact)
            )
            for conversation in _conversations(call, contact_id):
                prefix = CONVERSATION_PREFIX.format(id=conversation["id"])
                records.extend(
                    _records(
                        call,
                        "POST",
                        "/conversations/search",
                        prefix,
                        CONVERSATION_FIELDS,
                        conversation,
                    )
                )
            return tuple(records)

    def _erase_sync(self, contact_id: str) -> ResolverErasure:
        with self._call("erase") as call:
            deleted = call.request("DELETE", "/contacts/{id}", path_params={"id": contact_id})
            if deleted is None:
                return ResolverErasure(
                    resolver=self.name,
                    already_absent=True,
                    detail="Intercom holds no contact with this id; nothing to delete",
                )
            if deleted.get("deleted") is not True:
                raise call.malformed("DELETE", "/contacts/{id}", "no deletion confirmation")
            return ResolverErasure(
                resolver=self.name,
                detail="deleted the Intercom contact; Intercom destroys its data after a "
                "7-day grace period; its conversations were not touched",
            )


def _records(
    call: IntercomCall,
    method: str,
    route: str,
    prefix: str,
    specs: tuple[FieldSpec, ...],
    source: dict[str, Any],
) -> Iterator[ExportRecord]:
    for spec in specs:
        try:
            value = render(spec, source.get(spec.key))
        except ValueError:
            raise call.malformed(
                method, route, f"an unexpected value type for {spec.key}"
            ) from None
        if value is not None:
            yield ExportRecord(
                source=RESOLVER_NAME, field=prefix + spec.key, category=spec.category, value=value
            )


def _conversations(call: IntercomCall, contact_id: str) -> Iterator[dict[str, Any]]:
    """Every conversation of the contact, page by page; raises rather than stop short."""
    route = "/conversations/search"
    query = {"field": "contact_ids", "operator": "=", "value": contact_id}
    seen_cursors: set[str] = set()
    cursor: str | None = None
    while True:
        pagination: dict[str, Any] = {"per_page": SEARCH_PAGE_SIZE}
        if cursor is not None:
            pagination["starting_after"] = cursor
        page = call.request("POST", route, json_body={"query": query, "pagination": pagination})
        if page is None:
            raise call.malformed("POST", route, "404 for a search")
        conversations = page.get("conversations")
        if not isinstance(conversations, list):
            raise call.malformed("POST", route, "a page without a conversation list")
        for conversation in conversations:
            if not isinstance(conversation, dict) or not isinstance(conversation.get("id"), str):
                raise call.malformed("POST", route, "a conversation without an id")
            yield conversation
        cursor = _next_cursor(call, page)
        if cursor is None:
            return
        if cursor in seen_cursors:
            raise call.malformed(
                "POST", route, "a pagination cursor it had already sent", CursorLoopError
            )
        seen_cursors.add(cursor)


def _next_cursor(call: IntercomCall, page: dict[str, Any]) -> str | None:
    pages = page.get("pages")
    if pages is None:
        return None
    if not isinstance(pages, dict):
        raise call.malformed("POST", "/conversations/search", "malformed paging")
    next_page = pages.get("next")
    if next_page is None:
        return None
    cursor = next_page.get("starting_after") if isinstance(next_page, dict) else None
    if not isinstance(cursor, str) or not cursor:
        raise call.malformed("POST", "/conversations/search", "a next page without a cursor")
    return cursor
