"""Webhooks in a real Celery worker, through Redis, to a real local receiver that is down, then up."""

from __future__ import annotations

import time

import pytest
from django.db import close_old_connections

from crisis.celery import app as celery_app
from dispatch import services
from integrations import services as integrations
from integrations import webhooks
from integrations.models import Delivery, Event
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
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = before


def rows():
    close_old_connections()
    return list(Delivery.objects.order_by("id").values_list("status", "attempts"))


def test_a_partner_down_then_up_gets_every_event_once_in_order_and_dispatch_never_waits(
    real_queue, cad, receiver, ada, dana, team_a, new_call
):
    integrations.endpoint_save(
        partner=cad,
        url=receiver.url,
        events=[Event.CALL_CREATED, Event.CALL_ASSIGNED, Event.CALL_CLOSED],
        by=ada,
    )
    env = {"WEBHOOK_BACKOFF_BASE_SECONDS": "0.5", "WEBHOOK_BACKOFF_MAX_SECONDS": "2", "WEBHOOK_TIMEOUT_SECONDS": "2"}
    with celery_worker(env=env) as worker:
        started = time.monotonic()
        call = new_call(nature="One")
        services.call_triage(call=call, screen={"phone_engaged": True}, by=dana)
        services.call_assign(call=call, team=team_a, by=dana, reason="radio", confirm_gaps=True)
        second = new_call(nature="Two")
        services.call_cancel(call=second, by=dana, reason="duplicate")
        # Dispatch wrote outbox rows and moved on: no network in its path, whatever the partner's state.
        assert time.monotonic() - started < 2.0
        wait_for(
            lambda: any(attempts >= 2 for _, attempts in rows()),
            what="retries while the partner is down",
            worker=worker,
        )
        assert receiver.received() == []
        receiver.start()
        wait_for(
            lambda: rows() and all(status == "delivered" for status, _ in rows()),
            timeout=30,
            what="every delivery delivered once the partner is up",
            worker=worker,
        )
        time.sleep(1.5)  # anything sent twice would arrive by now
        assert_no_call_strands(settle_seconds=2)
    got = receiver.received()
    events = [(r.json()["event"], r.json()["call"]["nature"]) for r in got]
    assert events == [
        ("call.created", "One"),
        ("call.assigned", "One"),
        ("call.created", "Two"),
        ("call.closed", "Two"),
    ]
    ids = [r.headers["X-Crisis-Delivery"] for r in got]
    assert len(ids) == len(set(ids)), "a delivery arrived twice"
    assert all(webhooks.verify(cad.secret, r.body, r.headers["X-Crisis-Signature"]) for r in got)
    assert "integrations.tasks.deliver" in worker.log()
