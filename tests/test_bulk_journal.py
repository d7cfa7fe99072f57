"""The journal: private file, keyed hashes only, states that survive a reopen, the report."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from dsr_resolvers.bulk import (
    JOURNAL_KEY_ENV,
    BulkOperation,
    ContactOutcome,
    FailureInfo,
    Journal,
    JournalEntry,
    JournalError,
    SubjectList,
    SubjectState,
    journal_key,
    parse_subjects,
)

KEY = journal_key(secret="a test secret")
EMAILS = ["ada.lovelace@example.com", "grace.hopper@example.org"]


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "run.journal", key=KEY) as opened:
        yield opened


ALL_STATES = tuple(SubjectState)


def register(journal: Journal, operation: str, subjects: SubjectList) -> list[JournalEntry]:
    journal.register(operation, subjects)
    return list(journal.entries(subjects, ALL_STATES))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def raw_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file())


def test_created_owner_only_even_with_a_permissive_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        with Journal(tmp_path / "run.journal", key=KEY) as journal:
            journal.register("erase", parse_subjects(EMAILS))
            files = sorted(tmp_path.iterdir())
            assert {p.name for p in files} >= {"run.journal", "run.journal-wal"}
            assert all(mode(p) == 0o600 for p in files), {p.name: oct(mode(p)) for p in files}
    finally:
        os.umask(previous)


def test_no_email_in_clear_in_the_database_or_its_wal(tmp_path: Path) -> None:
    with Journal(tmp_path / "run.journal", key=KEY) as journal:
        entries = register(journal, "erase", parse_subjects([*EMAILS, "6657a1b2c3d4e5f6a7b8c9d0"]))
        journal.mark_running(entries[0].key)
        journal.record_retry(entries[0].key, FailureInfo(type="ReadTimeout"))
        journal.mark_done(
            entries[0].key, "erased", [ContactOutcome(contact_id="c1", result="deleted")]
        )
        journal.mark_failed(entries[1].key, FailureInfo(type="IntercomRejectedError", status=403))
        while_open = raw_bytes(tmp_path)
        report = journal.report().model_dump_json()
    after_close = raw_bytes(tmp_path)
    for email in EMAILS:
        for blob in (while_open, after_close, report.encode()):
            assert email.encode() not in blob
            assert email.split("@")[0].encode() not in blob
    # Contact ids are what an audit needs; they are kept.
    assert b"c1" in after_close


def test_states_attempts_and_outcomes_survive_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "run.journal"
    subjects = parse_subjects(["id-1", "id-2", "id-3", "id-4", EMAILS[0]])
    with Journal(path, key=KEY) as journal:
        keys = [entry.key for entry in register(journal, "erase", subjects)]
        journal.mark_running(keys[0])
        journal.mark_done(keys[0], "erased", [ContactOutcome(contact_id="id-1", result="deleted")])
        journal.mark_running(keys[1])
        journal.mark_running(keys[2])
        journal.mark_running(keys[2])
        journal.mark_failed(keys[2], FailureInfo(type="IntercomRejectedError", status=403))
        journal.mark_running(keys[4])
        journal.record_contacts(keys[4], [ContactOutcome(contact_id="u1", result="deleted")])
    with Journal(path, key=KEY) as journal:
        entries = register(journal, "erase", subjects)
        assert [(e.state, e.attempts) for e in entries] == [
            (SubjectState.DONE, 1),
            (SubjectState.RUNNING, 1),
            (SubjectState.FAILED, 2),
            (SubjectState.PENDING, 0),
            (SubjectState.RUNNING, 1),
        ]
        assert entries[4].contacts == (ContactOutcome(contact_id="u1", result="deleted"),)
        assert journal.counts() == {
            SubjectState.DONE: 1,
            SubjectState.RUNNING: 2,
            SubjectState.FAILED: 1,
            SubjectState.PENDING: 1,
        }
        failed = journal.outcome(keys[2])
        assert failed is not None
        assert failed.error == FailureInfo(type="IntercomRejectedError", status=403)


def test_the_same_subject_gets_the_same_key_and_another_key_changes_it(tmp_path: Path) -> None:
    subjects = parse_subjects(EMAILS)
    with Journal(tmp_path / "a.journal", key=KEY) as journal:
        first = [journal.key_of(s) for s in subjects]
    with Journal(tmp_path / "b.journal", key=KEY) as journal:
        assert [journal.key_of(s) for s in subjects] == first
    with Journal(tmp_path / "c.journal", key=journal_key(secret="other")) as journal:
        assert not set(first) & {journal.key_of(s) for s in subjects}


def test_resuming_with_another_key_fails_loudly(tmp_path: Path) -> None:
    path = tmp_path / "run.journal"
    with Journal(path, key=KEY) as journal:
        journal.register("erase", parse_subjects(EMAILS))
    with pytest.raises(JournalError, match="another key"):
        Journal(path, key=journal_key(secret="not the same"))


def test_a_journal_of_an_earlier_schema_is_refused_by_name(tmp_path: Path) -> None:
    """Schema 4 journals hold no kinds or reference per row: their receipts could not say how
    a row of several identifiers was looked for, so they are refused, naming the schema."""
    path = tmp_path / "run.journal"
    with Journal(path, key=KEY) as journal:
        journal.register("erase", parse_subjects(EMAILS))
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '4' WHERE name = 'schema_version'")
    db.close()
    with pytest.raises(JournalError, match="journal schema '4', this version reads '5'"):
        Journal(path, key=KEY)


def test_a_journal_records_one_operation(journal: Journal) -> None:
    journal.register(BulkOperation.ERASE, parse_subjects(EMAILS))
    with pytest.raises(JournalError, match="bulk erase"):
        journal.register("export", parse_subjects(EMAILS))
    assert journal.operation is BulkOperation.ERASE


def test_two_runs_cannot_share_a_journal(tmp_path: Path, journal: Journal) -> None:
    with pytest.raises(JournalError, match="another run"):
        Journal(journal.path, key=KEY)


def test_an_existing_journal_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "run.journal"
    path.touch(mode=0o644)
    path.chmod(0o644)
    with pytest.raises(JournalError, match="readable or writable by others"):
        Journal(path, key=KEY)


def test_a_symlinked_journal_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.journal"
    with Journal(target, key=KEY):
        pass
    link = tmp_path / "run.journal"
    link.symlink_to(target)
    with pytest.raises(JournalError, match="symbolic link"):
        Journal(link, key=KEY)


def test_report_is_ids_only_in_input_order(tmp_path: Path, journal: Journal) -> None:
    entries = register(journal, "export", parse_subjects(["id-9", EMAILS[0]]))
    journal.mark_running(entries[0].key)
    journal.mark_done(
        entries[0].key,
        "exported",
        [ContactOutcome(contact_id="id-9", result="exported", records=3)],
        export_file=f"{entries[0].key}.json",
    )
    report = journal.report()
    assert report.operation is BulkOperation.EXPORT
    assert [s.line for s in report.subjects] == [1, 2]
    assert report.subjects[0].export_file == f"{entries[0].key}.json"
    assert report.counts == {SubjectState.DONE: 1, SubjectState.PENDING: 1}
    out = tmp_path / "report.json"
    report.write(out)
    assert mode(out) == 0o600
    written = json.loads(out.read_text())
    assert written["subjects"][0]["contacts"] == [
        {"contact_id": "id-9", "result": "exported", "records": 3}
    ]
    assert EMAILS[0] not in out.read_text()


def test_report_of_an_empty_journal_is_an_error(journal: Journal) -> None:
    with pytest.raises(JournalError, match="empty"):
        journal.report()


def test_close_is_idempotent_and_writes_after_close_fail(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "run.journal", key=KEY)
    (entry,) = register(journal, "erase", parse_subjects(["id-1"]))
    journal.close()
    journal.close()
    with pytest.raises(JournalError, match="closed"):
        journal.mark_running(entry.key)
    assert "run.journal" in repr(journal)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"key": b"short"}, "16 bytes"), ({"key": KEY, "synchronous": "OFF"}, "synchronous")],
)
def test_bad_configuration_is_refused(
    tmp_path: Path, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Journal(tmp_path / "run.journal", **kwargs)  # type: ignore[arg-type]
    assert not (tmp_path / "run.journal").exists()


def test_full_synchronous_mode_works(tmp_path: Path) -> None:
    with Journal(tmp_path / "run.journal", key=KEY, synchronous="FULL") as journal:
        journal.register("erase", parse_subjects(["id-1"]))
        assert journal.counts() == {SubjectState.PENDING: 1}


def test_journal_key_sources_in_order() -> None:
    env = {JOURNAL_KEY_ENV: "from the environment"}
    assert journal_key(secret="s", environ=env) == journal_key(secret="s")
    assert journal_key(environ=env) == journal_key(secret="from the environment")
    assert journal_key(secret=b"s") == journal_key(secret="s")
    assert len(journal_key(secret="s") or b"") == 32
    assert journal_key(environ={}) is None  # Journal(key=None) then uses its key file
    with pytest.raises(ValueError, match="empty"):
        journal_key(secret="")
