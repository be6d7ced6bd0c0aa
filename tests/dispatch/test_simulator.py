"""dispatch/simulator.py: the demo's simulated shift moves a call from offered to cleared through the services."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch import services, simulator
from dispatch.models import Assignment, Call, CallEvent, Status
from responders.models import TeamStatus

pytestmark = pytest.mark.django_db


def tick(seconds: float = 0, **kw):
    return simulator.simulator_tick(now=timezone.now() + timedelta(seconds=seconds), rng=random.Random(7), **kw)


def test_a_few_ticks_take_an_offered_call_to_cleared(new_call, dana, team_a):
    call = new_call()
    services.call_triage(call=call, screen={"si_thoughts": True}, by=dana)
    call.refresh_from_db()
    if not Assignment.objects.filter(call=call, status="offered").exists():
        services.assignment_offer(call=call, team=team_a)

    assert tick(new_calls=False).accepted == []  # a responder takes a moment to read the offer
    assert tick(simulator.ACCEPT_AFTER + 1, new_calls=False).accepted == [call.pk]
    assert tick(simulator.LEAVE_AFTER + 1, new_calls=False).left == [call.pk]
    start = team_a.latitude
    for _ in range(12):
        report = tick(new_calls=False)
        if report.arrived:
            break
        team_a.refresh_from_db()
        assert team_a.latitude != start  # it drives toward the call
    assert report.arrived == [call.pk]
    team_a.refresh_from_db()
    call.refresh_from_db()
    assert call.status == Status.ON_SCENE and team_a.status == TeamStatus.ON_SCENE
    assert abs(team_a.latitude - call.latitude) < 0.002
    assert tick(new_calls=False).cleared == []  # it stays a while
    assert tick(simulator.ON_SCENE_FOR + 1, new_calls=False).cleared == [call.pk]
    call.refresh_from_db()
    team_a.refresh_from_db()
    assert (call.status, team_a.status) == (Status.CLOSED, TeamStatus.AVAILABLE)
    kinds = list(CallEvent.objects.filter(call=call).values_list("kind", flat=True))
    assert kinds[-4:] == ["call.accepted", "call.en_route", "call.on_scene", "call.closed"]
    # Done as a member of the team, through the services: the phone's own taps.
    assert CallEvent.objects.get(call=call, kind="call.en_route").actor.username == "rita"


def test_new_calls_arrive_at_a_modest_rate_with_a_ring_time(dana, team_a, team_b):
    first = tick().new_calls
    assert len(first) == 1
    call = Call.objects.get(pk=first[0])
    assert call.rang_at is not None and 0 < (call.answered_at - call.rang_at).total_seconds() <= 18
    assert call.triaged_at is not None  # screened as the desk would
    assert Assignment.objects.filter(call=call, status="offered").exists()  # routed by the same services
    assert tick(30).new_calls == []  # not another one straight away
    assert len(tick(simulator.NEW_CALL_EVERY + 1).new_calls) == 1  # team B is still free


def test_no_new_call_while_every_team_is_busy(team_a):
    team_a.status = TeamStatus.ON_SCENE
    team_a.save(update_fields=["status"])
    assert tick().new_calls == []


def test_the_task_does_nothing_unless_turned_on(settings, team_a):
    from dispatch import tasks

    settings.DEMO_SIMULATOR = False
    tasks.simulate()
    assert not Call.objects.exists()
    settings.DEMO_SIMULATOR = True
    tasks.simulate()
    assert Call.objects.count() == 1


def test_it_is_off_by_default_and_not_in_the_test_beat(settings):
    assert settings.DEMO_SIMULATOR is False
    assert "demo-simulator" not in settings.CELERY_BEAT_SCHEDULE
