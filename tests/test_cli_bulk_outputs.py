"""What the bulk commands say for a script: ``-v`` lines, and ``--json`` documents.

``-v`` on ``bulk erase`` and ``bulk export`` logs each request as the single-subject commands
do, beside the bulk rate limiter (which must still pace every request). The ``--json``
documents of ``bulk erase --dry-run`` and ``bulk status`` are validated against their JSON
Schemas in ``docs/schemas/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dsr_resolvers.cli._trace import HookChain
from tests.test_cli import TOKEN, World, dsr, served_world

_VERBOSE_LINE = re.compile(r"^(GET|POST|PUT|DELETE) /[a-z_/{}]+ \d{3} \d+ ms$")


@pytest.fixture
def world() -> Iterator[World]:
    with served_world(rate_limit=100_000) as served:
        yield served


def _input(world: World, tmp_path: Path) -> tuple[Path, list[str]]:
    ids = [world.fake.add_contact(email=f"p{n}@example.com", name=f"P {n}") for n in range(5)]
    source = tmp_path / "subjects.txt"
    source.write_text("\n".join([*ids, world.demo.shared_email, "nobody@example.com"]) + "\n")
    return source, ids


# -- -v -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["erase", "export"])
def test_bulk_verbose_logs_each_request_never_an_id(
    world: World, tmp_path: Path, operation: str
) -> None:
    source, ids = _input(world, tmp_path)
    extra = ["--yes"] if operation == "erase" else ["--out", str(tmp_path / "out")]

    result = dsr(
        "intercom", "bulk", operation, "--input", str(source), "--journal",
        str(tmp_path / "run.sqlite"), "--base-url", world.url, "-v", *extra,
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    logged = [line for line in result.stderr.splitlines() if _VERBOSE_LINE.match(line)]
    assert len(logged) == world.fake.count()
    assert "POST /contacts/search 200" in result.stderr
    if operation == "erase":
        assert "DELETE /contacts/{id} 200" in result.stderr
    secrets = [*ids, world.demo.user_id, world.demo.lead_id, world.demo.shared_email, TOKEN]
    assert not [secret for secret in secrets if secret in result.stderr]
    quiet = dsr(
        "intercom", "bulk", operation, "--input", str(source), "--journal",
        str(tmp_path / "again.sqlite"), "--base-url", world.url, *extra,
    )  # fmt: skip
    assert not [line for line in quiet.stderr.splitlines() if _VERBOSE_LINE.match(line)]


def test_the_hook_chain_paces_before_it_times() -> None:
    calls: list[str] = []

    class Recorder:
        def __init__(self, name: str) -> None:
            self.name = name

        def before_request(self, request: httpx.Request) -> None:
            calls.append(f"{self.name} before")

        def after_response(self, response: httpx.Response) -> None:
            calls.append(f"{self.name} after")

    chain = HookChain(Recorder("limiter"), Recorder("trace"))
    request = httpx.Request("GET", "https://api.intercom.io/me")
    chain.before_request(request)
    chain.after_response(httpx.Response(200, request=request))

    assert calls == ["limiter before", "trace before", "limiter after", "trace after"]
