"""What the reports keep per local day, so that a year's report reads ~10,000 small rows and a year of compact
per-call columns instead of 1,000,000 calls (the standards' counts took 2.5-3 s and the intervals' percentiles 4.5 s
of scans and sorts at that size; bench/RESULTS.md, rounds 7 and 8).

A day is counted from its calls with the reports' own code (reports/keep.py: the standards' `count_standards`, the
intervals' `_columns`) once the day is over. A report adds up the days kept here and counts the others (today, a
day a change made stale) from the calls, so it gives the same numbers either way. What is kept for a day stops
being used when:
- one of its calls changes: every change to a call is a timeline event told to crisis.outbound in the change's
  own transaction, as is a record that stops a standard's clock (a completed follow-up); `on_event` marks the
  day stale there. A day is kept only once it ended more than MARGIN ago, so changes to today's calls (the hot
  path) cost nothing here;
- time alone would change it: a clock that counts a breach when it runs out (follow-up within 72 h) was still
  running on one of the day's calls; the day holds until the first such clock runs out;
- what it was counted under changed (the configured standards, the time zone, the programs that stop a clock,
  VERSION): each day carries a fingerprint of it.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from dispatch.models import Call
from dispatch.standards import configured_standards
from programs import plugins as program_plugins

from .filters import Filters, local_tz
from .models import KeptCalls, KeptDay, KeptStandards

# A day is kept once it ended this long ago. A change to a call received on a day before the writer's today marks
# that day stale; a writer whose day was still "today" must have committed before the day can be counted.
MARGIN = timedelta(hours=1)
VERSION = "6"  # bump when what is kept changes: every kept day is counted again


def last_day_kept(now: datetime) -> date:
    return timezone.localtime(now - MARGIN, local_tz()).date() - timedelta(days=1)


def fingerprint() -> str:
    parts = [VERSION, str(local_tz())]
    for std in configured_standards():
        source = program_plugins.standard_end(std.end)
        parts.append(repr((std.key, std.start, std.end, std.target_seconds, sorted(std.tiers or ()),
                           std.overdue_is_breach, None if source is None else source.end)))  # fmt: skip
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _usable(now: datetime, fp: str) -> Q:
    return Q(stale=False, fingerprint=fp, counted_for__lte=now) & (Q(good_until__isnull=True) | Q(good_until__gt=now))


def stored_days(f: Filters, now: datetime) -> set[date]:
    """The days of `f` whose kept counts hold at `now`."""
    last = min(f.end, last_day_kept(now))
    if last < f.start:
        return set()
    return set(
        KeptDay.objects.filter(_usable(now, fingerprint()), day__gte=f.start, day__lte=last).values_list(
            "day", flat=True
        )
    )


def runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) runs."""
    out: list[tuple[date, date]] = []
    for d in sorted(days):
        if out and out[-1][1] + timedelta(days=1) == d:
            out[-1] = (out[-1][0], d)
        else:
            out.append((d, d))
    return out


def received_on(days: list[date]) -> Q:
    """Calls received on these local days (at least one): one range per run of consecutive days, so the
    received_at index finds them."""
    q = Q()
    for first, last in runs(days):
        r = Filters(start=first, end=last)
        q |= Q(received_at__gte=r.start_at, received_at__lt=r.end_at)
    return q


def not_kept(f: Filters, stored: set[date]):
    """The days of `f` not in `stored`: (their span, with `f`'s program and team, and its calls received on them),
    or None when every day is kept."""
    missing = [d for d in f.each_day() if d not in stored]
    if not missing:
        return None
    span = Filters(start=missing[0], end=missing[-1], program=f.program, team=f.team)
    return span, span.calls().filter(received_on(missing))


def period_of(day: date, period: str) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def add_stored(rows: list[dict[str, Any]], f: Filters, stored: set[date], period: str) -> list[dict[str, Any]]:
    """The counted periods' rows with the kept days' counts added in, one row per period, in order."""
    by: dict[date, dict[str, Any]] = {}
    for r in rows:
        p = r["period"].date() if isinstance(r["period"], datetime) else r["period"]
        by[p] = r | {"period": p}
    if stored:
        kept = KeptStandards.objects.filter(day__in=stored)
        if f.program is not None:
            kept = kept.filter(program_id=f.program.pk)
        if f.team is not None:
            kept = kept.filter(team_id=f.team.pk)
        for day, counts in kept.values_list("day", "counts"):
            p = period_of(day, period)
            out = by.setdefault(p, {"period": p})
            for k, n in counts.items():
                out[k] = out.get(k, 0) + n
    return [by[p] for p in sorted(by)]


def on_event(kind: str, *, obj, **data: Any) -> None:
    """crisis.outbound's listener (registered in ReportsConfig.ready): a change to a call, or to a record that
    stops a standard's clock, marks the call's day stale in the change's own transaction."""
    if isinstance(obj, Call):
        received_at = obj.received_at
    else:
        call_id = _record_call_id(obj)
        if call_id is None:
            return
        received_at = Call.objects.filter(pk=call_id).values_list("received_at", flat=True).first()
        if received_at is None:
            return
    day_stale(timezone.localtime(received_at, local_tz()).date(), now=timezone.now())


def _record_call_id(obj) -> int | None:
    for std in configured_standards():
        source = program_plugins.standard_end(std.end)
        if source is not None and isinstance(obj, source.records().model):
            return getattr(obj, f"{source.call_field}_id", None)
    return None


def day_stale(day: date, *, now: datetime) -> None:
    """Mark one day's kept counts out of date (nothing to do for today or later: those are never kept)."""
    if day >= timezone.localtime(now, local_tz()).date():
        return
    # An upsert, not an UPDATE: a recount inserting this day's stamp right now makes this wait for it and then
    # mark it stale; an UPDATE would find no row and the recount would keep counts that miss this change.
    KeptDay.objects.bulk_create(
        [KeptDay(day=day, stale=True)], update_conflicts=True, unique_fields=["day"], update_fields=["stale"]
    )


def forget() -> None:
    """Drop everything kept (after writing calls outside the services: generate_history, the bench's growth)."""
    KeptDay.objects.all().delete()
    KeptStandards.objects.all().delete()
    KeptCalls.objects.all().delete()


def days_to_count(f: Filters, now: datetime) -> list[date]:
    last = min(f.end, last_day_kept(now))
    if last < f.start:
        return []
    have = stored_days(Filters(start=f.start, end=last), now)
    return [d for d in Filters(start=f.start, end=last).each_day() if d not in have]
