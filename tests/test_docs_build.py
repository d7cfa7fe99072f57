"""The documentation site builds with ``mkdocs build --strict`` and not a single warning.

Strict mode turns warnings into a failed build, but some plugins log warnings strict mode
does not count, so the output is read as well. The build runs offline (the theme loads no web
fonts, no plugin fetches anything) into a temporary directory, never into ``site/``.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 180

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None,
    reason="mkdocs is not installed (pip install 'dsr-resolvers[docs]')",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the site once for the module; fail on a non-zero exit or any warning."""
    site_dir = tmp_path_factory.mktemp("site")
    # Material prints an end-of-life banner unless told not to; it is noise, not a warning.
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    output = result.stdout + result.stderr
    warnings = [line for line in output.splitlines() if "WARNING" in line or "ERROR" in line]
    assert result.returncode == 0, output[-4000:]
    assert not warnings, "\n".join(warnings)
    return site_dir


def test_the_site_builds_strictly_without_warnings(site: Path) -> None:
    assert (site / "index.html").is_file()
    assert (site / "reference" / "api" / "index.html").is_file()


def test_the_api_reference_documents_the_public_surface(site: Path) -> None:
    html = (site / "reference" / "api" / "index.html").read_text(encoding="utf-8")
    for anchor in (
        "dsr_resolvers.SubjectRef",
        "dsr_resolvers.CoveredSurface",
        "dsr_resolvers.ResolverError",
        "dsr_resolvers.intercom.IntercomResolver.export_subject",
        "dsr_resolvers.intercom.IntercomResolver.erase_subject",
        "dsr_resolvers.intercom.RateLimitedError",
        "dsr_resolvers.testing.FakeIntercom.fail_next",
        "dsr_resolvers.testing.ResolverConformanceSuite",
        "dsr_resolvers.integrations.effaced.as_effaced_resolver",
    ):
        assert f'id="{anchor}"' in html, anchor
    # Docstrings with reST habits are rewritten at build time (docs/_ext/rest_markup.py).
    for leftover in (":class:", ":meth:", ":func:", ":attr:", "=========="):
        assert leftover not in html, leftover


def test_the_site_loads_nothing_from_the_internet(site: Path) -> None:
    html = (site / "index.html").read_text(encoding="utf-8")
    assert "fonts.googleapis.com" not in html
    assert "fonts.gstatic.com" not in html
    assert "googletagmanager" not in html
