"""The consult socket (/ws/programs/le_consult/) against the Redis channel layer, as in production."""

from __future__ import annotations

import os
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from crisis import realtime, sockets
from programs.le_consult import services

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]
PATH = "/ws/programs/le_consult/"


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


async def connect(user=None):
    from crisis.asgi import application

    headers = [(b"origin", b"http://127.0.0.1")]
    if user is not None:
        headers.append((b"cookie", f"sessionid={await sync_to_async(session_cookie)(user)}".encode()))
    comm = WebsocketCommunicator(application, PATH, headers=headers)
    connected, code = await comm.connect(timeout=5)
    return comm, connected, code


@pytest.mark.parametrize("persona", ["dana", "ada", "rita", "nora"])
async def test_roles_without_consults_are_refused(request, persona):
    user = await sync_to_async(request.getfixturevalue)(persona)
    _, connected, code = await connect(user)
    assert (connected, code) == (False, sockets.CLOSE_FORBIDDEN)


async def test_anonymous_is_refused():
    _, connected, code = await connect()
    assert (connected, code) == (False, sockets.CLOSE_UNAUTHENTICATED)


async def test_each_hears_their_own_inbox_and_supervisors_oversight(oli, cam, kit, sue, on_call):
    comms = {}
    for name, user, groups in (
        ("oli", oli, [realtime.inbox_group(oli.pk)]),
        ("cam", cam, [realtime.inbox_group(cam.pk)]),
        ("kit", kit, [realtime.inbox_group(kit.pk)]),
        ("sue", sue, [realtime.inbox_group(sue.pk), realtime.OVERSIGHT_GROUP]),
    ):
        comms[name], connected, _ = await connect(user)
        assert connected
        hello = await comms[name].receive_json_from(timeout=5)
        assert (hello["kind"], hello["groups"]) == ("hello", groups)

    consult = await sync_to_async(services.consult_request)(by=oli, need="advice", address="Lake St bridge")
    for name in ("oli", "cam", "sue"):
        message = await comms[name].receive_json_from(timeout=5)
        assert (message["kind"], message["data"]["id"], message["seq"]) == ("consult.updated", consult.pk, 1)
        assert message["epoch"]
    # The backup hears nothing before the escalation.
    assert await comms["kit"].receive_nothing(timeout=0.5)
    for comm in comms.values():
        await comm.disconnect()


async def test_logging_out_closes_the_consult_socket(oli):
    client = Client()
    await sync_to_async(client.force_login)(oli)
    from crisis.asgi import application

    headers = [(b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]
    comm = WebsocketCommunicator(application, PATH, headers=headers)
    connected, _ = await comm.connect(timeout=5)
    assert connected
    await comm.receive_json_from(timeout=5)
    await sync_to_async(client.logout)()
    assert await comm.receive_output(timeout=5) == {"type": "websocket.close", "code": sockets.CLOSE_UNAUTHENTICATED}
