"""Paging through Intercom's lists, without ever stopping short.

Intercom pages three ways: search endpoints take ``pagination.starting_after`` in the body and
answer ``pages.next.starting_after``; some GET lists answer ``pages.next`` as a cursor object
or as a URL; others give ``page``/``total_pages``. Every way ends the same: when no next page
is announced: ``next`` absent or ``null``, or its ``starting_after`` ``null`` (the description
marks both nullable). A cursor seen twice, a page without its list, or a 404 in the middle of
paging raises a retryable :class:`MalformedResponseError`: an export is complete or it is not
made. A ``null`` list item (the description marks tickets and event summaries nullable) holds
nothing and is skipped. A next-page URL (the events listing) is followed by its query only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from dsr_resolvers.intercom._errors import CursorLoopError
from dsr_resolvers.intercom._http import IntercomCall, Route

SEARCH_PAGE_SIZE = 150
"""Intercom's maximum ``per_page`` for search endpoints."""


def _items(
    call: IntercomCall, method: str, route: str, page: Mapping[str, Any], key: str | tuple[str, ...]
) -> list[dict[str, Any]]:
    """The page's item list under ``key`` (or the first of several spellings present)."""
    keys = (key,) if isinstance(key, str) else key
    items = next((page[k] for k in keys if k in page), None)
    if not isinstance(items, list) or not all(isinstance(i, dict | None) for i in items):
        raise call.malformed(method, route, f"a page without a {keys[0]} list")
    return [item for item in items if item is not None]


def search(
    call: IntercomCall, route: str, query: Mapping[str, Any], key: str
) -> Iterator[dict[str, Any]]:
    """Every item a ``POST .../search`` finds, 150 a page, following ``starting_after``."""
    seen: set[str] = set()
    cursor: str | None = None
    while True:
        pagination: dict[str, Any] = {"per_page": SEARCH_PAGE_SIZE}
        if cursor is not None:
            pagination["starting_after"] = cursor
        page = call.request("POST", route, json_body={"query": query, "pagination": pagination})
        if page is None:
            raise call.malformed("POST", route, "404 for a search")
        yield from _items(call, "POST", route, page, key)
        cursor = _next_cursor(call, "POST", route, page)
        if cursor is None:
            return
        if cursor in seen:
            raise call.malformed(
                "POST", route, "a pagination cursor it had already sent", CursorLoopError
            )
        seen.add(cursor)


def _next_cursor(
    call: IntercomCall, method: str, route: str, page: Mapping[str, Any]
) -> str | None:
    pages = page.get("pages")
    if pages is None:
        return None
    if not isinstance(pages, dict):
        raise call.malformed(method, route, "malformed paging")
    next_page = pages.get("next")
    if next_page is None:
        return None
    if isinstance(next_page, dict) and next_page.get("starting_after", "") is None:
        return None
    cursor = next_page.get("starting_after") if isinstance(next_page, dict) else None
    if not isinstance(cursor, str) or not cursor:
        raise call.malformed(method, route, "a next page without a cursor")
    return cursor


def listing(
    call: IntercomCall,
    route: str,
    key: str | tuple[str, ...],
    *,
    path_params: Mapping[str, str],
    params: Mapping[str, str] | None = None,
) -> Iterator[dict[str, Any]] | None:
    """Every item of a GET list, following whichever paging Intercom announces.

    Returns ``None`` when the first page is a 404 (the parent is absent), else an iterator
    whose later pages must all exist.
    """
    first = call.request("GET", route, path_params=path_params, params=params)
    if first is None:
        return None
    return _listing_from(call, route, key, first, path_params, dict(params or {}))


def _listing_from(
    call: IntercomCall,
    route: str,
    key: str | tuple[str, ...],
    page: dict[str, Any],
    path_params: Mapping[str, str],
    params: dict[str, str],
) -> Iterator[dict[str, Any]]:
    seen: set[tuple[tuple[str, str], ...]] = set()
    while True:
        yield from _items(call, "GET", route, page, key)
        following = _next_params(call, route, page)
        if following is None:
            return
        params = {**params, **following}
        fingerprint = tuple(sorted(following.items()))
        if fingerprint in seen:
            raise call.malformed(
                "GET", route, "a pagination cursor it had already sent", CursorLoopError
            )
        seen.add(fingerprint)
        next_page = call.request("GET", route, path_params=path_params, params=params)
        if next_page is None:
            raise call.malformed("GET", route, "404 in the middle of paging")
        page = next_page


def _next_params(call: IntercomCall, route: str, page: Mapping[str, Any]) -> dict[str, str] | None:
    pages = page.get("pages")
    if pages is None:
        return None
    if not isinstance(pages, dict):
        raise call.malformed("GET", route, "malformed paging")
    next_page = pages.get("next")
    if isinstance(next_page, dict):
        if next_page.get("starting_after", "") is None:
            return None
        cursor = next_page.get("starting_after")
        if not isinstance(cursor, str) or not cursor:
            raise call.malformed("GET", route, "a next page without a cursor")
        return {"starting_after": cursor}
    if isinstance(next_page, str) and next_page:
        # A next-page URL: take its query only; the host and path are never followed.
        query = dict(parse_qsl(urlsplit(next_page).query, keep_blank_values=True))
        if not query:
            raise call.malformed("GET", route, "a next page URL without a query")
        return query
    if next_page is not None:
        raise call.malformed("GET", route, "malformed paging")
    number, total = pages.get("page"), pages.get("total_pages")
    if isinstance(number, int) and isinstance(total, int) and number < total:
        return {"page": str(number + 1)}
    return None


def item_id(call: IntercomCall, where: Route, item: Mapping[str, Any]) -> str:
    """The ``id`` of a listed item as text (Intercom sends some ids as numbers), or raise."""
    identifier = item.get("id")
    if isinstance(identifier, int) and not isinstance(identifier, bool):
        return str(identifier)
    if not isinstance(identifier, str) or not identifier:
        raise call.malformed(where.method, where.path, "an item without an id")
    return identifier
