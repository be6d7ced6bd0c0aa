"""The one door to the realtime layer.

Services call `publish`; the message goes out only after the surrounding
transaction commits (so no screen ever shows a change that was rolled back),
stamped with a monotonically increasing sequence number that lets a client
detect a gap and resynchronise from a REST snapshot. Nothing else touches the
channel layer.
"""

from __future__ import annotations

import asyncio
import itertools
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
_local_seq = itertools.count(1)
_local_lock = threading.Lock()
_redis = None


def next_seq() -> int:
    global _redis
    if settings.REDIS_URL:
        if _redis is None:
            import redis

            _redis = redis.Redis.from_url(settings.REDIS_URL)
        return int(_redis.incr(f"{settings.CHANNEL_LAYERS['default']['CONFIG'].get('prefix', 'crisis')}:event-seq"))
    with _local_lock:
        return next(_local_seq)


# --- embedded mode ------------------------------------------------------------
# In the embedded mode the Celery worker runs in the web server's process and
# the in-memory channel layer lives on the server's event loop; messages from
# the worker's threads must be handed to that loop.
_server_loop: asyncio.AbstractEventLoop | None = None


def set_server_loop(loop: asyncio.AbstractEventLoop | None) -> None:
    global _server_loop
    _server_loop = loop


def _send_now(groups: list[str], message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return

    async def _fan_out():
        for group in groups:
            await layer.group_send(group, message)

    try:
        if _server_loop is not None and _server_loop.is_running() and not _on_loop(_server_loop):
            asyncio.run_coroutine_threadsafe(_fan_out(), _server_loop).result(timeout=5)
        else:
            async_to_sync(_fan_out)()
    except Exception:  # a dead realtime layer must never break the write that already committed
        log.exception("realtime publish failed for %s", message.get("kind"))


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def publish(kind: str, data: dict[str, Any], *, groups: list[str]) -> None:
    """Send an event to the given groups once the current transaction commits."""

    def _go():
        message = {
            "type": "crisis.event",
            "kind": kind,
            "seq": next_seq(),
            "at": timezone.now().isoformat(),
            "data": data,
        }
        _send_now(groups, message)

    transaction.on_commit(_go, robust=True)
