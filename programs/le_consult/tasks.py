"""Thin tasks: take ids, call a service, safe to run twice."""

from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(bind=True, acks_late=True, max_retries=5, default_retry_delay=1)
def escalate_consult(self, consult_id: int) -> bool:
    try:
        return services.consult_escalate(consult_id=consult_id)
    except OperationalError as exc:
        raise self.retry(exc=exc) from exc


@shared_task(acks_late=True)
def escalate_due() -> int:
    """Beat runs this every SWEEP_INTERVAL_SECONDS: a lost countdown still escalates within one interval."""
    return services.consults_escalate_due()
