"""Bulk inputs that name a person by every identifier (issue 16 item 2, issues 18 and 19).

A CSV row is one person: any of ``contact_id``, ``email``, ``phone``, ``external_id``, and the
DPO's ``reference``. The delimiter is detected or the file refused; a malformed field stops the
run before anything is sent and names its line; the journal keys the row, never its values.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dsr_resolvers.bulk import (
    InputError,
    Journal,
    SubjectKind,
    journal_key,
    parse_subjects,
    plan_bulk_erase,
    read_subjects,
    run_bulk,
)
from dsr_resolvers.intercom import IntercomResolver
from dsr_resolvers.testing import FakeIntercom

TOKEN = "test-token"


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "run.journal", key=journal_key(secret=TOKEN)) as opened:
        yield opened


def csv_file(tmp_path: Path, text: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_a_row_is_one_person_with_every_identifier_whatever_the_delimiter(
    tmp_path: Path, delimiter: str
) -> None:
    rows = [
        ["reference", "Email", "phone", "external_id", "contact_id", "note"],
        ["DSR-1", "ada@example.com", "+44 20 7946 0000", "crm-1", "", "x; y, z"],
        ["DSR-2", "", "0044 20 7946 0001", "", "", ""],
        ["", "", "", "crm-3", "6657a1b2c3d4e5f6a7b8c9d0", ""],
        ["DSR-4", "", "", "", "", "no identifier: skipped"],
    ]
    text = "".join(
        delimiter.join(f'"{cell}"' if ("," in cell or ";" in cell) else cell for cell in row) + "\n"
        for row in rows
    )
    subjects = list(read_subjects(csv_file(tmp_path, text)))
    assert [(s.line, s.kind, s.reference) for s in subjects] == [
        (2, SubjectKind.PERSON, "DSR-1"),
        (3, SubjectKind.PHONE, "DSR-2"),
        (4, SubjectKind.PERSON, None),
    ]
    first, second, third = subjects
    assert first.search == {
        "email": "ada@example.com",
        "phone": "+44 20 7946 0000",
        "external_id": "crm-1",
    }
    assert first.searched_kinds == ("email", "phone", "external_id")
    assert first.contact_id is None
    assert first.canonical == "email:ada@example.com|phone:+442079460000|external_id:crm-1"
    assert second.canonical == "phone:+442079460001"
    assert third.contact_id == "6657a1b2c3d4e5f6a7b8c9d0"
    assert third.search == {"external_id": "crm-3"}
    for subject in subjects:
        shown = repr(subject)
        assert "example" not in shown
        assert "7946" not in shown
        assert "crm" not in shown
        assert "DSR" not in shown


def test_two_typings_of_one_number_are_one_subject() -> None:
    parsed = parse_subjects(["a@example.com", "A@Example.com"])
    assert parsed.duplicates == 1


def test_a_header_with_two_delimiters_is_refused_with_the_reason(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "email;phone,external_id\na@example.com;+4420794600;x\n")
    with pytest.raises(InputError, match="more than one of comma, semicolon and tab") as raised:
        read_subjects(path)
    assert raised.value.line == 1


def test_a_spreadsheet_export_with_a_bom_crlf_and_semicolons_is_read(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(b"\xef\xbb\xbfEmail;Phone\r\na@example.com;+44 20 7946 0000\r\n")
    (subject,) = read_subjects(path)
    assert subject.search == {"email": "a@example.com", "phone": "+44 20 7946 0000"}
    assert subject.line == 2


def test_a_semicolon_file_is_not_read_as_one_column(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "name;email\nAda;ada@example.com\nGrace;grace@example.com\n")
    assert [s.value for s in read_subjects(path)] == ["ada@example.com", "grace@example.com"]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("email\nok@example.com\nuser41@example,com\n", 3, "more fields than the header"),
        ('email\nok@example.com\n"user41@example,com"\n', 3, "not an email address"),
        ("name;email\nA;ok@example.com\nB;user41@example,com\n", 3, "not an email address"),
        ("contact_id\nid-1\n../../admin\n", 3, "not an Intercom contact id"),
        ("email,phone\nok@example.com,+44 20 7946 0000 ext 4\n", 2, "letter"),
        ("email,phone\nok@example.com,12345\n", 2, "fewer than 6 digits"),
        ("external_id\ncrm\u200b1\n", 2, r"U\+200B"),
        ("email,reference\nok@example.com,../../etc/passwd\n", 2, "reference"),
    ],
)
def test_a_malformed_field_stops_the_input_and_names_its_line(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    with pytest.raises(InputError, match=reason) as raised:
        read_subjects(csv_file(tmp_path, text))
    assert raised.value.line == line
    for secret in ("user41", "admin", "7946", "crm", "passwd"):
        assert secret not in str(raised.value)


def test_a_text_line_that_cannot_be_an_id_is_refused_as_the_single_command_refuses_it() -> None:
    with pytest.raises(InputError, match="not an Intercom contact id") as raised:
        parse_subjects(["6657a1b2c3d4e5f6a7b8c9d0", "../../admin"])
    assert raised.value.line == 2


def person(fake: FakeIntercom) -> dict[str, str]:
    return {
        "user": fake.add_contact(email="ada@example.com", external_id="crm-1", role="user"),
        "lead_by_id": fake.add_contact(external_id="crm-1", role="lead"),
        "both": fake.add_contact(email="ada@example.com", phone="+442079460000", role="lead"),
        "phone_only": fake.add_contact(phone="+442079460000", role="lead"),
        "bystander": fake.add_contact(email="other@example.com", phone="+442079460009"),
    }


ROW = "reference,email,phone,external_id\nDSR-9,ada@example.com,+44 20 7946 0000,crm-1\n"


async def erase_row(
    tmp_path: Path, journal: Journal, *, include_phone_only: bool = False
) -> tuple[FakeIntercom, dict[str, str], int]:
    """Erase :data:`ROW` in a world holding :func:`person`: (fake, ids, subjects done)."""
    fake = FakeIntercom(TOKEN)
    ids = person(fake)
    subjects = read_subjects(csv_file(tmp_path, ROW))
    resolver = IntercomResolver(TOKEN, transport=fake)
    summary = await run_bulk(
        resolver, "erase", subjects, journal, include_phone_only=include_phone_only
    )
    return fake, ids, summary.done


async def test_bulk_erase_reaches_every_identifier_and_leaves_phone_only_contacts_out(
    tmp_path: Path, journal: Journal
) -> None:
    fake, ids, done = await erase_row(tmp_path, journal)
    assert done == 1
    assert set(fake.contact_ids()) == {ids["phone_only"], ids["bystander"]}
    (outcome,) = journal.report().subjects
    assert outcome.kind is SubjectKind.PERSON
    assert outcome.result == "erased"
    assert {(c.contact_id, c.result) for c in outcome.contacts} == {
        (ids["user"], "deleted"),
        (ids["lead_by_id"], "deleted"),
        (ids["both"], "deleted"),
        (ids["phone_only"], "left_out"),
    }
    # The journal keeps how the row was looked for (kinds) and the DPO's own reference,
    # never an identifier's value.
    assert outcome.kinds == (SubjectKind.EMAIL, SubjectKind.PHONE, SubjectKind.EXTERNAL_ID)
    assert outcome.reference == "DSR-9"
    report = journal.report().model_dump_json()
    for value in ("ada@", "7946", "crm-1"):
        assert value not in report


async def test_include_phone_only_erases_them_and_is_recorded(
    tmp_path: Path, journal: Journal
) -> None:
    fake, ids, _ = await erase_row(tmp_path, journal, include_phone_only=True)
    assert fake.contact_ids() == (ids["bystander"],)
    settings = journal.settings
    assert settings is not None
    assert settings.options["include_phone_only"] == "yes"


async def test_a_row_found_only_by_phone_is_left_out_not_nothing_held(
    tmp_path: Path, journal: Journal
) -> None:
    fake = FakeIntercom(TOKEN)
    held = fake.add_contact(phone="+442079460000", role="lead")
    subjects = read_subjects(csv_file(tmp_path, "phone\n+44 20 7946 0000\n"))
    await run_bulk(IntercomResolver(TOKEN, transport=fake), "erase", subjects, journal)
    (outcome,) = journal.report().subjects
    assert outcome.result == "left_out"
    assert fake.contact_ids() == (held,)


async def test_the_dry_run_lists_phone_only_contacts_and_the_kinds_searched(
    tmp_path: Path,
) -> None:
    fake = FakeIntercom(TOKEN)
    ids = person(fake)
    subjects = read_subjects(csv_file(tmp_path, ROW))
    plans = [p async for p in plan_bulk_erase(IntercomResolver(TOKEN, transport=fake), subjects)]
    (plan,) = plans
    assert plan.searched == ("email", "phone", "external_id")
    assert {(c.contact_id, c.phone_only) for c in plan.contacts} == {
        (ids["user"], False),
        (ids["lead_by_id"], False),
        (ids["both"], False),
        (ids["phone_only"], True),
    }
    assert len(fake.contact_ids()) == 5
