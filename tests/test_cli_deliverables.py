"""``dsr`` writes the deliverables: the HTML access report and the erasure receipts."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from dsr_resolvers.report import ErasureReceipt
from tests.test_cli import World, dsr, one_error, served_world
from tests.test_report_access import assert_inert
from tests.test_report_processing import EXAMPLE


@pytest.fixture
def world() -> Iterator[World]:
    with served_world() as served:
        yield served


def test_export_html_writes_one_report_for_every_contact_of_the_email(
    world: World, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    result = dsr(
        "intercom", "export", "--email", world.demo.shared_email, "--messages",
        "--format", "html", "--processing-record", str(EXAMPLE), "--out", str(out),
        "--base-url", world.url,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "Wrote the access report" in result.stderr
    document = out.read_text(encoding="utf-8")
    assert_inert(document)
    assert world.demo.user_id in document
    assert world.demo.lead_id in document
    assert "Acme Ltd" in document
    assert "produced without the controller" not in document
    assert oct(out.stat().st_mode & 0o777) == "0o600"


def test_export_html_in_german_from_the_environment_record(world: World, tmp_path: Path) -> None:
    out = tmp_path / "bericht.html"
    result = dsr(
        "intercom", "export", world.demo.user_id, "--format", "html", "--language", "de",
        "--out", str(out), "--base-url", world.url,
        env={"DSR_PROCESSING_RECORD": str(EXAMPLE)},
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    document = out.read_text(encoding="utf-8")
    assert '<html lang="de">' in document
    assert "Rechtsgrundlage" in document


def test_json_export_carries_the_legal_basis_from_the_processing_record(world: World) -> None:
    result = dsr(
        "intercom", "export", world.demo.user_id, "--processing-record", str(EXAMPLE),
        "--base-url", world.url,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    records = json.loads(result.stdout)["subjects"][0]["records"]
    assert records
    assert all(r["legal_basis"] and r["purpose"] and r["retention_reason"] for r in records)


def test_an_invalid_processing_record_is_a_usage_error_naming_the_line(
    world: World, tmp_path: Path
) -> None:
    broken = tmp_path / "record.toml"
    broken.write_text(
        EXAMPLE.read_text().replace('"contract"', '"contrakt"').replace('"consent"', '"konsent"')
    )
    result = dsr(
        "intercom", "export", world.demo.user_id, "--processing-record", str(broken),
        "--base-url", world.url,
    )  # fmt: skip
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: invalid processing record: ")
    problems = lines[1:]
    assert len(problems) >= 2  # one problem a line, never one line of hundreds of characters
    assert all(line.startswith(f"  {broken}:") for line in problems)
    assert any("unknown legal basis 'contrakt'" in line for line in problems)
    assert world.fake.count() == 0


def test_erase_writes_a_verified_receipt_in_json_and_html(world: World, tmp_path: Path) -> None:
    receipt_path, html_path = tmp_path / "receipt.json", tmp_path / "receipt.html"
    result = dsr(
        "intercom", "erase", "--email", world.demo.shared_email, "--policy", "redact_messages",
        "--yes", "--reference", "REQ-7", "--receipt", str(receipt_path),
        "--receipt-html", str(html_path), "--base-url", world.url,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    receipt = ErasureReceipt.model_validate_json(receipt_path.read_text())
    assert receipt.status == "complete"
    assert receipt.subject_reference == "REQ-7"
    assert {c.contact_id for c in receipt.contacts} == {world.demo.user_id, world.demo.lead_id}
    assert all(c.read_back is not None for c in receipt.contacts)
    text = receipt_path.read_text() + html_path.read_text()
    assert world.demo.shared_email not in text
    assert "Sam Rivera" not in text
    assert_inert(html_path.read_text())


def test_erase_of_an_email_nobody_holds_still_files_a_receipt(world: World, tmp_path: Path) -> None:
    receipt_path = tmp_path / "receipt.json"
    result = dsr(
        "intercom", "erase", "--email", "nobody@example.com", "--yes",
        "--receipt", str(receipt_path), "--base-url", world.url,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    receipt = ErasureReceipt.model_validate_json(receipt_path.read_text())
    assert receipt.contacts == ()
    # Search cannot see archived contacts: the erasure by email says so, and how to reach them.
    assert "archived" in result.stderr
    assert "dsr intercom erase CONTACT_ID" in result.stderr


def test_an_id_intercom_does_not_know_is_no_contact_never_complete(
    world: World, tmp_path: Path
) -> None:
    """A typo, or a lead merged into a user: Intercom answers not found for the id."""
    receipt_path = tmp_path / "receipt.json"
    html_path = tmp_path / "receipt.html"
    result = dsr(
        "intercom", "erase", "c9999999", "--yes", "--receipt", str(receipt_path),
        "--receipt-html", str(html_path), "--base-url", world.url,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "no contact with this id" in result.stderr + result.stdout
    receipt = ErasureReceipt.model_validate_json(receipt_path.read_text())
    assert [c.outcome for c in receipt.contacts] == ["no_contact"]
    assert receipt.status == "no_contact"
    assert json.loads(receipt_path.read_text())["status"] == "no_contact"
    html = html_path.read_text()
    assert "merged into another contact" in html
    assert "Every contact is erased" not in html


def test_a_receipt_with_a_dry_run_or_an_email_reference_is_refused(
    world: World, tmp_path: Path
) -> None:
    dry = dsr(
        "intercom", "erase", world.demo.user_id, "--dry-run", "--receipt",
        str(tmp_path / "r.json"), "--base-url", world.url,
    )  # fmt: skip
    assert dry.exit_code == 2
    assert "--dry-run erases nothing" in one_error(dry)
    emailed = dsr(
        "intercom", "erase", world.demo.user_id, "--yes", "--reference", "a@b.example",
        "--receipt", str(tmp_path / "r.json"), "--base-url", world.url,
    )  # fmt: skip
    assert emailed.exit_code == 2
    assert world.fake.contact(world.demo.user_id) is not None


def test_bulk_erase_writes_a_receipt_per_subject_it_finishes(world: World, tmp_path: Path) -> None:
    source = tmp_path / "subjects.txt"
    source.write_text(f"{world.demo.shared_email}\n{world.demo.bystander_id}\nnobody@x.example\n")
    receipts = tmp_path / "receipts"
    args = (
        "intercom", "bulk", "erase", "--input", str(source), "--journal",
        str(tmp_path / "run.sqlite"), "--receipts", str(receipts), "--yes",
        "--base-url", world.url,
    )  # fmt: skip
    result = dsr(*args)
    assert result.exit_code == 0, result.stderr
    files = sorted(receipts.glob("*.json"))
    assert len(files) == 3
    loaded = [ErasureReceipt.model_validate_json(f.read_text()) for f in files]
    assert {r.subject_reference for r in loaded} == {f.stem for f in files}
    reached = sorted(len(r.contacts) for r in loaded)
    assert reached == [0, 1, 2]
    assert all(r.status in ("unverified", "complete") for r in loaded)
    for f in files:
        assert world.demo.shared_email not in f.read_text()
    again = dsr(*args)
    assert again.exit_code == 0, again.stderr
    assert "Erasure receipts: 0" in again.stderr


def test_every_folder_the_cli_creates_is_owner_only_whatever_the_umask(
    world: World, tmp_path: Path
) -> None:
    source = tmp_path / "subjects.txt"
    source.write_text(f"{world.demo.bystander_id}\n")
    # The parent must exist (a missing one is refused before any request, like every output);
    # the folder the CLI creates itself is owner-only.
    receipts = tmp_path / "receipts"
    exports = tmp_path / "exports"
    previous = os.umask(0)
    try:
        erased = dsr(
            "intercom", "bulk", "erase", "--input", str(source), "--journal",
            str(tmp_path / "erase.sqlite"), "--receipts", str(receipts), "--yes",
            "--base-url", world.url,
        )  # fmt: skip
        exported = dsr(
            "intercom", "bulk", "export", "--input", str(source), "--journal",
            str(tmp_path / "export.sqlite"), "--out", str(exports), "--base-url", world.url,
        )  # fmt: skip
    finally:
        os.umask(previous)
    assert erased.exit_code == 0, erased.stderr
    assert exported.exit_code == 0, exported.stderr
    for folder in (receipts, exports):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


def test_the_demo_ends_by_writing_the_report_and_the_receipt_and_saying_where(
    tmp_path: Path,
) -> None:
    result = dsr("demo", "--out", str(tmp_path), env={"INTERCOM_ACCESS_TOKEN": None})
    assert result.exit_code == 0, result.output
    report = tmp_path / "demo-access-report.html"
    receipt = tmp_path / "demo-erasure-receipt.json"
    for path in (report, receipt, tmp_path / "demo-erasure-receipt.html"):
        assert path.is_file()
    closing = result.stdout[result.stdout.index("The deliverables") :]
    assert "demo-access-report.html" in closing
    assert "demo-erasure-receipt.json" in closing
    assert_inert(report.read_text(encoding="utf-8"))
    assert ErasureReceipt.model_validate_json(receipt.read_text()).status == "complete"


def test_erase_under_delete_conversations_deletes_them_and_its_receipt_reads_each_back(
    world: World, tmp_path: Path
) -> None:
    user = world.demo.user_id
    lone = set(world.fake.conversation_ids(user))
    plan = dsr(
        "intercom", "erase", user, "--policy", "delete-conversations", "--dry-run",
        "--base-url", world.url,
    )  # fmt: skip
    assert plan.exit_code == 0, plan.stderr
    assert set(world.fake.conversation_ids(user)) == lone  # the dry run changed nothing
    planned = dsr(
        "intercom", "erase", user, "--policy", "delete_conversations", "--dry-run", "--json",
        "--base-url", world.url,
    )  # fmt: skip
    (entry,) = json.loads(planned.stdout)["contacts"]
    assert entry["counts"]["conversations_to_delete"] + entry["counts"]["conversations_shared"] == (
        len(lone)
    )
    assert "tickets_to_delete" in entry["counts"]  # each kind counted, by its documented name
    receipt_path = tmp_path / "receipt.json"
    result = dsr(
        "intercom", "erase", user, "--policy", "delete_conversations", "--yes",
        "--receipt", str(receipt_path), "--base-url", world.url,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    receipt = ErasureReceipt.model_validate_json(receipt_path.read_text())
    (contact,) = receipt.contacts
    assert set(contact.found["conversation"]) >= lone
    assert contact.counts["conversations_scanned"] == len(contact.found["conversation"])
    assert contact.read_back is not None
    assert not any(item.remaining for item in contact.read_back.items.values())
    assert receipt.status == "complete"
    assert world.fake.contact(user) is None
