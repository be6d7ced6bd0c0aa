"""reports/intervals.py against the hand-computed world."""

import pytest

from reports.intervals import intervals_report
from tests.reports.world import DAY, filters, rows


@pytest.mark.django_db
def test_interval_medians_and_p90(world):
    summary = rows(intervals_report(filters()).tables["summary"], "interval")
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
    table = intervals_report(filters(), by=by).tables["by"]
    row = rows(table, "group")[group]
    assert row["calls"] == calls
    assert row["triage_median"] == (pytest.approx(triage_median) if triage_median is not None else None)


@pytest.mark.django_db
def test_arrival_distribution(world):
    dist = intervals_report(filters()).tables["distribution"]
    counts = {r["bin"]: r["calls"] for r in dist.rows if r["calls"]}
    assert counts == {"20–25 min": 1, "65–70 min": 2}


@pytest.mark.django_db
def test_filters_by_team_and_program(world, team_b, mobile_crisis):
    summary = rows(intervals_report(filters(team=team_b)).tables["summary"], "interval")
    assert summary["Triaged → assigned"]["n"] == 2 and summary["Triaged → assigned"]["median"] == pytest.approx(75)
    summary = rows(intervals_report(filters(program=mobile_crisis)).tables["summary"], "interval")
    assert summary["Received → triaged"]["n"] == 4
    one_day = rows(intervals_report(filters(end=DAY)).tables["summary"], "interval")
    assert one_day["Received → triaged"]["n"] == 1
