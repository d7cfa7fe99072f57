"""Objection to direct marketing (Art. 21(2)-(3)): stop every marketing message Intercom can.

A person may object to direct marketing at any time, and the controller must stop. Intercom
holds two switches: the contact's ``unsubscribed_from_emails`` and its consent per
subscription type. An objection turns off both, then reads them back; only what Intercom
shows afterwards counts.

| step                | request                                                         |
|---------------------|-----------------------------------------------------------------|
| find the contact    | ``GET /contacts/{id}``; on not found ``POST .../unarchive`` (as  |
|                     | erasure does) and, when found, archive it again at the end       |
| what there is       | ``GET /subscription_types`` (the ``live`` ones count), then      |
|                     | ``GET /contacts/{id}/subscriptions`` (the contact's preferences) |
| unsubscribe         | ``PUT /contacts/{id}`` ``unsubscribed_from_emails: true``, only  |
|                     | when not already so                                             |
| opt out             | ``POST /contacts/{id}/subscriptions`` ``consent_type: opt_out``  |
|                     | for each type that would still reach the contact: an opt-out     |
|                     | type it has not opted out of, an opt-in type it opted in to      |
| read back           | ``GET /contacts/{id}`` and ``GET /contacts/{id}/subscriptions``: |
|                     | anything still on raises ``ObjectionNotConfirmedError``          |

A dry run does only the first two reads (and never unarchives: an archived contact reads as
not found there). The result names fields and subscription type ids, never values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dsr_resolvers.contract import ResolverError, ResolverObjection
from dsr_resolvers.intercom import _archive, _paging
from dsr_resolvers.intercom import _routes as routes
from dsr_resolvers.intercom._fields import RESOLVER_NAME
from dsr_resolvers.intercom._http import IntercomCall, Route

__all__ = ["MarketingObjection", "ObjectionNotConfirmedError", "object_to_marketing"]

UNSUBSCRIBED = "unsubscribed_from_emails"


class MarketingObjection(ResolverObjection):
    """What an objection to direct marketing changed (or, in a dry run, would change): the
    contract's ``ResolverObjection``, with what Intercom showed of the contact.

    Attributes:
        resolver: The resolver's ``name``.
        dry_run: True when nothing was sent: the fields and types are what would change.
        found: Whether Intercom showed the contact (a dry run does not unarchive, so an
            archived contact reads as not found there).
        already_absent: True when Intercom has no such contact, archived or not: nothing
            to object to. Never set by a dry run.
        archived: The contact was found archived, unarchived to act, and archived again.
        fields: The contact fields changed (``unsubscribed_from_emails``), never values.
        subscription_types: The ids of the subscription types the contact was opted out of.
        detail: What was done, for an audit trail; no personal data.
    """

    resolver: str = RESOLVER_NAME
    found: bool = True
    archived: bool = False


class ObjectionNotConfirmedError(ResolverError):
    """Intercom accepted the objection but does not show it when read back.

    Attributes:
        fields: Contact fields that still allow marketing.
        subscription_types: Ids of the subscription types that still reach the contact.
    """

    def __init__(self, fields: tuple[str, ...], subscription_types: tuple[str, ...]) -> None:
        self.fields = fields
        self.subscription_types = subscription_types
        super().__init__(
            f"intercom does not show the objection after it was sent: {len(fields)} field(s)"
            f" and {len(subscription_types)} subscription type(s) still allow marketing"
            " (see fields and subscription_types); run the objection again or check the"
            " contact in Intercom"
        )


def object_to_marketing(
    call: IntercomCall, contact_id: str, *, dry_run: bool
) -> MarketingObjection:
    """Turn off every marketing switch of the contact and read them back (see the table)."""
    contact = call.request(*routes.CONTACT, path_params={"id": contact_id})
    if contact is not None:
        return _object(call, contact_id, contact, dry_run=dry_run, archived=False)
    if dry_run:
        return MarketingObjection(
            dry_run=True,
            found=False,
            detail="Intercom answered not found for this id (as it does for an archived"
            " contact, which a dry run does not unarchive); nothing would be sent",
        )
    if not _archive.unarchive(call, contact_id):
        return MarketingObjection(
            found=False,
            already_absent=True,
            detail="Intercom answered not found for this id, also when asked to unarchive it;"
            " nothing to object to",
        )
    try:
        contact = call.request(*routes.CONTACT, path_params={"id": contact_id})
        if contact is None:
            raise call.malformed(*routes.CONTACT, "404 for a contact it had just unarchived")
        return _object(call, contact_id, contact, dry_run=False, archived=True)
    finally:
        _archive.archive(call, contact_id)


def _object(
    call: IntercomCall,
    contact_id: str,
    contact: Mapping[str, Any],
    *,
    dry_run: bool,
    archived: bool,
) -> MarketingObjection:
    models = _live_types(call)
    fields, types = _still_on(call, contact_id, contact, models)
    if not dry_run:
        ids = {"id": contact_id}
        unsubscribe = {UNSUBSCRIBED: True}
        if (
            fields
            and call.request(*routes.UPDATE_CONTACT, path_params=ids, json_body=unsubscribe) is None
        ):
            raise call.malformed(*routes.UPDATE_CONTACT, "404 for a contact that exists")
        for type_id in types:
            body = {"id": type_id, "consent_type": "opt_out"}
            if call.request(*routes.SET_SUBSCRIPTION, path_params=ids, json_body=body) is None:
                raise call.malformed(*routes.SET_SUBSCRIPTION, "404 for a listed subscription type")
        after = call.request(*routes.CONTACT, path_params=ids)
        if after is None:
            raise call.malformed(*routes.CONTACT, "404 for a contact it had just changed")
        left = _still_on(call, contact_id, after, models)
        if left[0] or left[1]:
            raise ObjectionNotConfirmedError(*left)
    verb = "would turn off" if dry_run else "turned off"
    found = (
        "found the Intercom contact archived, unarchived it and archived it again; "
        if archived
        else ""
    )
    return MarketingObjection(
        dry_run=dry_run,
        archived=archived,
        fields=fields,
        subscription_types=types,
        detail=f"{found}{verb} {len(fields)} field(s) and opted the contact out of"
        f" {len(types)} subscription type(s)"
        + ("" if dry_run else "; Intercom showed every one off when read back"),
    )


def _live_types(call: IntercomCall) -> dict[str, str]:
    """The workspace's live subscription types: id -> consent model (``opt_in``/``opt_out``)."""
    listed = call.request(*routes.SUBSCRIPTION_TYPES)
    if listed is None:
        raise call.malformed(*routes.SUBSCRIPTION_TYPES, "404 for the subscription types")
    return _consent_models(call, routes.SUBSCRIPTION_TYPES, listed, live_only=True)


def _consent_models(
    call: IntercomCall, where: Route, listed: Mapping[str, Any], *, live_only: bool
) -> dict[str, str]:
    data = listed.get("data")
    if not isinstance(data, list) or not all(isinstance(t, Mapping) for t in data):
        raise call.malformed(*where, "a subscription type list without its list")
    out: dict[str, str] = {}
    for kind in data:
        model = kind.get("consent_type")
        if model not in ("opt_in", "opt_out"):
            raise call.malformed(*where, "a subscription type without its consent type")
        if not live_only or kind.get("state", "live") == "live":
            out[_paging.item_id(call, where, kind)] = model
    return out


def _still_on(
    call: IntercomCall, contact_id: str, contact: Mapping[str, Any], models: Mapping[str, str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The fields and the subscription types that still let marketing reach the contact.

    Intercom lists for a contact the opt-out types it opted out of and the opt-in types it
    opted in to: an opt-out type not listed, or an opt-in type listed, still reaches it.
    """
    fields = () if contact.get(UNSUBSCRIBED) is True else (UNSUBSCRIBED,)
    listed = call.request(*routes.SUBSCRIPTIONS, path_params={"id": contact_id})
    if listed is None:
        raise call.malformed(*routes.SUBSCRIPTIONS, "404 for a contact that exists")
    preferences = _consent_models(call, routes.SUBSCRIPTIONS, listed, live_only=False)
    types = tuple(
        type_id
        for type_id, model in models.items()
        if (model == "opt_out") != (type_id in preferences)
    )
    return fields, types
