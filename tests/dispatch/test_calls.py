"""dispatch/calls.py: gaps that deleting single lines exposed."""

from __future__ import annotations

import pytest

from crisis.models import AuditEntry
from dispatch import services
from dispatch.models import Assignment, AssignmentStatus, Status
from responders.models import TeamStatus

pytestmark = pytest.mark.django_db


def _offered(new_call, dana, team):
    call = new_call()
    services.call_triage(call=call, screen={}, by=dana)
    call.refresh_from_db()
    if not Assignment.objects.filter(call=call, status=AssignmentStatus.OFFERED).exists():
        services.assignment_offer(call=call, team=team)
    return call, Assignment.objects.get(call=call, status=AssignmentStatus.OFFERED)


@pytest.mark.parametrize("accepted", [False, True], ids=["offered", "accepted"])
def test_cancelling_a_call_releases_its_team(new_call, dana, rita, team_a, accepted):
    call, offer = _offered(new_call, dana, team_a)
    if accepted:
        services.assignment_accept(assignment=offer, by=rita)
    services.call_cancel(call=call, by=dana, reason="Caller called back: all fine")
    team_a.refresh_from_db()
    offer.refresh_from_db()
    call.refresh_from_db()
    assert (call.status, offer.status, team_a.status) == (
        Status.CANCELLED,
        AssignmentStatus.WITHDRAWN,
        TeamStatus.AVAILABLE,
    )


def test_every_team_status_change_on_the_dispatch_path_is_audited(new_call, dana, rita, team_a):
    call, offer = _offered(new_call, dana, team_a)
    services.assignment_accept(assignment=offer, by=rita)
    services.call_advance(call=call, to=Status.ON_SCENE, by=rita)
    services.call_close(call=call, disposition="stabilized", by=rita)
    changes = list(
        AuditEntry.objects.filter(action="responders.team.status_changed", object_id=str(team_a.pk))
        .order_by("id")
        .values_list("detail__before", "detail__after", "detail__call", "actor_label")
    )
    assert changes == [
        ("available", "offered", call.pk, "system"),
        ("offered", "assigned", call.pk, "rita"),
        ("assigned", "on_scene", call.pk, "rita"),
        ("on_scene", "available", call.pk, "rita"),
    ]


def test_triage_without_answers_is_refused_by_the_api_but_caller_not_asked_is_recorded(client, dana, new_call):
    call = new_call()
    client.force_login(dana)
    assert client.post(f"/api/calls/{call.pk}/triage/", {}, content_type="application/json").status_code == 400
    ok = client.post(f"/api/calls/{call.pk}/triage/", {"caller_not_asked": True}, content_type="application/json")
    assert ok.status_code == 200, ok.content


def test_transporting_records_where_the_person_is_taken(new_call, dana, rita, team_a):
    from crisis.errors import InvalidInput
    from dispatch.models import CallEvent

    call, offer = _offered(new_call, dana, team_a)
    services.assignment_accept(assignment=offer, by=rita)
    services.call_advance(call=call, to=Status.ON_SCENE, by=rita)
    with pytest.raises(InvalidInput) as refused:
        services.call_advance(call=call, to=Status.TRANSPORTING, by=rita, destination="  ")
    assert refused.value.field == "destination"
    services.call_advance(call=call, to=Status.TRANSPORTING, by=rita, destination="Mercy ED")
    call.refresh_from_db()
    assert (call.status, call.transport_destination) == ("transporting", "Mercy ED")
    assert CallEvent.objects.get(call=call, kind="call.transporting").detail["destination"] == "Mercy ED"
