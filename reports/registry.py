"""The reports by name, and the one entry point that builds one."""

from __future__ import annotations

from datetime import timedelta

from . import keep, outcomes, phone_then_field, standards
from .caseload import caseload_report
from .filters import Filters
from .intervals import intervals_report
from .phone_then_field import PAIRS_PAGE_SIZE, phone_then_field_report
from .program_outcomes import program_outcomes_report
from .sql import report_session
from .tables import Report

# The reports that read what reports/keep.py keeps per day, and how many days before and after the range they read
# too (the outcomes' repeat callers look back 30 days, from a time that may be 23 h before local midnight; the
# phone-then-field measure reads the day before and the two after).
_AROUND = (phone_then_field.DAYS_BEFORE, phone_then_field.DAYS_AFTER)
KEPT = {
    "caseload": (0, 0),
    "intervals": (0, 0),
    "outcomes": (outcomes.REPEAT_DAYS + 1, 0),
    "standards": (0, 0),
    "phone_then_field": _AROUND,
    "program_outcomes": _AROUND,
}

REPORTS = {
    "intervals": "Response intervals",
    "standards": "Standards",
    "outcomes": "Outcomes",
    "caseload": "Caseload",
    "program_outcomes": "Program outcomes",
    "phone_then_field": "Phone, then field",
}


def build(
    name: str, f: Filters, *, by: str = "program", standard: str | None = None, page: int = 1, paged: bool = True
) -> Report:
    """One entry point for the page, the CSV and the API, so all three show the same numbers."""
    if name in KEPT:
        # Before the report's own transaction: counting a day commits what it keeps and lets go of its lock.
        before, after = KEPT[name]
        keep.days_count(Filters(start=f.start - timedelta(days=before), end=f.end + timedelta(days=after)))
    with report_session():
        return _build(name, f, by=by, standard=standard, page=page, paged=paged)


def _build(name: str, f: Filters, *, by: str, standard: str | None, page: int, paged: bool) -> Report:
    if name == "intervals":
        return intervals_report(f, by=by)
    if name == "standards":
        page_size = standards.BREACH_PAGE_SIZE if paged else None
        return standards.standards_report(f, standard=standard, page=page, page_size=page_size)
    if name == "outcomes":
        return outcomes.outcomes_report(f)
    if name == "caseload":
        return caseload_report(f)
    if name == "program_outcomes":
        return program_outcomes_report(f)
    if name == "phone_then_field":
        return phone_then_field_report(f, page=page, page_size=PAIRS_PAGE_SIZE if paged else None)
    raise KeyError(name)
