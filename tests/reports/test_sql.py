"""reports/sql.py: percentiles on PostgreSQL (percentile_cont, or from a histogram of whole seconds) and on SQLite
(the registered aggregate)."""

import pytest
from django.db.models import Count

from reports.intervals import intervals_report
from reports.sql import SqlitePercentiles
from tests.reports.world import filters, rows


@pytest.mark.django_db
@pytest.mark.postgres
def test_postgres_computes_the_intervals_from_a_histogram_of_whole_seconds_in_one_statement_each(world):
    """percentile_cont sorted every value of the five intervals twice (summary and breakdown): a year at
    1,000,000 calls was 5-6 s. Whole seconds have a few thousand distinct values: one hash aggregate per
    table, and the distribution comes with the summary's statement."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        report = intervals_report(filters())
    summary = rows(report.tables["summary"], "interval")
    calls = [q["sql"] for q in ctx.captured_queries if "dispatch_call" in q["sql"]]
    assert len(calls) == 2 and all("WITH h AS" in sql for sql in calls)
    assert not any("percentile_cont" in sql for sql in calls)
    # Seconds as double precision from the start: EXTRACT's numeric cost ~30% of a year's scan at 1,000,000 calls.
    assert all("date_part('epoch'" in sql and "EXTRACT(EPOCH" not in sql for sql in calls)
    assert summary["Assigned → on scene"]["median"] == pytest.approx(3940)
    assert {r["bin"]: r["calls"] for r in report.tables["distribution"].rows if r["calls"]} == {
        "20–25 min": 1,
        "65–70 min": 2,
    }


@pytest.mark.django_db
@pytest.mark.postgres
def test_the_histogram_gives_percentile_cont_over_whole_seconds_exactly(team_a):
    """Against PostgreSQL's own percentile_cont over the same whole seconds, for odd and even counts, ties,
    one value, and intervals with fractions of a second (rounded half up: 10.5 s is 11 s)."""
    import random
    from datetime import timedelta

    from django.db.models import F

    from dispatch.models import Call
    from reports.sql import Percentiles, Seconds, WholeSeconds, histogram_percentiles
    from tests.reports.world import at, mk

    rng = random.Random(15)
    for i in range(301):
        triaged = rng.choice([0.4, 0.5, 10.5, 59.49, 60.5, rng.uniform(0, 900)])
        received = at(i % 20, 8) + timedelta(microseconds=rng.randrange(1_000_000))
        mk(received, triaged=triaged, team=team_a if i % 3 else None)
    mk(at(21, 8), triaged=7.25, source="988")  # a group of one
    secs = WholeSeconds(Seconds(F("triaged_at"), F("received_at")))
    fractions = (0.0, 0.1, 0.5, 0.9, 0.99, 1.0)

    def exact(qs):
        e = qs.aggregate(n=Count(secs), p=Percentiles(secs, fractions))
        return {"t": (e["n"], e["p"])}

    calls = Call.objects.all()
    assert histogram_percentiles(calls, {"t": secs}, fractions=fractions) == {None: exact(calls)}
    by_source = histogram_percentiles(calls, {"t": secs}, fractions=fractions, group=F("source"))
    assert by_source == {"911": exact(calls.filter(source="911")), "988": exact(calls.filter(source="988"))}
    assert by_source["988"]["t"] == (1, [7.0] * len(fractions))
    by_team = histogram_percentiles(calls, {"t": secs}, fractions=fractions, group=F("team_id"))
    assert by_team == {team_a.pk: exact(calls.filter(team=team_a)), None: exact(calls.filter(team=None))}


@pytest.mark.django_db
def test_an_interval_is_counted_in_whole_seconds():
    """The rounding decision: intervals of 10.2 s and 10.4 s had a median of 10.3 s in the API; it is now 10 s.
    The page showed 0:10 for both (h:mm:ss); no report test's figure changed (their times are whole seconds)."""
    from tests.reports.world import DAY, at, mk

    for triaged in (10.2, 10.4):
        mk(at(0, 9), triaged=triaged)
    report = intervals_report(filters(start=DAY, end=DAY))
    row = rows(report.tables["summary"], "interval")["Received → triaged"]
    assert (row["n"], row["median"]) == (2, 10.0)
    assert report.tables["summary"].display_rows()[0][2] == "0:10"


def test_sqlite_fallback_interpolates_like_postgres():
    # The same numbers PostgreSQL's percentile_cont gives (see test_interval_medians_and_p90).
    agg = SqlitePercentiles()
    for v in (None, 40, 5, 20, 10, 10):
        agg.step(v, "0,0.5,0.9,1")
    assert agg.finalize() == "[5.0, 10.0, 32.0, 40.0]"
    empty = SqlitePercentiles()
    assert empty.finalize() is None


@pytest.mark.django_db
@pytest.mark.postgres
def test_a_report_sorts_in_memory_without_jit_in_its_own_transaction(world):
    """report_session: a year's percentiles at 1,000,000 calls spilled to disk at the default 4 MB of work_mem
    (the histogram's hash aggregate wants memory too)."""
    from django.db import connection

    from reports.registry import build
    from reports.sql import REPORT_WORK_MEM

    seen = {}

    def spy(execute, sql, params, many, context):
        if "WITH h AS" in sql and not seen:
            with connection.cursor() as cur:
                cur.execute("SELECT current_setting('work_mem'), current_setting('jit')")
                seen["work_mem"], seen["jit"] = cur.fetchone()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        build("intervals", filters())
    assert seen == {"work_mem": REPORT_WORK_MEM, "jit": "off"}
