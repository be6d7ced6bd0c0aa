"""A tenth program plugs in with no edit outside its own app (tests/support/tenth_program).

Its plugin adds routing (a respite team with a free bed goes first for a
welfare check), its own case record with a write path mounted under
/programs/tenth_program/ (audited, checked by the one permission source),
and its own Program.kind, all without naming it anywhere in shared code.
"""

from __future__ import annotations

import pytest

from crisis.models import AuditEntry
from dispatch import services
from dispatch.models import Assignment
from programs import plugins
from programs.models import Program
from tests.conftest import CENTER, make_team
from tests.support.tenth_program.models import RespiteStay

pytestmark = pytest.mark.django_db


@pytest.fixture
def respite_team(db):
    program = Program.objects.create(
        name="Peer Respite House",
        kind="peer_respite",
        tiers=["community"],
        center_latitude=CENTER[0],
        center_longitude=CENTER[1],
        radius_km=50,
    )
    program.clean_fields(exclude=["call_types"])  # the plugin's kind is a valid choice without editing ProgramKind
    team, _ = make_team(
        "Respite",
        program,
        offset=(0.08, 0.0),
        members=[("ria", "peer_specialist", ["en"], []), ("ray", "licensed_clinician", ["en"], [])],
    )
    return team


def test_the_plugin_is_registered_by_its_app_alone():
    assert "peer_respite" in dict(plugins.registered_kinds())


def test_its_routing_rule_puts_the_respite_team_first(team_a, respite_team, new_call, dana, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    call = new_call(call_type="welfare_check")
    services.call_triage(call=call, screen={}, by=dana)
    services.calls_route_waiting(region=call.region)
    offer = Assignment.objects.get(call=call)
    # Team A is nearer; the plugin's "first" wins over distance.
    assert offer.team == respite_team
    call.refresh_from_db()
    assert "Peer respite bed available" in str(call.routing_explanation["chosen"])


def test_other_calls_route_as_before(team_a, respite_team, new_call, dana):
    call = new_call(call_type="mental_health")
    services.call_triage(call=call, screen={}, by=dana)
    services.calls_route_waiting(region=call.region)
    assert Assignment.objects.get(call=call).team == team_a


def test_its_case_record_has_a_write_path_that_audits_and_checks_the_team(client, respite_team, person, team_a):
    from crisis.models import User

    ria = User.objects.get(username="ria")
    client.force_login(ria)
    body = {"person": person.pk, "team": respite_team.pk, "note": "Two nights"}
    created = client.post("/programs/tenth_program/stays/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    stay = RespiteStay.objects.get(pk=created.json()["id"])
    assert (stay.person, stay.team, stay.note) == (person, respite_team, "Two nights")
    assert AuditEntry.objects.filter(action="tenth_program.respite_stay.created", object_id=str(stay.pk)).exists()

    refused = client.post("/programs/tenth_program/stays/", body | {"team": team_a.pk}, content_type="application/json")
    assert refused.status_code == 403
    bad = client.post("/programs/tenth_program/stays/", {"person": "x"}, content_type="application/json")
    assert bad.status_code == 400
    assert RespiteStay.objects.count() == 1


def test_its_report_column_counts_its_own_records_in_the_caseload_report(client, sue, respite_team, person):
    from datetime import timedelta

    from django.utils import timezone

    from reports.caseload import caseload_report
    from reports.filters import Filters

    RespiteStay.objects.create(person=person, team=respite_team)
    RespiteStay.objects.create(person=person, team=respite_team, started_at=timezone.now() - timedelta(days=400))
    today = timezone.localdate()
    f = Filters(start=today - timedelta(days=7), end=today)
    table = caseload_report(f).tables["caseload"]
    column = next(c for c in table.columns if c.key == "respite_stays")
    assert column.label == "Respite stays (test program)"
    row = next(r for r in table.rows if r["team"] == "Respite")
    assert row["respite_stays"] == 1  # the stay 400 days ago is outside the range
    client.force_login(sue)
    page = client.get(f"/reports/caseload/?start={f.start}&end={f.end}")
    assert "Respite stays (test program)" in page.content.decode()
