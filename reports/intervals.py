"""The response intervals report: received → triaged → assigned → on scene → closed.

Intervals read the call's own denormalised timestamps (received_at, triaged_at, assigned_at, arrived_at,
closed_at), which dispatch's services write on each transition; the CallEvent timeline is the audit trail, not
the source for reports. A call missing a timestamp is left out of that interval, never counted as zero.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
from django.db import connection
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone

from dispatch.models import Source, Tier
from programs.models import Program
from responders.models import Team

from . import rollup
from .filters import Filters, local_tz
from .models import KeptCalls
from .sql import interval_expr, percentile_cont
from .tables import Column, Report, Table

INTERVALS = (
    ("triage", "Received → triaged", "received_at", "triaged_at"),
    ("assign", "Triaged → assigned", "triaged_at", "assigned_at"),
    ("arrive", "Assigned → on scene", "assigned_at", "arrived_at"),
    ("on_scene", "Time on scene", "arrived_at", "closed_at"),
    ("close", "Received → closed", "received_at", "closed_at"),
)

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

# The report's input, one entry per call: what it groups by and each interval's seconds, as the SQL computes them
# (reports/sql.py `interval_expr`; NaN where the call lacks a timestamp). Kept per local day (KeptCalls) and read
# for a year in ~0.1 s, where percentile_cont over the year's calls took 4.5 s at 1,000,000 calls; the
# percentiles are then taken in PostgreSQL's own arithmetic (`percentile_cont`), so the figures are the same.
COLUMNS = np.dtype(
    [("program", "<i8"), ("team", "<i8"), ("priority", "<i4"), ("hour", "<i2"), ("weekday", "<i2"), ("tier", "<i2"),
     ("source", "<i2")] + [(key, "<f8") for key, *_ in INTERVALS]
)  # fmt: skip
NONE = -1  # an id, priority or code that is NULL
CODED = ("tier", "source")  # strings kept as codes into the day's vocabulary


@dataclass(frozen=True)
class CallColumns:
    """Calls as contiguous columns (a numpy array per COLUMNS name), and the strings behind the coded ones."""

    columns: dict[str, np.ndarray]
    vocabulary: dict[str, list[str]]  # CODED column -> its strings by code

    @classmethod
    def of(cls, data: np.ndarray, vocabulary: dict[str, list[str]]) -> CallColumns:
        return cls({name: np.ascontiguousarray(data[name]) for name in COLUMNS.names}, vocabulary)

    def __len__(self) -> int:
        return len(self.columns["program"])

    def __getitem__(self, column: str) -> np.ndarray:
        return self.columns[column]

    def take(self, index) -> CallColumns:
        return CallColumns({name: values[index] for name, values in self.columns.items()}, self.vocabulary)

    def packed(self) -> np.ndarray:
        data = np.empty(len(self), COLUMNS)
        for name, values in self.columns.items():
            data[name] = values
        return data


def _columns(calls) -> dict[date, tuple[np.ndarray, dict[str, list[str]]]]:
    """The calls' columns (packed, COLUMNS) and their vocabulary, per local day of receipt, from one statement."""
    tz = local_tz()
    seconds = {f"secs_{key}": interval_expr(start, end) for key, _label, start, end in INTERVALS}
    rows = (
        calls.annotate(day=TruncDate("received_at", tzinfo=tz), hour=ExtractHour("received_at", tzinfo=tz), **seconds)
        .values_list("day", "program_id", "team_id", "priority", "hour", "tier", "source", *seconds)
        .order_by()
    )
    if connection.vendor == "postgresql":
        return _packed_by_postgres(rows)
    by_day: dict[date, list[tuple]] = {}
    for r in rows:
        by_day.setdefault(r[0], []).append(r)
    out = {}
    for day, day_rows in by_day.items():
        vocabulary = {name: sorted({r[5 + i] for r in day_rows} - {None}) for i, name in enumerate(CODED)}
        codes = {name: {v: n for n, v in enumerate(vocabulary[name])} for name in CODED}
        data = np.empty(len(day_rows), COLUMNS)
        for i, name in enumerate(("program", "team", "priority", "hour")):
            data[name] = [NONE if r[1 + i] is None else r[1 + i] for r in day_rows]
        data["weekday"] = day.isoweekday()
        for i, name in enumerate(CODED):
            data[name] = [NONE if r[5 + i] is None else codes[name][r[5 + i]] for r in day_rows]
        for i, (key, *_) in enumerate(INTERVALS):
            data[key] = [np.nan if r[7 + i] is None else r[7 + i] for r in day_rows]
        out[day] = (data, vocabulary)
    return out


# The same columns, packed by PostgreSQL: each call's entry in its binary send format (big-endian), joined per day,
# so a year's million calls never pass through Python one by one (that took ~12 s; this ~1 s).
_SEND = {
    "<i8": "int8send(COALESCE({}, -1)::int8)",
    "<i4": "int4send(COALESCE({}, -1)::int4)",
    "<i2": "int2send(COALESCE({}, -1)::int2)",
    "<f8": "float8send(COALESCE({}, 'NaN'))",
}


def _packed_by_postgres(rows) -> dict[date, tuple[np.ndarray, dict[str, list[str]]]]:
    sql, params = rows.query.sql_with_params()
    source = {"program": "program_id", "team": "team_id", "weekday": "EXTRACT(ISODOW FROM day)", **{
        key: f"secs_{key}" for key, *_ in INTERVALS}}  # fmt: skip
    coded = {
        name: f"CASE WHEN {name} IS NULL THEN -1 ELSE dense_rank() OVER (PARTITION BY day ORDER BY {name}) - 1 END"
        for name in CODED
    }
    entry = " || ".join(
        _SEND[COLUMNS.fields[name][0].str].format(f"{name}_code" if name in CODED else source.get(name, name))
        for name in COLUMNS.names
    )
    vocabularies = ", ".join(f"array_agg(DISTINCT {name}) FILTER (WHERE {name} IS NOT NULL)" for name in CODED)
    coded_columns = ", ".join(f"{expr} AS {name}_code" for name, expr in coded.items())
    packed = (
        f"SELECT day, string_agg({entry}, ''::bytea), {vocabularies} "  # noqa: S608 (the ORM's own SQL and params)
        f"FROM (SELECT calls.*, {coded_columns} FROM ({sql}) AS calls) AS coded GROUP BY day"
    )
    with connection.cursor() as cursor:
        cursor.execute(packed, params)
        out = {}
        for day, data, *vocabs in cursor.fetchall():
            vocabulary = {name: list(v or []) for name, v in zip(CODED, vocabs, strict=True)}
            out[day] = (np.frombuffer(bytes(data), COLUMNS.newbyteorder(">")).astype(COLUMNS), vocabulary)
    return out


def intervals_keep(calls, days: list[date]) -> None:
    """Keep the columns of `days` (reports/keep.py holds their locks; `calls` are those days' calls)."""
    KeptCalls.objects.filter(day__in=days).delete()
    KeptCalls.objects.bulk_create(
        KeptCalls(day=day, calls=len(data), data=data.tobytes(), vocabulary=vocabulary)
        for day, (data, vocabulary) in _columns(calls).items()
    )


def _kept(days: set[date]) -> Iterator[tuple[np.ndarray, dict[str, list[str]]]]:
    if not days:
        return
    if connection.vendor == "postgresql":
        # A year is ~55 MB of columns: PostgreSQL's binary format hands it over in ~0.1 s, the text format that
        # Django's cursor uses (hex) in ~0.4 s. The same connection and transaction as the report's other reads.
        # (Django's connections use psycopg's client-side cursors, which have no binary format: a plain one.)
        import psycopg

        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            sql = "SELECT data, vocabulary FROM reports_keptcalls WHERE day = ANY(%s)"
            rows = cursor.execute(sql, [sorted(days)], binary=True).fetchall()
    else:
        rows = KeptCalls.objects.filter(day__in=days).values_list("data", "vocabulary")
    for data, vocabulary in rows:
        yield np.frombuffer(data, COLUMNS), vocabulary


def _joined(pieces: list[tuple[np.ndarray, dict[str, list[str]]]]) -> CallColumns:
    """The pieces as one, each piece's codes mapped to one vocabulary."""
    vocabulary = {name: sorted({v for _, vocab in pieces for v in vocab[name]}) for name in CODED}
    cols = CallColumns.of(np.concatenate([data for data, _ in pieces]) if pieces else np.empty(0, COLUMNS), vocabulary)
    start = 0
    for data, vocab in pieces:
        end = start + len(data)
        for name in CODED:
            index = {v: n for n, v in enumerate(vocabulary[name])}
            mapping = np.array([index[v] for v in vocab[name]] + [NONE], dtype=np.int16)
            cols[name][start:end] = mapping[cols[name][start:end]]  # NONE (-1) picks the last entry: NONE again
        start = end
    return cols


def call_columns_for(f: Filters, now: datetime) -> CallColumns:
    """The columns of `f`'s calls: the kept days' and, counted from the calls, the others'."""
    stored = rollup.stored_days(f, now)
    pieces = list(_kept(stored))
    if missing := [d for d in f.each_day() if d not in stored]:
        span = Filters(start=missing[0], end=missing[-1], program=f.program, team=f.team)
        pieces += _columns(span.calls().filter(rollup.received_on(missing))).values()
    cols = _joined(pieces)
    if f.program is not None:
        cols = cols.take(cols["program"] == f.program.pk)
    if f.team is not None:
        cols = cols.take(cols["team"] == f.team.pk)
    return cols


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
    cols = call_columns_for(f, now or timezone.now())
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
