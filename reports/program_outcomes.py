"""The program outcomes report: what each program's own records say it changed, counted per period.

The tables come from the programs (`programs.plugins.outcome_reports()`: an officer consult's outcome, a diverted
call's result); this module only lays them out, one row per day, week or month of the range, one column per
outcome, and a total. It never names a program.
"""

from __future__ import annotations

from datetime import date, timedelta

from programs import plugins as program_plugins

from .filters import Filters, local_tz
from .phone_then_field import summary_table
from .tables import Column, Report, Table, share_of

# The period a row covers, by the range's length: days for two weeks, weeks up to about four months.
DAY_UP_TO_DAYS = 14
WEEK_UP_TO_DAYS = 120
PERIOD_LABELS = {"day": "Day", "week": "Week of", "month": "Month"}


def period_for(f: Filters) -> str:
    if f.days <= DAY_UP_TO_DAYS:
        return "day"
    return "week" if f.days <= WEEK_UP_TO_DAYS else "month"


def period_starts(f: Filters, period: str) -> list[date]:
    """Every period of the range, empty ones too, so a quiet week shows as zeros rather than vanishing."""
    if period == "day":
        first = f.start
    elif period == "week":
        first = f.start - timedelta(days=f.start.weekday())
    else:
        first = f.start.replace(day=1)
    out, at = [], first
    while at <= f.end:
        out.append(at)
        if period == "day":
            at += timedelta(days=1)
        elif period == "week":
            at += timedelta(days=7)
        else:
            at = (at.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


def _label(start: date, period: str) -> str:
    return start.strftime("%Y-%m") if period == "month" else start.isoformat()


def outcome_table(source: program_plugins.OutcomeReport, f: Filters, period: str) -> Table:
    counts: dict[date, dict[str, int]] = {}
    for start, outcome, n in source.count(
        start_at=f.start_at,
        end_at=f.end_at,
        period=period,
        tz=local_tz(),
        program_id=f.program.pk if f.program else None,
    ):
        row = counts.setdefault(start, {})
        row[outcome] = row.get(outcome, 0) + n
    keys = [value for value, _ in source.outcomes]
    rows = []
    for start in period_starts(f, period):
        got = counts.get(start, {})
        rows.append({"period": _label(start, period)} | {k: got.get(k, 0) for k in keys})
    rows.append({"period": "Total"} | {k: sum(r[k] for r in rows) for k in keys})
    columns = [Column("period", PERIOD_LABELS[period])] + [
        Column(value, label, "int") for value, label in source.outcomes
    ]
    if source.rate:
        value, label = source.rate
        for row in rows:
            row["rate"] = share_of(row[value], sum(row[k] for k in keys))
        columns.append(Column("rate", label, "share"))
    return Table(source.key, source.title, columns, rows, note=source.note)


def program_outcomes_report(f: Filters) -> Report:
    period = period_for(f)
    tables = {source.key: outcome_table(source, f, period) for source in program_plugins.outcome_reports()}
    phone_then_field, _ = summary_table(f)
    tables[phone_then_field.key] = phone_then_field
    notes = ["Counted by when each record ended. The team filter does not apply: these records belong to no team."]
    return Report("program_outcomes", "Program outcomes", f, tables, [], notes)
