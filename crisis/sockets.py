"""A push-only websocket over the realtime door, with the board's resync rules, for any live screen.

Subclasses say which groups a user joins (`groups_for`, None: refused). On connect the socket joins them,
then says "hello" (a snapshot loaded after it misses nothing); every HEARTBEAT_SECONDS it sends the epoch
and the last sequence numbers, so a client that missed the last event or whose counters were reset notices
within seconds; it closes when the session ends (logout elsewhere, expiry, idle logoff) and when a slow
client's backlog passes MAX_BACKLOG. The protocol is the one `static/js/live.js` speaks.

The dispatch board and phone (dispatch/consumers.py) and the officer consults use it.
"""

from __future__ import annotations

import asyncio
import logging
from importlib import import_module

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from . import realtime

log = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_SLOW = 4408
MAX_BACKLOG = 200
SESSION_CHECK_SECONDS = 15
HEARTBEAT_SECONDS = 5.0


@database_sync_to_async
def _session_alive(session_key: str | None, user_id: int) -> bool:
    from django.contrib.auth import SESSION_KEY

    if not session_key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    if not store.exists(session_key):
        return False
    return str(store.load().get(SESSION_KEY)) == str(user_id)


@database_sync_to_async
def _mfa_missing(user, session) -> bool:
    """A session that has not done its two-step sign-in gets no stream (crisis.middleware.MfaRequiredMiddleware)."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from .mfa import mfa_required_for

    return mfa_required_for(user) and not (session is not None and session.get(DEVICE_ID_SESSION_KEY))


def pending_messages(layer, channel_name: str) -> int:
    try:
        if hasattr(layer, "_get_layer"):  # channels_redis.pubsub
            queue = layer._get_layer().channels.get(channel_name)
        else:
            queue = layer.channels.get(channel_name)
        return queue.qsize() if queue is not None else 0
    except Exception:  # a layer without these internals: no guard rather than a crash
        return 0


class LiveConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: list[str]

    def groups_for(self, user) -> list[str] | None:  # runs in a thread: may query
        raise NotImplementedError

    def heartbeat_extra(self, user) -> dict:  # runs in a thread: may query
        """More fields for the heartbeat frame (the board adds whether automatic routing runs)."""
        return {}

    def _heartbeat_frame(self, user) -> dict:
        epoch, seq = realtime.current_position(realtime.stream_groups(self.groups_joined))
        return {"kind": "heartbeat", "epoch": epoch, "seq": seq} | self.heartbeat_extra(user)

    async def connect(self):
        user = self.scope.get("user")
        self.groups_joined = []
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if await _mfa_missing(user, self.scope.get("session")):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        groups = await database_sync_to_async(self.groups_for)(user)
        if not groups:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = groups
        await self.accept()
        await self.send_json({"kind": "hello", "groups": realtime.stream_groups(groups)})
        self._watch = asyncio.ensure_future(self._watch_session(user.pk))
        self._beat = asyncio.ensure_future(self._heartbeat(user))

    async def disconnect(self, code):
        for task in (getattr(self, "_watch", None), getattr(self, "_beat", None)):
            if task:
                task.cancel()
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("kind") == "ping":
            await self.send_json({"kind": "pong"})

    async def crisis_event(self, message):
        if message.get("kind") == "session.ended":
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if pending_messages(self.channel_layer, self.channel_name) > MAX_BACKLOG:
            await self.close(code=CLOSE_TOO_SLOW)
            return
        await self.send_json({k: message.get(k) for k in ("kind", "group", "epoch", "seq", "at", "data")})

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

    async def _heartbeat(self, user):
        try:
            while True:
                await asyncio.sleep(HEARTBEAT_SECONDS)
                try:
                    frame = await database_sync_to_async(self._heartbeat_frame)(user)
                except Exception:  # Redis down: no frame; the client's ping timeout notices a dead stream
                    log.warning("no heartbeat frame for %s", self.channel_name, exc_info=True)
                    continue
                await self.send_json(frame)
        except asyncio.CancelledError:
            pass
