"""The report and the receipt are written for a person: words, never the engineers' vocabulary.

The checks here run on the HTML (fast); ``test_report_browser.py`` runs the same
:func:`person_facing_problems` on what Chromium renders. Besides them: format controls are
shown, long values are capped and breakable, the processing record's Art. 15(1)(h) and
15(2) entries reach the report, and citations follow one style per language.
"""

from __future__ import annotations

import asyncio
import re
import sys
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from dsr_resolvers import ExportRecord, PiiCategory, ResolverExport, SubjectRef
from dsr_resolvers.intercom import IntercomResolver
from dsr_resolvers.report import (
    ContactErasure,
    ErasureReceipt,
    LegalBasis,
    ProcessingRecord,
    ProcessingRecordError,
    render_access_report,
    render_erasure_receipt,
    section_of,
)
from dsr_resolvers.report._page import _FORMAT_CONTROLS, SHOWN_MAX
from dsr_resolvers.sandbox import DEFAULT_TOKEN, seed_demo
from dsr_resolvers.testing import FakeIntercom
from tests.test_report_processing import EXAMPLE, MINIMAL
from tests.test_report_receipt import erase_demo_subject

HEADERS = frozenset({"th", "dt", "h1", "h2", "h3", "h4", "h5"})
CELLS = frozenset({"td", "dd"})

ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
FIELD_PATH = re.compile(r"\b(contact|conversation|ticket|event|event_summary)\.\w")
ENGINEERING = (
    re.compile(r"\b(GET|POST|PUT|DELETE) /"),  # a route
    re.compile(r"/contacts/|\{id\}"),
    re.compile(r"\b\w+=(True|False|'|\")"),  # a parameter: export_archived=True, policy='...'
    re.compile(r"\b[a-z]+_[a-z_]+\b"),  # a code: opt_in, in_progress, redact_messages
    re.compile(r"\b[Rr]esolver\b"),
    re.compile(r"dsr-resolvers/"),  # the receipt's format identifier
)
RAW_CODES = frozenset({"user", "lead", "opt_in", "opt_out", "in_progress", "Customer"})
"""Intercom's codes, never shown as they are; in German not its English states either."""
ENGLISH_STATES = frozenset({"open", "closed", "snoozed", "submitted", "resolved"})


class Parts(HTMLParser):
    """The text of every header, cell and message body of a document, apart."""

    def __init__(self, document: str) -> None:
        super().__init__(convert_charrefs=True)
        self.headers: list[str] = []
        self.cells: list[str] = []
        self.text: list[str] = []  # everything visible but message bodies
        self._open: list[tuple[str, list[str]]] = []
        self._skip = 0
        self.feed(document)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "title") or (tag == "div" and ("class", "body") in attrs):
            self._skip += 1
            self._open.append(("skip", []))
        elif tag in HEADERS | CELLS:
            self._open.append((tag, []))
        elif tag not in ("br", "wbr", "meta"):
            self._open.append(("", []))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("br", "wbr") or not self._open:
            return
        kind, text = self._open.pop()
        joined = " ".join("".join(text).split())
        if kind == "skip":
            self._skip -= 1
        elif kind in HEADERS:
            self.headers.append(joined)
        elif kind in CELLS:
            self.cells.append(joined)
        if self._open and kind != "skip":
            self._open[-1][1].append("".join(text))

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text.append(data)
        if self._open:
            self._open[-1][1].append(data)


def item_ids(exports: Mapping[str, ResolverExport]) -> set[str]:
    """Every Intercom id an export holds: contacts, and the items in its field paths."""
    ids = set(exports)
    for export in exports.values():
        for record in export.records:
            ids.update(
                p
                for p in record.field.split(".")
                if len(p) > 2 and p.isalnum() and any(c.isdigit() for c in p)
            )
    return ids


def person_facing_problems(
    headers: Iterable[str], cells: Iterable[str], text: str, ids: Iterable[str], language: str
) -> list[str]:
    """What a person should never read in a report or a receipt (empty when none)."""
    found = []
    headers, cells = list(headers), list(cells)
    for header in headers:
        if FIELD_PATH.search(header):
            found.append(f"a field path as a header: {header!r}")
        for id_ in ids:
            labelled = re.search(rf"(reference|referenz)[^\w]*(in intercom: )?{id_}", header, re.I)
            if re.search(rf"\b{re.escape(id_)}\b", header) and not labelled:
                found.append(f"an Intercom id as a label: {header!r}")
    for cell in cells:
        if FIELD_PATH.match(cell):
            found.append(f"a field path in a cell: {cell!r}")
        if cell in RAW_CODES or (language != "en" and cell in ENGLISH_STATES):
            found.append(f"a raw code in a cell: {cell!r}")
    if ISO_MOMENT.search(text):
        found.append(f"a raw ISO time: {ISO_MOMENT.search(text)!r}")
    for pattern in ENGINEERING:
        hit = pattern.search(text)
        if hit:
            found.append(f"an engineering identifier: {text[hit.start() - 30 : hit.end() + 30]!r}")
    return found


def demo_exports(
    *, messages: bool = True, custom: Mapping[str, PiiCategory] | None = None
) -> tuple[dict[str, ResolverExport], IntercomResolver]:
    fake = FakeIntercom(DEFAULT_TOKEN)
    demo = seed_demo(fake)
    resolver = IntercomResolver(
        DEFAULT_TOKEN, transport=fake, export_messages=messages, custom_attributes=custom
    )

    async def export_all() -> dict[str, ResolverExport]:
        ids = await resolver.find_contact_ids(email=demo.shared_email)
        return {i: await resolver.export_subject(SubjectRef(kind="intercom", value=i)) for i in ids}

    return asyncio.run(export_all()), resolver


def check(document: str, ids: Iterable[str]) -> Parts:
    parts = Parts(document)
    language = re.search(r'<html lang="(\w+)">', document)
    problems = person_facing_problems(
        parts.headers, parts.cells, "".join(parts.text), ids, language[1] if language else "en"
    )
    assert problems == []
    return parts


@pytest.mark.parametrize("language", ["en", "de"])
def test_no_header_or_cell_of_the_report_speaks_the_engineers_vocabulary(language: str) -> None:
    exports, resolver = demo_exports(custom={"plan": PiiCategory.BEHAVIORAL})
    record = ProcessingRecord.from_toml(EXAMPLE)
    document = render_access_report(exports, resolver.covered_surface, record, language=language)
    parts = check(document, item_ids(exports))
    held = {section_of(r.field) for export in exports.values() for r in export.records}
    assert {"segments", "subscriptions", "event_summaries", "tickets", "events"} <= held
    agreed, declined = ("agreed", "declined") if language == "en" else ("zugestimmt", "abgelehnt")
    assert ["Newsletter", declined] == parts.cells[parts.cells.index("Newsletter") :][:2]
    assert ["Product updates", agreed] == parts.cells[parts.cells.index("Product updates") :][:2]
    assert "Pro customers" in parts.cells
    assert ("4 out of 5" if language == "en" else "4 von 5") in " ".join(parts.cells)
    assert ("in progress" if language == "en" else "in Bearbeitung") in parts.cells
    assert "Refund for duplicate charge" in parts.headers  # a ticket's title heads its card


def test_the_german_report_and_receipt_are_german_throughout() -> None:
    exports, resolver = demo_exports()
    record = ProcessingRecord.from_toml(EXAMPLE)
    german = render_access_report(exports, resolver.covered_surface, record, language="de")
    text = "".join(Parts(german).text)
    for english in ("Record", "Reference", "agreed", "declined", "What this report"):
        assert english not in text, english
    receipt, _, ids = erase_demo_subject()
    document = render_erasure_receipt(receipt, language="de")
    parts = check(document, ids)
    text = "".join(parts.text)
    for english in ("Resolver", "redact", "erased", "complete", "Intercom documents"):
        assert english not in text, english


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_receipt_speaks_words_not_identifiers(language: str) -> None:
    receipt, _, ids = erase_demo_subject()
    check(render_erasure_receipt(receipt, language=language), ids)


def test_attachments_sit_in_the_card_of_the_message_they_belong_to() -> None:
    exports, resolver = demo_exports()
    document = render_access_report(exports, resolver.covered_surface, None)
    card = re.search(
        r'<div class="message">((?:(?!<div class="message">).)*login-error\.png.*?)'
        r"</ul></div>",
        document,
    )
    assert card is not None
    assert "+44 20 7946 0958" in card.group(1)  # the reply the file was attached to
    assert "Files you attached" in card.group(1)
    assert "48.2 kB" in card.group(1)


@pytest.mark.parametrize("language", ["en", "de"])
def test_what_the_report_does_not_cover_is_plain_language(language: str) -> None:
    for messages in (True, False):
        exports, resolver = demo_exports(messages=messages)
        document = render_access_report(exports, resolver.covered_surface, None, language=language)
        scope = document[document.index('<section id="scope">') :]
        check(scope, item_ids(exports))
        said = {
            "en": ("only the messages you wrote", "The text of your messages"),
            "de": ("nur Ihre eigenen Nachrichten", "Der Text Ihrer Nachrichten"),
        }[language]
        assert said[0 if messages else 1] in scope
        assert said[1 if messages else 0] not in scope


def test_the_demos_data_events_fall_inside_intercoms_90_day_window() -> None:
    exports, resolver = demo_exports()
    events = [r for e in exports.values() for r in e.records if r.field.startswith("event.")]
    assert len(events) >= 3  # listed one by one, not only counted by the summary
    document = render_access_report(exports, resolver.covered_surface, None)
    assert "<h4>Events</h4>" in document


def test_citations_follow_one_style_per_language() -> None:
    exports, resolver = demo_exports()
    record = ProcessingRecord.from_toml(EXAMPLE)
    styles = {
        "en": r"Art\. \d+(\(\d+\))?( and \(\d+\)|\([a-z]\))? (GDPR|of the General Data)",
        "de": r"Art\. \d+( Abs\. \d+( und \d+| lit\. [a-z])?)? (DSGVO|der Datenschutz)",
    }
    for language, style in styles.items():
        document = render_access_report(
            exports, resolver.covered_surface, record, language=language
        )
        receipt, _, _ = erase_demo_subject()
        for page in (document, render_erasure_receipt(receipt, language=language)):
            text = " ".join("".join(Parts(page).text).split())
            cited = re.findall(r"Art\.[^;:,]{0,40}", text)
            assert cited
            for citation in cited:
                assert re.match(style, citation), citation


# -- format controls ---------------------------------------------------------------------------

BIDI = "".join(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))


def test_the_table_of_format_controls_holds_every_one_unicodedata_knows() -> None:
    listed = {c for low, high in _FORMAT_CONTROLS for c in range(low, high + 1)}
    known = {c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"}
    assert known - {0x200C, 0x200D} <= listed
    assert {0x200C, 0x200D}.isdisjoint(listed)


def test_bidi_and_other_format_controls_are_shown_visibly_in_the_report_and_receipt() -> None:
    fake = FakeIntercom(DEFAULT_TOKEN)
    sneaky = f"Sam {BIDI}\u200b\u00ad\ufeff\U000e0041 Rivera"
    contact = fake.add_contact(email="sam@example.com", name=sneaky, role="user")
    conversation = fake.add_conversation(contact, source_body=f"<p>pay {BIDI} here</p>")
    fake.add_part(conversation, author="contact", body=f"<p>{sneaky}</p>")
    resolver = IntercomResolver(DEFAULT_TOKEN, transport=fake, export_messages=True)
    export = asyncio.run(resolver.export_subject(SubjectRef(kind="intercom", value=contact)))
    receipt = ErasureReceipt(
        subject_reference=f"REQ-{BIDI}-1",
        resolver="intercom",
        requested_at=datetime(2026, 1, 1, tzinfo=UTC),
        completed_at=datetime(2026, 1, 1, tzinfo=UTC),
        policy="delete_contact",
        contacts=(ContactErasure(contact_id=contact, outcome="erased"),),
        surface_sha256="0" * 64,
    )
    for document in (
        render_access_report({contact: export}, resolver.covered_surface, None),
        render_access_report({contact: export}, resolver.covered_surface, None, language="de"),
        render_erasure_receipt(receipt),
    ):
        assert not any(unicodedata.category(c) == "Cf" for c in document)
        for code in (0x202A, 0x202E, 0x2066, 0x2069):
            assert f"[U+{code:04X}]" in document
    report = render_access_report({contact: export}, resolver.covered_surface, None)
    for marker in ("[U+200B]", "[U+00AD]", "[U+FEFF]", "[U+E0041]"):
        assert marker in report


def test_joiners_stay_since_they_shape_letters_and_move_nothing() -> None:
    family = (
        "\U0001f468\u200d\U0001f469\u200d\U0001f467 and \u0645\u06cc\u200c\u062e\u0648\u0627\u0645"
    )
    record = ExportRecord(
        source="intercom", field="contact.name", category=PiiCategory.IDENTITY, value=family
    )
    surface = IntercomResolver("t").covered_surface
    document = render_access_report(
        {"c1": ResolverExport(resolver="intercom", records=(record,))}, surface, None
    )
    assert family in document


# -- long values ---------------------------------------------------------------------------------

MEGABYTE = 1 << 20


def long_value_exports() -> dict[str, ResolverExport]:
    """One contact whose custom attribute, note and message are each a 1 MB unbroken value."""
    huge = "x" * MEGABYTE

    def record(field: str, category: PiiCategory, value: str) -> ExportRecord:
        return ExportRecord(source="intercom", field=field, category=category, value=value)

    records = (
        record("contact.name", PiiCategory.IDENTITY, "Sam Rivera"),
        record("contact.custom_attributes.blob", PiiCategory.BEHAVIORAL, huge),
        record("contact.notes.1.body", PiiCategory.COMMUNICATION, f"<p>{huge}</p>"),
        record("conversation.7.source.body", PiiCategory.COMMUNICATION, huge),
    )
    return {"c1": ResolverExport(resolver="intercom", records=records)}


def test_a_long_value_is_shown_in_part_with_a_note_and_breaks_between_short_runs() -> None:
    surface = IntercomResolver("t", export_messages=True).covered_surface
    for language, note, whole in (
        ("en", "shown in part: the first 20,000 of 1,048,576 characters", "JSON export"),
        ("de", "gekürzt: die ersten 20.000 von 1.048.576 Zeichen", "JSON-Export"),
    ):
        document = render_access_report(long_value_exports(), surface, None, language=language)
        assert len(document) < 6 * SHOWN_MAX * 2  # three values, each cut (and <wbr> added)
        assert note in document
        assert document.count(whole) >= 3
        body = document.split("<body>", 1)[1]
        assert re.search(r"[^\s<>]{49,}", body) is None  # every long run can break
        # Never page-wide: only identifiers in cells, which are short.
        anywhere = [line for line in document.splitlines() if "overflow-wrap: anywhere" in line]
        assert [line.split("{")[0].strip() for line in anywhere] == ["td .mono"]


# -- the processing record: Art. 15(1)(h) and 15(2) --------------------------------------------


def test_the_example_record_states_event_summaries_like_events() -> None:
    record = ProcessingRecord.from_toml(EXAMPLE)
    summary = ExportRecord(
        source="intercom",
        field="event_summary.0.count",
        category=PiiCategory.BEHAVIORAL,
        value="3",
    )
    (annotated,) = record.annotate([summary])
    assert annotated.legal_basis == LegalBasis.CONSENT.value
    assert record.automated_decisions is not None
    assert record.transfers


def test_automated_decisions_and_transfers_reach_the_report() -> None:
    exports, resolver = demo_exports()
    surface = resolver.covered_surface
    used = ProcessingRecord.from_toml_text(
        MINIMAL + '[automated_decisions]\nused = true\nlogic = "A score from your payments"\n'
        'significance = "Whether you may pay by invoice"\n'
        '[[transfers]]\nrecipient = "Intercom, Inc."\ncountry = "United States"\n'
        'safeguard = "standard_contractual_clauses"\n'
    )
    document = render_access_report(exports, surface, used)
    for said in (
        "Automated decisions (Art. 15(1)(h) GDPR)",
        "A score from your payments",
        "Whether you may pay by invoice",
        "Transfers outside the EU and the EEA (Art. 15(2) GDPR)",
        "standard data protection clauses adopted by the European Commission (Art. 46(2)(c) GDPR)",
    ):
        assert said in document, said
    german = render_access_report(exports, surface, used, language="de")
    assert "Standarddatenschutzklauseln (Art. 46 Abs. 2 lit. c DSGVO)" in german
    none = ProcessingRecord.from_toml_text(
        "transfers = []\n" + MINIMAL + "[automated_decisions]\nused = false\n"
    )
    document = render_access_report(exports, surface, none)
    assert "Your data is not transferred to a country outside" in document
    assert "No decision about you is made solely by automated means" in document
    silent = ProcessingRecord.from_toml_text(MINIMAL)
    document = render_access_report(exports, surface, silent)
    assert "has not stated whether decisions about you" in document
    assert "has not stated whether your data is transferred" in document
    assert "ask the controller" not in document.lower()


def test_automated_decisions_in_use_must_be_explained_and_safeguards_are_named() -> None:
    text = MINIMAL + "\n[automated_decisions]\nused = true\n"
    with pytest.raises(ProcessingRecordError) as raised:
        ProcessingRecord.from_toml_text(text, name="rec.toml")
    assert raised.value.problems == (
        "rec.toml:15: with used = true, give logic and significance (Art. 15(1)(h)) in "
        "[automated_decisions]",
    )
    text = MINIMAL + (
        '\n[[transfers]]\nrecipient = "A"\ncountry = "B"\nsafeguard = "adequacy_decision"\n'
        '\n[[transfers]]\nrecipient = "C"\ncountry = "D"\nsafeguard = "a handshake"\n'
    )
    with pytest.raises(ProcessingRecordError) as raised:
        ProcessingRecord.from_toml_text(text, name="rec.toml")
    assert raised.value.problems == (
        "rec.toml:23: unknown safeguard 'a handshake'; use one of adequacy_decision, "
        "standard_contractual_clauses, binding_corporate_rules, code_of_conduct, "
        "certification, derogation (Chapter V GDPR)",
    )
