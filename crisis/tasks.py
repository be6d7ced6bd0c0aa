"""Core periodic tasks: thin, safe to run twice."""

from celery import shared_task


@shared_task(ignore_result=True)
def access_sweep() -> None:
    from .revocation import access_sweep as sweep

    sweep()
