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
import os
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


# Care after the call: a team's stalled hand-offs that nobody owns, and the care supervisors' escalations.
CARE_SUPERVISORS_GROUP = "care.supervisors"


def care_team_group(team_id: int) -> str:
    return f"care.team.{team_id}"


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

        # Bounded: a paused Redis accepts the connection and never answers; without a timeout the thread
        # publishing after a commit (the one answering the request) waited as long as the pause lasted.
        timeout = settings.REALTIME_REDIS_TIMEOUT
        _redis = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=timeout, socket_connect_timeout=timeout)
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
    epoch, ranges = reserve_positions({group: 1 for group in groups})
    return epoch, {group: last for group, last in ranges.items()}


def reserve_positions(counts: dict[str, int]) -> tuple[str, dict[str, int]]:
    """The epoch and, per group, the last of `counts[group]` consecutive numbers taken for it: one
    MULTI (one round trip) for a whole transaction's events, however many groups and events."""
    groups = list(counts)
    if settings.REDIS_URL:
        pipe = _redis_client().pipeline(transaction=True)
        _epoch_first(pipe)
        for group in groups:
            pipe.incrby(_seq_key(group), counts[group])
        _, epoch, *numbers = pipe.execute()
        return epoch.decode(), {group: int(n) for group, n in zip(groups, numbers, strict=True)}
    with _local_lock:
        out = {}
        for group in groups:
            _local_seqs[group] = _local_seqs.get(group, 0) + counts[group]
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


def _send_now(messages: list[tuple[str, dict[str, Any]]]) -> None:
    """Send `messages` ((group, message) pairs, in order) now: a whole committed transaction's events at once."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return
    try:
        prefix = _direct_prefix(layer)
        if prefix is not None:
            _publish_direct(layer, prefix, messages)
            return

        async def _fan_out():
            for group, message in messages:
                await layer.group_send(group, message)

        if _server_loop is not None and _server_loop.is_running() and not _on_loop(_server_loop):
            _wait(asyncio.run_coroutine_threadsafe(_fan_out(), _server_loop))
        elif (loop := _publisher_loop(layer)) is not None:
            _wait(asyncio.run_coroutine_threadsafe(_fan_out(), loop))
        elif _loop_running_here():
            # Sync code called from inside an event loop's thread (a shell or a
            # test driving a browser): async_to_sync refuses to block that loop.
            worker = threading.Thread(target=async_to_sync(_fan_out), name="publish")
            worker.start()
            worker.join(timeout=5)
        else:
            async_to_sync(_fan_out)()
    except Exception:  # a dead realtime layer must never break the write that already committed
        log.exception("realtime publish failed for %s", messages[0][1].get("kind"))


# The Redis pub/sub layer's group_send is one PUBLISH of the serialized message to `<prefix>__group__<group>`,
# awaited on an event loop. Sent that way from the request's (or a task's) thread, each event of a transaction
# was a hop to the publisher loop's thread and a wait for its answer: ~3-5 ms an event under uvicorn, where
# that thread, the request's and the server's loop share one GIL (an intake's five events took ~20 ms before
# the offer went out). With one Redis server (ours, REDIS_URL), the same PUBLISHes go out from this thread in
# one pipeline on the counters' client: one round trip, in order (a subscriber sees one connection's
# publishes in the order sent). tests/crisis/test_realtime_direct.py checks a channels_redis subscriber reads
# them as it reads group_send's.
def _direct_prefix(layer) -> str | None:
    """The layer's channel prefix when its messages can be published directly, else None."""
    from .channel_layer import PubSubChannelLayer

    if type(layer) is not PubSubChannelLayer or not settings.REDIS_URL:
        return None
    config = settings.CHANNEL_LAYERS.get("default", {}).get("CONFIG", {})
    hosts = config.get("hosts") or []
    if len(hosts) != 1 or not isinstance(hosts[0], dict) or hosts[0].get("address") != settings.REDIS_URL:
        return None
    return config.get("prefix", "asgi")


def _publish_direct(layer, prefix: str, messages: list[tuple[str, dict[str, Any]]]) -> None:
    pipe = _redis_client().pipeline(transaction=False)
    for group, message in messages:
        pipe.publish(f"{prefix}__group__{group}", layer.serialize(message))
    pipe.execute()


def _wait(future) -> None:
    """Wait for a fan-out on another loop, not longer than a few Redis timeouts (the layer's own socket timeout
    normally ends it first); one that overruns is cancelled, so it cannot hold the layer's lock afterwards."""
    try:
        future.result(timeout=max(2.0, 3 * settings.REALTIME_REDIS_TIMEOUT))
    except TimeoutError:
        future.cancel()
        raise


# A process without a server loop (a Celery worker, a shell) sent each event through async_to_sync, which
# ran it on a new event loop: channels_redis keeps its Redis connections per loop, so every publish opened
# a new connection and subscribed afresh. One loop in a daemon thread per process keeps them.
_publisher: tuple[int, asyncio.AbstractEventLoop] | None = None
_publisher_lock = threading.Lock()


def _publisher_loop(layer) -> asyncio.AbstractEventLoop | None:
    global _publisher
    # Only a Redis layer: the in-memory one lives on the loop of the consumers that read it.
    if "redis" not in type(layer).__module__ or _loop_running_here():
        return None
    pid = os.getpid()
    with _publisher_lock:
        if _publisher is None or _publisher[0] != pid:  # none yet, or inherited through a fork (no thread)
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="realtime-publisher", daemon=True).start()
            _publisher = (pid, loop)
        return _publisher[1]


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
    """Send an event to the given groups once the current transaction commits.

    A transaction's events are numbered together after commit, in one Redis round trip, and sent in
    the order they were published; an event published inside a savepoint that rolls back is never sent.
    """
    event = (kind, data, list(dict.fromkeys(groups)))
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _send_events([event])  # autocommit: the write is already committed
        return
    _batch_for(connection).add(connection, event)


class _Batch:
    """One transaction's events. Each event has its own on-commit hook, which only marks it committed
    (Django drops the hooks of a rolled-back savepoint, so only surviving events are marked); one more
    hook, kept right after the last event's, sends them all."""

    def __init__(self, block):
        self.block = block
        self.committed: list[tuple[str, dict[str, Any], list[str]]] = []
        self.sids: set[str] | None = None
        self.done = False
        self.hook = self.send  # one bound method, so the hook can be found again by identity

    def add(self, connection, event) -> None:
        transaction.on_commit(lambda: self.committed.append(event), robust=True)
        # The send hook belongs to the savepoints every event of the batch is inside (their common
        # part): an inner savepoint rolling back drops its events, not the send of the others.
        here = set(connection.savepoint_ids)
        self.sids = here if self.sids is None else self.sids & here
        hooks = connection.run_on_commit
        for i in range(len(hooks) - 1, -1, -1):
            if hooks[i][1] is self.hook:
                del hooks[i]
                break
        hooks.append((set(self.sids), self.hook, True))

    def send(self) -> None:
        self.done = True
        _send_events(self.committed)


def _batch_for(connection) -> _Batch:
    # The transaction is the outermost atomic block (not counting a test case's wrapping blocks, which
    # never commit): its events make one batch.
    block = next((b for b in connection.atomic_blocks if not getattr(b, "_from_testcase", False)), None)
    batch = getattr(connection, "_realtime_batch", None)
    # Another block's batch, or one whose send hook has run or is gone (rolled back), is not this one.
    if (
        batch is None
        or batch.block is not block
        or batch.done
        or not any(hook[1] is batch.hook for hook in connection.run_on_commit)
    ):
        batch = connection._realtime_batch = _Batch(block)
    return batch


def _send_events(events: list[tuple[str, dict[str, Any], list[str]]]) -> None:
    if not events:
        return
    counts: dict[str, int] = {}
    for _, _, groups in events:
        for group in groups:
            counts[group] = counts.get(group, 0) + 1
    if _redis_known_away():
        # One request already waited out the timeout and the reporter is polling: the next ones do not wait
        # again. Their events are counted as missed like that first one's, and reported when Redis answers.
        _note_missed(counts)
        return
    try:
        epoch, last = reserve_positions(counts)
    except Exception:  # Redis down: the write committed; clients resync when it returns
        log.exception("could not number realtime events %s", ", ".join(kind for kind, _, _ in events))
        _note_missed(counts)
        return
    seq = {group: last[group] - counts[group] for group in counts}  # the number before this batch's first
    at = timezone.now().isoformat()
    messages = []
    for kind, data, groups in events:
        base = {"type": "crisis.event", "kind": kind, "at": at, "epoch": epoch, "data": data}
        for group in groups:
            seq[group] += 1
            messages.append((group, base | {"group": group, "seq": seq[group]}))
    _send_now(messages)  # the transaction's events together, in order


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


def _redis_known_away() -> bool:
    reporter = _missed_reporter
    return bool(settings.REDIS_URL) and reporter is not None and reporter.is_alive()


def _note_missed(counts: dict[str, int]) -> None:
    """Remember how many events each group missed (`counts`: group -> events of the failed batch)."""
    global _missed_reporter
    if not settings.REDIS_URL:
        return  # the embedded counters live in this process and cannot be unreachable
    with _missed_lock:
        for group, count in counts.items():
            _missed[group] = _missed.get(group, 0) + count
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
