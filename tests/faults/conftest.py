"""Fault tests: each starts the services it breaks (a private redis-server), never the shared ones."""

from __future__ import annotations

import pytest
from kombu import pools as kombu_pools

from tests.conftest import _missing
from tests.support.redis_server import private_redis, redis_server_binary


@pytest.fixture
def own_redis():
    if redis_server_binary() is None:
        _missing("redis-server is not installed (apt-get install redis-server)")
    with private_redis() as server:
        yield server


@pytest.fixture
def broker_at():
    """Send this process's tasks to another broker (e.g. a private Redis) for the rest of the test."""
    from crisis.celery import app

    before = (app.conf.broker_url, app.conf.task_always_eager)

    def _reset_pools():
        # kombu keeps its pools in a process-wide registry keyed by broker URL: closing only the app's pool left a
        # closed pool registered for the shared broker, and every later test's task then failed with "Acquire on
        # closed pool". Close and forget them all.
        kombu_pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    def _point(url: str) -> None:
        _reset_pools()
        app.conf.broker_url = url
        app.conf.task_always_eager = False

    yield _point
    _reset_pools()
    app.conf.broker_url, app.conf.task_always_eager = before
