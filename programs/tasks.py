"""Thin tasks of the programs layer: load fresh rows through a service, safe to run twice."""

from celery import shared_task
from django.utils import timezone

from . import escalations

# How often beat looks for stalled hand-offs: an owner hears of one at most this long after its due time.
ESCALATE_EVERY_SECONDS = 120.0


@shared_task(acks_late=True, ignore_result=True)
def escalations_raise() -> int:
    return len(escalations.escalations_raise(now=timezone.now()))
