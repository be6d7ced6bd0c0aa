"""Issue 9: a manual assignment to a team that lacks what the call needs is refused with the gaps listed until
the dispatcher confirms (dispatch.assignments.call_assign, selectors.assignment_gaps; API and call page)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from crisis.errors import NeedsConfirmation
from dispatch import selectors, services
from dispatch.models import Assignment
from programs.models import Program
from tests.conftest import CENTER, make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def unpaired_team(db):
    """A community-responder team: no police pairing, no clinician, English only."""
    program = Program.objects.create(
        name="Community Responders",
        kind="community_responders",
        tiers=["community", "co_response"],
        pairs_with_law_enforcement=False,
        center_latitude=CENTER[0],
        center_longitude=CENTER[1],
        radius_km=50,
    )
    team, _ = make_team(
        "Team C", program, members=[("cy", "peer_specialist", ["en"], []), ("cal", "peer_specialist", ["en"], [])]
    )
    return team


def triaged_call(new_call, dana, screen, **overrides):
    call = new_call(**overrides)
    services.call_triage(call=call, screen=screen, by=dana)
    call.refresh_from_db()
    return call


@pytest.mark.parametrize(
    ("screen", "overrides", "gap"),
    [
        ({"weapons": True}, {}, "Does not pair with law enforcement (co-response)"),
        ({"si_behavior": True}, {}, "Needs a licensed clinician"),
        ({"intoxication": True}, {"language": "es"}, "Needs a Spanish speaker"),
    ],
)
def test_gaps_are_named_and_refused_until_confirmed(dana, new_call, unpaired_team, screen, overrides, gap):
    call = triaged_call(new_call, dana, screen, **overrides)
    assert gap in selectors.assignment_gaps(call, unpaired_team, now=timezone.now())
    with pytest.raises(NeedsConfirmation) as exc:
        services.call_assign(call=call, team=unpaired_team, by=dana, reason="nearest unit")
    assert gap in exc.value.reasons and exc.value.field == "confirm_gaps"
    assert not Assignment.objects.filter(call=call).exists()

    assignment = services.call_assign(
        call=call, team=unpaired_team, by=dana, reason="only team near; police on the way", confirm_gaps=True
    )
    assert assignment.status == "accepted"
    event = call.events.get(kind="call.assigned_manually")
    assert gap in event.detail["confirmed_gaps"] and event.detail["reason"] == "only team near; police on the way"


def test_a_team_with_everything_is_assigned_without_a_confirmation(dana, new_call, team_a):
    call = triaged_call(new_call, dana, {"weapons": True}, language="es")  # Team A pairs and speaks Spanish
    assert selectors.assignment_gaps(call, team_a, now=timezone.now()) == []
    services.call_assign(call=call, team=team_a, by=dana, reason="radio")
    assert "confirmed_gaps" not in call.events.get(kind="call.assigned_manually").detail


def test_api_answers_409_with_the_reasons_then_assigns_on_confirm(client, dana, new_call, unpaired_team):
    call = triaged_call(new_call, dana, {"weapons": True})
    client.force_login(dana)
    body = {"team_id": unpaired_team.pk, "reason": "closest"}
    refused = client.post(f"/api/calls/{call.pk}/assign/", body, content_type="application/json")
    assert refused.status_code == 409
    assert "Does not pair with law enforcement (co-response)" in refused.json()["reasons"]
    done = client.post(f"/api/calls/{call.pk}/assign/", body | {"confirm_gaps": True}, content_type="application/json")
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "assigned"


def test_call_page_shows_the_gaps_and_a_confirm_box(client, dana, new_call, unpaired_team):
    call = triaged_call(new_call, dana, {"weapons": True})
    client.force_login(dana)
    form = {"team": unpaired_team.pk, "reason": "closest"}
    page = client.post(f"/dispatch/calls/{call.pk}/assign/", form)
    html = page.content.decode()
    assert page.status_code == 400 and "Team C lacks what this call needs" in html  # a form error
    assert 'name="confirm_gaps"' in html and "Assign anyway" in html
    done = client.post(f"/dispatch/calls/{call.pk}/assign/", form | {"confirm_gaps": "on"})
    assert done.status_code == 302
    assert Assignment.objects.get(call=call).team == unpaired_team
