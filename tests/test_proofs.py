"""PROOFS.md names the test behind each promise; a test that disappears must fail the build."""

from __future__ import annotations

import ast
import re
import tomllib
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


#: The test files mutation testing leaves out: none of them runs the plugin or the contract.
NOT_MUTATION_TESTS = frozenset(
    {
        "tests/test_cli_docs.py",  # compares option names with docs/cli.md
        "tests/test_docs_build.py",  # builds the documentation site
        "tests/test_docs_examples.py",  # runs the docs' code blocks in subprocesses
        "tests/test_openapi_subset.py",  # the committed OpenAPI subset against Intercom's
        "tests/test_proofs.py",  # this file
        "tests/test_release.py",  # builds and installs the wheel
        "tests/test_report_browser.py",  # prints reports in Chromium
    }
)


def test_mutation_testing_selects_every_test_file_that_runs_the_plugin() -> None:
    """The mutation score in PROOFS.md is measured with every test file selected: a new test
    file joins `[tool.mutmut]` in pyproject.toml, or this list with its reason."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    selected = set(config["mutmut"]["pytest_add_cli_args_test_selection"])
    every = {f"tests/{path.name}" for path in (ROOT / "tests").glob("test_*.py")}
    assert every - NOT_MUTATION_TESTS == selected
