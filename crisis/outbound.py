"""The one hook for systems outside the platform: what happened, told to whoever sends it on.

Live operations and the programs sit below the integrations (webhooks, a 911 CAD's EIDO feed, partners' FHIR
servers) and may not import them. So the services tell this module what happened, inside their own transaction,
and an integration that listens (registered in its AppConfig.ready) writes its outbox rows in that same
transaction: a rolled-back change sends nothing, and a committed one is never lost. Listeners must be quick and
must not talk to the network: delivery happens later, in a worker. The reports listen too, for the same reason:
a change to an old call marks the standards' kept per-day counts stale in the change's transaction
(reports/rollup.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import models

Listener = Callable[..., None]
_listeners: list[Listener] = []
T = TypeVar("T")
# Lookups listeners made during a `batch()`: key -> value, read once for the block.
_batch: ContextVar[dict[str, Any] | None] = ContextVar("outbound_batch", default=None)


def listen(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def notify(kind: str, *, obj: models.Model, **data: Any) -> None:
    """`kind` is the dotted event (`call.created`, `referral.status_changed`), `obj` the row it is about."""
    for listener in _listeners:
        listener(kind, obj=obj, **data)


@contextmanager
def batch() -> Iterator[None]:
    """Several notifications in one transaction (call_intake's create, triage and wait; a triage's two
    transitions): what a listener looks up through `once` is read once for the block, not once per notification
    (asking the webhook table three times cost an intake three round trips). Notifications still reach the
    listeners one by one, as they happen, in the caller's transaction."""
    token = _batch.set({})
    try:
        yield
    finally:
        _batch.reset(token)


def once(key: str, load: Callable[[], T]) -> T:
    """`load()`, or inside a `batch()` what it gave the first time in that block (keys are the listener's own,
    e.g. "webhooks.endpoints"). Only for what the block itself does not change."""
    memo = _batch.get()
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = load()
    return memo[key]
