"""The dispatch desk withdraws an offer or pulls a team back (dispatch.assignments.assignment_withdraw), then
re-triages or resolves by phone: issue 9's "withdraw it first" was a dead end with no control."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from crisis.audit import AuditEntry
from crisis.errors import Conflict, InvalidInput
from dispatch import services
from dispatch.models import Assignment, Call
from responders.models import Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def routed(django_capture_on_commit_callbacks):
    def _run(fn, /, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return _run


def active(call) -> Assignment | None:
    return Assignment.objects.filter(call=call, status__in=("offered", "accepted")).first()


@pytest.fixture
def call_at(new_call, dana, rita, routed, team_a, team_b):
    """A field call offered to Team A (the closer), then taken to `status` by Team A."""

    def _make(status: str) -> Call:
        call = new_call()
        routed(services.call_triage, call=call, screen={}, by=dana)
        offer = active(call)
        assert offer.team == team_a
        if status != "awaiting_team":
            routed(services.assignment_accept, assignment=offer, by=rita)
        if status in ("en_route", "on_scene"):
            routed(services.call_advance, call=call, to=status, by=rita)
        call.refresh_from_db()
        assert call.status == status
        return call

    return _make


# call status when withdrawn -> the timeline event that says so
WITHDRAWALS = [
    ("awaiting_team", "call.offer_withdrawn"),
    ("assigned", "call.pulled_back"),
    ("en_route", "call.pulled_back"),
]


@pytest.mark.parametrize(("status", "kind"), WITHDRAWALS)
def test_withdraw_frees_the_team_and_the_call_goes_to_the_next_team(
    call_at, routed, dana, team_a, team_b, status, kind
):
    call = call_at(status)
    assignment = active(call)
    routed(services.assignment_withdraw, assignment=assignment, by=dana, reason="Team A needed at a P1")
    assignment.refresh_from_db()
    team_a.refresh_from_db()
    call.refresh_from_db()
    assert assignment.status == "recalled" and assignment.ended_at is not None
    assert team_a.status == "available"
    ev = call.events.get(kind=kind)
    assert (ev.actor, ev.team, ev.detail["reason"]) == (dana, team_a, "Team A needed at a P1")
    # The team's release is audited by the one writer of team state, with the call that caused it.
    assert AuditEntry.objects.filter(
        action="responders.team.status_changed", object_id=str(team_a.pk), detail__after="available"
    ).exists()
    # Routing ran: the call is offered to Team B, not back to the team the desk just took off it.
    assert call.status == "awaiting_team" and call.team is None
    assert active(call).team == team_b


def test_withdrawn_team_sits_out_the_cooldown_even_with_nobody_else(call_at, routed, dana, team_a, team_b):
    Team.objects.filter(pk=team_b.pk).update(status="out_of_service")
    call = call_at("assigned")
    routed(services.assignment_withdraw, assignment=active(call), by=dana, reason="Radio: vehicle broke down")
    call.refresh_from_db()
    assert active(call) is None
    assert services.call_summary(call)["waiting_reason"].startswith(
        "No eligible team free: 1 withdrawn by dispatch (cool-down until "
    )


def test_a_team_on_scene_cannot_be_pulled_back(call_at, dana, team_a):
    call = call_at("on_scene")
    assignment = active(call)
    with pytest.raises(Conflict, match="on scene"):
        services.assignment_withdraw(assignment=assignment, by=dana, reason="changed my mind")
    assignment.refresh_from_db()
    call.refresh_from_db()
    assert (assignment.status, call.status, call.team) == ("accepted", "on_scene", team_a)


def test_withdraw_needs_a_reason(call_at, dana):
    call = call_at("assigned")
    with pytest.raises(InvalidInput):
        services.assignment_withdraw(assignment=active(call), by=dana, reason="  ")
    assert active(call) is not None


def test_a_responder_cannot_withdraw(call_at, rita):
    call = call_at("assigned")
    with pytest.raises(PermissionDenied):
        services.assignment_withdraw(assignment=active(call), by=rita, reason="we'd rather not")
    assert active(call) is not None


def test_losing_the_race_to_the_team_is_a_conflict(call_at, routed, dana, rita):
    call = call_at("awaiting_team")
    offer = active(call)
    routed(services.assignment_decline, assignment=offer, by=rita, reason="Can't")  # the phone was faster
    with pytest.raises(Conflict, match="already declined"):
        services.assignment_withdraw(assignment=offer, by=dana, reason="too slow")


def test_after_a_pull_back_the_call_can_be_resolved_by_phone(call_at, routed, dana, team_a, team_b):
    call = call_at("en_route")
    routed(services.assignment_withdraw, assignment=active(call), by=dana, reason="Caller calmer, will talk")
    offer_to_b = active(call)
    assert offer_to_b.team == team_b  # routing already offered it on
    # Resolving by phone withdraws that unanswered offer too: no second "withdraw" needed.
    routed(services.call_resolve_by_phone, call=call, by=dana, note="Safety plan agreed")
    call.refresh_from_db()
    offer_to_b.refresh_from_db()
    team_b.refresh_from_db()
    assert (call.status, call.disposition) == ("closed", "resolved_by_phone")  # resolving closes the call
    assert (offer_to_b.status, team_b.status) == ("withdrawn", "available")
    assert call.events.filter(kind="call.offer_withdrawn", team=team_b, detail__reason="Resolved by phone").exists()


def test_re_triage_with_an_offer_out_withdraws_it_without_blaming_the_team(call_at, routed, dana, team_a):
    call = call_at("awaiting_team")
    first = active(call)
    routed(services.call_triage, call=call, screen={"intoxication": True}, by=dana)
    first.refresh_from_db()
    assert first.status == "withdrawn"  # not "recalled": no cool-down for Team A
    assert active(call).team == team_a  # still the best team for the new screen
    assert call.events.filter(kind="call.offer_withdrawn", detail__reason="Re-triaged").count() == 1


def test_an_assigned_call_must_be_pulled_back_before_it_is_resolved_by_phone(call_at, dana):
    from crisis.errors import InvalidTransition

    call = call_at("assigned")
    with pytest.raises(InvalidTransition, match="pull it back first"):
        services.call_resolve_by_phone(call=call, by=dana)


# --- the API -------------------------------------------------------------------------------------------
def test_api_withdraw(client, call_at, dana):
    call = call_at("assigned")
    assignment = active(call)
    client.force_login(dana)
    url = f"/api/assignments/{assignment.pk}/withdraw/"
    assert client.post(url, {}, content_type="application/json").status_code == 400
    res = client.post(url, {"reason": "Needed elsewhere"}, content_type="application/json")
    assert res.status_code == 200, res.content
    assert res.json()["status"] == "recalled"
    # Again: the assignment is gone already, a lost race is a 409 and changes nothing.
    again = client.post(url, {"reason": "twice"}, content_type="application/json")
    assert again.status_code == 409
    assert "already withdrawn by dispatch" in again.json()["detail"].lower()


def test_api_withdraw_refuses_a_responder(client, call_at, rita):
    call = call_at("assigned")
    client.force_login(rita)
    res = client.post(f"/api/assignments/{active(call).pk}/withdraw/", {"reason": "x"}, content_type="application/json")
    assert res.status_code == 403
    assert active(call).status == "accepted"


def test_api_withdraw_on_scene_is_a_409(client, call_at, dana):
    call = call_at("on_scene")
    client.force_login(dana)
    res = client.post(f"/api/assignments/{active(call).pk}/withdraw/", {"reason": "x"}, content_type="application/json")
    assert res.status_code == 409
