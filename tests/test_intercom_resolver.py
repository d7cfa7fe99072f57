"""IntercomResolver at the transport boundary: URLs, headers, decoding, paging, taxonomy."""

from __future__ import annotations

import http.server
import json
import logging
import math
import threading

import httpx
import pytest
import respx

from dsr_resolvers import (
    AttestingResolver,
    CredentialsError,
    ExportRecord,
    PiiCategory,
    Resolver,
    ResolverError,
    SubjectRef,
)
from dsr_resolvers.intercom import (
    CredentialsRefusedError,
    CursorLoopError,
    IntercomRedirectError,
    IntercomRejectedError,
    IntercomResolver,
    MalformedResponseError,
    RateLimitedError,
)
from tests.paged_world import PagedWorld, intercom_404

TOKEN = "tok_SECRET_do_not_leak_123"
CONTACT_ID = "6657a1b2c3d4e5f6a7b8c9d0"
BASE = "https://api.intercom.io"
REF = SubjectRef(kind="intercom", value=CONTACT_ID)


CORE = ("conversations",)
"""The core export: the profile and conversation metadata (other sections are tested apart)."""


def resolver_for(world: PagedWorld, **kwargs: object) -> IntercomResolver:
    return IntercomResolver(TOKEN, transport=world.transport(), sections=CORE, **kwargs)  # type: ignore[arg-type]


def empty_search() -> httpx.Response:
    return httpx.Response(
        200,
        json={"type": "conversation.list", "conversations": [], "tickets": [], "pages": {}},
    )


# -- identity, construction, repr ---------------------------------------------------------------


def test_satisfies_both_protocols_and_name_is_intercom() -> None:
    resolver = IntercomResolver(TOKEN)
    assert isinstance(resolver, Resolver)
    assert isinstance(resolver, AttestingResolver)
    assert resolver.name == "intercom"


def test_token_is_absent_from_repr_and_str() -> None:
    resolver = IntercomResolver(TOKEN)
    assert TOKEN not in repr(resolver)
    assert TOKEN not in str(resolver)
    assert repr(resolver) == (
        "IntercomResolver(base_url='https://api.intercom.io', api_version='2.14', "
        "erasure_policy='delete_contact')"
    )


@pytest.mark.parametrize(
    ("region", "host"),
    [
        ("us", "https://api.intercom.io"),
        ("eu", "https://api.eu.intercom.io"),
        ("au", "https://api.au.intercom.io"),
    ],
)
def test_region_shortcut_picks_the_regional_host(region: str, host: str) -> None:
    assert IntercomResolver(TOKEN, region=region).base_url == host  # type: ignore[arg-type]


TOKEN_MESSAGE = (
    "the Intercom access token is empty, has surrounding whitespace, or holds a character a "
    "header cannot carry (a control character or one outside latin-1)"
)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"access_token": ""}, TOKEN_MESSAGE),
        ({"access_token": " padded "}, TOKEN_MESSAGE),
        ({"access_token": "a\nb"}, TOKEN_MESSAGE),
        (
            {"access_token": TOKEN, "region": "mars"},
            "unknown Intercom region 'mars'; use one of us, eu, au",
        ),
        (
            {"access_token": TOKEN, "region": "eu", "base_url": BASE},
            "give either region or base_url, not both",
        ),
        ({"access_token": TOKEN, "timeout": 0}, "timeout must be a positive number of seconds"),
        ({"access_token": TOKEN, "timeout": -1.5}, "timeout must be a positive number of seconds"),
    ],
)
def test_bad_configuration_is_a_clear_value_error_without_the_token(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=r"\w") as info:
        IntercomResolver(**kwargs)  # type: ignore[arg-type]
    assert str(info.value) == message
    assert TOKEN not in str(info.value)


def test_a_base_url_loses_its_trailing_slash_and_short_timeouts_are_fine() -> None:
    resolver = IntercomResolver(TOKEN, base_url="https://proxy.example/intercom/", timeout=0.5)
    assert resolver.base_url == "https://proxy.example/intercom"


async def test_the_default_timeout_is_ten_seconds_and_the_user_agent_names_the_library() -> None:
    import dsr_resolvers

    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return empty_search() if request.url.path.endswith("/search") else intercom_404()

    await IntercomResolver(TOKEN, transport=httpx.MockTransport(handle)).erase_subject(REF)
    assert seen[0].extensions["timeout"]["read"] == 10.0
    assert seen[0].headers["User-Agent"] == f"dsr-resolvers/{dsr_resolvers.__version__}"


@pytest.mark.parametrize("status", [300, 301, 304])
async def test_a_3xx_is_neither_success_nor_followed(status: int) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, json={"deleted": True}))
    with pytest.raises(IntercomRedirectError) as info:
        await IntercomResolver(TOKEN, transport=transport).erase_subject(REF)
    assert isinstance(info.value, ResolverError)  # a configuration problem: not retried
    assert (info.value.status_code, info.value.action) == (status, "erase")
    assert "base URL" in str(info.value)


async def test_a_ref_of_another_kind_is_a_resolver_error_and_sends_nothing() -> None:
    world = PagedWorld()
    with pytest.raises(ResolverError, match="kind"):
        await resolver_for(world).export_subject(SubjectRef(kind="email", value="a@b.c"))
    assert world.requests == []


# -- export --------------------------------------------------------------------------------------


@respx.mock
async def test_export_sends_the_documented_requests_with_headers() -> None:
    contact = respx.get(f"{BASE}/contacts/{CONTACT_ID}").respond(
        200, json={"type": "contact", "id": CONTACT_ID, "email": "ada@example.com"}
    )
    search = respx.post(f"{BASE}/conversations/search").mock(return_value=empty_search())
    await IntercomResolver(TOKEN, sections=CORE).export_subject(REF)
    for route in (contact, search):
        sent = route.calls.last.request
        assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
        assert sent.headers["Intercom-Version"] == "2.14"
        assert sent.headers["Accept"] == "application/json"
    assert json.loads(search.calls.last.request.content) == {
        "query": {"field": "contact_ids", "operator": "=", "value": CONTACT_ID},
        "pagination": {"per_page": 150},
    }


@respx.mock
async def test_api_version_is_configurable() -> None:
    route = respx.delete(f"{BASE}/contacts/{CONTACT_ID}").mock(return_value=intercom_404())
    respx.post(f"{BASE}/contacts/{CONTACT_ID}/unarchive").mock(return_value=intercom_404())
    respx.post(f"{BASE}/conversations/search").mock(return_value=empty_search())
    respx.post(f"{BASE}/tickets/search").mock(return_value=empty_search())
    await IntercomResolver(TOKEN, api_version="2.13").erase_subject(REF)
    assert route.calls.last.request.headers["Intercom-Version"] == "2.13"


async def test_export_maps_profile_fields_to_categories_and_skips_empty_ones() -> None:
    world = PagedWorld()
    world.add(CONTACT_ID, email="ada@example.com", name="Ada Lovelace", phone=None)
    export = await resolver_for(world).export_subject(REF)
    assert export.resolver == "intercom"
    assert export.records == (
        ExportRecord(
            source="intercom",
            field="contact.email",
            category=PiiCategory.CONTACT,
            value="ada@example.com",
        ),
        ExportRecord(
            source="intercom",
            field="contact.name",
            category=PiiCategory.IDENTITY,
            value="Ada Lovelace",
        ),
    )


async def test_export_skips_empty_strings_and_renders_phone() -> None:
    world = PagedWorld()
    world.add(CONTACT_ID, email="", name=None, phone="+44 20 7946 0000")
    export = await resolver_for(world).export_subject(REF)
    assert [(r.field, r.value) for r in export.records] == [("contact.phone", "+44 20 7946 0000")]


async def test_export_lists_conversation_metadata_as_behavioral_iso_timestamps() -> None:
    world = PagedWorld()
    world.add(CONTACT_ID, email="a@b.c", conversations=1)
    export = await resolver_for(world).export_subject(REF)
    conversation = {r.field: r for r in export.records if r.field.startswith("conversation.")}
    prefix = f"conversation.{CONTACT_ID}-c0."
    assert conversation[prefix + "created_at"].value == "2023-11-14T22:13:20Z"
    assert conversation[prefix + "updated_at"].value == "2023-11-14T22:15:00Z"
    assert conversation[prefix + "state"].value == "open"
    assert {r.category for r in conversation.values()} == {PiiCategory.BEHAVIORAL}


async def test_export_never_includes_bodies_or_custom_attributes() -> None:
    world = PagedWorld()
    world.add(CONTACT_ID, email="a@b.c", custom_attributes={"secret": "x"}, conversations=1)
    world.conversations[CONTACT_ID][0]["source"] = {"body": "<p>my medical history</p>"}
    export = await resolver_for(world).export_subject(REF)
    assert all(
        "custom_attributes" not in r.field and "source" not in r.field for r in export.records
    )
    assert all("medical" not in r.value for r in export.records)


async def test_a_404_on_the_contact_is_an_empty_export_without_a_search() -> None:
    world = PagedWorld()
    export = await resolver_for(world).export_subject(REF)
    assert export.records == ()
    assert [r.url.path for r in world.requests] == [f"/contacts/{CONTACT_ID}"]


@pytest.mark.parametrize(
    ("count", "requests"), [(0, 2), (1, 2), (150, 2), (151, 3), (450, 4), (451, 5)]
)
async def test_export_makes_one_plus_ceil_n_over_150_requests(count: int, requests: int) -> None:
    world = PagedWorld()
    world.add(CONTACT_ID, conversations=count)
    export = await resolver_for(world).export_subject(REF)
    assert len(world.requests) == requests == 1 + max(1, math.ceil(count / 150))
    assert len(export.records) == 3 * count


async def test_export_follows_the_cursor_it_was_given() -> None:
    world = PagedWorld(page_size=2)
    world.add(CONTACT_ID, conversations=5)
    await resolver_for(world).export_subject(REF)
    cursors = [
        json.loads(r.content)["pagination"].get("starting_after") for r in world.requests[1:]
    ]
    assert cursors == [None, "2", "4"]


@pytest.mark.parametrize(
    "body",
    [
        b"<html>bad gateway</html>",
        b"[]",
        b'"contact"',
        b"null",
        b"",
        b"\xff\xfe",
    ],
)
async def test_a_contact_body_that_is_not_a_json_object_is_retryable_never_empty(
    body: bytes,
) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    with pytest.raises(MalformedResponseError) as info:
        await IntercomResolver(TOKEN, transport=transport).export_subject(REF)
    assert not isinstance(info.value, ResolverError)
    assert isinstance(info.value, httpx.HTTPError)


@pytest.mark.parametrize(
    "page",
    [
        {"type": "conversation.list"},
        {"conversations": {"id": "1"}},
        {"conversations": [{"state": "open"}]},
        {"conversations": ["1"]},
        {"conversations": [], "pages": {"next": {}}},
        {"conversations": [], "pages": {"next": {"starting_after": 7}}},
        {"conversations": [], "pages": "next"},
        {"conversations": [{"id": "1", "created_at": "yesterday"}]},
        {"conversations": [{"id": "1", "state": {"nested": True}}]},
    ],
)
async def test_a_malformed_search_page_raises_rather_than_cut_the_export(
    page: dict[str, object],
) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"type": "contact", "id": CONTACT_ID, "email": "a@b.c"})
        return httpx.Response(200, json=page)

    with pytest.raises(MalformedResponseError):
        await IntercomResolver(
            TOKEN, transport=httpx.MockTransport(handle), sections=CORE
        ).export_subject(REF)


async def test_a_repeating_cursor_raises_instead_of_looping_forever() -> None:
    searches = 0

    def handle(request: httpx.Request) -> httpx.Response:
        nonlocal searches
        if request.method == "GET":
            return httpx.Response(200, json={"type": "contact", "id": CONTACT_ID})
        searches += 1
        if searches > 5:  # a resolver that does not notice would loop forever: fail, don't hang
            return httpx.Response(418)
        # A cycle of two cursors: the repeat is not the cursor just followed.
        cursor = "odd" if searches % 2 else "even"
        return httpx.Response(
            200,
            json={
                "conversations": [{"id": str(searches)}],
                "pages": {"next": {"starting_after": cursor}},
            },
        )

    with pytest.raises(CursorLoopError, match="cursor"):
        await IntercomResolver(
            TOKEN, transport=httpx.MockTransport(handle), sections=CORE
        ).export_subject(REF)
    assert searches == 3


async def test_a_404_in_the_middle_of_paging_is_not_an_empty_export() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"type": "contact", "id": CONTACT_ID})
        return intercom_404()

    with pytest.raises(MalformedResponseError):
        await IntercomResolver(
            TOKEN, transport=httpx.MockTransport(handle), sections=CORE
        ).export_subject(REF)


# -- erase ----------------------------------------------------------------------------------------


async def test_erase_deletes_the_contact_and_reports_without_pii() -> None:
    world = PagedWorld()
    world.add(CONTACT_ID, email="ada@example.com", name="Ada")
    erasure = await resolver_for(world).erase_subject(REF)
    assert world.deleted == [CONTACT_ID]
    assert [(r.method, r.url.path) for r in world.requests] == [
        ("POST", "/conversations/search"),  # their ids, for a read-back
        ("POST", "/tickets/search"),
        ("DELETE", f"/contacts/{CONTACT_ID}"),
    ]
    assert erasure.resolver == "intercom"
    assert erasure.already_absent is False
    assert erasure.detail is not None
    for secret in (CONTACT_ID, "ada", "Ada", TOKEN):
        assert secret not in erasure.detail


async def test_erase_is_idempotent_and_reports_absence() -> None:
    world = PagedWorld()
    world.add(CONTACT_ID)
    resolver = resolver_for(world)
    first = await resolver.erase_subject(REF)
    second = await resolver.erase_subject(REF)
    assert (first.already_absent, second.already_absent) == (False, True)
    assert second.detail is not None
    assert CONTACT_ID not in second.detail


async def test_erase_without_a_deletion_confirmation_is_retryable() -> None:
    transport = httpx.MockTransport(
        lambda r: httpx.Response(200, json={"type": "contact", "id": "x"})
    )
    with pytest.raises(MalformedResponseError):
        await IntercomResolver(TOKEN, transport=transport).erase_subject(REF)


async def test_export_after_erase_is_empty() -> None:
    world = PagedWorld()
    world.add(CONTACT_ID, email="a@b.c", conversations=2)
    resolver = resolver_for(world)
    await resolver.erase_subject(REF)
    assert (await resolver.export_subject(REF)).records == ()


# -- the taxonomy, row by row -------------------------------------------------------------------


def constant(status: int, headers: dict[str, str] | None = None) -> httpx.MockTransport:
    body = {"type": "error.list", "errors": [{"code": "x", "message": f"{CONTACT_ID} {TOKEN}"}]}
    return httpx.MockTransport(lambda request: httpx.Response(status, json=body, headers=headers))


def assert_scrubbed(exc: BaseException) -> None:
    shown = f"{exc!s} {exc!r} {exc.args!r}"
    assert TOKEN not in shown
    assert CONTACT_ID not in shown
    request = getattr(exc, "request", None) if isinstance(exc, httpx.HTTPError) else None
    if request is not None:
        assert "Authorization" not in request.headers
        assert CONTACT_ID not in str(request.url)
    response = getattr(exc, "response", None)
    if response is not None:
        assert CONTACT_ID not in response.text
        assert TOKEN not in response.text


@pytest.mark.parametrize("status", [400, 401, 403, 405, 409, 410, 422])
@pytest.mark.parametrize("operation", ["export", "erase"])
async def test_a_4xx_other_than_404_and_429_is_a_resolver_error_naming_status_and_verb(
    status: int, operation: str
) -> None:
    resolver = IntercomResolver(TOKEN, transport=constant(status))
    call = resolver.export_subject if operation == "export" else resolver.erase_subject
    with pytest.raises(ResolverError) as info:
        await call(REF)
    assert str(info.value) == f"intercom rejected the {operation} request (status={status})"
    assert isinstance(info.value, IntercomRejectedError)
    # The credentials, not the subject: a caller stops by this type, never by a status in text.
    assert isinstance(info.value, CredentialsRefusedError) is (status in (401, 403))
    assert isinstance(info.value, CredentialsError) is (status in (401, 403))  # any resolver's
    assert info.value.status_code == status
    assert info.value.hint
    assert_scrubbed(info.value)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@pytest.mark.parametrize("operation", ["export", "erase"])
async def test_a_5xx_propagates_as_an_untranslated_http_status_error(
    status: int, operation: str
) -> None:
    resolver = IntercomResolver(TOKEN, transport=constant(status))
    call = resolver.export_subject if operation == "export" else resolver.erase_subject
    with pytest.raises(httpx.HTTPStatusError) as info:
        await call(REF)
    assert not isinstance(info.value, ResolverError)
    assert info.value.response.status_code == status
    assert info.value.response.request is info.value.request
    assert_scrubbed(info.value)


async def test_a_429_carries_retry_after_from_the_header() -> None:
    resolver = IntercomResolver(TOKEN, transport=constant(429, {"Retry-After": "7"}))
    with pytest.raises(RateLimitedError) as info:
        await resolver.erase_subject(REF)
    assert isinstance(info.value, httpx.HTTPStatusError)
    assert info.value.retry_after == 7.0
    assert info.value.response.status_code == 429
    assert_scrubbed(info.value)


async def test_a_429_falls_back_to_the_rate_limit_reset_header() -> None:
    import time

    reset = str(int(time.time()) + 5)
    resolver = IntercomResolver(TOKEN, transport=constant(429, {"X-RateLimit-Reset": reset}))
    with pytest.raises(RateLimitedError) as info:
        await resolver.export_subject(REF)
    assert info.value.retry_after is not None
    assert 3.0 <= info.value.retry_after <= 5.0
    assert info.value.response.headers["X-RateLimit-Reset"] == reset


async def test_a_429_without_hints_has_no_retry_after() -> None:
    with pytest.raises(RateLimitedError) as info:
        await IntercomResolver(TOKEN, transport=constant(429)).export_subject(REF)
    assert info.value.retry_after is None


@pytest.mark.parametrize(
    "fault",
    [
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("reset"),
    ],
)
async def test_transport_faults_propagate_untranslated_and_scrubbed(
    fault: httpx.TransportError,
) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        raise fault

    with pytest.raises(type(fault)) as info:
        await IntercomResolver(TOKEN, transport=httpx.MockTransport(handle)).erase_subject(REF)
    assert info.value is fault
    assert_scrubbed(info.value)


async def test_malformed_errors_are_scrubbed_too() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=b"oops"))
    with pytest.raises(MalformedResponseError) as info:
        await IntercomResolver(TOKEN, transport=transport).export_subject(REF)
    assert_scrubbed(info.value)
    assert info.value.request.url.path == "/contacts/{id}"


async def test_neither_token_nor_id_reaches_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    world = PagedWorld()
    world.add(CONTACT_ID, email="a@b.c", conversations=1)
    with caplog.at_level(logging.DEBUG):
        await resolver_for(world).export_subject(REF)
        await resolver_for(world).erase_subject(REF)
        with pytest.raises(ResolverError):
            await IntercomResolver(TOKEN, transport=constant(401)).erase_subject(REF)
    assert caplog.records
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert TOKEN not in logged
    assert CONTACT_ID not in logged
    assert "a@b.c" not in logged


async def test_httpcore_debug_logs_never_carry_a_response_header_of_ours(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A real socket (httpcore logs only there) answering 302 with an id and an email."""
    location = f"https://elsewhere.example/contacts/{CONTACT_ID}?email=someone%40example.com"

    class Redirecting(http.server.BaseHTTPRequestHandler):
        def do_DELETE(self) -> None:
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("X-Echo", "someone@example.com")
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_DELETE  # an erasure's first request is a search  # noqa: N815

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base_url = f"http://127.0.0.1:{server.server_address[1]}"
        with caplog.at_level(logging.DEBUG), pytest.raises(IntercomRedirectError):
            await IntercomResolver(TOKEN, base_url=base_url).erase_subject(REF)
    finally:
        server.shutdown()
        server.server_close()
    traced = [r for r in caplog.records if r.name.startswith("httpcore")]
    assert any(r.getMessage() == "receive_response_headers.complete" for r in traced)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("elsewhere.example", "someone", CONTACT_ID, TOKEN):
        assert secret not in logged


async def test_a_borrowed_transport_is_not_closed_by_the_resolver() -> None:
    class Counting(httpx.MockTransport):
        closed = 0

        def close(self) -> None:
            Counting.closed += 1

    world = PagedWorld()
    transport = Counting(world.handle)
    resolver = IntercomResolver(TOKEN, transport=transport)
    await resolver.erase_subject(REF)
    await resolver.erase_subject(REF)
    assert Counting.closed == 0


async def test_hooks_see_every_request_and_response() -> None:
    seen: list[str] = []

    class Hooks:
        def before_request(self, request: httpx.Request) -> None:
            seen.append(f"> {request.method}")

        def after_response(self, response: httpx.Response) -> None:
            seen.append(f"< {response.status_code}")

    world = PagedWorld()
    world.add(CONTACT_ID, conversations=1)
    await IntercomResolver(
        TOKEN, transport=world.transport(), hooks=Hooks(), sections=CORE
    ).export_subject(REF)
    assert seen == ["> GET", "< 200", "> POST", "< 200"]


async def test_an_empty_export_says_whether_the_contact_may_be_held_out_of_sight() -> None:
    from dsr_resolvers.contract import Presence
    from dsr_resolvers.testing import FakeIntercom

    fake = FakeIntercom(TOKEN)
    archived = fake.add_contact(email="archived@example.com")
    fake.archive_contact(archived)
    held = fake.add_contact(email="held@example.com")

    def ref(value: str) -> SubjectRef:
        return SubjectRef(kind="intercom", value=value)

    plain = IntercomResolver(TOKEN, transport=fake)
    reaching = IntercomResolver(TOKEN, transport=fake, export_archived=True)
    assert (await plain.export_subject(ref(held))).presence is Presence.HELD
    hidden = await plain.export_subject(ref(archived))
    assert (hidden.records, hidden.presence) == ((), Presence.NOT_VISIBLE)
    assert (await reaching.export_subject(ref(archived))).presence is Presence.HELD
    gone = await reaching.export_subject(ref("6657a1b2c3d4e5f6a7b8c9ff"))
    assert (gone.records, gone.presence) == ((), Presence.ABSENT)
