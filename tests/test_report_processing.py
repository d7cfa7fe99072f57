"""The processing record: TOML in, validated model out, errors with the file's line."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from dsr_resolvers import ExportRecord, PiiCategory, SubjectRef
from dsr_resolvers.intercom import IntercomResolver
from dsr_resolvers.report import LegalBasis, ProcessingRecord, ProcessingRecordError
from dsr_resolvers.testing import FakeIntercom

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "docs" / "processing-record.example.toml"

MINIMAL = """\
[controller]
name = "Acme Ltd"
contact = "privacy@acme.example"

[dpo]
contact = "dpo@acme.example"

[categories.contact]
purpose = "Support"
legal_basis = "contract"
retention = "Two years"
recipients = ["Intercom, Inc."]
source = "You"
"""


def problems(text: str) -> tuple[str, ...]:
    with pytest.raises(ProcessingRecordError) as raised:
        ProcessingRecord.from_toml_text(text, name="rec.toml")
    return raised.value.problems


def test_the_documented_example_record_is_valid() -> None:
    record = ProcessingRecord.from_toml(EXAMPLE)
    assert record.controller.name.startswith("Acme")
    assert record.categories[PiiCategory.CONTACT].legal_basis is LegalBasis.CONTRACT
    assert record.sections["events"].legal_basis is LegalBasis.CONSENT
    assert record.supervisory_authority


def test_the_six_legal_bases_name_their_point_of_article_6_1() -> None:
    assert [basis.article for basis in LegalBasis] == [
        f"Art. 6(1)({letter})" for letter in "abcdef"
    ]


def test_an_unknown_category_names_its_line_and_the_known_ones() -> None:
    text = MINIMAL + '\n[categories.contacts]\npurpose = "x"\n'
    assert problems(text) == (
        "rec.toml:15: unknown PII category 'contacts'; use one of contact, identity, financial, "
        "behavioral, technical, location, communication, special",
    )


def test_an_unknown_legal_basis_names_the_line_of_its_key() -> None:
    text = MINIMAL.replace('legal_basis = "contract"', 'legal_basis = "consnet"')
    (problem,) = problems(text)
    assert problem.startswith("rec.toml:10: unknown legal basis 'consnet'; use one of consent,")


def test_a_missing_required_entry_names_the_line_of_its_table() -> None:
    text = MINIMAL.replace('source = "You"\n', "")
    assert problems(text) == (
        "rec.toml:8: missing required entry 'source' in [categories.contact]",
    )
    assert problems(MINIMAL.replace('contact = "dpo@acme.example"\n', "")) == (
        "rec.toml:5: missing required entry 'contact' in [dpo]",
    )


def test_every_problem_is_reported_in_line_order_and_lines_survive_multiline_strings() -> None:
    text = (
        MINIMAL.replace('purpose = "Support"', 'purpose = """Support,\nover\nthree lines"""')
        + '\n[sections.inbox]\npurpose = "x"\n\n[categories.identity]\nlegal_basis = "vibes"\n'
    )
    found = problems(text)
    assert [p.split(":")[1] for p in found] == sorted((p.split(":")[1] for p in found), key=int)
    assert any(p.startswith("rec.toml:17: unknown export section 'inbox'") for p in found)
    assert any(p.startswith("rec.toml:21: unknown legal basis 'vibes'") for p in found)
    assert any(p.startswith("rec.toml:20: missing required entry 'purpose'") for p in found)


def test_invalid_toml_says_so_with_the_parsers_position() -> None:
    (problem,) = problems("[controller\n")
    assert problem.startswith("rec.toml: not valid TOML: ")
    assert "line 1" in problem


def test_section_entries_win_over_the_category_entry() -> None:
    record = ProcessingRecord.from_toml(EXAMPLE)
    note = ExportRecord(
        source="intercom", field="contact.notes.7.body", category="communication", value="x"
    )
    message = note.model_copy(update={"field": "conversation.1.source.body"})
    stranger = note.model_copy(update={"category": PiiCategory.SPECIAL})
    annotated_note, annotated_message, untouched = record.annotate([note, message, stranger])
    assert annotated_note.purpose == record.sections["notes"].purpose
    assert annotated_note.legal_basis == "contract"
    assert annotated_message.purpose == record.categories[PiiCategory.COMMUNICATION].purpose
    assert annotated_message.retention_reason == "36 months after the conversation was closed"
    assert untouched == stranger
    assert record.missing_categories([note, stranger]) == (PiiCategory.SPECIAL,)


def test_the_resolver_fills_legal_basis_purpose_and_retention_on_every_record() -> None:
    fake = FakeIntercom("t")
    contact = fake.add_contact(email="ada@example.com", name="Ada", browser="firefox")
    fake.add_conversation(contact)
    record = ProcessingRecord.from_toml(EXAMPLE)
    resolver = IntercomResolver("t", transport=fake, export_messages=True, processing=record)
    export = asyncio.run(resolver.export_subject(SubjectRef(kind="intercom", value=contact)))
    assert export.records
    for exported in export.records:
        expected = record.processing_of(exported)
        assert expected is not None
        assert exported.legal_basis == expected.legal_basis.value
        assert exported.purpose == expected.purpose
        assert exported.retention_reason == expected.retention
    plain = IntercomResolver("t", transport=fake, export_messages=True)
    bare = asyncio.run(plain.export_subject(SubjectRef(kind="intercom", value=contact)))
    assert all(r.legal_basis is None and r.purpose is None for r in bare.records)


def test_the_access_report_page_shows_the_example_record_verbatim() -> None:
    page = (ROOT / "docs" / "access-report.md").read_text(encoding="utf-8")
    assert "```toml\n" + EXAMPLE.read_text(encoding="utf-8") + "```" in page
