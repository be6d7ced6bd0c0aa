"""The websocket edge against the Redis channel layer (channels-redis pub/sub), as in production."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client

from crisis import realtime as events
from crisis import sockets
from dispatch import consumers, services
from dispatch import team_state as team_services
from tests.conftest import CALL_DEFAULTS

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def redis_layer(settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "crisis.channel_layer.PubSubChannelLayer",
            "CONFIG": {"hosts": [os.environ.get("REDIS_URL", "")], "prefix": f"test-{uuid.uuid4().hex[:12]}"},
        }
    }
    settings.REDIS_URL = os.environ.get("REDIS_URL", "")


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def connect(user=None, *, session_key: str | None = None):
    from crisis.asgi import application

    headers = [(b"origin", b"http://127.0.0.1")]
    if user is not None or session_key:
        key = session_key or await sync_to_async(session_cookie)(user)
        headers.append((b"cookie", f"sessionid={key}".encode()))
    comm = WebsocketCommunicator(application, "/ws/board/", headers=headers)
    connected, code = await comm.connect(timeout=5)
    return comm, connected, code


async def hello(comm) -> dict:
    message = await comm.receive_json_from(timeout=5)
    assert message["kind"] == "hello"
    return message


@pytest.mark.parametrize("persona, code", [("oli", 4403), ("nora", 4403)])
async def test_officers_and_users_without_a_role_are_refused(persona, code, request):
    user = await sync_to_async(request.getfixturevalue)(persona)
    comm, connected, close_code = await connect(user)
    assert (connected, close_code) == (False, code)


async def test_anonymous_is_refused():
    comm, connected, close_code = await connect()
    assert (connected, close_code) == (False, consumers.CLOSE_UNAUTHENTICATED)


async def test_groups_follow_the_role(dana, sue, rita, team_a):
    for user, expected in ((dana, ["dispatch.central"]), (sue, ["supervisors"]), (rita, [f"team.{team_a.pk}"])):
        comm, connected, _ = await connect(user)
        assert connected
        assert (await hello(comm))["groups"] == expected
        await comm.disconnect()


async def test_a_responder_hears_only_their_own_team(dana, rita, bo, team_a, team_b):
    comms = {}
    for name, user in (("dana", dana), ("rita", rita), ("bo", bo)):
        comms[name], connected, _ = await connect(user)
        assert connected
        await hello(comms[name])
    # Asking to join another team's group does nothing: groups are decided by the server on connect.
    await comms["rita"].send_json_to({"kind": "subscribe", "group": f"team.{team_b.pk}"})

    await sync_to_async(team_services.team_set_status)(team=team_b, status="out_of_service", by=bo)

    for name in ("dana", "bo"):
        message = await comms[name].receive_json_from(timeout=5)
        assert message["kind"] == "team.status"
        assert message["data"]["team"]["id"] == team_b.pk
    assert await comms["rita"].receive_nothing(timeout=0.5)

    await sync_to_async(team_services.team_set_status)(team=team_a, status="out_of_service", by=rita)
    message = await comms["rita"].receive_json_from(timeout=5)
    assert (message["kind"], message["group"], message["data"]["team"]["id"]) == (
        "team.status",
        f"team.{team_a.pk}",
        team_a.pk,
    )
    assert await comms["bo"].receive_nothing(timeout=0.5)
    for comm in comms.values():
        await comm.disconnect()


async def test_logging_out_closes_the_socket(rita):
    client = Client()
    await sync_to_async(client.force_login)(rita)
    comm, connected, _ = await connect(session_key=client.cookies["sessionid"].value)
    assert connected
    await hello(comm)

    await sync_to_async(client.logout)()

    output = await comm.receive_output(timeout=5)
    assert output == {"type": "websocket.close", "code": consumers.CLOSE_UNAUTHENTICATED}


async def test_an_expired_or_deleted_session_is_noticed(rita):
    client = Client()
    await sync_to_async(client.force_login)(rita)
    key = client.cookies["sessionid"].value
    assert await consumers._session_alive(key, rita.pk)
    await sync_to_async(client.session.flush)()
    assert not await consumers._session_alive(key, rita.pk)


async def test_events_go_out_only_after_commit_numbered_per_group(dana):
    comm, connected, _ = await connect(dana)
    assert connected
    await hello(comm)

    def rolled_back():
        with pytest.raises(RuntimeError), transaction.atomic():
            services.call_create(by=dana, **CALL_DEFAULTS)
            raise RuntimeError("abandon the intake")

    await sync_to_async(rolled_back)()
    assert await comm.receive_nothing(timeout=0.5)

    first = await sync_to_async(events.current_seqs)(["dispatch.central"])
    call = await sync_to_async(services.call_create)(by=dana, **CALL_DEFAULTS)
    message = await comm.receive_json_from(timeout=5)
    assert message["kind"] == "call.created"
    assert message["data"]["call"]["id"] == call.pk
    assert message["seq"] == first["dispatch.central"] + 1
    await sync_to_async(services.call_add_note)(call=call, by=dana, text="second")
    second = await comm.receive_json_from(timeout=5)
    assert second["seq"] == message["seq"] + 1
    await comm.disconnect()


async def test_a_slow_client_is_cut_off_instead_of_growing_memory(dana, monkeypatch):
    monkeypatch.setattr(sockets, "MAX_BACKLOG", 5)
    real_send = consumers.BoardConsumer.send

    async def slow_send(self, text_data=None, bytes_data=None, close=False):
        await asyncio.sleep(0.2)  # a client on a stalled network
        await real_send(self, text_data, bytes_data, close)

    monkeypatch.setattr(consumers.BoardConsumer, "send", slow_send)
    comm, connected, _ = await connect(dana)
    assert connected
    await hello(comm)
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    for n in range(40):
        await layer.group_send("dispatch.central", {"type": "crisis.event", "kind": "x", "seq": n, "data": {}})
    outputs = []
    while True:
        output = await comm.receive_output(timeout=10)
        outputs.append(output)
        if output["type"] == "websocket.close":
            break
    assert outputs[-1]["code"] == consumers.CLOSE_TOO_SLOW
    assert len(outputs) < 40


async def test_one_event_is_encoded_once_for_every_board_and_needs_no_database_hop(dana, monkeypatch):
    import channels.consumer

    encoded, hops = [], []
    real_encode = sockets.encode_frame
    monkeypatch.setattr(sockets, "encode_frame", lambda message: encoded.append(1) or real_encode(message))
    real_close = channels.consumer.aclose_old_connections

    async def counting_close():
        hops.append(1)
        await real_close()

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counting_close)
    boards = []
    for _ in range(3):
        comm, connected, _ = await connect(dana)
        assert connected
        await hello(comm)
        boards.append(comm)
    hops.clear()
    await sync_to_async(services.call_create)(by=dana, **CALL_DEFAULTS)
    frames = [await comm.receive_json_from(timeout=5) for comm in boards]
    assert {f["kind"] for f in frames} == {"call.created"} and len({f["seq"] for f in frames}) == 1
    assert encoded == [1]  # the same text went to all three sockets
    assert hops == []  # no thread hop to close database connections before an event
    for comm in boards:
        await comm.disconnect()


async def test_boards_in_the_same_groups_share_a_heartbeat_reading(dana, monkeypatch):
    monkeypatch.setattr(sockets, "HEARTBEAT_SECONDS", 0.2)
    monkeypatch.setattr(sockets, "_share_window", lambda: 60)
    monkeypatch.setattr(sockets, "_positions", {})
    readings = []
    real = consumers.BoardConsumer._heartbeat_frame

    def counting(self, user):
        readings.append(1)
        return real(self, user)

    monkeypatch.setattr(consumers.BoardConsumer, "_heartbeat_frame", counting)
    boards = []
    for _ in range(3):
        comm, connected, _ = await connect(dana)
        assert connected
        await hello(comm)
        boards.append(comm)
    beats = []
    for comm in boards:
        for _ in range(2):
            frame = await comm.receive_json_from(timeout=5)
            assert frame["kind"] == "heartbeat"
            beats.append(frame)
    assert len(readings) == 1  # six heartbeats, one Redis reading
    assert all("routing" in b for b in beats)
    # An event delivered after the reading raises the shared number: no false "counter went backwards".
    await sync_to_async(services.call_create)(by=dana, **CALL_DEFAULTS)
    event = await boards[0].receive_json_from(timeout=5)
    while event["kind"] != "call.created":
        event = await boards[0].receive_json_from(timeout=5)
    beat = await boards[0].receive_json_from(timeout=5)
    while beat["kind"] != "heartbeat":
        beat = await boards[0].receive_json_from(timeout=5)
    assert beat["seq"]["dispatch.central"] >= event["seq"]
    for comm in boards:
        await comm.disconnect()
