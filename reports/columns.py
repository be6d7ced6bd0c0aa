"""Calls as compact columns, kept per local day (KeptCalls), for the reports that need every call of a range:
the intervals' percentiles and the outcomes' counts and repeat callers.

A year at 1,000,000 calls is ~70 MB of columns, read in PostgreSQL's binary format in ~0.1 s, where the reports'
own SQL scanned and sorted the calls for 2-7 s. Each column holds what the report's SQL computes for the call,
and the reports take their figures from the columns in the same arithmetic (reports/sql.py `percentile_cont`), so
they give the same numbers; the days not kept (today, a day a change made stale) come from the calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
from django.db import connection
from django.db.models.functions import ExtractHour, TruncDate

from . import rollup
from .filters import Filters, local_tz
from .models import KeptCalls
from .sql import interval_expr

INTERVALS = (
    ("triage", "Received → triaged", "received_at", "triaged_at"),
    ("assign", "Triaged → assigned", "triaged_at", "assigned_at"),
    ("arrive", "Assigned → on scene", "assigned_at", "arrived_at"),
    ("on_scene", "Time on scene", "arrived_at", "closed_at"),
    ("close", "Received → closed", "received_at", "closed_at"),
)
# Every span kept per call: the report's intervals, and the caseload's time on task.
SECONDS = INTERVALS + (("task", "Assigned → closed", "assigned_at", "closed_at"),)


# One entry per call: what the reports group and count by, and each interval's seconds as the SQL computes them
# (reports/sql.py `interval_expr`; NaN where the call lacks a timestamp). `received` is microseconds since the
# epoch (exact, for the repeat callers' 30 days); `assigned` is 1 when a team was assigned.
COLUMNS = np.dtype(
    [("id", "<i8"), ("received", "<i8"), ("person", "<i8"), ("program", "<i8"), ("team", "<i8"),
     ("priority", "<i4"), ("hour", "<i2"), ("weekday", "<i2"), ("tier", "<i2"), ("source", "<i2"),
     ("status", "<i2"), ("disposition", "<i2"), ("assigned", "<i2")]
    + [(key, "<f8") for key, *_ in SECONDS]
)  # fmt: skip
NONE = -1  # an id, priority or code that is NULL
CODED = ("tier", "source", "status", "disposition")  # strings kept as codes into the day's vocabulary
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(at: datetime) -> int:
    """An aware datetime as the `received` column holds it: microseconds since the epoch, exactly."""
    return (at - _EPOCH) // timedelta(microseconds=1)


@dataclass(frozen=True)
class CallColumns:
    """Calls as contiguous columns (a numpy array per COLUMNS name), and the strings behind the coded ones."""

    columns: dict[str, np.ndarray]
    vocabulary: dict[str, list[str]]  # CODED column -> its strings by code

    def __len__(self) -> int:
        return len(self.columns["program"])

    def __getitem__(self, column: str) -> np.ndarray:
        return self.columns[column]

    def take(self, index) -> CallColumns:
        return CallColumns({name: values[index] for name, values in self.columns.items()}, self.vocabulary)


def columns_by_day(calls) -> dict[date, tuple[np.ndarray, dict[str, list[str]]]]:
    """The calls' columns (packed, COLUMNS) and their vocabulary, per local day of receipt, from one statement."""
    tz = local_tz()
    seconds = {f"secs_{key}": interval_expr(start, end) for key, _label, start, end in SECONDS}
    fields = ("day", "id", "received_at", "person_id", "program_id", "team_id", "priority", "hour", "assigned_at",
              *CODED, *seconds)  # fmt: skip
    rows = (
        calls.annotate(day=TruncDate("received_at", tzinfo=tz), hour=ExtractHour("received_at", tzinfo=tz), **seconds)
        .values_list(*fields)
        .order_by()
    )
    if connection.vendor == "postgresql":
        return _packed_by_postgres(rows)
    at = {name: n for n, name in enumerate(fields)}
    by_day: dict[date, list[tuple]] = {}
    for r in rows:
        by_day.setdefault(r[0], []).append(r)
    out = {}
    plain = {"id": "id", "person": "person_id", "program": "program_id", "team": "team_id", "priority": "priority",
             "hour": "hour"}  # fmt: skip
    for day, day_rows in by_day.items():
        vocabulary = {name: sorted({r[at[name]] for r in day_rows} - {None}) for name in CODED}
        codes = {name: {v: n for n, v in enumerate(vocabulary[name])} for name in CODED}
        data = np.empty(len(day_rows), COLUMNS)
        for name, field in plain.items():
            data[name] = [NONE if r[at[field]] is None else r[at[field]] for r in day_rows]
        data["received"] = [micros(r[at["received_at"]]) for r in day_rows]
        data["assigned"] = [r[at["assigned_at"]] is not None for r in day_rows]
        data["weekday"] = day.isoweekday()
        for name in CODED:
            data[name] = [NONE if r[at[name]] is None else codes[name][r[at[name]]] for r in day_rows]
        for key, *_ in SECONDS:
            data[key] = [np.nan if r[at[f"secs_{key}"]] is None else r[at[f"secs_{key}"]] for r in day_rows]
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
    source = {"person": "person_id", "program": "program_id", "team": "team_id",
              "received": "(EXTRACT(EPOCH FROM received_at) * 1000000)", "weekday": "EXTRACT(ISODOW FROM day)",
              "assigned": "(assigned_at IS NOT NULL)::int", **{key: f"secs_{key}" for key, *_ in SECONDS}}  # fmt: skip
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


def columns_keep(calls, days: list[date]) -> None:
    """Keep the columns of `days` (reports/keep.py holds their locks; `calls` are those days' calls)."""
    KeptCalls.objects.filter(day__in=days).delete()
    KeptCalls.objects.bulk_create(
        KeptCalls(day=day, calls=len(data), data=data.tobytes(), vocabulary=vocabulary)
        for day, (data, vocabulary) in columns_by_day(calls).items()
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


def _joined(pieces: list[tuple[np.ndarray, dict[str, list[str]]]], names: tuple[str, ...]) -> CallColumns:
    """The `names` columns of the pieces as one each, every piece's codes mapped to one vocabulary."""
    vocabulary = {name: sorted({v for _, vocab in pieces for v in vocab[name]}) for name in CODED}
    columns = {
        name: np.concatenate([data[name] for data, _ in pieces]) if pieces else np.empty(0, COLUMNS[name])
        for name in names
    }
    start = 0
    for data, vocab in pieces:
        end = start + len(data)
        for name in CODED:
            if name not in columns:
                continue
            index = {v: n for n, v in enumerate(vocabulary[name])}
            mapping = np.array([index[v] for v in vocab[name]] + [NONE], dtype=np.int16)
            columns[name][start:end] = mapping[columns[name][start:end]]  # NONE (-1) picks the last entry: NONE
        start = end
    return CallColumns(columns, vocabulary)


def call_columns_for(f: Filters, now: datetime, names: tuple[str, ...] = COLUMNS.names) -> CallColumns:
    """The `names` columns of `f`'s calls: the kept days' and, counted from the calls, the others'."""
    stored = rollup.stored_days(f, now)
    pieces = list(_kept(stored))
    if (rest := rollup.not_kept(f, stored)) is not None:
        pieces += columns_by_day(rest[1]).values()
    cols = _joined(pieces, tuple(dict.fromkeys((*names, "program", "team"))))
    if f.program is not None:
        cols = cols.take(cols["program"] == f.program.pk)
    if f.team is not None:
        cols = cols.take(cols["team"] == f.team.pk)
    return cols
