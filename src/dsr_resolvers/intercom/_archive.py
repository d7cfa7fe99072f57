"""Archived contacts: present in Intercom, invisible to every read, reached only by id.

Intercom answers ``GET /contacts/{id}``, ``DELETE /contacts/{id}`` and contact search for an
archived contact as if it did not exist, yet it keeps all its data and conversations. Only
``POST /contacts/{id}/unarchive`` reaches it, so "not found" is trusted only after that too
answers not found.

| caller            | when the contact answers not found                                 |
|-------------------|--------------------------------------------------------------------|
| erasure           | unarchive; if Intercom returns the contact, erase it (it stays     |
|                   | unarchived when the erasure stops early, so a rerun finds it)       |
| verification      | unarchive; if found, archive again at once; ``archived=True``      |
| export            | only with ``export_archived=True``: unarchive, export, archive     |
|                   | again in a ``finally``; otherwise the surface declares them left out |

Unarchiving is a write with possible side effects in the workspace (it may count towards a
plan's active people, and automations may see it), which is why export asks for consent.
There is no API to find an archived contact by email.
"""

from __future__ import annotations

from dsr_resolvers.intercom import _routes as routes
from dsr_resolvers.intercom._http import IntercomCall


def unarchive(call: IntercomCall, contact_id: str) -> bool:
    """Unarchive the contact; ``True`` when Intercom holds it (it is active now)."""
    return call.request(*routes.UNARCHIVE, path_params={"id": contact_id}) is not None


def archive(call: IntercomCall, contact_id: str) -> None:
    """Archive the contact again (a contact gone meanwhile needs nothing more)."""
    call.request(*routes.ARCHIVE, path_params={"id": contact_id})
