from __future__ import annotations

import pytest

from dispatch import services as dispatch
from programs.community_responders.models import Partner


@pytest.fixture
def partner(db):
    return Partner.objects.create(
        name="Northside Clinic",
        services="Outpatient psychiatry, medication management",
        hours="Mon-Fri 9-17",
        phone="312-555-0150",
        address="4000 N Broadway",
    )


@pytest.fixture
def team_a_call(new_call, dana, team_a, person):
    """A call team A is working, about a known person."""
    call = new_call(person=person)
    dispatch.call_triage(call=call, screen={}, by=dana)
    dispatch.call_assign(call=call, team=team_a, by=dana, reason="radio")
    call.refresh_from_db()
    return call
