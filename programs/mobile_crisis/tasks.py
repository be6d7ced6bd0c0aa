"""Thin tasks: load fresh rows through a service, safe to run twice."""

from celery import shared_task
from django.utils import timezone

from . import services

# How often beat looks for missed follow-ups; a missed one is escalated at most this long after its due time.
ESCALATE_EVERY_SECONDS = 300.0


@shared_task(acks_late=True, ignore_result=True)
def follow_ups_escalate() -> int:
    return len(services.follow_ups_escalate(now=timezone.now()))
