"""What the bulk commands say for a script: ``-v`` lines, and ``--json`` documents.

``-v`` on ``bulk erase`` and ``bulk export`` logs each request as the single-subject commands
do, beside the bulk rate limiter (which must still pace every request). The ``--json``
documents of ``bulk erase --dry-run`` and ``bulk status`` are validated against their JSON
Schemas in ``docs/schemas/``.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_schema_validator import OAS31Validator
from pydantic import SecretStr
from referencing import Registry, Resource
from rich.console import Console

from dsr_resolvers.bulk import BulkOperation
from dsr_resolvers.cli._bulk import run_bulk_command
from dsr_resolvers.cli._output import Io
from dsr_resolvers.cli._settings import Connection
from dsr_resolvers.cli._trace import HookChain
from tests.test_cli import TOKEN, World, dsr, served_world

SCHEMAS = Path(__file__).resolve().parents[1] / "docs" / "schemas"

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


# -- --json ---------------------------------------------------------------------------------------


def _valid(document: Any, schema: str) -> Any:
    """Validate against a schema of docs/schemas/, resolving references between its files."""
    documents = [json.loads(path.read_text()) for path in SCHEMAS.glob("*.schema.json")]
    registry: Registry[Any] = Registry().with_resources(
        (each["$id"], Resource.from_contents(each)) for each in documents
    )
    main = json.loads((SCHEMAS / f"{schema}.schema.json").read_text())
    errors = [e.message for e in OAS31Validator(main, registry=registry).iter_errors(document)]
    assert not errors, errors
    return document


def test_bulk_dry_run_json_and_report_are_one_document_that_agrees_with_the_single_dry_run(
    world: World, tmp_path: Path
) -> None:
    source, ids = _input(world, tmp_path)
    journal = tmp_path / "plan.sqlite"

    result = dsr(
        "intercom", "bulk", "erase", "--input", str(source), "--journal", str(journal),
        "--dry-run", "--json", "--policy", "redact_messages", "--base-url", world.url,
        "--report", str(tmp_path / "plan.json"),
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    document = _valid(json.loads(result.stdout), "bulk-erase-plan")
    assert json.loads((tmp_path / "plan.json").read_text()) == document  # one shape, both flags
    assert document["policy"] == "redact_messages"
    assert document["totals"]["subjects"] == len(document["subjects"]) == 7
    by_line = {subject["line"]: subject for subject in document["subjects"]}
    assert [c["contact_id"] for c in by_line[1]["contacts"]] == [ids[0]]
    assert by_line[6]["kind"] == "email"
    assert by_line[7] == {
        "line": 7,
        "kind": "email",
        "searched": ["email"],
        "outcome": "no_contact",
        "contacts": [],
    }
    assert "@" not in result.stdout
    assert world.fake.count("DELETE /contacts/{id}") == 0
    assert not journal.exists()
    single = dsr(
        "intercom", "erase", "--email", world.demo.shared_email, "--dry-run", "--json",
        "--policy", "redact_messages", "--base-url", world.url,
    )  # fmt: skip
    shared = ("contact_id", "outcome", "held", "conversations", "redactions", "would_do")
    from_single = [
        {key: contact[key] for key in shared}
        for contact in _valid(json.loads(single.stdout), "erase-plan")["contacts"]
    ]
    from_bulk = [{key: contact[key] for key in shared} for contact in by_line[6]["contacts"]]
    assert from_bulk == from_single


def test_bulk_dry_run_json_is_written_subject_by_subject(world: World, tmp_path: Path) -> None:
    source, _ = _input(world, tmp_path)
    sent_at_each_write: list[int] = []

    class Stdout(io.StringIO):
        def write(self, text: str) -> int:
            sent_at_each_write.append(world.fake.count())
            return super().write(text)

    stdout = Stdout()
    code = run_bulk_command(
        Connection(base_url=world.url, token=SecretStr(TOKEN)),
        Io(out=Console(file=stdout), err=Console(file=io.StringIO()), interactive=False),
        operation=BulkOperation.ERASE,
        input_path=source,
        journal_path=tmp_path / "plan.sqlite",
        concurrency=1,
        policy="redact_messages",
        dry_run=True,
        as_json=True,
    )

    assert code == 0
    assert _valid(json.loads(stdout.getvalue()), "bulk-erase-plan")["totals"]["subjects"] == 7
    # The first subject is on stdout before the last is planned: nothing waits for the end.
    assert sent_at_each_write[1] < sent_at_each_write[-1] == world.fake.count()


def test_bulk_json_without_dry_run_is_a_usage_error(world: World, tmp_path: Path) -> None:
    source, _ = _input(world, tmp_path)

    result = dsr(
        "intercom", "bulk", "erase", "--input", str(source), "--journal",
        str(tmp_path / "run.sqlite"), "--json", "--yes", "--base-url", world.url,
    )  # fmt: skip

    assert result.exit_code == 2
    assert "--dry-run" in result.stderr
    assert world.fake.count() == 0


def test_bulk_status_json_follows_its_schema_and_sends_nothing(
    world: World, tmp_path: Path
) -> None:
    source, _ = _input(world, tmp_path)
    journal = tmp_path / "run.sqlite"
    world.fake.fail_next(409, times=1, route="DELETE /contacts/{id}")
    first = dsr(
        "intercom", "bulk", "erase", "--input", str(source), "--journal", str(journal),
        "--yes", "--concurrency", "1", "--base-url", world.url,
    )  # fmt: skip
    assert first.exit_code == 1
    sent = world.fake.count()

    result = dsr("intercom", "bulk", "status", "--journal", str(journal), "--json")

    assert result.exit_code == 1  # not everything is done
    assert world.fake.count() == sent
    document = _valid(json.loads(result.stdout), "bulk-status")
    assert document["operation"] == "erase"
    assert document["options"]["erasure_policy"] == "delete_contact"
    assert document["subjects"] == 7
    assert document["states"] == {"pending": 0, "running": 0, "done": 6, "failed": 1}
    assert document["failures"] == [{"type": "IntercomRejectedError", "status": 409, "count": 1}]
