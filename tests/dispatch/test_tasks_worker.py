"""dispatch/tasks.py in a real Celery worker process, through Redis."""

from __future__ import annotations

import re

import pytest
from django.db import close_old_connections

from crisis.celery import app as celery_app
from dispatch import services
from dispatch.models import Assignment
from tests.support.celery_worker import celery_worker, wait_for

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
    assert got[0] == ("Team A", "lapsed")
    assert got[1][0] == "Team B"
    assert call.events.filter(kind="call.offer_lapsed").count() >= 1
    assert "dispatch.tasks.expire_offer" in worker.log()
