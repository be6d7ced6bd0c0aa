"""A test-only task that takes a while, so a test can kill the worker's child mid-task."""

import time

import redis
from celery import shared_task
from django.conf import settings


@shared_task(acks_late=True, name="tests.support.slow_task.hold")
def hold(key: str, seconds: float) -> None:
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.incr(f"{key}:started")
    time.sleep(seconds)
    client.set(f"{key}:done", 1)
