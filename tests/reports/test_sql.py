"""reports/sql.py: percentiles on PostgreSQL (percentile_cont) and on SQLite (the registered aggregate)."""

import random

import numpy as np
import pytest

from reports.intervals import intervals_report
from reports.sql import percentile_cont
from tests.reports.world import filters, rows


@pytest.mark.django_db
@pytest.mark.postgres
def test_the_intervals_read_seconds_as_double_precision(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        summary = rows(intervals_report(filters()).tables["summary"], "interval")
    # Seconds as double precision from the start: EXTRACT's numeric cost ~30% of a year's scan at 1,000,000 calls.
    assert any("date_part('epoch'" in q["sql"] for q in ctx.captured_queries)
    assert not any("EXTRACT(EPOCH FROM (" in q["sql"] for q in ctx.captured_queries)  # (an interval's numeric)
    assert summary["Assigned → on scene"]["median"] == pytest.approx(3940)


@pytest.mark.django_db
@pytest.mark.postgres
@pytest.mark.parametrize("n", [1, 2, 3, 10, 101, 1000, 4099])
def test_percentile_cont_gives_postgres_own_doubles(n):
    """The intervals report takes its percentiles in Python from kept columns: they must be PostgreSQL's
    percentile_cont to the last bit, or a year's figures would change when its days are kept."""
    from django.db import connection

    rng = random.Random(n)
    values = [rng.choice([rng.uniform(0, 90_000), round(rng.uniform(0, 600), 6), 60.0]) for _ in range(n)]
    fractions = [0.5, 0.9, 0.25, 0.999, 0.0, 1.0]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_cont(%s::float8[]) WITHIN GROUP (ORDER BY v) FROM unnest(%s::float8[]) AS v",
            [fractions, values],
        )
        (expected,) = cursor.fetchone()
    assert percentile_cont(np.array(values), fractions) == list(expected)


@pytest.mark.django_db
@pytest.mark.postgres
def test_counting_kept_days_sorts_in_memory_without_jit_in_its_own_transaction(world):
    """The per-day columns are packed with sorts by day (reports/columns.py) that spilled to disk at the default
    4 MB of work_mem; the count's transaction gets the report's settings (reports/sql.py tune_transaction)."""
    from django.db import connection

    from reports.registry import build
    from reports.sql import REPORT_WORK_MEM

    seen = {}

    def spy(execute, sql, params, many, context):
        if "string_agg" in sql and not seen:
            with connection.cursor() as cur:
                cur.execute("SELECT current_setting('work_mem'), current_setting('jit')")
                seen["work_mem"], seen["jit"] = cur.fetchone()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        build("intervals", filters())  # counts the range's days first
    assert seen == {"work_mem": REPORT_WORK_MEM, "jit": "off"}
