"""dispatch/reports.py against hand-computed fixtures (same tests on SQLite and PostgreSQL).

The fixture, seconds after each call's received_at:

    call  team  tier         area   triaged assigned arrived  closed  disposition
    c1    A     community    urban  10      70       1270     4270    stabilized          (person P)
    c2    A     community    rural  20      50       4050     7650    ed_transport        (person P, 10 days later)
    c3    B     co_response  urban  5       105      –        2000    police_arrest       (no arrival time)
    c4    –     phone        urban  40      –        –        640     resolved_by_phone
    c5    –     –            urban  –       –        –        –       (still received, open)
    c6    B     community    urban  10      60       4000     5000    referred
"""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from crisis.models import Person
from dispatch import reports
from dispatch.models import Call, Status
from programs.fact.models import Enrollment
from programs.mobile_crisis.models import FollowUp
from programs.models import Program
from tests.conftest import make_team

DAY = timezone.datetime(2026, 3, 2).date()  # a Monday


def at(day_offset=0, hour=10):
    return datetime.combine(DAY + timedelta(days=day_offset), time(hour), tzinfo=timezone.get_current_timezone())


def mk(received, *, triaged=None, assigned=None, arrived=None, closed=None, **kw):
    s = lambda v: None if v is None else received + timedelta(seconds=v)
    defaults = dict(source="911", address="1 Main St", call_type="mental_health", nature="x", area_type="urban")
    return Call.objects.create(
        received_at=received,
        triaged_at=s(triaged),
        assigned_at=s(assigned),
        arrived_at=s(arrived),
        closed_at=s(closed),
        **(defaults | kw),
    )


@pytest.fixture
def world(mobile_crisis, team_a, team_b):
    p = Person.objects.create(first_name="Pat", last_name="Repeat")
    closed = dict(status=Status.CLOSED)
    c = {}
    c[1] = mk(at(0), triaged=10, assigned=70, arrived=1270, closed=4270, tier="community", priority=2,
              team=team_a, program=mobile_crisis, disposition="stabilized", person=p, **closed)  # fmt: skip
    c[2] = mk(at(10), triaged=20, assigned=50, arrived=4050, closed=7650, tier="community", priority=1,
              area_type="rural", source="988", team=team_a, program=mobile_crisis, disposition="ed_transport",
              person=p, **closed)  # fmt: skip
    c[3] = mk(at(1), triaged=5, assigned=105, closed=2000, tier="co_response", priority=1,
              team=team_b, program=mobile_crisis, disposition="police_arrest", **closed)  # fmt: skip
    c[4] = mk(at(2, 3), triaged=40, closed=640, tier="phone", priority=4, disposition="resolved_by_phone", **closed)
    c[5] = mk(at(3))
    c[6] = mk(at(4, 22), triaged=10, assigned=60, arrived=4000, closed=5000, tier="community", priority=3,
              source="partner", team=team_b, program=mobile_crisis, disposition="referred", **closed)  # fmt: skip
    FollowUp.objects.create(call=c[1], due_at=c[1].arrived_at, completed_at=c[1].arrived_at + timedelta(hours=24))
    FollowUp.objects.create(call=c[2], due_at=c[2].arrived_at, completed_at=c[2].arrived_at + timedelta(hours=80))
    FollowUp.objects.create(call=c[6], due_at=c[6].arrived_at)  # never completed: overdue
    return c


def filters(**kw):
    return reports.Filters(**({"start": DAY, "end": DAY + timedelta(days=13)} | kw))


def rows(table, key):
    return {r[key]: r for r in table.rows}


@pytest.mark.django_db
def test_interval_medians_and_p90(world):
    summary = rows(reports.intervals_report(filters()).tables["summary"], "interval")
    expected = {
        "Received → triaged": (5, 10, 32),
        "Triaged → assigned": (4, 55, 88),
        # c3 has no arrival time: left out, not counted as zero (which would make the median 2570).
        "Assigned → on scene": (3, 3940, 3988),
        "Time on scene": (3, 3000, 3480),
        "Received → closed": (5, 4270, 6590),
    }
    for interval, (n, median, p90) in expected.items():
        row = summary[interval]
        assert (row["n"], row["median"], row["p90"]) == (n, pytest.approx(median), pytest.approx(p90)), interval


@pytest.mark.django_db
@pytest.mark.parametrize(
    "by, group, calls, triage_median",
    [
        ("team", "Team A", 2, 15),
        ("team", "Team B", 2, 7.5),
        ("team", "(none)", 2, 40),
        ("tier", "Community / mobile crisis response", 3, 10),
        ("priority", "P1", 2, 12.5),
        ("source", "988 line", 1, 20),
        ("hour", "22:00", 1, 10),
        ("weekday", "Monday", 1, 10),
        ("weekday", "Thursday", 2, 20),
        ("priority", "(none)", 1, None),
        ("program", "Mobile Crisis", 4, 10),
    ],
)
def test_interval_breakdowns(world, by, group, calls, triage_median):
    table = reports.intervals_report(filters(), by=by).tables["by"]
    row = rows(table, "group")[group]
    assert row["calls"] == calls
    assert row["triage_median"] == (pytest.approx(triage_median) if triage_median is not None else None)


@pytest.mark.django_db
def test_arrival_distribution(world):
    dist = reports.intervals_report(filters()).tables["distribution"]
    counts = {r["bin"]: r["calls"] for r in dist.rows if r["calls"]}
    assert counts == {"20–25 min": 1, "65–70 min": 2}


@pytest.mark.django_db
def test_filters_by_team_and_program(world, team_b, mobile_crisis):
    summary = rows(reports.intervals_report(filters(team=team_b)).tables["summary"], "interval")
    assert summary["Triaged → assigned"]["n"] == 2 and summary["Triaged → assigned"]["median"] == pytest.approx(75)
    summary = rows(reports.intervals_report(filters(program=mobile_crisis)).tables["summary"], "interval")
    assert summary["Received → triaged"]["n"] == 4
    one_day = rows(reports.intervals_report(filters(end=DAY)).tables["summary"], "interval")
    assert one_day["Received → triaged"]["n"] == 1


@pytest.mark.django_db
def test_standards_shares_and_breaches(world):
    report = reports.standards_report(filters(), standard="arrival")
    s = rows(report.tables["summary"], "key")
    assert (s["answer"]["measured"], s["answer"]["met"], s["answer"]["not_measured"]) == (5, 3, 1)
    assert s["answer"]["share"] == pytest.approx(0.6) and s["answer"]["goal_met"] == "No"
    assert (s["dispatch"]["measured"], s["dispatch"]["met"]) == (4, 3)
    # c2 took 4050 s but is rural (target 7200 s); c6 took 4000 s in town (target 3600 s); c3 never arrived.
    assert (s["arrival"]["measured"], s["arrival"]["met"], s["arrival"]["not_measured"]) == (3, 2, 1)
    # c1 met, c2 late, c6 never followed up and overdue.
    assert (s["follow_up"]["measured"], s["follow_up"]["met"]) == (3, 1)
    breaches = report.tables["breaches"]
    assert [r["call"] for r in breaches.rows] == [world[6].pk]
    assert breaches.rows[0]["elapsed"] == pytest.approx(4000) and breaches.rows[0]["target"] == 3600
    follow = reports.standards_report(filters(), standard="follow_up").tables["breaches"]
    assert [r["call"] for r in follow.rows] == [world[2].pk, world[6].pk]  # newest first


@pytest.mark.django_db
def test_follow_up_not_yet_due_is_pending_not_breached(world, team_a):
    c7 = mk(at(13, 8), triaged=10, assigned=60, arrived=600, closed=1600, tier="community", team=team_a,
            disposition="referred", status=Status.CLOSED)  # fmt: skip
    now = c7.arrived_at + timedelta(hours=10)
    s = rows(reports.standards_report(filters(), now=now).tables["summary"], "key")
    assert (s["follow_up"]["measured"], s["follow_up"]["met"], s["follow_up"]["not_measured"]) == (3, 1, 1)
    s = rows(reports.standards_report(filters(), now=now + timedelta(hours=63)).tables["summary"], "key")
    assert (s["follow_up"]["measured"], s["follow_up"]["met"], s["follow_up"]["not_measured"]) == (4, 1, 0)


@pytest.mark.django_db
def test_standards_over_time_by_day(world):
    over = reports.standards_report(filters()).tables["over_time"]
    by_day = {r["period"]: r for r in over.rows}
    assert by_day[DAY.isoformat()]["answer"] == 1.0
    assert by_day[(DAY + timedelta(days=10)).isoformat()]["answer"] == 0.0
    assert by_day[(DAY + timedelta(days=4)).isoformat()]["arrival"] == 0.0


@pytest.mark.django_db
def test_standard_targets_follow_settings(world, settings):
    settings.CRISIS_STANDARDS = {"answer": {"target_seconds": 30}}
    s = rows(reports.standards_report(filters()).tables["summary"], "key")
    assert s["answer"]["met"] == 4


@pytest.mark.django_db
def test_outcomes(world):
    report = reports.outcomes_report(filters())
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
    assert reports.NO_LAW_ENFORCEMENT_DEFINITION in report.notes


@pytest.mark.django_db
def test_repeat_window_is_thirty_days(world):
    p = Person.objects.create(first_name="Once", last_name="Again")
    mk(at(-31), person=p)  # 31 days before: not a repeat
    mk(at(0, 12), person=p)
    mk(at(-29), person=world[1].person)  # before the range, 29 days before c1: c1 becomes a repeat
    s = rows(reports.outcomes_report(filters()).tables["summary"], "measure")
    repeat = s["Calls about a person with another call in the previous 30 days"]
    assert (repeat["calls"], repeat["of"]) == (2, 3)


@pytest.mark.django_db
def test_caseload(world, team_a, team_b):
    mk(at(-40), status=Status.ON_SCENE, team=team_a, tier="community")  # open now, outside the range
    fact = Program.objects.create(name="FACT", kind="fact", tiers=["community"], clients_per_staff=2)
    team_f, _ = make_team("FACT-1", fact, members=[("fran", "licensed_clinician", ["en"], [])])
    for i in range(3):
        Enrollment.objects.create(person=Person.objects.create(first_name=f"C{i}"), team=team_f, enrolled_on=DAY)
    Enrollment.objects.create(
        person=Person.objects.create(first_name="Gone"), team=team_f, enrolled_on=DAY, discharged_on=DAY
    )
    report = reports.caseload_report(filters())
    t = rows(report.tables["teams"], "team")
    assert (t["Team A"]["open"], t["Team A"]["handled"], t["Team A"]["staff"]) == (1, 2, 2)
    assert t["Team A"]["on_task_hours"] == pytest.approx(round((4200 + 7600) / 3600, 1))
    assert t["Team A"]["per_shift"] == pytest.approx(round(2 / 28, 2))  # 14 days, two 12-hour shifts a day
    assert (t["Team B"]["open"], t["Team B"]["handled"]) == (0, 2)
    assert t["Team B"]["on_task_median"] == pytest.approx((1895 + 4940) / 2)
    assert t["FACT-1"]["handled"] == 0
    r = rows(report.tables["responders"], "responder")
    assert r["Rita"]["team"] == "Team A" and r["Rita"]["open"] == 1
    c = rows(report.tables["caseload"], "team")
    assert (c["FACT-1"]["enrolled"], c["FACT-1"]["staff"], c["FACT-1"]["per_staff"]) == (3, 1, 3.0)
    assert c["FACT-1"]["status"] == "Over ratio"


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(reports.REPORTS))
def test_empty_range_does_not_crash(world, name):
    report = reports.build(name, filters(start=DAY.replace(year=2020), end=DAY.replace(year=2020)))
    for table in report.tables.values():
        table.display_rows()
        table.as_json()
    if name == "intervals":
        assert all(r["n"] == 0 and r["median"] is None for r in report.tables["summary"].rows)
    if name == "standards":
        assert all(r["share"] is None for r in report.tables["summary"].rows)
    if name == "outcomes":
        assert all(r["share"] is None for r in report.tables["summary"].rows)


@pytest.mark.django_db
def test_empty_database(db):
    for name in reports.REPORTS:
        reports.build(name, filters())


@pytest.mark.parametrize(
    "seconds, text",
    [(None, "–"), (0, "0:00"), (9.4, "0:09"), (65, "1:05"), (3600, "1:00:00"), (4270, "1:11:10"), (-5, "-0:05")],
)
def test_duration_format(seconds, text):
    assert reports.fmt_duration(seconds) == text


@pytest.mark.django_db
@pytest.mark.postgres
def test_postgres_computes_percentiles_with_percentile_cont(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        summary = rows(reports.intervals_report(filters()).tables["summary"], "interval")
    assert any("percentile_cont(ARRAY[0.5, 0.9]" in q["sql"] for q in ctx.captured_queries)
    assert summary["Assigned → on scene"]["median"] == pytest.approx(3940)


def test_sqlite_fallback_interpolates_like_postgres():
    # The same numbers PostgreSQL's percentile_cont gives (see test_interval_medians_and_p90).
    agg = reports._SqlitePercentiles()
    for v in (None, 40, 5, 20, 10, 10):
        agg.step(v, "0,0.5,0.9,1")
    assert agg.finalize() == "[5.0, 10.0, 32.0, 40.0]"
    empty = reports._SqlitePercentiles()
    assert empty.finalize() is None
