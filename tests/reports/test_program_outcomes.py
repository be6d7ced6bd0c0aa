"""reports/program_outcomes.py: the programs' own outcomes (officer consults, 911 diversions) counted per period,
from the plug-ins' `outcome_reports()`, with the CSV audited as every report CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from crisis.models import AuditEntry
from programs.community_responders.models import Referral
from programs.diversion.models import Diversion
from programs.le_consult.models import Consult
from programs.models import Program
from reports.program_outcomes import period_for, period_starts
from reports.registry import build
from tests.conftest import make_user
from tests.reports.world import DAY, at, filters, mk

pytestmark = pytest.mark.django_db


@pytest.fixture
def outcomes(oli, cam, dana):
    """Consults closed on day 0 (2), day 1 (1) and one closed after the range; diversions ended on day 0 and 8."""

    kit = make_user("kit", "clinician")
    consult_program = Program.objects.create(name="Officer consults", kind="le_remote_consult", tiers=[])

    def consult(day, outcome, program=consult_program):
        closed = at(day, 11)
        return Consult.objects.create(
            officer=oli, program=program, clinician=cam, backup=kit, need="advice", address="1 Main St",
            status="closed", requested_at=closed - timedelta(minutes=20), escalate_at=closed, closed_at=closed,
            outcome=outcome,
        )  # fmt: skip

    consult(0, "arrest_avoided")
    consult(0, "arrest_avoided")
    consult(1, "team_sent")
    consult(30, "emergency_hold")  # after the range
    other = Program.objects.create(name="Other consults", kind="le_remote_consult", tiers=[])
    consult(1, "resolved_on_scene", program=other)

    def diversion(n, day, status, referred=False):
        call = mk(at(day, 9))
        d = Diversion.objects.create(
            call=call, cad_incident_id=f"CAD-{n}", transferred_by=dana, transferred_at=at(day, 9), status=status,
            ended_at=at(day, 10),
        )  # fmt: skip
        if referred:
            Referral.objects.create(call=call, agency="Northside Clinic", service="Outpatient")
        return d

    diversion(1, 0, "resolved", referred=True)
    diversion(2, 0, "resolved")
    diversion(3, 8, "escalated", referred=True)
    diversion(4, 8, "in_progress")  # not ended: not counted
    return consult_program


def by_period(table):
    return {r["period"]: r for r in table.rows}


def test_consult_outcomes_and_diversion_results_are_counted_per_day(outcomes):
    report = build("program_outcomes", filters())  # 14 days: one row a day
    consults = by_period(report.tables["consults"])
    assert consults[DAY.isoformat()]["arrest_avoided"] == 2
    assert consults[(DAY + timedelta(days=1)).isoformat()]["team_sent"] == 1
    assert consults[(DAY + timedelta(days=1)).isoformat()]["resolved_on_scene"] == 1
    assert len(report.tables["consults"].rows) == 14 + 1  # every day, and the total
    total = consults["Total"]
    assert (total["arrest_avoided"], total["team_sent"], total["resolved_on_scene"], total["emergency_hold"]) == (
        2, 1, 1, 0,
    )  # fmt: skip
    diversions = by_period(report.tables["diversions"])
    assert (diversions[DAY.isoformat()]["resolved"], diversions[DAY.isoformat()]["referred"]) == (2, 1)
    day8 = diversions[(DAY + timedelta(days=8)).isoformat()]
    assert (day8["escalated"], day8["referred"], day8["resolved"]) == (1, 1, 0)
    assert diversions["Total"] == {"period": "Total", "resolved": 2, "referred": 2, "escalated": 1}


def test_a_program_filter_keeps_its_consults_and_hides_diversions(outcomes):
    report = build("program_outcomes", filters(program=outcomes))
    assert by_period(report.tables["consults"])["Total"]["resolved_on_scene"] == 0
    assert by_period(report.tables["consults"])["Total"]["arrest_avoided"] == 2
    assert by_period(report.tables["diversions"])["Total"]["resolved"] == 0


def test_longer_ranges_count_per_week_then_per_month(outcomes):
    weekly = build("program_outcomes", filters(end=DAY + timedelta(days=59)))
    rows = by_period(weekly.tables["consults"])
    assert weekly.tables["consults"].columns[0].label == "Week of"
    assert rows[DAY.isoformat()]["arrest_avoided"] == 2 and rows[DAY.isoformat()]["team_sent"] == 1  # DAY is a Monday
    assert rows[(DAY + timedelta(days=28)).isoformat()]["emergency_hold"] == 1
    f = filters(end=DAY + timedelta(days=200))
    assert period_for(f) == "month" and period_starts(f, "month")[:2] == [
        DAY.replace(day=1),
        DAY.replace(month=4, day=1),
    ]
    monthly = by_period(build("program_outcomes", f).tables["consults"])
    assert monthly[DAY.strftime("%Y-%m")]["arrest_avoided"] == 2


def test_the_csv_is_the_table_and_the_export_is_audited(client, sue, outcomes):
    client.force_login(sue)
    query = f"start={DAY.isoformat()}&end={(DAY + timedelta(days=13)).isoformat()}"
    response = client.get(f"/reports/program_outcomes/consults.csv?{query}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Day", "Arrest avoided", "Emergency hold", "Transport to crisis centre", "Team sent",
                       "Resolved on scene"]  # fmt: skip
    assert rows[1] == [DAY.isoformat(), "2", "0", "0", "0", "0"] and rows[-1][0] == "Total"
    entry = AuditEntry.objects.get(action="dispatch.report.exported")
    assert entry.actor == sue and entry.detail["report"] == "program_outcomes" and entry.detail["table"] == "consults"
    page = client.get(f"/reports/program_outcomes/?{query}")
    assert page.status_code == 200 and "Officer consults: what they changed" in page.content.decode()


@pytest.fixture
def discharges(sue):
    """Stabilization episodes closed on day 0: three stable in the community, one inpatient; one jail on day 2."""
    from crisis.models import Person
    from programs.crisis_stabilization import services as stabilization
    from programs.crisis_stabilization.models import Episode
    from tests.conftest import make_team

    program = Program.objects.create(name="Stabilization", kind="crisis_stabilization", tiers=[])
    team, (cora,) = make_team("STAB-1", program, members=[("cora", "case_manager", ["en"], [])])
    for n, (day, outcome) in enumerate(
        [(0, "stabilized"), (0, "stabilized"), (0, "stabilized"), (0, "inpatient"), (2, "jail")]
    ):
        person = Person.objects.create(first_name=f"P{n}", last_name="Test")
        episode = stabilization.episode_open(
            person=person,
            team=team,
            owner=cora,
            by=cora,
            goals="g",
            planned_end_on=timezone.localdate() + timedelta(days=7),
        )
        stabilization.episode_close(episode=episode, by=cora, outcome=outcome)
        Episode.objects.filter(pk=episode.pk).update(closed_at=at(day, 15))
    return program


def test_avoided_admission_is_a_figure_and_a_rate(discharges, client, sue):
    report = build("program_outcomes", filters())
    table = report.tables["stabilization"]
    rows = by_period(table)
    assert (rows[DAY.isoformat()]["stabilized"], rows[DAY.isoformat()]["inpatient"]) == (3, 1)
    assert rows[DAY.isoformat()]["rate"] == 0.75
    assert rows["Total"]["stabilized"] == 3 and rows["Total"]["rate"] == 0.6
    assert rows[(DAY + timedelta(days=1)).isoformat()]["rate"] is None  # no discharge: no rate, not 0 %
    client.force_login(sue)
    query = f"start={DAY.isoformat()}&end={(DAY + timedelta(days=13)).isoformat()}"
    csv_rows = list(
        csv.reader(io.StringIO(client.get(f"/reports/program_outcomes/stabilization.csv?{query}").content.decode()))
    )
    assert csv_rows[0][-1] == "Avoided admission" and csv_rows[-1][1] == "3" and csv_rows[-1][-1] == "60.0%"


def test_the_referral_loop_counts_how_referrals_ended_with_the_attended_rate(new_call, dana):
    from programs.community_responders import services as referrals

    call = new_call()
    made = [referrals.referral_create(call=call, by=dana, agency="Northside", service="Intake") for _ in range(3)]
    for r, path in zip(made, [["accepted", "appointment", "attended"], ["declined"], []], strict=True):
        for status in path:
            referrals.referral_set_status(referral=r, by=dana, status=status)
    Referral.objects.update(status_changed_at=at(1, 10))
    rows = by_period(build("program_outcomes", filters()).tables["referrals"])
    assert (rows["Total"]["attended"], rows["Total"]["declined"], rows["Total"]["rate"]) == (1, 1, 0.5)
