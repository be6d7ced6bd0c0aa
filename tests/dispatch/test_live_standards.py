"""Standards clocks on the live boards (dispatch.services.live_clocks, calls_warn_standards)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch import services, timeline
from dispatch.models import Call, CallEvent


@pytest.mark.django_db
def test_a_call_on_the_board_is_answered_so_its_answer_clock_has_stopped(new_call):
    # A call exists only once someone picked up: the board runs no answer clock, the figure counts it.
    call = new_call(rang_at=timezone.now() - timedelta(seconds=9), answered_at=timezone.now())
    assert services.call_summary(call)["standards"] == []


@pytest.mark.django_db
def test_waiting_field_call_runs_dispatch_and_arrival_clocks_not_follow_up(new_call, dana):
    call = new_call()
    services.call_triage(call=call, screen={}, by=dana)
    call.refresh_from_db()
    keys = {c["key"] for c in services.call_summary(call)["standards"]}
    assert keys == {"dispatch", "arrival"}


@pytest.mark.django_db
def test_closed_call_has_no_live_clocks(new_call, dana):
    call = new_call()
    services.call_triage(call=call, screen={"phone_engaged": True}, by=dana)
    services.call_resolve_by_phone(call=call, by=dana)
    call.refresh_from_db()
    assert services.call_summary(call)["standards"] == []


@pytest.mark.django_db
def test_every_published_change_bumps_the_call_version(new_call, dana):
    call = new_call()
    v1 = Call.objects.get(pk=call.pk).version
    services.call_triage(call=call, screen={}, by=dana)
    v2 = Call.objects.get(pk=call.pk).version
    assert v1 >= 1 and v2 == v1 + 2  # triaged, then awaiting_team


@pytest.mark.django_db
def test_sweep_warns_once_when_a_call_nears_its_dispatch_target(new_call, dana):
    call = new_call()
    services.call_triage(call=call, screen={}, by=dana)  # awaiting a team; no team exists
    assert services.calls_warn_standards() == 0
    Call.objects.filter(pk=call.pk).update(triaged_at=timezone.now() - timedelta(seconds=50))
    assert services.calls_warn_standards() == 1
    ev = CallEvent.objects.get(call=call, kind="call.standard_warning")
    assert (ev.detail["standard"], ev.detail["state"]) == ("dispatch", "near")
    assert services.calls_warn_standards() == 0  # once per call and standard


@pytest.mark.django_db
def test_sweep_warns_of_a_breached_arrival_and_includes_it_in_its_summary(new_call, dana):
    call = new_call()
    services.call_triage(call=call, screen={}, by=dana)
    Call.objects.filter(pk=call.pk).update(
        received_at=timezone.now() - timedelta(minutes=70), triaged_at=timezone.now() - timedelta(seconds=5)
    )
    result = services.calls_sweep()
    assert result["warned"] == 1
    ev = CallEvent.objects.get(call=call, kind="call.standard_warning")
    assert (ev.detail["standard"], ev.detail["state"]) == ("arrival", "breached")


@pytest.mark.django_db
def test_withdrawn_team_starts_a_new_wait_with_its_own_flag(new_call, dana, team_a, team_b):
    call = new_call()
    services.call_triage(call=call, screen={}, by=dana)
    services.call_assign(call=call, team=team_a, by=dana, reason="radio")
    Call.objects.filter(pk=call.pk).update(
        unrouted_flagged_at=timezone.now() - timedelta(minutes=9), awaiting_since=timezone.now() - timedelta(minutes=10)
    )
    from django.db import transaction

    from dispatch.models import Status

    with transaction.atomic():
        locked = timeline.lock_call(call.pk)
        timeline.transition(locked, Status.AWAITING_TEAM, by=dana, kind="call.reassigning")
    call.refresh_from_db()
    assert call.unrouted_flagged_at is None
    assert (timezone.now() - call.awaiting_since).total_seconds() < 60
