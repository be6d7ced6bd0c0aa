"""Kombu's Redis transport with one fix, so a Celery worker rides out a Redis outage.

Why (reproduced with Celery 5.7.0 / Kombu 5.7.0, the newest releases on PyPI; no fixed release exists):
when the broker connection drops, Celery's consumer calls `connection.collect()` and then
`connection.close()` (celery/worker/consumer/consumer.py::on_connection_error_after_connected).

1. `collect()` closes the default channel. Kombu's `redis.Channel.close()` first reads the reply of the
   BRPOP in flight (`_brpop_read`); Redis is gone, so that raises a ConnectionError *before* the channel
   is marked closed. `Connection.maybe_close_channel` swallows it, and `collect()` then detaches the
   transport (`transport.client = None`).
2. `close()` closes the same channel again. This time it gets as far as restoring the unacknowledged
   messages the worker holds (with `acks_late`, every countdown task, e.g. an offer's expiry), which
   builds a new connection pool from `transport.client.hostname`: AttributeError on None. That is not
   a connection error, so `ignore_errors` lets it through and the worker stops for good
   ("Unrecoverable error: AttributeError('NoneType' object has no attribute 'hostname')").

The same failure was reported against older versions (celery/kombu#582, #970) and is still there.
The fix keeps Kombu's logic and removes the two ways into the crash:

- a connection error while draining the in-flight BRPOP no longer aborts `close()`, so the first close
  completes while the transport is still attached (restoring the messages if Redis answers; otherwise
  they stay in Redis's `unacked` hash and come back after the visibility timeout, and the periodic sweep
  covers offers and calls meanwhile);
- a channel asked for a new pool after its transport was detached raises a connection error (which
  every caller treats as "broker gone, reconnect") instead of an AttributeError.

Selected with CELERY_BROKER_TRANSPORT in crisis/settings.py. Remove when Kombu fixes Channel.close().
"""

from __future__ import annotations

import contextlib
import os
import uuid
from queue import Empty
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem as kombu_filesystem
from kombu.transport import redis as kombu_redis
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(kombu_redis.Channel):
    def close(self):
        if self._in_poll and not self.closed:
            # `_brpop_read` always resets `_in_poll`, so the base close() skips the read after this.
            with contextlib.suppress(Empty, *self.connection_errors):
                self._brpop_read()
        super().close()

    def _connparams(self, asynchronous=False):
        if self.connection is None or self.connection.client is None:
            raise RedisConnectionError("The broker connection was already closed.")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel


class FilesystemChannel(kombu_filesystem.Channel):
    """Kombu's filesystem channel (the embedded mode's broker) with an atomic write.

    Kombu creates the message file, then locks and writes it; a worker polling the folder in between moves the
    empty file away and fails to parse it, which stops the whole embedded server ("Unrecoverable error:
    JSONDecodeError"; seen under `make run` with beat sending tasks every few seconds). Writing to a name the
    reader ignores and renaming it into place (atomic on one filesystem) means a reader only ever sees whole
    messages.
    """

    def _put(self, queue, payload, **kwargs):
        filename = os.path.join(self.data_folder_out, f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg")
        partial = filename + ".part"  # "<ts>_<uuid>.<queue>.msg.part": not "<queue>.msg", so _get skips it
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, filename)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {filename!r} to directory") from exc


class FilesystemTransport(kombu_filesystem.Transport):
    Channel = FilesystemChannel
