"""Is automatic routing running? The worker's heartbeat, and what the boards are told.

Beat sends `dispatch.tasks.heartbeat` every WORKER_HEARTBEAT_INTERVAL_SECONDS and a worker stamps the
time here, so a fresh stamp means the whole path a routing job takes (scheduler, broker, worker) works.
When the stamp is older than WORKER_HEARTBEAT_STALE_SECONDS the boards say "automatic routing paused
since hh:mm — assign teams manually": a dead worker must never look like a quiet night.

The stamp lives next to the other live counters (Redis; in the embedded mode, this process, where the
worker runs as threads). Each process remembers the last stamp it read, so "since" survives Redis
being down or restarted empty.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from typing import Any

from django.conf import settings
from django.utils import timezone

log = logging.getLogger(__name__)

_local: dict[str, Any] = {}
_lock = threading.Lock()
_last_seen: dict[str, Any] = {}
_redis = None


def _client():
    global _redis
    if _redis is None:
        import redis

        _redis = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    return _redis


def _key() -> str:
    prefix = settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix", "crisis")
    return f"{prefix}:routing-heartbeat"


def routing_heartbeat_record(*, worker: str, at: dt.datetime | None = None) -> None:
    """Stamp "a worker ran a task just now" (called by the periodic heartbeat task)."""
    stamp = {"at": (at or timezone.now()).isoformat(), "worker": worker}
    if settings.REDIS_URL:
        _client().set(_key(), json.dumps(stamp))
    else:
        with _lock:
            _local.update(stamp)


def _read_stamp() -> dict[str, Any] | None:
    if settings.REDIS_URL:
        raw = _client().get(_key())
        return json.loads(raw) if raw else None
    with _lock:
        return dict(_local) or None


def routing_health(now: dt.datetime | None = None) -> dict[str, Any]:
    """{"paused": bool, "since": ISO time of the last heartbeat or None, "stale_after_seconds": n}."""
    now = now or timezone.now()
    stale_after = settings.WORKER_HEARTBEAT_STALE_SECONDS
    try:
        stamp = _read_stamp()
    except Exception:  # Redis down: so is the broker, so routing is paused; say since when we last knew
        log.warning("could not read the routing heartbeat", exc_info=True)
        stamp = None
    key = _key()
    if stamp:
        _last_seen[key] = stamp
    else:
        stamp = _last_seen.get(key)
    last = dt.datetime.fromisoformat(stamp["at"]) if stamp else None
    paused = last is None or (now - last).total_seconds() > stale_after
    return {"paused": paused, "since": last.isoformat() if last else None, "stale_after_seconds": stale_after}
