"""Thin tasks: take ids, call a service, safe to run twice (a delivered row is never sent again)."""

from celery import shared_task
from django.db import OperationalError

from . import webhooks


@shared_task(bind=True, acks_late=True, max_retries=5, default_retry_delay=1)
def deliver(self, endpoint_id: int) -> dict:
    try:
        return webhooks.endpoint_deliver(endpoint_id=endpoint_id)
    except OperationalError as exc:
        raise self.retry(exc=exc) from exc


@shared_task(acks_late=True)
def sweep() -> int:
    return webhooks.deliveries_sweep()
