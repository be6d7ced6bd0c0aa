"""SQL helpers for the reports: intervals in seconds on PostgreSQL and SQLite, PostgreSQL's percentile_cont
arithmetic for the columns the reports keep (reports/columns.py), and the report transaction's settings.

A missing timestamp makes an interval SQL NULL (NaN in the columns), so the call is left out of it, never
counted as zero.
"""

from __future__ import annotations

import math
from contextlib import contextmanager

import numpy as np
from django.db import connections, transaction
from django.db.models import Case, F, FloatField, Func, When

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


def percentile_cont(values: np.ndarray, fractions) -> list[float]:
    """PostgreSQL's percentile_cont of `values` (no NaN, at least one) at each fraction, in its own double
    arithmetic (orderedsetaggs.c: the rows at floor and ceil of fraction × (n - 1), then lo + (pct × (hi - lo))),
    so the same values give the same doubles. Only the rows it needs are selected, not the whole sort."""
    n = len(values)
    positions = [fraction * (n - 1) for fraction in fractions]
    rows = sorted({math.floor(p) for p in positions} | {math.ceil(p) for p in positions})
    chosen = np.partition(values, rows)
    out = []
    for p in positions:
        lo, hi = math.floor(p), math.ceil(p)
        first, second = float(chosen[lo]), float(chosen[hi])
        out.append(first if hi == lo else first + ((p - lo) * (second - first)))
    return out


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
    with transaction.atomic(using=using):
        tune_transaction(using)
        yield


def tune_transaction(using: str = "default") -> None:
    """In the current transaction (PostgreSQL): REPORT_WORK_MEM and no JIT, for the report's reads and for counting
    the days reports/keep.py keeps (its per-day sorts spilled to disk at 4 MB)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true)",
            [REPORT_WORK_MEM],
        )
