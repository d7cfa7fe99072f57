"""The workspaces file and --workspace/--all-workspaces: the model, its errors, the commands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import Result

from dsr_resolvers.cli._errors import CliError
from dsr_resolvers.cli._workspaces import (
    WORKSPACES_ENV,
    load_workspaces,
    select_workspaces,
    workspace_connections,
)
from dsr_resolvers.sandbox import (
    DemoWorkspace,
    SecondWorkspace,
    seed_demo,
    seed_second_workspace,
    workspaces_file,
)
from dsr_resolvers.testing import FakeIntercom
from tests.test_cli import TOKEN, dsr, error_lines, one_error
from tests.test_cli_bulk_outputs import _valid

WRONG = "tok_wrong_Q7x9Zk"  # a refused token, never to be echoed either
SECRET = "dG9rOmFiY2RlZjEyMzQ1Njc4OTA="  # what a pasted token looks like; never to be echoed

GOOD = """
[workspaces.us]
region = "us"
token_env = "TOKEN_US"

[workspaces.eu]
base_url = "https://api.eu.intercom.io/"
token_file = "eu.token"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "workspaces.toml"
    path.write_text(text)
    return path


def test_a_good_file_names_hosts_and_token_sources(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    (tmp_path / "eu.token").write_text("eu-token\n")
    where, file = load_workspaces(path)

    sources = select_workspaces(where, file, (), every=True, environ={"TOKEN_US": "us-token"})

    connections = workspace_connections(sources, api_version=None, trace=None)
    assert [(c.name, c.base_url) for c in connections] == [
        ("us", "https://api.intercom.io"),
        ("eu", "https://api.eu.intercom.io"),
    ]
    assert [c.resolver().name for c in connections] == ["us", "eu"]
    assert [s.token.get_secret_value() for s in sources] == ["us-token", "eu-token"]
    assert "us-token" not in repr(sources)
    only_eu = select_workspaces(where, file, ["eu", "eu"], every=False, environ={})
    assert [s.name for s in only_eu] == ["eu"]


def test_the_file_may_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WORKSPACES_ENV, str(write(tmp_path, GOOD)))
    _, file = load_workspaces(None)
    assert list(file.workspaces) == ["us", "eu"]
    monkeypatch.delenv(WORKSPACES_ENV)
    with pytest.raises(CliError, match="--workspaces FILE or set DSR_WORKSPACES"):
        load_workspaces(None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f'[workspaces.us]\nregion = "us"\ntoken = "{SECRET}"\n', "holds a token inline"),
        (f'[workspaces.us]\nregion = "us"\naccess_token = "{SECRET}"\n', "holds a token inline"),
        (f'[workspaces.us]\nregion = "us"\napi_key = "{SECRET}"\n', "holds a token inline"),
        (f'[workspaces.us]\nregion = "us"\ntoken_env = "{SECRET}"\n', "not an environment"),
        (
            '[workspaces.us]\nregion = "us"\nbase_url = "https://x"\ntoken_env = "T"\n',
            "exactly one of region",
        ),
        ('[workspaces.us]\ntoken_env = "T"\n', "exactly one of region"),
        ('[workspaces.us]\nregion = "us"\n', "exactly one of token_env"),
        ('[workspaces.us]\nregion = "mars"\ntoken_env = "T"\n', "workspaces.us.region"),
        ('[workspaces.us]\nregion = "us"\ntoken_env = "T"\ncolour = "red"\n', "colour"),
        ('[workspaces."a/b"]\nregion = "us"\ntoken_env = "T"\n', "workspace name"),
        ("[workspaces]\n", "workspaces"),
        ('region = "us"\n', "workspaces"),
        ("[workspaces.us\n", "not valid TOML"),
    ],
)
def test_a_bad_file_is_refused_naming_the_fault_never_a_value(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(CliError, match=message) as raised:
        load_workspaces(write(tmp_path, text))
    assert SECRET not in str(raised.value)
    assert "mars" not in str(raised.value)


def test_a_missing_file_names_its_path(tmp_path: Path) -> None:
    with pytest.raises(CliError, match="cannot read the workspaces file"):
        load_workspaces(tmp_path / "nowhere.toml")


def test_choosing_workspaces(tmp_path: Path) -> None:
    where, file = load_workspaces(write(tmp_path, GOOD))
    with pytest.raises(CliError, match="not both"):
        select_workspaces(where, file, ["us"], every=True, environ={})
    with pytest.raises(CliError, match="--workspace NAME"):
        select_workspaces(where, file, [], every=False, environ={})
    with pytest.raises(CliError, match=r"no workspace 'apac'.*it has: us, eu"):
        select_workspaces(where, file, ["apac"], every=False, environ={})
    with pytest.raises(CliError, match="TOKEN_US that holds its token is not set"):
        select_workspaces(where, file, ["us"], every=False, environ={})
    with pytest.raises(CliError, match="cannot read the token file"):
        select_workspaces(where, file, ["eu"], every=False, environ={})


def test_a_workspace_host_must_be_https_or_loopback(tmp_path: Path) -> None:
    path = write(tmp_path, '[workspaces.x]\nbase_url = "http://example.com"\ntoken_env = "T"\n')
    where, file = load_workspaces(path)
    sources = select_workspaces(where, file, ["x"], every=False, environ={"T": "t"})
    with pytest.raises(CliError, match=r"workspace 'x'.*plain http"):
        workspace_connections(sources, api_version=None, trace=None)


# -- the commands -----------------------------------------------------------------------------


@dataclass
class Workspaces:
    """Two workspaces served on 127.0.0.1: the demo (``us``) and the demo's person by phone
    and external id only (``eu``), with the workspaces file naming them."""

    fakes: dict[str, FakeIntercom]
    demo: DemoWorkspace
    second: SecondWorkspace
    file: Path
    env: dict[str, str | None]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Workspaces]:
    fakes = {"us": FakeIntercom(TOKEN), "eu": FakeIntercom(TOKEN, seed=1)}
    demo = seed_demo(fakes["us"])
    second = seed_second_workspace(fakes["eu"], demo)
    with fakes["us"].serve() as us_url, fakes["eu"].serve() as eu_url:
        path = tmp_path / "workspaces.toml"
        path.write_text(workspaces_file([us_url, eu_url]))
        env: dict[str, str | None] = {
            "SANDBOX_TOKEN_US": TOKEN,
            "SANDBOX_TOKEN_EU": TOKEN,
            "INTERCOM_ACCESS_TOKEN": None,
        }
        yield Workspaces(fakes, demo, second, path, env)


def run(served: Workspaces, *args: str, **env: str) -> Result:
    return dsr(*args, "--workspaces", str(served.file), env={**served.env, **env})


def test_lookup_runs_in_every_workspace_grouped_by_workspace(served: Workspaces) -> None:
    table = run(served, "intercom", "lookup", "--all-workspaces", "--external-id", "cust-1001")
    as_json = run(
        served, "intercom", "lookup", "--all-workspaces", "--email", served.demo.shared_email,
        "--format", "json",
    )  # fmt: skip

    assert table.exit_code == 0, table.stderr
    assert table.stdout.index("workspace us") < table.stdout.index(served.demo.user_id)
    assert table.stdout.index("workspace eu") < table.stdout.index(served.second.contact_id)
    assert as_json.exit_code == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    found = {
        name: {c["id"] for c in part["result"]["contacts"]}
        for name, part in document["workspaces"].items()
    }
    assert found == {"us": {served.demo.user_id, served.demo.lead_id}, "eu": set()}


def test_a_refused_token_in_one_workspace_leaves_the_others_answered(served: Workspaces) -> None:
    result = run(
        served, "intercom", "lookup", "--all-workspaces", "--external-id", "cust-1001",
        SANDBOX_TOKEN_EU=WRONG,
    )  # fmt: skip

    assert result.exit_code == 2
    assert served.demo.user_id in result.stdout
    assert error_lines(result)[0].startswith("error: workspace eu:")
    assert "401" in error_lines(result)[0]
    assert "workspaces not done: eu (exit 2)" in result.stderr
    assert WRONG not in result.stdout + result.stderr


def test_erase_in_each_workspace_writes_a_receipt_for_each(
    served: Workspaces, tmp_path: Path
) -> None:
    receipt = tmp_path / "receipt.json"
    ids = [served.demo.user_id, served.second.contact_id]
    for name, contact in zip(("us", "eu"), ids, strict=True):
        result = run(
            served, "intercom", "erase", contact, "--workspace", name, "--yes",
            "--receipt", str(receipt),
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr

    assert served.fakes["us"].contact(served.demo.user_id) is None
    assert served.fakes["eu"].contact(served.second.contact_id) is None
    receipts = {p.name: json.loads(p.read_text()) for p in tmp_path.glob("receipt.*.json")}
    assert set(receipts) == {"receipt.us.json", "receipt.eu.json"}
    assert receipts["receipt.eu.json"]["resolver"] == "eu"


def test_bulk_erase_over_workspaces_stops_only_the_refused_one_and_resumes_it(
    served: Workspaces, tmp_path: Path
) -> None:
    source = tmp_path / "subjects.txt"
    source.write_text(f"{served.demo.shared_email}\n{served.demo.bystander_email}\n")
    journal, report = tmp_path / "erase.sqlite", tmp_path / "report.json"
    receipts = tmp_path / "receipts"
    command = (
        "intercom", "bulk", "erase", "--all-workspaces", "--input", str(source),
        "--journal", str(journal), "--report", str(report), "--yes",
        "--receipts", str(receipts),
    )  # fmt: skip
    env = {"DSR_JOURNAL_KEY": "k" * 32}

    first = run(served, *command, **env, SANDBOX_TOKEN_EU=WRONG)

    assert first.exit_code == 2
    assert error_lines(first)[-1].startswith("error: workspace eu: Intercom refused")
    assert served.fakes["us"].contact(served.demo.user_id) is None
    assert "bulk erase, workspace us" in first.stdout
    written = json.loads(report.read_text())
    assert [s["workspace"] for s in written["subjects"]] == ["eu", "eu", "us", "us"]
    assert written["workspaces"] == {"eu": {"pending": 2}, "us": {"done": 2}}

    assert sorted(p.parent.name for p in receipts.rglob("*.json")) == ["us", "us"]

    sent_to_us = served.fakes["us"].count()
    again = run(served, *command, **env)

    assert again.exit_code == 0, again.stderr
    assert served.fakes["us"].count() == sent_to_us
    assert json.loads(report.read_text())["workspaces"] == {
        "eu": {"done": 2},
        "us": {"done": 2},
    }
    assert sorted(p.parent.name for p in receipts.rglob("*.json")) == ["eu", "eu", "us", "us"]
    one = json.loads(next((receipts / "eu").glob("*.json")).read_text())
    assert one["resolver"] == "eu"
    status = dsr("intercom", "bulk", "status", "--journal", str(journal), "--json", env=env)
    assert status.exit_code == 0, status.stderr
    document = _valid(json.loads(status.stdout), "bulk-status")
    assert document["states"]["done"] == 4
    assert document["workspaces"]["eu"]["done"] == document["workspaces"]["us"]["done"] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--workspace", "us", "--base-url", "http://127.0.0.1:9"), "--base-url cannot go"),
        (("--workspace", "us", "--all-workspaces"), "not both"),
        (("--workspace", "apac"), "no workspace 'apac'"),
    ],
)
def test_workspace_options_are_checked_before_any_request(
    served: Workspaces, args: tuple[str, ...], message: str
) -> None:
    result = run(served, "intercom", "lookup", "--email", "ada@example.com", *args)
    assert result.exit_code == 2
    assert message in one_error(result)
    assert all(fake.count() == 0 for fake in served.fakes.values())


def test_a_workspaces_file_without_a_choice_is_a_usage_error(served: Workspaces) -> None:
    result = run(served, "intercom", "lookup", "--email", "ada@example.com")
    assert result.exit_code == 2
    assert "--workspace NAME or --all-workspaces" in one_error(result)


def test_export_to_stdout_over_workspaces_is_one_json_document(served: Workspaces) -> None:
    result = run(served, "intercom", "export", "--all-workspaces", served.demo.user_id)
    csv_without_out = run(
        served, "intercom", "export", "--all-workspaces", served.demo.user_id, "--format", "csv"
    )

    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)["workspaces"]
    assert document["us"]["result"]["subjects"][0]["records"]
    assert document["eu"]["result"]["subjects"][0]["records"] == []
    assert csv_without_out.exit_code == 2
    assert "needs --out FILE" in one_error(csv_without_out)


def test_the_demo_finds_the_person_in_every_workspace_and_erases_them_there() -> None:
    demo = seed_demo(FakeIntercom(TOKEN))
    second = seed_second_workspace(FakeIntercom(TOKEN, seed=1), demo)

    result = dsr("demo", env={"INTERCOM_ACCESS_TOKEN": None})

    assert result.exit_code == 0, result.output
    text = result.stdout
    epilogue = text[text.index("Every workspace the company runs") :]
    assert epilogue.index("workspace us") < epilogue.index("workspace eu")
    assert epilogue.index("workspace eu") < epilogue.index(second.contact_id)
    assert "phone, external id" in epilogue  # one search by every identifier, matched on two
    assert "erased" in epilogue[epilogue.index(f"--workspace eu {second.contact_id}") :]
    assert "Demo complete" in text


def test_bulk_export_over_workspaces_writes_a_folder_each(
    served: Workspaces, tmp_path: Path
) -> None:
    source = tmp_path / "subjects.txt"
    source.write_text(f"{served.demo.shared_email}\n")
    out = tmp_path / "exports"

    result = run(
        served, "intercom", "bulk", "export", "--all-workspaces", "--input", str(source),
        "--journal", str(tmp_path / "export.sqlite"), "--out", str(out),
        DSR_JOURNAL_KEY="k" * 32,
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    files = {p.parent.name: json.loads(p.read_text()) for p in out.rglob("*.json")}
    assert set(files) == {"us", "eu"}
    assert len(files["us"]["subjects"]) == 2  # the user and the lead of the address
    assert files["eu"]["subjects"] == []  # no contact with that address there
