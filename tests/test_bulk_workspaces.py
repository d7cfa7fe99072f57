"""run_bulk over several workspaces: one named resolver and one limiter each, one journal.

Every workspace is its own FakeIntercom, so what reached which workspace is counted at the
transport, and a refused token is a resolver built with the wrong one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dsr_resolvers import SubjectRef
from dsr_resolvers.bulk import (
    BulkProgress,
    Journal,
    JournalError,
    RateLimiter,
    SubjectState,
    journal_key,
    parse_subjects,
    run_bulk,
)
from dsr_resolvers.intercom import IntercomResolver
from dsr_resolvers.testing import FakeIntercom

TOKEN = "test-token"
NAMES = ("au", "eu", "us")
EMAILS = [f"person{i}@example.com" for i in range(6)]


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "run.journal", key=journal_key(secret=TOKEN)) as opened:
        yield opened


def workspaces() -> dict[str, FakeIntercom]:
    fakes = {name: FakeIntercom(TOKEN) for name in NAMES}
    for fake in fakes.values():
        for email in EMAILS:
            fake.add_contact(email=email)
    return fakes


def named(
    fakes: dict[str, FakeIntercom], *, tokens: dict[str, str] | None = None
) -> tuple[list[IntercomResolver], dict[str, RateLimiter]]:
    limiters = {name: RateLimiter() for name in fakes}
    resolvers = [
        IntercomResolver(
            (tokens or {}).get(name, TOKEN), transport=fake, hooks=limiters[name], name=name
        )
        for name, fake in fakes.items()
    ]
    return resolvers, limiters


async def test_every_subject_is_worked_on_in_every_workspace(journal: Journal) -> None:
    fakes = workspaces()
    resolvers, limiters = named(fakes)
    seen: list[BulkProgress] = []

    summary = await run_bulk(
        resolvers, "erase", parse_subjects(EMAILS), journal, limiter=limiters, progress=seen.append
    )

    assert {p.total for p in seen} == {3 * len(EMAILS)}  # progress sums every workspace
    assert seen[-1].done == 3 * len(EMAILS)
    assert all(fake.contact_ids() == () for fake in fakes.values())
    assert summary.ok
    assert (summary.total, summary.done) == (3 * len(EMAILS), 3 * len(EMAILS))
    assert [s.workspace for s in summary.workspaces] == list(NAMES)
    assert all(s.done == len(EMAILS) for s in summary.workspaces)
    report = journal.report()
    assert [s.workspace for s in report.subjects] == [n for n in NAMES for _ in EMAILS]
    assert report.workspaces == {name: {SubjectState.DONE: len(EMAILS)} for name in NAMES}
    assert journal.workspaces() == NAMES
    # A row's key is keyed by its workspace too: one subject, three distinct rows.
    assert len({s.key for s in report.subjects if s.line == 1}) == 3


async def test_each_workspace_is_paced_by_its_own_limiter(journal: Journal) -> None:
    fakes = workspaces()
    fakes["eu"].fail_next(429, times=2)
    resolvers, limiters = named(fakes)

    summary = await run_bulk(resolvers, "erase", parse_subjects(EMAILS), journal, limiter=limiters)

    assert summary.ok
    for name, fake in fakes.items():
        stats = limiters[name].stats
        assert stats.requests == fake.count() > 0
        assert stats.rate_limited == (2 if name == "eu" else 0)
    assert {s.workspace: s.rate_limited for s in summary.workspaces} == {"au": 0, "eu": 2, "us": 0}


async def test_a_refused_token_stops_that_workspace_only_and_resumes_there(
    journal: Journal,
) -> None:
    fakes = workspaces()
    resolvers, limiters = named(fakes, tokens={"eu": "revoked-token"})

    summary = await run_bulk(resolvers, "erase", parse_subjects(EMAILS), journal, limiter=limiters)

    by_name = {s.workspace: s for s in summary.workspaces}
    assert by_name["eu"].stopped == "refused"
    assert by_name["eu"].stop_cause is not None
    assert by_name["eu"].stop_cause.status == 401
    assert (by_name["au"].stopped, by_name["us"].stopped) == (None, None)
    assert by_name["au"].done == by_name["us"].done == len(EMAILS)
    assert fakes["au"].contact_ids() == fakes["us"].contact_ids() == ()
    assert len(fakes["eu"].contact_ids()) == len(EMAILS)
    assert summary.stopped == "refused"
    assert summary.pending == len(EMAILS)
    assert not summary.ok
    assert journal.counts("eu") == {SubjectState.PENDING: len(EMAILS)}
    assert journal.counts("us") == {SubjectState.DONE: len(EMAILS)}

    # Resume: every workspace named again, the token fixed. Only eu has work left.
    sent = {name: fake.count() for name, fake in fakes.items()}
    resolvers, limiters = named(fakes)
    again = await run_bulk(resolvers, "erase", parse_subjects(EMAILS), journal, limiter=limiters)

    assert again.ok
    assert {s.workspace: s.skipped for s in again.workspaces} == {
        "au": len(EMAILS),
        "eu": 0,
        "us": len(EMAILS),
    }
    assert fakes["au"].count() == sent["au"]
    assert fakes["us"].count() == sent["us"]
    assert fakes["eu"].contact_ids() == ()


async def test_a_later_run_may_name_one_workspace_of_the_journal(journal: Journal) -> None:
    fakes = workspaces()
    resolvers, limiters = named(fakes, tokens={"us": "revoked-token"})
    await run_bulk(resolvers, "erase", parse_subjects(EMAILS), journal, limiter=limiters)

    only_us = {"us": fakes["us"]}
    resolvers, limiters = named(only_us)
    summary = await run_bulk(resolvers, "erase", parse_subjects(EMAILS), journal, limiter=limiters)

    assert summary.ok
    assert [s.workspace for s in summary.workspaces] == ["us"]
    assert fakes["us"].contact_ids() == ()
    assert journal.counts() == {SubjectState.DONE: 3 * len(EMAILS)}


async def test_a_workspace_journal_refuses_a_run_that_names_no_workspace(journal: Journal) -> None:
    fakes = workspaces()
    resolvers, limiters = named(fakes)
    await run_bulk(resolvers, "erase", parse_subjects(EMAILS), journal, limiter=limiters)

    with pytest.raises(JournalError, match="options differ"):
        await run_bulk(
            IntercomResolver(TOKEN, transport=fakes["us"]), "erase", parse_subjects(EMAILS), journal
        )


async def test_exports_go_to_one_folder_per_workspace(journal: Journal, tmp_path: Path) -> None:
    fakes = workspaces()
    resolvers, limiters = named(fakes)
    out = tmp_path / "out"

    summary = await run_bulk(
        resolvers, "export", parse_subjects(EMAILS[:2]), journal, limiter=limiters, out_dir=out
    )

    assert summary.ok
    assert sorted(p.name for p in out.iterdir()) == list(NAMES)
    assert all(len(list((out / name).iterdir())) == 2 for name in NAMES)


@pytest.mark.parametrize(
    ("names", "limiter", "message"),
    [
        (("eu", "eu"), None, "distinct names"),
        (("eu", "../up"), None, "distinct names"),
        (("eu", "us"), RateLimiter(), "one limiter per workspace"),
        (("eu", "us"), {"au": RateLimiter()}, "was not given"),
    ],
)
async def test_several_resolvers_need_distinct_names_and_a_limiter_each(
    journal: Journal,
    names: tuple[str, ...],
    limiter: RateLimiter | dict[str, RateLimiter] | None,
    message: str,
) -> None:
    fake = FakeIntercom(TOKEN)
    resolvers = [IntercomResolver(TOKEN, transport=fake, name=n) for n in names]
    with pytest.raises(ValueError, match=message):
        await run_bulk(resolvers, "erase", parse_subjects(["x1"]), journal, limiter=limiter)
    assert fake.count() == 0
    assert journal.settings is None


async def test_a_named_resolver_carries_its_name_in_refs_and_results() -> None:
    fake = FakeIntercom(TOKEN)
    contact = fake.add_contact(email="ada@example.com")
    eu = IntercomResolver(TOKEN, transport=fake, name="intercom-eu")
    ref = SubjectRef(kind="intercom-eu", value=contact)

    assert eu.name == "intercom-eu"
    assert "intercom-eu" in repr(eu)
    assert (await eu.export_subject(ref)).resolver == "intercom-eu"
    assert (await eu.erase_subject(ref)).resolver == "intercom-eu"
    assert IntercomResolver(TOKEN).name == "intercom"
    with pytest.raises(Exception, match="kind 'intercom-eu' only"):
        await eu.erase_subject(SubjectRef(kind="intercom", value=contact))


@pytest.mark.parametrize("name", ["", " eu", "e\nu"])
def test_a_resolver_name_must_be_printable_text(name: str) -> None:
    with pytest.raises(ValueError, match="resolver name"):
        IntercomResolver(TOKEN, name=name)
