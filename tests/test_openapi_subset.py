"""The committed OpenAPI subset is what the tests need, and exactly what the script derives.

``tests/data/intercom-openapi/`` holds the facts-only subset of Intercom's description that
``tests/openapi_spec.py`` validates against, so a fresh clone tests itself. These tests check
that it covers every route the library calls and FakeIntercom answers, carries the source's
licence notice and no prose, and (when the full description is beside the checkout, as in CI)
that it has not drifted from what ``scripts/openapi_subset.py`` derives.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from scripts.openapi_subset import OPERATIONS, SOURCE, SUBSET, derive, load_source, render

from dsr_resolvers.intercom import _routes
from dsr_resolvers.intercom._http import Route as ClientRoute
from dsr_resolvers.testing._fake_routes import ROUTES as FAKE_ROUTES
from tests.openapi_spec import SPEC_ENV


def _shape(method: str, path: str) -> tuple[str, str]:
    """A route with its parameter names erased: ``/contacts/{id}`` == ``/contacts/{contact_id}``."""
    return method.lower(), re.sub(r"\{[^}]*\}", "{}", path)


def _committed() -> dict[str, Any]:
    subset: dict[str, Any] = json.loads(SUBSET.read_text(encoding="utf-8"))
    return subset


def test_every_route_the_library_calls_is_in_the_subset() -> None:
    listed = {_shape(method, path) for method, path in OPERATIONS}
    called = [r for r in vars(_routes).values() if isinstance(r, ClientRoute)]
    assert called
    assert {_shape(r.method, r.path) for r in called} <= listed


def test_every_route_the_fake_answers_is_in_the_subset() -> None:
    listed = {_shape(method, path) for method, path in OPERATIONS}
    served = {_shape(r.method, "/" + "/".join(r.template)) for r in FAKE_ROUTES}
    assert served <= listed


def test_the_subset_holds_each_listed_operation_and_the_licence_notice() -> None:
    paths = _committed()["paths"]
    for method, path in OPERATIONS:
        assert method in paths[path], (method, path)
    notice = (SUBSET.parent / "LICENSE.md").read_text(encoding="utf-8")
    assert "MIT License" in notice
    assert "Intercom, Inc." in notice


def _keywords(node: Any, *, named: bool = False) -> set[str]:
    """Every key used as an OpenAPI keyword (not as a property or component name)."""
    if isinstance(node, list):
        return set().union(*(_keywords(item) for item in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found = set() if named else set(node)
    for key, value in node.items():
        inner_named = not named and key in {"properties", "schemas", "responses"}
        found |= _keywords(value, named=inner_named)
    return found


def test_the_subset_holds_facts_only() -> None:
    keywords = _keywords(_committed())
    assert not keywords & {"description", "summary", "example", "examples", "externalDocs"}


def _full_description() -> Path | None:
    configured = os.environ.get(SPEC_ENV)
    for candidate in (Path(configured) if configured else None, SOURCE):
        if candidate is not None and candidate.suffix == ".yaml" and candidate.is_file():
            return candidate
    return None


@pytest.mark.skipif(
    _full_description() is None,
    reason="Intercom's full OpenAPI description is not beside the clone",
)
def test_the_committed_subset_is_what_the_script_derives() -> None:
    source = _full_description()
    assert source is not None
    derived = render(derive(load_source(source)))
    assert SUBSET.read_text(encoding="utf-8") == derived, (
        "tests/data/intercom-openapi/ has drifted; run: python scripts/openapi_subset.py"
    )
