"""Bulk erasure and export: thousands of subjects, at Intercom's full rate, resumable.

A retention policy ("erase every lead inactive for three years") or a batch of access requests
turns into a file of contact ids or email addresses, or a CSV of people (contact id, email,
phone, external id, reference a row). ``run_bulk`` works through it with many
requests in flight, paced by a :class:`RateLimiter` that reads Intercom's rate-limit headers,
and records every subject in a SQLite :class:`Journal` before each change and after it, so
that a run killed at any instant resumes where it stopped without erasing anyone twice or
losing a contact id. A refused token or a failed local write stops the run with the rest left
``pending``; memory stays flat however long the input. The journal and the report hold keyed
hashes and Intercom ids, never an address, a phone or an external id.

Example:
    >>> from dsr_resolvers.bulk import Journal, RateLimiter, read_subjects, run_bulk
    >>> from dsr_resolvers.intercom import IntercomResolver
    >>> limiter = RateLimiter()
    >>> resolver = IntercomResolver(token, region="eu", hooks=limiter)
    >>> with Journal("erase.journal") as journal:  # key: DSR_JOURNAL_KEY or erase.journal.key
    ...     summary = await run_bulk(
    ...         resolver, "erase", read_subjects("leads.csv"), journal, limiter=limiter
    ...     )
    ...     journal.write_report("erase-report.json")

Import from here; the modules behind it are private and free to change.
"""

from dsr_resolvers.bulk._inputs import (
    InputError,
    Subject,
    SubjectFile,
    SubjectKind,
    SubjectList,
    parse_subjects,
    read_subjects,
)
from dsr_resolvers.bulk._journal import (
    Journal,
    JournalEntry,
    JournalError,
    Registration,
)
from dsr_resolvers.bulk._keys import JOURNAL_KEY_ENV, journal_key
from dsr_resolvers.bulk._limiter import LimiterStats, RateLimiter, RequestAbortedError
from dsr_resolvers.bulk._plan import ContactPlan, SubjectPlan, plan_bulk_erase
from dsr_resolvers.bulk._report import (
    BulkOperation,
    BulkProgress,
    BulkReport,
    BulkSummary,
    ContactOutcome,
    FailureInfo,
    RunSettings,
    StopReason,
    SubjectOutcome,
    SubjectState,
)
from dsr_resolvers.bulk._runner import (
    AUTO_CONCURRENCY_MAX,
    EXPORT_FORMAT,
    ProgressCallback,
    RetryPolicy,
    run_bulk,
    run_options,
    subject_contacts,
)

__all__ = [
    "AUTO_CONCURRENCY_MAX",
    "EXPORT_FORMAT",
    "JOURNAL_KEY_ENV",
    "BulkOperation",
    "BulkProgress",
    "BulkReport",
    "BulkSummary",
    "ContactOutcome",
    "ContactPlan",
    "FailureInfo",
    "InputError",
    "Journal",
    "JournalEntry",
    "JournalError",
    "LimiterStats",
    "ProgressCallback",
    "RateLimiter",
    "Registration",
    "RequestAbortedError",
    "RetryPolicy",
    "RunSettings",
    "StopReason",
    "Subject",
    "SubjectFile",
    "SubjectKind",
    "SubjectList",
    "SubjectOutcome",
    "SubjectPlan",
    "SubjectState",
    "journal_key",
    "parse_subjects",
    "plan_bulk_erase",
    "read_subjects",
    "run_bulk",
    "run_options",
    "subject_contacts",
]
