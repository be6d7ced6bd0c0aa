"""Routing over the API: teams board, team status, offers, manual assignment, explanation."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.db import IntegrityError
from django.utils import timezone
from rest_framework.test import APIClient

from dispatch import services
from dispatch.models import Assignment, CallEvent
from responders.models import Team
from tests.conftest import make_team

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def offered_call(new_call, dana, django_capture_on_commit_callbacks, team_a, team_b):
    call = new_call()
    with django_capture_on_commit_callbacks(execute=True):
        services.call_triage(call=call, screen={}, by=dana)
    call.refresh_from_db()
    return call


def offer_of(call) -> Assignment:
    return Assignment.objects.get(call=call, status="offered")


# --- GET /api/teams/ ---------------------------------------------------------------
def test_team_list_shows_status_location_program_skills_and_current_assignment(dana, offered_call, team_a, team_b):
    resp = client_for(dana).get("/api/teams/")
    assert resp.status_code == 200
    rows = {row["name"]: row for row in resp.json()}
    a = rows["Team A"]
    assert a["status"] == "offered"
    assert (a["latitude"], a["longitude"]) == (team_a.latitude, team_a.longitude)
    assert a["location_reported_at"] and a["location_stale"] is False
    assert a["program"] == "Mobile Crisis"
    assert a["skills"] == {
        "credentials": ["licensed_clinician", "peer_specialist"],
        "languages": ["en", "es"],
        "specialties": ["youth"],
    }
    assert a["current_assignment"]["call"] == offered_call.pk
    assert a["current_assignment"]["status"] == "offered"
    assert rows["Team B"]["current_assignment"] is None


def test_team_list_query_count_does_not_grow_with_teams(dana, mobile_crisis, django_assert_max_num_queries):
    client = client_for(dana)
    for n in range(3):
        make_team(f"T{n}", mobile_crisis, members=[(f"u{n}a", "nurse", ["en"], []), (f"u{n}b", "emt", [], [])])
    with django_assert_max_num_queries(6) as few:
        assert len(client.get("/api/teams/").json()) == 3
    for n in range(3, 15):
        make_team(f"T{n}", mobile_crisis, members=[(f"u{n}a", "nurse", ["en"], []), (f"u{n}b", "emt", [], [])])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/teams/").json()) == 15


@pytest.mark.parametrize("persona", ["rita", "nora", "oli"])
def test_team_list_is_for_the_dispatch_desk(request, persona):
    user = request.getfixturevalue(persona)
    assert client_for(user).get("/api/teams/").status_code == 403


# --- POST /api/teams/{id}/status/ -----------------------------------------------------
def test_responder_sets_own_team_status_with_location(rita, team_a):
    resp = client_for(rita).post(
        f"/api/teams/{team_a.pk}/status/",
        {"status": "out_of_service", "latitude": 41.9, "longitude": -87.7},
        format="json",
    )
    assert resp.status_code == 200, resp.json()
    team_a.refresh_from_db()
    assert (team_a.status, team_a.latitude, team_a.longitude) == ("out_of_service", 41.9, -87.7)
    assert resp.json()["status"] == "out_of_service"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"status": "napping"}, "status"),
        ({}, "status"),
        ({"status": "off_shift", "latitude": 91, "longitude": 0}, "latitude"),
        ({"status": "off_shift", "latitude": 10, "longitude": -181}, "longitude"),
        ({"status": "off_shift", "latitude": 10}, "longitude"),
        ({"status": "off_shift", "latitude": "north", "longitude": 1}, "latitude"),
    ],
)
def test_bad_team_status_input_is_400_and_changes_nothing(rita, team_a, body, field):
    resp = client_for(rita).post(f"/api/teams/{team_a.pk}/status/", body, format="json")
    assert resp.status_code == 400
    assert field in resp.json()
    team_a.refresh_from_db()
    assert team_a.status == "available"


def test_illegal_team_transition_is_409(rita, offered_call, team_a):
    resp = client_for(rita).post(f"/api/teams/{team_a.pk}/status/", {"status": "off_shift"}, format="json")
    assert resp.status_code == 409
    assert "detail" in resp.json()
    team_a.refresh_from_db()
    assert team_a.status == "offered"


def test_responder_cannot_set_another_teams_status(rita, team_b):
    resp = client_for(rita).post(f"/api/teams/{team_b.pk}/status/", {"status": "off_shift"}, format="json")
    assert resp.status_code == 403
    team_b.refresh_from_db()
    assert team_b.status == "available"


def test_dispatcher_may_set_any_teams_status(dana, team_b):
    resp = client_for(dana).post(f"/api/teams/{team_b.pk}/status/", {"status": "off_shift"}, format="json")
    assert resp.status_code == 200


def test_status_of_unknown_team_is_404(dana):
    assert client_for(dana).post("/api/teams/999999/status/", {"status": "off_shift"}, format="json").status_code == 404


# --- accept / decline ----------------------------------------------------------------------
def test_accept_through_the_api(rita, offered_call, team_a):
    offer = offer_of(offered_call)
    resp = client_for(rita).post(f"/api/assignments/{offer.pk}/accept/")
    assert resp.status_code == 200
    assert resp.json()["status"] == "accepted"
    offered_call.refresh_from_db()
    assert (offered_call.status, offered_call.team_id) == ("assigned", team_a.pk)
    # A second tap is refused clearly.
    assert client_for(rita).post(f"/api/assignments/{offer.pk}/accept/").status_code == 409


def test_responder_of_another_team_cannot_accept_or_decline(bo, offered_call):
    offer = offer_of(offered_call)
    client = client_for(bo)
    assert client.post(f"/api/assignments/{offer.pk}/accept/").status_code == 403
    assert client.post(f"/api/assignments/{offer.pk}/decline/", {"reason": "no"}, format="json").status_code == 403
    offer.refresh_from_db()
    assert offer.status == "offered"


def test_accept_after_expiry_is_409_and_lapses(rita, offered_call, django_capture_on_commit_callbacks, team_b):
    offer = offer_of(offered_call)
    Assignment.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        resp = client_for(rita).post(f"/api/assignments/{offer.pk}/accept/")
    assert resp.status_code == 409
    assert "lapsed" in resp.json()["detail"]
    offer.refresh_from_db()
    assert offer.status == "lapsed"
    assert offer_of(offered_call).team == team_b


def test_decline_needs_a_reason(rita, offered_call):
    offer = offer_of(offered_call)
    events = CallEvent.objects.count()
    resp = client_for(rita).post(f"/api/assignments/{offer.pk}/decline/", {}, format="json")
    assert resp.status_code == 400 and "reason" in resp.json()
    resp = client_for(rita).post(f"/api/assignments/{offer.pk}/decline/", {"reason": "   "}, format="json")
    assert resp.status_code == 400
    offer.refresh_from_db()
    assert offer.status == "offered" and CallEvent.objects.count() == events


def test_decline_with_reason_reoffers(rita, offered_call, django_capture_on_commit_callbacks, team_b):
    offer = offer_of(offered_call)
    with django_capture_on_commit_callbacks(execute=True):
        resp = client_for(rita).post(f"/api/assignments/{offer.pk}/decline/", {"reason": "Flat tyre"}, format="json")
    assert resp.status_code == 200 and resp.json()["status"] == "declined"
    assert offer_of(offered_call).team == team_b


def test_dispatcher_role_without_team_membership_cannot_use_responder_endpoints(dana, offered_call):
    # Accept/decline are the team's taps; the desk assigns through /assign/.
    assert client_for(dana).post(f"/api/assignments/{offer_of(offered_call).pk}/accept/").status_code == 403


# --- POST /api/calls/{id}/assign/ --------------------------------------------------------
def test_manual_assign_through_the_api(dana, offered_call, team_b):
    resp = client_for(dana).post(
        f"/api/calls/{offered_call.pk}/assign/", {"team_id": team_b.pk, "reason": "Knows the family"}, format="json"
    )
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert (body["status"], body["team"]) == ("assigned", team_b.pk)


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_manual_assign_without_reason_is_400(dana, offered_call, team_b, body):
    resp = client_for(dana).post(f"/api/calls/{offered_call.pk}/assign/", {"team_id": team_b.pk} | body, format="json")
    assert resp.status_code == 400 and "reason" in resp.json()
    assert offer_of(offered_call).team != team_b


def test_manual_assign_of_unknown_team_is_400(dana, offered_call):
    resp = client_for(dana).post(
        f"/api/calls/{offered_call.pk}/assign/", {"team_id": 999999, "reason": "x"}, format="json"
    )
    assert resp.status_code == 400 and "team_id" in resp.json()


def test_manual_assign_of_busy_team_is_409(dana, offered_call, new_call, team_a, team_b):
    other = new_call(address="3 Pine St")
    services.call_triage(call=other, screen={}, by=dana)
    resp = client_for(dana).post(
        f"/api/calls/{other.pk}/assign/", {"team_id": team_a.pk, "reason": "closest"}, format="json"
    )
    assert resp.status_code == 409
    assert "busy" in resp.json()["detail"]


def test_responder_cannot_assign(rita, offered_call, team_a):
    resp = client_for(rita).post(
        f"/api/calls/{offered_call.pk}/assign/", {"team_id": team_a.pk, "reason": "us"}, format="json"
    )
    assert resp.status_code == 403


def test_database_race_is_409_never_500(dana, offered_call, team_b):
    # Whatever slips past the service's checks, the constraint's IntegrityError
    # reaches the caller as a conflict.
    with mock.patch.object(services, "call_assign", side_effect=IntegrityError("one_active_assignment_per_team")):
        resp = client_for(dana).post(
            f"/api/calls/{offered_call.pk}/assign/", {"team_id": team_b.pk, "reason": "x"}, format="json"
        )
    assert resp.status_code == 409


def test_call_detail_carries_the_routing_explanation(dana, offered_call, team_a, team_b):
    body = client_for(dana).get(f"/api/calls/{offered_call.pk}/").json()
    why = body["routing_explanation"]
    assert why["chosen"]["team"] == "Team A"
    assert [c["team"] for c in why["candidates"]] == ["Team A", "Team B"]
    assert all(c["eta_seconds"] > 0 for c in why["candidates"])
    assert body["assignments"][0]["team_name"] == "Team A"
    assert Team.objects.get(pk=team_a.pk).status == "offered"
