"""Reading bulk inputs: text and CSV, comments and blanks, duplicates, errors without PII."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsr_resolvers.bulk import InputError, Subject, SubjectKind, parse_subjects, read_subjects


def values(parsed: Iterable[Subject]) -> list[tuple[SubjectKind, str, int]]:
    return [(s.kind, s.value, s.line) for s in parsed]


def test_text_lines_become_ids_and_emails_skipping_blanks_and_comments() -> None:
    parsed = parse_subjects(
        [
            "# inactive leads, 2024 retention run\n",
            "6657a1b2c3d4e5f6a7b8c9d0\n",
            "\n",
            "   \n",
            "  Ada.Lovelace@Example.COM  \n",
            "  # an indented comment\n",
            "6657a1b2c3d4e5f6a7b8c9d1",
        ]
    )
    assert values(parsed) == [
        (SubjectKind.CONTACT_ID, "6657a1b2c3d4e5f6a7b8c9d0", 2),
        (SubjectKind.EMAIL, "Ada.Lovelace@Example.COM", 5),
        (SubjectKind.CONTACT_ID, "6657a1b2c3d4e5f6a7b8c9d1", 7),
    ]
    assert parsed.duplicates == 0
    assert len(parsed) == 3


def test_duplicates_are_handled_once_and_counted_first_line_wins() -> None:
    parsed = parse_subjects(["a@example.com", "id-1", "A@EXAMPLE.com", "id-1", "id-2", "id-1"])
    assert values(parsed) == [
        (SubjectKind.EMAIL, "a@example.com", 1),
        (SubjectKind.CONTACT_ID, "id-1", 2),
        (SubjectKind.CONTACT_ID, "id-2", 5),
    ]
    assert parsed.duplicates == 3


def test_contact_ids_keep_their_case() -> None:
    parsed = parse_subjects(["AbC", "abc"])
    assert [s.value for s in parsed] == ["AbC", "abc"]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("ada lovelace@example.com", "whitespace"),
        ("x" * 256, "longer than 255"),
        ("@example.com", "not an email address"),
        ("ada@", "not an email address"),
        ("ada@exa\u200bmple.com", "U+200B"),
        ("ada\x00@example.com", "U+0000"),
        ("\x1b[2Jada@example.com", "U+001B"),
        ("ada@example.com\ufeff", "U+FEFF"),
        ("6657\x85a1b2", "U+0085"),
        ("6657\ra1b2", "U+000D"),
        ("ada@example.com\u2028", "whitespace"),
    ],
)
def test_bad_lines_name_the_line_number_never_the_text(line: str, problem: str) -> None:
    with pytest.raises(InputError) as raised:
        parse_subjects(["ok-id", line])
    assert raised.value.line == 2
    assert problem in str(raised.value)
    assert "lovelace" not in str(raised.value)
    assert "example" not in str(raised.value)
    assert line not in repr(raised.value)


def test_subject_repr_hides_the_value() -> None:
    (subject,) = parse_subjects(["grace@example.com"])
    assert "grace" not in repr(subject)
    assert subject.canonical == "email:grace@example.com"


def test_text_file_with_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "subjects.txt"
    path.write_bytes(b"\xef\xbb\xbfid-1\r\nb@example.com\r\n\r\n")
    assert values(read_subjects(path)) == [
        (SubjectKind.CONTACT_ID, "id-1", 1),
        (SubjectKind.EMAIL, "b@example.com", 2),
    ]


def test_csv_named_column(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "name,Email Address,plan\n"
        'Ada,ada@example.com,"pro, yearly"\n'
        "Grace,,free\n"
        "Ada again,ADA@example.com,pro\n"
        "Linus,linus@example.com,free\n"
    )
    parsed = read_subjects(path, column="Email Address")
    # A file is streamed, duplicates included: the journal keeps the first line of each.
    assert values(parsed) == [
        (SubjectKind.EMAIL, "ada@example.com", 2),
        (SubjectKind.EMAIL, "ADA@example.com", 4),
        (SubjectKind.EMAIL, "linus@example.com", 5),
    ]
    first, again, _ = parsed
    assert first.canonical == again.canonical
    assert len(parsed) == 3


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("contact_id", "value-1"),
        ("intercom_id", "value-1"),
        ("id", "value-1"),
        ("email", "v@example.com"),
        ("EMAIL", "v@example.com"),
        ("phone", "+44 20 7946 0000"),
        ("External_ID", "crm/7"),
    ],
)
def test_csv_known_column_is_found_without_naming_it(
    tmp_path: Path, header: str, value: str
) -> None:
    path = tmp_path / "ids.csv"
    path.write_text(f"created,{header},note\n2024-01-01,{value},x\n# skipped,value-2,\n")
    assert [s.value for s in read_subjects(path)] == [value]


def test_csv_single_column_is_used(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("whatever\nid-1\nid-2\n")
    assert [s.value for s in read_subjects(path)] == ["id-1", "id-2"]


def test_csv_without_a_usable_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="name the CSV column"):
        read_subjects(path)
    with pytest.raises(InputError, match="no column named 'c'"):
        read_subjects(path, column="c")


def test_headerless_csv_is_refused_rather_than_losing_its_first_subject(tmp_path: Path) -> None:
    path = tmp_path / "emails.csv"
    path.write_text("ada@example.com\ngrace@example.com\n")
    with pytest.raises(InputError, match="add a header row") as raised:
        read_subjects(path)
    assert "ada" not in str(raised.value)


def test_csv_short_record_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("name,id\nAda,id-1\nGrace\n")
    with pytest.raises(InputError) as raised:
        read_subjects(path)
    assert raised.value.line == 3


def test_non_utf8_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_bytes(b"caf\xe9@example.com\n")
    with pytest.raises(InputError, match="not UTF-8"):
        read_subjects(path)


@pytest.mark.parametrize(
    ("content", "line", "shown"),
    [
        (b"id-1\n\xef\xbb\xbfid-2\n", 2, "U+FEFF"),  # a BOM after the start of the file
        (b"id-1\nid-2\nid\r3\n", 3, "U+000D"),  # a lone CR is no line break
        ("id-1\nid\x852\nid-3\n".encode(), 2, "U+0085"),  # nor is NEL
        ("id-1\nid-2\u2028x\nid-3\n".encode(), 2, "whitespace"),  # nor U+2028
        ("id-1\nid-2\nada\u200b@example.com\n".encode(), 3, "U+200B"),
        (b"id-1\x00\n", 1, "U+0000"),
        (b"id-1\r\nid-2\r\n\x1b[31mid-3\r\n", 3, "U+001B"),
    ],
)
def test_hidden_characters_anywhere_stop_the_input_at_their_line(
    tmp_path: Path, content: bytes, line: int, shown: str
) -> None:
    path = tmp_path / "ids.txt"
    path.write_bytes(content)
    with pytest.raises(InputError) as raised:
        read_subjects(path)
    assert raised.value.line == line
    assert shown in str(raised.value)


def test_only_lf_and_crlf_end_lines(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_bytes(b"\xef\xbb\xbfid-1\r\nid-2\n\nid-3")
    assert values(read_subjects(path)) == [
        (SubjectKind.CONTACT_ID, "id-1", 1),
        (SubjectKind.CONTACT_ID, "id-2", 2),
        (SubjectKind.CONTACT_ID, "id-3", 4),
    ]


def test_an_address_is_sent_as_typed_and_deduplicated_without_case() -> None:
    parsed = parse_subjects(["  Ada@Example.com ", "ada@example.COM"])
    (subject,) = parsed
    assert subject.value == "Ada@Example.com"
    assert subject.canonical == "email:ada@example.com"
    assert parsed.duplicates == 1


def test_empty_csv_has_no_subjects(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("")
    assert len(read_subjects(path)) == 0


_ids = st.text(alphabet="abcdef0123456789", min_size=1, max_size=24)


@given(st.lists(_ids, max_size=40))
def test_parsing_keeps_first_occurrences_in_order(ids: list[str]) -> None:
    parsed = parse_subjects(ids)
    expected = list(dict.fromkeys(ids))
    assert [s.value for s in parsed] == expected
    assert parsed.duplicates == len(ids) - len(expected)
    assert all(ids[s.line - 1] == s.value for s in parsed)


def test_a_reference_repeating_an_identifier_of_its_row_is_refused_naming_the_line(
    tmp_path: Path,
) -> None:
    """The reference names the receipt: it must never carry the person's identifier."""
    path = tmp_path / "rows.csv"
    path.write_text("reference,external_id,email\nREQ-1,crm-7,a@example.com\nCRM-7,crm-7,\n")
    with pytest.raises(InputError, match="repeats an identifier") as caught:
        read_subjects(path)
    assert caught.value.line == 3
    assert "crm" not in str(caught.value).lower()
    with pytest.raises(ValueError, match="letters, digits"):
        Subject(1, ((SubjectKind.EMAIL, "a@example.com"),), reference="../etc")
