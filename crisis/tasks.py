"""Core periodic tasks (the beat schedule in settings sends them): thin, safe to run twice."""

from celery import shared_task

from . import idempotency


@shared_task(ignore_result=True)
def access_sweep() -> None:
    from .revocation import access_sweep as sweep

    sweep()


@shared_task
def purge_idempotency_keys() -> int:
    return idempotency.idempotency_keys_purge()
