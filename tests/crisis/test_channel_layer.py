"""A group's message is decoded once per process, and every socket still gets a message of its own
(crisis/channel_layer.py), on the real Redis pub/sub layer."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from channels_redis.serializers import BaseMessageSerializer

from crisis.channel_layer import DECODED_KEPT, PubSubChannelLayer

pytestmark = [pytest.mark.redis]


@pytest.fixture
def layer(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis")
    return PubSubChannelLayer(hosts=[{"address": settings.REDIS_URL}], prefix=f"decode-{uuid.uuid4().hex[:8]}")


def _count_decodes(monkeypatch) -> list[int]:
    decodes = []
    real = BaseMessageSerializer.deserialize

    def deserialize(self, message):
        decodes.append(len(message))
        return real(self, message)

    monkeypatch.setattr(BaseMessageSerializer, "deserialize", deserialize)
    return decodes


def test_three_boards_in_one_process_read_one_decode_each_a_dict_of_its_own(layer, monkeypatch):
    decodes = _count_decodes(monkeypatch)

    async def run():
        boards = [await layer.new_channel() for _ in range(3)]
        for name in boards:
            await layer.group_add("dispatch.central", name)
        event = {"type": "crisis.event", "kind": "call.offered", "seq": 7, "data": {"call": {"id": 41}}}
        await layer.group_send("dispatch.central", event)
        got = [await asyncio.wait_for(layer.receive(name), 5) for name in boards]
        await layer.flush()
        return event, got

    event, got = asyncio.run(run())
    assert got == [event] * 3
    assert len(decodes) == 1
    got[0]["seq"] = 8  # one socket's copy is its own
    assert got[1]["seq"] == 7 and got[2]["seq"] == 7


def test_each_new_message_is_decoded_even_when_the_bytes_are_equal(layer, monkeypatch):
    # Two events with the same bytes are two messages (a board must see both): the kept decode is found by the
    # identical bytes object, never by equal contents or a reused id.
    decodes = _count_decodes(monkeypatch)

    async def run():
        board = await layer.new_channel()
        await layer.group_add("dispatch.central", board)
        for _ in range(2):
            await layer.group_send("dispatch.central", {"type": "crisis.event", "kind": "bench.fanout"})
        got = [await asyncio.wait_for(layer.receive(board), 5) for _ in range(2)]
        await layer.flush()
        return got

    got = asyncio.run(run())
    assert got == [{"type": "crisis.event", "kind": "bench.fanout"}] * 2
    assert len(decodes) == 2


def test_only_the_latest_decodes_are_kept(layer):
    for n in range(DECODED_KEPT + 10):
        layer.deserialize(layer.serialize({"n": n}))
    assert len(layer._decoded) == DECODED_KEPT
