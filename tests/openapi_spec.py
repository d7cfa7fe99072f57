"""Intercom's own OpenAPI description (2.14) as a test oracle for requests and responses.

The fake and the resolver are both checked against the same file, so neither can drift into a
shape Intercom does not send or accept. By default that file is the facts-only subset committed
in ``tests/data/intercom-openapi/`` (derived by ``scripts/openapi_subset.py``; a fresh clone
tests itself); ``DSR_INTERCOM_OPENAPI`` may point at the full description (YAML) instead. The
installed library never reads either. It is parsed once per test process.

Validation is openapi-core's, with these narrow exceptions where the description cannot be
applied as written:

=================================  ===========================================================
Case                               What is checked instead, and why
=================================  ===========================================================
a status the operation does not    the body against ``components/schemas/error``: Intercom
document (404 on ``GET             answers every error with an ``error.list``, but most
/contacts/{id}``, any 429, 5xx)    operations document only 200 and 401
``{"$ref": X, "nullable": true}``  "X or null": OpenAPI 3.0 ignores the siblings of ``$ref``,
                                   yet the description marks these nullable and its examples
                                   send null (``ai_agent``, a part's ``assigned_to``, ...)
``GET /events`` request            its ``filter`` parameter (an object exploded into
                                   ``user_id`` / ``intercom_user_id`` / ``email``) cannot be
                                   bound by openapi-core; it is removed from the copy of the
                                   description used here and checked by hand: ``type`` and
                                   exactly one identifier
``GET /events`` 200 without        the body against ``data_event_list``: the description
``summary=true``                   documents only the summary shape for both forms of the call
``GET /contacts/{id}/companies``   additionally each item of ``data`` against ``company``: the
200                                schema names the array ``companies`` while the API and the
                                   description's own example send ``data``
=================================  ===========================================================

Requests are matched against the description's first server (``https://api.intercom.io``)
whatever host they were sent to, so a loopback server can be validated too.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl

import httpx
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from werkzeug.datastructures import Headers, ImmutableMultiDict

__all__ = [
    "SPEC_ENV",
    "SpecViolationError",
    "Validating",
    "load_spec",
    "spec_path",
    "validate_exchange",
    "validate_request",
    "validate_response",
    "validate_schema",
]

SPEC_ENV: Final = "DSR_INTERCOM_OPENAPI"
_DEFAULT_SPEC: Final = (
    Path(__file__).resolve().parent
    / "data"
    / "intercom-openapi"
    / "api.intercom.io.2.14.subset.json"
)
_HOST_URL: Final = "https://api.intercom.io"
_EVENT_IDENTIFIERS: Final = ("user_id", "intercom_user_id", "email")


class SpecViolationError(AssertionError):
    """A request or response that Intercom's OpenAPI description does not allow."""


def spec_path() -> Path:
    """Where the description is read from: ``$DSR_INTERCOM_OPENAPI`` or the committed subset."""
    configured = os.environ.get(SPEC_ENV)
    return Path(configured) if configured else _DEFAULT_SPEC


@functools.cache
def load_spec() -> dict[str, Any]:
    """The parsed description (parsed once per process).

    Raises:
        RuntimeError: The file is missing; the message says where it was looked for.
    """
    path = spec_path()
    if not path.is_file():
        raise RuntimeError(
            f"Intercom's OpenAPI description was not found at {path}. Unset ${SPEC_ENV} to use "
            "the committed subset, or point it at api.intercom.io.2.14.yaml."
        )
    if path.suffix == ".json":
        spec = json.loads(path.read_bytes())
    else:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        with path.open("rb") as stream:
            spec = yaml.load(stream, Loader=loader)  # noqa: S506 - a safe loader
    if not isinstance(spec, dict):
        raise RuntimeError(f"{path} is not an OpenAPI document")
    return spec


def _nullable_refs(node: Any) -> Any:
    """Read ``{"$ref": X, "nullable": true}`` as "X or null" (see the module table)."""
    if isinstance(node, list):
        return [_nullable_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node and node.get("nullable") is True:
        return {
            "anyOf": [{"$ref": node["$ref"]}, {"type": "object", "nullable": True, "enum": [None]}]
        }
    return {key: _nullable_refs(value) for key, value in node.items()}


@functools.cache
def _effective_spec() -> dict[str, Any]:
    """The description with the module table's exceptions applied (a copy)."""
    spec: dict[str, Any] = _nullable_refs(load_spec())
    events = spec["paths"]["/events"]["get"]
    events["parameters"] = [p for p in events["parameters"] if p.get("name") != "filter"]
    return spec


@functools.cache
def _openapi() -> OpenAPI:
    # The full description fails openapi-spec-validator on operations this project never calls
    # (e.g. an unresolved path parameter under /export/reporting_data), and the subset drops
    # the descriptions a response object must have, so skip that check.
    return OpenAPI.from_dict(_effective_spec(), config=Config(spec_validator_cls=None))


@functools.cache
def _schema_validator(name: str) -> Any:
    components = _effective_spec()["components"]
    if name not in components["schemas"]:
        raise KeyError(f"no component schema {name!r}")
    schema = {"$ref": f"#/components/schemas/{name}", "components": components}
    return OAS30Validator(schema, format_checker=oas30_format_checker)


def validate_schema(instance: Any, schema_name: str) -> None:
    """Check a JSON value against ``components/schemas/<schema_name>``.

    Raises:
        SpecViolationError: With every error found.
    """
    errors = sorted(_schema_validator(schema_name).iter_errors(instance), key=str)
    if errors:
        details = "\n".join(
            f"- at {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in errors[:20]
        )
        raise SpecViolationError(f"not a valid {schema_name}:\n{details}")


class _Request:
    """An httpx request seen through openapi-core's request protocol."""

    def __init__(self, request: httpx.Request) -> None:
        raw_path, _, raw_query = request.url.raw_path.decode("ascii").partition("?")
        self.host_url = _HOST_URL
        self.path = raw_path
        self.method = request.method.lower()
        content = request.read()
        self.body: bytes | None = content or None
        self.content_type = request.headers.get("Content-Type", "")
        self.query = dict(parse_qsl(raw_query, keep_blank_values=True))
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(self.query.items())),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(),
        )


class _Response:
    """An httpx response seen through openapi-core's response protocol."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.data: bytes | None = response.read()
        self.content_type = response.headers.get("Content-Type", "")
        self.headers = Headers(list(response.headers.items()))


def _explain(error: Exception) -> str:
    parts = [repr(error)]
    cause = error.__cause__
    while cause is not None:
        parts.append(repr(cause))
        for schema_error in getattr(cause, "schema_errors", ()) or ():
            path = "/".join(map(str, getattr(schema_error, "absolute_path", ())))
            parts.append(f"  - at {path or '<root>'}: {getattr(schema_error, 'message', '')}")
        cause = cause.__cause__
    return "\n".join(parts)


def validate_request(request: httpx.Request) -> None:
    """Check a request (path, query, headers, auth scheme, JSON body) against the description.

    Raises:
        SpecViolationError: The request is not one Intercom documents.
    """
    adapted = _Request(request)
    try:
        _openapi().validate_request(adapted)
    except Exception as error:
        raise SpecViolationError(f"{request.method} {adapted.path}: {_explain(error)}") from error
    if adapted.method == "get" and adapted.path == "/events":
        given = [name for name in _EVENT_IDENTIFIERS if name in adapted.query]
        if "type" not in adapted.query or len(given) != 1:
            raise SpecViolationError(
                "GET /events needs `type` and exactly one of user_id, intercom_user_id, email"
            )


def validate_response(request: httpx.Request, response: httpx.Response) -> None:
    """Check a response against what the description says ``request`` may be answered with.

    Raises:
        SpecViolationError: The response is not one Intercom documents (see the module table for
            the cases checked differently).
    """
    adapted = _Request(request)
    where = f"{request.method} {adapted.path} -> {response.status_code}"
    body = _json_body(response, where)
    if (
        adapted.method == "get"
        and adapted.path == "/events"
        and response.status_code == 200
        and adapted.query.get("summary", "").lower() != "true"
    ):
        _checked(where, body, "data_event_list")
        return
    try:
        _openapi().validate_response(adapted, _Response(response))
    except ResponseNotFound as error:
        if response.status_code < 400:
            raise SpecViolationError(f"{where}: status not documented") from error
        _checked(where, body, "error")
        return
    except Exception as error:
        raise SpecViolationError(f"{where}: {_explain(error)}") from error
    if (
        adapted.method == "get"
        and adapted.path.startswith("/contacts/")
        and adapted.path.endswith("/companies")
        and response.status_code == 200
    ):
        for company in body.get("data", []):
            _checked(where, company, "company")


def validate_exchange(response: httpx.Response) -> None:
    """Check both the request and the response of an exchange (``response.request``)."""
    validate_request(response.request)
    validate_response(response.request, response)


def _checked(where: str, body: Any, schema_name: str) -> None:
    try:
        validate_schema(body, schema_name)
    except SpecViolationError as error:
        raise SpecViolationError(f"{where}: {error}") from None


def _json_body(response: httpx.Response, where: str) -> Any:
    try:
        return json.loads(response.read())
    except ValueError as error:
        raise SpecViolationError(f"{where}: the body is not JSON") from error


class Validating(httpx.BaseTransport):
    """Every exchange with the fake is checked against Intercom's OpenAPI description."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        validate_exchange(response)
        return response
