"""dispatch/tasks.py and dispatch/jobs.py: delivery guarantees and the after-commit door."""

import pytest

from crisis.celery import app
from dispatch import services, tasks
from dispatch.models import Assignment


def test_tasks_are_acknowledged_late_requeued_on_worker_loss_and_taken_one_at_a_time():
    assert app.conf.worker_prefetch_multiplier == 1
    for task in (tasks.route_waiting, tasks.expire_offer, tasks.sweep):
        assert task.acks_late is True, task.name
        assert task.reject_on_worker_lost is True, task.name


def test_sweep_runs_periodically():
    entry = app.conf.beat_schedule["dispatch-sweep"]
    assert entry["task"] == tasks.sweep.name
    assert 0 < float(entry["schedule"]) <= 60


@pytest.mark.django_db
def test_routing_is_enqueued_only_after_commit(new_call, dana, team_a, django_capture_on_commit_callbacks):
    call = new_call()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.call_triage(call=call, screen={}, by=dana)
    # Nothing routed inside the transaction: the task waits for the commit.
    assert not Assignment.objects.exists()
    assert callbacks, "routing must be queued with transaction.on_commit"
    for callback in callbacks:
        callback()
    assert Assignment.objects.filter(call=call, team=team_a, status="offered").exists()


@pytest.mark.django_db
def test_tasks_run_twice_change_nothing_the_second_time(new_call, dana, team_a):
    call = new_call()
    services.call_triage(call=call, screen={}, by=dana)
    assert tasks.route_waiting.apply(args=("central",)).get() == 1
    assert tasks.route_waiting.apply(args=("central",)).get() == 0
    offer = Assignment.objects.get(call=call)
    assert tasks.expire_offer.apply(args=(offer.pk,)).get() is False
    assert Assignment.objects.count() == 1
