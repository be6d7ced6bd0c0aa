"""A team for the officer (programs/le_consult/services.py `consult_request_team`): the clinician sends a team
through the call desk port, and the officer follows which team is coming and its ETA live on the consult."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core.exceptions import PermissionDenied

from crisis import realtime
from crisis.errors import Conflict, InvalidTransition
from crisis.models import AuditEntry
from dispatch import services as dispatch
from dispatch.models import Assignment, Call, Status
from programs.le_consult import services
from programs.le_consult.models import Consult, ConsultStatus, Outcome
from programs.le_consult.rows import consult_row
from tests.conftest import CENTER

pytestmark = pytest.mark.django_db


@pytest.fixture
def handled(request_consult, cam):
    return services.consult_accept(consult=request_consult(need="team"), by=cam)


def officer_rows(sent_events, oli) -> list[dict]:
    inbox = realtime.inbox_group(oli.pk)
    return [m["data"] for m in sent_events if m["kind"] == "consult.updated" and m["group"] == inbox]


def test_the_clinician_sends_a_team_and_the_officer_sees_it_offered_with_an_eta(
    handled, cam, oli, team_a, sent_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        consult = services.consult_request_team(consult=handled, by=cam)
    call = Call.objects.get(pk=consult.call_id)
    # Opened through the call desk as a law-enforcement request with the officer there: a co-response.
    assert (call.source, call.tier, call.created_by_id) == ("law_enforcement", "co_response", cam.pk)
    assert (call.latitude, call.longitude) == (CENTER[0], CENTER[1])
    assert Assignment.objects.get(call=call).team == team_a  # routed at once (eager in the tests)
    team = officer_rows(sent_events, oli)[-1]["team"]
    assert team["call_id"] == call.pk and team["name"] == "Team A" and team["accepted"] is False
    assert team["eta_source"] == "position" and datetime.fromisoformat(team["eta_at"]) > call.received_at
    assert consult_row(Consult.objects.get(pk=consult.pk))["actions"]["send_team"] is False
    entry = AuditEntry.objects.get(action="le_consult.consult.team_requested")
    assert entry.detail["call"] == call.pk and entry.actor == cam


def test_the_officer_follows_the_team_live_as_it_accepts_drives_and_arrives(
    handled, cam, oli, rita, team_a, sent_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # routing runs after commit
        consult = services.consult_request_team(consult=handled, by=cam)
    offer = Assignment.objects.get(call_id=consult.call_id)
    sent_events.clear()
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.assignment_accept(assignment=offer, by=rita)
    accepted = officer_rows(sent_events, oli)[-1]["team"]
    assert accepted["accepted"] is True and accepted["name"] == "Team A"

    # The team reports a position farther away: the officer's ETA moves later, over the consult's socket.
    sent_events.clear()
    team_a.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.team_report_location(team=team_a, latitude=CENTER[0] + 0.05, longitude=CENTER[1], by=rita)
    moved = officer_rows(sent_events, oli)[-1]["team"]
    assert moved["latitude"] == pytest.approx(CENTER[0] + 0.05)
    assert datetime.fromisoformat(moved["eta_at"]) > datetime.fromisoformat(accepted["eta_at"])

    call = Call.objects.get(pk=consult.call_id)
    sent_events.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for step in (Status.EN_ROUTE, Status.ON_SCENE):
            call = dispatch.call_advance(call=call, to=step, by=rita)
    there = officer_rows(sent_events, oli)[-1]["team"]
    assert there["arrived_at"] is not None and there["eta_at"] is None and there["call_status"] == "on_scene"


def test_position_reports_of_a_team_on_another_call_publish_no_consult(
    handled, rita, team_a, sent_events, django_capture_on_commit_callbacks, new_call
):
    call = new_call()
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.call_triage(call=call, screen={"phone_engaged": False}, by=None)
    offer = Assignment.objects.get(call=call)
    dispatch.assignment_accept(assignment=offer, by=rita)
    team_a.refresh_from_db()
    sent_events.clear()
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.team_report_location(team=team_a, latitude=CENTER[0], longitude=CENTER[1], by=rita)
    assert not [m for m in sent_events if m["kind"] == "consult.updated"]


def test_only_the_handling_clinician_sends_a_team_once_while_in_progress(request_consult, handled, cam, oli, kit, sue):
    with pytest.raises(PermissionDenied):
        services.consult_request_team(consult=handled, by=oli)
    with pytest.raises(PermissionDenied):
        services.consult_request_team(consult=handled, by=kit)
    services.consult_request_team(consult=handled, by=cam)
    with pytest.raises(Conflict, match="already asked for"):
        services.consult_request_team(consult=handled, by=cam)
    assert Call.objects.count() == 1
    waiting = request_consult()  # a supervisor may act on any consult, but not before someone handles it
    with pytest.raises(InvalidTransition):
        services.consult_request_team(consult=waiting, by=sue)


def test_closing_with_team_sent_sends_one_when_none_was(handled, cam, team_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        consult = services.consult_close(consult=handled, by=cam, outcome=Outcome.TEAM_SENT)
    assert consult.status == ConsultStatus.CLOSED and consult.call_id is not None
    assert consult_row(Consult.objects.get(pk=consult.pk))["team"]["name"] == "Team A"


def test_closing_with_another_outcome_opens_no_call(handled, cam):
    services.consult_close(consult=handled, by=cam, outcome=Outcome.RESOLVED_ON_SCENE)
    assert not Call.objects.exists()
