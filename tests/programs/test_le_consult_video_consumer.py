"""The video call's signalling socket (/ws/programs/le_consult/video/<id>/) on the Redis channel layer."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from crisis import sockets
from programs.le_consult import consumers, services
from programs.le_consult.models import Consult, VideoSession
from tests.programs.test_le_consult_consumer import redis_layer, session_cookie  # noqa: F401 (fixture)

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def accepted(request_consult, cam):
    consult = services.consult_accept(consult=request_consult(need="video"), by=cam)
    return services.video_consent_record(consult=consult, by=cam, agreed=True)


async def connect(consult_id: int, user=None):
    from crisis.asgi import application

    headers = [(b"origin", b"http://127.0.0.1")]
    if user is not None:
        headers.append((b"cookie", f"sessionid={await sync_to_async(session_cookie)(user)}".encode()))
    comm = WebsocketCommunicator(application, f"/ws/programs/le_consult/video/{consult_id}/", headers=headers)
    connected, code = await comm.connect(timeout=5)
    return comm, connected, code


async def joined(consult_id: int, user) -> tuple[WebsocketCommunicator, dict]:
    comm, connected, _ = await connect(consult_id, user)
    assert connected
    assert (await comm.receive_json_from(timeout=5))["kind"] == "hello"
    await comm.send_json_to({"kind": "join"})
    return comm, await comm.receive_json_from(timeout=5)


@pytest.mark.parametrize("persona", ["sue", "kit", "dana", "rita", "nora"])
async def test_only_the_two_people_of_the_call_get_in(accepted, persona, request):
    user = await sync_to_async(request.getfixturevalue)(persona)
    _, connected, code = await connect(accepted.pk, user)
    assert (connected, code) == (False, sockets.CLOSE_FORBIDDEN)


async def test_anonymous_and_a_consult_not_in_progress_are_refused(request_consult, oli):
    consult = await sync_to_async(request_consult)()
    assert (await connect(consult.pk))[1:] == (False, sockets.CLOSE_UNAUTHENTICATED)
    assert (await connect(consult.pk, oli))[1:] == (False, consumers.CLOSE_NOT_IN_PROGRESS)
    assert (await connect(999999, oli))[1:] == (False, sockets.CLOSE_FORBIDDEN)


async def test_signalling_goes_to_the_other_side_only_and_hanging_up_ends_it_for_both(accepted, oli, cam):
    officer, first = await joined(accepted.pk, oli)
    assert first["kind"] == "joined" and first["peer_present"] is False
    clinician, second = await joined(accepted.pk, cam)
    assert second["peer_present"] is True
    # The one already in hears the other arrive (and makes the offer).
    assert (await officer.receive_json_from(timeout=5))["kind"] == "peer-joined"

    offer = {"description": {"type": "offer", "sdp": "v=0\r\n"}}
    await officer.send_json_to({"kind": "signal", "data": offer})
    assert await clinician.receive_json_from(timeout=5) == {"kind": "signal", "data": offer}
    assert await officer.receive_nothing(timeout=0.3)  # not echoed
    candidate = {"candidate": {"candidate": "candidate:1 1 udp 1 10.0.0.2 5000 typ host", "sdpMid": "0"}}
    await clinician.send_json_to({"kind": "signal", "data": candidate})
    assert await officer.receive_json_from(timeout=5) == {"kind": "signal", "data": candidate}

    # Anything else is refused with a message, and relayed to nobody.
    for bad in ({"sdp": "x"}, "text", {"description": "x" * 70_000}, {"description": 1, "candidate": 2}):
        await officer.send_json_to({"kind": "signal", "data": bad})
        assert (await officer.receive_json_from(timeout=5))["kind"] == "error"
    assert await clinician.receive_nothing(timeout=0.3)

    await clinician.send_json_to({"kind": "hangup"})
    mine = await clinician.receive_json_from(timeout=5)
    theirs = await officer.receive_json_from(timeout=5)
    assert mine["kind"] == theirs["kind"] == "ended" and theirs["data"]["by"] == "Cam"
    session = await sync_to_async(VideoSession.objects.get)()
    assert session.end_reason == "hung_up" and session.ended_by_id == cam.pk and session.connected_at
    await officer.disconnect()
    await clinician.disconnect()


async def test_a_dropped_socket_ends_the_session_and_the_other_side_hears_it(accepted, oli, cam):
    officer, _ = await joined(accepted.pk, oli)
    clinician, _ = await joined(accepted.pk, cam)
    await officer.receive_json_from(timeout=5)  # peer-joined
    await clinician.disconnect()
    left = await officer.receive_json_from(timeout=5)
    assert left["kind"] == "peer-left"
    session = await sync_to_async(VideoSession.objects.get)()
    assert session.end_reason == "dropped"
    consult = await sync_to_async(Consult.objects.get)()
    assert consult.video_seconds == session.duration_seconds
    await officer.disconnect()


async def test_signals_before_joining_are_refused(accepted, oli):
    comm, connected, _ = await connect(accepted.pk, oli)
    await comm.receive_json_from(timeout=5)
    await comm.send_json_to({"kind": "signal", "data": {"candidate": {}}})
    assert (await comm.receive_json_from(timeout=5)) == {"kind": "error", "message": "Join the call first."}
    await comm.send_json_to([1, 2])
    assert (await comm.receive_json_from(timeout=5))["kind"] == "error"
    await comm.disconnect()
