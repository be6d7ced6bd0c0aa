"""SQL dialect helpers for the reports: intervals in seconds and percentiles, on PostgreSQL and SQLite.

Every number in the reports comes from one GROUP BY / aggregate query: medians and 90th percentiles with
PostgreSQL's percentile_cont, and on SQLite with an aggregate registered on the connection that computes the
same linear interpolation; the response intervals' percentiles, over whole seconds, from a histogram in one
statement on both (histogram_percentiles), with the same interpolation. A missing timestamp makes an interval SQL NULL, so the call is left out of it,
never counted as zero.
"""

from __future__ import annotations

import json
import math
from contextlib import contextmanager
from typing import Any

from django.db import connections, transaction
from django.db.models import Aggregate, Case, F, Field, FloatField, Func, IntegerField, Value, When

from dispatch.models import Status


class Seconds(Func):
    """Seconds from `start` to `end` as a float; NULL when either is NULL."""

    output_field = FloatField()
    arity = 2

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def as_sql(self, compiler, connection, **extra):  # other databases
        return super().as_sql(
            compiler, connection, template="EXTRACT(EPOCH FROM (%(expressions)s))::double precision", arg_joiner=" - "
        )

    def as_postgresql(self, compiler, connection, **extra):
        # date_part is double precision from the start; EXTRACT is numeric since PostgreSQL 14 and its cast
        # cost ~30% of a year's scan at 1,000,000 calls. The same doubles (checked over the bench's million).
        return super().as_sql(compiler, connection, template="date_part('epoch', %(expressions)s)", arg_joiner=" - ")

    def as_sqlite(self, compiler, connection, **extra):
        # julianday() keeps milliseconds; rounding removes float noise so 30 s is 30.0.
        return super().as_sql(
            compiler,
            connection,
            template="ROUND((julianday(%(expressions)s)) * 86400.0, 3)",
            arg_joiner=") - julianday(",
        )


class SqlitePercentiles:
    """percentile_cont for SQLite, with PostgreSQL's linear interpolation: several
    percentiles from one sort, as a JSON list (PostgreSQL returns an array)."""

    def __init__(self):
        self.values: list[float] = []
        self.fraction = ""

    def step(self, value, fractions):
        if value is not None:
            self.values.append(value)
        self.fraction = fractions

    def finalize(self):
        if not self.values:
            return None
        values = sorted(self.values)
        out = []
        for fraction in (float(x) for x in self.fraction.split(",")):
            k = (len(values) - 1) * fraction
            lo, hi = math.floor(k), math.ceil(k)
            out.append(values[lo] + (values[hi] - values[lo]) * (k - lo))
        return json.dumps(out)


class _FloatList(Field):
    def get_internal_type(self):
        return "TextField"

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return [float(v) for v in (json.loads(value) if isinstance(value, str) else value)]


class Percentiles(Aggregate):
    """Several continuous percentiles of one expression with a single sort: a list, or None when no rows."""

    name = "Percentiles"
    output_field = _FloatList()

    def __init__(self, expression, fractions: tuple[float, ...], **extra):
        self.fractions = tuple(float(x) for x in fractions)
        super().__init__(expression, **extra)

    def as_sql(self, compiler, connection, **extra):
        array = ", ".join(str(x) for x in self.fractions)
        return super().as_sql(
            compiler,
            connection,
            template=f"percentile_cont(ARRAY[{array}]::double precision[]) WITHIN GROUP (ORDER BY %(expressions)s)",
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        connection.ensure_connection()
        connection.connection.create_aggregate("crisis_percentiles", 2, SqlitePercentiles)
        fractions = ",".join(str(x) for x in self.fractions)
        return super().as_sql(
            compiler, connection, template=f"crisis_percentiles(%(expressions)s, '{fractions}')", **extra
        )


def interval_expr(start: str, end: str) -> Seconds:
    """Seconds between two of the call's timestamps; a close counts only for a call that was closed."""
    end_expr = F(end)
    if end == "closed_at":
        # A cancelled call's closed_at is when it was dropped, not resolved.
        end_expr = Case(When(status=Status.CLOSED, then=F("closed_at")), default=None)
    return Seconds(end_expr, F(start))


# A year's percentiles at 1,000,000 calls sort about a million values per interval: at PostgreSQL's default
# 4 MB of work_mem each sort spills to disk (EXPLAIN: "temp read=5131 written=5177"), and JIT compiles the
# reports' hundred-odd expressions for ~150 ms that the scans never win back. Measured on the bench's million
# calls: the year's intervals summary 8.2 s -> 6.1 s. Only the report's own transaction gets these settings.
REPORT_WORK_MEM = "64MB"


@contextmanager
def report_session(using: str = "default"):
    """Run one report's queries in one transaction with enough memory to sort in memory and no JIT.

    One transaction also gives the report's tables one snapshot, so a summary and its breakdown cannot
    disagree about a call that changed between their queries."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true)",
            [REPORT_WORK_MEM],
        )
        yield


class WholeSeconds(Func):
    """An interval rounded to the nearest whole second (halves up): NFPA 1710 and NENA report to the second,
    and the page shows h:mm:ss."""

    template = "FLOOR(%(expressions)s + 0.5)"
    output_field = FloatField()


def _percentile(fraction: float, n: int, at_rank) -> float:
    """PostgreSQL's percentile_cont (orderedsetaggs.c) over n sorted values, `at_rank(i)` the i-th (from 0)."""
    k = fraction * (n - 1)
    first, second = math.floor(k), math.ceil(k)
    lo, hi = at_rank(first), at_rank(second)
    return lo + ((k - first) * (hi - lo))


def histogram_percentiles(
    qs, values: dict[str, Any], *, fractions: tuple[float, ...], group: Any | None = None, every: tuple[str, ...] = ()
) -> dict[Any, dict[str, Any]]:
    """Exact continuous percentiles of whole-second values, per group, from their histogram: one statement.

    percentile_cont sorts every value of every interval (a year at 1,000,000 calls: ten sorts of ~560,000 values
    each, per breakdown too). Whole seconds have a few thousand distinct values: the statement counts each
    (group, key, second) in one hash aggregate, numbers the counts cumulatively, and returns only the seconds
    at the percentiles' ranks, so the answer is exactly percentile_cont over the same whole seconds.

    `values`: key -> an expression of whole seconds (or any number; NULL is left out). Returns
    {group: {key: (n, [percentile per fraction] or None)}} in the database's order of the groups; for a key in
    `every`, {key: {value: count}}."""
    names = list(values)
    inner = qs.annotate(**{f"v{i}": values[key] for i, key in enumerate(names)})
    inner = inner.annotate(g=group if group is not None else Value(None, output_field=IntegerField()))
    sql, params = inner.order_by().values("g", *(f"v{i}" for i in range(len(names)))).query.sql_with_params()
    keys = " UNION ALL ".join(f"SELECT {i} AS k" for i in range(len(names)))
    pick = "CASE x.k " + " ".join(f"WHEN {i} THEN v.v{i}" for i in range(len(names))) + " END"
    ranks = []
    for fraction in fractions:
        # The same double-precision arithmetic as percentile_cont's ranks.
        at = f"(CAST(c.total - 1 AS DOUBLE PRECISION) * CAST({float(fraction)!r} AS DOUBLE PRECISION))"
        ranks += [f"FLOOR({at})", f"CEILING({at})"]
    wanted = [f"(c.upto - c.n <= {r} AND {r} < c.upto)" for r in ranks]
    wanted += [f"c.k = {names.index(key)}" for key in every]
    # Every piece is the ORM's own statement (with its parameters) or built here from integers and floats.
    statement = f"""
        WITH h AS (
            SELECT v.g AS g, x.k AS k, {pick} AS s, COUNT(*) AS n
            FROM ({sql}) v CROSS JOIN ({keys}) x
            GROUP BY v.g, x.k, {pick}
        ), c AS (
            SELECT g, k, s, n,
                SUM(n) OVER (PARTITION BY g, k ORDER BY s ROWS UNBOUNDED PRECEDING) AS upto,
                SUM(n) OVER (PARTITION BY g, k) AS total
            FROM h WHERE s IS NOT NULL
        )
        SELECT c.g, c.k, c.s, c.n, c.upto, c.total FROM c WHERE {" OR ".join(wanted)} ORDER BY c.g
    """  # noqa: S608
    found: dict[tuple[Any, int], list[tuple[float, int, int]]] = {}
    totals: dict[tuple[Any, int], int] = {}
    groups: list[Any] = []
    with connections[qs.db].cursor() as cursor:
        cursor.execute(statement, params)
        for g, k, s, n, upto, total in cursor.fetchall():
            if g not in groups:
                groups.append(g)
            found.setdefault((g, k), []).append((float(s), int(upto) - int(n), int(upto)))
            totals[g, k] = int(total)
    out: dict[Any, dict[str, Any]] = {}
    for g in groups:
        row = out.setdefault(g, {})
        for i, key in enumerate(names):
            rows = found.get((g, i), [])
            if key in every:
                row[key] = {s: upto - below for s, below, upto in rows}
                continue
            n = totals.get((g, i), 0)

            def at_rank(rank, rows=rows):
                return next(s for s, below, upto in rows if below <= rank < upto)

            row[key] = (n, [_percentile(fr, n, at_rank) for fr in fractions] if n else None)
    return out
