"""A committed transaction's events leave in one Redis round trip from the committing thread (crisis/realtime.py).

Before, each event was handed to the publisher loop's thread (`run_coroutine_threadsafe`) and waited for: an
intake's five events took ~20 ms under uvicorn before the offer reached Redis. Now the PUBLISHes that the Redis
pub/sub layer's `group_send` would make go out in one pipeline; a channels_redis subscriber (what every board
and phone socket is) must read them exactly as it reads `group_send`'s, in order.
"""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest
import redis.client
from channels.layers import get_channel_layer

from crisis import realtime

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

GROUPS = ["dispatch.central", "team.7"]


@pytest.fixture
def redis_layer(settings, monkeypatch):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis")
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "crisis.channel_layer.PubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": settings.REDIS_URL}], "prefix": f"direct-{uuid.uuid4().hex[:8]}"},
        }
    }
    monkeypatch.setattr(realtime, "_missed", {})
    return get_channel_layer()


def _listen(layer, expected: dict[str, int], got: dict[str, list], ready: threading.Event) -> threading.Thread:
    async def run():
        names = {}
        for group in expected:
            names[group] = await layer.new_channel()
            await layer.group_add(group, names[group])
        ready.set()
        try:
            for group, name in names.items():
                got[group] = [await asyncio.wait_for(layer.receive(name), 5) for _ in range(expected[group])]
        finally:
            await layer.flush()

    thread = threading.Thread(target=asyncio.run, args=(run(),), daemon=True)
    thread.start()
    return thread


def test_a_transactions_events_reach_a_subscriber_in_one_round_trip_without_a_loop_hop(
    redis_layer, monkeypatch, django_capture_on_commit_callbacks
):
    from django.db import transaction

    hops, executes = [], []
    real_hop, real_execute = asyncio.run_coroutine_threadsafe, redis.client.Pipeline.execute

    def hop(coro, loop):
        hops.append(coro)
        return real_hop(coro, loop)

    def execute(self, *args, **kwargs):
        executes.append(len(self.command_stack))
        return real_execute(self, *args, **kwargs)

    got: dict[str, list] = {}
    ready = threading.Event()
    listener = _listen(redis_layer, {GROUPS[0]: 2, GROUPS[1]: 1}, got, ready)
    assert ready.wait(5)
    monkeypatch.setattr(asyncio, "run_coroutine_threadsafe", hop)
    monkeypatch.setattr(redis.client.Pipeline, "execute", execute)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        realtime.publish("call.created", {"n": 1}, groups=GROUPS)
        realtime.publish("call.offered", {"n": 2}, groups=GROUPS[:1])
    monkeypatch.setattr(asyncio, "run_coroutine_threadsafe", real_hop)
    listener.join(10)

    assert hops == []
    # The numbering (MULTI: epoch and two counters) and the three PUBLISHes: two round trips in all.
    assert executes == [4, 3]
    board, team = got[GROUPS[0]], got[GROUPS[1]]
    assert [m["kind"] for m in board] == ["call.created", "call.offered"]
    assert board[1]["seq"] == board[0]["seq"] + 1 and board[0]["epoch"] == board[1]["epoch"] == team[0]["epoch"]
    assert team[0] == board[0] | {"group": GROUPS[1], "seq": team[0]["seq"]}
    assert board[1] == {
        "type": "crisis.event",
        "kind": "call.offered",
        "at": board[1]["at"],
        "epoch": board[0]["epoch"],
        "data": {"n": 2},
        "group": GROUPS[0],
        "seq": board[1]["seq"],
    }


def test_another_layer_still_goes_through_group_send(settings, monkeypatch):
    """The in-memory layer (the embedded mode) or a layer on other Redis hosts: group_send, in order."""
    sent = []

    class Layer:
        async def group_send(self, group, message):
            sent.append((group, message["kind"]))

    monkeypatch.setattr(realtime, "get_channel_layer", lambda: Layer())
    realtime._send_now([("a", {"kind": "one"}), ("b", {"kind": "one"}), ("a", {"kind": "two"})])
    assert sent == [("a", "one"), ("b", "one"), ("a", "two")]
