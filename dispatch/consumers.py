"""Websocket edge: authenticate, check the role, join the right groups, forward realtime.

Consumers never query per event: group membership is decided once on
connect, and each event already carries the full row the screen redraws.
A client that connects (or sees a gap in a group's sequence numbers, or another
epoch) loads the REST snapshot (/api/board/ or /api/my-team/) and resumes from
it. Every HEARTBEAT_SECONDS the socket also gets a heartbeat frame with the
current epoch and numbers (and, for a dispatch desk, whether automatic routing
runs), so a client that missed the last event, or whose counters were reset by
a Redis restart, notices within seconds instead of staying silently behind.
"""

from __future__ import annotations

import asyncio
import logging
from importlib import import_module

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from crisis import permissions, realtime

log = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_SLOW = 4408
# channels-redis's pub/sub layer queues every message for a socket in an
# unbounded asyncio.Queue. Past this many messages waiting for one socket,
# its client is too slow (or its network stalled): close it, and it
# resynchronises from a snapshot on reconnect, instead of letting its
# backlog grow the server's memory without bound.
MAX_BACKLOG = 200
SESSION_CHECK_SECONDS = 15
HEARTBEAT_SECONDS = 5.0


@database_sync_to_async
def _groups_for(user) -> list[str] | None:
    return permissions.stream_groups_for(user)


@database_sync_to_async
def _heartbeat_frame(groups: list[str], with_routing: bool) -> dict:
    from . import health

    epoch, seq = realtime.current_position(realtime.stream_groups(groups))
    frame = {"kind": "heartbeat", "epoch": epoch, "seq": seq}
    if with_routing:
        frame["routing"] = health.routing_health()
    return frame


@database_sync_to_async
def _session_alive(session_key: str | None, user_id: int) -> bool:
    from django.contrib.auth import SESSION_KEY

    if not session_key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    if not store.exists(session_key):
        return False
    # load() returns an empty session once it has expired.
    return str(store.load().get(SESSION_KEY)) == str(user_id)


def pending_messages(layer, channel_name: str) -> int:
    """How many messages wait in the channel layer for this socket (0 if the layer does not say)."""
    try:
        if hasattr(layer, "_get_layer"):  # channels_redis.pubsub: one loop layer per event loop
            queue = layer._get_layer().channels.get(channel_name)
        else:  # InMemoryChannelLayer (bounded by its own capacity anyway)
            queue = layer.channels.get(channel_name)
        return queue.qsize() if queue is not None else 0
    except Exception:  # a layer without these internals: no guard rather than a crash
        return 0


class BoardConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: list[str]

    async def connect(self):
        user = self.scope.get("user")
        self.groups_joined = []
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        groups = await _groups_for(user)
        if not groups:
            # Officers and users without a role hear nothing from these groups.
            await self.close(code=CLOSE_FORBIDDEN)
            return
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = groups
        await self.accept()
        # Subscribed first, then told: a snapshot loaded after "hello" misses nothing.
        await self.send_json({"kind": "hello", "groups": realtime.stream_groups(groups)})
        self._watch = asyncio.ensure_future(self._watch_session(user.pk))
        self._beat = asyncio.ensure_future(self._heartbeat(user.has_perm("dispatch.view_queue")))

    async def disconnect(self, code):
        for task in (getattr(self, "_watch", None), getattr(self, "_beat", None)):
            if task:
                task.cancel()
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        # The board is push-only; a ping lets the client notice a dead socket
        # and keeps proxies from closing an idle one.
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
        # Logging out elsewhere or the session expiring closes the socket.
        session = self.scope.get("session")
        key = getattr(session, "session_key", None)
        try:
            while True:
                await asyncio.sleep(SESSION_CHECK_SECONDS)
                if not await _session_alive(key, user_id):
                    await self.close(code=CLOSE_UNAUTHENTICATED)
                    return
        except asyncio.CancelledError:
            pass

    async def _heartbeat(self, with_routing: bool):
        try:
            while True:
                await asyncio.sleep(HEARTBEAT_SECONDS)
                try:
                    frame = await _heartbeat_frame(self.groups_joined, with_routing)
                except Exception:  # Redis down: no frame; the client's ping timeout notices a dead stream
                    log.warning("no heartbeat frame for %s", self.channel_name, exc_info=True)
                    continue
                await self.send_json(frame)
        except asyncio.CancelledError:
            pass
