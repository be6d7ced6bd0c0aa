"""The diversion console's socket (/ws/programs/diversion/): diversion clinicians only, the shared queue live."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from crisis import sockets
from tests.programs.test_le_consult_consumer import redis_layer, session_cookie  # noqa: F401 (fixture)

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]
PATH = "/ws/programs/diversion/"


async def connect(user):
    from crisis.asgi import application

    cookie = f"sessionid={await sync_to_async(session_cookie)(user)}".encode()
    comm = WebsocketCommunicator(application, PATH, headers=[(b"origin", b"http://127.0.0.1"), (b"cookie", cookie)])
    connected, code = await comm.connect(timeout=5)
    return comm, connected, code


@pytest.mark.parametrize("persona", ["dana", "sue", "oli", "rita", "nora"])
async def test_only_diversion_clinicians_listen(persona, request):
    user = await sync_to_async(request.getfixturevalue)(persona)
    _, connected, code = await connect(user)
    assert (connected, code) == (False, sockets.CLOSE_FORBIDDEN)


async def test_a_transfer_reaches_the_console_live(cam, dana):
    from programs.diversion import services

    comm, connected, _ = await connect(cam)
    assert connected
    assert (await comm.receive_json_from(timeout=5))["groups"] == ["diversion"]
    d, _ = await sync_to_async(services.diversion_transfer)(
        by=dana, incident_id="CAD-9", address="1 Main St", nature="Panic attack"
    )
    message = await comm.receive_json_from(timeout=5)
    assert (message["kind"], message["data"]["id"], message["data"]["cad_incident_id"]) == (
        "diversion.updated",
        d.pk,
        "CAD-9",
    )
    await comm.disconnect()
