"""Websocket edge of the live board and the responder's phone.

The protocol (hello, events, heartbeat frames with epoch and sequence numbers,
closing on session end or a too-slow client) is `crisis.sockets.LiveConsumer`;
this consumer only says which groups a user joins, through the one permission
source, and adds to the heartbeat whether automatic routing runs, for a
dispatch desk. Consumers never query per event: each event already carries the
full row the screen redraws, and a client that connects (or sees a gap or
another epoch) loads the REST snapshot (/api/board/ or /api/my-team/).
"""

from __future__ import annotations

from crisis import permissions
from crisis.sockets import (  # noqa: F401 (the protocol's codes, re-exported for callers and tests)
    CLOSE_FORBIDDEN,
    CLOSE_TOO_SLOW,
    CLOSE_UNAUTHENTICATED,
    LiveConsumer,
    _session_alive,
)

from . import health


class BoardConsumer(LiveConsumer):
    read_action = "dispatch.stream.opened"  # calls' addresses and natures, SOS alerts

    def groups_for(self, user) -> list[str] | None:
        # Officers and users without a role hear nothing from these groups.
        return permissions.stream_groups_for(user)

    def heartbeat_variant(self, user) -> bool:
        return user.has_perm("dispatch.view_queue")

    def heartbeat_extra(self, user) -> dict:
        return {"routing": health.routing_health()} if user.has_perm("dispatch.view_queue") else {}
