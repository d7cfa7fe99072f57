"""Derive the facts-only subset of Intercom's OpenAPI description that the tests validate against.

The tests check every request the library sends and every answer FakeIntercom gives against
Intercom's own description (``tests/openapi_spec.py``). The full file (878 kB) lives outside the
repository, so a fresh clone could not test itself; this script keeps in ``tests/data/`` only
what that oracle reads, and a test (``tests/test_openapi_subset.py``) fails when the committed
subset is not exactly what this script derives from the full file.

======================  =====================================================================
Part of the source      In the subset
======================  =====================================================================
``paths``               only the operations in ``OPERATIONS`` (method and path template)
``components``          only what those operations and ``EXTRA_SCHEMAS`` reference, followed
                        transitively through ``$ref``
``description``,        dropped everywhere, except where the word is a property *name* (a
``summary``,            schema's ``properties``, an object's ``required`` list)
``example(s)``, tags,
``externalDocs``
``info``                title and version, plus where the subset came from
``servers``             the URLs only
``security``            kept as is
======================  =====================================================================

To cover a new endpoint, add its ``(method, path)`` to ``OPERATIONS`` and run::

    python scripts/openapi_subset.py ../shared/intercom-openapi/api.intercom.io.2.14.yaml

The source is MIT-licensed by Intercom, Inc.; its licence notice is copied beside the subset.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import yaml

ROOT: Final = Path(__file__).resolve().parents[1]
SOURCE: Final = ROOT.parent / "shared" / "intercom-openapi" / "api.intercom.io.2.14.yaml"
SUBSET: Final = ROOT / "tests" / "data" / "intercom-openapi" / "api.intercom.io.2.14.subset.json"
LICENSE_NAME: Final = "LICENSE.md"

# Every operation the library calls or FakeIntercom answers (or is about to): one line each.
OPERATIONS: Final[tuple[tuple[str, str], ...]] = (
    ("get", "/me"),
    ("get", "/contacts"),
    ("get", "/contacts/{contact_id}"),
    ("put", "/contacts/{contact_id}"),
    ("delete", "/contacts/{contact_id}"),
    ("post", "/contacts/search"),
    ("get", "/contacts/find_by_external_id/{external_id}"),
    ("post", "/contacts/{contact_id}/archive"),
    ("post", "/contacts/{contact_id}/unarchive"),
    ("get", "/contacts/{contact_id}/tags"),
    ("get", "/contacts/{contact_id}/companies"),
    ("get", "/contacts/{contact_id}/notes"),
    ("get", "/contacts/{contact_id}/segments"),
    ("get", "/contacts/{contact_id}/subscriptions"),
    ("post", "/contacts/{contact_id}/subscriptions"),
    ("get", "/subscription_types"),
    ("get", "/conversations"),
    ("get", "/conversations/{conversation_id}"),
    ("post", "/conversations/search"),
    ("post", "/conversations/redact"),
    ("delete", "/conversations/{conversation_id}"),
    ("get", "/tickets/{ticket_id}"),
    ("delete", "/tickets/{ticket_id}"),
    ("post", "/tickets/search"),
    ("get", "/events"),
    ("post", "/calls/search"),
)

# Component schemas the oracle names directly (not only through an operation).
EXTRA_SCHEMAS: Final[tuple[str, ...]] = ("error", "data_event_list", "company")

_DROPPED: Final = frozenset(
    {"description", "summary", "example", "examples", "tags", "externalDocs"}
)
# Mappings whose keys are names chosen by the API, not OpenAPI keywords: never drop those keys.
_NAMED_KEYS: Final = frozenset({"properties", "schemas", "responses", "securitySchemes"})


def _facts(node: Any, *, named: bool = False) -> Any:
    """``node`` without prose and examples; ``named`` means its keys are names, not keywords."""
    if isinstance(node, list):
        return [_facts(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: _facts(value, named=not named and key in _NAMED_KEYS)
        for key, value in node.items()
        if named or key not in _DROPPED
    }


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from _refs(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)


def derive(source: dict[str, Any]) -> dict[str, Any]:
    """The subset of a parsed description (see the module table).

    Raises:
        KeyError: An operation in ``OPERATIONS`` or a schema in ``EXTRA_SCHEMAS`` is not in
            ``source``.
    """
    paths: dict[str, dict[str, Any]] = {}
    for method, path in OPERATIONS:
        item = source["paths"][path]
        kept = paths.setdefault(path, {})
        if "parameters" in item:  # parameters shared by every method of the path
            kept["parameters"] = item["parameters"]
        kept[method] = item[method]
    components: dict[str, dict[str, Any]] = {}
    pending = [*_refs(paths), *(f"#/components/schemas/{name}" for name in EXTRA_SCHEMAS)]
    pending.extend(
        f"#/components/securitySchemes/{name}"
        for requirement in source.get("security", [])
        for name in requirement
    )
    while pending:
        ref = pending.pop()
        _, _, section, name = ref.split("/", 3)
        if name in components.get(section, {}):
            continue
        target = source["components"][section][name]
        components.setdefault(section, {})[name] = target
        pending.extend(_refs(target))
    subset = {
        "openapi": source["openapi"],
        "info": {
            "title": source["info"]["title"],
            "version": source["info"]["version"],
            "x-subset-of": "api.intercom.io.2.14.yaml (scripts/openapi_subset.py)",
        },
        "servers": [{"url": server["url"]} for server in source.get("servers", [])],
        "security": source.get("security", []),
        "paths": {path: paths[path] for path in sorted(paths)},
        "components": {
            section: {name: entries[name] for name in sorted(entries)}
            for section, entries in sorted(components.items())
        },
    }
    result: dict[str, Any] = _facts(subset)
    return result


def render(subset: dict[str, Any]) -> str:
    """The subset as committed: stable key order, one value per line, so diffs read well."""
    return json.dumps(subset, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def load_source(path: Path) -> dict[str, Any]:
    """Parse the full description (YAML)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open("rb") as stream:
        parsed = yaml.load(stream, Loader=loader)  # noqa: S506 - a safe loader
    if not isinstance(parsed, dict):
        raise SystemExit(f"{path} is not an OpenAPI document")
    return parsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("source", nargs="?", type=Path, default=SOURCE, help="the full YAML")
    parser.add_argument("--out", type=Path, default=SUBSET, help="where to write the subset")
    args = parser.parse_args(argv)
    source: Path = args.source
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(derive(load_source(source))), encoding="utf-8")
    notice = source.parent / LICENSE_NAME
    if notice.is_file():
        shutil.copyfile(notice, out.parent / LICENSE_NAME)
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
