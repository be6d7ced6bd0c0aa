"""dispatch/interpreter.py and the language at intake: a call in a language no free team speaks goes, with an
interpreter line, to the best otherwise-eligible team instead of waiting; a known person's language carries."""

from __future__ import annotations

import pytest

from crisis.errors import InvalidInput
from crisis.models import Person
from dispatch import rows, services
from dispatch import team_state as team_services
from dispatch.models import Assignment, Call, CallEvent
from responders.models import Team
from tests.support.strands import assert_no_call_strands

pytestmark = pytest.mark.django_db


@pytest.fixture
def routed(django_capture_on_commit_callbacks):
    def _run(fn, /, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return _run


def offer_of(call) -> Assignment | None:
    return Assignment.objects.filter(call=call, status__in=("offered", "accepted")).select_related("team").first()


def test_a_team_that_speaks_the_language_gets_the_call_without_an_interpreter_line(
    new_call, dana, routed, team_a, team_b
):
    call = new_call(language="es")
    routed(services.call_triage, call=call, screen={}, by=dana)
    call.refresh_from_db()
    assert offer_of(call).team == team_a and call.interpreter_line == ""
    assert not CallEvent.objects.filter(call=call, kind="call.interpreter_line").exists()


def test_a_speaker_far_away_is_preferred_to_a_closer_team_without_the_language(new_call, dana, routed, team_a, team_b):
    Team.objects.filter(pk=team_a.pk).update(latitude=team_a.latitude + 0.2)  # team B is now much closer
    call = new_call(language="es")
    routed(services.call_triage, call=call, screen={}, by=dana)
    assert offer_of(call).team == team_a


def test_no_free_speaker_sends_the_call_with_an_interpreter_line_instead_of_stranding(
    new_call, dana, routed, team_a, team_b
):
    routed(team_services.team_set_status, team=team_a, status="out_of_service", by=dana)  # the Spanish speaker
    call = new_call(language="es")
    routed(services.call_triage, call=call, screen={}, by=dana)
    call.refresh_from_db()
    assert offer_of(call).team == team_b
    assert call.interpreter_line == "es"
    assert "Interpreter line: no free team speaks Spanish" in call.routing_explanation["chosen"]["notes"]
    event = CallEvent.objects.get(call=call, kind="call.interpreter_line")
    assert event.team == team_b and event.detail["language"] == "es" and "Spanish" in event.detail["text"]
    assert rows.call_summary(call)["interpreter_line"] == "Spanish"
    assert_no_call_strands()


def test_the_interpreter_line_waives_only_the_language(new_call, dana, routed, team_a, team_b):
    routed(team_services.team_set_status, team=team_a, status="out_of_service", by=dana)
    call = new_call(language="es")
    # A minor needs a youth specialist: team B has none, so even with an interpreter line it is not eligible.
    routed(services.call_triage, call=call, screen={"person_is_minor": True}, by=dana)
    call.refresh_from_db()
    assert offer_of(call) is None and call.interpreter_line == ""


def test_a_language_nobody_speaks_goes_to_the_nearest_team(new_call, dana, routed, team_a, team_b):
    call = new_call(language="vi")
    routed(services.call_triage, call=call, screen={}, by=dana)
    call.refresh_from_db()
    assert offer_of(call).team == team_a and call.interpreter_line == "vi"


def test_an_offer_to_a_speaker_afterwards_clears_the_line(new_call, dana, routed, team_a, team_b):
    routed(team_services.team_set_status, team=team_a, status="out_of_service", by=dana)
    call = new_call(language="es")
    routed(services.call_triage, call=call, screen={}, by=dana)
    routed(services.assignment_decline, assignment=offer_of(call), by=None, reason="Too far away")
    routed(team_services.team_set_status, team=team_a, status="available", by=dana)
    call.refresh_from_db()
    assert offer_of(call).team == team_a and call.interpreter_line == ""
    assert rows.call_summary(call)["interpreter_line"] is None


@pytest.mark.parametrize("how", ["withdrawn", "declined"])
def test_the_line_goes_with_the_team_that_needed_it(new_call, dana, bo, routed, team_a, team_b, how):
    """Withdrawn (or declined) and not yet offered again, the call has no team: no note saying a line is arranged."""
    routed(team_services.team_set_status, team=team_a, status="out_of_service", by=dana)
    call = new_call(language="es")
    routed(services.call_triage, call=call, screen={}, by=dana)
    offer = offer_of(call)
    # Not run through `routed`: the re-routing the ending enqueues stays unrun, so the call is between offers.
    if how == "withdrawn":
        services.assignment_withdraw(assignment=offer, by=dana, reason="Wrong team")
    else:
        services.assignment_decline(assignment=offer, by=bo, reason="Too far away")
    call.refresh_from_db()
    assert offer_of(call) is None and call.interpreter_line == ""
    assert rows.call_summary(call)["interpreter_line"] is None
    # The timeline still says the line was needed, and when.
    assert CallEvent.objects.filter(call=call, kind="call.interpreter_line", team=team_b).exists()


def test_a_manual_assignment_to_a_team_without_the_language_keeps_the_line(new_call, dana, routed, team_a, team_b):
    call = new_call(language="es")
    routed(services.call_triage, call=call, screen={"phone_engaged": True}, by=dana)  # phone tier: not routed
    services.call_assign(call=call, team=team_b, by=dana, reason="Closest by radio", confirm_gaps=True)
    call.refresh_from_db()
    assert call.team == team_b and call.interpreter_line == "es"


def test_a_known_persons_language_carries_to_the_call(dana):
    rosa = Person.objects.create(first_name="Rosa", last_name="Alvarez", preferred_language="es")
    call = services.call_create(by=dana, person=rosa, source="911", address="1 Main St", call_type="other", nature="x")
    assert call.language == "es"
    said = services.call_create(
        by=dana, person=rosa, source="911", address="1 Main St", call_type="other", nature="x", language="en"
    )
    assert said.language == "en"  # what the dispatcher chose wins
    unknown = services.call_create(
        by=dana, source="911", address="1 Main St", call_type="other", nature="x", person_description="a man"
    )
    assert unknown.language == "en"


def test_an_unknown_language_code_is_refused_and_nothing_saved(dana):
    with pytest.raises(InvalidInput) as err:
        services.call_create(
            by=dana, source="911", address="1 Main St", call_type="other", nature="x", person_description="a man",
            language="xx",
        )  # fmt: skip
    assert err.value.field == "language" and "Unknown language code 'xx'" in err.value.message
    assert not Call.objects.exists()
