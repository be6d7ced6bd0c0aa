"""The consult sockets.

/ws/programs/le_consult/: an officer's and a clinician's own inbox, supervisors' oversight (the board's protocol).
/ws/programs/le_consult/video/<id>/: the signalling of one consult's video call. Only the consult's officer and
the clinician handling it get in, while the consult is in progress; the socket relays the browsers' offer,
answer and ICE candidates to the other side (crisis.realtime rooms) and turns join, hang-up and a dropped
socket into the services that record the session (audited, duration on the consult).
"""

from __future__ import annotations

import asyncio
import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import PermissionDenied

from crisis import permissions, realtime
from crisis.errors import DomainError
from crisis.sockets import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED, SESSION_CHECK_SECONDS, LiveConsumer, _session_alive

from . import services
from .models import Consult, ConsultStatus, VideoEnd

# An SDP offer with every codec is a few kB; a candidate a few hundred bytes.
SIGNAL_MAX_BYTES = 64 * 1024
CLOSE_NOT_IN_PROGRESS = 4409


class ConsultConsumer(LiveConsumer):
    read_action = "le_consult.stream.opened"  # the consult's person, description and messages

    def groups_for(self, user):
        return permissions.consult_stream_groups_for(user)


def _may_join(user, consult_id: int) -> tuple[bool, bool]:
    """(may join, consult in progress), read in a thread."""
    consult = Consult.objects.filter(pk=consult_id).first()
    if consult is None or not permissions.may_join_consult_video.test(user, consult):
        return False, False
    return True, consult.status == ConsultStatus.ACCEPTED


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


class VideoConsumer(AsyncJsonWebsocketConsumer):
    room = ""
    joined = False

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.consult_id = int(self.scope["url_route"]["kwargs"]["pk"])
        may, in_progress = await database_sync_to_async(_may_join)(user, self.consult_id)
        if not may:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        if not in_progress:
            await self.close(code=CLOSE_NOT_IN_PROGRESS)
            return
        self.user = user
        self.room = f"consult-video.{self.consult_id}"
        await realtime.room_join(self.room, self.channel_name)
        # The user's own group carries `session.ended` (sign-out, revocation): the call ends with the session.
        await self.channel_layer.group_add(realtime.user_group(user.pk), self.channel_name)
        await self.accept()
        await self.send_json({"kind": "hello", "me": {"id": user.pk, "name": _name(user)}})
        self._watch = asyncio.ensure_future(self._watch_session(user.pk))

    async def disconnect(self, code):
        watch = getattr(self, "_watch", None)
        if watch:
            watch.cancel()
        if not self.room:
            return
        if self.joined:
            self.joined = False
            await self._end(VideoEnd.DROPPED)
            await realtime.room_relay(self.room, "peer-left", {"name": _name(self.user)}, sender=self.channel_name)
        await realtime.room_leave(self.room, self.channel_name)
        await self.channel_layer.group_discard(realtime.user_group(self.user.pk), self.channel_name)

    async def receive_json(self, content, **kwargs):
        kind = content.get("kind") if isinstance(content, dict) else None
        if kind == "ping":
            await self.send_json({"kind": "pong"})
        elif kind == "join":
            await self._join()
        elif kind == "signal":
            await self._signal(content.get("data"))
        elif kind == "hangup":
            await self._hang_up()
        else:
            await self.send_json({"kind": "error", "message": "Unknown message."})

    async def _join(self):
        try:
            session, other_in = await database_sync_to_async(self._join_sync)()
        except DomainError as exc:  # the consult was closed meanwhile, a race lost
            await self.send_json({"kind": "error", "message": exc.message})
            return
        except PermissionDenied as exc:  # the consult was taken over by someone else
            await self.send_json({"kind": "error", "message": str(exc)})
            return
        self.joined = True
        await self.send_json({"kind": "joined", "session": session.pk, "peer_present": other_in})
        # Whoever is already in makes the offer when the other side arrives (one offerer: no glare). Told only
        # when the other side is in, so a late copy cannot reach someone who joined after it and make two offers.
        if other_in:
            await realtime.room_relay(self.room, "peer-joined", {"name": _name(self.user)}, sender=self.channel_name)

    def _join_sync(self):
        consult = Consult.objects.get(pk=self.consult_id)
        return services.video_session_join(consult=consult, by=self.user)

    async def _signal(self, data):
        if not self.joined:
            await self.send_json({"kind": "error", "message": "Join the call first."})
            return
        valid = isinstance(data, dict) and set(data) <= {"description", "candidate"} and len(data) == 1
        if not valid or len(json.dumps(data)) > SIGNAL_MAX_BYTES:
            await self.send_json({"kind": "error", "message": "Not a session description or an ICE candidate."})
            return
        await realtime.room_relay(self.room, "signal", data, sender=self.channel_name)

    async def _hang_up(self):
        if not self.joined:
            return
        self.joined = False
        session = await self._end(VideoEnd.HUNG_UP)
        ended = {"by": _name(self.user), "duration_seconds": session.duration_seconds if session else 0}
        await self.send_json({"kind": "ended"} | {"data": ended})
        await realtime.room_relay(self.room, "ended", ended, sender=self.channel_name)

    async def _end(self, reason: str):
        def end():
            consult = Consult.objects.get(pk=self.consult_id)
            return services.video_session_end(consult=consult, by=self.user, reason=reason)

        return await database_sync_to_async(end)()

    async def crisis_relay(self, message):
        if message.get("sender") == self.channel_name:
            return
        await self.send_json({"kind": message.get("kind"), "data": message.get("data")})
        if message.get("kind") == "ended":
            self.joined = False

    async def crisis_event(self, message):
        if message.get("kind") == "session.ended":
            await self.close(code=CLOSE_UNAUTHENTICATED)

    async def _watch_session(self, user_id: int):
        key = getattr(self.scope.get("session"), "session_key", None)
        try:
            while True:
                await asyncio.sleep(SESSION_CHECK_SECONDS)
                if not await _session_alive(key, user_id):
                    await self.close(code=CLOSE_UNAUTHENTICATED)
                    return
        except asyncio.CancelledError:
            pass
