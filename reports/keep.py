"""Counting and keeping the reports' per-day figures (reports/rollup.py says what is kept and when it holds).

The report page runs `days_count` before it reads, a beat task hourly, `manage.py report_days` by hand. Each day is
counted from its calls by the reports' own code: the standards' counts (reports/standards.py) and the calls as
compact columns (reports/columns.py) for the intervals and outcomes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from . import columns, rollup, standards
from .filters import Filters
from .models import KeptDay
from .sql import tune_transaction

CHUNK_DAYS = 31  # days counted per transaction: a month's calls, so a count holds its locks briefly


def days_count(f: Filters, now: datetime | None = None) -> int:
    """Count and keep the days of `f` whose kept figures are missing or no longer hold; returns how many days
    were counted."""
    now = now or timezone.now()
    counted = 0
    for first, last in rollup.runs(rollup.days_to_count(f, now)):
        while first <= last:
            end = min(last, first + timedelta(days=CHUNK_DAYS - 1))
            counted += _count_and_keep(Filters(start=first, end=end), now)
            first = end + timedelta(days=1)
    return counted


def _count_and_keep(span: Filters, now: datetime) -> int:
    # The stamps exist first, committed on their own, so that a change marking one of these days stale waits for
    # the count's lock below instead of racing it. Only the missing ones: inserting over a stamp a change holds
    # would wait for that change to commit.
    have = set(KeptDay.objects.filter(day__gte=span.start, day__lte=span.end).values_list("day", flat=True))
    if missing := [KeptDay(day=d) for d in span.each_day() if d not in have]:
        KeptDay.objects.bulk_create(missing, ignore_conflicts=True)
    with transaction.atomic():
        tune_transaction()
        # A day a change is marking stale right now is left for the next count (counted from the calls meanwhile).
        days = sorted(
            KeptDay.objects.select_for_update(skip_locked=True)
            .filter(day__gte=span.start, day__lte=span.end)
            .values_list("day", flat=True)
        )
        if not days:
            return 0
        calls = span.calls().filter(rollup.received_on(days))
        good_until = standards.standards_keep(calls, span, days, now)
        columns.columns_keep(calls, days)
        fp = rollup.fingerprint()
        KeptDay.objects.bulk_update(
            [KeptDay(day=d, stale=False, fingerprint=fp, counted_for=now, good_until=good_until.get(d)) for d in days],
            ["stale", "fingerprint", "counted_for", "good_until"],
        )
    return len(days)
