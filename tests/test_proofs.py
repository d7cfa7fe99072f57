"""PROOFS.md names the test behind each promise; a test that disappears must fail the build."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)(?:::(\w+))?`")


def _defined_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
    return names


def test_every_test_named_in_proofs_exists() -> None:
    references = REFERENCE.findall((ROOT / "PROOFS.md").read_text(encoding="utf-8"))
    assert len(references) >= 30
    missing = []
    for file, name, method in references:
        path = ROOT / file
        defined = _defined_names(path) if path.exists() else set()
        for wanted in filter(None, (name, method)):
            if wanted not in defined:
                missing.append(f"{file}::{wanted}")
    assert not missing, f"PROOFS.md names tests that do not exist: {missing}"
