"""The emergency button (dispatch.team_state.team_raise_sos / alert_acknowledge) and its API."""

from __future__ import annotations

import pytest
from django.utils import timezone

from crisis import realtime as events
from crisis.errors import InvalidTransition
from crisis.models import AuditEntry
from dispatch import services
from dispatch import team_state as team_services
from responders.models import SosAlert

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    out = []
    monkeypatch.setattr(events, "_send_now", lambda messages: out.extend(m for _, m in messages))
    return out


def test_sos_records_the_last_location_audits_and_alerts_dispatch_and_supervisors_at_once(
    rita, team_a, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        alert = team_services.team_raise_sos(team=team_a, by=rita)
    assert (alert.latitude, alert.longitude) == (team_a.latitude, team_a.longitude)
    assert alert.location_reported_at == team_a.location_reported_at
    assert alert.is_open and alert.call_id is None
    entry = AuditEntry.objects.get(action="responders.sos.raised")
    assert entry.actor == rita and entry.object_id == str(alert.pk)
    raised = [m for m in sent if m["kind"] == "sos.raised"]
    assert {m["group"] for m in raised} == {"dispatch.central", "supervisors", f"team.{team_a.pk}"}
    assert raised[0]["data"]["alert"]["team_name"] == "Team A"


def test_sos_with_a_fresh_position_updates_the_team_first(rita, team_a):
    alert = team_services.team_raise_sos(team=team_a, by=rita, latitude=41.9, longitude=-87.7)
    team_a.refresh_from_db()
    assert (team_a.latitude, team_a.longitude) == (41.9, -87.7)
    assert (alert.latitude, alert.longitude) == (41.9, -87.7)


def test_sos_names_the_call_the_team_is_on(rita, dana, team_a, new_call):
    call = new_call()
    services.call_triage(call=call, screen={"weapons": True}, by=dana)
    call.refresh_from_db()
    services.assignment_offer(call=call, team=team_a)
    assert team_services.team_raise_sos(team=team_a, by=rita).call_id == call.pk


def test_sos_refuses_half_a_position(rita, team_a):
    from crisis.errors import InvalidInput

    with pytest.raises(InvalidInput):
        team_services.team_raise_sos(team=team_a, by=rita, latitude=41.9)
    assert not SosAlert.objects.exists()


def test_acknowledging_closes_the_alert_once(rita, dana, sue, team_a, sent, django_capture_on_commit_callbacks):
    alert = team_services.team_raise_sos(team=team_a, by=rita)
    with django_capture_on_commit_callbacks(execute=True):
        team_services.alert_acknowledge(alert=alert, by=dana)
    alert.refresh_from_db()
    assert alert.acknowledged_by == dana and alert.acknowledged_at <= timezone.now()
    assert [m["data"]["alert"]["acknowledged_by"] for m in sent if m["kind"] == "sos.acknowledged"] == ["dana"] * 3
    assert AuditEntry.objects.filter(action="responders.sos.acknowledged", actor=dana).count() == 1
    with pytest.raises(InvalidTransition, match="already acknowledged by dana"):
        team_services.alert_acknowledge(alert=alert, by=sue)


@pytest.mark.parametrize("persona, status", [("rita", 201), ("bo", 403), ("dana", 403), ("oli", 403), ("nora", 403)])
def test_only_a_member_of_the_team_can_press_its_sos(client, persona, status, request, team_a, team_b):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(f"/api/teams/{team_a.pk}/sos/", {}, content_type="application/json")
    assert response.status_code == status
    assert SosAlert.objects.count() == (1 if status == 201 else 0)


@pytest.mark.parametrize(
    "persona, status", [("dana", 200), ("sue", 200), ("ada", 200), ("cam", 403), ("rita", 403), ("oli", 403)]
)
def test_who_may_acknowledge(client, persona, status, request, rita, team_a):
    alert = team_services.team_raise_sos(team=team_a, by=rita)
    client.force_login(request.getfixturevalue(persona))
    response = client.post(f"/api/alerts/{alert.pk}/acknowledge/")
    assert response.status_code == status


def test_a_second_acknowledgement_is_a_409(client, dana, sue, rita, team_a):
    alert = team_services.team_raise_sos(team=team_a, by=rita)
    client.force_login(dana)
    assert client.post(f"/api/alerts/{alert.pk}/acknowledge/").status_code == 200
    client.force_login(sue)
    response = client.post(f"/api/alerts/{alert.pk}/acknowledge/")
    assert response.status_code == 409 and "already acknowledged" in response.json()["detail"]


def test_open_alerts_stay_on_the_board_snapshot_until_acknowledged(client, dana, rita, team_a):
    alert = team_services.team_raise_sos(team=team_a, by=rita)
    client.force_login(dana)
    assert [a["id"] for a in client.get("/api/board/").json()["alerts"]] == [alert.pk]
    team_services.alert_acknowledge(alert=alert, by=dana)
    assert client.get("/api/board/").json()["alerts"] == []
