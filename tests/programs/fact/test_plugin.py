"""The FACT plug-in's call brief: on a call about an enrolled client, the client's team sees the care-plan
essentials (plan, active goals, who is on call), nothing more; everyone else sees nothing; each read is audited."""

from __future__ import annotations

import pytest

from crisis.models import AuditEntry
from dispatch import services as dispatch
from programs import plugins
from programs.fact import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_call(new_call, dana, enrolled, fact_team, fay):
    services.goal_add(enrollment=enrolled, by=fay, text="Keeps probation appointments")
    services.contact_record(enrollment=enrolled, by=fay, method="visit", note="Private: talked about his brother")
    call = new_call(person=enrolled.person)
    dispatch.call_triage(call=call, screen={}, by=dana)
    dispatch.call_assign(call=call, team=fact_team, by=dana, reason="own client")
    call.refresh_from_db()
    return call


def test_the_clients_team_sees_the_essentials_over_the_api(client, fay, client_call, fay_on_call):
    client.force_login(fay)
    response = client.get(f"/api/calls/{client_call.pk}/brief/")
    assert response.status_code == 200
    (section,) = response.json()
    assert section["title"] == "FACT client of FACT 1"
    assert section["lines"] == [
        "Crisis plan: Calm voice; sister Ana 312-555-0111; avoids uniforms",
        "Goal: Keeps probation appointments",
    ]
    assert (section["phone"], section["phone_label"]) == ("312-555-0177", "On call: Fay")
    # Not the chart: contact notes and outcomes stay on the caseload.
    assert "brother" not in response.content.decode() and "jail" not in response.content.decode().lower()
    entry = AuditEntry.objects.get(action="fact.care_plan.viewed")
    assert (entry.actor, entry.detail["call"]) == (fay, client_call.pk)


def test_the_desk_and_other_teams_see_nothing(client, dana, rita, client_call):
    client.force_login(dana)
    assert client.get(f"/api/calls/{client_call.pk}/brief/").json() == []
    client.force_login(rita)  # not on this call
    assert client.get(f"/api/calls/{client_call.pk}/brief/").status_code == 403
    assert not AuditEntry.objects.filter(action="fact.care_plan.viewed").exists()


def test_a_call_about_someone_not_enrolled_has_no_brief(new_call, fay, person):
    assert plugins.call_brief(new_call(person=person), fay) == []
    assert plugins.call_brief(new_call(), fay) == []


def test_a_discharged_client_has_no_brief(client_call, enrolled, fay):
    services.enrollment_discharge(enrollment=enrolled, by=fay, reason="moved")
    assert plugins.call_brief(client_call, fay) == []


def test_nav_link_for_fact_members_and_supervisors_only(fay, sue, rita, dana):
    from programs.fact.plugin import FactPlugin

    plugin = FactPlugin()
    assert plugin.nav_links(fay) == [("FACT caseload", "/programs/fact/")]
    assert plugin.nav_links(sue) == [("FACT caseload", "/programs/fact/")]
    assert plugin.nav_links(rita) == [] and plugin.nav_links(dana) == []
