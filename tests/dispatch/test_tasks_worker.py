"""dispatch/tasks.py in a real Celery worker process, through Redis."""

from __future__ import annotations

import re
import time

import pytest
from django.db import close_old_connections

from crisis.celery import app as celery_app
from dispatch import services
from dispatch.models import Assignment, Call
from tests.support.celery_worker import celery_worker, wait_for
from tests.support.strands import assert_no_call_strands

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def real_queue():
    """Tasks from this process go to Redis instead of running inline."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = before


def offers(call) -> list[tuple[str, str]]:
    close_old_connections()
    return list(Assignment.objects.filter(call=call).order_by("offered_at", "id").values_list("team__name", "status"))


def test_worker_routes_a_triaged_call_end_to_end(real_queue, new_call, dana, team_a, team_b):
    with celery_worker() as worker:
        call = new_call()
        services.call_triage(call=call, screen={}, by=dana)  # commits, then enqueues route_waiting
        got = wait_for(lambda: offers(call), what="an offer made by the worker", worker=worker)
        assert_no_call_strands(settle_seconds=5)
    assert got == [("Team A", "offered")]
    call.refresh_from_db()
    assert call.routing_explanation["chosen"]["team"] == "Team A"
    # The worker made the offer (this process only enqueued): its route_waiting returned one offer.
    assert re.search(r"dispatch\.tasks\.route_waiting\[[^]]+\] succeeded in [0-9.]+s: 1", worker.log())


def test_worker_lapses_an_unanswered_offer_and_reoffers(real_queue, settings, new_call, dana, team_a, team_b):
    # The offer (and its expiry countdown) is made by whichever process routes:
    # here the worker, so it gets the short timeout too.
    settings.OFFER_TIMEOUT_SECONDS = 2
    with celery_worker(env={"OFFER_TIMEOUT_SECONDS": "2"}) as worker:
        call = new_call()
        services.call_triage(call=call, screen={}, by=dana)
        wait_for(lambda: offers(call), what="the first offer", worker=worker)
        got = wait_for(
            lambda: [o for o in offers(call) if o[0] == "Team B"] and offers(call),
            what="the re-offer to Team B",
            worker=worker,
        )
        assert_no_call_strands(settle_seconds=5)
    assert got[0] == ("Team A", "lapsed")
    assert got[1][0] == "Team B"
    assert call.events.filter(kind="call.offer_lapsed").count() >= 1
    assert "dispatch.tasks.expire_offer" in worker.log()


def active_offer(call):
    close_old_connections()
    return Assignment.objects.filter(call=call, status="offered").select_related("team").first()


def test_every_team_declines_once_and_the_call_is_offered_again_after_the_cooldown(
    real_queue, settings, new_call, dana, rita, bo, team_a, team_b
):
    """Issue 9: after one round of declines a P2 suicidal call sat at "No team" for good."""
    cooldown, sweep = 4, 2
    # The declines are made here (this process times the routing job for the cool-down's end); the
    # worker routes and sweeps with the same figures.
    settings.REOFFER_COOLDOWN_SECONDS = cooldown
    env = {"REOFFER_COOLDOWN_SECONDS": str(cooldown), "SWEEP_INTERVAL_SECONDS": str(sweep)}
    with celery_worker(env=env, beat=True) as worker:
        call = new_call(call_type="suicidal", nature="Says he has pills")
        services.call_triage(call=call, screen={"si_thoughts": True, "si_method": True}, by=dana)
        first = wait_for(lambda: active_offer(call), what="the first offer", worker=worker)
        assert first.team == team_a
        services.assignment_decline(assignment=first, by=rita, reason="Still on the last scene")
        first_declined = time.monotonic()
        second = wait_for(
            lambda: (o := active_offer(call)) and o.team == team_b and o, what="the offer to Team B", worker=worker
        )
        services.assignment_decline(assignment=second, by=bo, reason="Vehicle trouble")
        # Both teams cool down: the call waits, and its row says why and since when.
        reason = wait_for(
            lambda: services.call_summary(Call.objects.get(pk=call.pk))["waiting_reason"],
            what="the waiting reason",
            worker=worker,
        )
        assert reason.startswith("No eligible team free: 2 declined (cool-down until ")
        assert active_offer(call) is None
        assert_no_call_strands()  # waiting while every free team cools down is allowed
        third = wait_for(
            lambda: active_offer(call), timeout=cooldown + sweep + 10, what="the offer after the cool-down"
        )
        elapsed = time.monotonic() - first_declined
        assert third.team == team_a  # its cool-down ended first
        assert cooldown - 0.5 <= elapsed <= cooldown + sweep + 3, elapsed
        assert_no_call_strands(settle_seconds=5)
