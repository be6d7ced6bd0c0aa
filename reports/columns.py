"""Calls as compact columns, kept per local day (KeptCalls), for the reports that need every call of a range:
the intervals' percentiles, the outcomes' counts and repeat callers, the caseload's time on task, and the calls
resolved by phone that a team later went out to.

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
from django.db.models import Case, DateTimeField, Q, When
from django.db.models.functions import Coalesce, ExtractHour, TruncDate

from crisis.validators import phone_digits
from dispatch.models import Disposition, Status

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


# The calls resolved by phone (by a dispatcher or a 911-diversion clinician), and when: the column its one writer
# sets with the timeline's row (dispatch/calls.call_resolve_by_phone), else the call's close.
PHONE_RESOLVED = Q(status=Status.RESOLVED_BY_PHONE) | Q(disposition=Disposition.RESOLVED_BY_PHONE)


def resolution():
    return Coalesce("resolved_by_phone_at", "closed_at", "status_changed_at")


# One entry per call: what the reports group and count by, and each interval's seconds as the SQL computes them
# (reports/sql.py `interval_expr`; NaN where the call lacks a timestamp). `received`, `team_at` (when a team took
# the call) and `resolved` (when it was resolved by phone) are microseconds since the epoch, exactly (NONE when
# not); `assigned` is 1 when a team was assigned; `digits` is the callback number's `digits_code`.
COLUMNS = np.dtype(
    [("id", "<i8"), ("received", "<i8"), ("person", "<i8"), ("program", "<i8"), ("team", "<i8"),
     ("team_at", "<i8"), ("resolved", "<i8"), ("digits", "<i8"),
     ("priority", "<i4"), ("hour", "<i2"), ("weekday", "<i2"), ("tier", "<i2"), ("source", "<i2"),
     ("status", "<i2"), ("disposition", "<i2"), ("assigned", "<i2")]
    + [(key, "<f8") for key, *_ in SECONDS]
)  # fmt: skip
NONE = -1  # an id, priority or code that is NULL
CODED = ("tier", "source", "status", "disposition")  # strings kept as codes into the day's vocabulary
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(at: datetime | None) -> int:
    """An aware datetime as the `received` column holds it: microseconds since the epoch, exactly (NONE: None)."""
    return NONE if at is None else (at - _EPOCH) // timedelta(microseconds=1)


def from_micros(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=int(us))


# A callback number as one integer, so that two numbers are the same caller exactly when their `phone_digits` are
# equal: "1" and the (at most 10) digits, which keeps leading zeros apart. NONE: no digits. A number with any
# character outside ASCII is NOT_ASCII: PostgreSQL's regular expressions and Python's isdigit() differ there, so
# the report reads such numbers again and compares their digits in Python (phone_then_field.py).
NOT_ASCII = -2


def digits_code(number: str) -> int:
    if not number.isascii():
        return NOT_ASCII
    digits = phone_digits(number)
    return int("1" + digits) if digits else NONE


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


# A day's calls: each column as an array (COLUMNS' names and types), and the strings behind the coded ones.
Piece = tuple[dict[str, np.ndarray], dict[str, list[str]]]


def columns_by_day(calls) -> dict[date, Piece]:
    """The calls' columns and their vocabulary, per local day of receipt, from one statement."""
    tz = local_tz()
    seconds = {f"secs_{key}": interval_expr(start, end) for key, _label, start, end in SECONDS}
    fields = ("day", "id", "received_at", "person_id", "program_id", "team_id", "priority", "hour", "assigned_at",
              "resolution", "callback_number", *CODED, *seconds)  # fmt: skip
    rows = (
        calls.annotate(
            day=TruncDate("received_at", tzinfo=tz),
            hour=ExtractHour("received_at", tzinfo=tz),
            resolution=Case(When(PHONE_RESOLVED, then=resolution()), output_field=DateTimeField()),
            **seconds,
        )
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
        values = {
            name: [NONE if r[at[field]] is None else r[at[field]] for r in day_rows] for name, field in plain.items()
        }
        values["received"] = [micros(r[at["received_at"]]) for r in day_rows]
        values["team_at"] = [micros(r[at["assigned_at"]]) for r in day_rows]
        values["resolved"] = [micros(r[at["resolution"]]) for r in day_rows]
        values["digits"] = [digits_code(r[at["callback_number"]]) for r in day_rows]
        values["assigned"] = [r[at["assigned_at"]] is not None for r in day_rows]
        values["weekday"] = [day.isoweekday()] * len(day_rows)
        for name in CODED:
            values[name] = [NONE if r[at[name]] is None else codes[name][r[at[name]]] for r in day_rows]
        for key, *_ in SECONDS:
            values[key] = [np.nan if r[at[f"secs_{key}"]] is None else r[at[f"secs_{key}"]] for r in day_rows]
        out[day] = ({name: np.array(values[name], COLUMNS[name]) for name in COLUMNS.names}, vocabulary)
    return out


# The same columns, packed by PostgreSQL: each column of a day's calls in its binary send format (big-endian),
# joined per day, so a year's million calls never pass through Python one by one (that took ~12 s; this ~1 s).
# Every aggregate of a group sees its rows in the same order (one pass), so the columns line up call by call.
_SEND = {
    "<i8": "int8send(COALESCE({}, -1)::int8)",
    "<i4": "int4send(COALESCE({}, -1)::int4)",
    "<i2": "int2send(COALESCE({}, -1)::int2)",
    "<f8": "float8send(COALESCE({}, 'NaN'))",
}
# `digits_code` in SQL: [^0-9] and Python's isdigit() agree on ASCII, and a number with anything else is NOT_ASCII.
_DIGITS = "regexp_replace(callback_number, '[^0-9]', '', 'g')"
_DIGITS_CODE = (
    f"CASE WHEN octet_length(callback_number) <> char_length(callback_number) THEN {NOT_ASCII} "
    f"WHEN {_DIGITS} = '' THEN {NONE} ELSE ('1' || right({_DIGITS}, 10))::int8 END"
)


def _packed_by_postgres(rows) -> dict[date, Piece]:
    sql, params = rows.query.sql_with_params()
    source = {"person": "person_id", "program": "program_id", "team": "team_id",
              "received": "(EXTRACT(EPOCH FROM received_at) * 1000000)", "weekday": "EXTRACT(ISODOW FROM day)",
              "team_at": "(EXTRACT(EPOCH FROM assigned_at) * 1000000)",
              "resolved": "(EXTRACT(EPOCH FROM resolution) * 1000000)", "digits": _DIGITS_CODE,
              "assigned": "(assigned_at IS NOT NULL)::int", **{key: f"secs_{key}" for key, *_ in SECONDS}}  # fmt: skip
    coded = {
        name: f"CASE WHEN {name} IS NULL THEN -1 ELSE dense_rank() OVER (PARTITION BY day ORDER BY {name}) - 1 END"
        for name in CODED
    }
    packed_columns = ", ".join(
        "string_agg({}, ''::bytea)".format(
            _SEND[COLUMNS[name].str].format(f"{name}_code" if name in CODED else source.get(name, name))
        )
        for name in COLUMNS.names
    )
    vocabularies = ", ".join(f"array_agg(DISTINCT {name}) FILTER (WHERE {name} IS NOT NULL)" for name in CODED)
    coded_columns = ", ".join(f"{expr} AS {name}_code" for name, expr in coded.items())
    packed = (
        f"SELECT day, {vocabularies}, {packed_columns} "  # noqa: S608 (the ORM's own SQL and params)
        f"FROM (SELECT calls.*, {coded_columns} FROM ({sql}) AS calls) AS coded GROUP BY day"
    )
    with connection.cursor() as cursor:
        cursor.execute(packed, params)
        out = {}
        for day, *rest in cursor.fetchall():
            vocabulary = {name: list(v or []) for name, v in zip(CODED, rest[: len(CODED)], strict=True)}
            columns = {
                name: np.frombuffer(bytes(data), COLUMNS[name].newbyteorder(">")).astype(COLUMNS[name])
                for name, data in zip(COLUMNS.names, rest[len(CODED) :], strict=True)
            }
            out[day] = (columns, vocabulary)
    return out


# KeptCalls.data holds a day's columns one after the other (COLUMNS' order, little-endian): a report reads only
# the slices of the columns it needs (PostgreSQL fetches only those parts of an uncompressed EXTERNAL value).
_OFFSET = {name: sum(COLUMNS[n].itemsize for n in COLUMNS.names[:i]) for i, name in enumerate(COLUMNS.names)}


def columns_keep(calls, days: list[date]) -> None:
    """Keep the columns of `days` (reports/keep.py holds their locks; `calls` are those days' calls)."""
    KeptCalls.objects.filter(day__in=days).delete()
    KeptCalls.objects.bulk_create(
        KeptCalls(
            day=day,
            calls=len(columns["id"]),
            data=b"".join(columns[name].tobytes() for name in COLUMNS.names),
            vocabulary=vocabulary,
        )
        for day, (columns, vocabulary) in columns_by_day(calls).items()
    )


def _kept(days: set[date], names: tuple[str, ...]) -> Iterator[Piece]:
    if not days:
        return
    if connection.vendor == "postgresql":
        # PostgreSQL's binary format hands the bytes over as they are (the text format that Django's cursor uses
        # is hex, four times slower). The same connection and transaction as the report's other reads. (Django's
        # connections use psycopg's client-side cursors, which have no binary format: a plain one.)
        import psycopg

        slices = ", ".join(
            f"substring(data FROM {_OFFSET[name]} * calls + 1 FOR {COLUMNS[name].itemsize} * calls)" for name in names
        )
        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            sql = f"SELECT vocabulary, {slices} FROM reports_keptcalls WHERE day = ANY(%s)"  # noqa: S608 (constants)
            for vocabulary, *data in cursor.execute(sql, [sorted(days)], binary=True).fetchall():
                yield {name: np.frombuffer(d, COLUMNS[name]) for name, d in zip(names, data, strict=True)}, vocabulary
        return
    for calls, data, vocabulary in KeptCalls.objects.filter(day__in=days).values_list("calls", "data", "vocabulary"):
        data = bytes(data)
        yield (
            {name: np.frombuffer(data, COLUMNS[name], count=calls, offset=_OFFSET[name] * calls) for name in names},
            vocabulary,
        )


def _joined(pieces: list[Piece], names: tuple[str, ...]) -> CallColumns:
    """The `names` columns of the pieces as one each, every piece's codes mapped to one vocabulary."""
    vocabulary = {name: sorted({v for _, vocab in pieces for v in vocab[name]}) for name in CODED}
    columns = {
        name: np.concatenate([cols[name] for cols, _ in pieces]) if pieces else np.empty(0, COLUMNS[name])
        for name in names
    }
    start = 0
    for cols, vocab in pieces:
        end = start + len(cols["program"])
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
    names = tuple(dict.fromkeys((*names, "program", "team")))
    stored = rollup.stored_days(f, now)
    pieces = list(_kept(stored, names))
    if (rest := rollup.not_kept(f, stored)) is not None:
        pieces += columns_by_day(rest[1]).values()
    cols = _joined(pieces, names)
    if f.program is not None:
        cols = cols.take(cols["program"] == f.program.pk)
    if f.team is not None:
        cols = cols.take(cols["team"] == f.team.pk)
    return cols
