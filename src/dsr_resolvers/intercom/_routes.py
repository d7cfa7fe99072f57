"""Every Intercom endpoint this plugin calls, named once.

Requests are sent to these templates and errors name them, so a route is spelled in one place
and an error can never point at an endpoint that was not called.
"""

from __future__ import annotations

from dsr_resolvers.intercom._http import Route

ME = Route("GET", "/me")
CONTACT = Route("GET", "/contacts/{id}")
UPDATE_CONTACT = Route("PUT", "/contacts/{id}")
DELETE_CONTACT = Route("DELETE", "/contacts/{id}")
CONTACT_SEARCH = Route("POST", "/contacts/search")
TAGS = Route("GET", "/contacts/{id}/tags")
COMPANIES = Route("GET", "/contacts/{id}/companies")
NOTES = Route("GET", "/contacts/{id}/notes")
SEGMENTS = Route("GET", "/contacts/{id}/segments")
SUBSCRIPTIONS = Route("GET", "/contacts/{id}/subscriptions")
SET_SUBSCRIPTION = Route("POST", "/contacts/{id}/subscriptions")
SUBSCRIPTION_TYPES = Route("GET", "/subscription_types")
ARCHIVE = Route("POST", "/contacts/{id}/archive")
UNARCHIVE = Route("POST", "/contacts/{id}/unarchive")
CONVERSATION_SEARCH = Route("POST", "/conversations/search")
CONVERSATION = Route("GET", "/conversations/{id}")
DELETE_CONVERSATION = Route("DELETE", "/conversations/{id}")
REDACT = Route("POST", "/conversations/redact")
TICKET_SEARCH = Route("POST", "/tickets/search")
TICKET = Route("GET", "/tickets/{id}")
DELETE_TICKET = Route("DELETE", "/tickets/{id}")
CALL_SEARCH = Route("POST", "/calls/search")
EVENTS = Route("GET", "/events")
