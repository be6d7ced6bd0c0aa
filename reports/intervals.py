"""The response intervals report: received → triaged → assigned → on scene → closed.

Intervals read the call's own denormalised timestamps (received_at, triaged_at, assigned_at, arrived_at,
closed_at), which dispatch's services write on each transition; the CallEvent timeline is the audit trail, not
the source for reports. A call missing a timestamp is left out of that interval, never counted as zero.

The figures come from the calls' columns (reports/columns.py: kept days, and the others from the calls), with
PostgreSQL's percentile arithmetic and the database's own order for the groups, so they are what GROUP BY and
percentile_cont over the calls gave (4.5 s for a year at 1,000,000 calls).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
from django.db import connection
from django.utils import timezone

from dispatch.models import Source, Tier
from programs.models import Program
from responders.models import Team

from .columns import CODED, INTERVALS, NONE, CallColumns, call_columns_for
from .filters import Filters
from .sql import percentile_cont
from .tables import Column, Report, Table

WEEKDAYS = {1: "Monday", 2: "Tuesday", 3: "Wednesday", 4: "Thursday", 5: "Friday", 6: "Saturday", 7: "Sunday"}

# Breakdown key → (label, the column of CallColumns it groups by).
BREAKDOWNS: dict[str, tuple[str, str]] = {
    "program": ("Program", "program"),
    "team": ("Team", "team"),
    "tier": ("Tier", "tier"),
    "priority": ("Priority", "priority"),
    "source": ("Source", "source"),
    "hour": ("Hour of day", "hour"),
    "weekday": ("Day of week", "weekday"),
}
FRACTIONS = (0.5, 0.9)
NEEDS = ("priority", "hour", "weekday", "tier", "source", *(key for key, *_ in INTERVALS))  # of the columns


def _interval_figures(cols: CallColumns) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, *_ in INTERVALS:
        values = cols[key][~np.isnan(cols[key])]
        out[f"{key}_n"] = len(values)
        out[f"{key}_median"], out[f"{key}_p90"] = percentile_cont(values, FRACTIONS) if len(values) else (None, None)
    return out


def _group_values(cols: CallColumns, by: str, codes: list[int]) -> list[Any]:
    """What each code of the grouping column means, as the SQL grouped by it (a program's or team's name)."""
    if by in ("program", "team"):
        model = Program if by == "program" else Team
        names = dict(model.objects.filter(pk__in=[c for c in codes if c != NONE]).values_list("pk", "name"))
        return [None if c == NONE else names.get(c) for c in codes]
    if by in CODED:
        return [None if c == NONE else cols.vocabulary[by][c] for c in codes]
    if by == "priority":
        return [None if c == NONE else c for c in codes]
    return codes


def _ordered(values: set) -> list:
    """`values` in the database's ORDER BY: its collation for text, NULL last on PostgreSQL and first on SQLite."""
    present = [v for v in values if v is not None]
    if present and isinstance(present[0], str) and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT v FROM unnest(%s::text[]) AS v ORDER BY v", [present])
            present = [r[0] for r in cursor.fetchall()]
    else:
        present = sorted(present)
    if None not in values:
        return present
    return present + [None] if connection.features.nulls_order_largest else [None] + present


def _groups(cols: CallColumns, by: str) -> list[tuple[Any, CallColumns]]:
    """(value, its calls) per value of the breakdown, in the SQL's order; two teams of one name are one group."""
    raw = cols[BREAKDOWNS[by][1]].astype(np.int64)
    low = int(raw.min()) if len(raw) else 0
    present = np.flatnonzero(np.bincount(raw - low))  # the codes there are (ids, codes or hours: small integers)
    values = _group_values(cols, by, (present + low).tolist())
    order = _ordered(set(values))
    position = {v: n for n, v in enumerate(order)}
    lookup = np.zeros(int(present[-1]) + 1 if len(present) else 1, dtype=np.int16)
    lookup[present] = [position[v] for v in values]
    group = lookup[raw - low]  # int16: numpy's stable sort is a radix sort
    sorter = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[sorter], np.arange(len(order) + 1))
    ordered = cols.take(sorter)  # each group is then a slice: no copy per group
    return [(v, ordered.take(slice(bounds[n], bounds[n + 1]))) for n, v in enumerate(order)]


def _group_label(by: str, value) -> str:
    if value is None or value == "":
        return "(none)"
    if by == "tier":
        return Tier(value).label if value in Tier.values else value
    if by == "source":
        return Source(value).label if value in Source.values else value
    if by == "priority":
        return f"P{value}"
    if by == "hour":
        return f"{int(value):02d}:00"
    if by == "weekday":
        return WEEKDAYS.get(int(value), str(value))
    return str(value)


DIST_BIN_MINUTES = 5
DIST_MAX_MINUTES = 120


def intervals_report(f: Filters, *, by: str = "program", now: datetime | None = None) -> Report:
    if by not in BREAKDOWNS:
        raise ValueError(by)
    cols = call_columns_for(f, now or timezone.now(), NEEDS)
    overall = _interval_figures(cols)
    rows = [
        {
            "interval": label,
            "n": overall[f"{key}_n"],
            "median": overall[f"{key}_median"],
            "p90": overall[f"{key}_p90"],
        }
        for key, label, _s, _e in INTERVALS
    ]
    summary = Table(
        "summary",
        "All calls",
        [
            Column("interval", "Interval"),
            Column("n", "Calls measured", "int"),
            Column("median", "Median", "duration"),
            Column("p90", "90th percentile", "duration"),
        ],
        rows,
        note=f"{len(cols):,} calls received in the range. Durations are h:mm:ss or m:ss.",
    )

    label, _field = BREAKDOWNS[by]
    by_rows = []
    for value, members in _groups(cols, by):
        g = _interval_figures(members)
        row = {"group": _group_label(by, value), "calls": len(members)}
        for key, *_ in INTERVALS:
            row[f"{key}_median"] = g[f"{key}_median"]
            row[f"{key}_p90"] = g[f"{key}_p90"]
        by_rows.append(row)
    by_columns = [Column("group", label), Column("calls", "Calls", "int")]
    for key, ilabel, *_ in INTERVALS:
        by_columns += [
            Column(f"{key}_median", f"{ilabel}: median", "duration"),
            Column(f"{key}_p90", f"{ilabel}: p90", "duration"),
        ]
    by_table = Table("by", f"By {label.lower()}", by_columns, by_rows)

    # Distribution of assigned → on scene, in 5-minute bins (the last bin is "120 min or more"): the SQL's
    # FLOOR(seconds / 300.0) in the same double arithmetic.
    arrive = cols["arrive"][~np.isnan(cols["arrive"])]
    last = DIST_MAX_MINUTES // DIST_BIN_MINUTES
    bins = np.clip(np.floor(arrive / (DIST_BIN_MINUTES * 60.0)), 0, last).astype(np.int64)
    counts = dict(enumerate(np.bincount(bins, minlength=last + 1).tolist()))
    dist_rows = [
        {
            "bin": f"{i * DIST_BIN_MINUTES}–{(i + 1) * DIST_BIN_MINUTES} min"
            if i < last
            else f"{DIST_MAX_MINUTES}+ min",
            "calls": n,
        }
        for i, n in counts.items()
    ]
    dist = Table(
        "distribution",
        "Assigned → on scene: distribution",
        [Column("bin", "Minutes"), Column("calls", "Calls", "int")],
        dist_rows,
    )

    charts = [
        {
            "id": "chart-distribution",
            "title": "How long teams take to get on scene once assigned",
            "type": "bar",
            "labels": [r["bin"] for r in dist_rows],
            "datasets": [{"label": "Calls", "data": [r["calls"] for r in dist_rows]}],
            "y_title": "Calls",
        },
        {
            "id": "chart-by",
            "title": f"Assigned → on scene by {label.lower()} (minutes)",
            "type": "bar",
            "labels": [r["group"] for r in by_rows],
            "datasets": [
                {"label": "Median", "data": [_minutes(r["arrive_median"]) for r in by_rows]},
                {"label": "90th percentile", "data": [_minutes(r["arrive_p90"]) for r in by_rows]},
            ],
            "y_title": "Minutes",
        },
    ]
    notes = [
        "Each interval counts only calls that have both timestamps; a call without an arrival time is left out "
        "of the arrival interval, not counted as zero.",
        "Time on scene runs from arrival to close (it includes any transport). Cancelled calls have no close interval.",
    ]
    return Report(
        "intervals", "Response intervals", f, {"summary": summary, "by": by_table, "distribution": dist}, charts, notes
    )


def _minutes(seconds):
    return None if seconds is None else round(seconds / 60.0, 1)
