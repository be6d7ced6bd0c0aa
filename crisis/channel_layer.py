"""The Redis pub/sub channel layer, decoding a group's message once per process instead of once per socket.

channels_redis's pub/sub layer puts the same received bytes in the queue of every local channel in the group and
each consumer's `receive()` decodes its copy: an event to 25 boards in one process was 25 msgpack decodes of the
same bytes, and a profile of a web process under a surge of intakes with 50 boards open showed the decodes as the
second largest cost on its event loop. The decoded message is kept for the next reader of the same bytes (the
identical object, so a new message is never mistaken for an old one whose id was reused: the kept entry holds its
bytes alive), and every reader gets a dict of its own (the top level copied: consumers only read the nested data).
"""

from collections import OrderedDict
from typing import Any

from channels_redis.pubsub import RedisPubSubChannelLayer

# Messages decoded recently, newest last: enough for every socket of a burst's groups to read the same event
# (a reader behind by more than this many group messages decodes its own copy; it is still correct).
DECODED_KEPT = 128


class PubSubChannelLayer(RedisPubSubChannelLayer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._decoded: OrderedDict[int, tuple[bytes, dict[str, Any]]] = OrderedDict()

    def deserialize(self, message: bytes) -> dict[str, Any]:
        key = id(message)
        kept = self._decoded.get(key)
        if kept is None or kept[0] is not message:
            kept = self._decoded[key] = (message, super().deserialize(message))
            if len(self._decoded) > DECODED_KEPT:
                self._decoded.popitem(last=False)
        return dict(kept[1])
