"""The CLI's part of issue 17: attributes held but not exported are named on stderr and in the
access report, and ``dsr intercom object`` acts on an objection (Art. 21) and reads it back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_cli import World, dsr, served_world
from tests.test_cli_outputs import _valid


@pytest.fixture
def world() -> Iterator[World]:
    with served_world() as served:
        yield served


def test_export_names_on_stderr_the_attributes_held_but_not_declared(
    world: World, tmp_path: Path
) -> None:
    out = tmp_path / "sam.json"
    result = dsr(
        "intercom", "export", world.demo.user_id, "--custom-attribute", "plan=behavioral",
        "--out", str(out), "--base-url", world.url,
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    assert "contact.custom_attributes.favourite_colour" in result.stderr
    assert "conversation.*.custom_attributes.issue_type" in result.stderr
    assert "teal" not in result.stderr  # names, never values
    [subject] = _valid(json.loads(out.read_text()), "export")["subjects"]
    assert "contact.custom_attributes.seats" in subject["held_not_exported"]
    assert "contact.custom_attributes.plan" not in subject["held_not_exported"]


def test_the_html_access_report_names_them_too(world: World, tmp_path: Path) -> None:
    out = tmp_path / "sam.html"
    result = dsr(
        "intercom", "export", world.demo.user_id, "--format", "html", "--out", str(out),
        "--base-url", world.url,
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    html = out.read_text()
    assert "Custom field “favourite colour”" in html  # in words, for the person
    assert "teal" not in html


def test_object_dry_run_changes_nothing_then_object_acts_and_reads_back(world: World) -> None:
    plan = dsr(
        "intercom", "object", "--email", world.demo.shared_email, "--dry-run", "--json",
        "--base-url", world.url,
    )  # fmt: skip
    assert plan.exit_code == 0, plan.stderr
    planned = _valid(json.loads(plan.stdout), "object")
    assert planned["format"] == "dsr-resolvers/object/v1"
    assert planned["dry_run"] is True
    assert {c["outcome"] for c in planned["contacts"]} == {"would_object"}
    assert {r.method for r in world.fake.requests} <= {"GET", "POST"}  # search is a POST
    assert world.fake.count("PUT /contacts/{id}") == 0
    assert world.fake.count("POST /contacts/{id}/subscriptions") == 0

    done = dsr("intercom", "object", world.demo.user_id, "--base-url", world.url)

    assert done.exit_code == 0, done.stderr
    assert f"Contact {world.demo.user_id}: turned off unsubscribed_from_emails" in done.stdout
    contact = world.fake.contact(world.demo.user_id)
    assert contact is not None
    assert contact["unsubscribed_from_emails"] is True
    assert world.demo.shared_email not in done.stdout + done.stderr


def test_object_for_an_unknown_id_says_nothing_is_held(world: World) -> None:
    result = dsr(
        "intercom", "object", "000000000000000000000000", "--json", "--base-url", world.url
    )
    assert result.exit_code == 0, result.stderr
    document = _valid(json.loads(result.stdout), "object")
    assert document["contacts"][0]["outcome"] == "no_contact"


def test_rectify_corrects_a_declared_custom_attribute_and_refuses_an_undeclared_one(
    world: World,
) -> None:
    refused = dsr(
        "intercom", "rectify", world.demo.user_id, "--set", "custom_attributes.plan=team",
        "--base-url", world.url,
    )  # fmt: skip
    assert refused.exit_code == 2
    assert world.fake.requests == []

    result = dsr(
        "intercom", "rectify", world.demo.user_id, "--custom-attribute", "plan=behavioral",
        "--set", "custom_attributes.plan=team", "--json", "--base-url", world.url,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert _valid(json.loads(result.stdout), "rectify")["fields"] == ["custom_attributes.plan"]
    contact = world.fake.contact(world.demo.user_id)
    assert contact is not None
    assert contact["custom_attributes"]["plan"] == "team"


def test_surface_names_what_a_contact_holds_that_the_options_leave_out(world: World) -> None:
    result = dsr(
        "intercom", "surface", "--contact", world.demo.user_id, "--custom-attribute",
        "plan=behavioral", "--format", "json", "--base-url", world.url,
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    held = json.loads(result.stdout)["held_not_exported"]
    assert held["contact_id"] == world.demo.user_id
    assert "contact.custom_attributes.favourite_colour" in held["names"]
    assert "contact.custom_attributes.plan" not in held["names"]

    markdown = dsr("intercom", "surface", "--contact", world.demo.user_id, "--base-url", world.url)
    assert f"## Held by contact {world.demo.user_id} but not exported" in markdown.stdout
    assert "teal" not in markdown.stdout
