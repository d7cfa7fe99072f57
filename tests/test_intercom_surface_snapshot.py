"""The covered surface is a public declaration: any change to it must be deliberate.

Each configuration's surface is compared with a reviewed copy under ``tests/data/surface/``.
After an intended change, regenerate them with ``DSR_UPDATE_SNAPSHOTS=1 pytest`` and review the
diff: it is exactly what a record of processing built on the old surface would need to learn.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from dsr_resolvers.intercom import IntercomResolver

SNAPSHOTS = Path(__file__).parent / "data" / "surface"

CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "default": {},
    "core": {"sections": ["conversations"]},
    "messages-redact": {"export_messages": True, "erasure_policy": "redact_messages"},
    "custom-attributes": {"custom_attributes": {"plan": "behavioral", "diagnosis": "special"}},
    "profile-only": {"sections": []},
    "archived-export": {"export_archived": True, "sections": ["events"]},
}


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_the_covered_surface_matches_its_reviewed_snapshot(name: str) -> None:
    surface = IntercomResolver("token", **CONFIGURATIONS[name]).covered_surface
    rendered = json.dumps(surface.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
    path = SNAPSHOTS / f"{name}.json"
    if os.environ.get("DSR_UPDATE_SNAPSHOTS") == "1":
        path.write_text(rendered, encoding="utf-8")
    assert path.exists(), f"no snapshot for {name}; run with DSR_UPDATE_SNAPSHOTS=1 and review it"
    assert rendered == path.read_text(encoding="utf-8"), (
        f"the covered surface for {name!r} changed; if intended, regenerate with "
        "DSR_UPDATE_SNAPSHOTS=1 and review the diff"
    )
