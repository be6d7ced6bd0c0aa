"""dispatch/calls.py: gaps that deleting single lines exposed."""

from __future__ import annotations

import pytest

from crisis.errors import InvalidInput, InvalidTransition
from crisis.models import AuditEntry, Person
from dispatch import selectors, services
from dispatch.models import Assignment, AssignmentStatus, Status
from responders.models import TeamMember, TeamStatus

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


# --- the wider risk screen (call_triage) -------------------------------------------------------------------


def test_open_questions_keep_not_asked_apart_from_no(new_call, dana):
    call = new_call()
    result = services.call_triage(
        call=call, screen={"psychosis": False, "imminent_danger": None, "age": 34, "caller_relation": "family"}, by=dana
    )
    result.refresh_from_db()
    assert (result.psychosis, result.imminent_danger, result.lethal_means) == (False, None, None)
    assert (result.age, result.caller_relation, result.person_is_minor) == (34, "family", False)


def test_an_age_under_18_records_a_minor_and_needs_youth_training(new_call, dana):
    call = new_call()
    result = services.call_triage(call=call, screen={"age": 16}, by=dana)
    assert result.person_is_minor and "minor" in result.rules_fired
    assert "youth" in selectors.call_needs(call, result)[0]


@pytest.mark.parametrize(("age", "relation"), [(-1, ""), (130, ""), ("16", ""), (30, "neighbour")])
def test_a_bad_age_or_caller_is_refused_and_nothing_saved(new_call, dana, age, relation):
    call = new_call()
    with pytest.raises(InvalidInput):
        services.call_triage(call=call, screen={"age": age, "caller_relation": relation}, by=dana)
    call.refresh_from_db()
    assert call.status == Status.RECEIVED and not call.triages.exists()


def test_the_persons_history_informs_triage_visibly(new_call, dana):
    marcus = Person.objects.create(first_name="Marcus", last_name="Hill", known_weapons_access=True)
    call = new_call(person=marcus)
    result = services.call_triage(call=call, screen={"si_thoughts": True, "phone_engaged": True}, by=dana)
    # Suicidal thoughts alone would be low risk by phone; the known access to weapons makes it high, and says why.
    assert (result.priority, result.tier) == (1, "community")
    assert {"history_weapons", "suicide_with_means"} <= set(result.rules_fired)
    assert result.from_history == ["hx_weapons_access"]


def test_without_a_person_history_adds_nothing(new_call, dana):
    result = services.call_triage(call=new_call(), screen={"si_thoughts": True, "phone_engaged": True}, by=dana)
    assert (result.priority, result.tier) == (3, "phone") and result.from_history == []


@pytest.mark.parametrize(
    ("screen", "need"),
    [({"psychosis": True}, "licensed_clinician"), ({"self_harm": True}, "licensed_clinician"),
     ({"medical_need": True}, "medical")],
)  # fmt: skip
def test_the_wider_screen_states_what_the_team_needs(new_call, dana, screen, need):
    call = new_call()
    result = services.call_triage(call=call, screen=screen, by=dana)
    assert need in selectors.call_needs(call, result)[0]


# --- needs stated by the dispatcher (call_set_needs) ---------------------------------------------------------


def test_stated_needs_replace_the_inferred_ones_for_routing(new_call, dana):
    call = new_call(call_type="suicidal", language="es")
    screen = services.call_triage(call=call, screen={"phone_engaged": True}, by=dana)
    assert selectors.call_needs(call, screen)[0] == {"licensed_clinician", "lang:es"}
    services.call_set_needs(call=call, needs=["lang:es", "female_responder", "youth"], by=dana)
    call.refresh_from_db()
    assert (call.needs_added, call.needs_removed) == (["female_responder", "youth"], ["licensed_clinician"])
    assert selectors.call_needs(call, screen)[0] == {"lang:es", "female_responder", "youth"}
    event = call.events.get(kind="call.needs_changed")
    assert event.detail["needs"] == ["female_responder", "lang:es", "youth"] and event.actor == dana
    # The same needs again change nothing and write nothing.
    services.call_set_needs(call=call, needs=["youth", "lang:es", "female_responder"], by=dana)
    assert call.events.filter(kind="call.needs_changed").count() == 1


def test_a_retriage_still_adds_what_the_new_screen_implies(new_call, dana):
    call = new_call()
    services.call_triage(call=call, screen={"phone_engaged": True}, by=dana)
    services.call_set_needs(call=call, needs=["female_responder"], by=dana)
    screen = services.call_triage(call=call, screen={"medical_need": True, "phone_engaged": True}, by=dana)
    call.refresh_from_db()
    assert selectors.call_needs(call, screen)[0] == {"female_responder", "medical"}


@pytest.mark.parametrize("needs", [["flying"], ["lang:fr"], ["lang:xx"]])
def test_an_unknown_need_is_refused(new_call, dana, needs):
    call = new_call(language="es")
    with pytest.raises(InvalidInput):
        services.call_set_needs(call=call, needs=needs, by=dana)
    call.refresh_from_db()
    assert call.needs_added == [] and not call.events.filter(kind="call.needs_changed").exists()


def test_changing_needs_on_a_waiting_call_routes_it_again(
    new_call, dana, team_a, team_b, django_capture_on_commit_callbacks
):
    call = new_call()
    with django_capture_on_commit_callbacks(execute=True):
        services.call_triage(call=call, screen={}, by=dana)
    assert Assignment.objects.get(call=call, status=AssignmentStatus.OFFERED).team == team_a
    # Team B's clinician is now said to be the female responder the caller asked for; team A has none.
    TeamMember.objects.filter(team=team_b, user__username="bo").update(specialties=["female_responder"])
    with django_capture_on_commit_callbacks(execute=True):
        services.call_set_needs(call=call, needs=["female_responder"], by=dana)
    assert Assignment.objects.get(call=call, status=AssignmentStatus.OFFERED).team == team_b
    assert Assignment.objects.get(call=call, team=team_a).status == AssignmentStatus.WITHDRAWN


def test_needs_of_a_call_a_team_has_accepted_are_kept(new_call, dana, rita, team_a):
    call, offer = _offered(new_call, dana, team_a)
    services.assignment_accept(assignment=offer, by=rita)
    with pytest.raises(InvalidTransition):
        services.call_set_needs(call=call, needs=["youth"], by=dana)


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
