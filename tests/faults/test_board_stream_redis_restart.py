"""A connected board is told, within seconds, that the numbers were reset by a Redis restart.

The per-group counters live in Redis. Restarted without its data, Redis numbers the next event 1 again;
a client that saw 57 would drop it as "already seen" and still say Live. Now every event and every
heartbeat frame carry the counter store's epoch, which a restart changes.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from crisis import realtime as events
from crisis import sockets
from dispatch import services
from tests.conftest import CALL_DEFAULTS

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def layer_on(settings, monkeypatch):
    def _point(url: str) -> None:
        settings.REDIS_URL = url
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "crisis.channel_layer.PubSubChannelLayer",
                "CONFIG": {"hosts": [url], "prefix": f"faults-{uuid.uuid4().hex[:8]}"},
            }
        }
        monkeypatch.setattr(events, "_redis", None)  # the cached client points at the shared Redis

    yield _point
    events._redis = None


def session_key(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def next_of_kind(comm, kind: str, timeout: float = 10) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        assert left > 0, f"no {kind} frame within {timeout}s"
        message = await comm.receive_json_from(timeout=left)
        if message["kind"] == kind:
            return message


async def test_a_redis_restart_changes_the_epoch_on_events_heartbeats_and_the_snapshot(
    own_redis, layer_on, dana, monkeypatch
):
    from crisis.asgi import application

    layer_on(own_redis.url())
    monkeypatch.setattr(sockets, "HEARTBEAT_SECONDS", 0.5)
    key = await sync_to_async(session_key)(dana)
    comm = WebsocketCommunicator(
        application, "/ws/board/", headers=[(b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={key}".encode())]
    )
    connected, _ = await comm.connect(timeout=5)
    assert connected
    await next_of_kind(comm, "hello")

    for _ in range(3):
        await sync_to_async(services.call_create)(by=dana, **CALL_DEFAULTS)
    before = [await next_of_kind(comm, "call.created") for _ in range(3)]
    epoch = before[0]["epoch"]
    assert [m["seq"] for m in before] == [1, 2, 3] and {m["epoch"] for m in before} == {epoch}
    beat = await next_of_kind(comm, "heartbeat")
    assert beat["epoch"] == epoch and beat["seq"] == {"dispatch.central": 3}
    assert beat["routing"]["paused"] is True  # no worker here

    own_redis.restart()  # without persistence: every counter is gone
    # The same socket stays open (channels-redis resubscribes), as the boards' sockets did.
    beat = await next_of_kind(comm, "heartbeat")
    new_epoch = beat["epoch"]
    assert new_epoch != epoch  # a client that saw seq 3 resyncs now, before any new event

    # The first publish after the restart may die on a stale pooled connection (the event is lost:
    # the outbox is left for later); the heartbeat still shows the client it is one behind.
    first = await sync_to_async(services.call_create)(by=dana, **CALL_DEFAULTS)
    beat = await next_of_kind(comm, "heartbeat")
    while beat["seq"] == {"dispatch.central": 0}:
        beat = await next_of_kind(comm, "heartbeat")
    assert (beat["epoch"], beat["seq"]) == (new_epoch, {"dispatch.central": 1})

    second = await sync_to_async(services.call_create)(by=dana, **CALL_DEFAULTS)
    message = await next_of_kind(comm, "call.created")
    while message["data"]["call"]["id"] != second.pk:
        message = await next_of_kind(comm, "call.created")
    assert (message["epoch"], message["seq"]) == (new_epoch, 2)

    client = Client()
    await sync_to_async(client.force_login)(dana)
    snapshot = (await sync_to_async(client.get)("/api/board/")).json()
    assert (snapshot["epoch"], snapshot["seq"]) == (new_epoch, {"dispatch.central": 2})
    assert {first.pk, second.pk} <= {c["id"] for c in snapshot["calls"]}
    await comm.disconnect()
