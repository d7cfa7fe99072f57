"""The access report: an Art. 15 answer a person can read, in one self-contained HTML file.

Art. 12(1) asks for a "concise, transparent, intelligible and easily accessible form"; the
JSON export is for machines. The report shows, in this order:

| part                         | from                                                        |
|------------------------------|-------------------------------------------------------------|
| who it is for, when produced | names and emails among the records; the contact ids; how    |
|                              | the person was looked for (kinds, never values) and what    |
|                              | search cannot see; a time                                   |
| summary by category          | the records, counted per ``PiiCategory``                    |
| Art. 15(1) and (2)           | the :class:`ProcessingRecord` (purposes ... automated        |
|                              | decisions, transfers), or a visible note without one         |
| the data, by section         | one table row (or card) per item, labelled in words; values  |
|                              | in words where Intercom stores a code (``opt_in``: "agreed") |
| the messages they wrote      | one card per message: its text sanitised (``_sanitize.py``), |
|                              | its attachments                                              |
| what is not covered          | plain words, from what the covered surface's fields and      |
|                              | exclusions say is reached (never its engineers' notes)       |

How values are shown:

| value                                   | shown as                                           |
|-----------------------------------------|----------------------------------------------------|
| an ISO 8601 time with a zone            | ``2024-07-11 00:00 UTC``, whatever its key          |
| ``true`` / ``false``                    | yes / no                                           |
| a code with words in the catalogue      | the words (``in_progress``: "in progress")         |
| a conversation rating 1-5               | "4 out of 5", with its remark and date             |
| longer than ``SHOWN_MAX`` characters    | the start, then "shown in part; the full value is   |
|                                         | in the JSON export"                                |
| anything else                           | the text, escaped, long runs breakable             |

Every record of every export appears exactly once in the tables or the messages. Nothing in
the page runs or fetches anything (see ``_page.py``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Final

from dsr_resolvers._version import __version__
from dsr_resolvers.contract import CoveredSurface, ExportRecord, PiiCategory, ResolverExport
from dsr_resolvers.report._catalogue import FIELDS, Words
from dsr_resolvers.report._page import (
    SHOWN_MAX,
    LookedFor,
    format_moment,
    looked_for,
    page,
    table,
    text_html,
)
from dsr_resolvers.report._processing import (
    LegalBasis,
    Processing,
    ProcessingRecord,
    SectionProcessing,
    Transfer,
)
from dsr_resolvers.report._sanitize import message_html
from dsr_resolvers.report._sections import SECTIONS, Section, section_of

__all__ = ["render_access_report"]


def render_access_report(
    exports: Mapping[str, ResolverExport],
    surface: CoveredSurface,
    processing: ProcessingRecord | None = None,
    *,
    language: str = "en",
    produced_at: datetime | None = None,
    searched: Sequence[LookedFor] | None = None,
) -> str:
    """Render the Art. 15 access report of one person as one self-contained HTML page.

    Args:
        exports: Each export of the person, by the id of the contact it was made for (one
            person may be several Intercom contacts: a user and leads sharing an email).
        surface: The covered surface the exports were produced under: what the report says
            it does not cover comes from here.
        processing: The controller's record of processing, for the Art. 15(1) information;
            ``None`` shows a visible note that it was not provided.
        language: ``"en"`` or ``"de"``.
        produced_at: When the exports were made (default: now), shown with its time zone.
        searched: How the person was looked for: ``contact_id`` and the identifier kinds
            searched (``email``, ``phone``, ``external_id``), shown in words with what search
            cannot see (archived contacts, contacts created minutes ago); never the values.

    Returns:
        The HTML document: no script, no external resource, printable to A4.

    Raises:
        ValueError: An unknown language.
    """
    words = Words(language)
    moment = produced_at or datetime.now(UTC)
    records = [record for export in exports.values() for record in export.records]
    parts = [
        _header(words, exports, moment, searched),
        _summary(words, records),
        _art15(words, records, processing),
        _data(words, exports),
        _scope(words, surface),
        f"<footer><p>{escape(words('generator', version=__version__))}</p></footer>",
    ]
    return page(language=words.language, title=words("title"), body="\n".join(parts))


# -- header and summary ----------------------------------------------------------------------


def _facts(pairs: Iterable[tuple[str, str]]) -> str:
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{v}</dd>" for k, v in pairs)
    return f'<dl class="facts">{rows}</dl>'


def _header(
    words: Words,
    exports: Mapping[str, ResolverExport],
    moment: datetime,
    searched: Sequence[LookedFor] | None,
) -> str:
    who: dict[str, None] = {}
    for export in exports.values():
        for record in export.records:
            if record.field in ("contact.name", "contact.email"):
                who.setdefault(record.value)
    facts = []
    if who:
        facts.append((words("for"), escape(", ".join(who))))
    ids = ", ".join(f'<span class="mono">{escape(i)}</span>' for i in exports)
    facts.append((words("contact_ids"), ids or "-"))
    note = None
    if searched is not None:
        shown, note = looked_for(words, searched)
        facts.append((words("looked_for"), shown))
    facts.append((words("produced"), escape(format_moment(moment))))
    return (
        f"<header><h1>{escape(words('title'))}</h1>"
        f'<p class="lede">{escape(words("lede"))}</p>{_facts(facts)}{note or ""}</header>'
    )


def _summary(words: Words, records: list[ExportRecord]) -> str:
    out = [f'<section id="summary"><h2>{escape(words("summary"))}</h2>']
    if not records:
        out.append(f'<p class="note">{escape(words("nothing_held"))}</p></section>')
        return "".join(out)
    counts = Counter(record.category for record in records)
    out.append(f"<p>{escape(words('summary_intro', records=len(records)))}</p>")
    rows = [
        [
            escape(words(f"cat_{category.value}")),
            escape(words(f"cat_{category.value}_about")),
            str(counts[category]),
        ]
        for category in PiiCategory
        if counts[category]
    ]
    out.append(
        table(
            [words("category"), words("what_it_is"), words("records")], rows, numeric=frozenset({2})
        )
    )
    out.append("</section>")
    return "".join(out)


# -- Art. 15(1) and (2) ------------------------------------------------------------------------


def _basis(words: Words, basis: LegalBasis) -> str:
    return escape(f"{words('basis_' + basis.value)} ({words.cite(6, 1, basis.point)})")


def _recipients(words: Words, recipients: Iterable[str]) -> str:
    listed = list(recipients)
    return text_html("; ".join(listed)) if listed else escape(words("no_recipients"))


def _entry_facts(words: Words, entry: Processing | SectionProcessing) -> str:
    """The stated entries of one category or section, as a list of facts."""
    facts = []
    if entry.purpose is not None:
        facts.append((words("purpose"), text_html(entry.purpose)))
    if entry.legal_basis is not None:
        facts.append((words("legal_basis"), _basis(words, entry.legal_basis)))
    if entry.retention is not None:
        facts.append((words("retention"), text_html(entry.retention)))
    if entry.recipients is not None:
        facts.append((words("recipients"), _recipients(words, entry.recipients)))
    if entry.source is not None:
        facts.append((words("source"), text_html(entry.source)))
    return _facts(facts)


def _note(text: str) -> str:
    return f'<p class="note">{text_html(text)}</p>'


def _automated(words: Words, processing: ProcessingRecord) -> str:
    out = [f"<h3>{escape(words('adm'))}</h3>"]
    stated = processing.automated_decisions
    if stated is None:
        out.append(_note(words("adm_not_stated")))
    elif not stated.used:
        out.append(f"<p>{escape(words('adm_none'))}</p>")
    else:
        out.append(f"<p>{escape(words('adm_used'))}</p>")
        out.append(
            _facts(
                [
                    (words("adm_logic"), text_html(stated.logic or "")),
                    (words("adm_significance"), text_html(stated.significance or "")),
                ]
            )
        )
    return "".join(out)


def _safeguard(words: Words, transfer: Transfer) -> str:
    said = f"{words('safeguard_' + transfer.safeguard.value)} "
    said += f"({words.cite(*transfer.safeguard.citation)})"
    if transfer.details:
        said += f"; {transfer.details}"
    return text_html(said)


def _transfers(words: Words, processing: ProcessingRecord) -> str:
    out = [f"<h3>{escape(words('transfers'))}</h3>"]
    if processing.transfers is None:
        out.append(_note(words("transfers_not_stated")))
    elif not processing.transfers:
        out.append(f"<p>{escape(words('transfers_none'))}</p>")
    else:
        headers = [words("transfer_recipient"), words("transfer_country")]
        headers.append(words("transfer_safeguard"))
        rows = [
            [text_html(t.recipient), text_html(t.country), _safeguard(words, t)]
            for t in processing.transfers
        ]
        out.append(table(headers, rows))
    return "".join(out)


def _art15(words: Words, records: list[ExportRecord], processing: ProcessingRecord | None) -> str:
    out = [f'<section id="art15"><h2>{escape(words("art15"))}</h2>']
    if processing is None:
        out.append(_note(words("no_record")))
    else:
        dpo = processing.dpo
        dpo_text = f"{dpo.name}, {dpo.contact}" if dpo.name else dpo.contact
        controller = processing.controller
        out.append(
            _facts(
                [
                    (words("controller"), text_html(f"{controller.name}, {controller.contact}")),
                    (words("dpo"), text_html(dpo_text)),
                ]
            )
        )
        present = [c for c in PiiCategory if any(r.category is c for r in records)]
        for category in present or list(processing.categories):
            out.append(f"<h3>{escape(words(f'cat_{category.value}'))}</h3>")
            entry = processing.categories.get(category)
            if entry is None:
                out.append(f'<p class="note">{escape(words("not_stated"))}</p>')
            else:
                out.append(_entry_facts(words, entry))
        sections_present = {section_of(r.field) for r in records} or set(processing.sections)
        for section, override in processing.sections.items():
            if section in sections_present:
                title = f"{words('section_overrides')}: {words('sec_' + section)}"
                out.append(f"<h3>{escape(title)}</h3>{_entry_facts(words, override)}")
        out.append(_automated(words, processing))
        out.append(_transfers(words, processing))
    out.append(f"<h3>{escape(words('rights'))}</h3><p>{escape(words('rights_text'))}</p>")
    authority = processing.supervisory_authority if processing else None
    complaint = words("complaint_named", authority=authority) if authority else words("complaint")
    out.append(f"<p>{text_html(complaint)}</p></section>")
    return "".join(out)


# -- values ------------------------------------------------------------------------------------

_ISO_MOMENT: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})", re.ASCII
)

_VOCABULARY: Final[dict[tuple[Section, str], str]] = {
    ("profile", "role"): "role_",
    ("subscriptions", "consent_type"): "consent_",
    ("conversations", "state"): "state_",
    ("tickets", "ticket_state.category"): "ticket_state_",
    ("tickets", "category"): "ticket_category_",
}
"""Keys whose values are Intercom codes, and the catalogue prefix of their words."""


def _moment(value: str) -> str | None:
    """An ISO 8601 time with a zone in the report's format; ``None`` for anything else."""
    if _ISO_MOMENT.fullmatch(value) is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return format_moment(parsed)


def _number(words: Words, value: float, decimals: int = 0) -> str:
    text = f"{value:,.{decimals}f}"
    if words.language == "de":
        text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return text


def _plain(words: Words, value: str) -> str:
    """Text as safe HTML, cut at ``SHOWN_MAX`` characters with a note saying so."""
    if len(value) <= SHOWN_MAX:
        return text_html(value)
    note = words("shown_in_part", shown=_number(words, SHOWN_MAX), total=_number(words, len(value)))
    return f'{text_html(value[:SHOWN_MAX])} <span class="cut">{escape(note)}</span>'


def _value(words: Words, key: str, value: str, section: Section = "other") -> str:
    """One record value as safe HTML: bodies sanitised, times, yes/no and codes in words."""
    if key == "body" or key.endswith(".body"):
        body = message_html(value, image_label=words("image"), cut_note=words("text_in_part"))
        return f'<div class="body">{body}</div>'
    moment = _moment(value)
    if moment is not None:
        return escape(moment)
    if value in ("true", "false"):
        return escape(words("yes" if value == "true" else "no"))
    prefix = _VOCABULARY.get((section, key)) or _VOCABULARY_MORE.get((section, key))
    if prefix is not None:
        code = prefix + value.strip().lower().replace("-", "_").replace(" ", "_")
        if words.has(code):
            return escape(words(code))
    return _plain(words, value)


def _size(words: Words, value: str) -> str:
    if not value.isdigit():
        return _plain(words, value)
    size = int(value)
    if size < 1000:
        return escape(words("bytes", n=_number(words, size)))
    if size < 1_000_000:
        return escape(words("kilobytes", n=_number(words, size / 1000, 1)))
    return escape(words("megabytes", n=_number(words, size / 1_000_000, 1)))


def _label(words: Words, key: str) -> str:
    """A record key in words; custom attribute and metadata names with spaces for ``_``."""
    head, _, rest = key.partition(".")
    if head == "social_profiles":
        n, _, what = rest.partition(".")
        number = int(n) + 1 if n.isdigit() else n
        return words("social_profile", n=number, what=words.field(what))
    if head == "custom_attributes" or (head == "ticket_attributes" and key not in FIELDS):
        return words("custom_attribute", name=rest.replace("_", " ").strip())
    return words.field(key)


# -- the data ----------------------------------------------------------------------------------

_VOCABULARY_MORE: Final[dict[tuple[Section, str], str]] = {
    ("calls", "direction"): "direction_",
    ("calls", "state"): "call_state_",
}

_ITEM_PREFIXES: Final[dict[Section, str]] = {
    "tags": "contact.tags.",
    "companies": "contact.companies.",
    "notes": "contact.notes.",
    "segments": "contact.segments.",
    "subscriptions": "contact.subscriptions.",
    "conversations": "conversation.",
    "tickets": "ticket.",
    "calls": "call.",
    "events": "event.",
    "event_summaries": "event_summary.",
}
"""Sections of items: ``<prefix><item id>.<key>``; each item is one row (or card)."""

_Cell = Callable[[Words, Mapping[str, str]], str]
_Column = tuple[str, Callable[[str], bool], _Cell]
"""A column of a section of items: its header, which keys it shows, how it shows them."""


def _cell(header: str, key: str, section: Section) -> _Column:
    def render(words: Words, item: Mapping[str, str]) -> str:
        return _value(words, key, item[key], section) if key in item else ""

    return header, key.__eq__, render


def _rating(words: Words, item: Mapping[str, str]) -> str:
    lines = []
    score = item.get("rating.rating")
    if score is not None:
        rated = score in ("1", "2", "3", "4", "5")
        lines.append(escape(words("rating_of", n=score)) if rated else _plain(words, score))
    if "rating.remark" in item:
        open_quote, close_quote = words("quoted", text="\0").split("\0")
        lines.append(f"{open_quote}{_plain(words, item['rating.remark'])}{close_quote}")
    if "rating.created_at" in item:
        lines.append(_value(words, "created_at", item["rating.created_at"]))
    return "<br>".join(lines)


def _is_metadata(key: str) -> bool:
    return key.startswith("metadata.")


def _details(words: Words, item: Mapping[str, str]) -> str:
    return "<br>".join(
        f"{text_html(key.removeprefix('metadata.').replace('_', ' '))}: {_value(words, key, v)}"
        for key, v in item.items()
        if _is_metadata(key)
    )


_COLUMNS: Final[dict[Section, tuple[_Column, ...]]] = {
    "tags": (_cell("col_tag", "name", "tags"),),
    "companies": (_cell("col_company", "name", "companies"),),
    "notes": (_cell("col_written", "created_at", "notes"), _cell("col_note", "body", "notes")),
    "segments": (_cell("col_segment", "name", "segments"),),
    "subscriptions": (
        _cell("col_subscription", "default_translation.name", "subscriptions"),
        _cell("col_choice", "consent_type", "subscriptions"),
    ),
    "events": (
        _cell("col_event", "event_name", "events"),
        _cell("col_when", "created_at", "events"),
        ("col_details", _is_metadata, _details),
    ),
    "event_summaries": (
        _cell("col_event", "name", "event_summaries"),
        _cell("col_count", "count", "event_summaries"),
        _cell("col_first", "first", "event_summaries"),
        _cell("col_last", "last", "event_summaries"),
    ),
}
"""The columns of each section of items, in order; a key no column shows gets its own."""


def _grouped(section: Section, records: list[ExportRecord]) -> dict[str, dict[str, str]]:
    """The records of a section of items, by item id, then by key."""
    prefix = _ITEM_PREFIXES[section]
    items: dict[str, dict[str, str]] = {}
    for record in records:
        item, _, key = record.field.removeprefix(prefix).partition(".")
        while key in items.get(item, {}):  # an id that breaks the split: an item of its own
            item += "'"
        items.setdefault(item, {})[key] = record.value
    return items


def _items(words: Words, section: Section, records: list[ExportRecord]) -> str:
    items = _grouped(section, records)
    columns = _COLUMNS[section]
    present = list(dict.fromkeys(key for values in items.values() for key in values))
    shown = [
        column
        for n, column in enumerate(columns)
        if n == 0 or any(column[1](key) for key in present)
    ]
    extra = [key for key in present if not any(column[1](key) for column in columns)]
    # A conversation's title, tags, page and attributes would widen its table past the page:
    # they go in a card of their own below it.
    carded = extra if section == "conversations" else []
    extra = [key for key in extra if key not in carded]
    headers = [words(header) for header, _, _ in shown] + [_label(words, k) for k in extra]
    rows = [
        [cell(words, values) for _, _, cell in shown]
        + [_value(words, k, values[k], section) if k in values else "" for k in extra]
        for values in items.values()
    ]
    numeric = frozenset({1}) if section == "event_summaries" else frozenset()
    cards = [
        f'<div class="card"><h5>{escape(words("conversation", id=item))}</h5>{_facts(facts)}</div>'
        for item, values in items.items()
        if (
            facts := [
                (_label(words, k), _value(words, k, values[k], section))
                for k in carded
                if k in values
            ]
        )
    ]
    return table(headers, rows, numeric=numeric) + "".join(cards)


_TICKET_TITLE: Final = "ticket_attributes._default_title_"


def _nested(values: Mapping[str, str], name: str) -> dict[str, dict[str, str]]:
    """The items of a list inside an item: ``name.{n}.<key>`` by ``n``, then by key."""
    out: dict[str, dict[str, str]] = {}
    for key, value in values.items():
        if key.startswith(name + "."):
            n, _, rest = key[len(name) + 1 :].partition(".")
            out.setdefault(n, {})[rest] = value
    return out


def _card(heading: str, facts: list[tuple[str, str]], more: str = "") -> str:
    """One item as a card: a heading (safe HTML), its facts, and more (safe HTML) below."""
    return f'<div class="card"><h5>{heading}</h5>{_facts(facts)}{more}</div>'


def _remaining(
    words: Words, section: Section, values: Mapping[str, str], shown: Iterable[str]
) -> list[tuple[str, str]]:
    """Facts for the keys no part of a card shows: a key in words, and its value."""
    done = set(shown)
    return [
        (_label(words, key), _value(words, key, value, section))
        for key, value in values.items()
        if key not in done and key.partition(".")[0] not in done
    ]


def _reference(item: str) -> str:
    return f'<span class="mono">{text_html(item)}</span>'


def _conversations(words: Words, records: list[ExportRecord]) -> str:
    out = []
    for item, values in _grouped("conversations", records).items():
        date = _moment(values.get("created_at", ""))
        if "title" in values:
            heading = _plain(words, values["title"])
        elif date:
            heading = escape(words("conversation_untitled", date=date))
        else:
            heading = escape(words("conversation_undated"))
        facts = [(words("reference"), _reference(item))]
        for key, label in (
            ("created_at", "col_started"),
            ("updated_at", "col_last_activity"),
            ("state", "col_state"),
        ):
            if key in values:
                facts.append((words(label), _value(words, key, values[key], "conversations")))
        tags = [v for k, v in values.items() if k.startswith("tags.")]
        if tags:
            facts.append((words("fact_tags"), _plain(words, ", ".join(tags))))
        if "source.url" in values:
            facts.append((words("fact_page"), _plain(words, values["source.url"])))
        if any(key.startswith("rating.") for key in values):
            facts.append((words("col_rating"), _rating(words, values)))
        shown = ("title", "created_at", "updated_at", "state", "tags", "source", "rating")
        facts += _remaining(words, "conversations", values, shown)
        out.append(_card(heading, facts))
    return "".join(out)


def _tickets(words: Words, records: list[ExportRecord]) -> str:
    out = []
    for item, values in _grouped("tickets", records).items():
        title = values.get(_TICKET_TITLE)
        heading = _plain(words, title) if title is not None else escape(words("ticket_untitled"))
        facts = [(words("reference"), _reference(item))]
        facts += _remaining(words, "tickets", values, (_TICKET_TITLE, "ticket_parts"))
        parts = _nested(values, "ticket_parts")
        more = ""
        if parts:
            cards = "".join(
                _message_card(words, None, _Message.of(part)) for part in parts.values()
            )
            more = f'<p class="meta">{escape(words("your_ticket_messages"))}</p>{cards}'
        out.append(_card(heading, facts, more))
    return "".join(out)


def _seconds(value: str) -> str:
    try:
        total = int(float(value))
    except ValueError:
        return value
    return f"{total // 60}:{total % 60:02d}"


def _transcript(words: Words, turns: Mapping[str, Mapping[str, str]], title: str) -> str:
    lines = []
    for turn in turns.values():
        when = "\u2013".join(_seconds(turn[k]) for k in ("start_time", "end_time") if k in turn)
        who = turn.get("speaker_label") or turn.get("speaker") or ""
        said = " ".join(x for x in (when, who) if x)
        others = [
            f"{_label(words, k)}: {v}"
            for k, v in turn.items()
            if k not in ("start_time", "end_time", "speaker_label", "speaker", "content")
        ]
        text = _plain(words, turn.get("content", ""))
        extra = f" ({_plain(words, '; '.join(others))})" if others else ""
        lines.append(f"<li>{text_html(said)}{': ' if said else ''}{text}{extra}</li>")
    return f'<p class="meta">{escape(title)}</p><ul class="files">{"".join(lines)}</ul>'


def _calls(words: Words, records: list[ExportRecord]) -> str:
    out = []
    for item, values in _grouped("calls", records).items():
        date = _moment(values.get("initiated_at", ""))
        heading = words("call_of", date=date) if date else words("call_undated")
        facts = [(words("reference"), _reference(item))]
        facts += _remaining(words, "calls", values, ("transcript", "unattributed_transcript"))
        more = ""
        for name, title in (
            ("transcript", "transcript"),
            ("unattributed_transcript", "transcript_unattributed"),
        ):
            turns = _nested(values, name)
            if turns:
                more += _transcript(words, turns, words(title))
        out.append(_card(escape(heading), facts, more))
    return "".join(out)


def _profile(words: Words, records: list[ExportRecord]) -> str:
    rows = []
    for record in records:
        key = record.field.removeprefix("contact.")
        rows.append([escape(_label(words, key)), _value(words, key, record.value, "profile")])
    return table([words("field"), words("value")], rows)


def _others(words: Words, records: list[ExportRecord]) -> str:
    rows = [[escape(words.field(r.field)), _value(words, r.field, r.value)] for r in records]
    return table([words("field"), words("value")], rows)


_MESSAGE: Final = re.compile(
    r"conversation\.(?P<conversation>[^.]+)\."
    r"(?:source|conversation_parts\.(?P<part>[^.]+))\."
    r"(?:(?P<list>attachments|email_headers)\.(?P<n>\d+)\.)?(?P<key>[a-z_]+)",
    re.ASCII,
)


class _Message:
    """One message: its fields, its attachments and its email address headers."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.files: dict[str, dict[str, str]] = {}
        self.headers: dict[str, dict[str, str]] = {}

    @classmethod
    def of(cls, values: Mapping[str, str]) -> _Message:
        """A message from its keys (``body``, ``attachments.{n}.url``, ...)."""
        message = cls()
        message.fields = {k: v for k, v in values.items() if "." not in k}
        message.files = _nested(values, "attachments")
        message.headers = _nested(values, "email_headers")
        lists = ("attachments.", "email_headers.")
        message.fields |= {k: v for k, v in values.items() if "." in k and not k.startswith(lists)}
        return message


def _address(words: Words, header: Mapping[str, str]) -> str:
    kind = header.get("type", "")
    said = words("header_" + kind) if words.has("header_" + kind) else kind
    who = header.get("email_address", "")
    if header.get("name"):
        who = f"{header['name']} <{who}>" if who else header["name"]
    others = "; ".join(
        f"{_label(words, k)}: {v}"
        for k, v in header.items()
        if k not in ("type", "email_address", "name")
    )
    text = f"{said}: {who}" if said else who
    return f"<li>{_plain(words, text + (f' ({others})' if others else ''))}</li>"


def _attachment(words: Words, fields: Mapping[str, str]) -> str:
    name = _plain(words, fields["name"]) if "name" in fields else ""
    about = []
    if "content_type" in fields:
        about.append(_plain(words, fields["content_type"]))
    if "filesize" in fields:
        about.append(_size(words, fields["filesize"]))
    known = {"name", "content_type", "filesize", "url"}
    about += [
        f"{escape(_label(words, k))}: {_plain(words, v)}"
        for k, v in fields.items()
        if k not in known
    ]
    said = name + (f" ({', '.join(about)})" if about else "")
    if "url" in fields:
        said += f"<br>{_plain(words, fields['url'])}"
    return f"<li>{said}</li>"


def _message_card(words: Words, message: str | None, fields: _Message) -> str:
    """A message's card; ``message`` is ``""`` for a conversation's opening one, ``None``
    where there is no such distinction (a ticket's)."""
    values = fields.fields
    meta = []
    if message is not None:
        meta.append(escape(words("opening_message") if message == "" else words("reply")))
    if "created_at" in values:
        meta.append(_value(words, "created_at", values["created_at"]))
    if "subject" in values:
        meta.append(f"{escape(words('subject'))}: {_plain(words, values['subject'])}")
    body = _value(words, "body", values["body"]) if "body" in values else ""
    extra = "".join(
        f"<p>{escape(_label(words, k))}: {_value(words, k, v)}</p>"
        for k, v in values.items()
        if k not in ("created_at", "subject", "body")
    )
    files = ""
    if fields.files:
        listed = "".join(_attachment(words, f) for f in fields.files.values())
        files = f'<p class="meta">{escape(words("attachments"))}</p><ul class="files">{listed}</ul>'
    if fields.headers:
        listed = "".join(_address(words, h) for h in fields.headers.values())
        files += (
            f'<p class="meta">{escape(words("email_addresses"))}</p><ul class="files">{listed}</ul>'
        )
    return (
        f'<div class="message"><div class="meta">{" · ".join(meta)}</div>{body}{extra}{files}</div>'
    )


def _messages(words: Words, records: list[ExportRecord], started: Mapping[str, str]) -> str:
    by_conversation: dict[str, dict[str, _Message]] = {}
    odd: list[ExportRecord] = []
    for record in records:
        found = _MESSAGE.fullmatch(record.field)
        if found is None:  # ids with dots: shown on their own rather than lost
            odd.append(record)
            continue
        message = by_conversation.setdefault(found["conversation"], {}).setdefault(
            found["part"] or "", _Message()
        )
        if found["list"] is None:
            message.fields[found["key"]] = record.value
        else:
            kept = message.files if found["list"] == "attachments" else message.headers
            kept.setdefault(found["n"], {})[found["key"]] = record.value
    out = [_others(words, odd)] if odd else []
    for conversation, messages in by_conversation.items():
        date = _moment(started.get(conversation, ""))
        heading = (
            words("conversation_of", date=date, id=conversation)
            if date
            else words("conversation", id=conversation)
        )
        out.append(f"<h5>{text_html(heading)}</h5>")
        out.extend(_message_card(words, message, fields) for message, fields in messages.items())
    return "".join(out)


def _contact_data(words: Words, records: tuple[ExportRecord, ...]) -> str:
    if not records:
        return f'<p class="muted">{escape(words("contact_empty"))}</p>'
    grouped: dict[Section, list[ExportRecord]] = {}
    for record in records:
        grouped.setdefault(section_of(record.field), []).append(record)
    started = {
        item: values["created_at"]
        for item, values in _grouped("conversations", grouped.get("conversations", [])).items()
        if "created_at" in values
    }
    out = []
    for section in SECTIONS:
        found = grouped.get(section)
        if not found:
            continue
        out.append(f"<h4>{escape(words('sec_' + section))}</h4>")
        if section == "profile":
            out.append(_profile(words, found))
        elif section == "messages":
            out.append(_messages(words, found, started))
        elif section == "tickets":
            out.append(_tickets(words, found))
        elif section == "conversations":
            out.append(_conversations(words, found))
        elif section == "calls":
            out.append(_calls(words, found))
        elif section in _COLUMNS:
            out.append(_items(words, section, found))
        else:
            out.append(_others(words, found))
    return "".join(out)


def _held_name(words: Words, held: str) -> str:
    """A held-but-not-exported name (``contact.custom_attributes.plan``) in words."""
    for marker in (".custom_attributes.", ".ticket_attributes."):
        if marker in held:
            return words("custom_attribute", name=held.split(marker, 1)[1].replace("_", " "))
    return words.field(held)


def _data(words: Words, exports: Mapping[str, ResolverExport]) -> str:
    out = [f'<section id="data"><h2>{escape(words("your_data"))}</h2>']
    for n, (contact_id, export) in enumerate(exports.items(), start=1):
        name = next((r.value for r in export.records if r.field == "contact.name"), None)
        name = name or next((r.value for r in export.records if r.field == "contact.email"), None)
        heading = (
            words("contact_heading_named", n=n, name=name)
            if name
            else words("contact_heading", n=n)
        )
        out.append(f"<h3>{_plain(words, heading)}</h3>")
        reference = f'<span class="mono">{text_html(contact_id)}</span>'
        out.append(f'<p class="muted">{escape(words("contact_reference"))}: {reference}</p>')
        out.append(_contact_data(words, export.records))
        if export.held_not_exported:  # names only: the values were never exported
            out.append(f"<p>{escape(words('held_not_exported'))}</p><ul>")
            names = dict.fromkeys(_held_name(words, held) for held in export.held_not_exported)
            out.extend(f"<li>{_plain(words, name)}</li>" for name in names)
            out.append("</ul>")
    out.append("</section>")
    return "".join(out)


# -- scope -------------------------------------------------------------------------------------

_SCOPED: Final[tuple[Section, ...]] = tuple(s for s in SECTIONS if s not in ("profile", "other"))
_UNREACHED: Final[dict[str, str]] = {
    "visitor": "scope_visitors",
    "reporting": "scope_reporting",
    "outbound_message": "scope_outbound",
    "admin_activity_log": "scope_staff_log",
    "fin_agent_input": "scope_assistant_input",
    "custom_object": "scope_custom_objects",
}
"""Exclusions of what no export by contact reaches, by the first step of their glob."""


def _custom(field: str) -> bool:
    """Whether a surface glob names the workspace's own fields (custom attributes)."""
    return ".custom_attributes." in field or (
        ".ticket_attributes." in field and "_default_" not in field
    )


def _scope(words: Words, surface: CoveredSurface) -> str:
    """What the report does not cover, in plain words, from the surface's typed parts."""
    reached = {section_of(f.field) for f in surface.fields}
    bodies = any(
        section_of(f.field) == "messages" and f.field.endswith(".body") for f in surface.fields
    )
    items = []
    known = []
    for exclusion in surface.exclusions:
        said = _UNREACHED.get(exclusion.field.partition(".")[0])
        if said is not None and words(said) not in items:
            items.append(words(said))
            known.append(exclusion)
    items.append(words("scope_archived"))
    if "events" in reached:
        counted = "event_summaries" in reached
        items.append(words("scope_events_counted" if counted else "scope_events_older"))
    if bodies:
        items += [
            words("scope_messages_own"),
            words("scope_messages_files"),
            words("scope_messages_cap"),
        ]
    elif "conversations" in reached:
        items.append(words("scope_messages_none"))
    if any(_custom(f.field) for f in surface.fields):
        items.append(words("scope_custom_declared"))
    elif any(_custom(e.field) for e in surface.exclusions):
        items.append(words("scope_custom_none"))
    off = [s for s in _SCOPED if s not in reached and not (s == "messages" and not bodies)]
    if off:
        items.append(words("scope_parts_off", parts=", ".join(words("sec_" + s) for s in off)))
    other = {
        section_of(e.field)
        for e in surface.exclusions
        if e not in known
        and not _custom(e.field)
        and section_of(e.field) not in ("messages", "calls")  # the text, said above
    }
    items += [words("scope_part_left_out", part=words("sec_" + s)) for s in SECTIONS if s in other]
    listed = "".join(f"<li>{escape(item)}</li>" for item in items)
    return (
        f'<section id="scope"><h2>{escape(words("scope"))}</h2>'
        f"<p>{escape(words('scope_intro'))}</p><ul>{listed}</ul>"
        f'<p class="muted">{escape(words("scope_declaration"))}</p></section>'
    )
