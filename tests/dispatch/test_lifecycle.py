"""The call state machine (dispatch/models.py TRANSITIONS, enforced by dispatch/services.py)."""

import itertools

import pytest
from django.db import transaction

from crisis.errors import InvalidInput, InvalidTransition
from dispatch import services, timeline
from dispatch.models import TRANSITIONS, Call, CallEvent, Status

ILLEGAL = [(a, b) for a, b in itertools.product(Status.values, Status.values) if b not in TRANSITIONS[a]]
# Sorted: TRANSITIONS holds sets, and each pytest-xdist worker must collect the same tests in the same order.
LEGAL = [(a, b) for a in Status.values for b in sorted(TRANSITIONS[a])]


@pytest.mark.django_db
@pytest.mark.parametrize("from_status, to_status", ILLEGAL)
def test_every_illegal_transition_is_refused(new_call, dana, from_status, to_status):
    call = new_call()
    Call.objects.filter(pk=call.pk).update(status=from_status)
    events_before = CallEvent.objects.filter(call=call).count()
    with pytest.raises(InvalidTransition), transaction.atomic():
        locked = timeline.lock_call(call)
        timeline.transition(locked, to_status, by=dana, kind="test")
    call.refresh_from_db()
    assert call.status == from_status
    assert CallEvent.objects.filter(call=call).count() == events_before


@pytest.mark.django_db
@pytest.mark.parametrize("from_status, to_status", LEGAL)
def test_every_legal_transition_writes_a_timeline_event(new_call, dana, from_status, to_status):
    call = new_call()
    Call.objects.filter(pk=call.pk).update(status=from_status)
    with transaction.atomic():
        locked = timeline.lock_call(call)
        timeline.transition(locked, to_status, by=dana, kind="test.move")
    ev = CallEvent.objects.filter(call=call, kind="test.move").get()
    assert (ev.from_status, ev.to_status, ev.actor) == (from_status, to_status, dana)


@pytest.mark.django_db
def test_terminal_states_have_no_way_out():
    assert TRANSITIONS[Status.CLOSED] == frozenset()
    assert TRANSITIONS[Status.CANCELLED] == frozenset()


@pytest.mark.django_db
def test_phone_call_journey(new_call, dana):
    call = new_call()
    services.call_triage(call=call, screen={"phone_engaged": True}, by=dana)
    call.refresh_from_db()
    assert (call.status, call.tier, call.priority) == ("triaged", "phone", 4)
    services.call_resolve_by_phone(call=call, by=dana, note="Safety plan made")
    call.refresh_from_db()
    # Resolving by phone closes the call in the same step: it leaves the board and the open list.
    assert call.status == "closed" and call.closed_at is not None and call.disposition == "resolved_by_phone"
    assert not Call.objects.open().filter(pk=call.pk).exists()
    kinds = list(call.events.values_list("kind", flat=True))
    assert kinds == ["call.created", "call.triaged", "call.resolved_by_phone", "call.closed"]


@pytest.mark.django_db
def test_resolving_by_phone_writes_when_on_the_call_and_its_timeline_at_the_same_instant(new_call, dana):
    """The reports read Call.resolved_by_phone_at (reports/phone_then_field.py); its one writer stamps it with the
    timeline row's own time, so the column and the timeline never disagree."""
    call = new_call()
    services.call_triage(call=call, screen={"phone_engaged": True}, by=dana)
    call.refresh_from_db()
    assert call.resolved_by_phone_at is None
    services.call_resolve_by_phone(call=call, by=dana, note="Safety plan made")
    call.refresh_from_db()
    event = call.events.get(kind="call.resolved_by_phone")
    assert call.resolved_by_phone_at is not None
    assert call.resolved_by_phone_at == event.at <= call.closed_at


@pytest.mark.django_db
def test_a_call_closed_otherwise_has_no_phone_resolution_time(new_call, dana):
    call = new_call()
    services.call_triage(call=call, screen={"phone_engaged": True}, by=dana)
    services.call_close(call=call, disposition="referred", by=dana)
    call.refresh_from_db()
    assert call.status == "closed" and call.resolved_by_phone_at is None


@pytest.mark.django_db
def test_field_tier_goes_to_awaiting_team(new_call, dana):
    call = new_call()
    services.call_triage(call=call, screen={}, by=dana)
    call.refresh_from_db()
    assert call.status == "awaiting_team" and call.awaiting_since is not None


@pytest.mark.django_db
def test_close_requires_a_disposition(new_call, dana):
    call = new_call()
    services.call_triage(call=call, screen={"phone_engaged": True}, by=dana)
    with pytest.raises(InvalidInput):
        services.call_close(call=call, disposition="", by=dana)
    call.refresh_from_db()
    assert call.status == "triaged"


@pytest.mark.django_db
def test_untriaged_call_cannot_be_closed(new_call, dana):
    call = new_call()
    with pytest.raises(InvalidTransition):
        services.call_close(call=call, disposition="referred", by=dana)


@pytest.mark.django_db
def test_override_needs_a_reason_and_is_recorded(new_call, dana):
    call = new_call()
    with pytest.raises(InvalidInput):
        services.call_triage(call=call, screen={"weapons": True}, by=dana, tier_override="community")
    assert not call.triages.exists()
    result = services.call_triage(
        call=call,
        screen={"weapons": True},
        by=dana,
        tier_override="community",
        override_reason="Weapon secured by family, officer confirmed",
    )
    assert (result.computed_tier, result.tier, result.overridden) == ("co_response", "community", True)
    ev = call.events.get(kind="call.triaged")
    assert ev.detail["computed_tier"] == "co_response"
    assert ev.detail["override_reason"].startswith("Weapon secured")


@pytest.mark.django_db
def test_cancel_needs_reason(new_call, dana):
    call = new_call()
    with pytest.raises(InvalidInput):
        services.call_cancel(call=call, by=dana, reason="  ")
    services.call_cancel(call=call, by=dana, reason="Duplicate of #12")
    call.refresh_from_db()
    assert call.status == "cancelled"
