"""The one door to the task queue: tasks are sent only after the transaction commits."""

from __future__ import annotations

from django.db import transaction


def enqueue_routing(*, region: str) -> None:
    from .tasks import route_waiting

    transaction.on_commit(lambda: route_waiting.delay(region), robust=True)


def enqueue_offer_expiry(*, assignment_id: int, seconds: float) -> None:
    from .tasks import expire_offer

    # A little slack so the worker never wakes before the deadline it checks.
    transaction.on_commit(lambda: expire_offer.apply_async((assignment_id,), countdown=seconds + 0.5), robust=True)
