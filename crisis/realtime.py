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
import threading
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


# --- sequence numbers ------------------------------------------------------
# One counter per group: a dashboard subscribed to dispatch.central must not
# mistake another region's events for a gap in its own stream. A client
# tracks the last number it saw per group; the REST snapshot returns the
# numbers current when it was read (see `current_seqs`).
_local_seqs: dict[str, int] = {}
_local_lock = threading.Lock()
_redis = None


def _redis_client():
    global _redis
    if _redis is None:
        import redis

        _redis = redis.Redis.from_url(settings.REDIS_URL)
    return _redis


def _seq_key(group: str) -> str:
    return f"{settings.CHANNEL_LAYERS['default'].get('CONFIG', {}).get('prefix', 'crisis')}:event-seq:{group}"


def next_seqs(groups: list[str]) -> dict[str, int]:
    if settings.REDIS_URL:
        pipe = _redis_client().pipeline(transaction=False)
        for group in groups:
            pipe.incr(_seq_key(group))
        return {group: int(n) for group, n in zip(groups, pipe.execute(), strict=True)}
    with _local_lock:
        out = {}
        for group in groups:
            _local_seqs[group] = _local_seqs.get(group, 0) + 1
            out[group] = _local_seqs[group]
        return out


def next_seq(group: str = "all") -> int:
    return next_seqs([group])[group]


def current_seqs(groups: list[str]) -> dict[str, int]:
    """The last sequence number sent to each group. Read it *before* querying a snapshot:
    any event numbered at or below it was committed before the query ran."""
    if settings.REDIS_URL:
        values = _redis_client().mget([_seq_key(g) for g in groups]) if groups else []
        return {g: int(v or 0) for g, v in zip(groups, values, strict=True)}
    with _local_lock:
        return {g: _local_seqs.get(g, 0) for g in groups}


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
            seqs = next_seqs(groups)
        except Exception:  # Redis down: the write committed; clients resync when it returns
            log.exception("could not number realtime event %s", kind)
            return
        at = timezone.now().isoformat()
        base = {"type": "crisis.event", "kind": kind, "at": at, "data": data}
        _send_now({group: base | {"group": group, "seq": seqs[group]} for group in groups})

    transaction.on_commit(_go, robust=True)
