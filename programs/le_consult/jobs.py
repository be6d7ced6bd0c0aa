"""This program's door to the task queue: tasks are sent only after the transaction commits."""

from __future__ import annotations

from django.db import transaction


def enqueue_escalation(*, consult_id: int, seconds: float) -> None:
    from .tasks import escalate_consult

    # A little slack so the worker never wakes before the deadline the service checks.
    transaction.on_commit(lambda: escalate_consult.apply_async((consult_id,), countdown=seconds + 0.5), robust=True)
