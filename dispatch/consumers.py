"""Websocket edge: authenticate, check the role, join the right groups, forward events.

Consumers never query per event: group membership is decided once on
connect, and each event already carries what the screen needs.
"""

from __future__ import annotations

import asyncio
from importlib import import_module

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from . import events

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_SLOW = 4408
# Past this many events waiting to be written to one socket, the client is
# too slow: close it (it resynchronises from a snapshot on reconnect)
# rather than let its backlog grow memory without bound.
MAX_BACKLOG = 200
SESSION_CHECK_SECONDS = 15


@database_sync_to_async
def _groups_for(user) -> list[str] | None:
    if user.has_perm("dispatch.view_queue"):
        groups = [events.dispatch_group(user.region), events.user_group(user.pk)]
        if user.has_perm("crisis.view_reports"):
            groups.append(events.SUPERVISORS_GROUP)
        return groups
    if user.has_perm("responders.update_own_team"):
        membership = getattr(user, "membership", None)
        if membership is None or not membership.active:
            return None
        return [events.team_group(membership.team_id), events.user_group(user.pk)]
    return None


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


class BoardConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: list[str]

    async def connect(self):
        user = self.scope.get("user")
        self.groups_joined = []
        self._backlog = 0
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        groups = await _groups_for(user)
        if not groups:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = groups
        await self.accept()
        await self.send_json({"kind": "hello", "groups": [g for g in groups if not g.startswith("user.")]})
        self._watch = asyncio.ensure_future(self._watch_session(user.pk))

    async def disconnect(self, code):
        watch = getattr(self, "_watch", None)
        if watch:
            watch.cancel()
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        # The board is push-only; a ping keeps proxies from closing an idle socket.
        if content.get("kind") == "ping":
            await self.send_json({"kind": "pong"})

    async def crisis_event(self, message):
        if message.get("kind") == "session.ended":
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self._backlog += 1
        try:
            if self._backlog > MAX_BACKLOG:
                await self.close(code=CLOSE_TOO_SLOW)
                return
            await self.send_json({k: message[k] for k in ("kind", "seq", "at", "data")})
        finally:
            self._backlog -= 1

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
