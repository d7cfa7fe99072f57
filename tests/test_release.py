"""The release artefacts: what ``python -m build`` makes is what PyPI and a user should get.

One build per module (an sdist, then a wheel built *from that sdist*, so a file the sdist
forgets breaks the wheel too), then:

- ``twine check --strict`` passes on both, which renders the README as PyPI does;
- the wheel's metadata: name, the version from ``_version.py``, exactly httpx and pydantic for
  a plain install, the extras, the license, the classifiers, ``py.typed``;
- the wheel holds every module under ``src/`` and nothing else; the sdist holds what a
  downstream packager needs and nothing from a work tree (virtualenvs, caches, builds);
- the wheel installs into a fresh virtualenv and the library works there with its declared
  dependencies alone: no pytest, no hypothesis, no typer;
- every link in the README still leads somewhere when PyPI shows it.

Building and installing fetch hatchling, httpx and pydantic from the package index.
"""

from __future__ import annotations

import email
import importlib.util
import re
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from email.message import Message
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import dsr_resolvers

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "dsr_resolvers"
TIMEOUT = 300

needs_build = pytest.mark.skipif(
    importlib.util.find_spec("build") is None,
    reason="build is not installed (pip install build twine)",
)


def run(*command: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-3000:]}{result.stderr}"
    return result


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the one sdist and the one wheel built from it."""
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--outdir", out, ROOT)
    assert len(list(out.glob("*.tar.gz"))) == 1
    assert len(list(out.glob("*.whl"))) == 1
    return out


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    return next(dist.glob("*.whl"))


@pytest.fixture(scope="module")
def sdist(dist: Path) -> Path:
    return next(dist.glob("*.tar.gz"))


@pytest.fixture(scope="module")
def metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return email.message_from_string(archive.read(name).decode("utf-8"))


@needs_build
def test_twine_check_passes_and_the_readme_renders_as_on_pypi(dist: Path) -> None:
    result = run(sys.executable, "-m", "twine", "check", "--strict", *sorted(dist.iterdir()))
    assert result.stdout.count("PASSED") == 2, result.stdout


@needs_build
def test_the_wheel_metadata_declares_what_is_published(metadata: Message) -> None:
    assert metadata["Name"] == "dsr-resolvers"
    assert metadata["Version"] == dsr_resolvers.__version__
    assert metadata["Requires-Python"] == ">=3.11"
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert str(metadata.get_payload()).startswith("# dsr-resolvers")

    requirements = [Requirement(line) for line in metadata.get_all("Requires-Dist") or []]
    base = sorted(r.name for r in requirements if r.marker is None)
    assert base == ["httpx", "pydantic"], "a plain install must need httpx and pydantic only"
    extras = set(metadata.get_all("Provides-Extra") or [])
    assert {"cli", "testing", "effaced"} <= extras

    classifiers = set(metadata.get_all("Classifier") or [])
    assert "Typing :: Typed" in classifiers
    for version in ("3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {version}" in classifiers


@needs_build
def test_the_wheel_holds_every_module_and_nothing_else(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    shipped = {n for n in names if not re.match(r"dsr_resolvers-[^/]+\.dist-info/", n)}
    expected = {
        str(path.relative_to(PACKAGE.parent))
        for path in PACKAGE.rglob("*")
        if path.is_file() and (path.suffix == ".py" or path.name == "py.typed")
    }
    assert shipped == expected
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


@needs_build
def test_the_sdist_holds_the_sources_and_no_work_tree_debris(sdist: Path) -> None:
    with tarfile.open(sdist) as archive:
        top = sdist.name.removesuffix(".tar.gz")
        names = {name.removeprefix(f"{top}/") for name in archive.getnames()}
    for required in (
        "LICENSE",
        "README.md",
        "pyproject.toml",
        "PKG-INFO",
        "src/dsr_resolvers/__init__.py",
        "src/dsr_resolvers/_version.py",
        "src/dsr_resolvers/py.typed",
    ):
        assert required in names, required
    debris = re.compile(
        r"(^|/)(\.venv|\.git|__pycache__|\.mypy_cache|\.ruff_cache|\.pytest_cache|\.hypothesis"
        r"|site|dist|build|mutants)(/|$)|\.pyc$|\.sqlite(-wal|-shm)?$"
    )
    assert not sorted(name for name in names if debris.search(name))


@needs_build
def test_the_wheel_works_in_a_fresh_virtualenv_with_its_declared_dependencies(
    wheel: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel)
    check = textwrap.dedent(
        """
        import asyncio
        import importlib.util

        import dsr_resolvers
        import dsr_resolvers.intercom
        import dsr_resolvers.sandbox
        import dsr_resolvers.testing
        from dsr_resolvers import SubjectRef
        from dsr_resolvers.intercom import IntercomResolver
        from dsr_resolvers.testing import FakeIntercom

        fake = FakeIntercom()
        ref = SubjectRef(kind="intercom", value=fake.add_contact(email="ada@example.com"))
        resolver = IntercomResolver("test-token", transport=fake)
        assert asyncio.run(resolver.export_subject(ref)).records
        assert not asyncio.run(resolver.erase_subject(ref)).already_absent
        for extra in ("pytest", "hypothesis", "typer", "rich", "effaced"):
            assert importlib.util.find_spec(extra) is None, extra
        print(dsr_resolvers.__version__)
        """
    )
    result = run(python, "-c", check, cwd=tmp_path)
    assert result.stdout.strip() == dsr_resolvers.__version__


def test_the_readme_links_work_on_pypi() -> None:
    # PyPI shows the README without the repository around it: a relative link is a dead link.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s]+)", readme) + re.findall(r'src="([^"]+)"', readme)
    relative = [t for t in targets if not t.startswith(("https://", "http://", "#", "mailto:"))]
    assert not relative, f"README links that break on PyPI: {relative}"
