"""A minimal Intercom stand-in at the transport boundary, for the core resolver's tests.

It answers the routes the core export and erasure touch (ticket search always finds none),
pages conversation search with any page size the test picks (Intercom may return fewer than
asked), and records every request. The full-featured fake lives in ``dsr_resolvers.testing``;
this one exists so that the core taxonomy and paging tests depend on nothing but httpx.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import httpx


@dataclass
class PagedWorld:
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    conversations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    page_size: int = 150
    requests: list[httpx.Request] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        segments = request.url.raw_path.decode("ascii").split("?")[0].split("/")[1:]
        if len(segments) == 2 and segments[0] == "contacts":
            contact_id = unquote(segments[1])
            if contact_id not in self.contacts:
                return intercom_404()
            if request.method == "DELETE":
                del self.contacts[contact_id]
                self.deleted.append(contact_id)
                return httpx.Response(
                    200, json={"type": "contact", "id": contact_id, "deleted": True}
                )
            return httpx.Response(200, json=self.contacts[contact_id])
        if segments == ["conversations", "search"]:
            body = json.loads(request.content)
            contact_id = body["query"]["value"]
            start = int(body["pagination"].get("starting_after") or 0)
            size = min(self.page_size, body["pagination"]["per_page"])
            everything = self.conversations.get(contact_id, [])
            page: dict[str, Any] = {
                "type": "conversation.list",
                "conversations": everything[start : start + size],
                "total_count": len(everything),
                "pages": {"type": "pages", "per_page": size},
            }
            if start + size < len(everything):
                page["pages"]["next"] = {"per_page": size, "starting_after": str(start + size)}
            return httpx.Response(200, json=page)
        if segments == ["tickets", "search"]:  # an erasure lists them first: there are none
            return httpx.Response(
                200, json={"type": "ticket.list", "tickets": [], "total_count": 0, "pages": {}}
            )
        return intercom_404()

    def add(self, contact_id: str, *, conversations: int = 0, **fields: Any) -> None:
        self.contacts[contact_id] = {"type": "contact", "id": contact_id, **fields}
        self.conversations[contact_id] = [
            {
                "type": "conversation",
                "id": f"{contact_id}-c{i}",
                "created_at": 1_700_000_000 + i,
                "updated_at": 1_700_000_100 + i,
                "state": "open",
            }
            for i in range(conversations)
        ]


def intercom_404() -> httpx.Response:
    """Intercom's own not-found answer: the only 404 the resolver takes as absence."""
    return httpx.Response(404, json={"type": "error.list", "errors": [{"code": "not_found"}]})
