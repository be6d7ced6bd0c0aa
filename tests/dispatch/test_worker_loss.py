"""A task whose worker process dies mid-task is delivered again (acks_late + reject_on_worker_lost).

The routing and offer-expiry tasks rely on this: a routing message must not
die with the process that was running it.
"""

import os
import signal
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings

from crisis.celery import app
from tests.support.celery_worker import celery_worker, wait_for


def child_pids(parent: int) -> list[int]:
    children = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:  # the process ended while we looked
            continue
        if fields.get("PPid", "").strip() == str(parent):
            children.append(int(status.parent.name))
    return children


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_task_is_redelivered_when_the_worker_child_dies_mid_task():
    client = redis.Redis.from_url(settings.REDIS_URL)
    key = f"worker-loss-{uuid.uuid4().hex[:8]}"
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with celery_worker(pool="prefork", imports=("tests.support.slow_task",)) as worker:
            app.send_task("tests.support.slow_task.hold", args=(key, 4.0))
            wait_for(lambda: client.get(f"{key}:started") == b"1", what="the task to start", worker=worker)
            children = child_pids(worker.pid)
            assert len(children) == 1
            os.kill(int(children[0]), signal.SIGKILL)  # the process running the task dies
            wait_for(
                lambda: client.get(f"{key}:done"), timeout=60, what="the redelivered task to finish", worker=worker
            )
            assert client.get(f"{key}:started") == b"2"
    finally:
        app.conf.task_always_eager = eager
        client.delete(f"{key}:started", f"{key}:done")
