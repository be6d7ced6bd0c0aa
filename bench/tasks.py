"""A tiny task for measuring enqueue-to-start time on the real crisis Celery app.

The worker loads this module with `-I bench.tasks`; the task writes when it
started (wall clock, same machine as the sender) to a Redis list the bench
reads back.
"""

from __future__ import annotations

import json
import time

from celery import shared_task
from django.conf import settings

_client = None


def _redis():
    global _client
    if _client is None:
        import redis

        _client = redis.Redis.from_url(settings.REDIS_URL)
    return _client


@shared_task(name="bench.stamp", acks_late=True, ignore_result=True)
def stamp(key: str, sent_at: float) -> None:
    started = time.time()
    _redis().rpush(key, json.dumps([sent_at, started]))


def wait_stamps(key: str, count: int, *, timeout: float) -> list[tuple[float, float]]:
    """Block until `count` stamps arrived under `key` (or the timeout); return (sent, started) pairs."""
    client = _redis()
    out: list[tuple[float, float]] = []
    deadline = time.monotonic() + timeout
    while len(out) < count:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        item = client.blpop([key], timeout=max(0.01, min(left, 1.0)))
        if item is not None:
            sent, started = json.loads(item[1])
            out.append((sent, started))
    return out
