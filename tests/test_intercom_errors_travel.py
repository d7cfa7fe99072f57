"""Errors that travel: through pickle (job queues), without a token, an id or personal data."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import pickle
import pkgutil
from enum import Enum
from typing import Any

import httpx
import pydantic
import pytest

import dsr_resolvers
from dsr_resolvers import SubjectRef
from dsr_resolvers.bulk._inputs import InputError
from dsr_resolvers.bulk._journal import JournalError
from dsr_resolvers.bulk._limiter import RequestAbortedError
from dsr_resolvers.cli._errors import CliError, SubjectFailedError
from dsr_resolvers.contract import (
    CredentialsError,
    ExportRecord,
    PiiCategory,
    ResolverError,
    ThrottledError,
)
from dsr_resolvers.contract._errors import PortableError
from dsr_resolvers.intercom import (
    ContactMatch,
    CredentialsRefusedError,
    CursorLoopError,
    IncompleteConversationError,
    IntercomRedirectError,
    IntercomRejectedError,
    IntercomResolver,
    IntercomServerError,
    MalformedResponseError,
    NotIntercomError,
    ObjectionNotConfirmedError,
    RateLimitedError,
    RectificationError,
)
from dsr_resolvers.intercom._http import CallStopped
from dsr_resolvers.report import ProcessingRecordError
from dsr_resolvers.testing import FakeIntercom
from dsr_resolvers.testing._fake_routes import ApiError

TOKEN = "tok_travel_5ecret"
CONTACT_ID = "contact-77f00d"
REF = SubjectRef(kind="intercom", value=CONTACT_ID)
SCRUBBED = httpx.Request("GET", "https://api.intercom.io/contacts/{id}")


def round_trip(error: BaseException) -> BaseException:
    return pickle.loads(pickle.dumps(error))  # type: ignore[no-any-return]  # noqa: S301


def same_error(before: BaseException, after: BaseException) -> None:
    assert type(after) is type(before)
    assert str(after) == str(before)
    assert after.args == before.args
    plain = (str, int, float, tuple, Enum, type(None))
    attributes = {k: v for k, v in vars(before).items() if isinstance(v, plain)}
    assert {k: vars(after).get(k) for k in attributes} == attributes
    if isinstance(before, httpx.RequestError | httpx.HTTPError) and before._request is not None:
        assert isinstance(after, httpx.HTTPError)
        assert after.request.url == before.request.url
        assert after.request.method == before.request.method
    if isinstance(before, httpx.HTTPStatusError):
        assert isinstance(after, httpx.HTTPStatusError)
        assert after.response.status_code == before.response.status_code
        assert dict(after.response.headers) == dict(before.response.headers)


class _CarriesIdsError(ResolverError):
    """A subclass as another module would write it: its own __init__, its own attribute."""

    def __init__(self, conversation_ids: tuple[str, ...]) -> None:
        self.conversation_ids = conversation_ids
        super().__init__(f"{len(conversation_ids)} conversation(s) incomplete")


ERRORS: list[BaseException] = [
    ResolverError("intercom resolves refs of kind 'intercom' only"),
    RectificationError("intercom can rectify only email, name, phone"),
    IntercomRejectedError(409, "erase"),
    CredentialsRefusedError(401, "export"),
    CredentialsError("the store refused the credentials"),
    ThrottledError("the store asks to wait"),
    IntercomRedirectError(302, "export"),
    IncompleteConversationError("export", ("101", "102")),
    ObjectionNotConfirmedError(("unsubscribed_from_emails",), ("90", "91")),
    NotIntercomError("erase"),
    MalformedResponseError("intercom answered the export request with x", request=SCRUBBED),
    CursorLoopError("intercom answered the export request with y", request=SCRUBBED),
    IntercomServerError(
        "intercom failed the erase request (status=503); retry later",
        request=SCRUBBED,
        response=httpx.Response(503, request=SCRUBBED),
    ),
    RateLimitedError(
        "intercom rate-limited the erase request (status=429); retry later",
        request=SCRUBBED,
        response=httpx.Response(429, headers={"Retry-After": "2"}, request=SCRUBBED),
        retry_after=2.0,
    ),
    InputError("not an email address", line=3),
    JournalError("the journal belongs to another operation"),
    RequestAbortedError("the bulk run stopped; the request was not sent"),
    CliError("the token file is empty"),
    SubjectFailedError("IntercomServerError, status=503"),
    ProcessingRecordError(["record.toml:3: unknown key", "record.toml:9: no purpose"]),
    PortableError("a mixin on its own"),
    CallStopped("the export call was cancelled before it started"),
    ApiError(404, "not_found", "Contact Not Found"),
]


def _exception_classes() -> set[type[BaseException]]:
    """Every exception class the package defines under a public name, in any module."""
    found: set[type[BaseException]] = set()
    for module in pkgutil.walk_packages(dsr_resolvers.__path__, "dsr_resolvers."):
        if module.name.endswith("__main__"):
            continue
        for name, value in vars(importlib.import_module(module.name)).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__.startswith("dsr_resolvers.")
                and not name.startswith("_")
            ):
                found.add(value)
    return found


def test_the_pickle_list_names_every_exception_class_of_the_package() -> None:
    """A new exception class fails here until it is added to ERRORS (and so round-tripped)."""
    missing = _exception_classes() - {type(error) for error in ERRORS}
    assert not missing, sorted(kind.__qualname__ for kind in missing)


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_every_exception_of_the_library_round_trips_through_pickle(error: BaseException) -> None:
    same_error(error, round_trip(error))


def test_a_subclass_with_its_own_init_round_trips_too() -> None:
    error = _CarriesIdsError(("1", "2"))
    after = round_trip(error)
    assert isinstance(after, _CarriesIdsError)
    assert after.conversation_ids == ("1", "2")
    assert str(after) == "2 conversation(s) incomplete"


def _raised(fake: FakeIntercom) -> BaseException:
    resolver = IntercomResolver(TOKEN, transport=fake, timeout=1.0)
    with pytest.raises((httpx.HTTPError, ResolverError)) as info:
        asyncio.run(resolver.erase_subject(REF))
    return info.value


@pytest.mark.parametrize(
    "inject",
    [
        lambda fake: fake.fail_next(503),
        lambda fake: fake.fail_next(429, headers={"Retry-After": "3"}),
        lambda fake: fake.fail_next(403),
        lambda fake: fake.malformed_next(),
        lambda fake: fake.reset_next(),
        lambda fake: fake.timeout_next(),
    ],
    ids=["503", "429", "403", "malformed", "reset", "timeout"],
)
def test_errors_as_raised_round_trip_and_hold_neither_token_nor_id(inject: Any) -> None:
    fake = FakeIntercom(TOKEN)
    fake.add_contact(id=CONTACT_ID, email="ada@example.com")
    inject(fake)
    error = _raised(fake)
    after = round_trip(error)
    same_error(error, after)
    pickled = pickle.dumps(error)
    for secret in (TOKEN, CONTACT_ID):
        assert secret.encode() not in pickled
        assert secret not in str(error)
        assert secret not in repr(error)


def _gzip_lies(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200,
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        content=b"\x1f\x8b this is not gzip at all " + CONTACT_ID.encode(),
    )


@pytest.mark.parametrize("operation", ["erase", "export"])
def test_a_corrupt_gzip_body_raises_a_decoding_error_holding_neither_token_nor_id(
    operation: str,
) -> None:
    resolver = IntercomResolver(TOKEN, transport=httpx.MockTransport(_gzip_lies))
    call = resolver.erase_subject if operation == "erase" else resolver.export_subject
    with pytest.raises(httpx.DecodingError) as info:
        asyncio.run(call(REF))
    error = info.value
    first = "/conversations/search" if operation == "erase" else "/contacts/{id}"
    assert error.request.url.path == first  # the template, never the id
    assert "Authorization" not in error.request.headers
    blob = pickle.dumps(error)
    for secret in (TOKEN, CONTACT_ID):
        assert secret not in str(error)
        assert secret not in repr(error)
        assert secret.encode() not in blob
    same_error(error, round_trip(error))


@pytest.mark.parametrize(
    "token",
    ["tok\rX-Evil: 1", "tok\nen", "tok\x00en", "tok\x7fen", "tök€n", "tok\u2028en", "tok\ten"],
    ids=["CR", "LF", "NUL", "DEL", "non-latin-1", "line-separator", "tab"],
)
def test_a_token_a_header_cannot_carry_is_refused_without_echoing_it(token: str) -> None:
    with pytest.raises(ValueError, match="header cannot carry") as info:
        IntercomResolver(token)
    assert token not in str(info.value)
    assert "tok" not in str(info.value).replace("token", "")


def test_a_latin_1_token_is_accepted() -> None:
    IntercomResolver("tok_é_latin1")


@pytest.mark.parametrize(
    "base_url",
    ["http://api.intercom.io", "http://10.0.0.5:8080", "ftp://api.intercom.io", "api.intercom.io"],
)
def test_a_base_url_without_tls_to_a_remote_host_is_refused(base_url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        IntercomResolver(TOKEN, base_url=base_url)


@pytest.mark.parametrize(
    "base_url", ["http://127.0.0.1:8910", "http://localhost:1", "http://[::1]:80", "https://x.io/"]
)
def test_plain_http_to_loopback_and_https_anywhere_are_accepted(base_url: str) -> None:
    assert IntercomResolver(TOKEN, base_url=base_url).base_url == base_url.rstrip("/")


@pytest.mark.parametrize("created_at", [10**20, -(10**20), 10**400, 1e308, 253402300800])
def test_an_out_of_range_timestamp_is_a_malformed_response(created_at: int | float) -> None:
    def contact(request: httpx.Request) -> httpx.Response:
        body = f'{{"type": "contact", "id": "{CONTACT_ID}", "created_at": {created_at!r}}}'
        return httpx.Response(200, content=body.encode(), headers={"Content-Type": "json"})

    resolver = IntercomResolver(TOKEN, transport=httpx.MockTransport(contact), sections=[])
    with pytest.raises(MalformedResponseError, match="unexpected type"):
        asyncio.run(resolver.export_subject(REF))


def test_reprs_of_values_hold_no_identifier_or_personal_data() -> None:
    ref = SubjectRef(kind="intercom", value=CONTACT_ID, extra={"email": "ada@example.com"})
    record = ExportRecord(
        source="intercom", field="contact.email", category=PiiCategory.CONTACT, value="ada@x.io"
    )
    match = ContactMatch(id=CONTACT_ID, role="user")
    for shown in (repr(ref), str(ref), repr(record), str(record), repr(match), str(match)):
        assert CONTACT_ID not in shown
        assert "ada@" not in shown
    assert ref.value == CONTACT_ID
    assert record.value == "ada@x.io"
    assert match.id == CONTACT_ID


@pytest.mark.parametrize("value", ["x" * 256 + CONTACT_ID, ""])
def test_subject_ref_validation_errors_do_not_echo_the_value(value: str) -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        SubjectRef(kind="intercom", value=value)
    assert value not in str(info.value) or value == ""
    assert CONTACT_ID not in str(info.value)
    assert CONTACT_ID not in repr(info.value)
