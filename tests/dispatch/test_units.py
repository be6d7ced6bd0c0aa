"""Issue 9: a call with more than one unit (dispatch/units.py): the crisis team plus police/EMS units, each with
its own status and times on the call's timeline; co-response where no paired team exists; the call does not close
over a unit still on scene unless the dispatcher confirms."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from crisis.errors import Conflict, InvalidInput, InvalidTransition, NeedsConfirmation
from dispatch import rows, services
from dispatch.live_serializers import CallRowSerializer
from dispatch.models import Assignment, Call, CallUnit

pytestmark = pytest.mark.django_db


@pytest.fixture
def routed(django_capture_on_commit_callbacks):
    def _run(fn, /, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return _run


@pytest.fixture
def on_scene(new_call, dana, rita, routed, team_a, team_b, settings):
    """A community call with Team A on scene (no paired police team exists)."""
    settings.HANDOFF_HOOK_URLS = {"police": "", "ems": ""}
    call = new_call()
    routed(services.call_triage, call=call, screen={}, by=dana)
    offer = Assignment.objects.get(call=call, status="offered")
    routed(services.assignment_accept, assignment=offer, by=rita)
    routed(services.call_advance, call=call, to="on_scene", by=rita)
    call.refresh_from_db()
    assert call.status == "on_scene"
    return call


def test_co_response_police_unit_with_its_own_status_and_times(on_scene, dana, routed):
    unit = routed(services.unit_add, call=on_scene, agency="police", unit=" 4A12 ", by=dana)
    assert (unit.unit, unit.status, unit.dispatched_at is not None) == ("4A12", "dispatched", True)
    routed(services.unit_set_status, unit=unit, status="en_route", by=dana)
    routed(services.unit_set_status, unit=unit, status="on_scene", by=dana)
    unit.refresh_from_db()
    assert unit.status == "on_scene" and unit.en_route_at <= unit.on_scene_at
    on_scene.refresh_from_db()
    # The crisis team's own state is untouched: two units, two statuses.
    assert on_scene.status == "on_scene"
    row = rows.call_summary(on_scene)
    assert [(u["agency"], u["unit"], u["status"]) for u in row["units"]] == [("police", "4A12", "on_scene")]
    assert CallRowSerializer(data=row).is_valid(), CallRowSerializer(data=row).errors
    kinds = [(e.kind, e.detail.get("unit_status")) for e in on_scene.events.filter(kind__startswith="call.unit")]
    assert kinds == [("call.unit_added", None), ("call.unit_status", "en_route"), ("call.unit_status", "on_scene")]


def test_the_call_does_not_close_over_a_unit_on_scene_unless_the_dispatcher_confirms(on_scene, dana, rita, routed):
    unit = routed(services.unit_add, call=on_scene, agency="police", unit="4A12", by=dana)
    routed(services.unit_set_status, unit=unit, status="on_scene", by=dana)
    # The team's phone cannot close over it, even asking to.
    with pytest.raises(NeedsConfirmation) as exc:
        services.call_clear(call=on_scene, disposition="stabilized", by=rita, confirm_units=True)
    assert exc.value.reasons == ["Police 4A12 is still on scene"]
    with pytest.raises(NeedsConfirmation):
        services.call_close(call=on_scene, disposition="stabilized", by=dana)
    on_scene.refresh_from_db()
    assert on_scene.status == "on_scene" and CallUnit.objects.get().status == "on_scene"
    routed(services.call_close, call=on_scene, disposition="stabilized", by=dana, confirm_units=True)
    on_scene.refresh_from_db()
    unit.refresh_from_db()
    assert on_scene.status == "closed" and unit.status == "cleared" and unit.cleared_at is not None
    assert on_scene.events.filter(kind="call.unit_status", detail__with_call_close=True).count() == 1
    assert on_scene.units[0]["status"] == "cleared"


def test_units_not_on_scene_clear_with_the_call_without_asking(on_scene, dana, rita, routed):
    routed(services.unit_add, call=on_scene, agency="ems", unit="Medic 7", by=dana)
    routed(services.call_clear, call=on_scene, disposition="stabilized", by=rita)
    assert CallUnit.objects.get().status == "cleared"


def test_a_cleared_unit_no_longer_blocks_the_close(on_scene, dana, routed):
    unit = routed(services.unit_add, call=on_scene, agency="police", unit="4A12", by=dana)
    routed(services.unit_set_status, unit=unit, status="on_scene", by=dana)
    routed(services.unit_set_status, unit=unit, status="cleared", by=dana)
    routed(services.call_close, call=on_scene, disposition="stabilized", by=dana)
    assert Call.objects.get(pk=on_scene.pk).status == "closed"


@pytest.mark.parametrize(
    ("path", "to", "error"),
    [
        (["on_scene"], "en_route", InvalidTransition),
        (["cleared"], "on_scene", InvalidTransition),
        ([], "parked", InvalidInput),
    ],
)
def test_unit_transitions_follow_the_table(on_scene, dana, routed, path, to, error):
    unit = routed(services.unit_add, call=on_scene, agency="police", unit="4A12", by=dana)
    for step in path:
        routed(services.unit_set_status, unit=unit, status=step, by=dana)
    with pytest.raises(error):
        services.unit_set_status(unit=unit, status=to, by=dana)


def test_stale_view_and_duplicate_unit_are_conflicts(on_scene, dana, routed):
    unit = routed(services.unit_add, call=on_scene, agency="police", unit="4A12", by=dana)
    with pytest.raises(Conflict):
        services.unit_add(call=on_scene, agency="police", unit="4A12", by=dana)
    routed(services.unit_set_status, unit=unit, status="on_scene", by=dana)
    with pytest.raises(Conflict):
        services.unit_set_status(unit=unit, status="on_scene", expected_status="dispatched", by=dana)
    assert CallUnit.objects.count() == 1


def test_only_the_desk_adds_units(on_scene, rita):
    with pytest.raises(PermissionDenied):
        services.unit_add(call=on_scene, agency="police", unit="4A12", by=rita)
    assert not CallUnit.objects.exists()


def test_a_recorded_hand_off_puts_the_agency_unit_on_the_call(new_call, dana, routed, settings):
    settings.HANDOFF_HOOK_URLS = {"police": "", "ems": ""}
    call = new_call()
    routed(services.call_triage, call=call, screen={"weapons": True, "violence": True}, by=dana)
    handoff = routed(
        services.call_record_handoff, call=call, agency="police", incident_number="P-9", unit="1021", by=dana
    )
    unit = CallUnit.objects.get()
    assert (unit.agency, unit.unit, unit.incident_number, unit.handoff) == ("police", "1021", "P-9", handoff)
    assert unit.dispatched_at == handoff.handed_off_at


def test_a_co_response_unit_that_takes_the_hand_off_is_not_added_twice(new_call, dana, routed, settings):
    settings.HANDOFF_HOOK_URLS = {"police": "", "ems": ""}
    call = new_call()
    routed(services.call_triage, call=call, screen={"weapons": True, "violence": True}, by=dana)
    routed(services.unit_add, call=call, agency="police", unit="1021", by=dana)
    routed(services.call_record_handoff, call=call, agency="police", incident_number="P-9", unit="1021", by=dana)
    assert CallUnit.objects.count() == 1


def test_a_cancelled_call_clears_its_units(on_scene, dana, routed, new_call):
    call = new_call()
    routed(services.unit_add, call=call, agency="ems", unit="Medic 7", by=dana)
    routed(services.call_cancel, call=call, by=dana, reason="Duplicate")
    assert CallUnit.objects.get(call=call).status == "cleared"


def test_api_units_for_the_desk_only(client, on_scene, dana, rita):
    body = {"agency": "police", "unit": "4A12"}
    client.force_login(rita)
    assert client.post(f"/api/calls/{on_scene.pk}/units/", body, content_type="application/json").status_code == 403
    client.force_login(dana)
    res = client.post(f"/api/calls/{on_scene.pk}/units/", body, content_type="application/json")
    assert res.status_code == 201 and res.json()["status"] == "dispatched"
    uid = res.json()["id"]
    assert client.post(f"/api/calls/{on_scene.pk}/units/", body, content_type="application/json").status_code == 409
    bad = client.post(f"/api/calls/{on_scene.pk}/units/", {"agency": "fire", "unit": "E1"}, "application/json")
    assert bad.status_code == 400
    res = client.post(f"/api/units/{uid}/status/", {"status": "on_scene"}, content_type="application/json")
    assert res.status_code == 200 and res.json()["on_scene_at"]
    assert client.post(f"/api/units/{uid}/status/", {"status": "x"}, "application/json").status_code == 400
    close = client.post(f"/api/calls/{on_scene.pk}/close/", {"disposition": "stabilized"}, "application/json")
    assert close.status_code == 409 and close.json()["reasons"] == ["Police 4A12 is still on scene"]
    detail = client.get(f"/api/calls/{on_scene.pk}/").json()
    assert [u["unit"] for u in detail["units"]] == ["4A12"]
    close = client.post(
        f"/api/calls/{on_scene.pk}/close/", {"disposition": "stabilized", "confirm_units": True}, "application/json"
    )
    assert close.status_code == 200 and close.json()["status"] == "closed"


def test_call_page_shows_units_and_asks_to_confirm_the_close(client, on_scene, dana, routed):
    unit = routed(services.unit_add, call=on_scene, agency="police", unit="4A12", by=dana)
    routed(services.unit_set_status, unit=unit, status="on_scene", by=dana)
    client.force_login(dana)
    page = client.get(f"/dispatch/calls/{on_scene.pk}/").content.decode()
    assert "Police 4A12" in page and "On scene" in page
    res = client.post(f"/dispatch/calls/{on_scene.pk}/close/", {"disposition": "stabilized"})
    assert (
        res.status_code == 400 and "still on scene" in res.content.decode() and "Close anyway" in res.content.decode()
    )
    res = client.post(f"/dispatch/calls/{on_scene.pk}/close/", {"disposition": "stabilized", "confirm_units": "on"})
    assert res.status_code == 302 and Call.objects.get(pk=on_scene.pk).status == "closed"
