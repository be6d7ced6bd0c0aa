"""programs/mobile_crisis: every field response gets a follow-up when the call closes; recording closes it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crisis.errors import InvalidTransition
from crisis.models import AuditEntry
from dispatch import services
from dispatch.models import Status
from programs.mobile_crisis import services as follow_ups
from programs.mobile_crisis.models import FollowUp

pytestmark = pytest.mark.django_db


def _field_response(new_call, dana, rita, team_a):
    call = new_call()
    services.call_triage(call=call, screen={}, by=dana)
    services.call_assign(call=call, team=team_a, by=dana, reason="radio")
    services.call_advance(call=call, to=Status.ON_SCENE, by=rita)
    services.call_close(call=call, disposition="stabilized", by=rita)
    call.refresh_from_db()
    return call


def test_closing_a_field_response_schedules_one_follow_up_for_the_team(new_call, dana, rita, team_a, settings):
    call = _field_response(new_call, dana, rita, team_a)
    follow_up = FollowUp.objects.get(call=call)
    assert follow_up.team == team_a
    assert follow_up.due_at == call.arrived_at + timedelta(hours=settings.FOLLOW_UP_DUE_HOURS)
    assert follow_up.completed_at is None
    assert AuditEntry.objects.filter(action="mobile_crisis.follow_up.scheduled", object_id=str(follow_up.pk)).exists()


def test_a_call_resolved_by_phone_gets_no_follow_up(new_call, dana):
    call = new_call()
    services.call_triage(call=call, screen={"police_on_scene": True}, by=dana)
    call.refresh_from_db()
    if call.status == Status.TRIAGED:
        services.call_resolve_by_phone(call=call, by=dana, note="Talked down")
    assert not FollowUp.objects.exists()


def test_recording_the_contact_closes_it_once(new_call, dana, rita, team_a):
    call = _field_response(new_call, dana, rita, team_a)
    follow_up = FollowUp.objects.get(call=call)
    done = follow_ups.follow_up_record(follow_up=follow_up, by=rita, reached=True, note="Doing better")
    assert (done.reached, done.completed_by, done.note) == (True, rita, "Doing better")
    with pytest.raises(InvalidTransition):
        follow_ups.follow_up_record(follow_up=follow_up, by=rita, reached=False)
