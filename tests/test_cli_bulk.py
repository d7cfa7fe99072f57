"""``dsr intercom bulk erase|export``: a small input end to end, with journal, report and resume.

The input mixes 30 contact ids, the email a user and a lead share, an email nobody has and an
id Intercom does not know, so every subject result the report can hold shows up once.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import stat
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dsr_resolvers.bulk import BulkSummary, Journal, read_subjects, run_bulk
from dsr_resolvers.intercom import IntercomResolver
from dsr_resolvers.report import ErasureReceipt
from dsr_resolvers.testing import FakeIntercom
from tests.test_bulk_resume import signal_when
from tests.test_cli import TOKEN, World, dsr, error_lines, one_error, served_world
from tests.test_cli_entry import _child_env, _dsr_process


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


def test_bulk_export_archived_reaches_archived_contacts(batch: Batch, tmp_path: Path) -> None:
    batch.world.fake.archive_contact(batch.ids[0])
    out = tmp_path / "exports"

    result = dsr(*_bulk(batch, "export", "--out", str(out), "--export-archived"))

    assert result.exit_code == 0, result.stderr
    report = json.loads(batch.report.read_text())
    first = next(s for s in report["subjects"] if s["line"] == 2)  # line 1 is a comment
    document = json.loads((out / first["export_file"]).read_text())
    assert [c["contact_id"] for c in document["subjects"]] == [batch.ids[0]]
    assert document["subjects"][0]["records"]
    assert batch.world.fake.is_archived(batch.ids[0])


def test_bulk_export_marks_an_archived_contact_not_visible_never_not_found(
    batch: Batch, tmp_path: Path
) -> None:
    batch.world.fake.archive_contact(batch.ids[0])
    result = dsr(*_bulk(batch, "export", "--out", str(tmp_path / "exports")))
    assert result.exit_code == 0, result.stderr
    report = json.loads(batch.report.read_text())
    by_line = {s["line"]: s for s in report["subjects"]}
    assert by_line[2]["result"] == "not_visible"  # the archived one (line 1 is a comment)
    assert by_line[2]["contacts"][0]["result"] == "not_visible"
    unknown = next(
        s
        for s in report["subjects"]
        if s["contacts"] and s["contacts"][0]["contact_id"] == "unknown-id"
    )
    assert unknown["result"] == "not_visible"  # without --export-archived, a 404 may be archived
    assert "--export-archived" in result.stderr


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


# -- runs that must stop, and what they leave (issue 10) -------------------------------------


def test_a_refused_token_stops_at_once_with_exit_2_and_a_corrected_one_resumes(
    batch: Batch,
) -> None:
    fake = batch.world.fake

    refused = dsr(
        *_bulk(batch, "erase", "--yes", "--concurrency", "4"),
        env={"INTERCOM_ACCESS_TOKEN": "tok_wrong_0000"},
    )

    assert refused.exit_code == 2
    line = error_lines(refused)[-1]
    assert "status 401" in line
    assert "dsr intercom check" in line
    assert "33 subject(s) left pending" in line
    assert f"--journal {batch.journal}" in line
    assert sum(1 for r in fake.requests if r.status == 401) <= 4  # at most the concurrency
    report = json.loads(batch.report.read_text())
    assert report["counts"] == {"pending": 33}  # refused and unstarted: pending, not failed

    resumed = dsr(*_bulk(batch, "erase", "--yes"))

    assert resumed.exit_code == 0, resumed.stderr
    assert json.loads(batch.report.read_text())["counts"] == {"done": 33}
    assert fake.contact(batch.ids[0]) is None


def test_a_rerun_with_another_policy_is_refused_naming_the_difference(batch: Batch) -> None:
    first = dsr(*_bulk(batch, "erase", "--yes"))
    assert first.exit_code == 0, first.stderr
    sent = batch.world.fake.count()

    other = dsr(*_bulk(batch, "erase", "--yes", "--policy", "redact_messages"))

    assert other.exit_code == 2
    message = one_error(other)
    assert "erasure_policy (journal: delete_contact, this run: redact_messages)" in message
    assert batch.world.fake.count() == sent
    assert "delete" not in message.split("or use another journal")[-1]  # never "delete it"


def _library_erase(batch: Batch, journal: Path) -> BulkSummary:
    """The library's own bulk erase under redact_messages, on the batch's input."""
    resolver = IntercomResolver(TOKEN, base_url=batch.world.url, erasure_policy="redact_messages")
    with Journal(journal) as opened:
        return asyncio.run(run_bulk(resolver, "erase", read_subjects(batch.input), opened))


def test_a_journal_the_library_started_resumes_from_the_cli(batch: Batch) -> None:
    assert _library_erase(batch, batch.journal).ok
    deletes = batch.world.fake.count("DELETE /contacts/{id}")

    resumed = dsr(*_bulk(batch, "erase", "--yes", "--policy", "redact_messages"))

    assert resumed.exit_code == 0, resumed.stderr
    assert "33 from earlier runs" in resumed.stderr
    assert batch.world.fake.count("DELETE /contacts/{id}") == deletes


def test_a_journal_the_cli_started_resumes_from_the_library(batch: Batch) -> None:
    first = dsr(*_bulk(batch, "erase", "--yes", "--policy", "redact-messages"))  # the alias
    assert first.exit_code == 0, first.stderr
    deletes = batch.world.fake.count("DELETE /contacts/{id}")

    summary = _library_erase(batch, batch.journal)

    assert summary.ok
    assert batch.world.fake.count("DELETE /contacts/{id}") == deletes


def test_a_journal_that_spelt_the_policy_with_a_hyphen_still_resumes(batch: Batch) -> None:
    with Journal(batch.journal) as journal:  # as dsr wrote it before one vocabulary
        journal.register(
            "erase",
            read_subjects(batch.input),
            options={"resolver": "intercom", "erasure_policy": "redact-messages"},
        )

    resumed = dsr(*_bulk(batch, "erase", "--yes", "--policy", "redact_messages"))

    assert resumed.exit_code == 0, resumed.stderr
    assert json.loads(batch.report.read_text())["counts"] == {"done": 33}


def test_a_rerun_with_another_input_is_refused(batch: Batch, tmp_path: Path) -> None:
    first = dsr(*_bulk(batch, "erase", "--yes"))
    assert first.exit_code == 0, first.stderr
    batch.input.write_text("another-id\n")

    other = dsr(*_bulk(batch, "erase", "--yes"))

    assert other.exit_code == 2
    assert "the input differs from the journal's" in one_error(other)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(b"", "is empty (0 bytes)", id="zero-length"),
        pytest.param(b"id-1\nid-2\n", "not a dsr journal (not a SQLite database)", id="text"),
    ],
)
def test_unusable_journals_exit_2_naming_the_cause(
    batch: Batch, content: bytes, expected: str
) -> None:
    batch.journal.write_bytes(content)
    batch.journal.chmod(0o600)

    result = dsr(*_bulk(batch, "erase", "--yes"))

    assert result.exit_code == 2
    assert expected in one_error(result)
    assert batch.world.fake.count() == 0
    assert batch.journal.read_bytes() == content  # left exactly as it was


def test_a_damaged_journal_is_named_damaged_not_an_internal_error(batch: Batch) -> None:
    first = dsr(*_bulk(batch, "erase", "--yes"))
    assert first.exit_code == 0, first.stderr
    data = bytearray(batch.journal.read_bytes())
    data[4096:8192] = b"\xa5" * 4096  # a page in the middle of the file
    batch.journal.write_bytes(bytes(data))

    result = dsr(*_bulk(batch, "erase", "--yes"))

    assert result.exit_code == 2
    message = one_error(result)
    assert "damaged" in message or "not a dsr journal" in message
    assert "internal error" not in message


def test_a_journal_without_its_key_file_names_the_key_file(batch: Batch) -> None:
    first = dsr(*_bulk(batch, "erase", "--yes"))
    assert first.exit_code == 0, first.stderr
    key_file = batch.journal.with_name(batch.journal.name + ".key")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key_file.rename(key_file.with_suffix(".moved"))

    result = dsr(*_bulk(batch, "erase", "--yes"))

    assert result.exit_code == 2
    assert f"key file {key_file} is missing" in one_error(result)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads and writes whatever the mode says")
def test_a_read_only_journal_and_an_unwritable_directory_are_named(batch: Batch) -> None:
    first = dsr(*_bulk(batch, "erase", "--yes"))
    assert first.exit_code == 0, first.stderr
    batch.journal.chmod(0o400)
    assert "read-only" in one_error(dsr(*_bulk(batch, "erase", "--yes")))
    batch.journal.chmod(0o600)
    batch.journal.parent.chmod(0o500)
    try:
        assert "not writable" in one_error(dsr(*_bulk(batch, "erase", "--yes")))
    finally:
        batch.journal.parent.chmod(0o700)


def test_hidden_characters_in_the_input_stop_before_anything_is_sent(batch: Batch) -> None:
    batch.input.write_bytes(b"id-1\nid-2\nada\xe2\x80\x8b@example.com\n")

    result = dsr(*_bulk(batch, "erase", "--yes"))

    assert result.exit_code == 2
    assert "input line 3" in one_error(result)
    assert "U+200B" in one_error(result)
    assert batch.world.fake.count() == 0


def test_dry_run_plans_and_changes_nothing(batch: Batch) -> None:
    fake = batch.world.fake

    result = dsr(*_bulk(batch, "erase", "--dry-run", "--policy", "redact_messages"))

    assert result.exit_code == 0, result.stderr
    assert fake.count("DELETE /contacts/{id}") == 0
    assert fake.count("POST /conversations/redact") == 0
    assert not batch.journal.exists()
    assert "nothing was changed" in result.stderr
    assert "messages to redact" in result.stdout
    plan = json.loads(batch.report.read_text())
    # --report holds the very document --json prints: one shape for one dry run.
    assert plan["format"] == "dsr-resolvers/bulk-erase-plan/v1"
    assert plan["policy"] == "redact_messages"
    assert plan["totals"]["subjects"] == 33
    # 30 ids, the user and the lead of the address, and "unknown-id": Intercom answers not
    # found for it, as for an archived contact, which the erasure would reach.
    assert plan["totals"]["contacts"] == 33
    assert plan["totals"]["not_visible"] == 1
    by_line = {s["line"]: s for s in plan["subjects"]}
    assert {c["contact_id"] for c in by_line[32]["contacts"]} == {
        batch.world.demo.user_id,
        batch.world.demo.lead_id,
    }
    assert by_line[33]["contacts"] == []
    assert "@" not in batch.report.read_text()


def test_status_reads_a_journal_without_a_request(batch: Batch) -> None:
    batch.world.fake.fail_next(409, times=1, route="DELETE /contacts/{id}")
    first = dsr(*_bulk(batch, "erase", "--yes", "--concurrency", "1"))
    assert first.exit_code == 1
    sent = batch.world.fake.count()

    result = dsr("intercom", "bulk", "status", "--journal", str(batch.journal))

    assert result.exit_code == 1  # not everything is done
    assert batch.world.fake.count() == sent
    for text in ("erase", "erasure_policy", "delete_contact", "33", "IntercomRejectedError"):
        assert text in result.stdout
    assert "(status 409)" in result.stdout


def _served_batch_process(
    batch: Batch, *extra: str
) -> subprocess.Popen[str]:  # the real entry point, as a shell runs it
    return subprocess.Popen(
        _dsr_process(
            "intercom",
            "bulk",
            "erase",
            "--input",
            str(batch.input),
            "--journal",
            str(batch.journal),
            "--report",
            str(batch.report),
            "--base-url",
            batch.world.url,
            "--yes",
            *extra,
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_child_env(),
        text=True,
    )


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_bulk_run_exits_130_or_143_reports_and_resumes(
    tmp_path: Path, signum: int, status: int
) -> None:
    fake = FakeIntercom(TOKEN, rate_limit=100_000, latency=0.05)
    ids = [fake.add_contact(email=f"p{n}@example.com") for n in range(200)]
    source = tmp_path / "ids.txt"
    source.write_text("\n".join(ids) + "\n")
    with fake.serve() as url:
        batch = Batch(World(fake, None, url), ids, source, tmp_path / "j.sqlite", tmp_path / "r")  # type: ignore[arg-type]
        process = _served_batch_process(batch, "--concurrency", "4")
        signal_when(fake, process, signum, lambda: fake.count("DELETE /contacts/{id}") >= 20)
        _, stderr = process.communicate(timeout=30)
        assert process.returncode == status, stderr
        after = fake.count()
        # Once its connections are closed, whatever it sent has landed or died: a request it
        # left unanswered would be counted now.
        assert fake.wait_for(lambda: fake.open_connections == 0)
        assert fake.count() == after  # nothing new is sent once it has stopped
        last = [line for line in stderr.splitlines() if line.startswith("error:")][-1]
        assert "in doubt" in last
        assert "rerun the same command" in last
        said = re.search(r"(\d+) subject\(s\) in doubt", last)
        assert said is not None
        shown = dsr("intercom", "bulk", "status", "--journal", str(batch.journal), "--json")
        assert json.loads(shown.stdout)["in_doubt"] == int(said.group(1))  # the same count
        report = json.loads(batch.report.read_text())
        assert report["counts"].get("done", 0) >= 1
        assert "failed" not in report["counts"]

        resumed = _served_batch_process(batch)
        _, stderr = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, stderr
    assert fake.contact_ids() == ()
    deletes = Counter(
        r.segments[1]
        for r in fake.requests
        if r.route == "DELETE /contacts/{id}" and r.status == 200
    )
    assert deletes == Counter(ids)


def test_an_interrupted_bulk_export_speaks_of_exports(tmp_path: Path) -> None:
    fake = FakeIntercom(TOKEN, rate_limit=100_000, latency=0.05)
    ids = [fake.add_contact(email=f"p{n}@example.com") for n in range(100)]
    source = tmp_path / "ids.txt"
    source.write_text("\n".join(ids) + "\n")
    journal = tmp_path / "j.sqlite"
    with fake.serve() as url:
        process = subprocess.Popen(
            _dsr_process("intercom", "bulk", "export", "--input", str(source), "--journal",
                         str(journal), "--out", str(tmp_path / "out"), "--base-url", url),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_child_env(), text=True,
        )  # fmt: skip
        signal_when(fake, process, signal.SIGINT, lambda: fake.count() >= 20)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    last = [line for line in stderr.splitlines() if line.startswith("error:")][-1]
    assert "export(s) unfinished" in last
    assert "in doubt" not in last
    status = dsr("intercom", "bulk", "status", "--journal", str(journal))
    assert "in doubt" not in status.stderr


def _status(journal: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _dsr_process("intercom", "bulk", "status", "--journal", str(journal), "--json", *extra),
        capture_output=True,
        env=_child_env(),
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_every_finished_subject_gets_its_receipt_whichever_run_finished_it(
    tmp_path: Path, signum: int
) -> None:
    """A real `dsr intercom bulk erase` process, killed mid-run: the receipts of what it
    finished are written by `bulk status --receipts` and by the rerun, each once."""
    fake = FakeIntercom(TOKEN, rate_limit=100_000, latency=0.05)
    ids = [fake.add_contact(email=f"p{n}@example.com") for n in range(150)]
    source = tmp_path / "ids.txt"
    source.write_text("\n".join(ids) + "\n")
    receipts = tmp_path / "receipts"
    with fake.serve() as url:
        batch = Batch(World(fake, None, url), ids, source, tmp_path / "j.sqlite", tmp_path / "r")  # type: ignore[arg-type]
        process = _served_batch_process(batch, "--concurrency", "4", "--receipts", str(receipts))
        signal_when(fake, process, signum, lambda: fake.count("DELETE /contacts/{id}") >= 20)
        _, stderr = process.communicate(timeout=30)
        assert fake.wait_for(lambda: fake.open_connections == 0)  # its last requests landed
        status = _status(batch.journal)
        done = json.loads(status.stdout)["states"]["done"]
        assert 0 < done < len(ids)
        assert list(receipts.glob("*.json")) == []  # the interrupted run wrote none...
        if signum != signal.SIGKILL:  # ... and says how many it owes, and how to write them
            assert f"{done} erasure receipt(s) still to be written" in stderr
            assert "bulk status" in stderr
            assert "--receipts" in stderr

        status = _status(batch.journal, "--receipts", str(receipts))
        assert f"Erasure receipts: {done} written" in status.stderr
        assert len(list(receipts.glob("*.json"))) == done

        resumed = _served_batch_process(batch, "--receipts", str(receipts))
        _, stderr = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, stderr
    assert f"Erasure receipts: {len(ids) - done} written" in stderr
    files = sorted(receipts.glob("*.json"))
    assert len(files) == len(ids) == json.loads(_status(batch.journal).stdout)["states"]["done"]
    loaded = [ErasureReceipt.model_validate_json(f.read_text()) for f in files]
    assert sorted(c.contact_id for r in loaded for c in r.contacts) == sorted(ids)
    assert stat.S_IMODE(receipts.stat().st_mode) == 0o700


def test_a_single_subject_command_exits_143_on_sigterm(tmp_path: Path) -> None:
    fake = FakeIntercom(TOKEN, latency=2.0)
    contact = fake.add_contact(email="slow@example.com")
    with fake.serve() as url:
        process = subprocess.Popen(
            _dsr_process("intercom", "export", contact, "--base-url", url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_child_env(),
            text=True,
        )
        # Stopped while the fake holds its request (2 s of latency): mid-command.
        signal_when(fake, process, signal.SIGTERM, lambda: fake.in_flight > 0)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 143, stderr
    assert "interrupted" in stderr


def test_a_journal_the_disk_refuses_stops_the_run_with_exit_2(tmp_path: Path) -> None:
    """A real write failure: the child may not grow any file past 256 KiB (RLIMIT_FSIZE, with
    SIGXFSZ ignored, so SQLite's write meets EFBIG, as it would meet a quota)."""
    import resource

    fake = FakeIntercom(TOKEN, rate_limit=100_000)
    ids = [fake.add_contact(email=f"p{n}@example.com") for n in range(400)]
    source = tmp_path / "ids.txt"
    source.write_text("\n".join(ids) + "\n")
    journal = tmp_path / "j.sqlite"

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))

    with fake.serve() as url:
        command = _dsr_process(
            "intercom", "bulk", "erase", "--input", str(source), "--journal", str(journal),
            "--base-url", url, "--yes", "--concurrency", "2",
        )  # fmt: skip
        full = subprocess.run(
            command, env=_child_env(), capture_output=True, text=True, timeout=120,
            preexec_fn=small_files, check=False,
        )  # fmt: skip
        assert full.returncode == 2, full.stderr
        last = [line for line in full.stderr.splitlines() if line.startswith("error:")][-1]
        assert "the disk refused a write to" in last
        assert "rerun the same command" in last
        assert "internal error" not in full.stderr
        deleted = len(ids) - len(fake.contact_ids())
        assert 0 < deleted < len(ids)

        resumed = subprocess.run(
            command, env=_child_env(), capture_output=True, text=True, timeout=120, check=False
        )
    assert resumed.returncode == 0, resumed.stderr
    assert fake.contact_ids() == ()


def test_dry_run_with_a_refused_token_exits_2(batch: Batch) -> None:
    result = dsr(
        *_bulk(batch, "erase", "--dry-run"), env={"INTERCOM_ACCESS_TOKEN": "tok_wrong_0000"}
    )

    assert result.exit_code == 2
    assert "dsr intercom check" in one_error(result)
    assert not batch.report.exists()
    assert batch.world.fake.count("DELETE /contacts/{id}") == 0
