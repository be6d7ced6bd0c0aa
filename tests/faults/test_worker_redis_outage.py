"""A Celery worker rides out a Redis restart and a Redis outage, and goes on routing.

Before crisis/broker.py, the first broker connection loss while the worker held an unacknowledged
message (every offer's expiry countdown is one) killed the worker for good:
"Unrecoverable error: AttributeError('NoneType' object has no attribute 'hostname')".
"""

from __future__ import annotations

import time

import pytest
from django.db import close_old_connections

from dispatch import services
from dispatch.models import Assignment
from tests.support.celery_worker import celery_worker, wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


def offered_team(call) -> str | None:
    close_old_connections()
    return Assignment.objects.filter(call=call).values_list("team__name", flat=True).first()


def route_one(new_call, dana, *, worker, timeout: float) -> str:
    call = new_call()
    services.call_triage(call=call, screen={}, by=dana)  # commits, then enqueues route_waiting
    return wait_for(lambda: offered_team(call), timeout=timeout, what="an offer made by the worker", worker=worker)


@pytest.mark.parametrize("down_seconds", [0.0, 10.0], ids=["restart", "down-10s"])
def test_worker_survives_redis_going_away_and_routes_the_next_call(
    own_redis, broker_at, new_call, dana, team_a, team_b, down_seconds
):
    broker_at(own_redis.url())
    env = {"REDIS_URL": own_redis.url(), "CELERY_BROKER_URL": own_redis.url()}
    with celery_worker(env=env) as worker:
        assert route_one(new_call, dana, worker=worker, timeout=20) == "Team A"
        # The offer's expiry is a countdown task the worker now holds unacknowledged: the crash's trigger.
        wait_for(lambda: own_redis.client().hlen("unacked") >= 1, timeout=10, what="an unacked message")

        own_redis.restart(down_seconds=down_seconds)
        back = time.monotonic()

        assert route_one(new_call, dana, worker=worker, timeout=30) == "Team B"
        recovered = time.monotonic() - back
        log = worker.log()
        assert "Unrecoverable error" not in log
        assert "Connection to broker lost" in log
        assert log.count("Connected to") >= 2
        fault = f"down {down_seconds:.0f}s" if down_seconds else "restart"
        print(f"redis {fault}: routed again {recovered:.1f}s after Redis was back")
