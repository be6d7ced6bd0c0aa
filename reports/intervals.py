"""The response intervals report: received → triaged → assigned → on scene → closed.

Intervals read the call's own denormalised timestamps (received_at, triaged_at, assigned_at, arrived_at,
closed_at), which dispatch's services write on each transition; the CallEvent timeline is the audit trail, not
the source for reports. A call missing a timestamp is left out of that interval, never counted as zero.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, Floor

from dispatch.models import Source, Tier

from .filters import Filters, local_tz
from .sql import Percentiles, Seconds, interval_expr
from .tables import Column, Report, Table

INTERVALS = (
    ("triage", "Received → triaged", "received_at", "triaged_at"),
    ("assign", "Triaged → assigned", "triaged_at", "assigned_at"),
    ("arrive", "Assigned → on scene", "assigned_at", "arrived_at"),
    ("on_scene", "Time on scene", "arrived_at", "closed_at"),
    ("close", "Received → closed", "received_at", "closed_at"),
)

WEEKDAYS = {1: "Monday", 2: "Tuesday", 3: "Wednesday", 4: "Thursday", 5: "Friday", 6: "Saturday", 7: "Sunday"}

# Breakdown key → (label, expression to group by, how to label a group value).
BREAKDOWNS: dict[str, tuple[str, Any]] = {
    "program": ("Program", "program__name"),
    "team": ("Team", "team__name"),
    "tier": ("Tier", "tier"),
    "priority": ("Priority", "priority"),
    "source": ("Source", "source"),
    "hour": ("Hour of day", None),
    "weekday": ("Day of week", None),
}


def _interval_aggregates() -> dict[str, Any]:
    out = {}
    for key, _label, start, end in INTERVALS:
        expr = interval_expr(start, end)
        out[f"{key}_n"] = Count(expr)
        out[f"{key}_pct"] = Percentiles(expr, (0.5, 0.9))
    return out


def _unpack_percentiles(row: dict[str, Any]) -> dict[str, Any]:
    for key, *_ in INTERVALS:
        median, p90 = row.pop(f"{key}_pct") or (None, None)
        row[f"{key}_median"], row[f"{key}_p90"] = median, p90
    return row


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


def intervals_report(f: Filters, *, by: str = "program") -> Report:
    if by not in BREAKDOWNS:
        raise ValueError(by)
    calls = f.calls()
    overall = _unpack_percentiles(calls.aggregate(calls=Count("id"), **_interval_aggregates()))
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
        note=f"{overall['calls']:,} calls received in the range. Durations are h:mm:ss or m:ss.",
    )

    label, group_field = BREAKDOWNS[by]
    if by == "hour":
        grouped = calls.annotate(g=ExtractHour("received_at", tzinfo=local_tz()))
    elif by == "weekday":
        grouped = calls.annotate(g=ExtractIsoWeekDay("received_at", tzinfo=local_tz()))
    else:
        grouped = calls.annotate(g=F(group_field))
    groups = grouped.values("g").annotate(calls=Count("id"), **_interval_aggregates()).order_by("g")
    by_rows = []
    for g in map(_unpack_percentiles, groups):
        row = {"group": _group_label(by, g["g"]), "calls": g["calls"]}
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

    # Distribution of assigned → on scene, in 5-minute bins (the last bin is "120 min or more").
    arrive = Seconds(F("arrived_at"), F("assigned_at"))
    bins = (
        calls.annotate(b=Floor(arrive / (DIST_BIN_MINUTES * 60.0)))
        .filter(b__isnull=False)
        .values("b")
        .annotate(n=Count("id"))
        .order_by("b")
    )
    last = DIST_MAX_MINUTES // DIST_BIN_MINUTES
    counts = dict.fromkeys(range(last + 1), 0)
    for b in bins:
        counts[min(max(int(b["b"]), 0), last)] += b["n"]
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
