"""``dsr intercom bulk erase|export``: a small input end to end, with journal, report and resume.

The input mixes 30 contact ids, the email a user and a lead share, an email nobody has and an
id Intercom does not know, so every subject result the report can hold shows up once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.test_cli import TOKEN, World, dsr, one_error, served_world


@dataclass
class Batch:
    world: World
    ids: list[str]
    input: Path
    journal: Path
    report: Path


@pytest.fixture
def batch(tmp_path: Path) -> Iterator[Batch]:
    # A high announced limit: the bulk limiter paces to the headers (166 per 10 s until the
    # first ones arrive), and the fake sends none without a limit.
    with served_world(rate_limit=100_000) as world:
        ids = [
            world.fake.add_contact(email=f"person{n}@example.com", name=f"Person {n}")
            for n in range(30)
        ]
        lines = [*ids, world.demo.shared_email, "nobody@example.com", "unknown-id", ids[0]]
        source = tmp_path / "subjects.txt"
        source.write_text("# retention run\n" + "\n".join(lines) + "\n")
        yield Batch(world, ids, source, tmp_path / "run.sqlite", tmp_path / "report.json")


def _bulk(batch: Batch, operation: str, *extra: str) -> list[str]:
    return [
        "intercom", "bulk", operation, "--input", str(batch.input), "--journal",
        str(batch.journal), "--report", str(batch.report), "--base-url", batch.world.url, *extra,
    ]  # fmt: skip


def test_bulk_erase_end_to_end_then_resume_skips_finished_work(batch: Batch) -> None:
    fake = batch.world.fake

    first = dsr(*_bulk(batch, "erase", "--yes", "--concurrency", "4"))

    assert first.exit_code == 0, first.stderr
    for contact_id in [*batch.ids, batch.world.demo.user_id, batch.world.demo.lead_id]:
        assert fake.contact(contact_id) is None
    assert fake.contact(batch.world.demo.bystander_id) is not None
    report_text = batch.report.read_text()
    assert "@" not in report_text  # identifiers only, never an address
    report = json.loads(report_text)
    assert report["counts"] == {"done": 33}
    by_line = {subject["line"]: subject for subject in report["subjects"]}
    shared = by_line[32]  # the comment is line 1, the 30 ids lines 2-31
    assert shared["kind"] == "email"
    assert {c["contact_id"] for c in shared["contacts"]} == {
        batch.world.demo.user_id,
        batch.world.demo.lead_id,
    }
    assert by_line[33]["result"] == "not_found"
    assert by_line[34]["result"] == "already_absent"
    assert "subjects in the input" in first.stdout
    assert "bulk erase: 33/33 finished" in first.stderr
    deletes = fake.count("DELETE /contacts/{id}")

    again = dsr(*_bulk(batch, "erase", "--yes"))

    assert again.exit_code == 0, again.stderr
    assert fake.count("DELETE /contacts/{id}") == deletes
    assert "33 from earlier runs" in again.stderr


def test_bulk_erase_lists_failures_by_line_and_resumes_them(batch: Batch) -> None:
    fake = batch.world.fake
    fake.fail_next(409, times=2, route="DELETE /contacts/{id}")

    first = dsr(*_bulk(batch, "erase", "--yes", "--concurrency", "1"))

    assert first.exit_code == 1
    failures = [line for line in first.stderr.splitlines() if line.startswith("error:")]
    assert failures == [
        "error: input line 2 (contact_id) failed: IntercomRejectedError (status 409)",
        "error: input line 3 (contact_id) failed: IntercomRejectedError (status 409)",
    ]
    assert fake.contact(batch.ids[0]) is not None

    again = dsr(*_bulk(batch, "erase", "--yes"))

    assert again.exit_code == 0, again.stderr
    assert fake.contact(batch.ids[0]) is None
    assert json.loads(batch.report.read_text())["counts"] == {"done": 33}


def test_bulk_erase_without_a_terminal_or_yes_refuses(batch: Batch) -> None:
    result = dsr(*_bulk(batch, "erase"))

    assert result.exit_code == 2
    assert "--yes" in one_error(result)
    assert batch.world.fake.count() == 0
    assert not batch.journal.exists()


def test_bulk_export_writes_one_file_per_subject(batch: Batch, tmp_path: Path) -> None:
    out = tmp_path / "exports"

    result = dsr(*_bulk(batch, "export", "--out", str(out), "--messages"))

    assert result.exit_code == 0, result.stderr
    report = json.loads(batch.report.read_text())
    files = sorted(path.name for path in out.iterdir())
    assert files == sorted(subject["export_file"] for subject in report["subjects"])
    shared = next(s for s in report["subjects"] if s["kind"] == "email" and s["contacts"])
    assert shared["export_file"].startswith(f"line-{shared['line']:06d}-")
    document = json.loads((out / shared["export_file"]).read_text())
    assert [c["contact_id"] for c in document["subjects"]] == [
        batch.world.demo.user_id,
        batch.world.demo.lead_id,
    ]
    assert batch.world.fake.contact(batch.ids[0]) is not None


def test_bulk_export_reads_the_named_csv_column(tmp_path: Path) -> None:
    with served_world(rate_limit=100_000) as world:
        source = tmp_path / "subjects.csv"
        source.write_text(f"name,address\nSam,{world.demo.shared_email}\nJo,jo@example.com\n")

        result = dsr(
            "intercom", "bulk", "export", "--input", str(source), "--column", "address",
            "--journal", str(tmp_path / "j.sqlite"), "--out", str(tmp_path / "out"),
            "--base-url", world.url,
        )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    assert len(list((tmp_path / "out").iterdir())) == 2


@pytest.mark.parametrize(
    ("content", "extra", "expected"),
    [
        pytest.param(None, [], "cannot read the input file", id="missing-file"),
        pytest.param("abc\nde f\n", [], "input line 2", id="bad-line"),
        pytest.param("# nothing\n\n", [], "names no subject", id="empty"),
        pytest.param("abc\n", ["--concurrency", "lots"], "--concurrency", id="concurrency"),
    ],
)
def test_bulk_usage_errors_exit_2_before_anything_is_sent(
    batch: Batch, content: str | None, extra: list[str], expected: str
) -> None:
    if content is None:
        batch.input.unlink()
    else:
        batch.input.write_text(content)

    result = dsr(*_bulk(batch, "erase", "--yes", *extra))

    assert result.exit_code == 2
    assert expected in one_error(result)
    assert batch.world.fake.count() == 0


def test_bulk_export_needs_an_output_directory(batch: Batch) -> None:
    result = dsr(*_bulk(batch, "export"))

    assert result.exit_code == 2
    assert "--out" in one_error(result)


def test_bulk_journal_of_another_operation_is_refused(batch: Batch, tmp_path: Path) -> None:
    exported = dsr(*_bulk(batch, "export", "--out", str(tmp_path / "out")))
    assert exported.exit_code == 0

    result = dsr(*_bulk(batch, "erase", "--yes"))

    assert result.exit_code == 2
    assert "journal" in one_error(result)


def test_bulk_progress_bar_on_a_terminal(batch: Batch) -> None:
    result = dsr(*_bulk(batch, "erase", "--yes"), env={"FORCE_COLOR": "1", "NO_COLOR": None})

    assert result.exit_code == 0, result.stderr
    assert "━" in result.stderr  # the bar
    assert "33/33" in result.stderr
    assert "ETA" in result.stderr
    assert "finished (" not in result.stderr  # no plain progress lines
    assert TOKEN not in result.stderr
