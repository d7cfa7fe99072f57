"""The Art. 15 and Art. 17 deliverables: what a DPO sends the person, and what they file.

| name                        | what it is                                                    |
|-----------------------------|---------------------------------------------------------------|
| :class:`ProcessingRecord`   | the controller's record of processing, from a TOML file:      |
|                             | purpose, legal basis, retention, recipients, source per       |
|                             | category (and per export section); fills ``ExportRecord``'s   |
|                             | ``legal_basis``, ``purpose`` and ``retention_reason``; and    |
|                             | :class:`AutomatedDecisions` (Art. 15(1)(h)) and each          |
|                             | :class:`Transfer` abroad with its :class:`Safeguard` (15(2))  |
| :func:`render_access_report` | the person's data as one self-contained HTML page (en, de)   |
| :class:`ErasureReceipt`     | evidence of one erasure: outcomes, counts, read-back, no PII  |
| :func:`render_erasure_receipt` | the receipt as HTML, in the report's style                 |
| :func:`surface_digest`      | the SHA-256 a receipt records of the covered surface          |

Only the contract is imported here, never a vendor plugin: ``IntercomResolver(processing=...)``
depends on this package, not the reverse.
"""

from dsr_resolvers.report._access import render_access_report
from dsr_resolvers.report._catalogue import LANGUAGES, Language
from dsr_resolvers.report._page import LookedFor
from dsr_resolvers.report._processing import (
    AutomatedDecisions,
    Controller,
    DataProtectionOfficer,
    LegalBasis,
    Processing,
    ProcessingRecord,
    ProcessingRecordError,
    Safeguard,
    SectionProcessing,
    Transfer,
)
from dsr_resolvers.report._receipt import (
    RECEIPT_FORMAT,
    ContactErasure,
    ErasureReceipt,
    ReadBack,
    render_erasure_receipt,
    surface_digest,
)
from dsr_resolvers.report._sections import SECTIONS, Section, section_of

__all__ = [
    "LANGUAGES",
    "RECEIPT_FORMAT",
    "SECTIONS",
    "AutomatedDecisions",
    "ContactErasure",
    "Controller",
    "DataProtectionOfficer",
    "ErasureReceipt",
    "Language",
    "LegalBasis",
    "LookedFor",
    "Processing",
    "ProcessingRecord",
    "ProcessingRecordError",
    "ReadBack",
    "Safeguard",
    "Section",
    "SectionProcessing",
    "Transfer",
    "render_access_report",
    "render_erasure_receipt",
    "section_of",
    "surface_digest",
]
