"""The one door to the task queue: tasks are sent only after the transaction commits."""

from __future__ import annotations

from django.db import transaction


def enqueue_routing(*, region: str, delay_seconds: float = 0) -> None:
    """Route the region's waiting calls after commit; `delay_seconds` later for a cool-down that ends then."""
    from .tasks import route_waiting

    if delay_seconds > 0:
        transaction.on_commit(lambda: route_waiting.apply_async((region,), countdown=delay_seconds), robust=True)
    else:
        transaction.on_commit(lambda: route_waiting.delay(region), robust=True)


def enqueue_offer_expiry(*, assignment_id: int, seconds: float) -> None:
    from .tasks import expire_offer

    # A little slack so the worker never wakes before the deadline it checks.
    transaction.on_commit(lambda: expire_offer.apply_async((assignment_id,), countdown=seconds + 0.5), robust=True)
