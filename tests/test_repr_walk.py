"""No public model shows an identifier or a personal value in its ``repr``: a walk, not a list.

Every pydantic model and dataclass named in a public ``__all__`` of the package (and the export
file's ``_bundle`` models) is built with a sentinel in each field that can hold text; its
``repr`` may show a sentinel only for a field named in ``SHOWN``: names of things, counts,
policies, the controller's own words, never whom they are about. A new model, or a new field
holding an id, fails here until it keeps the value out of ``repr``.

The testing kit and the sandbox are left out: their records describe the fake workspace's own
invented people, and tests read them.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import re
from typing import Any

import pytest
from pydantic import BaseModel

import dsr_resolvers

SHOWN = frozenset(
    {
        # what a thing is, where it lives, which system: never whom it is about
        "resolver", "kind", "source", "field", "fields", "role", "type", "format", "matched_on",
        # kinds of items by name (their ids stay hidden inside)
        "items",
        # counts and settings by name; a workspace is the controller's own account name
        "workspace", "workspaces", "counts", "options", "policy", "library_version",
        "surface_sha256",
        # words for people: the contract forbids personal data in them
        "detail", "stop_detail", "notes", "reason",
        # the controller's record of processing: the controller's own words and contacts
        "legal_basis", "purpose", "retention_reason", "retention", "recipients", "name",
        "contact", "supervisory_authority", "logic", "significance", "recipient", "country",
        "details",
    }
)  # fmt: skip
LEFT_OUT = ("dsr_resolvers.testing", "dsr_resolvers.sandbox")


def public_models() -> list[type[Any]]:
    modules = ["dsr_resolvers", "dsr_resolvers._bundle"] + [
        info.name
        for info in pkgutil.walk_packages(dsr_resolvers.__path__, "dsr_resolvers.")
        if not any(part.startswith("_") for part in info.name.split(".")[1:])
        and not info.name.startswith(LEFT_OUT)
    ]
    found: dict[str, type[Any]] = {}
    for name in modules:
        module = importlib.import_module(name)
        for exported in getattr(module, "__all__", ()):
            value = getattr(module, exported)
            if isinstance(value, type) and (
                issubclass(value, BaseModel) or dataclasses.is_dataclass(value)
            ):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[key] for key in sorted(found)]


def _text_fields(model: type[Any]) -> dict[str, str]:
    """The fields whose annotation can hold text, with their annotation as written."""
    if issubclass(model, BaseModel):
        annotations = {name: str(f.annotation) for name, f in model.model_fields.items()}
    else:
        annotations = {f.name: str(f.type) for f in dataclasses.fields(model)}
    return {name: text for name, text in annotations.items() if re.search(r"\bstr\b", text)}


def _with_sentinels(model: type[Any]) -> tuple[Any, dict[str, str]]:
    sentinels = {name: f"SENTINEL-{name}-7f3a" for name in _text_fields(model)}
    if issubclass(model, BaseModel):
        values: dict[str, Any] = {
            n: _empty(str(f.annotation)) for n, f in model.model_fields.items()
        }
        return model.model_construct(**(values | sentinels)), sentinels
    instance = object.__new__(model)
    for field in dataclasses.fields(model):
        value = sentinels.get(field.name, _empty(str(field.type)))
        object.__setattr__(instance, field.name, value)
    return instance, sentinels


def _empty(annotation: str) -> object:
    return () if annotation.startswith("tuple") else None


def test_the_walk_reaches_the_models_the_issue_names() -> None:
    names = {model.__name__ for model in public_models()}
    assert {"ContactPlan", "ContactOutcome", "SubjectRecords", "SubjectMatch"} <= names
    assert {"ResolverErasurePlan", "ResolverVerification", "SubjectOutcome"} <= names


@pytest.mark.parametrize("model", public_models(), ids=lambda model: model.__name__)
def test_a_public_models_repr_shows_no_identifier_and_no_value(model: type[Any]) -> None:
    instance, sentinels = _with_sentinels(model)
    shown = repr(instance)
    leaked = sorted(name for name, sentinel in sentinels.items() if sentinel in shown)
    assert set(leaked) <= SHOWN, f"{model.__name__}'s repr shows {set(leaked) - SHOWN}"
