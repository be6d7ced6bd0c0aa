"""reports/registry.py: every report builds, whatever the range or the database holds, and shows nothing as nothing."""

import pytest

from reports.registry import REPORTS, build
from tests.reports.world import DAY, filters


def assert_empty(name, report):
    """A report over no calls: zero counts, no medians or shares, and no invented rows."""
    assert report.name == name and report.title
    t = report.tables
    for table in t.values():
        assert len(table.display_rows()) == len(table.rows)
        assert table.as_json()["total"] == len(table.rows)
    if name == "intervals":
        assert set(t) == {"summary", "by", "distribution"}
        assert all(r["n"] == 0 and r["median"] is None and r["p90"] is None for r in t["summary"].rows)
        assert t["by"].rows == []
        assert sum(r["calls"] for r in t["distribution"].rows) == 0
    elif name == "standards":
        assert set(t) == {"summary", "over_time", "breaches"}
        assert all((r["measured"], r["met"], r["share"], r["goal_met"]) == (0, 0, None, "–") for r in t["summary"].rows)
        assert t["over_time"].rows == [] and t["breaches"].rows == [] and t["breaches"].total == 0
    elif name == "outcomes":
        assert set(t) == {"summary", "dispositions"}
        assert all(r["calls"] == 0 and r["share"] is None for r in t["summary"].rows)
        assert all(r["calls"] == 0 and r["share"] is None for r in t["dispositions"].rows)
    elif name == "caseload":
        assert set(t) == {"teams", "responders", "caseload"}
        assert all((r["handled"], r["per_shift"], r["on_task_median"]) == (0, 0, None) for r in t["teams"].rows)
        assert all(r["handled"] == 0 for r in t["responders"].rows)
    elif name == "program_outcomes":
        assert set(t) == {
            "consults",
            "diversions",
            "referrals",
            "stabilization",
            "community_outcomes",
            "phone_then_field",
        }
        per_period = (t["consults"], t["diversions"], t["referrals"], t["stabilization"], t["community_outcomes"])
        # Counts are 0; a rate over no records is None (shown as a dash), never 0 %.
        assert all(v in (0, None) for table in per_period for r in table.rows for k, v in r.items() if k != "period")
        assert all((r["resolved"], r["field"], r["rate"]) == (0, 0, None) for r in t["phone_then_field"].rows)
    elif name == "phone_then_field":
        assert set(t) == {"summary", "pairs"}
        assert t["pairs"].rows == [] and report.call_ids == []
        assert all((r["resolved"], r["field"], r["rate"]) == (0, 0, None) for r in t["summary"].rows)
    else:
        raise AssertionError(f"no expectations for the {name} report")


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(REPORTS))
def test_empty_range_shows_nothing(world, name):
    report = build(name, filters(start=DAY.replace(year=2020), end=DAY.replace(year=2020)))
    assert_empty(name, report)
    if name == "caseload":  # the world's two teams are listed, with nothing handled in 2020
        assert [r["team"] for r in report.tables["teams"].rows] == ["Team A", "Team B"]
        assert [r["open"] for r in report.tables["teams"].rows] == [
            0,
            0,
        ]  # every call in the world is closed or unassigned


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(REPORTS))
def test_empty_database(db, name):
    report = build(name, filters())
    assert_empty(name, report)
    if name == "caseload":
        assert all(table.rows == [] for table in report.tables.values())


@pytest.mark.django_db
def test_unknown_report_is_a_key_error(db):
    with pytest.raises(KeyError):
        build("nope", filters())
