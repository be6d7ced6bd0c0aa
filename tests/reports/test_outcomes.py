"""reports/outcomes.py against the hand-computed world."""

import pytest

from crisis.models import Person
from reports.outcomes import NO_LAW_ENFORCEMENT_DEFINITION, outcomes_report
from tests.reports.world import at, filters, mk, rows


@pytest.mark.django_db
def test_outcomes(world):
    report = outcomes_report(filters())
    s = rows(report.tables["summary"], "measure")
    assert (s["Resolved by phone"]["calls"], s["Resolved by phone"]["of"]) == (1, 5)
    assert s["No law-enforcement involvement"]["calls"] == 4
    assert s["No law-enforcement involvement"]["share"] == pytest.approx(0.8)
    assert s["Ended in police involvement / arrest"]["calls"] == 1
    assert s["Ended in an involuntary hold"]["calls"] == 0
    assert s["Ended in emergency-department transport"]["calls"] == 1
    assert s["Stabilized in the community or referred"]["share"] == pytest.approx(0.4)
    repeat = s["Calls about a person with another call in the previous 30 days"]
    assert (repeat["calls"], repeat["of"]) == (1, 2)
    people = s["People with a repeat call within 30 days"]
    assert (people["calls"], people["of"]) == (1, 1)
    d = rows(report.tables["dispositions"], "disposition")
    assert d["Stabilized on scene"]["calls"] == 1 and d["Involuntary hold"]["calls"] == 0
    assert sum(r["calls"] for r in report.tables["dispositions"].rows) == 5
    assert NO_LAW_ENFORCEMENT_DEFINITION in report.notes


@pytest.mark.django_db
def test_repeat_window_is_thirty_days(world):
    p = Person.objects.create(first_name="Once", last_name="Again")
    mk(at(-31), person=p)  # 31 days before: not a repeat
    mk(at(0, 12), person=p)
    mk(at(-29), person=world[1].person)  # before the range, 29 days before c1: c1 becomes a repeat
    s = rows(outcomes_report(filters()).tables["summary"], "measure")
    repeat = s["Calls about a person with another call in the previous 30 days"]
    assert (repeat["calls"], repeat["of"]) == (2, 3)


@pytest.mark.django_db
@pytest.mark.postgres
def test_the_repeat_window_runs_once_over_the_person_index(world):
    """At 1,000,000 calls the window ran twice (once per repeat count) and sorted the person's calls again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        outcomes_report(filters())
    windows = [q["sql"] for q in ctx.captured_queries if "LAG(" in q["sql"]]
    assert len(windows) == 1 and windows[0].count("LAG(") == 1
    with connection.cursor() as cur:
        # A handful of rows, where any plan is cheap: ask whether an index gives the window its order unsorted.
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_sort = off")
        cur.execute("EXPLAIN " + windows[0])
        plan = "\n".join(r[0] for r in cur.fetchall())
    assert "call_person_received" in plan
