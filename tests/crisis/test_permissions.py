"""The one permission source (crisis/permissions.py): a table of personas × rules, and the deactivated-member bug.

Before the renovation, "may this user act for this team" was written four
times; a responder whose membership was deactivated was refused SOS (403)
but could still accept an offer and move the team's position (200).
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from crisis import permissions
from dispatch import services
from dispatch.models import Assignment, AssignmentStatus, Status
from responders.models import TeamMember

pytestmark = pytest.mark.django_db

PERSONAS = ["dana", "cam", "sue", "oli", "ada", "rita", "bo", "nora"]

# persona -> may act for team A (status, location), may answer team A's offers, may raise SOS for team A
TEAM_A_TABLE = {
    "dana": (True, True, False),
    "cam": (False, False, False),
    "sue": (True, True, False),
    "oli": (False, False, False),
    "ada": (True, True, False),
    "rita": (True, True, True),
    "bo": (False, False, False),
    "nora": (False, False, False),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_team_rules_table(request, team_a, team_b, persona):
    user = request.getfixturevalue(persona)
    got = (
        permissions.may_act_for_team.test(user, team_a),
        permissions.may_answer_offer.test(user, team_a),
        permissions.may_raise_sos.test(user, team_a),
    )
    assert got == TEAM_A_TABLE[persona]
    # The same answers through Django's permission API (templates, DRF): one source.
    assert user.has_perm("responders.act_for_team", team_a) == got[0]
    assert user.has_perm("responders.raise_sos_for_team", team_a) == got[2]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda u: TeamMember.objects.filter(user=u).update(active=False), id="membership deactivated"),
        pytest.param(lambda u: type(u).objects.filter(pk=u.pk).update(is_active=False), id="user deactivated"),
        pytest.param(lambda u: TeamMember.objects.filter(user=u).delete(), id="removed from team"),
    ],
)
def test_a_responder_who_lost_access_is_refused_everything_for_the_team(client, rita, team_a, new_call, dana, change):
    call = new_call()
    services.call_triage(call=call, screen={}, by=dana)
    offer = Assignment.objects.get(call=call, status=AssignmentStatus.OFFERED) if call.assignments.exists() else None
    if offer is None:
        offer = services.assignment_offer(call=type(call).objects.get(pk=call.pk), team=team_a)
    client.force_login(rita)
    change(rita)
    refused = [
        client.post(f"/api/assignments/{offer.pk}/accept/", content_type="application/json"),
        client.post(f"/api/assignments/{offer.pk}/decline/", {"reason": "x"}, content_type="application/json"),
        client.post(f"/api/teams/{team_a.pk}/status/", {"status": "out_of_service"}, content_type="application/json"),
        client.post(
            f"/api/teams/{team_a.pk}/location/", {"latitude": 41.9, "longitude": -87.6}, content_type="application/json"
        ),
        client.post(f"/api/teams/{team_a.pk}/sos/", {}, content_type="application/json"),
    ]
    # A deactivated user's session no longer authenticates at all (401/403); a removed member is refused (403).
    assert [r.status_code in (401, 403) for r in refused] == [True] * len(refused), [r.status_code for r in refused]
    offer.refresh_from_db()
    assert offer.status == AssignmentStatus.OFFERED


def test_services_refuse_a_deactivated_member_even_without_the_api(rita, team_a, new_call, dana):
    call = new_call()
    services.call_triage(call=call, screen={}, by=dana)
    offer = Assignment.objects.filter(call=call).first() or services.assignment_offer(
        call=type(call).objects.get(pk=call.pk), team=team_a
    )
    TeamMember.objects.filter(user=rita).update(active=False)
    rita = type(rita).objects.get(pk=rita.pk)
    with pytest.raises(PermissionDenied):
        services.assignment_accept(assignment=offer, by=rita)
    with pytest.raises(PermissionDenied):
        services.team_report_location(team=team_a, latitude=41.9, longitude=-87.6, by=rita)
    with pytest.raises(PermissionDenied):
        services.team_set_status(team=team_a, status="out_of_service", by=rita)


def test_another_teams_call_state_does_not_leak_through_a_conflict(client, bo, rita, team_a, team_b, new_call, dana):
    call = new_call()
    services.call_triage(call=call, screen={}, by=dana)
    services.call_assign(call=call, team=team_a, by=dana, reason="radio")
    client.force_login(bo)
    for url, body in [
        (f"/api/calls/{call.pk}/advance/", {"status": "on_scene", "expected_status": "en_route"}),
        (f"/api/calls/{call.pk}/clear/", {"disposition": "stabilized", "expected_status": "on_scene"}),
    ]:
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 403, response.content
        assert "the call is now" not in response.content.decode()
    call.refresh_from_db()
    assert call.status == Status.ASSIGNED


@pytest.mark.parametrize(
    ("persona", "groups"),
    [
        ("dana", ["dispatch.central", "user"]),
        ("sue", ["supervisors", "user"]),
        ("rita", ["team", "user"]),
        ("oli", None),
        ("nora", None),
    ],
)
def test_stream_groups_by_role(request, team_a, persona, groups):
    user = request.getfixturevalue(persona)
    got = permissions.stream_groups_for(user)
    if groups is None:
        assert got is None
    else:
        assert [g.split(".")[0] if g.startswith(("user.", "team.")) else g for g in got] == groups


def test_a_deactivated_member_joins_no_stream(rita):
    TeamMember.objects.filter(user=rita).update(active=False)
    rita = type(rita).objects.get(pk=rita.pk)
    assert permissions.stream_groups_for(rita) is None


def test_an_officer_cannot_tie_a_request_to_a_person_nor_learn_which_ids_exist(client, oli, dana, person):
    """Officers describe the person; which records exist is not theirs to learn, not even from an error."""
    from dispatch.models import Call

    client.force_login(oli)
    body = {
        "source": "law_enforcement",
        "address": "1 State St",
        "call_type": "mental_health",
        "nature": "officer",
        "person_description": "man, 40s, pacing",
    }
    answers = []
    for person_id in (person.pk, person.pk + 10_000):
        response = client.post("/api/calls/", body | {"person_id": person_id}, content_type="application/json")
        assert response.status_code == 403, response.content
        answers.append(response.json())
    assert answers[0] == answers[1]  # the same words whether or not the record exists
    assert not Call.objects.exists()
    # Without the link, the officer's request goes in; the call desk still ties its calls to the person.
    created = client.post("/api/calls/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    with pytest.raises(PermissionDenied):
        services.call_create(
            by=oli, person=person, source="law_enforcement", address="1 State St", call_type="mental_health", nature="x"
        )
    assert (
        services.call_create(
            by=dana, person=person, source="911", address="1 State St", call_type="mental_health", nature="y"
        ).person_id
        == person.pk
    )
