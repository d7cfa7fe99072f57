"""The access report: an Art. 15 answer a person can read, in one self-contained HTML file.

Art. 12(1) asks for a "concise, transparent, intelligible and easily accessible form"; the
JSON export is for machines. The report shows, in this order:

| part                         | from                                                        |
|------------------------------|-------------------------------------------------------------|
| who it is for, when produced | names and emails among the records; the contact ids; how    |
|                              | the person was looked for (kinds, never values) and what    |
|                              | search cannot see; a time                                   |
| summary by category          | the records, counted per ``PiiCategory``                    |
| Art. 15(1) information       | the :class:`ProcessingRecord`, or a visible note without one |
| the data, by section         | every record, in tables: field names in words, timestamps   |
|                              | as dates with their time zone                                |
| the messages they wrote      | message bodies, sanitised (``_sanitize.py``), as text        |
| what is not covered          | the covered surface's exclusions and notes                   |

Every record of every export appears exactly once in the tables or the messages. Nothing in
the page runs or fetches anything (see ``_page.py``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from html import escape

from dsr_resolvers._version import __version__
from dsr_resolvers.contract import CoveredSurface, ExportRecord, PiiCategory, ResolverExport
from dsr_resolvers.report._catalogue import Words
from dsr_resolvers.report._page import LookedFor, format_moment, looked_for, page, table
from dsr_resolvers.report._processing import (
    LegalBasis,
    Processing,
    ProcessingRecord,
    SectionProcessing,
)
from dsr_resolvers.report._sanitize import message_html
from dsr_resolvers.report._sections import SECTIONS, Section, section_of

__all__ = ["render_access_report"]

_ITEM_SECTIONS: frozenset[Section] = frozenset(
    {
        "tags",
        "companies",
        "notes",
        "segments",
        "subscriptions",
        "conversations",
        "tickets",
        "events",
        "event_summaries",
    }
)
_REFERENCED: frozenset[Section] = frozenset({"conversations", "tickets"})


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


# -- Art. 15(1) --------------------------------------------------------------------------------


def _basis(words: Words, basis: LegalBasis) -> str:
    return escape(f"{words('basis_' + basis.value)} ({basis.article})")


def _recipients(words: Words, recipients: Iterable[str]) -> str:
    listed = list(recipients)
    return escape("; ".join(listed)) if listed else escape(words("no_recipients"))


def _entry_facts(words: Words, entry: Processing | SectionProcessing) -> str:
    """The stated entries of one category or section, as a list of facts."""
    facts = []
    if entry.purpose is not None:
        facts.append((words("purpose"), escape(entry.purpose)))
    if entry.legal_basis is not None:
        facts.append((words("legal_basis"), _basis(words, entry.legal_basis)))
    if entry.retention is not None:
        facts.append((words("retention"), escape(entry.retention)))
    if entry.recipients is not None:
        facts.append((words("recipients"), _recipients(words, entry.recipients)))
    if entry.source is not None:
        facts.append((words("source"), escape(entry.source)))
    return _facts(facts)


def _art15(words: Words, records: list[ExportRecord], processing: ProcessingRecord | None) -> str:
    out = [f'<section id="art15"><h2>{escape(words("art15"))}</h2>']
    if processing is None:
        out.append(f'<p class="note">{escape(words("no_record"))}</p>')
    else:
        dpo = processing.dpo
        dpo_text = f"{dpo.name}, {dpo.contact}" if dpo.name else dpo.contact
        controller = processing.controller
        out.append(
            _facts(
                [
                    (words("controller"), escape(f"{controller.name}, {controller.contact}")),
                    (words("dpo"), escape(dpo_text)),
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
    out.append(f"<h3>{escape(words('rights'))}</h3><p>{escape(words('rights_text'))}</p>")
    authority = processing.supervisory_authority if processing else None
    complaint = words("complaint_named", authority=authority) if authority else words("complaint")
    out.append(f"<p>{escape(complaint)}</p></section>")
    return "".join(out)


# -- the data ----------------------------------------------------------------------------------


def _moment(value: str) -> str | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return format_moment(parsed) if parsed.tzinfo is not None else None


def _value(words: Words, key: str, value: str) -> str:
    """One record value as safe HTML: bodies sanitised, timestamps in words, text escaped."""
    if key == "body" or key.endswith(".body"):
        return f'<div class="body">{message_html(value, image_label=words("image"))}</div>'
    if key.endswith("_at"):
        moment = _moment(value)
        if moment is not None:
            return escape(moment)
    if value in ("true", "false"):
        return escape(words("yes" if value == "true" else "no"))
    return escape(value)


def _profile_label(words: Words, key: str) -> str:
    head, _, rest = key.partition(".")
    if head == "social_profiles":
        n, _, what = rest.partition(".")
        number = int(n) + 1 if n.isdigit() else n
        return words("social_profile", n=number, what=words.field(what))
    if head == "custom_attributes":
        return words("custom_attribute", name=rest)
    return words.field(key)


def _item_label(words: Words, key: str) -> str:
    head, _, rest = key.partition(".")
    if head == "metadata" and rest:
        return words("event_detail", name=rest)
    return words.field(key)


def _split(section: Section, field: str) -> tuple[str, str]:
    """``(item id, key)`` of a record field within its section."""
    if section in ("tags", "companies", "notes"):
        parts = field.split(".", 3)
        return (parts[2], parts[3]) if len(parts) == 4 else ("", field)
    if section in ("conversations", "tickets", "events"):
        parts = field.split(".", 2)
        return (parts[1], parts[2]) if len(parts) == 3 else ("", field)
    if section == "profile":
        return "", field.removeprefix("contact.")
    return "", field


def _profile(words: Words, records: list[ExportRecord]) -> str:
    rows = [
        [
            escape(_profile_label(words, _split("profile", r.field)[1])),
            _value(words, r.field, r.value),
        ]
        for r in records
    ]
    return table([words("field"), words("value")], rows)


def _items(words: Words, section: Section, records: list[ExportRecord]) -> str:
    items: dict[str, dict[str, str]] = {}
    keys: dict[str, None] = {}
    for record in records:
        item, key = _split(section, record.field)
        while key in items.get(item, {}):  # an id that breaks the split: a row of its own
            item += "'"
        items.setdefault(item, {})[key] = _value(words, key, record.value)
        keys.setdefault(key)
    headers = [_item_label(words, key) for key in keys]
    rows = [[values.get(key, "") for key in keys] for values in items.values()]
    if section in _REFERENCED:
        headers.insert(0, words("reference"))
        for row, item in zip(rows, items, strict=True):
            row.insert(0, f'<span class="mono">{escape(item)}</span>')
    return table(headers, rows)


def _others(words: Words, records: list[ExportRecord]) -> str:
    rows = [
        [f'<span class="mono">{escape(r.field)}</span>', _value(words, r.field, r.value)]
        for r in records
    ]
    return table([words("field"), words("value")], rows)


def _messages(words: Words, records: list[ExportRecord]) -> str:
    by_conversation: dict[str, dict[str, dict[str, str]]] = {}
    odd: list[ExportRecord] = []
    for record in records:
        parts = record.field.split(".")
        if len(parts) == 4 and parts[2] == "source":
            conversation, message, key = parts[1], "", parts[3]
        elif len(parts) == 5 and parts[2] == "conversation_parts":
            conversation, message, key = parts[1], parts[3], parts[4]
        else:  # ids with dots: shown by field path rather than lost
            odd.append(record)
            continue
        by_conversation.setdefault(conversation, {}).setdefault(message, {})[key] = record.value
    out = [_others(words, odd)] if odd else []
    for conversation, messages in by_conversation.items():
        out.append(f"<h4>{escape(words('conversation', id=conversation))}</h4>")
        for message, fields in messages.items():
            meta = [words("opening_message") if message == "" else words("reply")]
            if "created_at" in fields:
                meta.append(_moment(fields["created_at"]) or fields["created_at"])
            if "subject" in fields:
                meta.append(f"{words('subject')}: {fields['subject']}")
            body = _value(words, "body", fields["body"]) if "body" in fields else ""
            extra = "".join(
                f"<p>{escape(words.field(k))}: {escape(v)}</p>"
                for k, v in fields.items()
                if k not in ("created_at", "subject", "body")
            )
            out.append(
                f'<div class="message"><div class="meta">{escape(" · ".join(meta))}</div>'
                f"{body}{extra}</div>"
            )
    return "".join(out)


def _contact_data(words: Words, records: tuple[ExportRecord, ...]) -> str:
    if not records:
        return f'<p class="muted">{escape(words("contact_empty"))}</p>'
    grouped: dict[Section, list[ExportRecord]] = {}
    for record in records:
        grouped.setdefault(section_of(record.field), []).append(record)
    out = []
    for section in SECTIONS:
        found = grouped.get(section)
        if not found:
            continue
        out.append(f"<h4>{escape(words('sec_' + section))}</h4>")
        if section == "profile":
            out.append(_profile(words, found))
        elif section == "messages":
            out.append(_messages(words, found))
        elif section in _ITEM_SECTIONS:
            out.append(_items(words, section, found))
        else:
            out.append(_others(words, found))
    return "".join(out)


def _data(words: Words, exports: Mapping[str, ResolverExport]) -> str:
    out = [f'<section id="data"><h2>{escape(words("your_data"))}</h2>']
    for contact_id, export in exports.items():
        out.append(f"<h3>{escape(words('contact_heading', id=contact_id))}</h3>")
        out.append(_contact_data(words, export.records))
    out.append("</section>")
    return "".join(out)


# -- scope -------------------------------------------------------------------------------------


def _scope(words: Words, surface: CoveredSurface) -> str:
    out = [f'<section id="scope"><h2>{escape(words("scope"))}</h2>']
    if surface.exclusions:
        out.append(f"<p>{escape(words('scope_intro'))}</p>")
        rows = [
            [f'<span class="mono">{escape(e.field)}</span>', escape(e.reason)]
            for e in surface.exclusions
        ]
        out.append(table([words("left_out"), words("why")], rows))
    else:
        out.append(f"<p>{escape(words('scope_none'))}</p>")
    if surface.notes:
        out.append(f"<h3>{escape(words('scope_notes'))}</h3><ul>")
        out.extend(f"<li>{escape(note)}</li>" for note in surface.notes)
        out.append("</ul>")
    out.append("</section>")
    return "".join(out)
