"""The one hook for systems outside the platform: what happened, told to whoever sends it on.

Live operations and the programs sit below the integrations (webhooks, a 911 CAD's EIDO feed, partners' FHIR
servers) and may not import them. So the services tell this module what happened, inside their own transaction,
and an integration that listens (registered in its AppConfig.ready) writes its outbox rows in that same
transaction: a rolled-back change sends nothing, and a committed one is never lost. Listeners must be quick and
must not talk to the network: delivery happens later, in a worker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models

Listener = Callable[..., None]
_listeners: list[Listener] = []


def listen(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def notify(kind: str, *, obj: models.Model, **data: Any) -> None:
    """`kind` is the dotted event (`call.created`, `referral.status_changed`), `obj` the row it is about."""
    for listener in _listeners:
        listener(kind, obj=obj, **data)
