"""What single-subject commands say: ``--json`` documents, ``-v`` lines, and errors with causes.

Each ``--json`` document is validated against its JSON Schema in ``docs/schemas/``. The error
tests cover what used to read as success or as "try again later": an id that cannot be an
Intercom id, an id Intercom does not hold, a base URL that is not Intercom's API (a 404 web
page), a host name that does not resolve and a refused connection.
"""

from __future__ import annotations

import csv
import io
import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from openapi_schema_validator import OAS31Validator
from pydantic import SecretStr
from rich.console import Console

from dsr_resolvers.cli._errors import CliError
from dsr_resolvers.cli._intercom import Identifiers, run_lookup
from dsr_resolvers.cli._output import Io
from dsr_resolvers.cli._settings import Connection
from dsr_resolvers.cli._trace import RequestTrace
from dsr_resolvers.contract import ResolverErasure, ResolverExport, SubjectRef
from dsr_resolvers.intercom import CredentialsRefusedError, IntercomResolver
from tests.openapi_spec import validate_exchange
from tests.test_cli import TOKEN, World, dsr, one_error, served_world

SCHEMAS = Path(__file__).resolve().parents[1] / "docs" / "schemas"


@pytest.fixture
def world() -> Iterator[World]:
    with served_world() as served:
        yield served


def _valid(document: Any, schema: str) -> Any:
    validator = OAS31Validator(json.loads((SCHEMAS / f"{schema}.schema.json").read_text()))
    errors = [error.message for error in validator.iter_errors(document)]
    assert not errors, errors
    return document


# -- --json ---------------------------------------------------------------------------------------


def test_erase_json_follows_its_schema(world: World) -> None:
    result = dsr(
        "intercom", "erase", "--email", world.demo.shared_email, "--yes", "--json",
        "--base-url", world.url,
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    document = _valid(json.loads(result.stdout), "erase")
    assert document["policy"] == "delete_contact"
    assert {(c["contact_id"], c["role"], c["outcome"]) for c in document["contacts"]} == {
        (world.demo.user_id, "user", "erased"),
        (world.demo.lead_id, "lead", "erased"),
    }
    again = json.loads(dsr("intercom", "erase", world.demo.user_id, "--yes", "--json",
                           "--base-url", world.url).stdout)  # fmt: skip
    assert _valid(again, "erase")["contacts"][0]["outcome"] == "no_contact"


def test_a_dry_run_json_follows_its_schema_and_changes_nothing(world: World) -> None:
    result = dsr(
        "intercom", "erase", "--email", world.demo.shared_email, "--dry-run", "--json",
        "--policy", "redact_messages", "--base-url", world.url,
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    document = _valid(json.loads(result.stdout), "erase-plan")
    by_id = {c["contact_id"]: c for c in document["contacts"]}
    assert by_id[world.demo.user_id]["redactions"] == 4
    assert by_id[world.demo.lead_id]["outcome"] == "planned"
    assert world.fake.contact(world.demo.user_id) is not None


def test_verify_json_follows_its_schema(world: World) -> None:
    ids = (world.demo.user_id, world.demo.lead_id, "../../admin")
    before = dsr("intercom", "verify", *ids, "--json", "--base-url", world.url)
    dsr("intercom", "erase", world.demo.user_id, "--yes", "--base-url", world.url)
    after = dsr("intercom", "verify", *ids, "--json", "--base-url", world.url)

    assert before.exit_code == 1
    assert [c["outcome"] for c in _valid(json.loads(before.stdout), "verify")["contacts"]] == [
        "held", "held", "no_contact",
    ]  # fmt: skip
    outcomes = [c["outcome"] for c in _valid(json.loads(after.stdout), "verify")["contacts"]]
    assert outcomes == ["no_contact", "held", "no_contact"]
    assert json.loads(after.stdout)["contacts"][2]["contact_id"] is None  # never echoed


def test_rectify_json_follows_its_schema(world: World) -> None:
    result = dsr(
        "intercom", "rectify", world.demo.user_id, "--set", "name=Sam R.", "--json",
        "--base-url", world.url,
    )  # fmt: skip
    missing = dsr(
        "intercom", "rectify", "0000", "--set", "name=X", "--json", "--base-url", world.url
    )

    assert result.exit_code == missing.exit_code == 0
    assert _valid(json.loads(result.stdout), "rectify")["fields"] == ["name"]
    assert _valid(json.loads(missing.stdout), "rectify")["outcome"] == "no_contact"


# -- an id Intercom does not hold, or that cannot be one -------------------------------------------


@pytest.mark.parametrize("contact_id", ["../../admin", "a b", "x\u200b"])
def test_an_implausible_id_is_no_contact_and_sends_nothing(world: World, contact_id: str) -> None:
    erase = dsr("intercom", "erase", contact_id, "--yes", "--base-url", world.url)
    verify = dsr("intercom", "verify", contact_id, "--base-url", world.url)

    for result in (erase, verify):
        assert result.exit_code == 0, result.stderr
        assert "no contact with this id" in result.stdout
        assert "erased" not in result.stdout.lower()
        assert "already absent" not in result.output
        assert contact_id not in result.output
    assert world.fake.count() == 0


def test_an_id_intercom_does_not_hold_is_no_contact_never_erased(world: World) -> None:
    erase = dsr("intercom", "erase", "6650d1c2e4b0a1b2c3d4e5f6", "--yes", "--base-url", world.url)
    verify = dsr("intercom", "verify", "6650d1c2e4b0a1b2c3d4e5f6", "--base-url", world.url)

    assert erase.exit_code == verify.exit_code == 0
    for result in (erase, verify):
        assert "no contact with this id" in result.stdout
        assert "erased" not in result.stdout.lower()
        assert "already absent" not in result.stdout


# -- a base URL that is not Intercom's -----------------------------------------------------------


class _WebPage(BaseHTTPRequestHandler):
    def _page(self) -> None:
        body = b"<html><body>Not Found</body></html>"
        self.send_response(404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _page  # noqa: N815 - http.server's names

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def web_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _WebPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "command",
    [
        ["erase", "6650d1c2e4b0a1b2c3d4e5f6", "--yes"],
        ["verify", "6650d1c2e4b0a1b2c3d4e5f6"],
        ["export", "6650d1c2e4b0a1b2c3d4e5f6"],
        ["rectify", "6650d1c2e4b0a1b2c3d4e5f6", "--set", "name=X"],
    ],
    ids=lambda command: command[0],
)
def test_a_404_page_that_is_not_intercoms_points_at_the_base_url(
    web_server: str, command: list[str]
) -> None:
    result = dsr("intercom", *command, "--base-url", web_server)

    assert result.exit_code == 2
    line = one_error(result)
    assert "not Intercom's" in line
    assert "check --base-url and --region" in line
    assert "no contact" not in result.output
    assert "try again later" not in line


def test_a_host_that_does_not_resolve_points_at_the_base_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = socket.getaddrinfo

    def no_such_host(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "api.intercom.example":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    result = dsr(
        "intercom", "erase", "6650d1c2e4b0a1b2c3d4e5f6", "--yes",
        "--base-url", "https://api.intercom.example",
    )  # fmt: skip

    assert result.exit_code == 2
    line = one_error(result)
    assert "its name does not resolve" in line
    assert "check --base-url and --region" in line
    assert "try again later" not in line


# -- -v and the spinner ----------------------------------------------------------------------------

_VERBOSE_LINE = re.compile(r"^(GET|POST|PUT|DELETE) /[a-z_/{}]+ \d{3} \d+ ms$")


def test_verbose_logs_method_route_status_and_ms_never_an_id(world: World) -> None:
    result = dsr(
        "intercom", "erase", "--email", world.demo.shared_email, "--yes", "-v",
        "--policy", "redact_messages", "--base-url", world.url,
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    lines = [
        line for line in result.stderr.splitlines() if line.strip() and not line.startswith("Note:")
    ]
    assert len(lines) == world.fake.count()
    assert all(_VERBOSE_LINE.match(line) for line in lines), lines
    assert "DELETE /contacts/{id} 200" in result.stderr
    assert "POST /conversations/redact 200" in result.stderr
    for secret in (world.demo.user_id, world.demo.lead_id, world.demo.shared_email, TOKEN):
        assert secret not in result.stderr
    quiet = dsr("intercom", "verify", world.demo.user_id, "--base-url", world.url)
    assert " ms" not in quiet.stderr


class _ManualTimer:
    """Stands in for ``threading.Timer``: it fires when the test says the moment has passed."""

    made: ClassVar[list[_ManualTimer]] = []

    def __init__(self, interval: float, function: Callable[[], object]) -> None:
        self.interval = interval
        self.function = function
        self.daemon = False
        self.cancelled = False
        self.made.append(self)

    def start(self) -> None:
        pass

    def cancel(self) -> None:
        self.cancelled = True


def test_the_spinner_shows_on_a_terminal_only_after_a_moment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(threading, "Timer", _ManualTimer)
    monkeypatch.setattr(_ManualTimer, "made", [])

    def run(terminal: bool, *, moment_passes: bool) -> str:
        stream = io.StringIO()
        console = Console(file=stream, force_terminal=terminal, width=80)
        trace = RequestTrace(console)
        with trace.waiting("Erasing"):
            if moment_passes and _ManualTimer.made:
                _ManualTimer.made[-1].function()
        return stream.getvalue()

    assert "Erasing" in run(terminal=True, moment_passes=True)
    assert "Erasing" not in run(terminal=True, moment_passes=False)
    assert all(timer.interval > 0 and timer.cancelled for timer in _ManualTimer.made)
    assert len(_ManualTimer.made) == 2
    assert run(terminal=False, moment_passes=True) == ""
    assert len(_ManualTimer.made) == 2  # off a terminal, not even a timer


# -- dsr intercom check ----------------------------------------------------------------------------


def test_check_reports_the_workspace_and_every_capability_ok(world: World) -> None:
    result = dsr("intercom", "check", "--json", "--base-url", world.url)

    assert result.exit_code == 0, result.stderr
    document = _valid(json.loads(result.stdout), "check")
    assert document["workspace"] == {"name": "FakeIntercom sandbox", "region": "US"}
    assert document["ready"] is True
    assert {c["capability"]: c["result"] for c in document["capabilities"]} == {
        "read contacts": "ok", "read conversations": "ok", "read tickets": "ok",
        "read events": "ok", "delete contacts": "ok", "redact conversations": "ok",
    }  # fmt: skip
    for contact_id in (world.demo.user_id, world.demo.lead_id, world.demo.bystander_id):
        assert world.fake.contact(contact_id) is not None  # the probes changed nothing


def test_check_exits_2_when_a_needed_scope_is_refused_and_0_when_not_needed(
    world: World,
) -> None:
    # an erasure lists tickets (their ids are read back) but reads no events
    world.fake.fail_next(403, route="GET /events")
    for_export = dsr("intercom", "check", "--for", "export", "--base-url", world.url)
    world.fake.fail_next(403, route="GET /events")
    for_erase = dsr("intercom", "check", "--for", "erase", "--base-url", world.url)

    assert for_export.exit_code == 2
    assert re.search(r"read events\s+GET /events\s+yes\s+refused \(403\)", for_export.stdout)
    assert "read events" in one_error(for_export)
    assert for_erase.exit_code == 0, for_erase.stderr
    assert "Workspace: FakeIntercom sandbox" in for_erase.stdout


def test_check_with_a_refused_token_is_one_line_exit_2(world: World) -> None:
    result = dsr("intercom", "check", "--base-url", world.url, env={"INTERCOM_ACCESS_TOKEN": "x"})

    assert result.exit_code == 2
    assert "status 401" in one_error(result)


def test_check_probes_through_the_resolvers_client_and_routes(world: World) -> None:
    result = dsr("intercom", "check", "-v", "--base-url", world.url)

    assert result.exit_code == 0, result.stderr
    # The resolver's hooks saw every probe: one client, one set of route names.
    for route in ("GET /me", "POST /contacts/search", "GET /events", "DELETE /contacts/{id}"):
        assert route in result.stderr


def test_a_refused_token_stops_a_command_by_the_errors_type_kept_as_its_cause(
    world: World,
) -> None:
    connection = Connection(base_url=world.url, token=SecretStr("tok_refused_0000"))
    quiet = Io(out=Console(file=io.StringIO()), err=Console(file=io.StringIO()))

    with pytest.raises(CliError) as raised:
        run_lookup(connection, quiet, Identifiers(email=world.demo.shared_email))

    assert raised.value.exit_code == 2
    assert isinstance(raised.value.__cause__, CredentialsRefusedError)
    assert "'dsr intercom check'" in raised.value.message


def test_check_of_a_host_that_is_not_intercom_points_at_the_base_url(web_server: str) -> None:
    result = dsr("intercom", "check", "--base-url", web_server)

    assert result.exit_code == 2
    assert "check --base-url and --region" in one_error(result)


def test_a_refused_scope_suggests_check(world: World) -> None:
    world.fake.fail_next(403, route="DELETE /contacts/{id}")
    result = dsr("intercom", "erase", world.demo.user_id, "--yes", "--base-url", world.url)

    assert result.exit_code == 2
    assert "'dsr intercom check'" in one_error(result)


def test_the_fakes_get_me_is_one_intercom_documents(world: World) -> None:
    with httpx.Client(base_url=world.url, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        response = http.get("/me", headers={"Intercom-Version": "2.14"})
    response.read()
    validate_exchange(response)
    assert response.json()["app"]["name"] == "FakeIntercom sandbox"


# -- CSV and custom attributes --------------------------------------------------------------------


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def test_csv_neutralises_formula_starts_unless_raw(world: World, tmp_path: Path) -> None:
    formula = '=HYPERLINK("http://x.example","hi")'
    contact_id = world.fake.add_contact(
        email="eve@example.com", name=formula, phone="+44 20 7946 0000",
        custom_attributes={"note": "@SUM(1)", "plain": "ok", "tabbed": "\tx", "cr": "\rx"},
    )  # fmt: skip
    declared = [
        arg for name in ("note", "plain", "tabbed", "cr")
        for arg in ("--custom-attribute", f"{name}=behavioral")
    ]  # fmt: skip
    safe = dsr("intercom", "export", contact_id, "--format", "csv", *declared,
               "--out", str(tmp_path / "safe.csv"), "--base-url", world.url)  # fmt: skip
    raw = dsr("intercom", "export", contact_id, "--format", "csv", "--csv-raw", *declared,
              "--out", str(tmp_path / "raw.csv"), "--base-url", world.url)  # fmt: skip

    assert safe.exit_code == raw.exit_code == 0, safe.stderr
    values = {row["field"]: row["value"] for row in _csv_rows(tmp_path / "safe.csv")}
    assert values["contact.name"] == "'" + formula
    assert values["contact.phone"] == "'+44 20 7946 0000"
    assert values["contact.custom_attributes.note"] == "'@SUM(1)"
    assert values["contact.custom_attributes.tabbed"] == "'\tx"
    assert values["contact.custom_attributes.cr"] == "'\rx"
    assert values["contact.custom_attributes.plain"] == "ok"
    raw_values = {row["field"]: row["value"] for row in _csv_rows(tmp_path / "raw.csv")}
    assert raw_values["contact.name"] == formula
    assert raw_values["contact.custom_attributes.cr"] == "\rx"
    as_json = json.loads(dsr("intercom", "export", contact_id, "--base-url", world.url).stdout)
    names = [r["value"] for r in as_json["subjects"][0]["records"] if r["field"] == "contact.name"]
    assert names == [formula]  # JSON always holds the value exactly


def test_a_declared_custom_attribute_no_contact_holds_warns(world: World) -> None:
    contact_id = world.fake.add_contact(email="fay@example.com", custom_attributes={"plan": "pro"})
    result = dsr(
        "intercom", "export", contact_id, "--custom-attribute", "plan=behavioral",
        "--custom-attribute", "Plan_Typo=behavioral", "--base-url", world.url,
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert "'Plan_Typo'" in warnings[0]


# -- one export format -----------------------------------------------------------------------------


def test_single_and_bulk_exports_are_one_documented_format(world: World, tmp_path: Path) -> None:
    single = dsr("intercom", "export", "--email", world.demo.shared_email, "--messages",
                 "--base-url", world.url)  # fmt: skip
    source = tmp_path / "input.txt"
    source.write_text(f"# requests\n{world.demo.user_id}\n{world.demo.shared_email}\n")
    bulk = dsr(
        "intercom", "bulk", "export", "--input", str(source), "--journal",
        str(tmp_path / "run.sqlite"), "--out", str(tmp_path / "out"), "--messages",
        "--report", str(tmp_path / "report.json"), "--base-url", world.url,
    )  # fmt: skip

    assert single.exit_code == bulk.exit_code == 0, bulk.stderr
    single_document = _valid(json.loads(single.stdout), "export")
    report = json.loads((tmp_path / "report.json").read_text())
    by_line = {subject["line"]: subject["export_file"] for subject in report["subjects"]}
    assert sorted(by_line) == [2, 3]
    assert by_line[3].startswith("line-000003-")  # a person's file is found by input line
    bulk_document = _valid(json.loads((tmp_path / "out" / by_line[3]).read_text()), "export")
    assert bulk_document["format"] == single_document["format"]
    assert bulk_document["input"]["line"] == 3
    assert [s["contact_id"] for s in bulk_document["subjects"]] == [
        s["contact_id"] for s in single_document["subjects"]
    ]
    assert bulk_document["covered_surface"] == single_document["covered_surface"]


# -- no double formatting, interrupts --------------------------------------------------------------


def test_an_export_is_never_formatted_on_its_way_out_of_asyncio_run(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    formatted: list[str] = []

    def counting_repr(self: ResolverExport) -> str:
        formatted.append(self.resolver)
        return "ResolverExport(...)"

    monkeypatch.setattr(ResolverExport, "__repr__", counting_repr)
    result = dsr("intercom", "export", world.demo.user_id, "--base-url", world.url)

    assert result.exit_code == 0, result.stderr
    assert formatted == []


def test_an_interrupted_erase_says_which_contacts_were_erased(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = IntercomResolver.erase_subject
    calls: list[str] = []

    async def interrupted_second(self: IntercomResolver, ref: SubjectRef) -> ResolverErasure:
        calls.append(ref.value)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return await real(self, ref)

    monkeypatch.setattr(IntercomResolver, "erase_subject", interrupted_second)
    result = dsr(
        "intercom", "erase", "--email", world.demo.shared_email, "--yes", "--base-url", world.url
    )

    assert result.exit_code == 130
    first, second = calls
    line = next(line for line in result.stderr.splitlines() if "interrupted:" in line)
    assert f"erased {first}" in line
    assert f"not erased or unknown: {second}" in line
    assert world.fake.contact(first) is None
    assert world.fake.contact(second) is not None


def test_a_bulk_run_stopped_by_a_refusal_suggests_check(world: World, tmp_path: Path) -> None:
    world.fake.fail_next(403, times=10, route="DELETE /contacts/{id}")
    source = tmp_path / "input.txt"
    source.write_text(f"{world.demo.user_id}\n")
    result = dsr(
        "intercom", "bulk", "erase", "--input", str(source), "--journal",
        str(tmp_path / "run.sqlite"), "--yes", "--base-url", world.url,
    )  # fmt: skip

    assert result.exit_code != 0
    assert "'dsr intercom check'" in result.stderr


def test_verify_never_calls_an_archived_contact_gone(world: World) -> None:
    world.fake.archive_contact(world.demo.lead_id)
    result = dsr("intercom", "verify", world.demo.lead_id, "--json", "--base-url", world.url)
    table = dsr("intercom", "verify", world.demo.lead_id, "--base-url", world.url)

    assert result.exit_code == table.exit_code == 1
    (contact,) = _valid(json.loads(result.stdout), "verify")["contacts"]
    assert contact["outcome"] == "held"
    assert "STILL HELD (archived)" in table.stdout
    assert "no contact with this id" not in table.stdout


# -- where files go: one rule for a missing folder -------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "option"),
    [
        (["export", "--email", "sam.rivera@example.com", "--out", "{missing}/x.json"], "--out"),
        (["erase", "--email", "sam.rivera@example.com", "--yes", "--receipt",
          "{missing}/r.json"], "--receipt"),
        (["erase", "--email", "sam.rivera@example.com", "--yes", "--receipt-html",
          "{missing}/r.html"], "--receipt-html"),
        (["bulk", "erase", "--input", "{input}", "--journal", "{tmp}/j.sqlite", "--yes",
          "--report", "{missing}/report.json"], "--report"),
        (["bulk", "erase", "--input", "{input}", "--journal", "{tmp}/j.sqlite", "--yes",
          "--receipts", "{missing}/receipts"], "--receipts"),
        (["bulk", "export", "--input", "{input}", "--journal", "{tmp}/j.sqlite",
          "--out", "{missing}/exports"], "--out"),
    ],
    ids=["export", "receipt", "receipt-html", "bulk-report", "bulk-receipts", "bulk-export"],
)  # fmt: skip
def test_a_missing_folder_is_refused_the_same_way_before_any_request(
    world: World, tmp_path: Path, arguments: list[str], option: str
) -> None:
    source = tmp_path / "subjects.txt"
    source.write_text(f"{world.demo.user_id}\n")
    missing = tmp_path / "missing"
    filled = [a.format(missing=missing, input=source, tmp=tmp_path) for a in arguments]
    target = next(a for a in filled if a.startswith(str(missing)))

    result = dsr("intercom", *filled, "--base-url", world.url)

    assert result.exit_code == 2
    assert one_error(result) == (
        f"error: {option} {target}: the folder {Path(target).parent} does not exist; "
        "create it first (nothing was sent)"
    )
    assert world.fake.count() == 0
    assert not missing.exists()
