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
import json
import logging
import time
from collections import OrderedDict
from importlib import import_module

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from . import middleware, realtime

log = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_SLOW = 4408
MAX_BACKLOG = 200
SESSION_CHECK_SECONDS = 15
HEARTBEAT_SECONDS = 5.0


# The longest an open socket trusts its session without reading it again (defence in depth: sign-out,
# revocation and role changes are pushed as `session.ended` at once; idle and absolute expiry are
# checked at the moment they could happen, see `_session_left`).
SESSION_RECHECK_MAX_SECONDS = 300


def _session_seconds_left(session_key: str | None, user_id: int) -> float | None:
    """None when the session is over (or another user's); else the seconds until it could end at the
    earliest (its idle limit from the last activity stamp, or its absolute expiry)."""
    from django.contrib.auth import SESSION_KEY

    from .sessions import ACTIVE_AT, clock

    if not session_key:
        return None
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    # One read: an unknown, expired or idle session (crisis.sessions) loads as empty.
    data = store.load()
    if str(data.get(SESSION_KEY)) != str(user_id):
        return None
    # The row's absolute expiry moves with every save; the cookie age is its upper bound.
    left = float(settings.SESSION_COOKIE_AGE)
    idle = settings.SESSION_IDLE_SECONDS
    if idle > 0 and data.get(ACTIVE_AT) is not None:
        left = min(left, data[ACTIVE_AT] + idle - clock())
    return max(0.0, left)


@database_sync_to_async
def _session_alive(session_key: str | None, user_id: int) -> bool:
    return _session_seconds_left(session_key, user_id) is not None


_session_left = database_sync_to_async(_session_seconds_left)


# --- heartbeat positions, shared by every socket of this process ------------------------------------
# Every socket sent a heartbeat every HEARTBEAT_SECONDS, each through a thread hop and a Redis round
# trip: 500 boards made 100 of each per second. Sockets with the same groups now share one reading per
# HEARTBEAT_SHARE_SECONDS. A shared reading may be older than an event a socket already delivered, and
# live.js resyncs when a counter goes backwards, so each group's number is raised to the highest this
# process has delivered (`_delivered`, updated as events pass through).
HEARTBEAT_SHARE_SECONDS = 1.0
_positions: dict[tuple, tuple[float, dict]] = {}
_delivered: dict[str, tuple[str, int]] = {}


def _share_window() -> float:
    # Less than a beat: each socket's next heartbeat reads afresh what changed since its last one (a
    # Redis restart's new epoch shows on the very next beat).
    return min(HEARTBEAT_SHARE_SECONDS, HEARTBEAT_SECONDS / 2)


def encode_frame(message: dict) -> str:
    """The text frame of one event, as live.js reads it."""
    return json.dumps({k: message.get(k) for k in ("kind", "group", "epoch", "seq", "at", "data")})


# An event reaches every socket of the group in this process (each with its own copy of the message):
# its text is encoded for the first and reused by the others. (group, epoch, seq) names one event.
_frames: OrderedDict[tuple, str] = OrderedDict()
FRAMES_KEPT = 256


def _frame_text(message: dict) -> str:
    key = (message.get("group"), message.get("epoch"), message.get("seq"))
    if key[2] is None:
        return encode_frame(message)
    text = _frames.get(key)
    if text is None:
        _note_delivered(message)
        text = _frames[key] = encode_frame(message)
        if len(_frames) > FRAMES_KEPT:
            _frames.popitem(last=False)
    return text


def _note_delivered(message: dict) -> None:
    group, epoch, seq = message.get("group"), message.get("epoch"), message.get("seq")
    if group and epoch and isinstance(seq, int):
        known = _delivered.get(group)
        if known is None or known[0] != epoch or known[1] < seq:
            _delivered[group] = (epoch, seq)


def _raised(frame: dict) -> dict:
    seq = dict(frame["seq"])
    for group, number in seq.items():
        known = _delivered.get(group)
        if known is not None and known[0] == frame["epoch"] and known[1] > number:
            seq[group] = known[1]
    return frame | {"seq": seq}


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


def _record_stream_opened(user, action: str, groups: list[str], ip: str | None) -> None:
    from . import audit

    token = audit.current_ip.set(ip)
    try:
        audit.record(actor=user, action=action, via="socket", groups=realtime.stream_groups(groups))
    finally:
        audit.current_ip.reset(token)


class LiveConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: list[str]
    # The audit action of opening this stream, for a socket whose events carry a person's data (a call's
    # address and nature, a caller's name, a consult's person, a hand-off naming its client). Its events are
    # the rows the screen's snapshot shows, pushed as they change, so each delivery is not a row of its own
    # (one row per event per socket would flood the trail): the row says who received which groups' stream,
    # from where, from when; what those groups carried is the timeline and audit of each write. Empty: the
    # socket carries no person data (tests/crisis/test_audit_completeness.py holds every socket to one or the other).
    read_action: str = ""

    def groups_for(self, user) -> list[str] | None:  # runs in a thread: may query
        raise NotImplementedError

    def heartbeat_extra(self, user) -> dict:  # runs in a thread: may query
        """More fields for the heartbeat frame (the board adds whether automatic routing runs)."""
        return {}

    def heartbeat_variant(self, user):  # runs in a thread: may query
        """What makes this user's heartbeat_extra differ from another's in the same groups (fixed for the
        socket's life: a role change closes it). Sockets with the same groups and variant share frames."""
        return None

    def _join_facts(self, user) -> tuple[list[str] | None, object]:
        groups = self.groups_for(user)
        return groups, (self.heartbeat_variant(user) if groups else None)

    def _heartbeat_frame(self, user) -> dict:
        epoch, seq = realtime.current_position(realtime.stream_groups(self.groups_joined))
        return {"kind": "heartbeat", "epoch": epoch, "seq": seq} | self.heartbeat_extra(user)

    async def _shared_heartbeat_frame(self, user) -> dict:
        key = (type(self), tuple(self.groups_joined), self._variant)
        now = time.monotonic()
        cached = _positions.get(key)
        if cached is None or now - cached[0] > _share_window():
            frame = await database_sync_to_async(self._heartbeat_frame)(user)
            _positions[key] = cached = (time.monotonic(), frame)
        return _raised(cached[1])

    async def connect(self):
        user = self.scope.get("user")
        self.groups_joined = []
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if await _mfa_missing(user, self.scope.get("session")):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        groups, self._variant = await database_sync_to_async(self._join_facts)(user)
        if not groups:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = groups
        await self.accept()
        if self.read_action:
            # Before the hello: nothing reaches the client until its stream is on the trail.
            await database_sync_to_async(_record_stream_opened)(
                user, self.read_action, groups, middleware.scope_ip(self.scope)
            )
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

    async def dispatch(self, message):
        # An event carries its whole row and needs no database: channels' dispatch would first hop to a
        # thread to close stale connections, for every event on every socket, all queued on one thread.
        if message.get("type") == "crisis.event":
            await self.crisis_event(message)
            return
        await super().dispatch(message)

    async def crisis_event(self, message):
        if message.get("kind") == "session.ended":
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if pending_messages(self.channel_layer, self.channel_name) > MAX_BACKLOG:
            await self.close(code=CLOSE_TOO_SLOW)
            return
        await self.send(text_data=_frame_text(message))

    async def _watch_session(self, user_id: int):
        """Read the session again when it could have ended (idle limit, expiry), not every few seconds:
        sign-out and revocation arrive as `session.ended` events at once."""
        key = getattr(self.scope.get("session"), "session_key", None)
        wait = SESSION_CHECK_SECONDS
        try:
            while True:
                await asyncio.sleep(wait)
                left = await _session_left(key, user_id)
                if left is None:
                    await self.close(code=CLOSE_UNAUTHENTICATED)
                    return
                wait = min(max(left + 1, SESSION_CHECK_SECONDS), SESSION_RECHECK_MAX_SECONDS)
        except asyncio.CancelledError:
            pass

    async def _heartbeat(self, user):
        try:
            while True:
                await asyncio.sleep(HEARTBEAT_SECONDS)
                try:
                    frame = await self._shared_heartbeat_frame(user)
                except Exception:  # Redis down: no frame; the client's ping timeout notices a dead stream
                    log.warning("no heartbeat frame for %s", self.channel_name, exc_info=True)
                    continue
                await self.send_json(frame)
        except asyncio.CancelledError:
            pass
