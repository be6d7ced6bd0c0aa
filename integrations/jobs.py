"""The integrations' door to the task queue: tasks are sent only after the transaction commits."""

from __future__ import annotations

from django.db import transaction


def enqueue_delivery(*, endpoint_id: int, delay_seconds: float = 0) -> None:
    """Send an endpoint's due deliveries after commit (`delay_seconds` later for a backoff)."""
    from crisis.celery import app

    from .tasks import deliver

    if delay_seconds > 0:
        if app.conf.task_always_eager:
            # Eager mode (the test suite) would run the "later" task at once and spin through every retry in the
            # caller; the periodic sweep (deliveries_sweep) picks the row up when it is due instead.
            return
        transaction.on_commit(lambda: deliver.apply_async((endpoint_id,), countdown=delay_seconds), robust=True)
    else:
        transaction.on_commit(lambda: deliver.delay(endpoint_id), robust=True)
