"""A paused Redis (SIGSTOP: connections accepted, never answered) must not hold a request's answer.

Publishes run after commit but before the response leaves; the realtime Redis client had no timeouts, so a
request that changed something waited as long as the pause lasted, and, the sync views sharing one thread
under ASGI, so did every request after it. Now the first publish gives up after REALTIME_REDIS_TIMEOUT,
the events are counted as missed (crisis/realtime.py), the next requests do not wait again, and the missed
events are reported (the boards resync) as soon as Redis answers. Runs on a private redis-server.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid

import pytest
from django.db import connections
from django.test import Client

from crisis import realtime
from dispatch.models import Call
from tests.conftest import CALL_DEFAULTS
from tests.support.redis_server import private_redis, redis_server_binary

pytestmark = [
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(redis_server_binary() is None, reason="redis-server is not installed"),
]

TIMEOUT = 0.5


@pytest.fixture
def paused_redis(settings, monkeypatch):
    with private_redis() as server:
        settings.REDIS_URL = server.url(0)
        settings.REALTIME_REDIS_TIMEOUT = TIMEOUT
        host = {"address": server.url(0), "socket_timeout": TIMEOUT, "socket_connect_timeout": TIMEOUT}
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "crisis.channel_layer.PubSubChannelLayer",
                "CONFIG": {"hosts": [host], "prefix": f"pause-{uuid.uuid4().hex[:8]}"},
            }
        }
        monkeypatch.setattr(realtime, "_redis", None)  # a client for this server, with this timeout
        monkeypatch.setattr(realtime, "_missed", {})
        monkeypatch.setattr(realtime, "_missed_reporter", None)
        realtime.current_position([realtime.SUPERVISORS_GROUP])  # connected (and the epoch made) before the pause
        os.kill(server.proc.pid, signal.SIGSTOP)
        try:
            yield server
        finally:
            os.kill(server.proc.pid, signal.SIGCONT)  # a stopped server cannot shut down
        deadline = time.monotonic() + 10
        while realtime._redis_known_away() and time.monotonic() < deadline:
            time.sleep(0.1)
        monkeypatch.setattr(realtime, "_redis", None)


def timed_post(user) -> tuple[float | None, int | None]:
    """Create a call as `user` in another thread; (seconds it took, status), or (None, None) if still held."""
    out: dict = {}

    def run():
        client = Client()
        client.force_login(user)
        started = time.monotonic()
        try:
            out["status"] = client.post("/api/calls/", CALL_DEFAULTS, content_type="application/json").status_code
            out["seconds"] = time.monotonic() - started
        finally:
            connections.close_all()

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=10 * TIMEOUT + 5)
    return out.get("seconds"), out.get("status")


GROUP = realtime.SUPERVISORS_GROUP  # every call's events go to the supervisors' group


def test_a_paused_redis_does_not_hold_the_answer_and_later_requests_do_not_wait_again(paused_redis, dana):
    seconds, status = timed_post(dana)
    assert (status, seconds is not None) == (201, True), "the request was still held by the paused Redis"
    assert seconds < 4 * TIMEOUT + 1
    again, status = timed_post(dana)
    assert status == 201 and again is not None and again < TIMEOUT
    assert Call.objects.count() == 2
    assert realtime._missed.get(GROUP, 0) >= 2


def test_when_redis_answers_again_the_boards_are_told_what_they_missed(paused_redis, dana):
    os.kill(paused_redis.proc.pid, signal.SIGCONT)
    epoch, before = realtime.current_position([GROUP])
    os.kill(paused_redis.proc.pid, signal.SIGSTOP)
    seconds, status = timed_post(dana)
    assert status == 201 and seconds is not None
    missed = realtime._missed.get(GROUP, 0)
    assert missed >= 1
    os.kill(paused_redis.proc.pid, signal.SIGCONT)
    deadline = time.monotonic() + 5
    while realtime._missed and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not realtime._missed
    # Same epoch, a number the board never got: its next heartbeat makes it reload the snapshot.
    now_epoch, now = realtime.current_position([GROUP])
    assert now_epoch == epoch and now[GROUP] >= before[GROUP] + missed
