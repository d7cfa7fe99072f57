"""The record of processing: why each kind of data is held, on which basis, for how long.

Art. 15(1) entitles the person to more than their data: the purposes, the categories, the
recipients, how long it is kept, where it came from. Only the controller knows those, so they
declare them once, in a TOML file, and every export and report is filled from it.

| TOML                         | model field                | required                          |
|------------------------------|----------------------------|-----------------------------------|
| ``[controller]`` name, contact | ``controller``           | yes                               |
| ``[dpo]`` contact (name)     | ``dpo``                    | yes (name optional)               |
| ``supervisory_authority``    | ``supervisory_authority``  | no                                |
| ``[categories.<category>]``  | ``categories``             | at least one; each with purpose,  |
|                              |                            | legal_basis, retention,           |
|                              |                            | recipients, source                |
| ``[sections.<section>]``     | ``sections``               | no; any of the same keys, which   |
|                              |                            | win over the category's           |
| ``[automated_decisions]``    | ``automated_decisions``    | no (the report then says "not     |
|                              |                            | stated"); ``used``, and with      |
|                              |                            | ``used = true`` ``logic`` and     |
|                              |                            | ``significance`` (Art. 15(1)(h))  |
| ``[[transfers]]`` recipient, | ``transfers``              | no ("not stated"); ``transfers =  |
| country, safeguard, details  |                            | []`` says there are none          |
|                              |                            | (Art. 15(2))                      |

Legal bases are the six of Art. 6(1), by name: ``consent``, ``contract``, ``legal_obligation``,
``vital_interests``, ``public_task``, ``legitimate_interests``. Safeguards of a transfer are
named too (:class:`Safeguard`): ``adequacy_decision`` (Art. 45), ``standard_contractual_clauses``
(Art. 46(2)(c)), ``binding_corporate_rules`` (Art. 47), ``code_of_conduct`` (Art. 46(2)(e)),
``certification`` (Art. 46(2)(f)), ``derogation`` (Art. 49).

``tomllib`` reports no line numbers once a file has parsed, so :func:`_line_of` finds the line
of the offending table or key itself, and every problem is reported as ``FILE:LINE: what``.
A record holds no personal data of a subject, so its values may appear in error messages.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from dsr_resolvers.contract import ExportRecord, PiiCategory
from dsr_resolvers.contract._errors import PortableError
from dsr_resolvers.report._sections import SECTIONS, Section, section_of

__all__ = [
    "AutomatedDecisions",
    "Controller",
    "DataProtectionOfficer",
    "LegalBasis",
    "Processing",
    "ProcessingRecord",
    "ProcessingRecordError",
    "Safeguard",
    "SectionProcessing",
    "Transfer",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


_Text = Annotated[str, Field(min_length=1, max_length=2000)]


class LegalBasis(StrEnum):
    """The six lawful bases of Art. 6(1) GDPR, by name."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTERESTS = "legitimate_interests"

    @property
    def point(self) -> str:
        """The point of Art. 6(1) that names this basis: ``a`` to ``f``."""
        return "abcdef"[list(LegalBasis).index(self)]

    @property
    def article(self) -> str:
        """The point of Art. 6(1) that names this basis, e.g. ``Art. 6(1)(f)``."""
        return f"Art. 6(1)({self.point})"


class Safeguard(StrEnum):
    """What makes a transfer outside the EU and the EEA lawful (Chapter V GDPR), by name."""

    ADEQUACY_DECISION = "adequacy_decision"
    STANDARD_CONTRACTUAL_CLAUSES = "standard_contractual_clauses"
    BINDING_CORPORATE_RULES = "binding_corporate_rules"
    CODE_OF_CONDUCT = "code_of_conduct"
    CERTIFICATION = "certification"
    DEROGATION = "derogation"

    @property
    def citation(self) -> tuple[int, int | None, str | None]:
        """``(article, paragraph, point)`` of the GDPR that provides it."""
        return _SAFEGUARD_CITATIONS[self]


_SAFEGUARD_CITATIONS: Final[dict[Safeguard, tuple[int, int | None, str | None]]] = {
    Safeguard.ADEQUACY_DECISION: (45, None, None),
    Safeguard.STANDARD_CONTRACTUAL_CLAUSES: (46, 2, "c"),
    Safeguard.BINDING_CORPORATE_RULES: (47, None, None),
    Safeguard.CODE_OF_CONDUCT: (46, 2, "e"),
    Safeguard.CERTIFICATION: (46, 2, "f"),
    Safeguard.DEROGATION: (49, None, None),
}


class Controller(_Frozen):
    """Who decides on the processing (Art. 4(7)), and how to reach them."""

    name: _Text
    contact: _Text


class DataProtectionOfficer(_Frozen):
    """How to reach the data protection officer (Art. 37-39)."""

    contact: _Text
    name: _Text | None = None


class Processing(_Frozen):
    """Why one category of data is processed. Every entry is required.

    Attributes:
        purpose: What the data is used for.
        legal_basis: The Art. 6(1) basis relied on.
        retention: How long the data is kept, or the rule that decides it.
        recipients: Who receives the data (processors, other controllers); may be empty.
        source: Where the data comes from (Art. 14, 15(1)(g)).
    """

    purpose: _Text
    legal_basis: LegalBasis
    retention: _Text
    recipients: tuple[_Text, ...]
    source: _Text


class SectionProcessing(_Frozen):
    """What differs for one export section; each entry given wins over the category's."""

    purpose: _Text | None = None
    legal_basis: LegalBasis | None = None
    retention: _Text | None = None
    recipients: tuple[_Text, ...] | None = None
    source: _Text | None = None


class AutomatedDecisions(_Frozen):
    """Whether decisions about the person are made solely by automated means (Art. 15(1)(h)).

    Attributes:
        used: Whether any such decision (profiling included, Art. 22(1) and (4)) is made.
        logic: Meaningful information about the logic involved; required when ``used``.
        significance: Its significance and the envisaged consequences for the person;
            required when ``used``.
    """

    used: bool
    logic: _Text | None = None
    significance: _Text | None = None

    @model_validator(mode="after")
    def _explained_when_used(self) -> AutomatedDecisions:
        if self.used and (self.logic is None or self.significance is None):
            raise ValueError("with used = true, give logic and significance (Art. 15(1)(h))")
        return self


class Transfer(_Frozen):
    """A transfer of the data to a country outside the EU and the EEA (Art. 15(2)).

    Attributes:
        recipient: Who receives the data there.
        country: The country (or international organisation).
        safeguard: What makes the transfer lawful.
        details: More about the safeguard, e.g. where the person can obtain a copy.
    """

    recipient: _Text
    country: _Text
    safeguard: Safeguard
    details: _Text | None = None


class ProcessingRecordError(PortableError, ValueError):
    """A processing record file that cannot be used; each problem names its line.

    Attributes:
        problems: One ``FILE:LINE: what`` line per problem.
    """

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("\n".join(self.problems))


class ProcessingRecord(_Frozen):
    """The controller's record of processing, as far as an Art. 15 answer needs it.

    Attributes:
        controller: The controller's name and contact.
        dpo: The data protection officer's contact.
        supervisory_authority: Where the person may lodge a complaint (Art. 77), if named.
        categories: Purpose, legal basis, retention, recipients and source per PII category.
        sections: Optional overrides per export section (any of :data:`SECTIONS` but
            ``other``: ``profile``, ``tags``, ..., ``events``, ``event_summaries``).
        automated_decisions: Whether decisions are made solely by automated means, and how;
            ``None`` when the record does not say.
        transfers: Transfers outside the EU and the EEA with their safeguards; ``()`` when
            there are none, ``None`` when the record does not say.

    Example:
        >>> record = ProcessingRecord.from_toml("docs/processing-record.example.toml")
        >>> record.categories[PiiCategory.CONTACT].legal_basis
        <LegalBasis.CONTRACT: 'contract'>
    """

    controller: Controller
    dpo: DataProtectionOfficer
    supervisory_authority: _Text | None = None
    categories: Annotated[dict[PiiCategory, Processing], Field(min_length=1)]
    sections: dict[Section, SectionProcessing] = Field(default_factory=dict)
    automated_decisions: AutomatedDecisions | None = None
    transfers: tuple[Transfer, ...] | None = None

    @classmethod
    def from_toml(cls, path: str | Path) -> ProcessingRecord:
        """Read and validate a processing record file.

        Args:
            path: The TOML file (UTF-8).

        Returns:
            The validated record.

        Raises:
            ProcessingRecordError: Invalid TOML, an unknown category, section or legal basis,
                or a missing required entry; every problem with the file's line.
            OSError: The file cannot be read.
        """
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        return cls.from_toml_text(text, name=str(path))

    @classmethod
    def from_toml_text(cls, text: str, *, name: str = "<processing record>") -> ProcessingRecord:
        """Validate a processing record given as TOML text; ``name`` prefixes each problem."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ProcessingRecordError([f"{name}: not valid TOML: {error}"]) from None
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            lines = _KeyLines(text)
            details = error.errors(include_url=False)
            # Under an unknown category or section, what is missing inside it is noise.
            unknown = {_path(d) for d in details if d["loc"][-1:] == ("[key]",)}
            found = sorted(
                (lines.line_of(_path(detail)), _describe(detail))
                for detail in details
                if detail["loc"][-1:] == ("[key]",) or _path(detail)[:2] not in unknown
            )
            raise ProcessingRecordError(f"{name}:{line}: {what}" for line, what in found) from None

    def processing_of(self, record: ExportRecord) -> Processing | None:
        """What the record states for ``record``: its category's entry, overridden by its
        section's; ``None`` when the category has no entry."""
        base = self.categories.get(record.category)
        if base is None:
            return None
        override = self.sections.get(section_of(record.field))
        if override is None:
            return base
        return base.model_copy(update=override.model_dump(exclude_none=True))

    def annotate(self, records: Iterable[ExportRecord]) -> tuple[ExportRecord, ...]:
        """``records`` with ``legal_basis``, ``purpose`` and ``retention_reason`` filled in.

        A record whose category the processing record does not name is returned unchanged.
        """
        out: list[ExportRecord] = []
        for record in records:
            entry = self.processing_of(record)
            if entry is None:
                out.append(record)
                continue
            update = {
                "legal_basis": entry.legal_basis.value,
                "purpose": entry.purpose,
                "retention_reason": entry.retention,
            }
            out.append(record.model_copy(update=update))
        return tuple(out)

    def missing_categories(self, records: Iterable[ExportRecord]) -> tuple[PiiCategory, ...]:
        """The categories of ``records`` this processing record says nothing about."""
        seen = {record.category for record in records}
        return tuple(c for c in PiiCategory if c in seen and c not in self.categories)


# -- errors with line numbers ----------------------------------------------------------------

_LIST_NAMES: Final = {
    "categories": ", ".join(c.value for c in PiiCategory),
    "sections": ", ".join(s for s in SECTIONS if s != "other"),
}


def _path(detail: ErrorDetails) -> tuple[str, ...]:
    return tuple(str(step) for step in detail["loc"] if step != "[key]")


def _table(path: tuple[str, ...]) -> str:
    return f"[{'.'.join(path)}]" if path else "the top level"


def _describe(detail: ErrorDetails) -> str:
    loc = tuple(str(step) for step in detail["loc"])
    kind = detail["type"]
    *parent, last = loc or ("",)
    if last == "[key]" and parent and parent[0] in _LIST_NAMES and len(parent) == 2:
        noun = "PII category" if parent[0] == "categories" else "export section"
        return f"unknown {noun} {parent[1]!r}; use one of {_LIST_NAMES[parent[0]]}"
    if kind == "missing":
        return f"missing required entry {last!r} in {_table(tuple(parent))}"
    if kind == "extra_forbidden":
        return f"unknown entry {last!r} in {_table(tuple(parent))}"
    if last == "legal_basis" and kind == "enum":
        bases = ", ".join(b.value for b in LegalBasis)
        return f"unknown legal basis {detail['input']!r}; use one of {bases} (Art. 6(1))"
    if last == "categories" and kind == "too_short":
        return "[categories] is empty: name at least one PII category"
    if last == "safeguard" and kind == "enum":
        names = ", ".join(s.value for s in Safeguard)
        return f"unknown safeguard {detail['input']!r}; use one of {names} (Chapter V GDPR)"
    if kind == "value_error":
        return f"{detail['msg'].removeprefix('Value error, ')} in {_table(loc)}"
    return f"{'.'.join(loc)}: {detail['msg']}"


_HEADER = re.compile(r"^\s*\[\[?\s*(?P<name>[^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*(?P<key>[A-Za-z0-9_\-\"'. ]+?)\s*=")


def _split_key(key: str) -> tuple[str, ...]:
    """``a."b.c".d`` -> ``("a", "b.c", "d")``."""
    parts = re.findall(r'"([^"]*)"|\'([^\']*)\'|([^.\s]+)', key)
    return tuple(next(p for p in groups if p) if any(groups) else "" for groups in parts)


class _KeyLines:
    """The line on which each table and key of a TOML text is defined."""

    def __init__(self, text: str) -> None:
        self.lines: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        in_multiline = False
        entries: dict[tuple[str, ...], int] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            toggles = line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1
            if in_multiline:
                in_multiline = not toggles
                continue
            in_multiline = toggles
            header = _HEADER.match(line)
            if header:
                table = _split_key(header.group("name"))
                self.lines.setdefault(table, number)
                if line.lstrip().startswith("[["):  # an array of tables: entries by index
                    entries[table] = entries.get(table, -1) + 1
                    table += (str(entries[table]),)
                    self.lines.setdefault(table, number)
                continue
            key = _KEY.match(line)
            if key:
                self.lines.setdefault(table + _split_key(key.group("key")), number)

    def line_of(self, path: tuple[str, ...]) -> int:
        """The line of the longest defined prefix of ``path``; 1 when none is defined."""
        for end in range(len(path), 0, -1):
            found = self.lines.get(path[:end])
            if found is not None:
                return found
        return 1
