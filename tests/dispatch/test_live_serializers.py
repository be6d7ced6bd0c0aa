"""Every row and snapshot the live screens read matches its documented schema, field for field.

The schema (dispatch/live_serializers.py) is what /api/schema/ publishes; the rows come from
dispatch/rows.py and dispatch/live.py. A field added to a row and not to its schema (or the reverse)
fails here.
"""

from __future__ import annotations

import pytest

from crisis import realtime
from dispatch import live, live_serializers, rows, services
from dispatch.models import Status

pytestmark = pytest.mark.django_db


def _conforms(serializer_class, data: dict) -> None:
    ser = serializer_class(data=data)
    assert ser.is_valid(), ser.errors
    declared = set(serializer_class().fields)
    optional = {name for name, f in serializer_class().fields.items() if not f.required}
    assert set(data) - declared == set(), f"undocumented fields: {set(data) - declared}"
    assert declared - optional - set(data) == set(), f"documented but missing: {declared - optional - set(data)}"


@pytest.fixture
def busy_world(new_call, dana, rita, team_a, team_b, person):
    waiting = new_call(person=person)
    services.call_triage(call=waiting, screen={"si_thoughts": True, "weapons": True}, by=dana)
    working = new_call()
    services.call_triage(call=working, screen={}, by=dana)
    services.call_assign(call=working, team=team_a, by=dana, reason="closest")
    services.call_add_note(call=working, by=dana, text="Door code 1234")
    services.team_raise_sos(team=team_a, by=rita)
    return waiting, working


def test_every_row_kind_matches_its_schema(busy_world, team_a):
    waiting, working = busy_world
    for call in (waiting, working):
        call.refresh_from_db()
        _conforms(live_serializers.CallRowSerializer, rows.call_summary(call))
    _conforms(live_serializers.TeamRowSerializer, rows.team_summary(team_a))
    alert = team_a.sos_alerts.first()
    _conforms(live_serializers.AlertRowSerializer, rows.alert_summary(alert))


@pytest.mark.parametrize("persona", ["dana", "sue"])
def test_the_board_snapshot_matches_its_schema(request, busy_world, persona):
    snapshot = live.board_snapshot(request.getfixturevalue(persona))
    assert snapshot["calls"] and snapshot["teams"] and snapshot["alerts"]
    _conforms(live_serializers.BoardSnapshotSerializer, snapshot)


def test_the_phone_snapshot_matches_its_schema_with_and_without_a_call(busy_world, rita, bo):
    with_call = live.my_team_snapshot(rita)
    assert with_call["call"] is not None and with_call["call"]["notes"]
    _conforms(live_serializers.MyTeamSnapshotSerializer, with_call)
    _conforms(live_serializers.CallForTeamSerializer, with_call["call"])
    _conforms(live_serializers.MyTeamSnapshotSerializer, live.my_team_snapshot(bo))


def test_published_call_rows_are_the_documented_row(busy_world, dana, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(realtime, "_send_now", lambda messages: sent.extend(m for _, m in messages))
    waiting, _ = busy_world
    with django_capture_on_commit_callbacks(execute=True):
        services.call_add_note(call=waiting, by=dana, text="Caller called back")
    assert sent
    for message in sent:
        _conforms(live_serializers.CallRowSerializer, message["data"]["call"])


def test_the_schema_documents_the_snapshots(client, dana):
    client.force_login(dana)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    board = schema["paths"]["/api/board/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert board == {"$ref": "#/components/schemas/BoardSnapshot"}
    assert "actions" in schema["components"]["schemas"]["CallRow"]["properties"]
    assert Status.AWAITING_TEAM in str(schema["components"]["schemas"])
