"""The ``dsr intercom`` single-subject commands, end to end against a served FakeIntercom.

Every command runs through Typer's CliRunner exactly as a shell would run it: options parsed,
settings read from the environment (``INTERCOM_ACCESS_TOKEN``), requests sent over HTTP to a
FakeIntercom on 127.0.0.1 (``--base-url``). Every invocation goes through :func:`dsr`, which
asserts what must hold for all of them: the token never appears on stdout or stderr, and no
traceback does either.

The helpers here (:func:`dsr`, :class:`World`, :func:`served_world`) are shared with the other
``test_cli_*`` modules.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from dsr_resolvers.cli import app
from dsr_resolvers.intercom import IntercomResolver
from dsr_resolvers.sandbox import DemoWorkspace, seed_demo
from dsr_resolvers.testing import FakeIntercom

TOKEN = "tok_cli_S3CRET_5f2b9c1e7d"  # the string that must never be printed

_BASE_ENV: dict[str, str | None] = {
    "INTERCOM_ACCESS_TOKEN": TOKEN,
    "INTERCOM_REGION": None,
    "INTERCOM_BASE_URL": None,
    "INTERCOM_API_VERSION": None,
    "INTERCOM_TIMEOUT": "5",
    "DSR_RETRY_ATTEMPTS": None,
    "DSR_RETRY_BACKOFF": "0.01",
    "DSR_RETRY_MAX_WAIT": None,
    "DSR_JOURNAL_KEY": None,
    "FORCE_COLOR": None,
    "TTY_COMPATIBLE": None,
    "NO_COLOR": "1",
    "COLUMNS": "200",
}


@dataclass
class World:
    """A demo workspace served over HTTP."""

    fake: FakeIntercom
    demo: DemoWorkspace
    url: str


@contextmanager
def served_world(*, rate_limit: int | None = None) -> Iterator[World]:
    """A FakeIntercom accepting :data:`TOKEN`, seeded with the demo, served on 127.0.0.1."""
    fake = FakeIntercom(TOKEN, rate_limit=rate_limit)
    demo = seed_demo(fake)
    with fake.serve() as url:
        yield World(fake, demo, url)


@pytest.fixture
def world() -> Iterator[World]:
    with served_world() as served:
        yield served


def dsr(
    *args: str, env: Mapping[str, str | None] | None = None, input: str | None = None
) -> Result:
    """Run ``dsr ARGS`` in-process and check the promises every run keeps."""
    result = CliRunner().invoke(
        app, list(args), env={**_BASE_ENV, **(env or {})}, input=input, prog_name="dsr"
    )
    for stream in (result.stdout, result.stderr):
        assert TOKEN not in stream
        assert "Traceback" not in stream
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def error_lines(result: Result) -> list[str]:
    """The ``error:`` lines on stderr."""
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


def one_error(result: Result) -> str:
    """The single line on stderr besides notes (``Note: ...``), which must be an error line."""
    lines = [
        line for line in result.stderr.splitlines() if line.strip() and not line.startswith("Note:")
    ]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


# -- lookup ---------------------------------------------------------------------------------------


def test_lookup_by_email_lists_the_user_and_the_lead(world: World) -> None:
    result = dsr("intercom", "lookup", "--email", world.demo.shared_email, "--base-url", world.url)

    assert result.exit_code == 0, result.stderr
    assert world.demo.user_id in result.stdout
    assert world.demo.lead_id in result.stdout
    assert "user" in result.stdout
    assert "lead" in result.stdout


def test_lookup_json_parses(world: World) -> None:
    result = dsr(
        "intercom", "lookup", "--email", world.demo.shared_email, "--format", "json",
        "--base-url", world.url,
    )  # fmt: skip

    assert result.exit_code == 0
    contacts = json.loads(result.stdout)["contacts"]
    assert {(c["id"], c["role"]) for c in contacts} == {
        (world.demo.user_id, "user"),
        (world.demo.lead_id, "lead"),
    }


def test_lookup_by_external_id(world: World) -> None:
    result = dsr(
        "intercom", "lookup", "--external-id", world.demo.user_external_id, "--format", "json",
        "--base-url", world.url,
    )  # fmt: skip

    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "contacts": [{"id": world.demo.user_id, "role": "user", "matched_on": ["external_id"]}]
    }


def test_lookup_without_a_match_is_success_with_nothing_held(world: World) -> None:
    table = dsr("intercom", "lookup", "--email", "nobody@example.com", "--base-url", world.url)
    as_json = dsr(
        "intercom", "lookup", "--email", "nobody@example.com", "--format", "json",
        "--base-url", world.url,
    )  # fmt: skip

    assert table.exit_code == 0
    assert "nothing is held" in table.stderr
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout) == {"contacts": []}


def test_lookup_needs_an_identifier(world: World) -> None:
    result = dsr("intercom", "lookup", "--base-url", world.url)

    assert result.exit_code == 2
    assert "give --email, --phone or --external-id" in one_error(result)
    assert world.fake.count() == 0


# -- configuration errors -------------------------------------------------------------------------


def test_missing_token_is_a_configuration_error(world: World) -> None:
    result = dsr(
        "intercom", "lookup", "--email", "a@example.com", "--base-url", world.url,
        env={"INTERCOM_ACCESS_TOKEN": None},
    )  # fmt: skip

    assert result.exit_code == 2
    assert "INTERCOM_ACCESS_TOKEN" in one_error(result)
    assert world.fake.count() == 0


def test_token_file_is_read_and_never_printed(world: World, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")

    result = dsr(
        "intercom", "lookup", "--email", world.demo.shared_email, "--token-file", str(token_file),
        "--base-url", world.url, env={"INTERCOM_ACCESS_TOKEN": None},
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    assert world.demo.user_id in result.stdout


@pytest.mark.parametrize("content", [None, "", "two words"], ids=["missing", "empty", "spaces"])
def test_unusable_token_file_is_a_configuration_error(
    world: World, tmp_path: Path, content: str | None
) -> None:
    token_file = tmp_path / "token"
    if content is not None:
        token_file.write_text(content)

    result = dsr(
        "intercom", "lookup", "--email", "a@example.com", "--token-file", str(token_file),
        "--base-url", world.url,
    )  # fmt: skip

    assert result.exit_code == 2
    assert "token file" in one_error(result)
    assert world.fake.count() == 0


@pytest.mark.parametrize(
    "command",
    [
        ("intercom", "erase", "6657a1b2c3d4e5f6a7b8c9d0", "--dry-run", "--json"),
        ("intercom", "lookup", "--email", "someone@example.com", "--format", "json"),
        ("intercom", "check", "--json"),
    ],
)
def test_json_prints_an_error_document_on_a_refused_token(
    world: World, command: tuple[str, ...]
) -> None:
    wrong = "tok_wrong_S3CRET_0000"
    result = dsr(*command, "--base-url", world.url, env={"INTERCOM_ACCESS_TOKEN": wrong})
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["format"] == "dsr-resolvers/error/v1"
    assert document["exit_code"] == 2
    assert "401" in document["error"] or "refused" in document["error"]
    assert wrong not in result.output


def test_rejected_token_exits_2_with_the_hint_and_without_the_token(world: World) -> None:
    wrong = "tok_wrong_S3CRET_0000"
    result = dsr(
        "intercom", "export", world.demo.user_id, "--base-url", world.url,
        env={"INTERCOM_ACCESS_TOKEN": wrong},
    )  # fmt: skip

    assert result.exit_code == 2
    line = one_error(result)
    assert "401" in line
    assert "supply a valid token" in line
    assert wrong not in result.output
    assert result.stdout == ""


def test_missing_scope_exits_2_with_the_hint(world: World) -> None:
    world.fake.fail_next(403, route="DELETE /contacts/{id}")

    result = dsr("intercom", "erase", world.demo.user_id, "--yes", "--base-url", world.url)

    assert result.exit_code == 2
    assert "scope" in one_error(result)
    assert world.fake.contact(world.demo.user_id) is not None


@pytest.mark.parametrize(
    ("arguments", "env", "expected"),
    [
        pytest.param(["--region", "eu"], {}, "both a region and a base URL", id="region-and-url"),
        pytest.param(["--region", "mars"], {}, "--region", id="bad-option-region"),
        pytest.param(["--api-version", ""], {}, "INTERCOM_API_VERSION", id="empty-version"),
        pytest.param(["--bogus"], {}, "No such option", id="unknown-option"),
    ],
)
def test_configuration_and_usage_errors_are_one_line_exit_2(
    world: World, arguments: list[str], env: dict[str, str], expected: str
) -> None:
    result = dsr(
        "intercom", "lookup", "--email", "a@example.com", "--base-url", world.url, *arguments,
        env=env,
    )  # fmt: skip

    assert result.exit_code == 2
    assert expected in one_error(result)
    assert world.fake.count() == 0


def test_a_bad_region_in_the_environment_is_named() -> None:
    result = dsr("intercom", "lookup", "--email", "a@example.com", env={"INTERCOM_REGION": "mars"})

    assert result.exit_code == 2
    line = one_error(result)
    assert "INTERCOM_REGION" in line
    assert "mars" not in line  # values given are never echoed


def test_an_option_beats_the_environment(world: World) -> None:
    result = dsr(
        "intercom", "lookup", "--email", world.demo.shared_email, "--base-url", world.url,
        env={"INTERCOM_REGION": "eu"},
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    assert world.demo.user_id in result.stdout


def test_plain_http_to_a_remote_host_is_refused() -> None:
    result = dsr(
        "intercom", "lookup", "--email", "a@example.com", "--base-url", "http://api.example.com"
    )

    assert result.exit_code == 2
    assert "https" in one_error(result)


def test_a_refused_connection_points_at_the_base_url_at_once() -> None:
    result = dsr(
        "intercom", "export", "abc", "--base-url", "http://127.0.0.1:9",
        env={"DSR_RETRY_ATTEMPTS": "2"},
    )  # fmt: skip

    assert result.exit_code == 2
    line = one_error(result)
    assert "cannot reach http://127.0.0.1:9: it refused the connection" in line
    assert "check --base-url and --region" in line
    assert "try again later" not in line


# -- export ---------------------------------------------------------------------------------------


def test_export_json_is_the_documented_bundle(world: World) -> None:
    result = dsr("intercom", "export", world.demo.user_id, "--base-url", world.url)

    assert result.exit_code == 0, result.stderr
    bundle = json.loads(result.stdout)
    assert bundle["resolver"] == "intercom"
    assert bundle["generated_at"].endswith("Z")
    [subject] = bundle["subjects"]
    assert subject["contact_id"] == world.demo.user_id
    fields = {record["field"]: record for record in subject["records"]}
    assert fields["contact.email"] == {
        "field": "contact.email",
        "category": "contact",
        "value": world.demo.shared_email,
        "source": "intercom",
    }
    expected = IntercomResolver("x").covered_surface.model_dump(mode="json")
    assert bundle["covered_surface"] == expected
    assert not any(field.startswith("conversation.") and "body" in field for field in fields)


def test_export_by_email_bundles_the_user_and_the_lead(world: World) -> None:
    result = dsr("intercom", "export", "--email", world.demo.shared_email, "--base-url", world.url)

    assert result.exit_code == 0, result.stderr
    bundle = json.loads(result.stdout)
    assert [s["contact_id"] for s in bundle["subjects"]] == [
        world.demo.user_id,
        world.demo.lead_id,
    ]
    assert all(subject["records"] for subject in bundle["subjects"])


def test_export_archived_reaches_an_archived_contact_and_archives_it_again(world: World) -> None:
    world.fake.archive_contact(world.demo.user_id)
    hidden = dsr("intercom", "export", world.demo.user_id, "--base-url", world.url)
    reached = dsr(
        "intercom", "export", world.demo.user_id, "--export-archived", "--base-url", world.url
    )  # fmt: skip

    assert hidden.exit_code == reached.exit_code == 0, reached.stderr
    assert json.loads(hidden.stdout)["subjects"][0]["records"] == []
    bundle = json.loads(reached.stdout)
    fields = {record["field"] for record in bundle["subjects"][0]["records"]}
    assert "contact.email" in fields
    assert bundle["covered_surface"] == (
        IntercomResolver("x", export_archived=True).covered_surface.model_dump(mode="json")
    )
    assert world.fake.is_archived(world.demo.user_id)


def test_surface_spells_the_archived_option_as_the_cli_does() -> None:
    plain = dsr("intercom", "surface").stdout
    archived = dsr("intercom", "surface", "--export-archived").stdout

    assert "--export-archived" in plain
    assert "export_archived" not in plain + archived
    assert "- archived contacts exported: yes" in archived
    assert "exports it and archives it again (--export-archived)" in " ".join(archived.split())


def test_export_with_messages_and_a_custom_attribute(world: World) -> None:
    result = dsr(
        "intercom", "export", world.demo.user_id, "--messages",
        "--custom-attribute", "plan=behavioral", "--base-url", world.url,
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    bundle = json.loads(result.stdout)
    records = bundle["subjects"][0]["records"]
    written = [r["value"] for r in records if r["field"].startswith("conversation.")]
    assert any("changed my phone number" in value for value in written)
    plan = [r for r in records if r["field"] == "contact.custom_attributes.plan"]
    assert plan == [
        {
            "field": "contact.custom_attributes.plan",
            "category": "behavioral",
            "value": "pro",
            "source": "intercom",
        }
    ]
    surface_fields = {f["field"] for f in bundle["covered_surface"]["fields"]}
    assert "contact.custom_attributes.plan" in surface_fields


@pytest.mark.parametrize(
    "value", ["plan", "=behavioral", "plan=feelings", "pl*n=behavioral"], ids=str
)
def test_export_rejects_a_bad_custom_attribute(world: World, value: str) -> None:
    result = dsr(
        "intercom", "export", world.demo.user_id, "--custom-attribute", value,
        "--base-url", world.url,
    )  # fmt: skip

    assert result.exit_code == 2
    assert "--custom-attribute" in one_error(result)
    assert world.fake.count() == 0


def test_export_jsonl_has_one_record_a_line_with_its_contact(world: World) -> None:
    result = dsr(
        "intercom", "export", "--email", world.demo.shared_email, "--format", "jsonl",
        "--base-url", world.url,
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert {line["contact_id"] for line in lines} == {world.demo.user_id, world.demo.lead_id}
    assert all({"field", "category", "value", "source"} <= line.keys() for line in lines)


def test_export_csv_to_a_file_writes_the_surface_beside_it(world: World, tmp_path: Path) -> None:
    out = tmp_path / "sam.csv"

    result = dsr(
        "intercom", "export", world.demo.user_id, "--format", "csv", "--out", str(out),
        "--base-url", world.url,
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert list(rows[0]) == ["contact_id", "field", "category", "value"]
    assert {"contact_id": world.demo.user_id, "field": "contact.name", "category": "identity",
            "value": "Sam Rivera"} in rows  # fmt: skip
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    surface = json.loads((tmp_path / "sam.csv.surface.json").read_text())
    assert surface["resolver"] == "intercom"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sam.csv", "sam.csv.surface.json"]


def test_export_of_an_unknown_contact_is_an_empty_export(world: World) -> None:
    result = dsr("intercom", "export", "0000", "--base-url", world.url)

    assert result.exit_code == 0
    assert json.loads(result.stdout)["subjects"] == [{"contact_id": "0000", "records": []}]
    assert "shows no contact with this id" in result.stderr
    assert "--export-archived" in result.stderr


def test_export_refuses_to_overwrite_an_existing_out_file_unless_forced(
    world: World, tmp_path: Path
) -> None:
    out = tmp_path / "export.json"
    out.write_text("an earlier answer\n")
    sent = world.fake.count()
    refused = dsr(
        "intercom", "export", world.demo.user_id, "--out", str(out), "--base-url", world.url
    )
    assert refused.exit_code == 2
    assert "--force" in one_error(refused)
    assert out.read_text() == "an earlier answer\n"
    assert world.fake.count() == sent  # refused before any request
    forced = dsr(
        "intercom", "export", world.demo.user_id, "--out", str(out), "--force",
        "--base-url", world.url,
    )  # fmt: skip
    assert forced.exit_code == 0, forced.stderr
    assert json.loads(out.read_text())["subjects"][0]["contact_id"] == world.demo.user_id


def test_an_archived_contact_is_never_said_to_be_not_held(world: World) -> None:
    world.fake.archive_contact(world.demo.user_id)

    plain = dsr("intercom", "export", world.demo.user_id, "--base-url", world.url)
    assert plain.exit_code == 0, plain.stderr
    assert "holds no contact" not in plain.stderr
    assert "may be archived" in plain.stderr
    assert "--export-archived" in plain.stderr

    reached = dsr(
        "intercom", "export", world.demo.user_id, "--export-archived", "--base-url", world.url
    )
    assert reached.exit_code == 0, reached.stderr
    assert json.loads(reached.stdout)["subjects"][0]["records"]
    unknown = dsr("intercom", "export", "0000", "--export-archived", "--base-url", world.url)
    assert "not even archived" in unknown.stderr


def test_export_retries_transient_failures(world: World) -> None:
    world.fake.fail_next(503, route="GET /contacts/{id}")
    world.fake.malformed_next(route="GET /contacts/{id}")
    world.fake.fail_next(429, route="GET /contacts/{id}", headers={"Retry-After": "0"})

    result = dsr("intercom", "export", world.demo.user_id, "--base-url", world.url)

    assert result.exit_code == 0, result.stderr
    assert world.fake.count("GET /contacts/{id}") == 4
    assert json.loads(result.stdout)["subjects"][0]["records"]


def test_export_that_keeps_failing_writes_nothing(world: World, tmp_path: Path) -> None:
    world.fake.fail_route("GET /contacts/{id}", 503)
    out = tmp_path / "export.json"

    result = dsr(
        "intercom", "export", "--email", world.demo.shared_email, "--out", str(out),
        "--base-url", world.url, env={"DSR_RETRY_ATTEMPTS": "3"},
    )  # fmt: skip

    assert result.exit_code == 1
    line = one_error(result)
    assert world.demo.user_id in line
    assert world.demo.lead_id in line
    assert "503" in line
    assert "after 3 attempts" in line
    assert world.demo.shared_email not in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_long_retry_after_fails_at_once(world: World) -> None:
    world.fake.fail_next(429, route="GET /contacts/{id}", headers={"Retry-After": "3600"})

    result = dsr("intercom", "export", world.demo.user_id, "--base-url", world.url)

    assert result.exit_code == 1
    assert "wait 3600 s" in one_error(result)
    assert world.fake.count("GET /contacts/{id}") == 1


@pytest.mark.parametrize(
    "arguments",
    [pytest.param([], id="neither"), pytest.param(["abc", "--email", "a@example.com"], id="both")],
)
def test_export_needs_an_id_or_an_email(world: World, arguments: list[str]) -> None:
    result = dsr("intercom", "export", *arguments, "--base-url", world.url)

    assert result.exit_code == 2
    assert "CONTACT_ID or --email" in one_error(result)


def test_export_to_a_missing_directory_is_a_usage_error(world: World, tmp_path: Path) -> None:
    out = tmp_path / "missing" / "export.json"

    result = dsr(
        "intercom", "export", world.demo.user_id, "--out", str(out), "--base-url", world.url
    )

    assert result.exit_code == 2
    assert "does not exist; create it first (nothing was sent)" in one_error(result)
    assert world.fake.count() == 0


# -- erase ----------------------------------------------------------------------------------------


def _changes(fake: FakeIntercom) -> int:
    return fake.count("DELETE /contacts/{id}") + fake.count("POST /conversations/redact")


def test_dry_run_shows_the_plan_and_changes_nothing(world: World) -> None:
    result = dsr(
        "intercom", "erase", "--email", world.demo.shared_email, "--policy", "redact_messages",
        "--dry-run", "--base-url", world.url,
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    assert world.demo.user_id in result.stdout
    assert world.demo.lead_id in result.stdout
    assert "redact 4, delete" in result.stdout
    assert "redact 2, delete" in result.stdout
    assert "nothing was changed" in result.stderr
    assert _changes(world.fake) == 0
    assert world.fake.contact(world.demo.user_id) is not None
    assert world.fake.contact(world.demo.lead_id) is not None


def test_erase_by_email_reaches_the_user_and_the_lead(world: World) -> None:
    result = dsr(
        "intercom", "erase", "--email", world.demo.shared_email, "--yes", "--base-url", world.url
    )

    assert result.exit_code == 0, result.stderr
    assert world.fake.contact(world.demo.user_id) is None
    assert world.fake.contact(world.demo.lead_id) is None
    assert world.fake.contact(world.demo.bystander_id) is not None
    assert result.stdout.count("erased") == 2


def test_erase_with_the_redact_policy_redacts_then_deletes(world: World) -> None:
    result = dsr(
        "intercom", "erase", world.demo.user_id, "--policy", "redact_messages", "--yes",
        "--base-url", world.url,
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    assert world.fake.count("POST /conversations/redact") == 4
    assert world.fake.contact(world.demo.user_id) is None


def test_erase_is_idempotent(world: World) -> None:
    first = dsr("intercom", "erase", world.demo.user_id, "--yes", "--base-url", world.url)
    again = dsr("intercom", "erase", world.demo.user_id, "--yes", "--base-url", world.url)

    assert first.exit_code == again.exit_code == 0
    assert "erased" in first.stdout
    assert "no contact with this id" in again.stdout
    assert "erased" not in again.stdout
    assert "already absent" not in again.stdout


def test_erase_without_a_terminal_or_yes_refuses(world: World) -> None:
    result = dsr("intercom", "erase", "--email", world.demo.shared_email, "--base-url", world.url)

    assert result.exit_code == 2
    assert "--yes" in one_error(result)
    assert _changes(world.fake) == 0


def test_erase_of_an_email_nobody_has_is_success(world: World) -> None:
    result = dsr(
        "intercom", "erase", "--email", "nobody@example.com", "--yes", "--base-url", world.url
    )

    assert result.exit_code == 0
    assert "nothing to erase" in result.stderr
    assert _changes(world.fake) == 0


def test_erase_goes_on_after_one_contact_fails_and_names_it_by_id(world: World) -> None:
    world.fake.fail_next(409, route="DELETE /contacts/{id}")

    result = dsr(
        "intercom", "erase", "--email", world.demo.shared_email, "--yes", "--base-url", world.url
    )

    assert result.exit_code == 1
    line = one_error(result)
    assert world.demo.user_id in line
    assert "409" in line
    assert world.demo.shared_email not in result.output
    assert world.fake.contact(world.demo.user_id) is not None
    assert world.fake.contact(world.demo.lead_id) is None


# -- verify, rectify ------------------------------------------------------------------------------


def test_verify_fails_before_erasure_and_passes_after(world: World) -> None:
    ids = (world.demo.user_id, world.demo.lead_id)
    before = dsr("intercom", "verify", *ids, "--policy", "redact_messages", "--base-url", world.url)
    dsr(
        "intercom", "erase", "--email", world.demo.shared_email, "--policy", "redact_messages",
        "--yes", "--base-url", world.url,
    )  # fmt: skip
    after = dsr("intercom", "verify", *ids, "--policy", "redact_messages", "--base-url", world.url)

    assert before.exit_code == 1
    assert len(error_lines(before)) == 2
    assert all("still held" in line for line in error_lines(before))
    assert after.exit_code == 0, after.stderr
    assert after.stdout.count("no contact with this id; nothing it wrote readable") == 2
    assert "erased" not in after.stdout.lower()


def test_verify_needs_a_contact_id(world: World) -> None:
    result = dsr("intercom", "verify", "--base-url", world.url)

    assert result.exit_code == 2
    assert "CONTACT_ID" in one_error(result)


def test_rectify_sets_and_clears_fields(world: World) -> None:
    result = dsr(
        "intercom", "rectify", world.demo.user_id, "--set", "email=sam@new.example",
        "--set", "name=Sam R.", "--clear", "phone", "--base-url", world.url,
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    assert "Corrected email, name, phone" in result.stdout
    contact = world.fake.contact(world.demo.user_id)
    assert contact is not None
    assert (contact["email"], contact["name"], contact["phone"]) == (
        "sam@new.example",
        "Sam R.",
        None,
    )


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        pytest.param(["--set", "plan=free"], "(not plan)", id="unknown-field"),
        pytest.param(["--set", "name"], "FIELD=VALUE", id="no-equals"),
        pytest.param(["--set", "name="], "--clear name", id="empty-value"),
        pytest.param([], "nothing to correct", id="no-change"),
        pytest.param(
            ["--set", "email=not-an-email"],
            "cannot correct: email: not an email address (expected local@domain)",
            id="malformed-email",
        ),
        pytest.param(
            ["--set", "phone=call me"], "cannot correct: phone: not a phone number", id="phone"
        ),
    ],
)
def test_rectify_refuses_bad_changes_before_sending(
    world: World, arguments: list[str], expected: str
) -> None:
    result = dsr("intercom", "rectify", world.demo.user_id, *arguments, "--base-url", world.url)

    assert result.exit_code == 2
    assert expected in one_error(result)
    assert world.fake.count() == 0


@pytest.mark.parametrize("address", ["ada@", "@example.com", "a b@example.com"])
@pytest.mark.parametrize("command", ["lookup", "export", "erase"])
def test_an_address_that_is_not_one_is_refused_with_the_librarys_reason(
    world: World, command: str, address: str
) -> None:
    result = dsr("intercom", command, "--email", address, "--yes" if command == "erase" else "-v",
                 "--base-url", world.url)  # fmt: skip

    assert result.exit_code == 2
    line = one_error(result)
    assert line.startswith("error: --email: ")
    assert "internal error" not in line
    assert address.strip() not in line  # the reason, never the address
    assert world.fake.count() == 0


@pytest.mark.parametrize(
    ("command", "instead"),
    [
        ("export", "use --email"),
        ("erase", "use --email"),
        ("verify", "use --email"),
        ("rectify", "use --email"),
    ],
)
def test_an_email_where_a_contact_id_belongs_is_refused(
    world: World, command: str, instead: str
) -> None:
    extra = {"erase": ["--yes"], "rectify": ["--set", "name=X"]}.get(command, [])
    result = dsr("intercom", command, world.demo.shared_email, *extra, "--base-url", world.url)

    assert result.exit_code == 2
    assert one_error(result) == f"error: CONTACT_ID: that is an email address; {instead}"
    assert world.fake.count() == 0


def test_rectify_of_an_unknown_contact_corrects_nothing(world: World) -> None:
    result = dsr("intercom", "rectify", "0000", "--set", "name=X", "--base-url", world.url)

    assert result.exit_code == 0
    assert "nothing was corrected" in result.stderr


# -- surface --------------------------------------------------------------------------------------


def test_surface_markdown_is_ready_for_a_record_of_processing() -> None:
    result = dsr("intercom", "surface", env={"INTERCOM_ACCESS_TOKEN": None})

    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "## Exported (Art. 15)" in text
    assert "| Field (glob) | Category |" in text
    assert "| `contact.email` | contact |" in text
    assert "## Erased (Art. 17) under delete_contact" in text
    assert "## Stays in Intercom after erasure" in text
    assert "- `contact.custom_attributes.*`: custom attributes" in text
    assert "not a compliance verdict" in text
    assert "## Notes" in text


def test_surface_json_follows_the_options() -> None:
    plain = dsr("intercom", "surface", "--format", "json")
    chosen = dsr(
        "intercom", "surface", "--format", "json", "--messages", "--policy", "redact_messages",
        "--custom-attribute", "plan=behavioral",
    )  # fmt: skip

    assert plain.exit_code == chosen.exit_code == 0
    document = json.loads(chosen.stdout)
    expected = IntercomResolver(
        "x",
        export_messages=True,
        erasure_policy="redact_messages",
        custom_attributes={"plan": "behavioral"},
    ).covered_surface
    assert document["covered_surface"] == expected.model_dump(mode="json")
    assert "not a compliance verdict" in document["statement"]
    assert document["options"]["erasure policy"] == "redact_messages"
    assert json.loads(plain.stdout)["covered_surface"] != document["covered_surface"]


def test_no_command_prints_help() -> None:
    for arguments in ([], ["intercom"], ["intercom", "bulk"]):
        result = dsr(*arguments)
        assert result.exit_code == 0
        assert "Usage:" in result.stdout


def test_version() -> None:
    result = dsr("--version")

    assert result.exit_code == 0
    assert result.stdout.startswith("dsr (dsr-resolvers) ")


def test_the_environment_is_not_polluted_by_runs() -> None:
    # CliRunner restores the environment; a leaked token would leak into later tests.
    assert os.environ.get("INTERCOM_ACCESS_TOKEN") != TOKEN


def test_an_unexpected_internal_error_has_an_exit_code_of_its_own(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug, with a value in its message: ada@example.com")

    monkeypatch.setattr("dsr_resolvers.cli._intercom.run_lookup", broken)

    result = dsr("intercom", "lookup", "--email", "ada@example.com", "--base-url", world.url)

    assert result.exit_code == 70  # never 1, which says "some subjects failed"
    assert one_error(result) == (
        "error: unexpected internal error (RuntimeError); please report it"
    )


@pytest.mark.parametrize(
    ("command", "key"),
    [(["lookup", "--email", "sam.rivera@example.com"], "contacts"),
     (["surface"], "erasure"), (["export", "--email", "sam.rivera@example.com"], "subjects")],
)  # fmt: skip
def test_json_prints_one_document_on_every_command_that_prints_a_result(
    world: World, command: list[str], key: str
) -> None:
    connected = [] if command == ["surface"] else ["--base-url", world.url]
    result = dsr("intercom", *command, "--json", *connected)

    assert result.exit_code == 0, result.stderr
    assert key in json.loads(result.stdout)


def test_json_with_another_format_is_a_usage_error(world: World) -> None:
    result = dsr("intercom", "export", "--email", "a@example.com", "--json", "--format", "csv",
                 "--base-url", world.url)  # fmt: skip

    assert result.exit_code == 2
    assert one_error(result) == "error: --json prints JSON; it cannot go with --format csv"
    assert world.fake.count() == 0
