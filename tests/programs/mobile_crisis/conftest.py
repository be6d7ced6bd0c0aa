from __future__ import annotations

import pytest

from dispatch import services
from dispatch.models import Status
from programs.mobile_crisis.models import FollowUp


def field_response(new_call, dana, responder, team, **call):
    """A call a team went out to and closed: mobile crisis schedules its follow-up."""
    c = new_call(**call)
    services.call_triage(call=c, screen={}, by=dana)
    services.call_assign(call=c, team=team, by=dana, reason="radio")
    services.call_advance(call=c, to=Status.ON_SCENE, by=responder)
    services.call_close(call=c, disposition="stabilized", by=responder)
    c.refresh_from_db()
    return FollowUp.objects.get(call=c, completed_at__isnull=True)


@pytest.fixture
def follow_up_a(new_call, dana, rita, team_a, person):
    return field_response(new_call, dana, rita, team_a, person=person, callback_number="312-555-0199")


@pytest.fixture
def follow_up_b(new_call, dana, bo, team_b):
    return field_response(new_call, dana, bo, team_b, person_description="Woman in a red coat")
