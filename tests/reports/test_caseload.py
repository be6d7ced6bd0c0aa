"""reports/caseload.py against the hand-computed world."""

import csv
import io

import pytest

from crisis.models import Person
from dispatch.models import Status
from programs import plugins
from programs.fact.models import Enrollment
from programs.homeless_outreach.models import OutreachContact
from programs.models import Program
from programs.plugins import ProgramPlugin, ReportColumn
from reports.caseload import caseload_report
from tests.conftest import make_team
from tests.reports.world import DAY, at, filters, mk, rows


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
    outreach = Program.objects.create(name="Outreach", kind="homeless_outreach", tiers=["community"])
    team_o, _ = make_team("HOT-1", outreach, members=[("hal", "peer", ["en"], []), ("ivy", "peer", ["en"], [])])
    seen = Person.objects.create(first_name="Seen")
    for when in (at(1), at(5), at(20)):  # twice in the range (one person), once after it
        OutreachContact.objects.create(person=seen, team=team_o, at=when)
    OutreachContact.objects.create(person=Person.objects.create(first_name="Also"), team=team_o, at=at(2))
    report = caseload_report(filters())
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
    # Outreach: two distinct people engaged in the range, two staff, no ratio to hold them to.
    assert (c["HOT-1"]["enrolled"], c["HOT-1"]["engaged"], c["HOT-1"]["per_staff"]) == (0, 2, 1.0)
    assert c["HOT-1"]["status"] == "–"
    assert "Team A" not in c  # no clients and no ratio: not a caseload team
    # "respite_stays" comes from tests/support/tenth_program, an installed program app the tests add.
    assert [col.key for col in report.tables["caseload"].columns] == [
        "team", "program", "enrolled", "engaged", "episodes", "respite_stays", "staff", "per_staff", "ratio", "status"
    ]  # fmt: skip


class TenthProgram(ProgramPlugin):
    """A program that exists only here: no model, no app, one caseload column."""

    def __init__(self, counts):
        self.counts, self.asked = counts, []

    def report_columns(self):
        return [
            ReportColumn(
                report="caseload",
                key="housed",
                label="People housed (tenth program)",
                compute=self.housed,
                note="Housed: people the tenth program placed in the range.",
            ),
            ReportColumn(report="outcomes", key="ignored", label="Not a caseload column", compute=self.housed),
        ]

    def housed(self, *, team_ids, start_at, end_at, end_date):
        self.asked.append((sorted(team_ids), start_at, end_at, end_date))
        return self.counts


@pytest.fixture
def tenth_program(team_b):
    plugin = TenthProgram({team_b.pk: 4})
    plugins.register(plugin)
    yield plugin
    plugins.unregister(plugin)


@pytest.mark.django_db
def test_a_program_registered_at_runtime_adds_a_caseload_column(client, sue, world, team_a, team_b, tenth_program):
    f = filters()
    table = caseload_report(f).tables["caseload"]
    assert tenth_program.asked == [(sorted([team_a.pk, team_b.pk]), f.start_at, f.end_at, f.end)]
    assert [c.key for c in table.columns] == ["team", "program", "enrolled", "engaged", "episodes", "respite_stays",
                                              "housed", "staff", "per_staff", "ratio", "status"]  # fmt: skip
    assert table.columns[6].label == "People housed (tenth program)" and table.columns[6].kind == "int"
    assert table.note.endswith("Housed: people the tenth program placed in the range.")
    # Team B (two staff) has four clients now, all the tenth program's; Team A has none and no ratio.
    assert table.rows == [
        {"team": "Team B", "program": "Mobile Crisis", "enrolled": 0, "engaged": 0, "episodes": 0, "respite_stays": 0,
         "housed": 4,
         "staff": 2, "per_staff": 2.0, "ratio": None, "status": "–"}
    ]  # fmt: skip

    client.force_login(sue)
    query = f"start={f.start}&end={f.end}"
    rows_ = list(csv.reader(io.StringIO(client.get(f"/reports/caseload/caseload.csv?{query}").content.decode())))
    assert rows_ == [
        ["Team", "Program", "Enrolled clients (FACT)", "People engaged (outreach)", "Open episodes (stabilization)",
         "Respite stays (test program)",
         "People housed (tenth program)", "Active staff", "Clients per staff", "Program ratio (clients per staff)",
         "Against ratio"],
        ["Team B", "Mobile Crisis", "0", "0", "0", "0", "4", "2", "2.0", "–", "–"],
    ]  # fmt: skip
    data = client.get(f"/api/reports/caseload/?{query}").json()["tables"]["caseload"]
    assert {"key": "housed", "label": "People housed (tenth program)", "kind": "int"} in data["columns"]
    assert data["rows"][0]["housed"] == 4 and data["rows"][0]["team"] == "Team B"
    assert "People housed (tenth program)" in client.get(f"/reports/caseload/?{query}").content.decode()

    plugins.unregister(tenth_program)
    assert "housed" not in [c.key for c in caseload_report(f).tables["caseload"].columns]
