"""Every command takes every identifier (issue 16 item 2): ``--email``, ``--phone`` and
``--external-id``, combinable; each contact shows what it matched on; a contact matched by
phone alone is listed but left out of an erasure unless ``--include-phone-only``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_cli import World, dsr, error_lines, served_world
from tests.test_cli_bulk_outputs import _valid

# The demo user holds "+44 20 7946 0958"; the fake matches phones exactly, so this typing finds
# only the lead stored in E.164, while the user's own fields still confirm the number.
PHONE_TYPED = "0044 (20) 7946-0958"
PHONE_E164 = "+442079460958"


@pytest.fixture
def world() -> Iterator[World]:
    """The demo, plus a lead holding the demo user's phone number and nothing else of them."""
    with served_world() as served:
        served.fake.add_contact(phone=PHONE_E164, role="lead")
        yield served


def phone_lead(world: World) -> str:
    (lead,) = [
        contact_id
        for contact_id in world.fake.contact_ids()
        if (world.fake.contact(contact_id) or {}).get("phone") == PHONE_E164
    ]
    return lead


def test_lookup_by_every_identifier_is_one_search_and_shows_what_matched(world: World) -> None:
    result = dsr(
        "intercom", "lookup", "--email", world.demo.shared_email, "--phone", PHONE_TYPED,
        "--external-id", world.demo.user_external_id, "--format", "json",
        "--base-url", world.url,
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    assert world.fake.count() == 1
    assert world.fake.count("POST /contacts/search") == 1
    found = {c["id"]: c["matched_on"] for c in json.loads(result.stdout)["contacts"]}
    assert found == {
        world.demo.user_id: ["email", "phone", "external_id"],
        world.demo.lead_id: ["email"],
        phone_lead(world): ["phone"],
    }


def test_lookup_table_has_a_matched_on_column_and_names_phone_only_contacts(
    world: World,
) -> None:
    result = dsr("intercom", "lookup", "--phone", PHONE_TYPED, "--base-url", world.url)

    assert result.exit_code == 0, result.stderr
    assert "Matched on" in result.stdout
    assert "matched by phone alone" in result.stderr
    assert "7946" not in result.stderr


@pytest.mark.parametrize(
    ("option", "value", "reason"),
    [
        ("--phone", "12 34", "fewer than 6 digits"),
        ("--phone", "+44 20 7946 0958 ext 2", "letter"),
        ("--email", "user41@example,com", "not an email address"),
        ("--external-id", "crm\x1b1", "control character"),
    ],
)
def test_a_malformed_identifier_is_refused_with_exit_2_before_any_request(
    world: World, option: str, value: str, reason: str
) -> None:
    for command in (["lookup"], ["export"], ["erase", "--yes"], ["verify"]):
        result = dsr("intercom", *command, option, value, "--base-url", world.url)
        assert result.exit_code == 2, (command, result.stderr)
        (line,) = error_lines(result)
        assert reason in line
        assert value not in line
    assert world.fake.count() == 0


def test_erase_dry_run_lists_the_phone_only_contact_and_says_it_is_left_out(
    world: World,
) -> None:
    result = dsr(
        "intercom", "erase", "--email", world.demo.shared_email, "--phone", PHONE_TYPED,
        "--dry-run", "--json", "--base-url", world.url,
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    contacts = {c["contact_id"]: c for c in json.loads(result.stdout)["contacts"]}
    assert contacts[phone_lead(world)]["outcome"] == "left_out"
    assert contacts[phone_lead(world)]["matched_on"] == ["phone"]
    assert contacts[world.demo.user_id]["outcome"] == "planned"
    assert contacts[world.demo.user_id]["matched_on"] == ["email", "phone"]
    assert "Left out 1 contact(s) matched by phone alone" in result.stderr
    assert "--include-phone-only" in result.stderr
    assert len(world.fake.contact_ids()) == 6


def test_erase_leaves_phone_only_contacts_unless_asked(world: World, tmp_path: Path) -> None:
    lead = phone_lead(world)
    receipt = tmp_path / "receipt.json"
    kept = dsr(
        "intercom", "erase", "--phone", PHONE_TYPED, "--yes", "--receipt", str(receipt),
        "--base-url", world.url,
    )  # fmt: skip
    assert kept.exit_code == 0, kept.stderr
    assert lead in world.fake.contact_ids()
    assert "Left out 1 contact(s) matched by phone alone" in kept.stderr
    document = json.loads(receipt.read_text())
    assert document["looked_for"] == ["phone"]
    assert document["contacts"] == []


def test_include_phone_only_erases_them_too(world: World) -> None:
    lead = phone_lead(world)
    result = dsr(
        "intercom", "erase", "--phone", PHONE_TYPED, "--include-phone-only", "--yes",
        "--base-url", world.url,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert lead not in world.fake.contact_ids()
    assert world.demo.user_id in world.fake.contact_ids()  # its stored typing was not searched


def test_export_html_says_how_the_person_was_looked_for(world: World, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = dsr(
        "intercom", "export", "--email", world.demo.shared_email, "--external-id",
        world.demo.user_external_id, "--format", "html", "--out", str(out),
        "--base-url", world.url,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    html = out.read_text()
    assert "email address, customer id" in html
    assert "does not find archived contacts" in html
    assert world.demo.user_external_id not in html.split("<section", 1)[0]


def test_export_warns_about_contacts_matched_by_phone_alone(world: World) -> None:
    result = dsr("intercom", "export", "--phone", PHONE_TYPED, "--base-url", world.url)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["subjects"][0]["contact_id"] == phone_lead(world)
    said = " ".join(result.stderr.split())
    assert "matched by phone alone" in said
    assert "check they are this person" in said


def test_verify_and_rectify_take_identifiers(world: World) -> None:
    verify = dsr(
        "intercom", "verify", "--external-id", world.demo.user_external_id, "--json",
        "--base-url", world.url,
    )  # fmt: skip
    assert verify.exit_code == 1  # the user is still held
    (entry,) = json.loads(verify.stdout)["contacts"]
    assert entry["outcome"] == "held"
    assert entry["matched_on"] == ["external_id"]

    rectify = dsr(
        "intercom", "rectify", "--phone", PHONE_TYPED, "--set", "name=Sam R.", "--json",
        "--base-url", world.url,
    )  # fmt: skip
    assert rectify.exit_code == 0, rectify.stderr
    outcomes = {c["contact_id"]: c["outcome"] for c in json.loads(rectify.stdout)["contacts"]}
    assert outcomes == {phone_lead(world): "left_out"}
    assert (world.fake.contact(phone_lead(world)) or {}).get("name") is None


# -- bulk: a CSV row is one person ---------------------------------------------------------------


def people_csv(world: World, tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    path.write_text(
        "reference;email;phone;external_id\n"
        f"DSR-1;{world.demo.shared_email};{PHONE_TYPED};\n"
        f"DSR-2;;;{world.demo.user_external_id}\n",
        encoding="utf-8",
    )
    return path


def test_bulk_dry_run_reads_semicolons_searches_every_identifier_and_leaves_phone_only_out(
    world: World, tmp_path: Path
) -> None:
    result = dsr(
        "intercom", "bulk", "erase", "--input", str(people_csv(world, tmp_path)),
        "--journal", str(tmp_path / "j.sqlite"), "--dry-run", "--json", "--base-url", world.url,
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    document = _valid(json.loads(result.stdout), "bulk-erase-plan")
    first, second = document["subjects"]
    assert (first["kind"], first["searched"]) == ("person", ["email", "phone"])
    outcomes = {c["contact_id"]: c["outcome"] for c in first["contacts"]}
    assert outcomes == {
        world.demo.user_id: "planned",
        world.demo.lead_id: "planned",
        phone_lead(world): "left_out",
    }
    assert (second["kind"], second["searched"]) == ("external_id", ["external_id"])
    assert document["totals"]["contacts"] == 3  # user, lead; the user again by external id
    assert "Left out 1 contact(s) matched by a row's phone alone" in " ".join(result.stderr.split())
    for value in ("DSR-", "7946", "cust-", "@"):
        assert value not in result.stdout


def test_bulk_erase_with_include_phone_only_erases_every_contact_of_the_row(
    world: World, tmp_path: Path
) -> None:
    source = people_csv(world, tmp_path)
    journal = str(tmp_path / "j.sqlite")
    base = ["intercom", "bulk", "erase", "--input", str(source), "--journal", journal, "--yes"]

    kept = dsr(*base, "--base-url", world.url)
    assert kept.exit_code == 0, kept.stderr
    assert phone_lead(world) in world.fake.contact_ids()
    assert world.demo.user_id not in world.fake.contact_ids()

    again = dsr(*base, "--include-phone-only", "--base-url", world.url)
    assert again.exit_code == 2  # another option, same journal: refused by name
    assert "include_phone_only" in error_lines(again)[0]

    fresh = dsr(
        *base[:-3], "--journal", str(tmp_path / "k.sqlite"), "--yes", "--include-phone-only",
        "--base-url", world.url,
    )  # fmt: skip
    assert fresh.exit_code == 0, fresh.stderr
    assert not any(
        (world.fake.contact(c) or {}).get("phone") == PHONE_E164 for c in world.fake.contact_ids()
    )


def test_a_bulk_input_with_a_malformed_field_stops_before_any_request(
    world: World, tmp_path: Path
) -> None:
    source = tmp_path / "bad.csv"
    source.write_text("email\nok@example.com\nuser41@example,com\n", encoding="utf-8")
    result = dsr(
        "intercom", "bulk", "erase", "--input", str(source), "--journal",
        str(tmp_path / "j.sqlite"), "--yes", "--base-url", world.url,
    )  # fmt: skip
    assert result.exit_code == 2
    (line,) = error_lines(result)
    assert "line 3" in line
    assert "user41" not in line
    assert world.fake.count() == 0


def test_object_takes_every_identifier_and_leaves_phone_only_contacts_unless_asked(
    world: World,
) -> None:
    lead = phone_lead(world)
    result = dsr(
        "intercom", "object", "--external-id", world.demo.user_external_id, "--phone",
        PHONE_TYPED, "--json", "--base-url", world.url,
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    contacts = {c["contact_id"]: c for c in _valid(json.loads(result.stdout), "object")["contacts"]}
    assert contacts[lead]["outcome"] == "left_out"
    assert contacts[world.demo.user_id]["outcome"] == "objected"
    assert contacts[world.demo.user_id]["matched_on"] == ["phone", "external_id"]
    assert "Left out 1 contact(s) matched by phone alone" in result.stderr
    assert (world.fake.contact(lead) or {}).get("unsubscribed_from_emails") is not True
    assert world.fake.count("PUT /contacts/{id}") == 1  # the user only

    asked = dsr(
        "intercom", "object", "--phone", PHONE_TYPED, "--include-phone-only",
        "--base-url", world.url,
    )  # fmt: skip
    assert asked.exit_code == 0, asked.stderr
    assert (world.fake.contact(lead) or {})["unsubscribed_from_emails"] is True
    assert "7946" not in asked.stdout + asked.stderr


def test_object_refuses_a_malformed_identifier_before_any_request(world: World) -> None:
    result = dsr("intercom", "object", "--phone", "12 34", "--base-url", world.url)
    assert result.exit_code == 2
    assert "fewer than 6 digits" in error_lines(result)[0]
    assert world.fake.count() == 0


def test_bulk_object_objects_for_every_contact_of_a_row_and_resumes_without_resending(
    world: World, tmp_path: Path
) -> None:
    source = people_csv(world, tmp_path)
    journal = str(tmp_path / "object.sqlite")
    report = tmp_path / "object.json"
    base = ["intercom", "bulk", "object", "--input", str(source), "--journal", journal]
    base += ["--concurrency", "1"]  # row 2's user is row 1's: in order, it is already objected

    result = dsr(*base, "--report", str(report), "--base-url", world.url)

    assert result.exit_code == 0, result.stderr
    for contact_id in (world.demo.user_id, world.demo.lead_id):
        assert (world.fake.contact(contact_id) or {})["unsubscribed_from_emails"] is True
    lead = phone_lead(world)
    assert (world.fake.contact(lead) or {}).get("unsubscribed_from_emails") is not True
    assert "of which objected" in result.stdout
    document = json.loads(report.read_text())
    assert document["operation"] == "object"
    first, second = document["subjects"]
    assert first["result"] == "objected"
    assert {c["contact_id"]: c["result"] for c in first["contacts"]} == {
        world.demo.user_id: "objected",
        world.demo.lead_id: "objected",
        lead: "left_out",
    }
    assert second["result"] == "already_objected"  # the user, objected by the first row
    # The DPO's own reference keys the row in the report; the person's identifiers never show.
    assert [first["reference"], second["reference"]] == ["DSR-1", "DSR-2"]
    for value in ("7946", "cust-", "@"):
        assert value not in result.stdout + result.stderr + report.read_text()
    assert "DSR-" not in result.stdout + result.stderr

    sent = world.fake.count("POST /contacts/{id}/subscriptions") + world.fake.count(
        "PUT /contacts/{id}"
    )
    again = dsr(*base, "--base-url", world.url)
    assert again.exit_code == 0, again.stderr
    assert (
        world.fake.count("POST /contacts/{id}/subscriptions")
        + world.fake.count("PUT /contacts/{id}")
        == sent
    )  # a finished journal sends nothing again

    status = dsr("intercom", "bulk", "status", "--journal", journal, "--json")
    assert _valid(json.loads(status.stdout), "bulk-status")["operation"] == "object"
