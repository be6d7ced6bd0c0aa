"""The one door to the realtime layer.

Services call `publish`; the message goes out only after the surrounding
transaction commits (so no screen ever shows a change that was rolled back),
stamped with a per-group, monotonically increasing sequence number that lets a client
detect a gap and resynchronise from a REST snapshot. Nothing else touches the
channel layer.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.utils import timezone

log = logging.getLogger(__name__)

SUPERVISORS_GROUP = "supervisors"


def dispatch_group(region: str) -> str:
    return f"dispatch.{region}"


def team_group(team_id: int) -> str:
    return f"team.{team_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


# Supervisors' oversight stream: break-the-glass lookups and escalated officer consults, at once.
OVERSIGHT_GROUP = "oversight"


def inbox_group(user_id: int) -> str:
    """One person's own work stream (an officer's consults, a clinician's consult requests)."""
    return f"inbox.{user_id}"


# --- sequence numbers ------------------------------------------------------
# One counter per group: a dashboard subscribed to dispatch.central must not
# mistake another region's events for a gap in its own stream. A client
# tracks the last number it saw per group; the REST snapshot returns the
# numbers current when it was read (see `current_seqs`).
#
# The numbers restart at 1 whenever the counter store does (Redis restarted
# without its data; in the embedded mode, the process). So every number comes
# with the store's *epoch*, a random id kept next to the counters and created
# with SET NX when missing: a client that sees another epoch resynchronises
# instead of dropping "old" numbers (the boards went silently blind before).
_local_seqs: dict[str, int] = {}
_local_epoch = secrets.token_hex(8)
_local_lock = threading.Lock()
_redis = None


def _redis_client():
    global _redis
    if _redis is None:
        import redis

        _redis = redis.Redis.from_url(settings.REDIS_URL)
    return _redis


def _key_prefix() -> str:
    return settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix", "crisis")


def _seq_key(group: str) -> str:
    return f"{_key_prefix()}:event-seq:{group}"


def _epoch_key() -> str:
    return f"{_key_prefix()}:event-epoch"


def _epoch_first(pipe) -> None:
    """Queue SET NX + GET of the epoch at the head of a MULTI, so it and the counters are read together."""
    pipe.set(_epoch_key(), secrets.token_hex(8), nx=True)
    pipe.get(_epoch_key())


def next_position(groups: list[str]) -> tuple[str, dict[str, int]]:
    """The epoch and the next sequence number of each group (one MULTI: a restart cannot split them)."""
    if settings.REDIS_URL:
        pipe = _redis_client().pipeline(transaction=True)
        _epoch_first(pipe)
        for group in groups:
            pipe.incr(_seq_key(group))
        _, epoch, *numbers = pipe.execute()
        return epoch.decode(), {group: int(n) for group, n in zip(groups, numbers, strict=True)}
    with _local_lock:
        out = {}
        for group in groups:
            _local_seqs[group] = _local_seqs.get(group, 0) + 1
            out[group] = _local_seqs[group]
        return _local_epoch, out


def next_seqs(groups: list[str]) -> dict[str, int]:
    return next_position(groups)[1]


def next_seq(group: str = "all") -> int:
    return next_seqs([group])[group]


def current_position(groups: list[str]) -> tuple[str, dict[str, int]]:
    """The epoch and the last sequence number sent to each group. Read it *before* querying a
    snapshot: any event numbered at or below it (in this epoch) was committed before the query ran."""
    if settings.REDIS_URL:
        pipe = _redis_client().pipeline(transaction=True)
        _epoch_first(pipe)
        if groups:
            pipe.mget([_seq_key(g) for g in groups])
        _, epoch, *rest = pipe.execute()
        values = rest[0] if groups else []
        return epoch.decode(), {g: int(v or 0) for g, v in zip(groups, values, strict=True)}
    with _local_lock:
        return _local_epoch, {g: _local_seqs.get(g, 0) for g in groups}


def current_seqs(groups: list[str]) -> dict[str, int]:
    return current_position(groups)[1]


def stream_groups(groups: list[str]) -> list[str]:
    """The groups whose events carry data (the per-user group only signals sign-out)."""
    return [g for g in groups if not g.startswith("user.")]


# --- embedded mode ------------------------------------------------------------
# In the embedded mode the Celery worker runs in the web server's process and
# the in-memory channel layer lives on the server's event loop; messages from
# the worker's threads must be handed to that loop.
_server_loop: asyncio.AbstractEventLoop | None = None


def set_server_loop(loop: asyncio.AbstractEventLoop | None) -> None:
    global _server_loop
    _server_loop = loop


def _send_now(messages: dict[str, dict[str, Any]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return

    async def _fan_out():
        for group, message in messages.items():
            await layer.group_send(group, message)

    try:
        if _server_loop is not None and _server_loop.is_running() and not _on_loop(_server_loop):
            asyncio.run_coroutine_threadsafe(_fan_out(), _server_loop).result(timeout=5)
        elif _loop_running_here():
            # Sync code called from inside an event loop's thread (a shell or a
            # test driving a browser): async_to_sync refuses to block that loop.
            worker = threading.Thread(target=async_to_sync(_fan_out), name="publish")
            worker.start()
            worker.join(timeout=5)
        else:
            async_to_sync(_fan_out)()
    except Exception:  # a dead realtime layer must never break the write that already committed
        log.exception("realtime publish failed for %s", next(iter(messages.values()), {}).get("kind"))


def _loop_running_here() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def publish(kind: str, data: dict[str, Any], *, groups: list[str]) -> None:
    """Send an event to the given groups once the current transaction commits."""

    groups = list(dict.fromkeys(groups))

    def _go():
        try:
            epoch, seqs = next_position(groups)
        except Exception:  # Redis down: the write committed; clients resync when it returns
            log.exception("could not number realtime event %s", kind)
            _note_missed(groups)
            return
        at = timezone.now().isoformat()
        base = {"type": "crisis.event", "kind": kind, "at": at, "epoch": epoch, "data": data}
        _send_now({group: base | {"group": group, "seq": seqs[group]} for group in groups})

    transaction.on_commit(_go, robust=True)


# --- rooms: relays between the sockets of one conversation ----------------------------------------------
# A WebRTC call's signalling (offer, answer, ICE candidates, hang-up) changes no stored state: it is handed at
# once to the other sockets in the room, with no sequence number (a lost candidate is renegotiated by the
# browsers, never resynchronised from a snapshot) and no commit to wait for. The facts about the call (who
# joined, how long) are written by services and published as events, as everywhere else.


def room_group(name: str) -> str:
    return f"room.{name}"


async def room_join(room: str, channel_name: str) -> None:
    await get_channel_layer().group_add(room_group(room), channel_name)


async def room_leave(room: str, channel_name: str) -> None:
    await get_channel_layer().group_discard(room_group(room), channel_name)


async def room_relay(room: str, kind: str, data: dict[str, Any], *, sender: str) -> None:
    """Hand a message to every socket in the room but the sender's (consumers: `crisis_relay`)."""
    message = {"type": "crisis.relay", "kind": kind, "data": data, "sender": sender}
    await get_channel_layer().group_send(room_group(room), message)


# --- committed but never published ----------------------------------------------
# An event that could not even be numbered (Redis unreachable) leaves no trace a client could notice: the
# counters did not move, and if Redis comes back with its data (a blip, a pause, a restart with persistence)
# the epoch does not change either, so every board would stay silently behind. So the process remembers how
# many events each group missed and, as soon as Redis answers again, moves those counters on by as many:
# the next heartbeat frame shows every client of those groups a number it never received, and it reloads the
# snapshot (which holds the committed change). A process killed before Redis returns forgets its misses.
MISSED_RETRY_SECONDS = 1.0
_missed: dict[str, int] = {}
_missed_lock = threading.Lock()
_missed_reporter: threading.Thread | None = None


def _note_missed(groups: list[str]) -> None:
    global _missed_reporter
    if not settings.REDIS_URL:
        return  # the embedded counters live in this process and cannot be unreachable
    with _missed_lock:
        for group in groups:
            _missed[group] = _missed.get(group, 0) + 1
        if _missed_reporter is None:
            _missed_reporter = threading.Thread(target=_report_missed_until_done, name="realtime-missed", daemon=True)
            _missed_reporter.start()


def report_missed() -> dict[str, int]:
    """Move each group's counter past the events it missed; returns what was reported (raises while Redis is away)."""
    with _missed_lock:
        pending = dict(_missed)
    if not pending:
        return {}
    pipe = _redis_client().pipeline(transaction=True)
    _epoch_first(pipe)
    for group, count in pending.items():
        pipe.incrby(_seq_key(group), count)
    pipe.execute()
    with _missed_lock:
        for group, count in pending.items():
            left = _missed.get(group, 0) - count
            if left > 0:
                _missed[group] = left
            else:
                _missed.pop(group, None)
    log.warning("realtime: reported %s event(s) missed while Redis was unreachable", sum(pending.values()))
    return pending


def _report_missed_until_done() -> None:
    global _missed_reporter
    while True:
        time.sleep(MISSED_RETRY_SECONDS)
        try:
            report_missed()
        except Exception:  # still unreachable: try again
            log.debug("realtime: Redis still unreachable; %s group(s) wait", len(_missed), exc_info=True)
        with _missed_lock:
            if not _missed:
                _missed_reporter = None
                return
