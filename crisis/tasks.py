"""Core housekeeping tasks (the beat schedule in settings sends them)."""

from celery import shared_task

from . import idempotency


@shared_task
def purge_idempotency_keys() -> int:
    return idempotency.idempotency_keys_purge()
