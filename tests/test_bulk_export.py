"""Export files are written atomically: whole or absent, never half, never left as temp files."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dsr_resolvers.bulk import (
    BulkOperation,
    BulkReport,
    Journal,
    SubjectState,
    journal_key,
    parse_subjects,
    run_bulk,
)
from dsr_resolvers.intercom import IntercomResolver
from dsr_resolvers.testing import FakeIntercom

TOKEN = "test-token"


class Killed(BaseException):
    """The process died here."""


def report() -> BulkReport:
    return BulkReport(
        operation=BulkOperation.EXPORT, generated_at=datetime.now(UTC), counts={}, subjects=()
    )


def failing_once(real: Callable[..., None], error: BaseException) -> Callable[..., None]:
    calls = 0

    def replacement(*args: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise error
        real(*args)

    return replacement


def test_a_kill_while_writing_leaves_no_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "fsync", failing_once(os.fsync, Killed()))
    with pytest.raises(Killed):
        report().write(tmp_path / "report.json")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_rename_keeps_the_previous_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.json"
    target.write_text('{"previous": true}')
    monkeypatch.setattr(os, "replace", failing_once(os.replace, OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        report().write(target)
    assert json.loads(target.read_text()) == {"previous": True}
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
    report().write(target)
    assert json.loads(target.read_text())["operation"] == "export"


async def test_a_failed_export_write_stops_the_run_and_a_rerun_finishes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeIntercom(TOKEN)
    ids = [fake.add_contact(email=f"p{i}@example.com", name=f"Person {i}") for i in range(5)]
    fake.add_conversation(ids[0])
    monkeypatch.setattr(os, "replace", failing_once(os.replace, OSError(errno.ENOSPC, "full")))
    out = tmp_path / "out"
    with Journal(tmp_path / "export.journal", key=journal_key(secret=TOKEN)) as journal:
        stopped = await run_bulk(
            IntercomResolver(TOKEN, transport=fake),
            "export",
            parse_subjects(ids),
            journal,
            out_dir=out,
            concurrency=1,
        )
        # The first write error stops the run: the subject stays pending, nothing more is
        # fetched (one subject's export was fetched, then the disk refused its file).
        assert stopped.stopped == "local_failure"
        assert stopped.stop_detail is not None
        assert "ENOSPC" in stopped.stop_detail
        assert (stopped.done, stopped.failed, stopped.pending) == (0, 0, 5)
        assert journal.counts() == {SubjectState.PENDING: 5}
        assert list(out.iterdir()) == []
        # Nothing was fetched for any other subject.
        assert not [r for r in fake.requests if set(r.segments) & set(ids[1:])]
        summary = await run_bulk(
            IntercomResolver(TOKEN, transport=fake),
            "export",
            parse_subjects(ids),
            journal,
            out_dir=out,
            concurrency=2,
        )
        subjects = journal.report().subjects
    assert (summary.done, summary.retries) == (5, 0)
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(str(s.export_file) for s in subjects)
    for subject in subjects:
        document = json.loads((out / str(subject.export_file)).read_text())
        (contact,) = document["subjects"]
        assert contact["contact_id"] == subject.contacts[0].contact_id
        fields = {r["field"] for r in contact["records"]}
        assert "contact.email" in fields
        assert subject.contacts[0].records == len(contact["records"])


async def test_a_bulk_export_file_names_the_attributes_held_but_not_declared(
    tmp_path: Path,
) -> None:
    fake = FakeIntercom(TOKEN)
    ada = fake.add_contact(email="ada@example.com", custom_attributes={"plan": "gold-tier-7"})
    out = tmp_path / "out"
    with Journal(tmp_path / "export.journal", key=journal_key(secret=TOKEN)) as journal:
        await run_bulk(
            IntercomResolver(TOKEN, transport=fake), "export", parse_subjects([ada]), journal,
            out_dir=out,
        )  # fmt: skip
    [written] = out.iterdir()
    (contact,) = json.loads(written.read_text())["subjects"]
    assert contact["held_not_exported"] == ["contact.custom_attributes.plan"]
    assert "gold-tier-7" not in written.read_text()
