"""The workspaces file and --workspace/--all-workspaces: the model, its errors, the commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsr_resolvers.cli._errors import CliError
from dsr_resolvers.cli._workspaces import WORKSPACES_ENV, load_workspaces, select_workspaces

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

    assert [(s.name, s.base_url) for s in sources] == [
        ("us", "https://api.intercom.io"),
        ("eu", "https://api.eu.intercom.io"),
    ]
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
